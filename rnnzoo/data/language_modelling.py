"""Language modelling: Penn Treebank words, Tiny Shakespeare characters,
and the contiguous batches of stateful truncated BPTT.

Loaders yield `{"text": string}` examples: one per sentence line for PTB,
one per split (the whole text) for Tiny Shakespeare. `tokenize` splits
them into words (with `<eos>`) or characters; `batchify` and `bptt_batches`
cut the split's stream of ids into `batch_size` parallel streams and
windows of `bptt` steps.
"""

import numpy as np
import tensorflow as tf

from rnnzoo.data.examples import examples_dataset
from rnnzoo.data.files import DataFormatError
from rnnzoo.data.files import find_file
from rnnzoo.data.files import read_lines
from rnnzoo.data.files import read_text
from rnnzoo.data.files import reject_options

PTB_SOURCE = (
    "http://www.fit.vutbr.cz/~imikolov/rnnlm/simple-examples.tgz "
    "(data/ptb.{train,valid,test}.txt, Mikolov's preprocessing)"
)
TINY_SHAKESPEARE_SOURCE = (
    "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/"
    "tinyshakespeare/input.txt"
)
END_OF_SENTENCE = "<eos>"
TINY_SHAKESPEARE_TRAIN_FRACTION = 0.9
LANGUAGE_MODEL_DTYPES = {"text": tf.string}


def load_ptb(split: str, data_dir, **options) -> tf.data.Dataset:
    """Loads word-level Penn Treebank (Mikolov et al. 2010 preprocessing).

    Reads `data_dir/ptb/ptb.{train,valid,test}.txt.gz` (or the plain
    `.txt` of `simple-examples.tgz`): 42,068 / 3,370 / 3,761 sentence
    lines, a 10,000-word vocabulary with `<unk>` and `N` for numbers;
    887,521 training words, 929,589 with one `<eos>` per sentence.

    Args:
        split: `"train"`, `"validation"` or `"test"`.
        data_dir: The data root or the PTB folder.
        **options: None are accepted.

    Returns:
        A dataset of `{"text": string}`, one sentence per element, its
        surrounding spaces stripped; `tokenize` appends `<eos>`.
    """
    reject_options("ptb", options)
    suffix = {"train": "train", "validation": "valid", "test": "test"}[split]
    path = find_file(
        data_dir,
        "ptb",
        [f"ptb.{suffix}.txt.gz", f"ptb.{suffix}.txt"],
        "ptb",
        PTB_SOURCE,
    )
    lines = [line.strip() for line in read_lines(path)]
    lines = [line for line in lines if line]
    if not lines:
        raise DataFormatError(f"{path} holds no sentences.")
    return examples_dataset({"text": lines}, LANGUAGE_MODEL_DTYPES)


def split_tiny_shakespeare(text: str, split: str) -> str:
    """The first 90% of the characters for `"train"`, the last 10% for
    `"validation"` (the split of Karpathy's char-rnn)."""
    cut = int(len(text) * TINY_SHAKESPEARE_TRAIN_FRACTION)
    return text[:cut] if split == "train" else text[cut:]


def load_tiny_shakespeare(split: str, data_dir, **options) -> tf.data.Dataset:
    """Loads Tiny Shakespeare (Karpathy's char-rnn data) from `input.txt`.

    The file has no splits: the first 90% of its 1,115,394 characters are
    `"train"` (1,003,854), the last 10% `"validation"` (111,540). (TFDS's
    `tiny_shakespeare` has the same training text and cuts the rest into
    validation and test halves.)

    Args:
        split: `"train"` or `"validation"`.
        data_dir: The data root or the folder with `input.txt`.
        **options: None are accepted.

    Returns:
        A dataset of one `{"text": string}` element, the split's text.
    """
    reject_options("tiny_shakespeare", options)
    path = find_file(
        data_dir,
        "tinyshakespeare",
        ["input.txt", "input.txt.gz"],
        "tiny_shakespeare",
        TINY_SHAKESPEARE_SOURCE,
    )
    text = read_text(path)
    if not text:
        raise DataFormatError(f"{path} is empty.")
    return examples_dataset(
        {"text": [split_tiny_shakespeare(text, split)]}, LANGUAGE_MODEL_DTYPES
    )


def tokenize(text, level: str):
    """Splits a scalar string into tokens.

    Args:
        text: A scalar string tensor.
        level: `"word"` (whitespace-separated words, then `<eos>`) or
            `"character"` (Unicode characters, newlines included).

    Returns:
        A 1D string tensor.
    """
    if level == "word":
        words = tf.strings.split(text)
        return tf.concat([words, [END_OF_SENTENCE]], axis=0)
    if level == "character":
        return tf.strings.unicode_split(text, "UTF-8")
    raise ValueError(
        f"`level` must be 'word' or 'character', got level={level!r}"
    )


def batchify(token_ids, batch_size: int) -> np.ndarray:
    """Cuts one stream into `batch_size` contiguous streams (PTB-style).

    Drops the last `len(token_ids) % batch_size` tokens, then row `b` holds
    tokens `b * steps ... (b + 1) * steps - 1`, so each row continues
    itself from one window of `bptt_batches` to the next.

    Args:
        token_ids: A 1D array of token ids.
        batch_size: Number of parallel streams.

    Returns:
        An array `(batch_size, len(token_ids) // batch_size)`.

    Example:

    >>> batchify(np.arange(10), 3)
    array([[0, 1, 2],
           [3, 4, 5],
           [6, 7, 8]])
    """
    token_ids = np.asarray(token_ids)
    if token_ids.ndim != 1:
        raise ValueError(f"`token_ids` must be 1D, got shape {token_ids.shape}")
    if not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(
            "`batch_size` must be a positive integer, got "
            f"batch_size={batch_size!r}"
        )
    steps = len(token_ids) // batch_size
    if steps < 2:
        raise ValueError(
            f"A stream of {len(token_ids)} tokens is too short for "
            f"batch_size={batch_size}: each stream needs 2 tokens or more."
        )
    return token_ids[: steps * batch_size].reshape(batch_size, steps)


def bptt_batches(
    token_ids, batch_size: int, bptt: int, drop_remainder: bool = False
) -> tf.data.Dataset:
    """Contiguous `(inputs, targets)` windows for stateful truncated BPTT.

    The stream is `batchify`-ed into `batch_size` rows; window `k` holds
    steps `k * bptt ... (k + 1) * bptt - 1` of every row as inputs and the
    same steps shifted by one as targets. Row `b` of window `k + 1`
    continues row `b` of window `k`, so a `stateful=True` model carries
    its state across windows (reset it once per epoch). Never shuffle.

    Args:
        token_ids: A 1D array of token ids, the whole split.
        batch_size: Number of parallel streams (the batch size).
        bptt: Steps per window (truncation length of backpropagation).
        drop_remainder: Whether to drop the last, shorter window, so every
            batch is `(batch_size, bptt)`.

    Returns:
        A dataset of int32 `(inputs, targets)`, each `(batch_size, bptt)`
        (the last `(batch_size, shorter)` unless dropped).

    Example:

    >>> batches = bptt_batches(np.arange(20), batch_size=2, bptt=4)
    >>> [x.numpy().tolist() for x, _ in batches][0]
    [[0, 1, 2, 3], [10, 11, 12, 13]]
    """
    if not isinstance(bptt, int) or bptt < 1:
        raise ValueError(
            f"`bptt` must be a positive integer, got bptt={bptt!r}"
        )
    streams = tf.constant(batchify(token_ids, batch_size), tf.int32)
    steps = int(streams.shape[1]) - 1
    windows = steps // bptt if drop_remainder else -(-steps // bptt)
    if windows == 0:
        raise ValueError(
            f"Each of the {batch_size} streams has {steps + 1} tokens, too "
            f"few for one window of bptt={bptt} with drop_remainder=True."
        )

    def window(index):
        start = tf.cast(index, tf.int32) * bptt
        stop = tf.minimum(start + bptt, steps)
        inputs = streams[:, start:stop]
        targets = streams[:, start + 1 : stop + 1]
        if drop_remainder:
            inputs = tf.ensure_shape(inputs, (batch_size, bptt))
            targets = tf.ensure_shape(targets, (batch_size, bptt))
        return inputs, targets

    return tf.data.Dataset.range(windows).map(window)
