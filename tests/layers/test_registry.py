"""The cell registry is the one list of cells: everything registered is
built by name and checked, a cell added with `register_cell` included."""

import keras
import pytest

from rnnzoo.layers import MGU
from rnnzoo.layers import MGUCell
from rnnzoo.layers import cell_arguments
from rnnzoo.layers import cell_names
from rnnzoo.layers import get_cell
from rnnzoo.layers import get_recurrent_layer
from rnnzoo.layers import is_keras_cell
from rnnzoo.layers import register_cell
from rnnzoo.layers import unregister_cell
from tests.layers import numpy_reference
from tests.layers import test_recurrent_layers
from tests.layers.cases import fused_cases
from tests.layers.cases import layer_cases


@pytest.mark.parametrize("name", cell_names())
def test_get_cell_and_layer_build_the_registered_classes(name):
    cell = get_cell(name, 6, dropout=0.25)
    layer = get_recurrent_layer(name, 6, dropout=0.25, return_sequences=True)
    assert type(layer.cell) is type(cell) and cell.units == 6
    assert cell.dropout == 0.25
    assert isinstance(layer, keras.layers.RNN) and layer.units == 6
    assert layer.return_sequences and layer.dropout == 0.25


@pytest.mark.parametrize("name", cell_names())
def test_keras_cells_are_told_apart_from_rnnzoo_cells(name):
    cell_module = type(get_cell(name, 2)).__module__
    assert is_keras_cell(name) == cell_module.startswith("keras.")
    assert (name in cell_names(keras_cells=False)) != is_keras_cell(name)


@pytest.mark.parametrize("name", cell_names(keras_cells=False))
def test_every_rnnzoo_cell_has_a_numpy_reference(name):
    assert name in numpy_reference.REFERENCES, (
        f"the registered cell {name!r} has no NumPy reference of its "
        "equations: add one to tests/layers/numpy_reference.py (REFERENCES)"
    )


def test_family_options_pass_through():
    assert get_recurrent_layer("skip_rnn", 3, skip=5).skip == 5
    assert get_cell("coupled_lstm", 3, use_peepholes=True).use_peepholes
    assert "skip" in cell_arguments("skip_rnn")
    assert "skip" not in cell_arguments("lstm")
    assert "dropout" in cell_arguments("lstm")


@pytest.mark.parametrize("getter", [get_cell, get_recurrent_layer])
def test_unknown_name_lists_the_valid_names(getter):
    with pytest.raises(ValueError, match="'lsmt'") as error:
        getter("lsmt", 4)
    for name in cell_names():
        assert repr(name) in str(error.value)


def test_register_cell_refuses_silent_override():
    with pytest.raises(ValueError, match="already registered"):
        register_cell("lstm", keras.layers.GRUCell, keras.layers.GRU)


def test_layer_name_can_be_passed_through():
    assert get_recurrent_layer("mgu", 3, name="encoder").name == "encoder"
    assert get_cell("lstm", 3, name="decoder_cell").name == "decoder_cell"


class ThrowawayCell(MGUCell):
    """A cell registered for one test only."""


class Throwaway(MGU):
    cell_class = ThrowawayCell


@pytest.fixture
def throwaway_cell():
    register_cell("throwaway", ThrowawayCell, Throwaway)
    yield "throwaway"
    unregister_cell("throwaway")


def test_a_registered_cell_joins_every_parametrized_layer_test(
    throwaway_cell, rng
):
    assert throwaway_cell in cell_names(keras_cells=False)
    assert layer_cases()[throwaway_cell] == (throwaway_cell, {})
    assert throwaway_cell in fused_cases()
    # ... and the reference check would fail for it.
    assert throwaway_cell not in numpy_reference.REFERENCES
    # The harness runs it like any registered cell.
    case = layer_cases()[throwaway_cell]
    test_recurrent_layers.test_fast_path_equals_plain_cell(case, rng, False)
    test_recurrent_layers.test_config_round_trip(case, rng)


def test_unregister_cell_removes_it(throwaway_cell):
    unregister_cell(throwaway_cell)
    assert throwaway_cell not in cell_names()
    with pytest.raises(ValueError, match="'throwaway'"):
        get_cell(throwaway_cell, 2)
    register_cell(throwaway_cell, ThrowawayCell, Throwaway)
