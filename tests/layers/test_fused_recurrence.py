"""The fused recurrence computes what autodiff of the generic loop computes.

`RecurrentLayer` runs its cell's fused recurrence (a time loop with a
hand-written gradient, `rnnzoo.layers.fused`) when there is no mask, and the
generic loop, differentiated by TensorFlow, when there is one. An all-true
mask changes nothing in the equations, so the same layer run both ways must
give the same outputs, final states and gradients (float64) for the inputs,
the initial states and every weight: across sequence lengths that are not a
multiple of the loop's unrolling, backwards sequences, last-output-only
layers, a run-time sequence length, recurrent dropout and XLA.
"""

import numpy as np
import pytest
import tensorflow as tf

from rnnzoo.layers import fused_loops
from rnnzoo.layers import get_recurrent_layer
from tests.layers.cases import fused_cases

BATCH, FEATURES, UNITS = 3, 4, 5

# Every registered cell that runs on the fused recurrence.
LAYERS = fused_cases()

# (timesteps, go_backwards, return_sequences): lengths below, at and above
# `FUSED_UNROLL`, with and without a remainder.
RUNS = [(1, False, True), (6, True, False), (9, False, False), (9, True, True)]


def make_layer(name, rng, **kwargs):
    cell_name, options = LAYERS[name]
    kwargs.update(return_state=True, dtype="float64")
    layer = get_recurrent_layer(cell_name, UNITS, **options, **kwargs)
    layer.build((None, None, FEATURES))
    for variable in layer.weights:
        # Peepholes and biases start at zero; random values make every term
        # of the gradient count.
        variable.assign(rng.normal(scale=0.5, size=tuple(variable.shape)))
    return layer


def scalar_loss(results):
    """A loss whose gradient differs for every element of every result."""
    return tf.add_n(
        [tf.reduce_sum(tf.square(r) + tf.sin(3.0 * r)) for r in results]
    )


def results_and_gradients(layer, x, states, mask=None, training=False):
    """Outputs, final states and the gradients of `scalar_loss`."""
    with tf.GradientTape() as tape:
        tape.watch([x, *states])
        results = layer(x, initial_state=states, mask=mask, training=training)
        loss = scalar_loss(results)
    sources = [x, *states, *layer.trainable_weights]
    gradients = tape.gradient(loss, sources)
    assert all(g is not None for g in gradients)
    return [np.asarray(t) for t in (*results, *gradients)]


def initial_states(layer, rng):
    return [
        tf.constant(rng.normal(size=(BATCH, size)))
        for size in layer.cell.state_size
    ]


@pytest.mark.parametrize("timesteps, go_backwards, return_sequences", RUNS)
@pytest.mark.parametrize("name", sorted(LAYERS))
def test_fused_gradients_equal_autodiff_of_the_generic_loop(
    name, timesteps, go_backwards, return_sequences, rng
):
    layer = make_layer(
        name, rng, go_backwards=go_backwards, return_sequences=return_sequences
    )
    assert layer.uses_fused_recurrence(None)
    x = tf.constant(rng.normal(size=(BATCH, timesteps, FEATURES)))
    states = initial_states(layer, rng)
    all_steps = tf.ones((BATCH, timesteps), dtype="bool")

    fused_run = results_and_gradients(layer, x, states)
    generic_run = results_and_gradients(layer, x, states, mask=all_steps)

    for fused_value, generic_value in zip(fused_run, generic_run, strict=True):
        np.testing.assert_allclose(
            fused_value, generic_value, rtol=1e-10, atol=1e-12
        )


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_fused_recurrent_dropout_matches_the_generic_loop(name, rng):
    layer = make_layer(name, rng, return_sequences=True, recurrent_dropout=0.4)
    cell = layer.cell
    x = tf.constant(rng.normal(size=(BATCH, 7, FEATURES)))
    states = initial_states(layer, rng)
    # The same per-sequence mask for both runs, shaped like the first state
    # as Keras makes it.
    dropout_mask = tf.constant(
        (rng.uniform(size=(BATCH, cell.state_size[0])) > 0.4) / 0.6,
        dtype="float64",
    )
    cell.get_recurrent_dropout_mask = lambda state: dropout_mask

    fused_run = results_and_gradients(layer, x, states, training=True)
    generic_run = results_and_gradients(
        layer, x, states, mask=tf.ones((BATCH, 7), "bool"), training=True
    )
    inference_run = results_and_gradients(layer, x, states)

    for fused_value, generic_value in zip(fused_run, generic_run, strict=True):
        np.testing.assert_allclose(
            fused_value, generic_value, rtol=1e-10, atol=1e-12
        )
    # The mask was applied: training differs from inference.
    assert not np.allclose(fused_run[0], inference_run[0])


@pytest.mark.parametrize("jit_compile", [False, True])
@pytest.mark.parametrize("name", ["peephole_lstm", "skip_rnn-short"])
def test_fused_recurrence_in_a_compiled_graph(name, jit_compile, rng):
    """Inside `tf.function` (a run-time length when not XLA) and XLA."""
    layer = make_layer(name, rng, return_sequences=True)
    x = tf.constant(rng.normal(size=(BATCH, 6, FEATURES)))
    states = initial_states(layer, rng)
    eager_run = results_and_gradients(layer, x, states)

    signature = None
    if not jit_compile:
        signature = [
            tf.TensorSpec((None, None, FEATURES), "float64"),
            [
                tf.TensorSpec((None, s), "float64")
                for s in layer.cell.state_size
            ],
        ]

    @tf.function(jit_compile=jit_compile, input_signature=signature)
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
    for compiled_value, eager_value in zip(
        compiled_run, eager_run, strict=True
    ):
        np.testing.assert_allclose(
            compiled_value, eager_value, rtol=1e-10, atol=1e-12
        )


def test_unroll_factor_is_exercised():
    """`RUNS` covers lengths with and without a remainder of the unroll."""
    lengths = {timesteps for timesteps, _, _ in RUNS}
    assert any(t > fused_loops.FUSED_UNROLL for t in lengths)
    assert any(t % fused_loops.FUSED_UNROLL for t in lengths if t > 1)
    assert any(t < fused_loops.FUSED_UNROLL for t in lengths)
