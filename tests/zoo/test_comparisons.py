"""Same recipe, other cells: a run's row lands in its config's
`comparisons:` without touching the rest, only runs that change nothing
but the cell are accepted, and the results page shows them against the
published cell."""

import json

import pytest
import yaml

from rnnzoo.zoo import comparisons
from rnnzoo.zoo import publish
from rnnzoo.zoo.schema import ConfigError
from rnnzoo.zoo.schema import load_config
from rnnzoo.zoo.schema import validate_config

CONFIG_TEXT = """\
name: tiny
task: time_series_classification
description: >-
  A tiny classifier; this folded text must survive recording.
architecture:
  class: SequenceClassifier
  arguments:
    num_classes: 3
    cell: mgu
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


def _run(tmp_path, cell, accuracy, **changes):
    """A finished run folder of CONFIG_TEXT's recipe with `cell`."""
    config = yaml.safe_load(CONFIG_TEXT)
    config["architecture"]["arguments"]["cell"] = cell
    for key, value in changes.items():
        config[key] = value
    run = tmp_path / f"run_{cell}_{accuracy}"
    (run / "preset").mkdir(parents=True)
    metadata = {
        "name": "tiny",
        "dataset": "japanese_vowels",
        "split": "test",
        "metrics": {"accuracy": accuracy, "loss": 0.5},
        "parameter_count": 123,
        "epochs": 2,
        "config": config,
        "training": {"training_time_minutes": 0.26},
    }
    (run / "preset" / "metadata.json").write_text(json.dumps(metadata))
    return run


def test_record_adds_and_replaces_rows_and_keeps_the_config(tmp_path):
    config_path = tmp_path / "tiny.yaml"
    config_path.write_text(CONFIG_TEXT)
    row = comparisons.record_comparison(
        _run(tmp_path, "gru", 0.9123456789), config_path, "2 CPU cores"
    )
    assert row == {
        "cell": "gru",
        "dataset": "japanese_vowels",
        "split": "test",
        "metrics": {"accuracy": 0.912346, "loss": 0.5},
        "parameters": 123,
        "epochs": 2,
        "training_time_minutes": 0.3,
        "hardware": "2 CPU cores",
    }
    assert config_path.read_text().startswith(CONFIG_TEXT)
    comparisons.record_comparison(_run(tmp_path, "esn", 0.8), config_path)
    comparisons.record_comparison(_run(tmp_path, "gru", 0.7), config_path)
    config = load_config(config_path)
    assert [r["cell"] for r in config["comparisons"]] == ["esn", "gru"]
    assert config["comparisons"][1]["metrics"]["accuracy"] == 0.7


def test_publishing_keeps_the_comparisons(tmp_path):
    config_path = tmp_path / "tiny.yaml"
    config_path.write_text(CONFIG_TEXT)
    comparisons.record_comparison(_run(tmp_path, "gru", 0.9), config_path)
    entry = {
        "tag": "t",
        "file": "tiny.t.tar.gz",
        "sha256": "0" * 64,
        "dataset": "japanese_vowels",
        "metrics": {"accuracy": 0.95},
        "license": "CC0",
    }
    config = publish.register_weights(config_path, entry)
    assert [r["cell"] for r in config["comparisons"]] == ["gru"]
    assert config["weights"] == [entry]
    assert publish.strip_generated(config_path.read_text()) == CONFIG_TEXT


def test_a_run_that_changes_more_than_the_cell_is_refused(tmp_path):
    config_path = tmp_path / "tiny.yaml"
    config_path.write_text(CONFIG_TEXT)
    training = dict(yaml.safe_load(CONFIG_TEXT)["training"], epochs=9)
    run = _run(tmp_path, "gru", 0.9, training=training)
    with pytest.raises(ValueError, match="only the cell changed.*training"):
        comparisons.record_comparison(run, config_path)
    assert config_path.read_text() == CONFIG_TEXT


def test_the_options_of_the_cell_belong_to_the_cell(tmp_path):
    config_path = tmp_path / "tiny.yaml"
    config_path.write_text(CONFIG_TEXT)
    arguments = yaml.safe_load(CONFIG_TEXT)["architecture"]["arguments"]
    skip = dict(arguments, cell="skip_rnn", cell_kwargs={"skip": 2})
    run = _run(
        tmp_path,
        "skip_rnn",
        0.9,
        architecture={"class": "SequenceClassifier", "arguments": skip},
    )
    row = comparisons.record_comparison(run, config_path)
    assert row["cell"] == "skip_rnn"
    wider = dict(skip, units=8)
    run = _run(
        tmp_path,
        "gru",
        0.8,
        architecture={"class": "SequenceClassifier", "arguments": wider},
    )
    with pytest.raises(ValueError, match="differs in architecture"):
        comparisons.record_comparison(run, config_path)


def test_an_unfinished_run_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="run_dir=.*nowhere"):
        comparisons.comparison_entry_from_run(tmp_path / "nowhere")


@pytest.mark.parametrize(
    "cells, message",
    [
        (["gru", "no_such_cell"], "comparisons.1.cell: expected a registered"),
        (["gru", "gru"], "comparisons.1.cell: 'gru' appears twice"),
    ],
)
def test_the_schema_checks_the_cells(cells, message):
    config = yaml.safe_load(CONFIG_TEXT)
    config["comparisons"] = [
        {
            "cell": cell,
            "dataset": "japanese_vowels",
            "split": "test",
            "metrics": {"accuracy": 0.5},
        }
        for cell in cells
    ]
    with pytest.raises(ConfigError, match=message):
        validate_config(config)


@pytest.mark.parametrize(
    "value, published, lower_is_better, expected",
    [
        (0.946, 0.978, False, "3.3% lower (worse)"),
        (0.99, 0.9, False, "10.0% higher (better)"),
        (8.4, 8.6, True, "2.3% lower (better)"),
        (120.0, 100.0, True, "20.0% higher (worse)"),
        (0.97801, 0.978, False, "same"),
    ],
)
def test_versus_published(value, published, lower_is_better, expected):
    assert (
        comparisons.versus_published(value, published, lower_is_better)
        == expected
    )


def test_the_zoo_tables_show_every_row_against_the_published_cell():
    from rnnzoo.zoo import registry
    from rnnzoo.zoo import results

    text = comparisons.comparison_tables()
    for name in registry.list_models():
        config = registry.get_config(name)
        rows = config.get("comparisons", [])
        if not rows:
            assert f"`{name}`: same recipe" not in text
            continue
        section = text.split(f"### `{name}`: same recipe, other cells")[1]
        section = section.split("###")[0]
        table = [line for line in section.splitlines() if line[:3] == "| `"]
        assert len(table) == len(rows) + 1  # and the published row
        cell = config["architecture"]["arguments"]["cell"]
        assert f"| `{cell}` (published) |" in section
        entry = next(
            w for w in config["weights"] if w["tag"] == config["default_tag"]
        )
        _, key = results.headline_metric(config, entry)
        values = [float(line.split("|")[3]) for line in table]  # best first
        lower = results.headline_metric(config, entry)[0] in (
            results.LOWER_IS_BETTER
        )
        assert values == sorted(values, reverse=not lower)
        for row in rows:
            shown = results._number(row["metrics"][key])
            assert f"| `{row['cell']}` | " in section and shown in section
