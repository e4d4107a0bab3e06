"""What each task shape needs from an example: which features are inputs
and targets, which vectorizer, and how one raw example becomes the
`(inputs, targets[, sample_weights])` a Keras model trains on."""

from collections.abc import Mapping

import tensorflow as tf

from rnnzoo.data import registry
from rnnzoo.data.conllu import UPOS_TAGS
from rnnzoo.data.language_modelling import tokenize
from rnnzoo.data.vectorizers import END_TOKEN
from rnnzoo.data.vectorizers import START_TOKEN
from rnnzoo.data.vectorizers import Vectorizer
from rnnzoo.data.vectorizers import text_vectorization
from rnnzoo.data.vectorizers import token_lookup

# Task to its default (inputs, targets) features.
DEFAULT_FEATURES = {
    registry.TEXT_CLASSIFICATION: ("text", "label"),
    registry.TIME_SERIES_CLASSIFICATION: ("series", "label"),
    registry.TAGGING: ("tokens", "upos"),
    registry.TRANSLATION: ("en", "de"),
    registry.LANGUAGE_MODELLING: ("text", None),
    registry.MUSIC_MODELLING: ("piano_roll", None),
    registry.CAPTIONING: ("image", "caption"),
    registry.FORECASTING: ("series", "target"),
}
# The standardization of datasets whose text is already tokenized.
STANDARDIZE = {"sst2": "lower", "sst2_phrases": "lower", "sst_trees": "lower"}
LANGUAGE_MODEL_FEATURE = "tokens"
# The vectorizer feature of a tagger's characters, and the input names of
# a tagger with character features (`rnnzoo.models.SequenceTagger`).
CHARACTERS_FEATURE = "characters"
TOKEN_IDS = "token_ids"
CHARACTER_IDS = "character_ids"


def resolve_task(data, task: str | None):
    """`(task, DatasetInfo or None)` of a dataset name or `tf.data`
    examples."""
    if isinstance(data, str):
        info = registry.dataset_info(data)
        if task is not None and task != info.task:
            raise ValueError(
                f"{data} is a {info.task} dataset, got task={task!r}"
            )
        return info.task, info
    if not isinstance(data, tf.data.Dataset):
        raise TypeError(
            "Pass a dataset name or a tf.data.Dataset of raw examples, got "
            f"{type(data).__name__}"
        )
    if task not in registry.TASKS:
        raise ValueError(
            f"With a tf.data.Dataset, pass task= one of {registry.TASKS}, "
            f"got task={task!r}"
        )
    return task, None


def resolve_features(task, element_spec, inputs=None, targets=None):
    """The `(inputs, targets)` feature names, checked against the
    examples."""
    default_inputs, default_targets = DEFAULT_FEATURES[task]
    if (
        task == registry.TIME_SERIES_CLASSIFICATION
        and "series" not in element_spec
    ):
        default_inputs = "image"
    inputs = inputs or default_inputs
    targets = targets or default_targets
    for name in (inputs, targets):
        if name is not None and name not in element_spec:
            raise ValueError(
                f"The examples have no feature {name!r}; they have "
                f"{sorted(element_spec)}"
            )
    return inputs, targets


def _size(vocabulary_size, feature):
    if isinstance(vocabulary_size, Mapping):
        return vocabulary_size.get(feature)
    return vocabulary_size


def new_vectorizer(
    task,
    inputs,
    targets,
    vocabulary_size=None,
    standardize=None,
    characters: bool = False,
    lowercase: bool = False,
) -> Vectorizer | None:
    """An unadapted vectorizer for a task, or `None` if it has no strings.

    Args:
        vocabulary_size: An int for every feature, or feature to int;
            `None` keeps every token of the training split.
        standardize: The text standardization (default
            `lower_and_split_punctuation`).
        characters: For tagging, also a lookup of the tokens' characters
            (feature `CHARACTERS_FEATURE`).
        lowercase: For tagging, lowercase the tokens before their lookup
            (their characters keep their case).
    """
    for name, value in (("characters", characters), ("lowercase", lowercase)):
        if value and task != registry.TAGGING:
            raise ValueError(
                f"`{name}` applies to tagging, got {name}=True for a "
                f"{task} task"
            )
    text = {} if standardize is None else {"standardize": standardize}
    if task == registry.TEXT_CLASSIFICATION:
        size = _size(vocabulary_size, inputs)
        return Vectorizer({inputs: text_vectorization(size, **text)})
    if task == registry.TAGGING:
        tags = UPOS_TAGS if targets == "upos" else None
        lookups = {
            inputs: token_lookup(_size(vocabulary_size, inputs)),
            targets: token_lookup(vocabulary=tags),
        }
        if characters:
            lookups[CHARACTERS_FEATURE] = token_lookup(
                _size(vocabulary_size, CHARACTERS_FEATURE)
            )
        return Vectorizer(lookups, lowercase=[inputs] if lowercase else None)
    if task == registry.TRANSLATION:
        return Vectorizer(
            {
                inputs: text_vectorization(
                    _size(vocabulary_size, inputs), **text
                ),
                targets: text_vectorization(
                    _size(vocabulary_size, targets), **text
                ),
            },
            reserved_tokens={targets: [START_TOKEN, END_TOKEN]},
        )
    if task == registry.CAPTIONING:
        size = _size(vocabulary_size, targets)
        return Vectorizer(
            {targets: text_vectorization(size, **text)},
            reserved_tokens={targets: [START_TOKEN, END_TOKEN]},
        )
    if task == registry.LANGUAGE_MODELLING:
        size = _size(vocabulary_size, LANGUAGE_MODEL_FEATURE)
        return Vectorizer({LANGUAGE_MODEL_FEATURE: token_lookup(size)})
    return None


def adaptation_examples(task, examples, level=None, inputs=None):
    """The examples a task's vectorizer adapts on (for language models, each
    text's tokens; for taggers, with `inputs` given, the characters of those
    tokens are added as `CHARACTERS_FEATURE`)."""
    if task == registry.LANGUAGE_MODELLING:
        return examples.map(
            lambda example: {
                LANGUAGE_MODEL_FEATURE: tokenize(example["text"], level)
            }
        )
    if task == registry.TAGGING and inputs is not None:
        return examples.map(
            lambda example: {
                **example,
                CHARACTERS_FEATURE: tf.strings.unicode_split(
                    example[inputs], "UTF-8"
                ).flat_values,
            }
        )
    return examples


def character_ids(vectorizer, tokens, max_word_length: int):
    """The character ids of each token, `(steps, max_word_length)` int32:
    the first `max_word_length` characters (Unicode code points) of each
    token looked up in the vectorizer's `CHARACTERS_FEATURE`, 0-padded.

    Example:

    >>> vectorizer = new_vectorizer(
    ...     registry.TAGGING, "tokens", "upos", characters=True)
    >>> examples = tf.data.Dataset.from_tensor_slices(
    ...     {"tokens": [["ab", "ba"]], "upos": [["X", "X"]]})
    >>> vectorizer = vectorizer.adapt(
    ...     adaptation_examples(registry.TAGGING, examples, inputs="tokens"))
    >>> vectorizer.vocabulary(CHARACTERS_FEATURE)
    ['', '[UNK]', 'b', 'a']
    >>> character_ids(vectorizer, tf.constant(["abc", "b"]), 2).numpy()
    array([[3, 2],
           [2, 0]], dtype=int32)
    """
    characters = tf.strings.unicode_split(tokens, "UTF-8")
    ids = characters.with_flat_values(
        vectorizer.vectorize(CHARACTERS_FEATURE, characters.flat_values)
    )
    return ids.to_tensor(shape=[None, max_word_length])


def _truncate(values, length):
    return values if length is None else values[:length]


def _markers(vectorizer, feature):
    """The `[start]` and `[end]` ids, looked up eagerly (not in a map)."""
    return (
        vectorizer.token_id(feature, START_TOKEN),
        vectorizer.token_id(feature, END_TOKEN),
    )


def _with_markers(ids, markers, max_length):
    """`([start] + ids, ids + [end])`, ids first cut to fit `max_length`."""
    start, end = markers
    ids = _truncate(ids, None if max_length is None else max_length - 1)
    return (
        tf.concat([[start], ids], axis=0),
        tf.concat([ids, [end]], axis=0),
    )


def _as_float(values):
    if values.dtype == tf.uint8:
        return tf.cast(values, tf.float32) / 255.0
    return tf.cast(values, tf.float32)


def _token_steps(x, y):
    if isinstance(x, dict):
        x = x[TOKEN_IDS]
    return tf.shape(x)[0]


def formatter(
    task, vectorizer, inputs, targets, max_length, max_word_length=None
):
    """`(format_fn, length_fn)`: `format_fn(example)` gives the model's
    `(inputs, targets[, sample_weights])`; `length_fn(*element)` its length
    in steps, for bucketing. With `max_word_length` (tagging), the inputs
    are `{TOKEN_IDS: ids, CHARACTER_IDS: character_ids(...)}`."""
    if task in (registry.TEXT_CLASSIFICATION, registry.TAGGING):

        def format_tokens(example):
            ids = _truncate(
                vectorizer.vectorize(inputs, example[inputs]), max_length
            )
            if max_word_length is not None:
                ids = {
                    TOKEN_IDS: ids,
                    CHARACTER_IDS: character_ids(
                        vectorizer,
                        _truncate(example[inputs], max_length),
                        max_word_length,
                    ),
                }
            if task == registry.TAGGING:
                target = _truncate(
                    vectorizer.vectorize(targets, example[targets]),
                    max_length,
                )
            else:
                target = tf.cast(example[targets], tf.int32)
            return ids, target

        return format_tokens, _token_steps
    if task == registry.TIME_SERIES_CLASSIFICATION:

        def format_series(example):
            series = _truncate(_as_float(example[inputs]), max_length)
            return series, tf.cast(example[targets], tf.int32)

        return format_series, lambda x, y: tf.shape(x)[0]
    if task == registry.FORECASTING:

        def format_window(example):
            # The most recent steps are the ones a forecast needs.
            series = _as_float(example[inputs])
            if max_length is not None:
                series = series[-max_length:]
            return series, _as_float(example[targets])

        return format_window, lambda x, y: tf.shape(x)[0]
    if task == registry.TRANSLATION:
        markers = _markers(vectorizer, targets)

        def format_pair(example):
            source = _truncate(
                vectorizer.vectorize(inputs, example[inputs]), max_length
            )
            target = vectorizer.vectorize(targets, example[targets])
            decoder_inputs, decoder_targets = _with_markers(
                target, markers, max_length
            )
            return (
                {"source": source, "target_in": decoder_inputs},
                decoder_targets,
            )

        def pair_length(x, y):
            return tf.maximum(tf.shape(x["source"])[0], tf.shape(y)[0])

        return format_pair, pair_length
    if task == registry.CAPTIONING:
        markers = _markers(vectorizer, targets)

        def format_caption(example):
            caption = vectorizer.vectorize(targets, example[targets])
            decoder_inputs, decoder_targets = _with_markers(
                caption, markers, max_length
            )
            # Pixels stay in [0, 255]: captioning backbones rescale them.
            image = tf.cast(example[inputs], tf.float32)
            return (
                {"image": image, "caption_in": decoder_inputs},
                decoder_targets,
            )

        return format_caption, lambda x, y: tf.shape(y)[0]
    if task == registry.MUSIC_MODELLING:

        def format_roll(example):
            roll = _truncate(
                tf.cast(example[inputs], tf.float32),
                None if max_length is None else max_length + 1,
            )
            steps = tf.shape(roll)[0] - 1
            return roll[:-1], roll[1:], tf.ones([steps], tf.float32)

        return format_roll, lambda x, y, weights: tf.shape(x)[0]
    raise ValueError(f"No per-example format for task {task!r}")
