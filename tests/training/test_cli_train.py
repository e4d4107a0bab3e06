"""`rnnzoo train` end to end on a tiny config: it writes a preset that
loads, takes raw strings, and whose recorded metrics match a fresh
evaluation (`rnnzoo.evaluate` and `rnnzoo evaluate`)."""

import json
import subprocess
import sys

import numpy as np
import pytest

import rnnzoo
from rnnzoo import cli
from rnnzoo.zoo import hub
from rnnzoo.zoo import load_preset
from tests.training import fixtures
from tests.training import helpers


def test_rnnzoo_train_writes_a_preset_whose_metrics_match_a_fresh_evaluation(
    tmp_path, capsys
):
    data_dir = fixtures.write_sst2(tmp_path / "data")
    configs = tmp_path / "configs"
    fixtures.write_config(configs, fixtures.classifier_config())
    output = tmp_path / "run"
    command = [
        sys.executable,
        "-m",
        "rnnzoo.cli",
        "train",
        "tiny_sentiment",
        "--data-dir",
        str(data_dir),
        "--output",
        str(output),
        "--epochs",
        "2",
        "--no-jit",
        "--quiet",
        "--set",
        "units=6",
    ]
    finished = subprocess.run(
        command,
        cwd=helpers.REPOSITORY,
        env=helpers.environment(RNNZOO_CONFIGS=str(configs)),
        capture_output=True,
        text=True,
        timeout=500,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    summary = json.loads(finished.stdout)
    assert summary["epochs"] == 2 and summary["split"] == "test"

    preset = output / "preset"
    assert summary["preset"] == str(preset)
    assert hub.sha256_of(summary["archive"]) == summary["sha256"]
    metadata = json.loads((preset / "metadata.json").read_text())
    recorded = metadata["metrics"]
    assert recorded == summary["metrics"]
    assert json.loads((output / "metrics.json").read_text()) == recorded
    assert set(recorded) == {"loss", "accuracy"}
    assert metadata["config"]["architecture"]["arguments"]["units"] == 6
    assert metadata["epochs"] == 2 and metadata["dataset"] == "sst2"

    # The preset loads anywhere and reads raw strings.
    model = load_preset(preset)
    scores = model.predict(["the film was great", "a dull plot"], verbose=0)
    assert scores.shape == (2, 1) and np.all((scores >= 0) & (scores <= 1))

    fresh = rnnzoo.evaluate(preset, data_dir=data_dir)
    assert fresh == pytest.approx(recorded, rel=1e-5)
    assert cli.main(["evaluate", str(preset), "--data-dir", str(data_dir)]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == pytest.approx(recorded, rel=1e-5)


def test_train_errors_are_one_line(capsys):
    assert cli.main(["train", "no_such_model", "--quiet"]) == 1
    error = capsys.readouterr().err
    assert error.startswith("rnnzoo train: error: Unknown zoo model")
    assert error.count("\n") == 1
