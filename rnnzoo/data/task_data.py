"""The pipelines a zoo config needs, built in one call: `make_pipelines`
adapts the vectorizer on the training split and batches every split
(holding out part of train where a dataset has no validation split);
`TaskData` carries the result."""

import dataclasses
from collections.abc import Mapping
from collections.abc import Sequence

import tensorflow as tf

from rnnzoo.data import formatting
from rnnzoo.data import registry
from rnnzoo.data.pipelines import build_vectorizer
from rnnzoo.data.pipelines import make_pipeline
from rnnzoo.data.vectorizers import Vectorizer


@dataclasses.dataclass
class TaskData:
    """The pipelines of a dataset's splits and the vectorizer they share.

    Attributes:
        name: The dataset's name.
        task: Its task shape.
        datasets: Split name to its batched `tf.data.Dataset`.
        vectorizer: The vectorizer adapted on the training split (save it
            with the model: `vectorizer.save_assets(preset/"assets"/...)`),
            or `None`.
    """

    name: str
    task: str
    datasets: dict
    vectorizer: Vectorizer | None

    def __getitem__(self, split):
        return self.datasets[registry.normalize_split(split)]


def make_pipelines(
    name: str,
    batch_size: int = 32,
    *,
    splits: Sequence[str] | None = None,
    vectorizer: Vectorizer | None = None,
    vocabulary_size: int | Mapping[str, int] | None = None,
    data_dir=None,
    load_options: Mapping | None = None,
    validation_fraction: float | None = None,
    **pipeline_options,
) -> TaskData:
    """Builds a vectorizer on the training split (unless given) and the
    pipelines of `splits` (default: all the dataset's splits).

    A dataset without a validation split (e.g. `japanese_vowels`) gets one
    with `validation_fraction`: that share of the training split, held out
    after a shuffle seeded by `pipeline_options["seed"]`, so that the
    test split is never looked at while choosing epochs or
    hyperparameters.

    Args:
        name: A registered dataset name, as a zoo config's `data.dataset`.
        batch_size: Examples per batch.
        splits: Which splits; default every split of the local or bundled
            files.
        vectorizer: A vectorizer to reuse (e.g. from a preset).
        vocabulary_size: See `build_vectorizer`.
        data_dir: Where the local files are.
        load_options: Extra options of `load`.
        validation_fraction: Float in `(0, 1)`: hold out this share of
            the training split as the validation split, where the
            dataset has none. Ignored where it has one.
        **pipeline_options: Passed to `make_pipeline` (`buckets`,
            `sequence_length`, `drop_remainder`, `bptt`, `inputs`,
            `targets`, `max_word_length`, `lowercase`, ...); with
            `max_word_length` the vectorizer also gets a character
            vocabulary, with `lowercase` it lowercases the tokens.

    Returns:
        A `TaskData`; `task_data["train"]` is the training pipeline.

    Example:

    >>> task_data = make_pipelines(  # doctest: +SKIP
    ...     "ud_en_ewt", 32, data_dir="data", vocabulary_size=20000,
    ...     buckets=[16, 32, 64, 128])
    >>> model.fit(task_data["train"],  # doctest: +SKIP
    ...           validation_data=task_data["validation"])
    """
    info = registry.dataset_info(name)
    sources = {split: name for split in info.splits}
    if validation_fraction and "validation" not in info.splits:
        sources.update(
            hold_out_validation(
                registry.load(name, "train", data_dir, **(load_options or {})),
                validation_fraction,
                seed=pipeline_options.get("seed") or 0,
                name=name,
            )
        )
    splits = [registry.normalize_split(s) for s in splits or sources]
    if any(not isinstance(source, str) for source in sources.values()):
        # Held-out examples are a tf.data.Dataset, which says no task.
        pipeline_options.setdefault("task", info.task)
        if info.level is not None:
            pipeline_options.setdefault("level", info.level)
    if vectorizer is None:
        vectorizer = build_vectorizer(
            sources["train"],
            task=pipeline_options.get("task"),
            inputs=pipeline_options.get("inputs"),
            targets=pipeline_options.get("targets"),
            level=pipeline_options.get("level"),
            vocabulary_size=vocabulary_size,
            standardize=formatting.STANDARDIZE.get(name),
            characters=pipeline_options.get("max_word_length") is not None,
            lowercase=bool(pipeline_options.get("lowercase")),
            data_dir=data_dir,
            load_options=load_options,
        )
    datasets = {
        split: make_pipeline(
            sources.get(split, name),
            split,
            batch_size,
            vectorizer=vectorizer,
            data_dir=data_dir,
            load_options=load_options,
            **pipeline_options,
        )
        for split in splits
    }
    return TaskData(name, info.task, datasets, vectorizer)


def hold_out_validation(
    examples: tf.data.Dataset, fraction: float, seed: int = 0, name="data"
) -> dict:
    """Splits a training split into `{"train", "validation"}`: a seeded
    shuffle, then the last `fraction` of the examples held out (the same
    ones on every pass).

    Example:

    >>> parts = hold_out_validation(tf.data.Dataset.range(10), 0.2)
    >>> [int(parts[s].cardinality()) for s in ("train", "validation")]
    [8, 2]
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(
            "`validation_fraction` must be a float in (0, 1), got "
            f"validation_fraction={fraction!r}"
        )
    count = int(examples.cardinality())
    if count < 0:
        count = sum(1 for _ in examples)
    held_out = int(round(count * fraction))
    if not 0 < held_out < count:
        raise ValueError(
            f"Cannot hold out {fraction:.0%} of {name}'s {count} training "
            "examples for validation: it has no validation split and too "
            "few examples"
        )
    examples = examples.shuffle(
        count, seed=seed, reshuffle_each_iteration=False
    )
    return {
        "train": examples.skip(held_out),
        "validation": examples.take(held_out),
    }
