"""Publishing a run: the archive lands in the hub with its hash, the config
gains a checked `weights:` entry without losing its hand-written part, and
the manifest is generated from the files."""

import json

import pytest
import yaml

from rnnzoo import models
from rnnzoo.zoo import hub
from rnnzoo.zoo import presets
from rnnzoo.zoo import publish
from rnnzoo.zoo.schema import load_config

CONFIG_TEXT = """\
name: tiny
task: time_series_classification
description: >-
  A tiny classifier; this folded text must survive publishing.
architecture:
  class: SequenceClassifier
  arguments:
    num_classes: 3
    units: 4
    input_dim: 2
data:
  dataset: japanese_vowels
training:
  optimizer: adam
  learning_rate: 0.01
  epochs: 2
  batch_size: 8
"""


@pytest.fixture
def run_dir(tmp_path):
    """A run folder as `rnnzoo train` leaves it."""
    run = tmp_path / "run"
    model = models.SequenceClassifier(num_classes=3, units=4, input_dim=2)
    model(model.example_inputs())
    presets.save_preset(
        model,
        run / "preset",
        {
            "name": "tiny",
            "dataset": "japanese_vowels",
            "split": "test",
            "metrics": {"accuracy": 0.123456789, "loss": 1.5},
            "epochs": 2,
            "training": {"training_time_minutes": 0.26},
        },
    )
    presets.pack_preset(run / "preset", run / "tiny.tar.gz")
    return run


def test_publish_copies_hashes_and_registers(tmp_path, run_dir):
    config_path = tmp_path / "tiny.yaml"
    config_path.write_text(CONFIG_TEXT)
    hub_dir = tmp_path / "hub"
    entry = publish.weights_entry_from_run(
        run_dir, "vowels", "CC0", hub_dir=hub_dir, hardware="2 CPU cores"
    )
    archive = hub_dir / "tiny.vowels.tar.gz"
    assert entry["file"] == archive.name
    assert entry["sha256"] == hub.sha256_of(archive)
    assert entry["metrics"] == {"accuracy": 0.123457, "loss": 1.5}
    assert entry["parameters"] > 0 and entry["size_bytes"] > 0
    assert entry["training_time_minutes"] == 0.3
    config = publish.register_weights(config_path, entry)
    assert config["weights"] == [entry] and config["default_tag"] == "vowels"
    text = config_path.read_text()
    assert text.startswith(CONFIG_TEXT)  # the hand-written part is kept

    # Publishing the same tag again replaces its entry; another tag adds.
    again = dict(entry, metrics={"accuracy": 0.5})
    other = dict(entry, tag="other")
    publish.register_weights(config_path, again)
    config = publish.register_weights(config_path, other, default=False)
    assert [w["tag"] for w in config["weights"]] == ["vowels", "other"]
    assert config["weights"][0]["metrics"] == {"accuracy": 0.5}
    assert config["default_tag"] == "vowels"
    assert load_config(config_path) == config


def test_strip_generated_keeps_everything_else():
    generated = yaml.safe_dump(
        {"weights": [{"tag": "a", "metrics": {"x": 1}}], "default_tag": "a"}
    )
    assert publish.strip_generated(CONFIG_TEXT + generated) == CONFIG_TEXT


def test_manifest_lists_every_archive_with_size_and_hash(tmp_path, run_dir):
    hub_dir = tmp_path / "hub"
    publish.weights_entry_from_run(run_dir, "vowels", "CC0", hub_dir=hub_dir)
    manifest = json.loads(publish.write_manifest(hub_dir).read_text())
    archive = hub_dir / "tiny.vowels.tar.gz"
    assert manifest["files"] == [
        {
            "file": archive.name,
            "model": None,  # not a weight of the zoo's own configs
            "size_bytes": archive.stat().st_size,
            "sha256": hub.sha256_of(archive),
        }
    ]
