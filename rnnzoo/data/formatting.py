"""The pieces every task's per-example format is built from: the task a
dataset serves, feature names the pipelines agree on, character ids of
tokens, truncation and the `[start]`/`[end]` markers of generated targets.

The per-task formats themselves are methods of the tasks
(`rnnzoo.tasks.TaskShape.formatter`).
"""

from collections.abc import Mapping

import tensorflow as tf

from rnnzoo.data import registry
from rnnzoo.data.vectorizers import END_TOKEN
from rnnzoo.data.vectorizers import START_TOKEN
from rnnzoo.data.vectorizers import text_vectorization
from rnnzoo.tasks.registry import get_task

# The standardization of datasets whose text is already tokenized.
STANDARDIZE = {
    "sst2": "lower",
    "sst2_phrases": "lower",
    "sst_trees": "lower",
    "sst_treebank": "lower",
}
# The vectorizer feature of a language model's tokens.
LANGUAGE_MODEL_FEATURE = "tokens"
# The vectorizer feature of a tagger's characters.
CHARACTERS_FEATURE = "characters"


def resolve_task(data, task):
    """`(TaskShape, DatasetInfo or None)` of a dataset name, or of
    `tf.data` examples and the `task` name they serve."""
    if isinstance(data, str):
        info = registry.dataset_info(data)
        if task is not None and get_task(task).name != info.task:
            raise ValueError(
                f"{data} is a {info.task} dataset, got task={task!r}"
            )
        return get_task(info.task), info
    if not isinstance(data, tf.data.Dataset):
        raise TypeError(
            "Pass a dataset name or a tf.data.Dataset of raw examples, got "
            f"{type(data).__name__}"
        )
    if task is None:
        raise ValueError(
            "With a tf.data.Dataset, pass task=, the name of the task its "
            "examples serve (see rnnzoo.tasks.task_names())"
        )
    return get_task(task), None


def feature_size(vocabulary_size, feature):
    """The vocabulary size of one feature: `vocabulary_size` itself, or
    its entry for `feature` when it is a mapping."""
    if isinstance(vocabulary_size, Mapping):
        return vocabulary_size.get(feature)
    return vocabulary_size


def text_ids(vocabulary_size, feature, standardize=None):
    """The `text_vectorization` of one text feature: its size from
    `vocabulary_size` (`feature_size`), `standardize` when given, else the
    default standardization."""
    text = {} if standardize is None else {"standardize": standardize}
    return text_vectorization(feature_size(vocabulary_size, feature), **text)


def character_ids(vectorizer, tokens, max_word_length: int):
    """The character ids of each token, `(steps, max_word_length)` int32:
    the first `max_word_length` characters (Unicode code points) of each
    token looked up in the vectorizer's `CHARACTERS_FEATURE`, 0-padded.

    Example:

    >>> tagging = get_task("tagging")
    >>> vectorizer = tagging.new_vectorizer("tokens", "upos", characters=True)
    >>> examples = tf.data.Dataset.from_tensor_slices(
    ...     {"tokens": [["ab", "ba"]], "upos": [["X", "X"]]})
    >>> vectorizer = vectorizer.adapt(
    ...     tagging.adaptation_examples(examples, inputs="tokens"))
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


def truncate(values, length):
    """The first `length` values (all of them when `length` is `None`)."""
    return values if length is None else values[:length]


def markers(vectorizer, feature):
    """The `[start]` and `[end]` ids, looked up eagerly (not in a map)."""
    return (
        vectorizer.token_id(feature, START_TOKEN),
        vectorizer.token_id(feature, END_TOKEN),
    )


def with_markers(ids, start_and_end, max_length):
    """`([start] + ids, ids + [end])`, ids first cut to fit `max_length`:
    a decoder's inputs and targets under teacher forcing."""
    start, end = start_and_end
    ids = truncate(ids, None if max_length is None else max_length - 1)
    return (
        tf.concat([[start], ids], axis=0),
        tf.concat([ids, [end]], axis=0),
    )


def as_float(values):
    """float32 values; uint8 pixels scaled to [0, 1]."""
    if values.dtype == tf.uint8:
        return tf.cast(values, tf.float32) / 255.0
    return tf.cast(values, tf.float32)
