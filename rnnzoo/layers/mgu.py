"""Minimal gated unit, MGU (Zhou, Wu, Zhang & Zhou 2016)."""

import keras
from keras import ops

from rnnzoo.layers.base import GatedRecurrentCell
from rnnzoo.layers.fused import FusedRecurrence
from rnnzoo.layers.fused_gradients import add_gradients
from rnnzoo.layers.fused_gradients import kernel_gradient
from rnnzoo.layers.fused_gradients import sigmoid_gradient
from rnnzoo.layers.fused_gradients import tanh_gradient
from rnnzoo.layers.recurrent_layer import RecurrentLayer


@keras.saving.register_keras_serializable(package="rnnzoo")
class MGUCell(GatedRecurrentCell, FusedRecurrence):
    """Cell of the minimal gated unit: one gate that both forgets and writes.

    Gate blocks are `[f, h]`:

    ```
    f   = σ(x W_f + h_{t-1} U_f + b_f)
    h̃   = tanh(x W_h + (f ⊙ h_{t-1}) U_h + b_h)
    h_t = (1 − f) ⊙ h_{t-1} + f ⊙ h̃
    ```

    With `m` input features it has `2 (n² + n m + n)` parameters.

    Args:
        units: Positive integer, dimensionality of the output space `n`.
        **kwargs: `activation`, `recurrent_activation`, `use_bias`, the
            initializers, regularizers and constraints of `kernel`,
            `recurrent_kernel` and `bias`, `dropout`, `recurrent_dropout` and
            `seed`, as in `keras.layers.GRUCell`.

    Call arguments:
        inputs: A 2D tensor `(batch, features)`.
        states: `[h]`, `(batch, units)`.
        training: Whether dropout is active.

    Example:

    >>> inputs = np.random.random((8, 10, 5)).astype("float32")
    >>> rnn = keras.layers.RNN(MGUCell(4))
    >>> tuple(rnn(inputs).shape)
    (8, 4)
    """

    num_gates = 2

    def loop_weights(self):
        # The forget and candidate blocks of `recurrent_kernel`.
        return [
            self.recurrent_kernel[:, : self.units],
            self.recurrent_kernel[:, self.units :],
        ]

    def equations(self, projected_inputs, h_tm1, h_dropped, weights):
        """The cell's equations; returns `(f, candidate, h)`."""
        forget_kernel, candidate_kernel = weights
        x_f, x_h = ops.split(projected_inputs, 2, axis=-1)
        f = self.recurrent_activation(
            x_f + ops.matmul(h_dropped, forget_kernel)
        )
        candidate = self.activation(
            x_h + ops.matmul(f * h_dropped, candidate_kernel)
        )
        h = (1.0 - f) * h_tm1 + f * candidate
        return f, candidate, h

    def recurrent_step(self, projected_inputs, states, training=False):
        h_tm1 = states[0]
        h_dropped = self.drop_recurrent_state(h_tm1, training)
        *_, h = self.equations(
            projected_inputs, h_tm1, h_dropped, self.loop_weights()
        )
        return h, [h]

    # The fused recurrence (see `rnnzoo.layers.fused.FusedRecurrence`).

    def fused_forward_step(
        self, projected_inputs, states, weights, recurrent_dropout_mask
    ):
        h_tm1 = states[0]
        h_dropped = h_tm1
        if recurrent_dropout_mask is not None:
            h_dropped = h_tm1 * recurrent_dropout_mask
        f, candidate, h = self.equations(
            projected_inputs, h_tm1, h_dropped, weights
        )
        return h, [h], [f, candidate, h_tm1]

    def fused_backward_step(
        self,
        output_gradient,
        state_gradients,
        saved,
        weights,
        recurrent_dropout_mask,
    ):
        forget_kernel_t, candidate_kernel_t = weights
        f, candidate, h_tm1 = saved
        h_dropped = h_tm1
        if recurrent_dropout_mask is not None:
            h_dropped = h_tm1 * recurrent_dropout_mask
        dh = add_gradients(state_gradients[0], output_gradient)
        dz_h = tanh_gradient(candidate, dh * f)
        d_gated = ops.matmul(dz_h, candidate_kernel_t)
        dz_f = sigmoid_gradient(
            f, dh * (candidate - h_tm1) + d_gated * h_dropped
        )
        dh_dropped = d_gated * f + ops.matmul(dz_f, forget_kernel_t)
        if recurrent_dropout_mask is not None:
            dh_dropped = dh_dropped * recurrent_dropout_mask
        dh_tm1 = dh * (1.0 - f) + dh_dropped
        terms = [
            kernel_gradient(h_dropped, dz_f),
            kernel_gradient(f * h_dropped, dz_h),
        ]
        return ops.concatenate([dz_f, dz_h], axis=-1), [dh_tm1], terms


@keras.saving.register_keras_serializable(package="rnnzoo")
class MGU(RecurrentLayer):
    """Minimal gated unit layer (Zhou et al. 2016).

    Runs `MGUCell` over a sequence, with the input projection taken out of the
    recurrent step; a drop-in replacement for `keras.layers.GRU` with one gate
    instead of two.

    Args:
        units: Positive integer, dimensionality of the output space.
        **kwargs: Every argument of `MGUCell` and of `keras.layers.RNN`
            (`return_sequences`, `return_state`, `go_backwards`, `stateful`,
            `unroll`, `zero_output_for_mask`).

    Call arguments:
        sequences: A 3D tensor `(batch, timesteps, features)`.
        initial_state: Optional `[h]`.
        mask: Optional boolean `(batch, timesteps)`.
        training: Whether dropout is active.

    Example:

    >>> inputs = np.random.random((8, 10, 5)).astype("float32")
    >>> tuple(MGU(4)(inputs).shape)
    (8, 4)
    """

    cell_class = MGUCell

    recurrent_activation = property(lambda self: self.cell.recurrent_activation)
