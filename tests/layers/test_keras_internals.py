"""The private Keras symbols rnnzoo wraps (`rnnzoo.layers.keras_internals`)
are still where it looks, and still do what it relies on: a Keras upgrade
that moves or changes one fails here, naming the symbol."""

import importlib

import keras
import numpy as np
import pytest

from rnnzoo.layers import MGUCell
from rnnzoo.layers import keras_internals


@pytest.mark.parametrize("name", sorted(keras_internals.PRIVATE_SYMBOLS))
def test_private_symbol_is_where_rnnzoo_looks(name):
    module_name, attribute = keras_internals.PRIVATE_SYMBOLS[name]
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        pytest.fail(
            f"Keras {keras.__version__} has no module {module_name} "
            f"(for `{module_name}.{attribute}`): {error}"
        )
    assert hasattr(module, attribute), (
        f"Keras {keras.__version__} has no `{module_name}.{attribute}`; "
        "update rnnzoo/layers/keras_internals.py"
    )
    assert getattr(keras_internals, name) is getattr(module, attribute)


def test_a_moved_symbol_is_named_in_the_error(monkeypatch):
    monkeypatch.setitem(
        keras_internals.PRIVATE_SYMBOLS, "rnn", ("keras.src.backend", "gone")
    )
    with pytest.raises(ImportError, match=r"keras\.src\.backend\.gone"):
        keras_internals.load_private_symbol("rnn")


def test_keras_rnn_prepares_dropout_masks_for_dropout_rnn_cells():
    """`DropoutRNNCell`: `keras.layers.RNN` still draws the masks of cells
    that derive from it (rnnzoo's cells do)."""
    assert issubclass(keras.layers.LSTMCell, keras_internals.DropoutRNNCell)
    cell = MGUCell(3, dropout=0.5, seed=1)
    assert isinstance(cell, keras_internals.DropoutRNNCell)
    rnn = keras.layers.RNN(cell, return_sequences=True)
    rnn(np.ones((2, 4, 3), "float32"), training=True)
    # The cell drew its mask inside the loop; the layer, which treats
    # `DropoutRNNCell`s apart, reset it after the sequence.
    assert cell._dropout_mask is None


def test_get_keras_mask_reads_the_mask_keras_attaches():
    x = np.array([[1, 2, 0]], "int32")
    embedded = keras.layers.Embedding(5, 2, mask_zero=True)(x)
    np.testing.assert_array_equal(
        keras_internals.get_keras_mask(embedded), [[True, True, False]]
    )


def test_backend_rnn_runs_a_masked_step_function():
    def step(inputs, states):
        total = states[0] + inputs
        return total, [total]

    inputs = np.ones((1, 3, 2), "float32")
    mask = np.array([[True, False, True]])
    last, outputs, states = keras_internals.rnn(
        step,
        inputs,
        [np.zeros((1, 2), "float32")],
        mask=mask,
        zero_output_for_mask=True,
    )
    np.testing.assert_allclose(outputs[0, :, 0], [1.0, 0.0, 2.0])
    np.testing.assert_allclose(states[0], [[2.0, 2.0]])
