"""Reading a config's search space: every zoo config's space agrees with
the config, and a space that does not is rejected with a message that
names the file and the key."""

import copy

import pytest

import rnnzoo
from rnnzoo.layers import MGU
from rnnzoo.layers import MGUCell
from rnnzoo.layers import register_cell
from rnnzoo.layers import unregister_cell
from rnnzoo.layers.registry import cell_names
from rnnzoo.tuning import space
from rnnzoo.tuning.space import search_parameters
from rnnzoo.zoo import ConfigError
from tests.tuning.conftest import TINY_SKIP


@pytest.mark.parametrize("name", rnnzoo.list_models())
def test_every_zoo_search_space_agrees_with_its_config(name):
    config = rnnzoo.model_info(name)
    parameters = search_parameters(config, f"{name}.yaml")
    assert [p.name for p in parameters] == list(config["search_space"])
    for parameter in parameters:
        entry = config["search_space"][parameter.name]
        value = space.config_value(config, parameter.name, parameter.target)
        # The config's value is the default, and any `default` written in
        # the search space is that same value.
        assert parameter.default == value
        if "default" in entry:
            assert entry["default"] == value
        assert value in parameter.candidates() or parameter.kind in (
            "int",
            "float",
        )
        if parameter.name == "cell":
            assert set(parameter.values) <= set(cell_names())


def test_keys_are_sorted_into_arguments_cell_options_and_training():
    config = rnnzoo.model_info("forecaster_skip_rnn")
    targets = {p.name: p.target for p in search_parameters(config)}
    assert targets == {"units": space.ARGUMENT, "skip": space.CELL_OPTION}
    config = rnnzoo.model_info("sentiment_bilstm")
    targets = {p.name: p.target for p in search_parameters(config)}
    assert targets["learning_rate"] == space.TRAINING


def test_skip_is_implicitly_conditional_on_the_cell():
    (skip,) = [
        p
        for p in search_parameters(rnnzoo.model_info("forecaster_skip_rnn"))
        if p.name == "skip"
    ]
    assert (skip.parent, skip.parent_values) == ("cell", ("skip_rnn",))


def test_a_default_comes_from_the_config_when_the_space_gives_none():
    (cell,) = [p for p in search_parameters(TINY_SKIP) if p.name == "cell"]
    assert cell.default == "gru"


def broken(**changes):
    config = copy.deepcopy(TINY_SKIP)
    for key, entry in changes.items():
        if entry is None:
            del config["search_space"][key]
        else:
            config["search_space"][key] = entry
    return config


@pytest.mark.parametrize(
    "changes, expected",
    [
        (
            {"cell": {"type": "choice", "values": ["gru", "lstmm"]}},
            "tiny.yaml: search_space.cell.values: unknown cell names ['lstmm']",
        ),
        (
            {"units": {"type": "choice", "values": [4, 6], "default": 6}},
            "tiny.yaml: search_space.units.default: expected the config's "
            "value 4 (architecture.arguments.units), got 6",
        ),
        (
            {"units": {"type": "choice", "values": [8, 16]}},
            "search_space.units.values: the config's value 4",
        ),
        (
            {"num_layers": {"type": "int", "min": 2, "max": 3}},
            "search_space.num_layers.min: the config's value 1",
        ),
        (
            {"widht": {"type": "int", "min": 1, "max": 3}},
            "tiny.yaml: search_space.widht: unknown key",
        ),
        (
            {"units": {"type": "range", "values": [4]}},
            "search_space.units.type: expected one of",
        ),
        (
            {
                "learning_rate": {
                    "type": "float",
                    "min": 0.0,
                    "max": 0.1,
                    "sampling": "log",
                }
            },
            "search_space.learning_rate.min: log sampling needs min > 0",
        ),
        (
            {"cell": None},
            "search_space.skip.parent: never active: 'cell' is 'gru'",
        ),
        (
            {
                "skip": {
                    "type": "choice",
                    "values": [1, 2],
                    "parent_values": ["skip_rnn"],
                }
            },
            "`parent` and `parent_values` go together",
        ),
    ],
)
def test_a_bad_search_space_is_rejected_with_file_and_key(changes, expected):
    with pytest.raises(ConfigError) as error:
        search_parameters(broken(**changes), "tiny.yaml")
    assert expected in str(error.value)


def test_a_cycle_of_parents_is_rejected():
    config = broken(
        units={
            "type": "choice",
            "values": [4, 6],
            "parent": "bidirectional",
            "parent_values": [True],
        },
        bidirectional={
            "type": "boolean",
            "parent": "units",
            "parent_values": [4],
        },
    )
    with pytest.raises(ConfigError, match="a cycle of parents"):
        search_parameters(config, "tiny.yaml")


def test_parents_come_before_their_children():
    config = broken(
        skip=None,
        units={
            "type": "choice",
            "values": [4, 6],
            "parent": "cell",
            "parent_values": ["gru"],
        },
    )
    config["search_space"] = dict(reversed(config["search_space"].items()))
    ordered = space.in_dependency_order(search_parameters(config))
    names = [p.name for p in ordered]
    assert names.index("cell") < names.index("units")


def test_candidates_cover_each_kind_of_space():
    config = broken(
        num_layers={"type": "int", "min": 1, "max": 3},
        bidirectional={"type": "boolean"},
        dropout={"type": "float", "min": 0.0, "max": 0.5, "step": 0.1},
    )
    candidates = {p.name: p.candidates() for p in search_parameters(config)}
    assert candidates["num_layers"] == [1, 2, 3]
    assert candidates["bidirectional"] == [False, True]
    assert candidates["dropout"] == [0.0, 0.5]
    assert candidates["cell"] == ["gru", "skip_rnn", "mgu"]
    assert candidates["learning_rate"] == [0.001, 0.1]


class SkipMGUCell(MGUCell):
    """A registered cell with a `skip` option of its own."""

    def __init__(self, units, skip=1, **kwargs):
        super().__init__(units, **kwargs)
        self.skip = skip


class SkipMGU(MGU):
    cell_class = SkipMGUCell


def test_implicit_conditions_come_from_the_cell_registry():
    assert space.implicit_condition("skip") == ("cell", ("skip_rnn",))
    # Every cell takes it: no condition.
    assert space.implicit_condition("dropout") is None
    assert space.implicit_condition("no_such_option") is None
    register_cell("skip_mgu", SkipMGUCell, SkipMGU)
    try:
        assert space.implicit_condition("skip") == (
            "cell",
            ("skip_mgu", "skip_rnn"),
        )
    finally:
        unregister_cell("skip_mgu")
