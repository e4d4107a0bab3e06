"""Sequence-to-sequence translation: Multi30k English–German.

Examples are `{"en": string, "de": string}`, one aligned sentence pair.
"""

import tensorflow as tf

from rnnzoo.data.examples import examples_dataset
from rnnzoo.data.files import DataFormatError
from rnnzoo.data.files import find_file
from rnnzoo.data.files import read_lines
from rnnzoo.data.files import reject_options

MULTI30K_SOURCE = (
    "https://github.com/multi30k/dataset (data/task1/raw: "
    "{train,val,test_2016_flickr}.{en,de}.gz)"
)
MULTI30K_FILES = {
    "train": "train",
    "validation": "val",
    "test": "test_2016_flickr",
}
TRANSLATION_DTYPES = {"en": tf.string, "de": tf.string}


def read_parallel_lines(paths: dict) -> dict:
    """Reads line-aligned files, one per language.

    Args:
        paths: Language code to a (possibly gzipped) file of one sentence
            per line.

    Returns:
        Language code to its list of sentences (surrounding whitespace
        stripped).

    Raises:
        DataFormatError: the files have different numbers of lines.
    """
    columns = {
        language: [line.strip() for line in read_lines(path)]
        for language, path in paths.items()
    }
    sizes = {str(paths[language]): len(v) for language, v in columns.items()}
    if len(set(sizes.values())) != 1:
        raise DataFormatError(
            "Parallel files must have one sentence per line each, in the "
            f"same order; their line counts differ: {sizes}."
        )
    return columns


def load_multi30k_en_de(split: str, data_dir, **options) -> tf.data.Dataset:
    """Loads Multi30k task 1 English–German (Elliott et al. 2016).

    Reads `data_dir/multi30k/{train,val,test_2016_flickr}.{en,de}.gz` (or
    uncompressed): 29,000 / 1,014 / 1,000 sentence pairs; `val` is the
    validation split and the 2016 Flickr test set the test split.

    Args:
        split: `"train"`, `"validation"` or `"test"`.
        data_dir: The data root or the Multi30k folder.
        **options: None are accepted.

    Returns:
        A dataset of `{"en": string, "de": string}`.
    """
    reject_options("multi30k_en_de", options)
    stem = MULTI30K_FILES[split]
    paths = {
        language: find_file(
            data_dir,
            "multi30k",
            [f"{stem}.{language}.gz", f"{stem}.{language}"],
            "multi30k_en_de",
            MULTI30K_SOURCE,
        )
        for language in ("en", "de")
    }
    columns = read_parallel_lines(paths)
    if not columns["en"]:
        raise DataFormatError(f"{paths['en']} holds no sentences.")
    return examples_dataset(columns, TRANSLATION_DTYPES)
