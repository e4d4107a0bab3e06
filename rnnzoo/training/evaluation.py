"""Measuring a trained model: Keras evaluation with the task's metrics,
generation metrics (BLEU) on the raw references, and `rnnzoo.evaluate`,
which measures a preset afresh."""

from pathlib import Path

import keras
import tensorflow as tf

from rnnzoo import data as rnnzoo_data
from rnnzoo.tasks import get_task
from rnnzoo.training import callbacks as run_callbacks
from rnnzoo.training import config_data
from rnnzoo.training import export
from rnnzoo.training.recipe import compile_model
from rnnzoo.training.recipe import resolve_config


def check_labels_visible(task, config, dataset, split) -> None:
    """Raises if the labels of a classification split are hidden.

    Benchmarks that keep their test labels secret ship them as -1 (e.g.
    GLUE's SST-2 test split in TensorFlow Datasets); any number measured
    against them would be meaningless.

    Args:
        task: The task (or its name); only tasks whose targets are
            class labels (`TaskShape.class_labels`) are checked.
        config: The zoo config (for the dataset's name).
        dataset: The split's batches, `(inputs, labels[, weights])`.
        split: The split's name, for the message.

    Raises:
        ValueError: a label is negative.
    """
    task = get_task(task)
    if not task.class_labels:
        return

    def count(x, y, *rest):
        hidden = task.hidden_labels(y)
        return tf.stack(
            [
                tf.reduce_sum(tf.cast(hidden, tf.int64)),
                tf.size(hidden, out_type=tf.int64),
            ]
        )

    counts = dataset.map(count).reduce(
        tf.zeros([2], tf.int64), lambda total, count: total + count
    )
    hidden, total = (int(value) for value in counts.numpy())
    if hidden:
        name = config["data"]["dataset"]
        which = f"{split!r} split" if split else "split"
        instead = "'validation'" if split != "validation" else "another split"
        raise ValueError(
            f"The labels of {name}'s {which} are hidden (-1): "
            f"{hidden} of its {total} labels are negative, so no metric can "
            f"be measured on it; evaluate on {instead} instead."
        )


def measure(model, task, config, dataset, loop=None):
    """Loss and task metrics of `model` on a prepared split (with `loop`,
    the custom loop of multi-worker runs); callers check first that its
    labels are visible (`check_labels_visible`)."""
    reset = [run_callbacks.ResetStates()] if stateful(model) else []
    if loop is not None:
        callback_list = keras.callbacks.CallbackList(reset, model=model)
        logs = loop.evaluate(dataset, callback_list)
    else:
        logs = model.evaluate(
            dataset, return_dict=True, verbose=0, callbacks=reset
        )
    metrics = {key: float(value) for key, value in logs.items()}
    return get_task(task).derived_metrics(metrics, config)


def generation(
    model,
    task,
    config,
    vectorizer,
    options,
    split,
    data_dir,
    max_examples: int | None = None,
):
    """BLEU (and, for captions, exact match) of generated targets against
    the raw references of the split, or of its first `max_examples`."""
    task = get_task(task)
    if not task.generates:
        return {}
    examples = rnnzoo_data.load(
        config["data"]["dataset"],
        split,
        data_dir,
        **(config_data.load_options(config) or {}),
    )
    if max_examples is not None:
        examples = examples.take(max_examples)
    return task.generation_metrics(
        model,
        vectorizer,
        examples,
        config_data.max_length(options),
        features=(options.get("inputs"), options.get("targets")),
        decoding=config.get("decoding"),
    )


def stateful(model) -> bool:
    """Whether `model` carries its states between batches."""
    return bool(getattr(model, "stateful", False))


def evaluate(
    model_or_preset,
    config_or_name=None,
    data_dir=None,
    split: str = "test",
    *,
    vectorizer=None,
    batch_size: int | None = None,
    max_batches: int | None = None,
    max_examples: int | None = None,
) -> dict:
    """Measures a model's task metrics on one split of its dataset.

    Args:
        model_or_preset: A preset written by `train` (folder, archive or
            URL), or a model (then pass `config_or_name` and, for tasks
            with strings, `vectorizer`).
        config_or_name: The zoo config; default the preset's own.
        data_dir: Where the dataset's local files are.
        split: The split to measure.
        vectorizer: The `Vectorizer` of a model passed directly.
        batch_size: Default the training batch (a stateful model's own).
        max_batches: Measure the loss and task metrics on the split's
            first `max_batches` batches only, a fixed slice (e.g. for a
            regression test of a published preset).
        max_examples: Measure the generation metrics (BLEU, exact match)
            of translation and captioning on the split's first
            `max_examples` examples only; default the whole split, or
            `max_batches * batch_size` examples with `max_batches`.

    Returns:
        `{metric: value}`: the loss, the task metrics (accuracy,
        perplexity, BLEU, NLL per step, ...) as `train` reports them.

    Raises:
        ValueError: the split's labels are hidden (e.g. SST-2's test split
            from TensorFlow Datasets' GLUE, whose labels are all -1).

    Example:

    >>> rnnzoo.evaluate("runs/upos/preset", data_dir="data")  # doctest: +SKIP
    {'loss': ..., 'accuracy': ...}
    """
    metadata = {}
    if isinstance(model_or_preset, (str, Path)):
        model, vectorizer, metadata = export.load_trained_preset(
            model_or_preset
        )
    else:
        model = model_or_preset
    if config_or_name is None and "config" not in metadata:
        raise ValueError(
            "Pass `config_or_name` with a model that is not a preset "
            "written by rnnzoo.train"
        )
    config = (
        metadata["config"]
        if config_or_name is None
        else resolve_config(config_or_name)
    )
    task = config_data.task_of(config)
    options = dict(metadata.get("pipeline") or {})
    options = options or {
        "batch_size": config["training"]["batch_size"],
        **task.pipeline_options(config, seed=0),
    }
    default_batch = options.pop("batch_size")
    if stateful(model):
        batch_size = model.batch_size
    batch_size = batch_size or default_batch
    dataset = rnnzoo_data.make_pipeline(
        config["data"]["dataset"],
        split,
        batch_size,
        vectorizer=vectorizer,
        data_dir=data_dir,
        load_options=config_data.load_options(config),
        **options,
    )
    dataset = config_data.adapt_batches(task, dataset, model)
    if max_batches is not None:
        dataset = dataset.take(max_batches)
    compile_model(model, task, config["training"], "adam", jit_compile=False)
    check_labels_visible(task, config, dataset, split)
    metrics = measure(model, task, config, dataset)
    if max_examples is None and max_batches is not None:
        max_examples = max_batches * batch_size
    metrics.update(
        generation(
            model,
            task,
            config,
            vectorizer,
            options,
            split,
            data_dir,
            max_examples=max_examples,
        )
    )
    return metrics
