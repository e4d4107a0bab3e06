"""The data a search runs on: a config's training split and a validation
split to score the trials, prepared as `rnnzoo.train` prepares them."""

import tensorflow as tf

from rnnzoo import data as rnnzoo_data
from rnnzoo.training import config_data

DEFAULT_VALIDATION_FRACTION = 0.2


def search_data(
    config: dict,
    data_dir=None,
    batch_size: int | None = None,
    seed: int = 0,
    validation_fraction: float | None = None,
) -> rnnzoo_data.TaskData:
    """The training and validation pipelines of a config's dataset.

    The pipelines are `rnnzoo.train`'s (its task's `pipeline_options`,
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
            there is no validation split; default the config's
            `data.validation_fraction`, else `DEFAULT_VALIDATION_FRACTION`.

    Returns:
        A `rnnzoo.data.TaskData` with `"train"` and `"validation"`.
    """
    name = config["data"]["dataset"]
    task = config_data.task_of(config)
    batch_size = batch_size or config["training"]["batch_size"]
    options = task.pipeline_options(config, seed=seed)
    return rnnzoo_data.make_pipelines(
        name,
        batch_size,
        splits=["train", "validation"],
        vocabulary_size=config["data"].get("vocabulary_size"),
        data_dir=data_dir,
        load_options=config_data.load_options(config),
        validation_fraction=validation_fraction
        or config["data"].get("validation_fraction")
        or DEFAULT_VALIDATION_FRACTION,
        **options,
    )


def adapt(task: str, task_data, model) -> tuple[tf.data.Dataset, ...]:
    """The train and validation batches mapped onto `model`'s inputs (see
    `rnnzoo.training.config_data.adapt_batches`)."""
    return tuple(
        config_data.adapt_batches(task, task_data[split], model)
        for split in ("train", "validation")
    )
