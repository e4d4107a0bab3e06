"""Raw examples as `tf.data.Dataset`s of dicts, built from Python columns.

Each loader parses its files into columns (one list per feature) and turns
them into a dataset here, so every dataset yields dicts of tensors with a
fixed element spec: scalars for labels and texts, 1D tensors for token and
tag sequences, `(steps, features)` tensors for time series and piano rolls.
"""

from collections.abc import Mapping

import numpy as np
import tensorflow as tf


def _column_tensor(name, values, dtype):
    if len(values) == 0:
        raise ValueError(f"Column {name!r} is empty: no examples to load.")
    if isinstance(values, np.ndarray):
        return tf.constant(values, dtype=dtype)
    first = values[0]
    if isinstance(first, (list, tuple, np.ndarray)):
        numpy_dtype = tf.as_dtype(dtype).as_numpy_dtype
        arrays = [np.asarray(value, dtype=numpy_dtype) for value in values]
        lengths = [len(array) for array in arrays]
        inner_shape = arrays[0].shape[1:]
        flat = (
            np.concatenate(arrays)
            if sum(lengths)
            else np.zeros((0, *inner_shape), dtype=numpy_dtype)
        )
        return tf.RaggedTensor.from_row_lengths(
            tf.constant(flat, dtype=dtype), tf.constant(lengths, tf.int64)
        )
    return tf.constant(values, dtype=dtype)


def examples_dataset(
    columns: Mapping[str, list], dtypes: Mapping[str, object]
) -> tf.data.Dataset:
    """Builds a dataset of dict examples from equally long columns.

    Args:
        columns: Feature name to the values, one per example. A list holds
            scalars (a label, a text), or sequences of scalars (tokens,
            tags) or of fixed-size vectors (time-series frames), which come
            out with their own length each; a NumPy array `(examples,
            ...)` comes out with a fixed shape (images).
        dtypes: Feature name to the tensor dtype (`tf.string`, `tf.int64`,
            `tf.float32`, ...).

    Returns:
        A `tf.data.Dataset` whose elements are dicts of tensors; sequence
        features come out as dense tensors of their own length.

    Example:

    >>> dataset = examples_dataset(
    ...     {"tokens": [["a", "b"], ["c"]], "label": [0, 1]},
    ...     {"tokens": tf.string, "label": tf.int64},
    ... )
    >>> [len(example["tokens"]) for example in dataset]
    [2, 1]
    """
    sizes = {name: len(values) for name, values in columns.items()}
    if len(set(sizes.values())) != 1:
        raise ValueError(
            f"Columns must all have one value per example, got sizes {sizes}"
        )
    tensors = {
        name: _column_tensor(name, values, dtypes[name])
        for name, values in columns.items()
    }
    # Slices of a ragged column come out as plain tensors once mapped, so
    # the element spec is `TensorSpec((None, ...))`, as TFDS gives.
    return tf.data.Dataset.from_tensor_slices(tensors).map(
        lambda example: {k: tf.identity(v) for k, v in example.items()}
    )
