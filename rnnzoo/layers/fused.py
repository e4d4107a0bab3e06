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
all steps in one matmul before it. Each backend's loops live beside it:
`fused_tensorflow` (`tf.custom_gradient` over two `tf.while_loop`s) and
`fused_jax` (`jax.custom_vjp` over two `lax.scan`s); this module holds what
they share. The tests check the layers' gradients, fused or not, against
finite differences of NumPy references.
"""

import importlib

import keras
from keras import ops

from rnnzoo.layers.base import is_activation
from rnnzoo.layers.fused_gradients import transpose_kernel

# The backends with a fused recurrence, and the module that runs it there:
# each imports its backend's framework, so only the active one is imported.
FUSED_BACKENDS = {
    "tensorflow": "rnnzoo.layers.fused_tensorflow",
    "jax": "rnnzoo.layers.fused_jax",
}


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

    def fused_input_projection(self):
        """`[kernel]` or `[kernel, bias]`: the loops hand each step
        `x kernel + bias`. Default: the cell's `kernel`, and its `bias` with
        `use_bias`. A cell that adds its bias later in the step (after a
        normalization, or to the recurrent part) returns `[kernel]` and
        keeps the bias among its `loop_weights`."""
        if self.use_bias:
            return [self.kernel, self.bias]
        return [self.kernel]

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
            (see `fused_weight_gradients`, which a cell may override to
            take other terms). The per-step weight-gradient
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


def has_fused_recurrence(backend=None) -> bool:
    """Whether `backend` (default: Keras's) has a fused recurrence."""
    return (backend or keras.backend.backend()) in FUSED_BACKENDS


def fused_recurrence(
    cell,
    sequences,
    initial_states,
    recurrent_dropout_mask=None,
    go_backwards=False,
    return_all_outputs=True,
):
    """Runs a cell's fused recurrence over a sequence, on Keras's backend.

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
    backend = keras.backend.backend()
    if backend not in FUSED_BACKENDS:
        raise ValueError(
            "The fused recurrence runs on the backends "
            f"{sorted(FUSED_BACKENDS)}, got Keras's backend {backend!r}"
        )
    module = importlib.import_module(FUSED_BACKENDS[backend])
    return module.fused_recurrence(
        cell,
        sequences,
        initial_states,
        recurrent_dropout_mask=recurrent_dropout_mask,
        go_backwards=go_backwards,
        return_all_outputs=return_all_outputs,
    )
