"""Static shapes for accelerators, and the contiguous batches of truncated
BPTT."""

import numpy as np
import pytest
import tensorflow as tf

import rnnzoo.data as data
from rnnzoo.data.batching import cache_and_shuffle
from rnnzoo.data.batching import check_buckets
from tests.data import fixture_files as files


def ragged_examples(rng, lengths, features=None):
    """`(sequence, label)` examples of the given lengths; the sequence of
    ids 1..length, or of `features`-wide frames."""
    shape = () if features is None else (features,)

    def generator():
        for length in lengths:
            steps = np.arange(1, length + 1, dtype=np.float32)
            values = steps.reshape(-1, *([1] * len(shape))) * np.ones(shape)
            yield values.astype(np.float32), np.int32(length)

    return tf.data.Dataset.from_generator(
        generator,
        output_signature=(
            tf.TensorSpec((None, *shape), tf.float32),
            tf.TensorSpec((), tf.int32),
        ),
    )


def collect_shapes(batches):
    return [tuple(x.shape) for x, _ in batches]


@pytest.mark.parametrize("drop_remainder", [False, True])
def test_bucketing_yields_only_the_declared_shapes(rng, drop_remainder):
    buckets = [4, 8, 16]
    lengths = rng.integers(1, 30, size=200)
    examples = ragged_examples(rng, lengths).map(
        lambda x, y: (x[: buckets[-1]], y)
    )
    batches = list(
        data.pad_and_batch(
            examples,
            batch_size=8,
            length_fn=lambda x, y: tf.shape(x)[0],
            buckets=buckets,
            drop_remainder=drop_remainder,
        )
    )
    shapes = collect_shapes(batches)
    assert {length for _, length in shapes} <= set(buckets)
    if drop_remainder:
        assert {size for size, _ in shapes} == {8}
    else:
        assert sum(size for size, _ in shapes) == len(lengths)
    for x, original_lengths in batches:
        padded = x.shape[1]
        # Each example sits in the smallest bucket that holds it.
        true_lengths = np.minimum(original_lengths.numpy(), buckets[-1])
        smallest = [min(b for b in buckets if b >= n) for n in true_lengths]
        assert set(smallest) == {padded}
        # Its values are intact and the rest is zero padding.
        for row, length in zip(x.numpy(), true_lengths):
            np.testing.assert_array_equal(
                row[:length], np.arange(1, length + 1)
            )
            assert not row[length:].any()


def test_bucketing_pads_frames_of_fixed_width(rng):
    examples = ragged_examples(rng, [3, 5, 9, 2], features=12)
    batches = data.pad_and_batch(
        examples, 2, lambda x, y: tf.shape(x)[0], buckets=[5, 10]
    )
    shapes = collect_shapes(batches)
    assert {shape[1:] for shape in shapes} == {(5, 12), (10, 12)}
    assert sum(shape[0] for shape in shapes) == 4


def test_sequence_length_without_buckets_is_one_static_shape(rng):
    examples = ragged_examples(rng, [3, 7, 2, 6, 1])
    batches = data.pad_and_batch(
        examples, 2, lambda x, y: tf.shape(x)[0], sequence_length=7
    )
    assert collect_shapes(batches) == [(2, 7), (2, 7), (1, 7)]
    longest = data.pad_and_batch(examples, 2, lambda x, y: tf.shape(x)[0])
    assert collect_shapes(longest) == [(2, 7), (2, 6), (1, 1)]


@pytest.mark.parametrize(
    "buckets, sequence_length, message",
    [
        ([], None, "non-empty"),
        ([8, 0], None, "positive"),
        ([8, 8], None, "repeat"),
        ([8, 16], 32, "largest bucket"),
        (None, 0, "sequence_length"),
    ],
)
def test_bucket_arguments_are_checked(buckets, sequence_length, message):
    with pytest.raises(ValueError, match=message):
        check_buckets(buckets, sequence_length)


def test_buckets_are_sorted_and_set_the_truncation_length():
    assert check_buckets([64, 16, 32], None) == ([16, 32, 64], 64)
    assert check_buckets([16, 32], 20) == ([16, 32], 20)


@pytest.mark.parametrize("drop_remainder", [False, True])
def test_bptt_batches_reassemble_the_original_stream(rng, drop_remainder):
    stream = rng.integers(0, 1000, size=1003)
    batch_size, bptt = 4, 7
    windows = list(data.bptt_batches(stream, batch_size, bptt, drop_remainder))
    inputs = np.concatenate([x.numpy() for x, _ in windows], axis=1)
    targets = np.concatenate([y.numpy() for _, y in windows], axis=1)
    steps = len(stream) // batch_size
    rows = stream[: steps * batch_size].reshape(batch_size, steps)
    covered = inputs.shape[1]
    # Row b of consecutive windows is one contiguous piece of the stream...
    np.testing.assert_array_equal(inputs, rows[:, :covered])
    # ...and the targets are the same piece one token later.
    np.testing.assert_array_equal(targets, rows[:, 1 : covered + 1])
    # Concatenated row after row, the rows give back the stream.
    np.testing.assert_array_equal(
        rows.reshape(-1), stream[: steps * batch_size]
    )
    if drop_remainder:
        assert {tuple(x.shape) for x, _ in windows} == {(batch_size, bptt)}
        assert covered == (steps - 1) // bptt * bptt
    else:
        assert covered == steps - 1
        assert all(x.shape == (batch_size, bptt) for x, _ in windows[:-1])


def test_batchify_and_bptt_argument_errors():
    with pytest.raises(ValueError, match="too short"):
        data.batchify(np.arange(5), 4)
    with pytest.raises(ValueError, match="bptt"):
        data.bptt_batches(np.arange(50), 2, 0)
    with pytest.raises(ValueError, match="too few"):
        data.bptt_batches(np.arange(10), 2, 10, drop_remainder=True)


def test_training_shuffle_mixes_a_split_stored_class_by_class():
    # IMDB's files come as all positive reviews, then all negative ones:
    # a shuffle buffer smaller than the split would train on one class at
    # a time.
    labels = np.repeat([1, 0], 15_000)
    dataset = cache_and_shuffle(
        tf.data.Dataset.from_tensor_slices(labels), shuffle=True, seed=0
    )
    first_batch = next(iter(dataset.batch(256))).numpy()
    assert 0.3 < first_batch.mean() < 0.7


def test_loaded_splits_know_their_size_so_shuffling_covers_them(tmp_path):
    files.write_imdb_folder(tmp_path / "imdb")
    examples = data.load("imdb", "train", data_dir=tmp_path)
    assert int(examples.cardinality()) == sum(
        len(reviews) for reviews in files.IMDB_REVIEWS["train"].values()
    )
