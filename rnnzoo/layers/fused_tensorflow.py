"""The fused recurrence on TensorFlow: `tf.custom_gradient` over the two
`tf.while_loop`s of `rnnzoo.layers.fused_loops` (see `rnnzoo.layers.fused`).

Only `rnnzoo.layers.fused.fused_recurrence` imports it, on the TensorFlow
backend.
"""

import tensorflow as tf
from keras import ops

from rnnzoo.layers.fused_loops import FusedLoop
from rnnzoo.layers.fused_loops import backward_loop
from rnnzoo.layers.fused_loops import forward_loop


def _as_tensor(weight):
    # Tensors, not variables: `tf.custom_gradient` must not see one.
    return tf.convert_to_tensor(ops.convert_to_tensor(weight))


def fused_recurrence(
    cell,
    sequences,
    initial_states,
    recurrent_dropout_mask=None,
    go_backwards=False,
    return_all_outputs=True,
):
    """Runs a cell's fused recurrence over a sequence.

    The forward loop (`fused_loops.forward_loop`) projects each step's
    inputs (beside the recurrent chain, which does not wait for it), runs
    `cell.fused_forward_step` and pushes what each step saved on stacks.
    The gradient is a second loop (`fused_loops.backward_loop`), backwards
    in time, over `cell.fused_backward_step`, which pops them; the gradients
    of the weights (the input projection's too) are summed inside it, off
    the loop's critical path, and `cell.fused_weight_gradients` finishes
    them. Autodiff differentiates neither loop, so it adds no per-step
    accumulators. The first step of each loop runs before it, so that the
    shapes of what a step keeps are known. Arguments and result as
    `rnnzoo.layers.fused.fused_recurrence`, which calls it.
    """
    sequences = tf.transpose(sequences, (1, 0, 2))
    if go_backwards:
        sequences = tf.reverse(sequences, (0,))
    projection = [_as_tensor(w) for w in cell.fused_input_projection()]
    initial_states = [tf.convert_to_tensor(s) for s in initial_states]
    weights = [_as_tensor(w) for w in cell.loop_weights()]
    extras = [] if recurrent_dropout_mask is None else [recurrent_dropout_mask]
    num_projection, num_states = len(projection), len(initial_states)
    num_weights = len(weights)

    @tf.custom_gradient
    def recurrence(inputs, *tensors):
        kernel, *bias = tensors[:num_projection]
        tensors = tensors[num_projection:]
        states = list(tensors[:num_states])
        loop = FusedLoop(
            cell=cell,
            inputs=inputs,
            kernel=kernel,
            bias=bias,
            weights=list(tensors[num_states : num_states + num_weights]),
            mask=tensors[-1] if extras else None,
            return_all_outputs=return_all_outputs,
        )
        result, final_states, saved_stacks, saved_like = forward_loop(
            loop, states
        )

        def gradient(result_gradient, *final_state_gradients):
            if result_gradient is None:
                result_gradient = tf.zeros_like(result)
            state_gradients = [
                tf.zeros_like(state) if grad is None else grad
                for grad, state in zip(final_state_gradients, final_states)
            ]
            input_gradient, projection_gradients, state_gradients, sums = (
                backward_loop(
                    loop,
                    saved_stacks,
                    saved_like,
                    result_gradient,
                    state_gradients,
                )
            )
            return [
                input_gradient,
                *projection_gradients,
                *state_gradients,
                *cell.fused_weight_gradients(sums, loop.weights),
                *[None for _ in extras],
            ]

        return (result, *final_states), gradient

    result, *final_states = recurrence(
        sequences, *projection, *initial_states, *weights, *extras
    )
    if return_all_outputs:
        return result[-1], tf.transpose(result, (1, 0, 2)), final_states
    return result, result[:, None], final_states
