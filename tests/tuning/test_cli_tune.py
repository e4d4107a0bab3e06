"""`rnnzoo tune`: a search on a config's own data from the command line."""

import numpy as np
import pytest

from rnnzoo import cli
from rnnzoo.zoo import load_config
from rnnzoo.zoo import presets
from tests.tuning.conftest import TINY_SENTIMENT
from tests.tuning.conftest import write_sst2


def test_tune_searches_the_config_data_and_exports_the_best(
    tiny_zoo, tmp_path, capsys
):
    tiny_zoo(TINY_SENTIMENT)
    data_dir = write_sst2(tmp_path / "data")
    output = tmp_path / "search"
    status = cli.main(
        [
            "tune",
            "tiny_sentiment",
            "--tuner",
            "random",
            "--max-trials",
            "2",
            "--data-dir",
            str(data_dir),
            "--output",
            str(output),
            "--quiet",
        ]
    )
    out = capsys.readouterr().out
    assert status == 0, out
    table = [line for line in out.splitlines() if line.startswith("|")]
    assert table[0].split("|")[1:-1] == [
        " rank ",
        " trial ",
        " val_loss ",
        " cell ",
        " units ",
    ]
    assert len(table) == 2 + 2
    best_cell, best_units = [c.strip() for c in table[2].split("|")[4:6]]

    config_path = output / "tiny_sentiment_tuned.yaml"
    assert f"best config: {config_path}" in out
    config = load_config(config_path)
    arguments = config["architecture"]["arguments"]
    assert (arguments["cell"], str(arguments["units"])) == (
        best_cell,
        best_units,
    )
    # The vocabulary size is the data's, as in rnnzoo.train: the tuned
    # config leaves it to `data.vocabulary_size`, the preset's model has
    # the adapted vectorizer's.
    assert "vocab_size" not in arguments
    metadata = presets.read_metadata(output / "preset")
    assert metadata["hyperparameters"] == {
        "cell": best_cell,
        "units": int(best_units),
    }
    model = presets.load_preset(output / "preset")
    vocabulary = model.vectorizer.vocabulary_size()
    assert model.model.vocab_size == vocabulary < 1000
    # A text classifier's preset takes raw strings.
    scores = model.predict(["the film was good", "a dull plot"], verbose=0)
    assert scores.shape == (2, 1) and np.all((scores >= 0) & (scores <= 1))


def test_tune_arguments():
    args = cli.build_parser().parse_args(
        ["tune", "upos_tagger", "--tuner", "hyperband", "--set", "units=64"]
    )
    assert (args.config, args.tuner, args.max_trials) == (
        "upos_tagger",
        "hyperband",
        10,
    )
    assert (args.data_dir, args.output, args.objective) == (
        None,
        None,
        "val_loss",
    )
    assert args.set == ["units=64"]


def test_an_unknown_tuner_is_refused_by_the_parser(capsys):
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(
            ["tune", "upos_tagger", "--tuner", "grid"]
        )
    assert "invalid choice: 'grid'" in capsys.readouterr().err


def test_an_unknown_model_is_a_one_line_error(capsys):
    assert cli.main(["tune", "upos_tagr", "--max-trials", "1"]) == 1
    error = capsys.readouterr().err
    assert error.startswith("rnnzoo tune: error: Unknown zoo model")
    assert "Did you mean upos_tagger" in error and error.count("\n") == 1
