"""A tiny zoo for the tuning tests: configs written to a temporary folder
that `RNNZOO_CONFIGS` points the registry at."""

import numpy as np
import pytest
import yaml

# A time-series classifier whose search space holds a cell choice with
# `skip_rnn` and the skip length that exists only for it.
TINY_SKIP = {
    "name": "tiny_skip",
    "task": "time_series_classification",
    "description": "A tiny classifier for the tuning tests.",
    "architecture": {
        "class": "SequenceClassifier",
        "arguments": {
            "num_classes": 2,
            "cell": "gru",
            "units": 4,
            "input_dim": 3,
        },
    },
    "data": {"dataset": "japanese_vowels"},
    "training": {
        "optimizer": "adam",
        "learning_rate": 0.01,
        "clipnorm": 1.0,
        "epochs": 1,
        "batch_size": 8,
    },
    "search_space": {
        "cell": {"type": "choice", "values": ["gru", "skip_rnn", "mgu"]},
        "units": {"type": "choice", "values": [4, 6], "default": 4},
        "skip": {
            "type": "choice",
            "values": [1, 2],
            "parent": "cell",
            "parent_values": ["skip_rnn"],
        },
        "learning_rate": {
            "type": "float",
            "min": 0.001,
            "max": 0.1,
            "sampling": "log",
        },
    },
}


# A tiny sentiment classifier over SST-2 files: its vocabulary size comes
# from the data.
TINY_SENTIMENT = {
    "name": "tiny_sentiment",
    "task": "text_classification",
    "description": "A tiny sentiment classifier for the tuning tests.",
    "architecture": {
        "class": "SequenceClassifier",
        "arguments": {
            "num_classes": 1,
            "cell": "gru",
            "units": 4,
            "embedding_dim": 4,
        },
    },
    "data": {"dataset": "sst2", "vocabulary_size": 1000},
    "training": {
        "optimizer": "adam",
        "learning_rate": 0.01,
        "epochs": 1,
        "batch_size": 8,
    },
    "search_space": {
        "cell": {"type": "choice", "values": ["gru", "mgu"]},
        "units": {"type": "choice", "values": [4, 6]},
    },
}


def write_sst2(root, sizes=(24, 8, 8)):
    """SST-2 files (`sst2/stsa.binary.{train,dev,test}`, `label sentence`
    lines) whose label is the sentiment word a sentence holds."""
    rng = np.random.default_rng(0)
    folder = root / "sst2"
    folder.mkdir(parents=True, exist_ok=True)
    for split, size in zip(("train", "dev", "test"), sizes):
        lines = []
        for index in range(size):
            label = index % 2
            words = list(rng.choice(["the", "film", "was", "a", "plot"], 4))
            words.insert(2, "good" if label else "dull")
            lines.append(f"{label} {' '.join(words)}")
        (folder / f"stsa.binary.{split}").write_text("\n".join(lines) + "\n")
    return root


def write_configs(folder, *configs):
    folder.mkdir(parents=True, exist_ok=True)
    for config in configs:
        (folder / f"{config['name']}.yaml").write_text(
            yaml.safe_dump(config, sort_keys=False)
        )
    return folder


@pytest.fixture
def tiny_zoo(tmp_path, monkeypatch):
    """Points the registry at a folder holding `TINY_SKIP`; returns a
    function that adds configs to it."""
    folder = tmp_path / "configs"
    monkeypatch.setenv("RNNZOO_CONFIGS", str(folder))
    write_configs(folder, TINY_SKIP)
    return lambda *configs: write_configs(folder, *configs)


@pytest.fixture
def sequences():
    """Synthetic `(train, validation)` arrays for `TINY_SKIP`: the label
    is whether the first feature's sum is positive."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, 6, 3)).astype("float32")
    y = (x[:, :, 0].sum(axis=1) > 0).astype("int32")
    return (x[:32], y[:32]), (x[32:], y[32:])
