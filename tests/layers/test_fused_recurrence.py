"""The fused recurrence computes what autodiff of the generic loop computes.

`RecurrentLayer` runs its cell's fused recurrence (a time loop with a
hand-written gradient, `rnnzoo.layers.fused`: TensorFlow and JAX) when there
is no mask, and the generic loop, differentiated by the backend, when there
is one. An all-true mask changes nothing in the equations, so the same layer
run both ways must give the same outputs, final states and gradients for the
inputs, the initial states and every weight: across sequence lengths that
are not a multiple of the TensorFlow loop's unrolling, backwards sequences,
last-output-only layers, recurrent dropout and XLA. The tests run on the
active backend (float64 on TensorFlow, float32 on JAX: see
`backend_gradients.comparison_dtype`); finite differences check the fused
gradient itself.
"""

import keras
import numpy as np
import pytest
from keras import ops

from rnnzoo.layers import fused
from rnnzoo.layers import get_recurrent_layer
from tests.layers.backend_gradients import comparison_dtype
from tests.layers.backend_gradients import results_and_gradients
from tests.layers.backend_gradients import scalar_loss
from tests.layers.backend_gradients import tolerances
from tests.layers.cases import fused_cases

BATCH, FEATURES, UNITS = 3, 4, 5

# Every registered cell that runs on the fused recurrence, and option sets
# whose fused steps differ from the defaults'.
LAYERS = {
    **fused_cases(),
    "nas-projection": ("nas", {"projection": 3, "use_bias": True}),
    "layer_norm_lstm-nobias": ("layer_norm_lstm", {"use_bias": False}),
}

# (timesteps, go_backwards, return_sequences): lengths below, at and above
# TensorFlow's `FUSED_UNROLL`, with and without a remainder.
RUNS = [(1, False, True), (6, True, False), (9, False, False), (9, True, True)]

pytestmark = pytest.mark.skipif(
    not fused.has_fused_recurrence(),
    reason=f"no fused recurrence on {keras.backend.backend()}",
)


def make_layer(name, rng, **kwargs):
    cell_name, options = LAYERS[name]
    kwargs.setdefault("dtype", comparison_dtype())
    kwargs.setdefault("return_state", True)
    layer = get_recurrent_layer(cell_name, UNITS, **options, **kwargs)
    layer.build((None, None, FEATURES))
    for variable in layer.weights:
        # Peepholes and biases start at zero; random values make every term
        # of the gradient count.
        variable.assign(rng.normal(scale=0.5, size=tuple(variable.shape)))
    return layer


def random_inputs(layer, rng, timesteps):
    """`(x, initial_states)` in the layer's dtype."""
    dtype = layer.compute_dtype
    x = rng.normal(size=(BATCH, timesteps, FEATURES)).astype(dtype)
    states = [
        rng.normal(size=(BATCH, size)).astype(dtype)
        for size in layer.cell.state_size
    ]
    return x, states


def all_steps(timesteps):
    return ops.ones((BATCH, timesteps), dtype="bool")


def assert_runs_equal(run, other):
    rtol, atol = tolerances()
    for value, other_value in zip(run, other, strict=True):
        np.testing.assert_allclose(value, other_value, rtol=rtol, atol=atol)


class CountFusedSteps:
    """Counts the calls of a cell's `fused_forward_step` (traced or run)."""

    def __init__(self, cell):
        self.calls = 0
        forward_step = cell.fused_forward_step

        def counted(*args):
            self.calls += 1
            return forward_step(*args)

        cell.fused_forward_step = counted


@pytest.mark.parametrize("timesteps, go_backwards, return_sequences", RUNS)
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_fused_gradients_equal_autodiff_of_the_generic_loop(
    name, timesteps, go_backwards, return_sequences, rng
):
    layer = make_layer(
        name, rng, go_backwards=go_backwards, return_sequences=return_sequences
    )
    assert layer.uses_fused_recurrence(None)
    x, states = random_inputs(layer, rng, timesteps)
    fused_steps = CountFusedSteps(layer.cell)

    fused_run = results_and_gradients(layer, x, states)
    assert fused_steps.calls > 0
    calls = fused_steps.calls
    generic_run = results_and_gradients(
        layer, x, states, mask=all_steps(timesteps)
    )
    assert fused_steps.calls == calls, "a mask takes the generic loop"

    assert_runs_equal(fused_run, generic_run)


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_fused_recurrent_dropout_matches_the_generic_loop(name, rng):
    layer = make_layer(name, rng, return_sequences=True, recurrent_dropout=0.4)
    cell = layer.cell
    x, states = random_inputs(layer, rng, 7)
    # The same per-sequence mask for both runs, shaped like the first state
    # as Keras makes it.
    dropout_mask = ops.convert_to_tensor(
        (rng.uniform(size=(BATCH, cell.state_size[0])) > 0.4) / 0.6,
        dtype=layer.compute_dtype,
    )
    cell.get_recurrent_dropout_mask = lambda state: dropout_mask

    fused_run = results_and_gradients(layer, x, states, training=True)
    generic_run = results_and_gradients(
        layer, x, states, mask=all_steps(7), training=True
    )
    inference_run = results_and_gradients(layer, x, states)

    assert_runs_equal(fused_run, generic_run)
    # The mask was applied: training differs from inference.
    assert not np.allclose(fused_run[0], inference_run[0])


@pytest.mark.parametrize(
    "name",
    [
        "peephole_lstm",
        "skip_rnn-short",
        "mgu",
        "layer_norm_lstm",
        "nas-projection",
    ],
)
def test_fused_recurrence_compiled_with_xla(name, rng):
    """Under `tf.function(jit_compile=True)` or `jax.jit`."""
    layer = make_layer(name, rng, return_sequences=True)
    x, states = random_inputs(layer, rng, 6)
    eager_run = results_and_gradients(layer, x, states)
    compiled_run = results_and_gradients(layer, x, states, compiled=True)
    assert_runs_equal(compiled_run, eager_run)


@pytest.mark.parametrize(
    "name",
    [
        "coupled_lstm-peepholes",
        "skip_rnn-short",
        "layer_norm_lstm",
        "layer_norm_simple_rnn",
        # Along a float32 step, NAS's ReLU kinks and nested products move
        # the central differences by percents: float64 only.
        pytest.param(
            "nas-projection",
            marks=pytest.mark.skipif(
                comparison_dtype() != "float64",
                reason="NAS's differences need float64's small step",
            ),
        ),
    ],
)
def test_fused_gradient_matches_finite_differences(name, rng):
    """The directional derivative of the loss along a random direction of
    every input, state and weight at once, against a central difference."""
    layer = make_layer(name, rng, return_sequences=True, go_backwards=True)
    x, states = random_inputs(layer, rng, 5)
    # The gradients of x, the states and the weights end the list.
    gradient_count = 1 + len(states) + len(layer.trainable_weights)
    gradients = results_and_gradients(layer, x, states)[-gradient_count:]
    points = [x, *states, *[np.asarray(w) for w in layer.trainable_weights]]
    directions = [rng.normal(size=p.shape).astype(p.dtype) for p in points]
    analytic = sum(
        float(np.sum(g.astype("float64") * d))
        for g, d in zip(gradients, directions, strict=True)
    )

    def loss_at(step):
        moved_x, *moved = [p + step * d for p, d in zip(points, directions)]
        moved_states = moved[: len(states)]
        for variable, value in zip(
            layer.trainable_weights, moved[len(states) :], strict=True
        ):
            variable.assign(value)
        results = layer(moved_x, initial_state=moved_states)
        return float(scalar_loss(results))

    def central_difference(step):
        return (loss_at(step) - loss_at(-step)) / (2 * step)

    # Richardson's extrapolation of two central differences is exact to
    # O(step^4): a large step keeps float32 rounding small; in float64 a
    # smaller one keeps the layer normalizations' large higher derivatives
    # out of the comparison.
    step = 1e-4 if comparison_dtype() == "float64" else 1e-2
    numeric = (4 * central_difference(step / 2) - central_difference(step)) / 3
    rtol = 1e-8 if comparison_dtype() == "float64" else 5e-4
    np.testing.assert_allclose(analytic, numeric, rtol=rtol)


@pytest.mark.parametrize(
    "name", ["peephole_lstm", "skip_rnn-noshort", "layer_norm_lstm", "nas-bias"]
)
def test_fit_with_jit_compile_matches_the_generic_loop(name, rng):
    """One SGD step of `model.fit(jit_compile=True)` moves every weight as
    the same model on the generic loop does."""
    x = rng.normal(size=(BATCH * 2, 6, FEATURES)).astype("float32")
    y = rng.normal(size=(BATCH * 2, 2)).astype("float32")
    trained = []
    for fused_path in (True, False):
        keras.utils.set_random_seed(7)
        layer = make_layer(
            name, np.random.default_rng(1), dtype="float32", return_state=False
        )
        if not fused_path:
            layer.uses_fused_recurrence = lambda mask: False
        fused_steps = CountFusedSteps(layer.cell)
        model = keras.Sequential(
            [keras.Input((6, FEATURES)), layer, keras.layers.Dense(2)]
        )
        model.compile(
            optimizer=keras.optimizers.SGD(0.5), loss="mse", jit_compile=True
        )
        model.fit(x, y, batch_size=BATCH * 2, epochs=1, verbose=0)
        assert (fused_steps.calls > 0) == fused_path
        trained.append([np.asarray(w) for w in model.weights])
    for fused_weight, generic_weight in zip(*trained, strict=True):
        np.testing.assert_allclose(
            fused_weight, generic_weight, rtol=2e-5, atol=2e-6
        )


@pytest.mark.tensorflow_only("tf.function with a run-time sequence length")
@pytest.mark.parametrize(
    "name", ["peephole_lstm", "skip_rnn-short", "layer_norm_lstm", "nas"]
)
def test_fused_recurrence_with_a_run_time_length(name, rng):
    """Inside `tf.function` with unknown batch and sequence length."""
    import tensorflow as tf

    layer = make_layer(name, rng, return_sequences=True)
    x, states = random_inputs(layer, rng, 6)
    eager_run = results_and_gradients(layer, x, states)
    signature = [
        tf.TensorSpec((None, None, FEATURES), "float64"),
        [tf.TensorSpec((None, s), "float64") for s in layer.cell.state_size],
    ]

    @tf.function(input_signature=signature)
    def compiled(x, states):
        with tf.GradientTape() as tape:
            tape.watch([x, *states])
            results = layer(x, initial_state=states)
            loss = scalar_loss(results)
        return results, tape.gradient(
            loss, [x, *states, *layer.trainable_weights]
        )

    results, gradients = compiled(x, states)
    compiled_run = [np.asarray(t) for t in (*results, *gradients)]
    assert_runs_equal(compiled_run, eager_run)


@pytest.mark.tensorflow_only("the unrolling of TensorFlow's fused loops")
def test_unroll_factor_is_exercised():
    """`RUNS` covers lengths with and without a remainder of the unroll."""
    from rnnzoo.layers import fused_loops

    lengths = {timesteps for timesteps, _, _ in RUNS}
    assert any(t > fused_loops.FUSED_UNROLL for t in lengths)
    assert any(t % fused_loops.FUSED_UNROLL for t in lengths if t > 1)
    assert any(t < fused_loops.FUSED_UNROLL for t in lengths)
