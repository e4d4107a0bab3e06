"""Gradients of a layer's results on whichever backend Keras runs.

The layer tests compare results and gradients across code paths (fused
recurrence or generic loop, eager or compiled); this module computes them
with the backend's own autodiff: `tf.GradientTape` on TensorFlow,
`jax.grad` over `stateless_call` on JAX. Each backend's framework is
imported only when that backend is active.
"""

import keras
import numpy as np
from keras import ops


def backend():
    return keras.backend.backend()


def comparison_dtype():
    """The dtype the comparisons run in: float64 on TensorFlow; float32 on
    JAX, where Keras's ops compute `tanh` and `sin` in float32 whatever the
    input (`keras.backend.result_type(float64, float)` is float32 there)."""
    return "float64" if backend() == "tensorflow" else "float32"


def tolerances():
    """`(rtol, atol)` for comparing two runs of the same equations in
    `comparison_dtype()`: a different order of the same float operations."""
    if comparison_dtype() == "float64":
        return 1e-10, 1e-12
    return 2e-5, 2e-5


def scalar_loss(results):
    """A loss whose gradient differs for every element of every result."""
    return sum(ops.sum(ops.square(r) + ops.sin(3.0 * r)) for r in results)


def results_and_gradients(
    layer, x, states, mask=None, training=False, compiled=False
):
    """Outputs, final states and the gradients of `scalar_loss` with respect
    to `x`, `states` and `layer.trainable_weights`, as NumPy arrays.

    `compiled`: inside `tf.function(jit_compile=True)` or `jax.jit`.
    """
    if backend() == "tensorflow":
        results, gradients = _tensorflow_gradients(
            layer, x, states, mask, training, compiled
        )
    elif backend() == "jax":
        results, gradients = _jax_gradients(
            layer, x, states, mask, training, compiled
        )
    else:
        raise NotImplementedError(f"no gradients on backend {backend()!r}")
    assert all(g is not None for g in gradients)
    return [np.asarray(t) for t in (*results, *gradients)]


def _tensorflow_gradients(layer, x, states, mask, training, compiled):
    import tensorflow as tf

    def run(x, states):
        with tf.GradientTape() as tape:
            tape.watch([x, *states])
            results = layer(
                x, initial_state=states, mask=mask, training=training
            )
            loss = scalar_loss(results)
        return results, tape.gradient(
            loss, [x, *states, *layer.trainable_weights]
        )

    if compiled:
        run = tf.function(run, jit_compile=True)
    return run(tf.constant(x), [tf.constant(s) for s in states])


def _jax_gradients(layer, x, states, mask, training, compiled):
    import jax

    non_trainable = [v.value for v in layer.non_trainable_variables]

    def loss_and_results(trainable, x, states):
        results, _ = layer.stateless_call(
            trainable,
            non_trainable,
            x,
            initial_state=states,
            mask=mask,
            training=training,
        )
        return scalar_loss(results), results

    run = jax.grad(loss_and_results, argnums=(0, 1, 2), has_aux=True)
    if compiled:
        run = jax.jit(run)
    (weights, x_gradient, state_gradients), results = run(
        [v.value for v in layer.trainable_variables],
        ops.convert_to_tensor(x),
        [ops.convert_to_tensor(s) for s in states],
    )
    # `trainable_variables` and `trainable_weights` list the same variables
    # in the same order.
    return results, [x_gradient, *state_gradients, *weights]
