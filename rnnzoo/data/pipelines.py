"""Ready-to-train `tf.data` pipelines for every zoo task.

`build_vectorizer` adapts a task's vectorizer on the training split;
`make_pipeline` turns one split into batches a Keras model fits on;
`rnnzoo.data.task_data.make_pipelines` does both for the splits a zoo
config needs.
"""

from collections.abc import Mapping
from collections.abc import Sequence

import numpy as np
import tensorflow as tf

from rnnzoo.data import formatting
from rnnzoo.data import registry
from rnnzoo.data.batching import AUTOTUNE
from rnnzoo.data.batching import cache_and_shuffle
from rnnzoo.data.batching import check_buckets
from rnnzoo.data.batching import pad_and_batch
from rnnzoo.data.language_modelling import bptt_batches
from rnnzoo.data.language_modelling import tokenize
from rnnzoo.data.vectorizers import Vectorizer
from rnnzoo.data.vectorizers import flatten
from rnnzoo.validation import check_positive_int


def _examples(data, split, data_dir, load_options):
    if isinstance(data, str):
        return registry.load(data, split, data_dir, **(load_options or {}))
    return data


def _level(info, level):
    level = level or (info.level if info is not None else None)
    if level not in ("word", "character"):
        raise ValueError(
            "Language modelling needs level='word' or 'character', got "
            f"level={level!r}"
        )
    return level


def build_vectorizer(
    data,
    *,
    task: str | None = None,
    inputs: str | None = None,
    targets: str | None = None,
    level: str | None = None,
    vocabulary_size: int | Mapping[str, int] | None = None,
    standardize=None,
    characters: bool = False,
    lowercase: bool = False,
    data_dir=None,
    load_options: Mapping | None = None,
) -> Vectorizer | None:
    """Builds a task's vectorizer and adapts it on the training split.

    Args:
        data: A dataset name (its `"train"` split is loaded) or a
            `tf.data.Dataset` of raw training examples.
        task: The task shape; required with a `tf.data.Dataset`.
        inputs: The input feature (default by task: `"text"`, `"tokens"`,
            `"en"`, ...).
        targets: The target feature (e.g. `"xpos"` instead of `"upos"`,
            `"en"` to translate German to English).
        level: `"word"` or `"character"`, for language modelling of
            a `tf.data.Dataset` (a named dataset knows its level).
        vocabulary_size: Vocabulary size, padding and `[UNK]` included;
            one int, or a dict by feature; `None` keeps every token.
        standardize: Text standardization (default
            `lower_and_split_punctuation`; `"lower"` for SST-2, which is
            already tokenized).
        characters: For tagging, also adapt a vocabulary of the tokens'
            characters (feature `"characters"`), for `make_pipeline(...,
            max_word_length=...)`.
        lowercase: For tagging, lowercase the tokens before their lookup,
            in adaptation and in every pipeline (the vectorizer keeps the
            setting): one id for "The" and "the"; their character ids keep
            the case.
        data_dir: Where the local files are (see `load`).
        load_options: Extra options of `load`.

    Returns:
        The adapted `Vectorizer`, or `None` for tasks without strings
        (time series, music).

    Example:

    >>> vectorizer = build_vectorizer("sst2", data_dir="data",  # doctest: +SKIP
    ...                               vocabulary_size=20000)
    """
    task, info = formatting.resolve_task(data, task)
    examples = _examples(data, "train", data_dir, load_options)
    inputs, targets = task.resolve_features(
        examples.element_spec, inputs, targets
    )
    if standardize is None and info is not None:
        standardize = formatting.STANDARDIZE.get(info.name)
    options = {"characters": characters, "lowercase": lowercase}
    vectorizer = task.new_vectorizer(
        inputs, targets, vocabulary_size, standardize, **options
    )
    if vectorizer is None:
        return None
    if task.streamed:
        level = _level(info, level)
    return vectorizer.adapt(
        task.adaptation_examples(
            examples, level, inputs if characters else None
        )
    )


def _language_model_pipeline(
    examples, vectorizer, level, batch_size, bptt, drop_remainder, shuffle
):
    if shuffle:
        raise ValueError(
            "Language-modelling batches are contiguous streams for stateful "
            "truncated BPTT and cannot be shuffled; got shuffle=True."
        )
    feature = formatting.LANGUAGE_MODEL_FEATURE
    ids = examples.map(
        lambda example: vectorizer.vectorize(
            feature, tokenize(example["text"], level)
        ),
        num_parallel_calls=AUTOTUNE,
    )
    chunks = ids.ragged_batch(1024).map(flatten)
    stream = np.concatenate([chunk.numpy() for chunk in chunks])
    windows = bptt_batches(stream, batch_size, bptt, drop_remainder)
    return windows.prefetch(AUTOTUNE)


def make_pipeline(
    data,
    split: str = "train",
    batch_size: int = 32,
    *,
    task: str | None = None,
    vectorizer: Vectorizer | None = None,
    inputs: str | None = None,
    targets: str | None = None,
    buckets: Sequence[int] | None = None,
    sequence_length: int | None = None,
    drop_remainder: bool = False,
    shuffle: bool | None = None,
    shuffle_buffer_size: int | None = None,
    seed: int | None = None,
    cache: bool | str = True,
    bptt: int = 35,
    level: str | None = None,
    max_word_length: int | None = None,
    lowercase: bool | None = None,
    data_dir=None,
    load_options: Mapping | None = None,
) -> tf.data.Dataset:
    """Builds a batched, vectorized `tf.data` pipeline for one split.

    Load, vectorize and truncate each example, cache, shuffle, pad and
    batch, prefetch. What a batch holds depends on the task:

    * `text_classification`: `(token_ids (B, T), labels (B,))`;
    * `time_series_classification`: `(features (B, T, F), labels (B,))`;
    * `tagging`: `(token_ids (B, T), tag_ids (B, T))`; with
      `max_word_length`, `({"token_ids": (B, T), "character_ids": (B, T,
      max_word_length)}, tag_ids (B, T))`;
    * `translation`: `({"source": (B, S), "target_in": (B, T)},
      target_out (B, T))`;
    * `captioning`: `({"image": (B, H, W, C), "caption_in": (B, T)},
      caption_out (B, T))`;
    * `music_modelling`: `(rolls (B, T, 88), next rolls (B, T, 88),
      sample_weights (B, T))`;
    * `language_modelling`: `(token_ids (B, bptt), next_token_ids
      (B, bptt))`;
    * `tree_classification`: `({"token_ids": (B, N), "children": (B, N,
      2)}, labels (B, N))`, N nodes in post-order (see
      `rnnzoo.data.tree_batches`); padding nodes have token id 0 and
      children and label -1, and trees are bucketed by their number of
      nodes (never truncated: a larger tree than the largest bucket is an
      error).

    The dict keys are the input names of `rnnzoo.models.Seq2Seq` and
    `ImageCaptioner`. Ids are int32 with 0 for padding (use
    `mask_zero=True`); features are float32 padded with 0.0 (MNIST rows
    scaled to [0, 1]; captioning images keep their [0, 255] pixels, which
    the captioner's backbone rescales); decoder inputs start with
    `[start]` and targets end with `[end]`; music sample weights are 0 on
    padded steps.

    Language modelling is different: the split becomes one token stream
    (`<eos>` after each PTB sentence), cut into `batch_size` contiguous
    streams and windows of `bptt` steps, in order (`bptt_batches`): feed a
    `stateful=True` model and never shuffle.

    Args:
        data: A dataset name (`list_datasets()`) or a `tf.data.Dataset`
            of raw examples (as `load` returns), with `task=`.
        split: `"train"`, `"validation"` or `"test"`; shuffled by default
            only when `"train"`.
        batch_size: Examples per batch.
        task: The task shape; required with a `tf.data.Dataset`.
        vectorizer: The vectorizer adapted on the training split
            (`build_vectorizer`); required for tasks with strings.
        inputs: The input feature (default by task).
        targets: The target feature (default by task; e.g. `"xpos"`).
        buckets: Padded lengths, e.g. `[100, 200, 400]`: each batch is
            padded to the smallest that holds its examples, so an
            accelerator sees `len(buckets)` shapes; longer examples are
            truncated to the largest.
        sequence_length: Truncate to this length; without `buckets`, also
            pad every batch to it (one static shape). With neither, each
            batch is padded to its longest example.
        drop_remainder: Drop partial batches so the batch size is static.
        shuffle: Shuffle the examples (default: `split == "train"`).
        shuffle_buffer_size: Examples in the shuffle buffer; `None`
            (default) holds the whole split when its size is known.
        seed: Shuffle seed.
        cache: `True` caches the vectorized examples in memory, a string
            in files with that prefix, `False` not at all.
        bptt: Window length, for language modelling.
        level: `"word"` or `"character"`, for language modelling of a
            `tf.data.Dataset`.
        max_word_length: For tagging, also give each token's first
            `max_word_length` character ids (0-padded), from a vectorizer
            built with `characters=True`.
        lowercase: Whether the vectorizer lowercases the tokens, as it was
            built (`build_vectorizer(..., lowercase=True)`): it does so by
            itself; a value that says otherwise is an error.
        data_dir: Where the local files are (see `load`).
        load_options: Extra options of `load` (e.g. `{"seed": 1}`).

    Returns:
        A `tf.data.Dataset` of batches, prefetched.

    Example:

    >>> vectorizer = build_vectorizer(  # doctest: +SKIP
    ...     "imdb", vocabulary_size=20000)
    >>> train = make_pipeline(  # doctest: +SKIP
    ...     "imdb", "train", 64, vectorizer=vectorizer,
    ...     buckets=[100, 200, 400], drop_remainder=True)
    >>> model.fit(train, epochs=5)  # doctest: +SKIP
    """
    task, info = formatting.resolve_task(data, task)
    split = registry.normalize_split(split)
    if shuffle is None:
        shuffle = split == "train" and not task.streamed
    examples = _examples(data, split, data_dir, load_options)
    inputs, targets = task.resolve_features(
        examples.element_spec, inputs, targets
    )
    if task.needs_vectorizer and vectorizer is None:
        name = data if isinstance(data, str) else "<examples>"
        raise ValueError(
            f"A {task.name} pipeline needs the vectorizer adapted on the "
            "training split: vectorizer = rnnzoo.data.build_vectorizer("
            f"{name!r}, ...), then make_pipeline(..., vectorizer=vectorizer)."
        )
    if max_word_length is not None:
        _check_characters(task, vectorizer, max_word_length)
    if lowercase is not None and vectorizer is not None:
        lowercased = inputs in vectorizer.lowercase
        if bool(lowercase) != lowercased:
            raise ValueError(
                f"The vectorizer {'does' if lowercased else 'does not'} "
                f"lowercase {inputs!r}, got lowercase={lowercase!r}: pass "
                "a vectorizer built with build_vectorizer(..., "
                f"lowercase={bool(lowercase)})"
            )
    if task.streamed:
        if buckets is not None or sequence_length is not None:
            raise ValueError(
                "Language-modelling windows have `bptt` steps: pass bptt=, "
                "not buckets= or sequence_length="
            )
        return _language_model_pipeline(
            examples,
            vectorizer,
            _level(info, level),
            batch_size,
            bptt,
            drop_remainder,
            shuffle,
        )
    buckets, max_length = check_buckets(buckets, sequence_length)
    task.check_examples(examples, inputs)
    format_fn, length_fn = task.formatter(
        vectorizer, inputs, targets, max_length, max_word_length
    )
    prepared = examples.map(format_fn, num_parallel_calls=AUTOTUNE)
    prepared = cache_and_shuffle(
        prepared, cache, shuffle, shuffle_buffer_size, seed
    )
    batches = pad_and_batch(
        prepared,
        batch_size,
        length_fn,
        buckets=buckets,
        sequence_length=sequence_length,
        drop_remainder=drop_remainder,
        padding_values=task.padding_values(),
    )
    return batches.prefetch(AUTOTUNE)


def _check_characters(task, vectorizer, max_word_length):
    if not task.takes_characters:
        raise ValueError(
            f"Character ids (`max_word_length`) are for tagging, got a "
            f"{task.name} pipeline with max_word_length={max_word_length!r}"
        )
    check_positive_int("max_word_length", max_word_length, allow_none=True)
    if formatting.CHARACTERS_FEATURE not in vectorizer.features:
        raise ValueError(
            "Character ids need a vectorizer with a character vocabulary: "
            "build_vectorizer(..., characters=True); got one with features "
            f"{vectorizer.features}"
        )
