import copy
import json
import os
import subprocess
import sys

import pytest
import yaml

import rnnzoo
from rnnzoo import cli


def test_list_prints_matching_models(capsys):
    assert cli.main(["list", "*tagger*"]) == 0
    assert capsys.readouterr().out.split() == ["upos_tagger", "upos_tagger_crf"]


def test_info_prints_the_config(capsys):
    assert cli.main(["info", "upos_tagger"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["architecture"]["class"] == "SequenceTagger"


@pytest.fixture
def unpublished_zoo(tmp_path, monkeypatch):
    """A zoo whose one model, `unpublished_tagger`, has no weights yet."""
    config = copy.deepcopy(rnnzoo.model_info("upos_tagger"))
    config.pop("weights", None)
    config.pop("default_tag", None)
    config["name"] = "unpublished_tagger"
    (tmp_path / "unpublished_tagger.yaml").write_text(yaml.safe_dump(config))
    monkeypatch.setenv("RNNZOO_CONFIGS", str(tmp_path))


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["info", "unpublished_taggr"], "Did you mean unpublished_tagger"),
        (["download", "unpublished_tagger"], "no published weights"),
    ],
)
def test_errors_are_one_line_and_a_nonzero_status(
    unpublished_zoo, capsys, argv, expected
):
    assert cli.main(argv) == 1
    error = capsys.readouterr().err
    assert expected in error
    assert error.count("\n") == 1 and error.startswith(f"rnnzoo {argv[0]}:")


def test_a_config_error_prints_every_problem(tmp_path, capsys):
    config = copy.deepcopy(rnnzoo.model_info("upos_tagger"))
    config["name"] = "two_problems"
    config["description"] = 3
    config["training"]["learning_rate"] = "fast"
    path = tmp_path / "two_problems.yaml"
    path.write_text(yaml.safe_dump(config))
    assert cli.main(["train", str(path)]) == 1
    assert capsys.readouterr().err.splitlines() == [
        f"rnnzoo train: error: {path}: description: expected a string, "
        "got int 3",
        f"rnnzoo train: error: {path}: training.learning_rate: expected a "
        "number, got 'fast'",
    ]


def test_console_entry_point_runs():
    result = subprocess.run(
        [sys.executable, "-m", "rnnzoo.cli", "list"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0
    assert "sentiment_bilstm" in result.stdout.split()


def test_bench_runs_the_suite_of_the_checkout(tmp_path, monkeypatch):
    monkeypatch.chdir(os.path.dirname(os.path.dirname(__file__)))
    argv = ["bench", "--quick", "--jit-compile", "off", "--skip-memory"]
    argv += ["--skip-cores", "--skip-decoding", "--output-dir", str(tmp_path)]
    assert cli.main([*argv, "--machine", "cli-run"]) == 0
    assert "| peephole_lstm | rnnzoo |" in (tmp_path / "cli-run.md").read_text()


def test_bench_outside_a_checkout_says_where_it_looked(tmp_path, capsys):
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(tmp_path)
        assert cli.main(["bench", "--quick"]) == 1
    error = capsys.readouterr().err
    assert "source checkout" in error and "benchmarks/run.py" in error


def test_other_commands_reject_unknown_arguments(capsys):
    with pytest.raises(SystemExit):
        cli.main(["list", "--quick"])
    assert "unrecognized arguments: --quick" in capsys.readouterr().err
