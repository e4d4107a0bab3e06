"""The echo state network: its reservoir has the requested spectral radius
and sparsity, stays fixed while the read-out trains, and loads TFA's
weights by position.

Its equations (with and without leaky integration) are checked against the
NumPy reference, gradients included, in `test_cell_equations.py`, and the
layer runs through the generic harness of `test_recurrent_layers.py`.
"""

import re

import keras
import numpy as np
import pytest
import tensorflow as tf

from rnnzoo.layers import ESN
from rnnzoo.layers import ESNCell
from rnnzoo.layers.esn import scale_reservoir
from tests.layers import numpy_reference as ref


def reservoir_of(units=60, input_dim=3, **kwargs):
    cell = ESNCell(units, **kwargs)
    cell.build((None, input_dim))
    return cell, keras.ops.convert_to_numpy(cell.recurrent_kernel)


def spectral_radius(matrix):
    return np.abs(np.linalg.eigvals(matrix.astype("float64"))).max()


@pytest.mark.parametrize(
    "units, connectivity, radius",
    [(60, 0.1, 0.9), (40, 0.5, 0.3), (25, 1.0, 1.2)],
)
def test_reservoir_has_the_requested_spectral_radius(
    units, connectivity, radius
):
    _, reservoir = reservoir_of(
        units, connectivity=connectivity, spectral_radius=radius, seed=0
    )
    assert reservoir.shape == (units, units)
    np.testing.assert_allclose(spectral_radius(reservoir), radius, rtol=1e-5)


def test_norm2_scales_the_frobenius_norm_an_upper_bound():
    _, reservoir = reservoir_of(
        50, connectivity=0.3, spectral_radius=0.8, use_norm2=True, seed=0
    )
    frobenius = np.sqrt(np.sum(reservoir.astype("float64") ** 2))
    np.testing.assert_allclose(frobenius, 0.8, rtol=1e-5)
    # An upper bound: the spectral radius is then (well) below it.
    assert spectral_radius(reservoir) < 0.8 * 0.9


@pytest.mark.parametrize("connectivity", [0.05, 0.25, 0.6, 1.0])
def test_connectivity_is_the_fraction_of_nonzero_weights(connectivity):
    units = 200
    _, reservoir = reservoir_of(units, connectivity=connectivity, seed=3)
    fraction = np.count_nonzero(reservoir) / units**2
    # Binomial: 40000 draws, a standard deviation below 0.0025.
    assert abs(fraction - connectivity) < 0.01


def test_scale_reservoir_leaves_a_nilpotent_pattern_as_it_is():
    nilpotent = np.triu(np.ones((4, 4)), k=1)
    np.testing.assert_array_equal(scale_reservoir(nilpotent, 0.9), nilpotent)
    np.testing.assert_array_equal(scale_reservoir(np.zeros((3, 3)), 0.9), 0.0)
    # With the Frobenius norm it scales: the norm is not zero.
    np.testing.assert_allclose(
        np.linalg.norm(scale_reservoir(nilpotent, 0.9, use_norm2=True)), 0.9
    )


def test_the_same_seeds_draw_the_same_reservoir():
    initializer = {"recurrent_initializer": keras.initializers.GlorotUniform(5)}
    _, first = reservoir_of(30, connectivity=0.3, seed=7, **initializer)
    _, again = reservoir_of(30, connectivity=0.3, seed=7, **initializer)
    _, other = reservoir_of(30, connectivity=0.3, seed=8, **initializer)
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


@pytest.mark.tensorflow_only("tf.GradientTape; float64 numerics")
def test_weights_are_fixed_and_only_the_read_out_trains(rng):
    x = rng.normal(size=(16, 8, 3)).astype("float32")
    y = rng.normal(size=(16, 1)).astype("float32")
    esn = ESN(20, connectivity=0.3, leaky=0.5)
    model = keras.Sequential([keras.Input((8, 3)), esn, keras.layers.Dense(1)])
    assert esn.trainable_weights == [] and len(esn.non_trainable_weights) == 3
    before = [np.copy(w) for w in esn.get_weights()]
    read_out = [np.copy(w) for w in model.layers[-1].get_weights()]
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    model.fit(x, y, epochs=2, batch_size=8, verbose=0)
    for weight, old in zip(esn.get_weights(), before, strict=True):
        np.testing.assert_array_equal(weight, old)
    changed = [
        not np.allclose(new, old)
        for new, old in zip(model.layers[-1].get_weights(), read_out)
    ]
    assert all(changed)

    # The reservoir still passes a gradient to its inputs (an ESN may sit
    # after trainable layers); finite differences of the reference agree.
    x64 = x[:2].astype("float64")
    weights = {
        w.name: keras.ops.convert_to_numpy(w).astype("float64")
        for w in esn.weights
    }
    probe = ESN(20, leaky=0.5, dtype="float64")
    probe.build((None, 8, 3))
    probe.set_weights([weights[w.name] for w in probe.weights])
    inputs = tf.constant(x64)
    with tf.GradientTape() as tape:
        tape.watch(inputs)
        loss = tf.reduce_sum(probe(inputs) ** 2)
    gradient = tape.gradient(loss, inputs).numpy()

    def reference_loss(values):
        return np.sum(ref.esn(values, leaky=0.5, **weights)[1] ** 2)

    index, eps = (1, 3, 2), 1e-6
    shifted_up, shifted_down = x64.copy(), x64.copy()
    shifted_up[index] += eps
    shifted_down[index] -= eps
    numeric = (reference_loss(shifted_up) - reference_loss(shifted_down)) / (
        2 * eps
    )
    assert abs(numeric) > 1e-3
    np.testing.assert_allclose(gradient[index], numeric, rtol=1e-6)


def test_weights_load_in_tfa_order(rng):
    esn = ESN(5, return_sequences=True)
    esn.build((None, 4, 3))
    assert [(w.name, tuple(w.shape)) for w in esn.weights] == [
        ("recurrent_kernel", (5, 5)),
        ("kernel", (3, 5)),
        ("bias", (5,)),
    ]
    recurrent_kernel = rng.normal(scale=0.4, size=(5, 5))
    kernel = rng.normal(size=(3, 5))
    bias = rng.normal(size=(5,))
    esn.set_weights([recurrent_kernel, kernel, bias])
    x = rng.normal(size=(2, 4, 3)).astype("float32")
    expected, _ = ref.esn(
        x.astype("float64"), kernel, recurrent_kernel, bias=bias
    )
    np.testing.assert_allclose(esn(x), expected, rtol=1e-5, atol=1e-5)


def test_config_round_trip_keeps_the_reservoir_options():
    layer = ESN(
        7,
        connectivity=0.4,
        leaky=0.3,
        spectral_radius=0.5,
        use_norm2=True,
        use_bias=False,
        seed=2,
    )
    config = layer.get_config()
    clone = ESN.from_config(config)
    assert clone.get_config() == config
    assert (clone.connectivity, clone.leaky, clone.spectral_radius) == (
        0.4,
        0.3,
        0.5,
    )
    assert clone.use_norm2 and not clone.use_bias


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"connectivity": 0.0}, "`connectivity` must be a float in (0, 1]"),
        ({"connectivity": 1.5}, "`connectivity` must be a float in (0, 1]"),
        ({"leaky": 0}, "`leaky` must be a float in (0, 1]"),
        ({"spectral_radius": -0.9}, "`spectral_radius` must be a positive"),
        ({"use_norm2": "yes"}, "`use_norm2` must be a bool"),
        ({"dropout": 1.0}, "`dropout` must be a float in [0, 1)"),
    ],
)
def test_invalid_arguments_are_named(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        ESNCell(4, **kwargs)
    with pytest.raises(ValueError, match=re.escape(message)):
        ESN(4, **kwargs)


def test_fixed_weights_take_no_regularizer():
    with pytest.raises(ValueError, match="kernel_regularizer"):
        ESN(4, kernel_regularizer="l2")
