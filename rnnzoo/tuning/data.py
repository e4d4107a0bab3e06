"""The data a search runs on: a config's training split and a validation
split to score the trials, prepared as `rnnzoo.train` prepares them."""

import tensorflow as tf

from rnnzoo import data as rnnzoo_data
from rnnzoo.data import registry as data_registry
from rnnzoo.data import tasks as data_tasks
from rnnzoo.training import tasks

DEFAULT_VALIDATION_FRACTION = 0.2


def _held_out(config, task, data_dir, batch_size, options, fraction, seed):
    """Train and validation pipelines from the training split alone: a
    seeded shuffle, then the last `fraction` of the examples held out."""
    name = config["data"]["dataset"]
    examples = rnnzoo_data.load(
        name, "train", data_dir, **(tasks.load_options(config) or {})
    )
    count = int(examples.cardinality())
    if count < 0:
        count = sum(1 for _ in examples)
    held_out = max(1, int(round(count * fraction)))
    if not 0 < held_out < count:
        raise ValueError(
            f"Cannot hold out {fraction:.0%} of {name}'s {count} training "
            "examples for validation: it has no validation split and too "
            "few examples"
        )
    examples = examples.shuffle(
        count, seed=seed, reshuffle_each_iteration=False
    )
    splits = {
        "train": examples.skip(held_out),
        "validation": examples.take(held_out),
    }
    vectorizer = rnnzoo_data.build_vectorizer(
        splits["train"],
        task=task,
        inputs=options.get("inputs"),
        targets=options.get("targets"),
        level=options.get("level"),
        vocabulary_size=config["data"].get("vocabulary_size"),
        standardize=data_tasks.STANDARDIZE.get(name),
    )
    datasets = {
        split: rnnzoo_data.make_pipeline(
            split_examples,
            split,
            batch_size,
            task=task,
            vectorizer=vectorizer,
            **options,
        )
        for split, split_examples in splits.items()
    }
    return rnnzoo_data.TaskData(name, task, datasets, vectorizer)


def search_data(
    config: dict,
    data_dir=None,
    batch_size: int | None = None,
    seed: int = 0,
    validation_fraction: float = DEFAULT_VALIDATION_FRACTION,
) -> rnnzoo_data.TaskData:
    """The training and validation pipelines of a config's dataset.

    The pipelines are `rnnzoo.train`'s (`rnnzoo.training.tasks`'s options,
    the vectorizer adapted on the training split). A dataset without a
    validation split (e.g. `japanese_vowels`) gives one from its training
    split, `validation_fraction` of it held out after a seeded shuffle: the
    test split is never looked at.

    Args:
        config: A zoo config.
        data_dir: Where the dataset's local files are (see
            `rnnzoo.data.load`).
        batch_size: Default the config's `training.batch_size`.
        seed: Seed of the shuffles.
        validation_fraction: The share of the training split held out when
            there is no validation split.

    Returns:
        A `rnnzoo.data.TaskData` with `"train"` and `"validation"`.
    """
    name = config["data"]["dataset"]
    info = data_registry.dataset_info(name)
    task = tasks.task_of(config)
    batch_size = batch_size or config["training"]["batch_size"]
    options = tasks.pipeline_options(task, config, seed=seed)
    if "validation" not in info.splits:
        return _held_out(
            config,
            task,
            data_dir,
            batch_size,
            options,
            validation_fraction,
            seed,
        )
    return rnnzoo_data.make_pipelines(
        name,
        batch_size,
        splits=["train", "validation"],
        vocabulary_size=config["data"].get("vocabulary_size"),
        data_dir=data_dir,
        load_options=tasks.load_options(config),
        **options,
    )


def adapt(task: str, task_data, model) -> tuple[tf.data.Dataset, ...]:
    """The train and validation batches mapped onto `model`'s inputs (see
    `rnnzoo.training.tasks.adapt_batches`)."""
    return tuple(
        tasks.adapt_batches(task, task_data[split], model)
        for split in ("train", "validation")
    )
