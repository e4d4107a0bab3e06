"""Searches on synthetic data: RandomSearch, BayesianOptimization and
Hyperband run, conditional hyperparameters appear only when active, a
distribution strategy is honoured, and the best trial exports as a preset
and a config."""

import keras_tuner
import numpy as np
import pytest
import tensorflow as tf

from rnnzoo.tuning import HyperModel
from rnnzoo.tuning import best_trials_table
from rnnzoo.tuning import make_tuner
from rnnzoo.tuning import run_search
from rnnzoo.zoo import load_config
from rnnzoo.zoo import presets

# Eager steps: for four tiny batches, tracing the train step would cost
# more than running it.
EAGER = {"run_eagerly": True}


def search(tuner, sequences, epochs=1):
    (x, y), validation = sequences
    tuner.search(x, y, validation_data=validation, epochs=epochs, verbose=0)
    return tuner


def test_random_search_reports_a_best_trial(tiny_zoo, sequences, tmp_path):
    hypermodel = HyperModel("tiny_skip", compile_options=EAGER)
    tuner = make_tuner(
        "random", hypermodel, max_trials=3, directory=tmp_path, seed=3
    )
    search(tuner, sequences)
    trials = list(tuner.oracle.trials.values())
    assert len(trials) == 3
    assert all(trial.status == "COMPLETED" for trial in trials)
    (best,) = tuner.get_best_hyperparameters(1)
    best_trial = tuner.oracle.get_best_trials(1)[0]
    assert best_trial.score == min(trial.score for trial in trials)
    assert best.values["cell"] in ("gru", "skip_rnn", "mgu")
    # The skip length is a value of a trial exactly when its cell is the
    # skip-connected one.
    for trial in trials:
        values = trial.hyperparameters.values
        assert ("skip" in values) == (values["cell"] == "skip_rnn")
    tuner.results_summary(1)

    table = best_trials_table(tuner, num_trials=3)
    lines = table.splitlines()
    assert lines[0].split("|")[1:-1] == [
        " rank ",
        " trial ",
        " val_loss ",
        " cell ",
        " units ",
        " skip ",
        " learning_rate ",
    ]
    assert len(lines) == 2 + 3
    for line, trial in zip(lines[2:], tuner.oracle.get_best_trials(3)):
        cells = [cell.strip() for cell in line.split("|")[1:-1]]
        assert cells[1] == trial.trial_id
        assert cells[3] == trial.hyperparameters.values["cell"]
        assert (cells[5] == "-") == (
            trial.hyperparameters.values["cell"] != "skip_rnn"
        )


def test_the_tuner_explores_the_skip_of_skip_rnn(tiny_zoo, tmp_path):
    hypermodel = HyperModel("tiny_skip")
    tuner = make_tuner("random", hypermodel, max_trials=1, directory=tmp_path)
    # The tuner's initial builds activate every conditional scope: the
    # space knows the skip, under its condition on the cell.
    (skip,) = [hp for hp in tuner.oracle.get_space().space if hp.name == "skip"]
    assert [(c.name, c.values) for c in skip.conditions] == [
        ("cell", ["skip_rnn"])
    ]


@pytest.mark.parametrize("kind", ["bayesian", "hyperband"])
def test_bayesian_and_hyperband_searches_run(
    kind, tiny_zoo, sequences, tmp_path
):
    hypermodel = HyperModel("tiny_skip", compile_options=EAGER)
    tuner = make_tuner(
        kind,
        hypermodel,
        max_trials=2,
        max_epochs=2,
        directory=tmp_path,
        seed=0,
        **({"num_initial_points": 1} if kind == "bayesian" else {}),
    )
    # Hyperband trains its first trials for part of `max_epochs`.
    search(tuner, sequences, epochs=2 if kind == "hyperband" else 1)
    trials = list(tuner.oracle.trials.values())
    assert len(trials) == 2
    assert all(trial.score is not None for trial in trials)
    for trial in trials:
        values = trial.hyperparameters.values
        assert ("skip" in values) == (values["cell"] == "skip_rnn")


def test_search_under_a_distribution_strategy(tiny_zoo, sequences, tmp_path):
    strategy = tf.distribute.OneDeviceStrategy("/cpu:0")
    tuner = make_tuner(
        "random",
        HyperModel("tiny_skip", cell="skip_rnn"),
        max_trials=1,
        directory=tmp_path,
        distribution_strategy=strategy,
    )
    search(tuner, sequences)
    (trial,) = tuner.oracle.trials.values()
    assert trial.status == "COMPLETED"
    model = tuner.get_best_models(1)[0]
    assert model.get_config()["cell_kwargs"] == {
        "skip": trial.hyperparameters.values["skip"]
    }


def test_an_unknown_tuner_is_an_error(tiny_zoo):
    with pytest.raises(ValueError, match="`tuner` must be one of"):
        make_tuner("grid", HyperModel("tiny_skip"))


def test_run_search_exports_the_best_model_and_config(
    tiny_zoo, sequences, tmp_path
):
    (x, y), (x_val, y_val) = sequences
    result = run_search(
        "tiny_skip",
        max_trials=2,
        epochs=1,
        output_dir=tmp_path / "search",
        train_data=tf.data.Dataset.from_tensor_slices((x, y)).batch(8),
        validation_data=(x_val, y_val),
        compile_options=EAGER,
        verbose=0,
    )
    best = result.best_hyperparameters
    assert "rank" in result.table and best["cell"] in result.table

    config = load_config(result.config_path)
    assert result.config_path.name == "tiny_skip_tuned.yaml"
    arguments = config["architecture"]["arguments"]
    assert arguments["cell"] == best["cell"]
    assert arguments["units"] == best["units"]
    assert np.isclose(
        config["training"]["learning_rate"], best["learning_rate"]
    )
    assert (arguments.get("cell_kwargs") or {}).get("skip") == best.get("skip")

    model = presets.load_preset(result.preset_dir)
    metadata = presets.read_metadata(result.preset_dir)
    assert metadata["hyperparameters"] == best
    assert metadata["tuned_from"] == "tiny_skip"
    best_model = result.tuner.get_best_models(1)[0]
    np.testing.assert_allclose(
        model.predict(x_val, verbose=0),
        best_model.predict(x_val, verbose=0),
        atol=1e-6,
    )
    # The exported config rebuilds the exported model.
    rebuilt = HyperModel(result.config_path).build(
        keras_tuner.HyperParameters()
    )
    assert rebuilt.count_params() == model.count_params()
