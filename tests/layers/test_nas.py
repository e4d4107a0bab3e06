"""The NAS cell (Zoph & Le 2017) as TensorFlow Addons has it: TFA's weights
load by position, the projection narrows the output, and the searched
nonlinearities stay fixed.

The equations without and with bias (and a projection as wide as the
state) are checked against the NumPy reference, gradients included, in
`test_cell_equations.py`; the generic harness runs in
`test_recurrent_layers.py`.
"""

import keras
import numpy as np
import pytest

from rnnzoo.layers import NAS
from rnnzoo.layers import NASCell
from tests.layers import numpy_reference as ref

BATCH, STEPS, INPUT_DIM, UNITS, PROJECTION = 2, 6, 3, 4, 2


def tfa_layout(use_bias, projection):
    """`get_weights()` of TFA's `NASCell`: (name, shape) in order."""
    width = 8 * UNITS
    layout = [
        ("recurrent_kernel", (projection or UNITS, width)),
        ("kernel", (INPUT_DIM, width)),
    ]
    if use_bias:
        layout.append(("bias", (width,)))
    if projection:
        layout.append(("projection_weights", (UNITS, projection)))
    return layout


@pytest.mark.parametrize(
    "use_bias, projection",
    [(False, None), (True, None), (False, PROJECTION), (True, PROJECTION)],
)
def test_tfa_weights_load_by_position(use_bias, projection, rng):
    layout = tfa_layout(use_bias, projection)
    arrays = {
        name: rng.normal(scale=0.5, size=shape).astype("float32")
        for name, shape in layout
    }
    x = rng.normal(size=(BATCH, STEPS, INPUT_DIM)).astype("float32")
    outputs, h, c = ref.nas(
        x.astype("float64"),
        **{name: value.astype("float64") for name, value in arrays.items()},
    )
    width = projection or UNITS
    assert outputs.shape == (BATCH, STEPS, width) and c.shape == (BATCH, UNITS)
    kwargs = {"use_bias": use_bias, "projection": projection}
    common = {"return_sequences": True, "return_state": True}
    for rnn in (
        NAS(UNITS, **kwargs, **common),
        keras.layers.RNN(NASCell(UNITS, **kwargs), **common),
    ):
        rnn.build((None, STEPS, INPUT_DIM))
        assert [(w.name, tuple(w.shape)) for w in rnn.weights] == layout
        rnn.set_weights([arrays[name] for name, _ in layout])
        results = [keras.ops.convert_to_numpy(r) for r in rnn(x)]
        # States `[h, c]`: the output first (TFA orders them `[c, h]`).
        for result, want in zip(results, [outputs, h, c], strict=True):
            np.testing.assert_allclose(result, want, rtol=1e-5, atol=1e-5)


def test_bias_belongs_to_the_recurrent_blocks(rng):
    """Block 3 multiplies `x W_3` by `h U_3 + b_3`: adding the bias to the
    input side instead would change the first step, where `h = 0`."""
    x = rng.normal(size=(BATCH, 1, INPUT_DIM))
    kernel = rng.normal(size=(INPUT_DIM, 8 * UNITS))
    recurrent_kernel = rng.normal(size=(UNITS, 8 * UNITS))
    bias = np.zeros(8 * UNITS)
    bias[3 * UNITS : 4 * UNITS] = 2.0  # Only block 3's bias.
    layer = NAS(UNITS, use_bias=True)
    layer.build((None, 1, INPUT_DIM))
    layer.set_weights([recurrent_kernel, kernel, bias])
    expected, _, _ = ref.nas(x, kernel, recurrent_kernel, bias=bias)
    without_bias, _, _ = ref.nas(x, kernel, recurrent_kernel)
    assert np.abs(expected - without_bias).max() > 1e-2
    np.testing.assert_allclose(
        layer(x.astype("float32")), expected[:, -1], rtol=1e-5, atol=1e-5
    )


@pytest.mark.parametrize("units, input_dim", [(3, 5), (7, 2)])
def test_parameter_counts(units, input_dim):
    n, m, p = units, input_dim, 2
    cases = [
        (NAS(n), 8 * (n * n + n * m)),
        (NAS(n, use_bias=True), 8 * (n * n + n * m + n)),
        (NAS(n, projection=p), 8 * (p * n + n * m) + n * p),
    ]
    for layer, expected in cases:
        layer.build((None, 4, m))
        assert layer.count_params() == expected


def test_config_round_trip_with_projection(rng):
    layer = NAS(UNITS, projection=PROJECTION, use_bias=True)
    config = layer.get_config()
    assert config["projection"] == PROJECTION and config["use_bias"]
    clone = NAS.from_config(config)
    assert clone.get_config() == config
    x = rng.normal(size=(BATCH, STEPS, INPUT_DIM)).astype("float32")
    layer(x)
    clone(x)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(clone(x), layer(x), atol=1e-6)
    assert clone.projection == PROJECTION


def test_defaults_are_tfa_defaults():
    cell = NASCell(UNITS)
    assert cell.projection is None and not cell.use_bias
    assert cell.state_size == [UNITS, UNITS] and cell.output_size == UNITS
    for name in ("kernel", "recurrent", "projection"):
        initializer = getattr(cell, f"{name}_initializer")
        assert isinstance(initializer, keras.initializers.GlorotUniform)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"activation": "relu"}, "`activation` must be 'tanh'"),
        ({"projection": 0}, "`projection` must be a positive integer"),
        ({"projection": 2.5}, "`projection` must be a positive integer"),
    ],
)
def test_invalid_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        NASCell(UNITS, **kwargs)
    with pytest.raises(ValueError, match=message):
        NAS(UNITS, **kwargs)
