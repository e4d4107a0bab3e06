"""Batching for accelerators: padding to a few static lengths (bucket
boundaries), dropping the remainder, and the cache / shuffle / prefetch
steps every pipeline shares."""

from collections.abc import Callable
from collections.abc import Sequence

import tensorflow as tf

AUTOTUNE = tf.data.AUTOTUNE
# The shuffle buffer of a split whose size is unknown to tf.data.
FALLBACK_SHUFFLE_BUFFER_SIZE = 10_000


def check_buckets(
    buckets: Sequence[int] | None, sequence_length: int | None
) -> tuple[list[int] | None, int | None]:
    """Validates `buckets` and `sequence_length`.

    Returns:
        `(buckets, max_length)`: the sorted buckets (or `None`), and the
        length sequences are truncated to: `sequence_length`, else the
        largest bucket, else `None` (no truncation).
    """
    if sequence_length is not None and (
        not isinstance(sequence_length, int) or sequence_length < 1
    ):
        raise ValueError(
            "`sequence_length` must be a positive integer or None, got "
            f"sequence_length={sequence_length!r}"
        )
    if buckets is None:
        return None, sequence_length
    buckets = list(buckets)
    if not buckets or any(
        not isinstance(b, int) or isinstance(b, bool) or b < 1 for b in buckets
    ):
        raise ValueError(
            "`buckets` must be a non-empty list of positive integers, got "
            f"buckets={buckets!r}"
        )
    if len(set(buckets)) != len(buckets):
        raise ValueError(f"`buckets` must not repeat a length, got {buckets}")
    buckets = sorted(buckets)
    if sequence_length is not None and sequence_length > buckets[-1]:
        raise ValueError(
            f"The largest bucket must hold sequence_length={sequence_length}, "
            f"got buckets={buckets}"
        )
    return buckets, sequence_length or buckets[-1]


def _fixed_length_shapes(element_spec, length):
    def shape(spec):
        return tf.TensorShape(
            [length if dim is None else dim for dim in spec.shape.as_list()]
        )

    return tf.nest.map_structure(shape, element_spec)


def pad_and_batch(
    dataset: tf.data.Dataset,
    batch_size: int,
    length_fn: Callable,
    buckets: Sequence[int] | None = None,
    sequence_length: int | None = None,
    drop_remainder: bool = False,
    padding_values=None,
) -> tf.data.Dataset:
    """Batches variable-length examples, padding with zeros (or
    `padding_values`).

    Every dimension of unknown size (the steps) is padded:

    * with `buckets`: to the smallest bucket that holds the example, so
      batches come in `len(buckets)` lengths (`bucket_by_sequence_length`);
      each batch holds examples of one bucket only;
    * else with `sequence_length`: to that one length;
    * else: to the longest example of the batch.

    Examples must already be truncated to the largest bucket or
    `sequence_length` (`make_pipeline` does it).

    Args:
        dataset: Examples (any nested structure of tensors).
        batch_size: Examples per batch (per bucket).
        length_fn: `length_fn(*element)`, an example's length in steps.
        buckets: Padded lengths, e.g. `[16, 32, 64, 128]`.
        sequence_length: The one padded length when there are no buckets.
        drop_remainder: Whether to drop each bucket's last partial batch,
            so the batch dimension is static too (as TPUs want).
        padding_values: The value of padded entries, one scalar per
            component in the structure of an example (e.g. -1 for the
            children of a tree's padding nodes); `None` pads with zeros.

    Returns:
        The batched dataset.
    """
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(
            "`batch_size` must be a positive integer, got "
            f"batch_size={batch_size!r}"
        )
    buckets, _ = check_buckets(buckets, sequence_length)
    if buckets is not None:
        # TF's bucket i holds lengths < boundary i and pads to boundary - 1.
        boundaries = [length + 1 for length in buckets]
        return dataset.bucket_by_sequence_length(
            length_fn,
            bucket_boundaries=boundaries,
            bucket_batch_sizes=[batch_size] * (len(boundaries) + 1),
            padding_values=padding_values,
            pad_to_bucket_boundary=True,
            drop_remainder=drop_remainder,
        )
    if sequence_length is not None:
        return dataset.padded_batch(
            batch_size,
            padded_shapes=_fixed_length_shapes(
                dataset.element_spec, sequence_length
            ),
            padding_values=padding_values,
            drop_remainder=drop_remainder,
        )
    return dataset.padded_batch(
        batch_size,
        padding_values=padding_values,
        drop_remainder=drop_remainder,
    )


def cache_and_shuffle(
    dataset: tf.data.Dataset,
    cache: bool | str = True,
    shuffle: bool = False,
    shuffle_buffer_size: int | None = None,
    seed: int | None = None,
) -> tf.data.Dataset:
    """Caches the prepared examples, then shuffles them anew each epoch.

    Args:
        cache: `True` caches in memory, a string caches in files with that
            prefix, `False` does not cache.
        shuffle: Whether to shuffle.
        shuffle_buffer_size: Examples in the shuffle buffer. `None` holds
            the whole split when tf.data knows its size, so that files
            read class by class (IMDB's `pos/` then `neg/`) still mix in
            every batch; otherwise `FALLBACK_SHUFFLE_BUFFER_SIZE`.
        seed: Seed of the shuffle.
    """
    if cache:
        dataset = dataset.cache("" if cache is True else str(cache))
    if shuffle:
        if shuffle_buffer_size is None:
            size = int(dataset.cardinality())
            shuffle_buffer_size = (
                size if size > 0 else FALLBACK_SHUFFLE_BUFFER_SIZE
            )
        dataset = dataset.shuffle(
            shuffle_buffer_size, seed=seed, reshuffle_each_iteration=True
        )
    return dataset
