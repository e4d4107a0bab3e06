import keras
import pytest

from rnnzoo import layers
from rnnzoo.layers import cell_names
from rnnzoo.layers import get_cell
from rnnzoo.layers import get_recurrent_layer
from rnnzoo.layers import register_cell

EXPECTED = {
    "simple": (keras.layers.SimpleRNNCell, keras.layers.SimpleRNN),
    "lstm": (keras.layers.LSTMCell, keras.layers.LSTM),
    "gru": (keras.layers.GRUCell, keras.layers.GRU),
    "peephole_lstm": (layers.PeepholeLSTMCell, layers.PeepholeLSTM),
    "coupled_lstm": (layers.CoupledLSTMCell, layers.CoupledLSTM),
    "mgu": (layers.MGUCell, layers.MGU),
    "skip_rnn": (layers.SkipRNNCell, layers.SkipRNN),
}


def test_every_family_is_registered():
    assert set(EXPECTED) <= set(cell_names())


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_get_cell_and_layer_build_the_registered_classes(name):
    cell_class, layer_class = EXPECTED[name]
    cell = get_cell(name, 6, dropout=0.25)
    layer = get_recurrent_layer(name, 6, dropout=0.25, return_sequences=True)
    assert type(cell) is cell_class and cell.units == 6
    assert cell.dropout == 0.25
    assert type(layer) is layer_class and layer.units == 6
    assert layer.return_sequences and layer.dropout == 0.25


def test_family_options_pass_through():
    assert get_recurrent_layer("skip_rnn", 3, skip=5).skip == 5
    assert get_cell("coupled_lstm", 3, use_peepholes=True).use_peepholes


@pytest.mark.parametrize("getter", [get_cell, get_recurrent_layer])
def test_unknown_name_lists_the_valid_names(getter):
    with pytest.raises(ValueError, match="'lsmt'") as error:
        getter("lsmt", 4)
    for name in EXPECTED:
        assert repr(name) in str(error.value)


def test_register_cell_refuses_silent_override():
    with pytest.raises(ValueError, match="already registered"):
        register_cell("lstm", keras.layers.GRUCell, keras.layers.GRU)


def test_layer_name_can_be_passed_through():
    assert get_recurrent_layer("mgu", 3, name="encoder").name == "encoder"
    assert get_cell("lstm", 3, name="decoder_cell").name == "decoder_cell"
