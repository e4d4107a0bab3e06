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


def reversal(rng, num_samples, vocab_size=10, min_length=3, max_length=7):
    """Source ids from `3..vocab_size-1` (0 pads; 1 and 2 are the start
    and end tokens), padded to `max_length`, and the target: the source
    reversed, padded likewise."""
    lengths = random_lengths(rng, num_samples, min_length, max_length)
    mask = pad_mask(lengths, max_length)
    source = np.where(
        mask, rng.integers(3, vocab_size, size=mask.shape), 0
    ).astype("int32")
    target = np.zeros_like(source)
    for row, length in enumerate(lengths):
        target[row, :length] = source[row, :length][::-1]
    return source, target


def with_end_token(target, end_token, max_length):
    """Right-padded ids with `end_token` after the last real one, padded
    to `max_length`: what a generator should emit."""
    expected = np.zeros((len(target), max_length), dtype="int32")
    expected[:, : target.shape[1]] = target
    expected[np.arange(len(target)), (target != 0).sum(-1)] = end_token
    return expected


def fibonacci_grammar(rng, num_samples, length=12, modulus=7):
    """Sentences of a deterministic grammar: two random first symbols,
    then every symbol is the sum of the two before it, mod `modulus`.
    Symbol `s` is token id `s + 1` (0 pads), so `vocab_size` is
    `modulus + 1`; the first two tokens determine the rest."""
    symbols = np.zeros((num_samples, length), dtype="int64")
    symbols[:, :2] = rng.integers(0, modulus, size=(num_samples, 2))
    for step in range(2, length):
        symbols[:, step] = (symbols[:, step - 1] + symbols[:, step - 2]) % (
            modulus
        )
    return (symbols + 1).astype("int32")


# A chord progression over 12 pitch classes in which C major is followed by
# F the first time and by G the second: the next chord depends on more
# than the current one.
PROGRESSION = [(0, 4, 7), (5, 9, 0), (0, 4, 7), (7, 11, 2), (9, 0, 4)]


def chord_progression(rng, num_samples, length=12, num_notes=12):
    """Multi-hot piano rolls `(num_samples, length, num_notes)` cycling
    through `PROGRESSION` from a random phase."""
    chords = np.zeros((len(PROGRESSION), num_notes), dtype="float32")
    for index, notes in enumerate(PROGRESSION):
        chords[index, list(notes)] = 1.0
    phases = rng.integers(0, len(PROGRESSION), size=num_samples)
    steps = (phases[:, None] + np.arange(length)[None, :]) % len(PROGRESSION)
    return chords[steps]


SHAPE_WORDS = ("bar", "column", "box", "cross")


def shape_strips(rng, num_samples, cells=3, size=12, noise=20.0):
    """Grey images of `cells` side-by-side squares, each empty or holding
    one of four shapes (`SHAPE_WORDS`), and their captions: the shapes
    left to right, word `w` as id `3 + w` (0 pads; 1 and 2 are the start
    and end tokens), at least one shape per image.

    Returns `(images, captions)`: float32 `(num_samples, size, cells *
    size, 1)` pixels in `[0, 255]` and int32 `(num_samples, cells)`.
    """
    stamps = np.zeros((len(SHAPE_WORDS), size, size), dtype="float32")
    low, high = size // 4, size - size // 4
    stamps[0, size // 2 - 1 : size // 2 + 1, low:high] = 255.0
    stamps[1, low:high, size // 2 - 1 : size // 2 + 1] = 255.0
    stamps[2, low:high, low:high] = 255.0
    stamps[2, low + 1 : high - 1, low + 1 : high - 1] = 0.0
    stamps[3, size // 2 - 1 : size // 2 + 1, low:high] = 255.0
    stamps[3, low:high, size // 2 - 1 : size // 2 + 1] = 255.0
    contents = rng.integers(-1, len(SHAPE_WORDS), size=(num_samples, cells))
    empty = (contents < 0).all(-1)
    contents[empty, rng.integers(0, cells, size=empty.sum())] = 0
    images = rng.uniform(0.0, noise, size=(num_samples, size, cells * size))
    captions = np.zeros((num_samples, cells), dtype="int32")
    for row in range(num_samples):
        words = []
        for cell, shape in enumerate(contents[row]):
            if shape >= 0:
                block = images[row, :, cell * size : (cell + 1) * size]
                np.maximum(block, stamps[shape], out=block)
                words.append(3 + shape)
        captions[row, : len(words)] = words
    return images[..., None].astype("float32"), captions
