"""`rnnzoo.train`: a zoo config in, a trained preset with its measured
metrics out, on one CPU, several GPUs, a TPU or a cluster, with the same
call.

A run's output folder holds

```
history.csv           one row per epoch (CSVLogger, appended on resume)
logs/                 TensorBoard
backup/               BackupAndRestore: weights, optimizer and epoch
run_state.json        epochs complete, whether early stopping ended it
metrics.json          the test metrics
preset/               the preset (see rnnzoo.training.export)
<name>.tar.gz         the preset packed for the hub
```

A run killed and started again with the same output folder resumes from
the end of its last complete epoch; a finished run started again trains
no further and exports again. Workers other than the chief of a cluster
keep their checkpoints in `workers/worker_<i>/` and write nothing else.
"""

import dataclasses
import importlib.util
import json
import logging
import time
from pathlib import Path

import keras
import tensorflow as tf

from rnnzoo import data as rnnzoo_data
from rnnzoo.training import callbacks as run_callbacks
from rnnzoo.training import export
from rnnzoo.training import strategies
from rnnzoo.training import tasks
from rnnzoo.training.evaluation import check_labels_visible
from rnnzoo.training.evaluation import generation
from rnnzoo.training.evaluation import measure
from rnnzoo.training.evaluation import stateful
from rnnzoo.training.loop import CustomLoop
from rnnzoo.training.precision import precision_policy
from rnnzoo.training.precision import resolve_precision
from rnnzoo.training.recipe import apply_overrides
from rnnzoo.training.recipe import compile_model
from rnnzoo.training.recipe import count_batches
from rnnzoo.training.recipe import learning_rate_schedule
from rnnzoo.training.recipe import make_optimizer
from rnnzoo.training.recipe import resolve_config
from rnnzoo.zoo import registry

logger = logging.getLogger(__name__)


@dataclasses.dataclass
class TrainingResult:
    """What `train` returns.

    Attributes:
        name: The zoo model's name.
        output_dir: The run's folder.
        metrics: The metrics measured on `split` after training.
        split: The split measured (`"test"`, else `"validation"`).
        epochs: Epochs complete (this run and the runs it resumed).
        history: Per-epoch logs, `{name: [value per epoch]}`.
        preset_dir: The exported preset (`None` on non-chief workers).
        archive: The packed preset, and `sha256` its digest.
        strategy: The strategy, e.g. `"MirroredStrategy x2"`.
        precision: The Keras dtype policy.
        jit_compile: Whether the train step was XLA-compiled.
        model: The trained model (its variables under the run's strategy).
    """

    name: str
    output_dir: Path
    metrics: dict
    split: str
    epochs: int
    history: dict
    preset_dir: Path | None
    archive: Path | None
    sha256: str | None
    strategy: str
    precision: str
    jit_compile: bool
    model: keras.Model | None = None


BEST_WEIGHTS_FILE = "best.weights.h5"


def _best_logged(output_dir, key) -> float | None:
    """The lowest `key` in the run's CSV log so far, or `None`."""
    history = run_callbacks.read_csv_log(output_dir / "history.csv")
    values = [v for v in history.get(key, []) if v is not None]
    return min(values) if values else None


def _restore_best_weights(model, run_dir, patience) -> None:
    """Loads the best weights of an early-stopping run, if any were saved
    (this run or one it resumed)."""
    best = run_dir / BEST_WEIGHTS_FILE
    if patience and best.exists():
        model.load_weights(str(best))


def _callbacks(run_dir, output_dir, chief, model, patience, validation):
    items = [run_callbacks.TerminateOnNonFiniteLoss()]
    if stateful(model):
        items.append(run_callbacks.ResetStates())
    if patience and validation is None:
        logger.warning(
            "early_stopping_patience is set but the data has no validation "
            "split: no early stopping."
        )
    elif patience:
        items.append(
            keras.callbacks.EarlyStopping(
                monitor="val_loss",
                patience=patience,
                restore_best_weights=True,
            )
        )
        # EarlyStopping keeps the best weights in memory only: a resumed
        # run would restore the last checkpoint and export its weights.
        # The best weights on disk, with the best loss of the epochs
        # already run as the bar, survive a restart.
        items.append(
            keras.callbacks.ModelCheckpoint(
                str(run_dir / BEST_WEIGHTS_FILE),
                monitor="val_loss",
                save_best_only=True,
                save_weights_only=True,
                initial_value_threshold=_best_logged(output_dir, "val_loss"),
            )
        )
    if chief:
        # Before the checkpoint: an epoch logged but not checkpointed is
        # trimmed from the log on resume (see trim_csv_log).
        items.append(
            keras.callbacks.CSVLogger(
                str(output_dir / "history.csv"), append=True
            )
        )
    items.append(
        keras.callbacks.BackupAndRestore(
            str(run_dir / "backup"),
            delete_checkpoint=False,
            double_checkpoint=True,
        )
    )
    items.append(run_callbacks.RunState(run_dir))
    if chief and importlib.util.find_spec("tensorboard") is not None:
        items.append(
            keras.callbacks.TensorBoard(
                str(output_dir / "logs"), write_graph=False
            )
        )
    elif chief:
        logger.warning("TensorBoard is not installed: no logs/ written.")
    return items


def train(
    config_or_name,
    data_dir=None,
    output_dir=None,
    strategy="auto",
    *,
    precision: str = "auto",
    jit_compile: bool | None = None,
    schedule=None,
    seed: int = 0,
    verbose=1,
    callbacks=(),
    **overrides,
) -> TrainingResult:
    """Trains a zoo model from its config, evaluates it, exports a preset.

    Args:
        config_or_name: A zoo model name, a config YAML path or a config
            dict.
        data_dir: Where the dataset's local files are (see
            `rnnzoo.data.load`); `None` for bundled or TFDS data.
        output_dir: The run's folder (default `runs/<name>`); the same
            folder resumes an interrupted run.
        strategy: `"auto"`, `"default"`, `"mirrored"`, `"multi_worker"`,
            `"tpu"` or a `tf.distribute.Strategy` (see
            `rnnzoo.training.strategies`). `training.batch_size` is the
            global batch, over all replicas.
        precision: `"auto"` (bfloat16 on TPU, float16 on GPU, float32 on
            CPU) or a Keras dtype policy name.
        jit_compile: XLA-compile the train step; default on except where
            a step spans several CPU devices or workers.
        schedule: Learning-rate schedule (see `learning_rate_schedule`);
            default the config's `training.schedule`, else constant.
        seed: Seed of the weights, dropout and shuffling.
        verbose: Keras verbosity: 1 a progress bar, 2 a line per epoch,
            0 silent.
        callbacks: Extra Keras callbacks.
        **overrides: `training` keys (`epochs`, `batch_size`,
            `learning_rate`, `clipnorm`, `optimizer`,
            `early_stopping_patience`) override the config's; any other
            key overrides an architecture argument (e.g. `units=256`).

    Returns:
        A `TrainingResult`.

    Example:

    >>> result = rnnzoo.train("upos_tagger", data_dir="data",  # doctest: +SKIP
    ...                       output_dir="runs/upos", epochs=2)
    >>> result.metrics["accuracy"], result.preset_dir  # doctest: +SKIP
    """
    # First of all: a MultiWorkerMirroredStrategy must exist before
    # TensorFlow runs any op.
    strategy = strategies.resolve_strategy(strategy)
    config, architecture_overrides = apply_overrides(
        resolve_config(config_or_name), dict(overrides)
    )
    training = config["training"]
    if schedule is None:
        schedule = training.get("schedule")
    name = config["name"]
    task = tasks.task_of(config)
    chief = strategies.is_chief(strategy)
    multi_worker = strategies.is_multi_worker(strategy)
    output_dir = Path(output_dir or Path("runs") / name)
    run_dir = output_dir
    if not chief:
        run_dir = (
            output_dir
            / "workers"
            / (f"worker_{strategies.worker_index(strategy)}")
        )
    run_dir.mkdir(parents=True, exist_ok=True)
    policy = resolve_precision(precision, strategy)
    if jit_compile is None:
        jit_compile = strategies.default_jit_compile(strategy)
    keras.utils.set_random_seed(seed)
    started = time.time()
    if verbose:
        print(
            f"rnnzoo: training {name} ({task}) on "
            f"{strategies.describe(strategy)}, precision {policy}, "
            f"jit_compile={jit_compile}, output {output_dir}"
        )

    options = tasks.pipeline_options(
        task, config, seed=seed, static=strategies.is_tpu(strategy)
    )
    batch_size = training["batch_size"]
    task_data = rnnzoo_data.make_pipelines(
        config["data"]["dataset"],
        batch_size,
        vocabulary_size=config["data"].get("vocabulary_size"),
        data_dir=data_dir,
        load_options=tasks.load_options(config),
        validation_fraction=config["data"].get("validation_fraction"),
        **options,
    )
    arguments = {
        **tasks.data_arguments(
            task, task_data, config, strategy.num_replicas_in_sync
        ),
        **architecture_overrides,
    }
    with precision_policy(policy):
        with strategy.scope():
            model = registry.build_model(config, **arguments)
        splits = {
            split: tasks.adapt_batches(task, dataset, model)
            for split, dataset in task_data.datasets.items()
        }
        if multi_worker:
            splits = {k: _shard_by_data(v) for k, v in splits.items()}
        train_data = splits["train"]
        validation = splits.get("validation")
        split = "test" if "test" in splits else "validation"
        # Hidden test labels would make the final measurement meaningless:
        # fail before training, not after.
        check_labels_visible(task, config, splits[split], split)
        with strategy.scope():
            learning_rate = learning_rate_schedule(
                schedule,
                training["learning_rate"],
                lambda: training["epochs"] * count_batches(train_data),
            )
            compile_model(
                model,
                task,
                training,
                make_optimizer(training, learning_rate),
                jit_compile,
            )
        items = [
            *_callbacks(
                run_dir,
                output_dir,
                chief,
                model,
                training.get("early_stopping_patience"),
                validation,
            ),
            *callbacks,
        ]
        epochs = _epochs_to_run(training["epochs"], run_dir, output_dir, chief)
        loop = (
            CustomLoop(model, strategy, jit_compile) if multi_worker else None
        )
        with strategy.scope():
            if loop is not None:
                history = loop.fit(
                    train_data, epochs, validation, items, verbose
                )
            else:
                history = model.fit(
                    train_data,
                    validation_data=validation,
                    epochs=epochs,
                    callbacks=items,
                    verbose=verbose,
                    shuffle=False,
                )
            if validation is not None:
                _restore_best_weights(
                    model, run_dir, training.get("early_stopping_patience")
                )
            metrics = measure(model, task, config, splits[split], loop)
        epochs_done = run_callbacks.completed_epochs(run_dir / "backup")
        result = TrainingResult(
            name=name,
            output_dir=output_dir,
            metrics=metrics,
            split=split,
            epochs=epochs_done,
            history=dict(history.history),
            preset_dir=None,
            archive=None,
            sha256=None,
            strategy=strategies.describe(strategy),
            precision=policy,
            jit_compile=bool(jit_compile),
            model=model,
        )
        if not chief:
            return result
        metrics.update(
            generation(
                model,
                task,
                config,
                task_data.vectorizer,
                options,
                split,
                data_dir,
            )
        )
        result.history = run_callbacks.read_csv_log(output_dir / "history.csv")
        metadata = {
            "name": name,
            "task": task,
            "dataset": config["data"]["dataset"],
            "split": split,
            "metrics": metrics,
            "epochs": epochs_done,
            "config": config,
            "pipeline": {"batch_size": batch_size, **options},
            "training": {
                "strategy": result.strategy,
                "precision": policy,
                "jit_compile": bool(jit_compile),
                "seed": seed,
                "schedule": schedule,
                "training_time_minutes": (time.time() - started) / 60,
            },
        }
        result.preset_dir = export.export_preset(
            model,
            task_data.vectorizer,
            output_dir / "preset",
            metadata,
            text_input=task == tasks.TEXT_CLASSIFICATION,
        )
    (output_dir / "metrics.json").write_text(json.dumps(metrics, indent=2))
    result.archive, result.sha256 = export.pack(
        result.preset_dir, output_dir / f"{name}.tar.gz"
    )
    return result


def _epochs_to_run(epochs, run_dir, output_dir, chief) -> int:
    """The `epochs` of `fit` for a run that may be resuming: an
    early-stopped run trains no further; the CSV log loses any epoch
    logged after the last checkpoint (it is trained again)."""
    if chief:
        done = run_callbacks.completed_epochs(run_dir / "backup")
        run_callbacks.trim_csv_log(output_dir / "history.csv", done)
    state = run_callbacks.read_run_state(run_dir)
    if state.get("stopped_early"):
        return min(epochs, state["epochs_completed"])
    return epochs


def _shard_by_data(dataset):
    """Workers split every batch between them (the sources are in-memory
    tensors, not files that could be sharded)."""
    options = tf.data.Options()
    policy = tf.data.experimental.AutoShardPolicy.DATA
    options.experimental_distribute.auto_shard_policy = policy
    return dataset.with_options(options)
