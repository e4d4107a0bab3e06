"""Small synthetic tasks that a correctly wired architecture learns within a
few hundred steps, and a broken one (a shifted label, a padded step read as
data, a direction mixed up) does not."""

import numpy as np


def random_lengths(rng, num_samples, min_length, max_length):
    return rng.integers(min_length, max_length + 1, size=num_samples)


def pad_mask(lengths, steps):
    """Boolean `(num_samples, steps)`, True on the first `length` steps."""
    return np.arange(steps)[None, :] < np.asarray(lengths)[:, None]


def contains_token(rng, num_samples, vocab_size=8, max_length=10, token=1):
    """Token ids padded with 0; label 1 iff `token` occurs in the sequence.

    The other ids are drawn from `2..vocab_size-1`; half the sequences get
    `token` at one random step.
    """
    lengths = random_lengths(rng, num_samples, 3, max_length)
    ids = rng.integers(2, vocab_size, size=(num_samples, max_length))
    labels = rng.integers(0, 2, size=num_samples)
    for row, (length, label) in enumerate(zip(lengths, labels)):
        if label:
            ids[row, rng.integers(0, length)] = token
    ids = np.where(pad_mask(lengths, max_length), ids, 0)
    return ids.astype("int32"), labels.astype("int32")


def copy_with_label(
    rng, num_samples, vocab_size=12, num_tags=4, max_length=8, delay=0
):
    """Token ids padded with 0, and per-step tags.

    Every id has a fixed label (`label_of[id]`); the tag at step `t` is the
    label of the token at step `t - delay` (tag 0 before the sequence
    starts). Padded steps get random tags: they must not matter.
    """
    label_of = np.random.default_rng(42).integers(0, num_tags, vocab_size)
    lengths = random_lengths(rng, num_samples, 2, max_length)
    mask = pad_mask(lengths, max_length)
    ids = np.where(
        mask, rng.integers(1, vocab_size, size=mask.shape), 0
    ).astype("int32")
    labels = label_of[ids]
    if delay:
        labels = np.concatenate(
            [np.zeros_like(labels[:, :delay]), labels[:, :-delay]], axis=1
        )
    noise = rng.integers(0, num_tags, size=mask.shape)
    tags = np.where(mask, labels, noise)
    return ids, tags.astype("int32"), mask


def counting_runs(rng, num_samples, vocab_size=12, num_tags=4, max_length=8):
    """Like `copy_with_label(delay=0)`, but every sequence counts up
    through the ids `1..vocab_size-1` (wrapping around) from a random
    start, so the next and the previous token are predictable."""
    label_of = np.random.default_rng(42).integers(0, num_tags, vocab_size)
    lengths = random_lengths(rng, num_samples, 2, max_length)
    mask = pad_mask(lengths, max_length)
    starts = rng.integers(0, vocab_size - 1, size=(num_samples, 1))
    ids = 1 + (starts + np.arange(max_length)[None, :]) % (vocab_size - 1)
    ids = np.where(mask, ids, 0).astype("int32")
    noise = rng.integers(0, num_tags, size=mask.shape)
    tags = np.where(mask, label_of[ids], noise).astype("int32")
    return ids, tags, mask


def sine_forecast(rng, num_samples, max_length=12, mask_value=0.0):
    """Histories of sines of random frequency and phase, padded with
    `mask_value`; the target is the value one step after the history."""
    lengths = random_lengths(rng, num_samples, 6, max_length)
    omega = rng.uniform(0.3, 0.9, size=(num_samples, 1))
    phase = rng.uniform(0.0, 2 * np.pi, size=(num_samples, 1))
    steps = np.arange(max_length + 1)[None, :]
    waves = np.sin(omega * steps + phase)
    mask = pad_mask(lengths, max_length)
    features = np.where(mask, waves[:, :max_length], mask_value)
    targets = waves[np.arange(num_samples), lengths]
    return (
        features[..., None].astype("float32"),
        targets[:, None].astype("float32"),
    )
