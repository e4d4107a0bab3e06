"""The fused recurrence on JAX: `jax.custom_vjp` over two `lax.scan`s.

The forward scan runs a cell's `fused_forward_step` over the projected
sequence and stacks what each step saved; the gradient is a second scan,
backwards in time, over its `fused_backward_step`, which sums the steps'
weight-gradient terms in its carry. Autodiff differentiates neither scan, so
it keeps no per-step copies of the loop's internals and adds no
per-step accumulators of its own. The input projection and its gradients
(inputs, kernel, bias) are one matmul each, outside the scans: XLA runs a
whole-sequence matmul faster than one per step. See
`rnnzoo.layers.fused` for the hooks; only its `fused_recurrence` imports
this module, on the JAX backend.
"""

import jax
from jax import numpy as jnp
from keras import ops

from rnnzoo.layers.fused_gradients import KernelGradientTerm


def _as_array(tensor):
    # A Keras variable reads its value in the current (stateless, autocast)
    # scope: `jax.custom_vjp` must receive arrays.
    return jnp.asarray(ops.convert_to_tensor(tensor))


def fused_recurrence(
    cell,
    sequences,
    initial_states,
    recurrent_dropout_mask=None,
    go_backwards=False,
    return_all_outputs=True,
):
    """Runs a cell's fused recurrence over a sequence (see
    `rnnzoo.layers.fused.fused_recurrence`, which calls it).

    Returns:
        `(last_output, outputs, final_states)`, as the backend's `rnn`.
    """
    inputs = jnp.swapaxes(_as_array(sequences), 0, 1)
    if go_backwards:
        inputs = jnp.flip(inputs, axis=0)
    projection = [_as_array(w) for w in cell.fused_input_projection()]
    arguments = (
        inputs,
        projection,
        [_as_array(state) for state in initial_states],
        [_as_array(weight) for weight in cell.loop_weights()],
        None
        if recurrent_dropout_mask is None
        else _as_array(recurrent_dropout_mask),
    )
    outputs, final_states = _recurrence(cell)(*arguments)
    if return_all_outputs:
        return outputs[-1], jnp.swapaxes(outputs, 0, 1), final_states
    last_output = outputs[-1]
    return last_output, last_output[:, None], final_states


def _recurrence(cell):
    """`recurrence(inputs, projection, states, weights, mask) -> (outputs,
    final_states)` for `cell`, with the hand-written gradient.

    `inputs` is time first; `outputs` holds every step (the last one is the
    result when the layer returns only it: the others then receive a zero
    gradient).
    """

    def forward(inputs, projection, states, weights, mask):
        kernel, *bias = projection
        projected = jnp.matmul(inputs, kernel)
        if bias:
            projected = projected + bias[0]

        def step(states, projected_inputs):
            output, states, saved = cell.fused_forward_step(
                projected_inputs, list(states), weights, mask
            )
            return states, (output, saved)

        final_states, (outputs, saved) = jax.lax.scan(
            step, list(states), projected
        )
        return (outputs, final_states), saved

    @jax.custom_vjp
    def recurrence(inputs, projection, states, weights, mask):
        return forward(inputs, projection, states, weights, mask)[0]

    def recurrence_forward(inputs, projection, states, weights, mask):
        result, saved = forward(inputs, projection, states, weights, mask)
        return result, (inputs, projection, weights, mask, saved)

    def recurrence_backward(residuals, result_gradients):
        inputs, projection, weights, mask, saved = residuals
        output_gradients, final_state_gradients = result_gradients
        backward_weights = cell.fused_backward_weights(weights)

        def step_back(output_gradient, state_gradients, saved_step):
            return cell.fused_backward_step(
                output_gradient,
                list(state_gradients),
                saved_step,
                backward_weights,
                mask,
            )

        # The weight-gradient terms are summed in the carry, but for the
        # kernels' (`KernelGradientTerm`), whose operands are stacked and
        # multiplied once after the loop. Their shapes come from tracing
        # one step, without running it.
        first = jax.tree_util.tree_map(lambda stacked: stacked[0], saved)
        term_shapes = jax.eval_shape(
            lambda *args: step_back(*args)[2],
            output_gradients[0],
            final_state_gradients,
            first,
        )
        deferred = [isinstance(t, KernelGradientTerm) for t in term_shapes]
        zero_sums = [
            None if later else jnp.zeros(t.shape, t.dtype)
            for t, later in zip(term_shapes, deferred)
        ]

        def body(carry, step_inputs):
            state_gradients, sums = carry
            output_gradient, saved_step = step_inputs
            projected_gradient, state_gradients, terms = step_back(
                output_gradient, state_gradients, saved_step
            )
            sums = [
                total if later else total + term
                for total, term, later in zip(sums, terms, deferred)
            ]
            products = [
                (term.inputs, term.gradient)
                for term, later in zip(terms, deferred)
                if later
            ]
            return (list(state_gradients), sums), (projected_gradient, products)

        (state_gradients, sums), (projected_gradients, products) = jax.lax.scan(
            body,
            (list(final_state_gradients), zero_sums),
            (output_gradients, saved),
            reverse=True,
        )
        products = iter(products)
        sums = [
            jnp.einsum("tbi,tbo->io", *next(products)) if later else total
            for total, later in zip(sums, deferred)
        ]
        kernel, *bias = projection
        projection_gradients = [
            jnp.einsum("tbi,tbo->io", inputs, projected_gradients)
        ]
        if bias:
            projection_gradients.append(jnp.sum(projected_gradients, (0, 1)))
        input_gradients = jnp.matmul(projected_gradients, kernel.T)
        return (
            input_gradients,
            projection_gradients,
            state_gradients,
            cell.fused_weight_gradients(sums, weights),
            None if mask is None else jnp.zeros_like(mask),
        )

    recurrence.defvjp(recurrence_forward, recurrence_backward)
    return recurrence
