"""The fused recurrence: a recurrent time loop with a hand-written gradient.

A cell that implements the fused recurrence (it derives from
`FusedRecurrence` too) provides a forward step that saves
what its gradient needs, a hand-written backward step, and the terms of the
weight gradients. `fused_recurrence` then runs the time loop with that
gradient instead of differentiating the loop, as cuDNN does for Keras's LSTM
on GPU: no autodiff accumulators, one fused recurrent matmul per step on the
critical path forwards and backwards, a few steps per loop iteration, and
everything that does not depend on the recurrence (the input projection of
the next steps, the weight gradients) computed in the loop beside the
recurrent chain: on a CPU with few cores it runs on a core the serial
recurrence leaves idle, and the projected sequence and its gradient never
exist whole. The forward equations stay written once: `recurrent_step` and
the fused forward step call the same `equations`. The fused path serves
unmasked, rolled loops with the default activations; masks, `unroll=True`,
other activations and other backends take the generic loop, which projects
all steps in one matmul before it. The tests check the layers' gradients,
fused or not, against finite differences of NumPy references.
"""

import tensorflow as tf
from keras import ops

from rnnzoo.layers.base import is_activation
from rnnzoo.layers.fused_loops import FusedLoop
from rnnzoo.layers.fused_loops import backward_loop
from rnnzoo.layers.fused_loops import forward_loop
from rnnzoo.layers.fused_loops import transpose_kernel


class FusedRecurrence:
    """Mixin of the cells that `fused_recurrence` can run.

    A `RecurrentCell` that derives from it too implements `loop_weights`,
    `fused_forward_step` and `fused_backward_step`; the other hooks have
    defaults. In the hooks, `weights` is the list `loop_weights()`
    returned, as tensors, and `recurrent_dropout_mask` the per-sequence
    mask of the first state (or `None`).
    """

    def supports_fused_recurrence(self):
        """Whether `fused_recurrence` can run this cell as configured.

        Default: the fused steps hard-code the derivatives of `tanh` (the
        candidate and output) and `sigmoid` (the gates, if the cell has a
        `recurrent_activation`), so those activations are required.
        """
        gates = getattr(self, "recurrent_activation", None)
        return is_activation(self.activation, "tanh") and (
            gates is None or is_activation(gates, "sigmoid")
        )

    def loop_weights(self):
        """The weights used inside the time loop, as a list.

        They may be derived from the variables (slices, concatenations):
        autodiff carries their gradients back to the variables.
        """
        raise NotImplementedError

    def fused_forward_step(
        self, projected_inputs, states, weights, recurrent_dropout_mask
    ):
        """One step of the recurrence, as `recurrent_step` computes it.

        Returns:
            `(output, new_states, saved)`: `saved` is the list of tensors
            that `fused_backward_step` needs of this step.
        """
        raise NotImplementedError

    def fused_backward_weights(self, weights):
        """The `weights` that `fused_backward_step` receives, computed once
        before the backward loop. Default: the matrices transposed (for
        `gradient kernel^T`), the vectors as they are."""
        return [
            transpose_kernel(weight) if len(weight.shape) == 2 else weight
            for weight in weights
        ]

    def fused_backward_step(
        self,
        output_gradient,
        state_gradients,
        saved,
        weights,
        recurrent_dropout_mask,
    ):
        """The gradient of one step, from the gradients of its results.

        `weights` is what `fused_backward_weights` returned.

        Args:
            output_gradient: Gradient of the step's output, or `None` when
                the output is not a result (see `fused_loops.add_gradients`).
            state_gradients: Gradients of the step's new states.
            saved: What `fused_forward_step` saved at this step.

        Returns:
            `(projected_gradient, previous_state_gradients, terms)`: the
            gradient of the step's projected inputs, the gradients of the
            states the step received, and this step's terms of the weight
            gradients, one per weight, which the loop sums over all steps
            (see `fused_weight_gradients`). The per-step weight-gradient
            matmuls are off the loop's critical path, so they run beside it.
        """
        raise NotImplementedError

    def fused_weight_gradients(self, summed_terms, weights):
        """The gradients of `weights` from the `terms` of
        `fused_backward_step` summed over all steps. Default: a matrix's sum
        is its gradient; a vector's (a peephole's) is still one row per
        batch element, summed here."""
        return [
            ops.sum(term, axis=0) if len(weight.shape) == 1 else term
            for term, weight in zip(summed_terms, weights)
        ]


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
    shapes of what a step keeps are known. TensorFlow only.

    Args:
        cell: A `FusedRecurrence` cell whose `supports_fused_recurrence()`
            is true.
        sequences: `(batch, timesteps, features)`, after input dropout.
        initial_states: The list of initial state tensors.
        recurrent_dropout_mask: The per-sequence recurrent dropout mask of
            the first state, or `None`.
        go_backwards: Whether to run from the last step to the first.
        return_all_outputs: Whether `outputs` holds every step.

    Returns:
        `(last_output, outputs, final_states)`, as the backend's `rnn`
        (`rnnzoo.layers.keras_internals.rnn`).
    """
    sequences = tf.transpose(sequences, (1, 0, 2))
    if go_backwards:
        sequences = tf.reverse(sequences, (0,))
    projection = [_as_tensor(cell.kernel)]
    if cell.use_bias:
        projection.append(_as_tensor(cell.bias))
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
