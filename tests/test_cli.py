import json
import subprocess
import sys

import pytest

from rnnzoo import cli


def test_list_prints_matching_models(capsys):
    assert cli.main(["list", "*tagger*"]) == 0
    assert capsys.readouterr().out.split() == ["upos_tagger"]


def test_info_prints_the_config(capsys):
    assert cli.main(["info", "upos_tagger"]) == 0
    info = json.loads(capsys.readouterr().out)
    assert info["architecture"]["class"] == "SequenceTagger"


@pytest.mark.parametrize(
    "argv, expected",
    [
        (["info", "upos_taggr"], "Did you mean upos_tagger"),
        (["download", "sentiment_bilstm"], "no published weights"),
    ],
)
def test_errors_are_one_line_and_a_nonzero_status(capsys, argv, expected):
    assert cli.main(argv) == 1
    error = capsys.readouterr().err
    assert expected in error
    assert error.count("\n") == 1 and error.startswith(f"rnnzoo {argv[0]}:")


def test_console_entry_point_runs():
    result = subprocess.run(
        [sys.executable, "-m", "rnnzoo.cli", "list"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0
    assert "sentiment_bilstm" in result.stdout.split()
