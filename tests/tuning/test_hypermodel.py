"""`HyperModel`: the default hyperparameters rebuild the config's model,
every value of every search space builds, conditional cell options exist
only for their cell, and fixed values are not tuned."""

import keras_tuner
import numpy as np
import pytest

import rnnzoo
from rnnzoo.tuning import HyperModel
from rnnzoo.tuning.space import CELL_OPTION
from rnnzoo.tuning.space import TRAINING
from rnnzoo.zoo import load_config
from rnnzoo.zoo import registry
from tests.tuning.conftest import TINY_SKIP


@pytest.mark.parametrize("name", rnnzoo.list_models())
def test_default_hyperparameters_build_the_config_model(name):
    hp = keras_tuner.HyperParameters()
    model = HyperModel(name).build(hp)
    reference = rnnzoo.create_model(name)
    assert model.count_params() == reference.count_params()
    assert model.get_config() == {
        **reference.get_config(),
        "name": model.name,
    }
    config = rnnzoo.model_info(name)
    assert sorted(hp.values) == sorted(config["search_space"])
    optimizer = model.optimizer
    assert np.isclose(
        float(optimizer.learning_rate), config["training"]["learning_rate"]
    )
    assert optimizer.global_clipnorm == config["training"]["clipnorm"]


def small_overrides(config):
    """Fixed values that keep a build small: the search space's own keys
    stay tuned."""
    arguments = config["architecture"]["arguments"]
    overrides = {}
    for name in registry.vocabulary_arguments(config):
        overrides[name] = 50
    if (
        "embedding_dim" in arguments
        and "embedding_dim" not in (config["search_space"])
    ):
        overrides["embedding_dim"] = 8
    return overrides


def every_value():
    """`(name, parameter, value)` for each value of each hyperparameter of
    each zoo config: every choice, both booleans, the ends of ranges. The
    default values build in the test above."""
    for name in rnnzoo.list_models():
        hypermodel = HyperModel(name)
        for parameter in hypermodel.parameters:
            for value in parameter.candidates():
                if value == parameter.default:
                    continue
                yield pytest.param(
                    name,
                    parameter.name,
                    value,
                    id=f"{name}-{parameter.name}-{value}",
                )


@pytest.mark.parametrize("name, key, value", list(every_value()))
def test_every_value_of_every_search_space_builds(name, key, value):
    config = rnnzoo.model_info(name)
    hypermodel = HyperModel(name, **small_overrides(config))
    (parameter,) = [p for p in hypermodel.parameters if p.name == key]
    hp = keras_tuner.HyperParameters()
    # Values set before the build are kept; a conditional value also
    # needs its parent set to activate it.
    hp.values[key] = value
    if parameter.parent in config["search_space"]:
        hp.values[parameter.parent] = parameter.parent_values[0]
    model = hypermodel.build(hp)
    assert hp.values[key] == value
    assert model.count_params() > 0
    arguments = model.get_config()
    if parameter.target == TRAINING:
        assert np.isclose(float(model.optimizer.learning_rate), value)
    elif parameter.target == CELL_OPTION:
        assert arguments["cell_kwargs"][key] == value
    else:
        assert arguments[key] == value


def test_skip_is_declared_only_when_the_cell_is_skip_rnn(tiny_zoo):
    hypermodel = HyperModel("tiny_skip")
    hp = keras_tuner.HyperParameters()
    model = hypermodel.build(hp)
    assert hp.values == {"cell": "gru", "units": 4, "learning_rate": 0.01}
    assert model.get_config()["cell_kwargs"] is None
    # The skip is registered, under its condition, for the tuner to know.
    (skip,) = [item for item in hp.space if item.name == "skip"]
    assert [c.name for c in skip.conditions] == ["cell"]

    hp = keras_tuner.HyperParameters()
    hp.values["cell"] = "skip_rnn"
    model = hypermodel.build(hp)
    assert hp.values["skip"] == 1
    assert model.get_config()["cell_kwargs"] == {"skip": 1}


def test_skip_is_a_plain_hyperparameter_when_the_cell_is_fixed():
    hp = keras_tuner.HyperParameters()
    HyperModel("forecaster_skip_rnn").build(hp)
    (skip,) = [item for item in hp.space if item.name == "skip"]
    assert skip.conditions == []
    assert hp.values["skip"] == 12


def test_an_inactive_cell_option_leaves_cell_kwargs():
    # Fixing another cell turns the config's own skip off.
    hp = keras_tuner.HyperParameters()
    model = HyperModel("forecaster_skip_rnn", cell="gru").build(hp)
    assert "skip" not in hp.values
    assert model.get_config()["cell_kwargs"] is None
    assert model.get_config()["cell"] == "gru"


def test_fixed_values_are_not_tuned(tiny_zoo):
    hypermodel = HyperModel("tiny_skip", cell="skip_rnn", learning_rate=0.05)
    assert hypermodel.tuned_names == ["units", "skip"]
    hp = keras_tuner.HyperParameters()
    model = hypermodel.build(hp)
    assert sorted(hp.values) == ["skip", "units"]
    assert model.get_config()["cell"] == "skip_rnn"
    assert np.isclose(float(model.optimizer.learning_rate), 0.05)


def test_prefilled_fixed_hyperparameters_are_not_tuned(tiny_zoo):
    hp = keras_tuner.HyperParameters()
    hp.Fixed("cell", "skip_rnn")
    hp.Fixed("units", 6)
    model = HyperModel("tiny_skip").build(hp)
    assert model.get_config()["units"] == 6
    assert model.get_config()["cell_kwargs"] == {"skip": 1}
    # The skip is plain, since its parent is fixed.
    (skip,) = [item for item in hp.space if item.name == "skip"]
    assert skip.conditions == []
    assert [type(i).__name__ for i in hp.space if i.name == "units"] == [
        "Fixed"
    ]


def test_fixing_an_unknown_argument_is_an_error(tiny_zoo):
    with pytest.raises(ValueError, match=r"Cannot fix \['widht'\]"):
        HyperModel("tiny_skip", widht=3)


def test_tuned_config_is_a_zoo_config_of_the_tuned_model(tiny_zoo, tmp_path):
    import yaml

    hypermodel = HyperModel("tiny_skip")
    values = {"cell": "skip_rnn", "units": 6, "skip": 2, "learning_rate": 0.02}
    config = hypermodel.tuned_config(values)
    assert config["name"] == "tiny_skip_tuned"
    arguments = config["architecture"]["arguments"]
    assert (arguments["cell"], arguments["units"]) == ("skip_rnn", 6)
    assert arguments["cell_kwargs"] == {"skip": 2}
    assert config["training"]["learning_rate"] == 0.02
    assert config["search_space"]["units"]["default"] == 6
    path = tmp_path / "tiny_skip_tuned.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    loaded = load_config(path)
    # The tuned config's defaults are its values: its own hypermodel's
    # default build is the tuned model.
    hp = keras_tuner.HyperParameters()
    hp.values.update(values)
    tuned = hypermodel.build(hp)
    rebuilt = HyperModel(path).build(keras_tuner.HyperParameters())
    assert rebuilt.count_params() == tuned.count_params()
    assert rebuilt.get_config()["cell_kwargs"] == {"skip": 2}
    assert loaded["architecture"] == config["architecture"]

    # With another cell, the skip is dropped from the arguments.
    values["cell"] = "mgu"
    arguments = hypermodel.tuned_config(values)["architecture"]["arguments"]
    assert arguments["cell"] == "mgu" and "skip" not in (
        arguments.get("cell_kwargs") or {}
    )


def test_a_config_path_gives_errors_that_name_the_file(tmp_path):
    import yaml

    config = {**TINY_SKIP, "name": "bad"}
    config["search_space"] = {
        "cell": {"type": "choice", "values": ["gru", "lsmt"]}
    }
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(config))
    with pytest.raises(ValueError, match=f"{path}: search_space.cell.values"):
        HyperModel(str(path))
