"""The layer-normalized cells of TensorFlow Addons: weights saved in TFA's
layout load by position, and compute TFA's equations (the NumPy references
in `numpy_reference.py`, written from them).

The generic checks (masking, saving, XLA, mixed precision, gradients against
finite differences) run for these cells as for every registered cell, in
`test_recurrent_layers.py` and `test_cell_equations.py`.
"""

import keras
import numpy as np
import pytest

from rnnzoo.layers import LayerNormLSTM
from rnnzoo.layers import LayerNormLSTMCell
from rnnzoo.layers import LayerNormSimpleRNN
from rnnzoo.layers import LayerNormSimpleRNNCell
from tests.layers import numpy_reference as ref

BATCH, STEPS, INPUT_DIM, UNITS = 2, 6, 3, 4

# `get_weights()` of TFA's `LayerNormLSTMCell`: (name, shape) in order.
TFA_LAYER_NORM_LSTM = [
    ("kernel", (INPUT_DIM, 4 * UNITS)),
    ("recurrent_kernel", (UNITS, 4 * UNITS)),
    ("bias", (4 * UNITS,)),
    ("kernel_norm/gamma", (4 * UNITS,)),
    ("kernel_norm/beta", (4 * UNITS,)),
    ("recurrent_norm/gamma", (4 * UNITS,)),
    ("recurrent_norm/beta", (4 * UNITS,)),
    ("state_norm/gamma", (UNITS,)),
    ("state_norm/beta", (UNITS,)),
]
# ... and of TFA's `LayerNormSimpleRNNCell`.
TFA_LAYER_NORM_SIMPLE_RNN = [
    ("kernel", (INPUT_DIM, UNITS)),
    ("recurrent_kernel", (UNITS, UNITS)),
    ("bias", (UNITS,)),
    ("layernorm/gamma", (UNITS,)),
]


def tfa_arrays(layout, rng):
    """Random arrays in a TFA layout, by TFA weight name; gains near one
    and shifts non-zero, so every normalization weight matters."""
    arrays = {}
    for name, shape in layout:
        value = rng.normal(scale=0.5, size=shape)
        if name.endswith("gamma"):
            value = 1.0 + 0.3 * value
        arrays[name] = value.astype("float32")
    return arrays


def as_reference_weights(arrays):
    """TFA names (`kernel_norm/gamma`) as the reference's arguments."""
    return {
        name.replace("/", "_"): value.astype("float64")
        for name, value in arrays.items()
    }


def sequence_runners(layer_class, cell_class, **kwargs):
    """The rnnzoo layer and the cell in `keras.layers.RNN`, as TFA ran it."""
    common = {"return_sequences": True, "return_state": True}
    return [
        layer_class(UNITS, **common, **kwargs),
        keras.layers.RNN(cell_class(UNITS, **kwargs), **common),
    ]


@pytest.mark.parametrize(
    "layer_class, cell_class, layout, reference",
    [
        (
            LayerNormLSTM,
            LayerNormLSTMCell,
            TFA_LAYER_NORM_LSTM,
            ref.layer_norm_lstm,
        ),
        (
            LayerNormSimpleRNN,
            LayerNormSimpleRNNCell,
            TFA_LAYER_NORM_SIMPLE_RNN,
            ref.layer_norm_simple_rnn,
        ),
    ],
    ids=["layer_norm_lstm", "layer_norm_simple_rnn"],
)
def test_tfa_trained_weights_load_by_position(
    layer_class, cell_class, layout, reference, rng
):
    x = rng.normal(size=(BATCH, STEPS, INPUT_DIM)).astype("float32")
    arrays = tfa_arrays(layout, rng)
    expected = reference(x.astype("float64"), **as_reference_weights(arrays))
    for rnn in sequence_runners(layer_class, cell_class):
        rnn.build((None, STEPS, INPUT_DIM))
        # The weights are TFA's, by name and shape, in TFA's order ...
        layout_here = [
            ("/".join(w.path.split("/")[2:]), tuple(w.shape))
            for w in rnn.weights
        ]
        assert layout_here == layout
        # ... so `set_weights(tfa_cell.get_weights())` loads them.
        rnn.set_weights([arrays[name] for name, _ in layout])
        results = [keras.ops.convert_to_numpy(r) for r in rnn(x)]
        assert len(results) == len(expected)
        for result, want in zip(results, expected, strict=True):
            np.testing.assert_allclose(result, want, rtol=1e-5, atol=1e-5)
    # The normalization weights take part: without them, other outputs.
    plain = {**arrays}
    for name, shape in layout:
        if "/" in name:
            plain[name] = np.ones(shape) if "gamma" in name else np.zeros(shape)
    without = reference(x.astype("float64"), **as_reference_weights(plain))
    assert np.abs(without[0] - expected[0]).max() > 1e-2


def test_epsilon_reaches_every_normalization(rng):
    x = rng.normal(size=(BATCH, STEPS, INPUT_DIM)).astype("float32")
    arrays = tfa_arrays(TFA_LAYER_NORM_LSTM, rng)
    weights = as_reference_weights(arrays)
    layer = LayerNormLSTM(UNITS, norm_epsilon=0.5, return_sequences=True)
    layer.build((None, STEPS, INPUT_DIM))
    layer.set_weights([arrays[name] for name, _ in TFA_LAYER_NORM_LSTM])
    cell = layer.cell
    norms = (cell.kernel_norm, cell.recurrent_norm, cell.state_norm)
    assert [norm.epsilon for norm in norms] == [0.5] * 3
    expected = ref.layer_norm_lstm(x.astype("float64"), **weights)[0]
    with_epsilon = ref.layer_norm_lstm(
        x.astype("float64"), norm_epsilon=0.5, **weights
    )[0]
    assert np.abs(expected - with_epsilon).max() > 1e-2
    np.testing.assert_allclose(layer(x), with_epsilon, rtol=1e-5, atol=1e-5)

    simple = LayerNormSimpleRNN(UNITS, layernorm_epsilon=0.5)
    simple.build((None, STEPS, INPUT_DIM))
    assert simple.cell.layernorm.epsilon == 0.5
    assert not simple.cell.layernorm.center


def test_unit_forget_bias_sets_the_forget_block_to_one():
    for unit_forget_bias, forget_block in ((True, 1.0), (False, 0.0)):
        cell = LayerNormLSTMCell(UNITS, unit_forget_bias=unit_forget_bias)
        cell.build((None, INPUT_DIM))
        blocks = keras.ops.convert_to_numpy(cell.bias).reshape(4, UNITS)
        expected = np.zeros((4, UNITS), "float32")
        expected[1] = forget_block  # Gate order i, f, c, o.
        np.testing.assert_array_equal(blocks, expected)


def test_norm_initializers_set_gains_and_shifts():
    cell = LayerNormLSTMCell(
        UNITS, norm_gamma_initializer="zeros", norm_beta_initializer="ones"
    )
    cell.build((None, INPUT_DIM))
    for norm in (cell.kernel_norm, cell.recurrent_norm, cell.state_norm):
        np.testing.assert_array_equal(norm.gamma, 0.0)
        np.testing.assert_array_equal(norm.beta, 1.0)
    simple = LayerNormSimpleRNNCell(UNITS, gamma_initializer="zeros")
    simple.build((None, INPUT_DIM))
    np.testing.assert_array_equal(simple.layernorm.gamma, 0.0)


@pytest.mark.parametrize("units, input_dim", [(3, 5), (7, 2)])
def test_parameter_counts(units, input_dim):
    n, m = units, input_dim
    lstm = LayerNormLSTM(n)
    lstm.build((None, 4, m))
    # Four gate blocks, then two 4n-wide normalizations and one n-wide.
    assert lstm.count_params() == 4 * (n * n + n * m + n) + 2 * 8 * n + 2 * n
    simple = LayerNormSimpleRNN(n)
    simple.build((None, 4, m))
    assert simple.count_params() == n * n + n * m + n + n


def test_config_holds_the_tfa_arguments():
    cell = LayerNormLSTMCell(
        UNITS, norm_epsilon=1e-2, norm_gamma_initializer="zeros"
    )
    config = cell.get_config()
    assert config["norm_epsilon"] == 1e-2
    assert config["unit_forget_bias"] is True
    clone = LayerNormLSTMCell.from_config(config)
    assert clone.get_config() == config
    simple = LayerNormSimpleRNN(UNITS, layernorm_epsilon=1e-3)
    assert simple.get_config()["layernorm_epsilon"] == 1e-3
    clone = LayerNormSimpleRNN.from_config(simple.get_config())
    assert clone.layernorm_epsilon == 1e-3


@pytest.mark.parametrize(
    "make, argument",
    [
        (lambda: LayerNormLSTMCell(UNITS, norm_epsilon=0.0), "norm_epsilon"),
        (lambda: LayerNormLSTM(UNITS, norm_epsilon=-1.0), "norm_epsilon"),
        (
            lambda: LayerNormSimpleRNN(UNITS, layernorm_epsilon="small"),
            "layernorm_epsilon",
        ),
    ],
)
def test_invalid_epsilon_is_named(make, argument):
    with pytest.raises(ValueError, match=f"`{argument}` must be a positive"):
        make()
