"""`rnnzoo verify`: published weights measured again on their full split
must agree with the recorded metric as the results table prints it.

The fast tests need no data: a tiny preset trained on nothing is exported,
published into a hub folder in `tmp_path` and measured on Japanese Vowels
(bundled in `aeon`), or the measurement is replaced. The slow test checks
every published entry of the real zoo on `../shared/data`.
"""

import argparse
from pathlib import Path

import pytest
import yaml

from rnnzoo import cli
from rnnzoo import models
from rnnzoo.training import evaluate
from rnnzoo.training import export
from rnnzoo.zoo import hub
from rnnzoo.zoo import registry
from rnnzoo.zoo import results
from rnnzoo.zoo import verify

REPOSITORY = Path(__file__).resolve().parents[2]
HUB_DIR = REPOSITORY / "hub"
DATA_DIR = REPOSITORY.parent / "shared" / "data"

TINY_CONFIG = {
    "name": "tiny_vowels",
    "task": "time_series_classification",
    "description": "A tiny untrained classifier for the verify tests.",
    "architecture": {
        "class": "SequenceClassifier",
        "arguments": {"num_classes": 9, "units": 4, "input_dim": 12},
    },
    "data": {"dataset": "japanese_vowels"},
    "training": {
        "optimizer": "adam",
        "learning_rate": 0.01,
        "epochs": 1,
        "batch_size": 64,
    },
    "reference": {"metric": "accuracy", "value": 0.9},
}


def write_zoo(folder, metrics, sha256="0" * 64) -> None:
    """A zoo of `tiny_vowels` with one entry, `tiny_vowels.test`, that
    records `metrics`."""
    config = dict(
        TINY_CONFIG,
        weights=[
            {
                "tag": "test",
                "file": "tiny_vowels.test.tar.gz",
                "sha256": sha256,
                "dataset": "japanese_vowels",
                "split": "test",
                "metrics": metrics,
                "license": "CC0",
            }
        ],
    )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "tiny_vowels.yaml").write_text(yaml.safe_dump(config))


@pytest.fixture
def tiny_zoo(tmp_path, monkeypatch):
    """The tiny zoo with a recorded accuracy of 0.921622 (printed 0.9216)."""
    monkeypatch.setenv("RNNZOO_CONFIGS", str(tmp_path / "configs"))
    write_zoo(tmp_path / "configs", {"accuracy": 0.921622, "loss": 0.35})
    return tmp_path


def measuring(value):
    """A stand-in for `measure_entry` that reports `value` as accuracy."""
    return lambda name, split, data_dir: {"accuracy": value, "loss": 0.3}


def run_verify(names, measure=None, data_dir=None) -> int:
    args = verify_args(names, data_dir)
    return verify.run(args, measure or verify.measure_entry)


def verify_args(names, data_dir=None):
    parser = argparse.ArgumentParser()
    verify.add_arguments(parser)
    extra = [] if data_dir is None else ["--data-dir", str(data_dir)]
    return parser.parse_args([*names, *extra])


@pytest.mark.parametrize(
    "measured, ok",
    [
        (0.921622, True),  # the same
        (0.92164, True),  # still prints 0.9216
        (0.92159, True),  # prints 0.9216 as well
        (0.92157, False),  # 0.9216 in the table, but 5.2e-5 away
        (0.9218, False),  # the table would print 0.9218
        (0.5, False),
        (float("nan"), False),
    ],
)
def test_a_difference_beyond_the_printed_rounding_fails(
    tiny_zoo, capsys, measured, ok
):
    status = run_verify(["tiny_vowels.test"], measuring(measured))
    captured = capsys.readouterr()
    assert status == (0 if ok else 1)
    row = captured.out.splitlines()[1].split()
    assert row[:4] == ["tiny_vowels.test", "accuracy", "test", "0.921622"]
    assert row[6] == ("yes" if ok else "NO")
    if not ok:
        assert (
            f"FAIL tiny_vowels.test: accuracy measured {measured:.6g} on the "
            "full 'test' split, recorded 0.921622" in captured.err
        )


@pytest.mark.parametrize(
    "recorded, measured, ok",
    [
        (7.214415, 7.2146, True),  # NLL printed 7.214: +-0.0005
        (7.214415, 7.2150, False),
        (114.701698, 114.74, True),  # perplexity printed 114.7: +-0.05
        (114.701698, 114.76, False),
        (28.791452, 28.83, True),  # BLEU printed 28.8
        (0.058051, 0.058054, True),  # loss printed 0.05805: +-5e-6
        (0.058051, 0.058058, False),
        (1.0, 0.9996, True),  # accuracy 1 printed "1", still 4 digits
        (1.0, 0.999, False),
    ],
)
def test_the_tolerance_is_the_results_tables_rounding(recorded, measured, ok):
    assert verify.within_rounding(measured, recorded) is ok


def test_the_headline_metric_is_the_results_tables():
    for name in registry.list_models():
        config = registry.get_config(name)
        for entry in config.get("weights", []):
            metric, key = results.headline_metric(config, entry)
            assert key in entry["metrics"], f"{name}: no {key}"
            assert results._metric_of(config, entry) == (
                metric,
                entry["metrics"][key],
            )
    config = {"reference": {"metric": "negative_log_likelihood"}}
    entry = {"metrics": {"loss": 0.05, "nll_per_step": 7.2}}
    assert results.headline_metric(config, entry) == (
        "negative_log_likelihood",
        "nll_per_step",
    )
    fallback = {"metrics": {"bleu": 9.0, "loss": 1.0}}
    assert results.headline_metric({}, fallback) == ("bleu", "bleu")


def test_a_measurement_that_fails_is_a_failing_row(tiny_zoo, capsys):
    def hidden(name, split, data_dir):
        raise ValueError(
            "The labels of sst2's 'test' split are hidden (-1): ..."
        )

    assert run_verify([], hidden) == 1
    captured = capsys.readouterr()
    assert captured.out.splitlines()[1].split()[4] == "error"
    assert "hidden (-1)" in captured.err


def test_unknown_entries_are_rejected(tiny_zoo):
    with pytest.raises(ValueError, match="no weights tagged 'nope'"):
        verify.published_entries(["tiny_vowels.nope"])
    with pytest.raises(ValueError, match="Unknown zoo model"):
        verify.published_entries(["nothing.test"])
    assert verify.published_entries(["tiny_vowels"]) == ["tiny_vowels.test"]


@pytest.fixture
def published_tiny_model(tmp_path, monkeypatch):
    """A tiny preset, exported as `rnnzoo train` does, packed into a hub
    folder, and the full test accuracy `rnnzoo.evaluate` gives it."""
    model = models.SequenceClassifier(
        **TINY_CONFIG["architecture"]["arguments"]
    )
    model(model.example_inputs())
    metadata = {
        "name": "tiny_vowels",
        "dataset": "japanese_vowels",
        "split": "test",
        "config": TINY_CONFIG,
    }
    preset = export.export_preset(model, None, tmp_path / "preset", metadata)
    hub_dir = tmp_path / "hub"
    hub_dir.mkdir()
    archive, sha256 = export.pack(preset, hub_dir / "tiny_vowels.test.tar.gz")
    assert sha256 == hub.sha256_of(archive)
    monkeypatch.setenv("RNNZOO_WEIGHTS_URL", str(hub_dir))
    monkeypatch.setenv("RNNZOO_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("RNNZOO_CONFIGS", str(tmp_path / "configs"))
    monkeypatch.delenv("RNNZOO_OFFLINE", raising=False)
    accuracy = evaluate(str(archive))["accuracy"]
    return tmp_path, sha256, accuracy


def test_verify_fetches_measures_and_compares_a_published_preset(
    published_tiny_model, capsys
):
    folder, sha256, accuracy = published_tiny_model
    _, unit = results.rounding(accuracy)
    write_zoo(folder / "configs", {"accuracy": accuracy}, sha256)
    assert cli.main(["verify", "tiny_vowels.test"]) == 0
    assert "tiny_vowels.test" in capsys.readouterr().out
    assert (folder / "cache" / "tiny_vowels.test.tar.gz").exists()

    # Two printed units off: the table would lie.
    write_zoo(folder / "configs", {"accuracy": accuracy + 2 * unit}, sha256)
    assert cli.main(["verify", "tiny_vowels.test"]) == 1
    assert f"measured {accuracy:.6g}" in capsys.readouterr().err


@pytest.mark.slow
def test_every_published_entry_reproduces_its_recorded_metric(
    tmp_path, monkeypatch
):
    if not DATA_DIR.is_dir():
        pytest.skip(
            f"the shared data folder is missing: expected {DATA_DIR} (the "
            "real datasets, beside the repository)"
        )
    monkeypatch.setenv("RNNZOO_WEIGHTS_URL", str(HUB_DIR))
    monkeypatch.setenv("RNNZOO_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("RNNZOO_OFFLINE", raising=False)
    monkeypatch.delenv("RNNZOO_CONFIGS", raising=False)
    checks = [
        verify.verify_entry(name, DATA_DIR)
        for name in verify.published_entries()
    ]
    print(verify.format_table(checks))
    assert len(checks) == len(registry.list_models(pretrained=True)) > 0
    failures = [check.failure() for check in checks if not check.ok]
    assert not failures, "\n".join(failures)
