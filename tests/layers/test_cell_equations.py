"""The cells compute the equations of their papers.

Every family is checked against the independent NumPy references in
`numpy_reference.py`, through both the sequence layer (the fast path, which
projects all inputs before the time loop) and the plain cell run by
`keras.layers.RNN` (one `call()` per step):

* outputs and final states in float32 agree with the reference,
* gradients of a scalar loss with respect to the inputs and every weight, in
  float64, agree with central finite differences of the reference,
* the weight shapes and parameter counts are those of the papers, and
* `unit_forget_bias` sets the forget-gate block of the bias to one.
"""

import dataclasses
import inspect

import keras
import numpy as np
import pytest
import tensorflow as tf

from rnnzoo.layers import MGU
from rnnzoo.layers import CoupledLSTM
from rnnzoo.layers import LSTMVariantCell
from rnnzoo.layers import PeepholeLSTM
from rnnzoo.layers import SkipRNN
from rnnzoo.layers import cell_names
from rnnzoo.layers import get_cell
from rnnzoo.layers import get_recurrent_layer
from tests.layers import numpy_reference as ref

BATCH = 2
TIMESTEPS = 5
INPUT_DIM = 3
UNITS = 3


@dataclasses.dataclass(frozen=True)
class Family:
    """One configuration of a registered cell and its NumPy reference."""

    id: str
    name: str
    kwargs: dict = dataclasses.field(default_factory=dict)
    # Weights that cannot influence this configuration's outputs.
    dead_weights: tuple = ()

    @property
    def cell_class(self):
        return type(get_cell(self.name, UNITS, **self.kwargs))

    def reference(self, x, **weights):
        """The NumPy reference, with the options it takes (e.g. `skip`)."""
        function = ref.REFERENCES[self.name]
        parameters = inspect.signature(function).parameters
        options = {k: v for k, v in self.kwargs.items() if k in parameters}
        return function(x, **options, **weights)

    def expected_shapes(self, units=UNITS, input_dim=INPUT_DIM):
        """Weight shapes from the equations, by variable name (see
        `weights_by_name`)."""
        n, m = units, input_dim
        if self.name in _TFA_SHAPES:
            return _TFA_SHAPES[self.name](n, m, **self.kwargs)
        if self.name == "skip_rnn":
            shapes = {"kernel": (m, n), "bias": (n,), "skip_kernel": (n, n)}
            if self.kwargs["use_short_connection"]:
                shapes["recurrent_kernel"] = (n, n)
            return shapes
        g = self.cell_class.num_gates
        shapes = {
            "kernel": (m, g * n),
            "recurrent_kernel": (n, g * n),
            "bias": (g * n,),
        }
        if self.name == "peephole_lstm":
            peepholes = ("input", "forget", "output")
        elif self.kwargs.get("use_peepholes"):
            peepholes = ("forget", "output")
        else:
            peepholes = ()
        for name in peepholes:
            shapes[f"{name}_peephole"] = (n,)
        return shapes


def _layer_norm_lstm_shapes(n, m):
    norms = {
        f"{norm}_{weight}": (4 * n,)
        for norm in ("kernel_norm", "recurrent_norm")
        for weight in ("gamma", "beta")
    }
    return {
        "kernel": (m, 4 * n),
        "recurrent_kernel": (n, 4 * n),
        "bias": (4 * n,),
        **norms,
        "state_norm_gamma": (n,),
        "state_norm_beta": (n,),
    }


def _nas_shapes(n, m, use_bias=False, projection=None):
    p = projection or n
    shapes = {"kernel": (m, 8 * n), "recurrent_kernel": (p, 8 * n)}
    if use_bias:
        shapes["bias"] = (8 * n,)
    if projection:
        shapes["projection_weights"] = (n, p)
    return shapes


# The weight shapes of the cells TensorFlow Addons had, by registry name:
# `(units, input_dim, **options) -> {name: shape}`.
_TFA_SHAPES = {
    "layer_norm_lstm": _layer_norm_lstm_shapes,
    "layer_norm_simple_rnn": lambda n, m: {
        "kernel": (m, n),
        "recurrent_kernel": (n, n),
        "bias": (n,),
        "layernorm_gamma": (n,),
    },
    "esn": lambda n, m, leaky=1.0: {
        "kernel": (m, n),
        "recurrent_kernel": (n, n),
        "bias": (n,),
    },
    "nas": _nas_shapes,
}


def _skip_family(skip, short):
    # With k >= T, h_{t-k} is the zero initial history at every step.
    dead = ("skip_kernel",) if skip >= TIMESTEPS else ()
    return Family(
        id=f"skip_rnn-k{skip}-{'short' if short else 'noshort'}",
        name="skip_rnn",
        kwargs={"skip": skip, "use_short_connection": short},
        dead_weights=dead,
    )


# Configurations a family is checked in, where its defaults are not enough:
# cell-specific, so keyed by name.
CONFIGURATIONS = {
    "coupled_lstm": [
        Family("coupled_lstm", "coupled_lstm", {"use_peepholes": False}),
        Family(
            "coupled_lstm-peepholes", "coupled_lstm", {"use_peepholes": True}
        ),
    ],
    "skip_rnn": [
        _skip_family(1, False),
        _skip_family(1, True),
        _skip_family(3, False),
        _skip_family(3, True),
        # A skip longer than the sequence: h_{t-k} is always the zero history.
        _skip_family(TIMESTEPS + 2, True),
    ],
    "esn": [
        Family("esn", "esn"),
        Family("esn-leaky", "esn", {"leaky": 0.4}),
    ],
    "nas": [
        Family("nas", "nas"),
        # A projection as wide as the state, so the shapes stay `UNITS`.
        Family(
            "nas-bias-projection",
            "nas",
            {"use_bias": True, "projection": UNITS},
        ),
    ],
}

# Every registered rnnzoo cell that has a NumPy reference (`test_registry`
# fails for one that has none).
FAMILIES = [
    family
    for name in cell_names(keras_cells=False)
    if name in ref.REFERENCES
    for family in CONFIGURATIONS.get(name, [Family(name, name)])
]
FAMILY_IDS = [family.id for family in FAMILIES]
PATHS = ["layer", "cell"]


def build_rnn(family, path, dtype):
    """The sequence layer or `keras.layers.RNN(cell)`, returning everything."""
    common = {"return_sequences": True, "return_state": True, "dtype": dtype}
    if path == "layer":
        return get_recurrent_layer(
            family.name, UNITS, **common, **family.kwargs
        )
    cell = get_cell(family.name, UNITS, dtype=dtype, **family.kwargs)
    return keras.layers.RNN(cell, **common)


def weights_by_name(rnn):
    """The weights by their path below the cell, `/` as `_`: `kernel`,
    or `kernel_norm_gamma` for the gain of a normalization sublayer."""
    weights = {"_".join(v.path.split("/")[2:]): v for v in rnn.weights}
    assert len(weights) == len(rnn.weights), [v.path for v in rnn.weights]
    return weights


def randomize_weights(rnn, family, rng, dtype):
    """Assigns non-zero random values to every weight; returns them."""
    variables = weights_by_name(rnn)
    assert {k: tuple(v.shape) for k, v in variables.items()} == (
        family.expected_shapes()
    )
    values = {}
    for name, variable in variables.items():
        value = rng.normal(scale=0.6, size=tuple(variable.shape))
        # Bounded away from zero, so that no term of the equations vanishes.
        value = (np.sign(value) * (np.abs(value) + 0.1)).astype(dtype)
        variable.assign(value)
        values[name] = value
    for name, variable in variables.items():
        np.testing.assert_array_equal(
            keras.ops.convert_to_numpy(variable), values[name]
        )
    return values


def make_rnn(family, path, rng, dtype):
    """A built RNN with random weights, and those weights (float64)."""
    rnn = build_rnn(family, path, dtype)
    rnn(np.zeros((BATCH, TIMESTEPS, INPUT_DIM), dtype=dtype))
    values = randomize_weights(rnn, family, rng, dtype)
    return rnn, {k: v.astype(np.float64) for k, v in values.items()}


def reference_results(family, x, weights):
    """`[outputs, *final_states]` of the NumPy reference."""
    return list(family.reference(x, **weights))


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("family", FAMILIES, ids=FAMILY_IDS)
def test_forward_matches_reference_float32(family, path, rng):
    rnn, weights = make_rnn(family, path, rng, "float32")
    x = rng.normal(size=(BATCH, TIMESTEPS, INPUT_DIM)).astype("float32")

    results = [keras.ops.convert_to_numpy(r) for r in rnn(x)]
    expected = reference_results(family, x.astype(np.float64), weights)

    assert len(results) == len(expected)
    assert results[0].shape == (BATCH, TIMESTEPS, UNITS)
    for result, want in zip(results, expected, strict=True):
        assert result.dtype == np.float32
        assert result.shape == want.shape
        np.testing.assert_allclose(result, want, rtol=1e-5, atol=1e-5)
    # The outputs really depend on every weight family being non-trivial.
    assert np.abs(expected[0]).max() > 1e-2


def numeric_gradient(loss, array, eps=1e-5):
    """Central finite differences of `loss()` with respect to `array`."""
    grad = np.zeros_like(array)
    flat, flat_grad = array.reshape(-1), grad.reshape(-1)
    for index in range(flat.size):
        saved = flat[index]
        flat[index] = saved + eps
        upper = loss()
        flat[index] = saved - eps
        lower = loss()
        flat[index] = saved
        flat_grad[index] = (upper - lower) / (2.0 * eps)
    return grad


@pytest.mark.tensorflow_only("tf.GradientTape; float64 numerics")
@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("family", FAMILIES, ids=FAMILY_IDS)
def test_gradients_match_finite_differences_float64(family, path, rng):
    rnn, weights = make_rnn(family, path, rng, "float64")
    x = rng.normal(size=(BATCH, TIMESTEPS, INPUT_DIM))
    # Fixed random cotangents for the outputs and each final state, so that
    # the loss reaches every output and both LSTM states.
    shapes = [r.shape for r in reference_results(family, x, weights)]
    cotangents = [rng.normal(size=shape) for shape in shapes]

    def reference_loss():
        results = reference_results(family, x, weights)
        return sum(
            np.sum(r * w) for r, w in zip(results, cotangents, strict=True)
        )

    x_tensor = tf.constant(x)
    variables = weights_by_name(rnn)
    names = sorted(variables)
    with tf.GradientTape() as tape:
        tape.watch(x_tensor)
        # Non-trainable weights (an echo state reservoir) too.
        for variable in variables.values():
            tape.watch(variable.value)
        results = rnn(x_tensor)
        loss = tf.add_n(
            [
                tf.reduce_sum(r * w)
                for r, w in zip(results, cotangents, strict=True)
            ]
        )
    gradients = tape.gradient(
        loss, [x_tensor] + [variables[name] for name in names]
    )

    np.testing.assert_allclose(float(loss), reference_loss(), rtol=1e-12)
    arrays = [x] + [weights[name] for name in names]
    for name, array, gradient in zip(
        ["inputs"] + names, arrays, gradients, strict=True
    ):
        expected = numeric_gradient(reference_loss, array)
        if name in family.dead_weights:
            np.testing.assert_array_equal(expected, 0.0)
            if gradient is None:  # Not connected to the loss at all.
                continue
        else:
            assert gradient is not None, f"no gradient for {name}"
            assert np.abs(expected).max() > 1e-3, name
        gradient = keras.ops.convert_to_numpy(gradient)
        np.testing.assert_allclose(
            gradient, expected, rtol=1e-6, atol=1e-8, err_msg=name
        )


def _count(units, input_dim, blocks):
    n, m = units, input_dim
    return blocks * (n * n + n * m + n)


@pytest.mark.parametrize("units,input_dim", [(3, 5), (7, 2)])
def test_parameter_counts(units, input_dim):
    n, m = units, input_dim
    shape = (None, 4, m)
    cases = [
        (MGU(n), _count(n, m, 2)),
        (CoupledLSTM(n), _count(n, m, 3)),
        (CoupledLSTM(n, use_peepholes=True), _count(n, m, 3) + 2 * n),
        (PeepholeLSTM(n), _count(n, m, 4) + 3 * n),
        (SkipRNN(n, skip=3), 2 * n * n + n * m + n),
        (SkipRNN(n, skip=3, use_short_connection=False), n * n + n * m + n),
    ]
    for layer, expected in cases:
        layer.build(shape)
        assert layer.count_params() == expected, layer.name
        cell = type(layer.cell)(n, **_cell_kwargs(layer))
        cell.build((None, m))
        assert cell.count_params() == expected, cell.name


def _cell_kwargs(layer):
    keys = ("use_peepholes", "skip", "use_short_connection")
    config = layer.cell.get_config()
    return {key: config[key] for key in keys if key in config}


@pytest.mark.parametrize("family", FAMILIES, ids=FAMILY_IDS)
def test_weight_shapes(family):
    for path in PATHS:
        rnn = build_rnn(family, path, "float32")
        rnn.build((None, TIMESTEPS, INPUT_DIM))
        shapes = {k: tuple(v.shape) for k, v in weights_by_name(rnn).items()}
        assert shapes == family.expected_shapes(), path


# Every registered LSTM variant, in each of its configurations.
LSTM_VARIANTS = [
    family
    for family in FAMILIES
    if issubclass(family.cell_class, LSTMVariantCell)
]


@pytest.mark.parametrize(
    "family", LSTM_VARIANTS, ids=[family.id for family in LSTM_VARIANTS]
)
def test_unit_forget_bias(family):
    kwargs = family.kwargs
    num_gates = family.cell_class.num_gates
    expected = np.zeros((num_gates, UNITS), dtype=np.float32)
    expected[family.cell_class.forget_gate_index] = 1.0

    layer = get_recurrent_layer(family.name, UNITS, **kwargs)
    layer.build((None, TIMESTEPS, INPUT_DIM))
    cell = get_cell(family.name, UNITS, **kwargs)
    cell.build((None, INPUT_DIM))
    for bias in (layer.cell.bias, cell.bias):
        bias = keras.ops.convert_to_numpy(bias)
        assert bias.shape == (num_gates * UNITS,)
        np.testing.assert_array_equal(bias.reshape(num_gates, UNITS), expected)

    # Without it, the whole bias comes from `bias_initializer` (zeros).
    layer = get_recurrent_layer(
        family.name, UNITS, unit_forget_bias=False, **kwargs
    )
    layer.build((None, TIMESTEPS, INPUT_DIM))
    np.testing.assert_array_equal(
        keras.ops.convert_to_numpy(layer.cell.bias),
        np.zeros((num_gates * UNITS,), dtype=np.float32),
    )
