"""Coupled input-forget gate LSTM, CIFG (Greff et al. 2017)."""

import keras
from keras import ops

from rnnzoo.layers.fused import FusedRecurrence
from rnnzoo.layers.fused_gradients import add_gradients
from rnnzoo.layers.fused_gradients import kernel_gradient
from rnnzoo.layers.fused_gradients import sigmoid_gradient
from rnnzoo.layers.fused_gradients import tanh_gradient
from rnnzoo.layers.lstm_variant import LSTMVariantCell
from rnnzoo.layers.recurrent_layer import RecurrentLayer


@keras.saving.register_keras_serializable(package="rnnzoo")
class CoupledLSTMCell(LSTMVariantCell, FusedRecurrence):
    """Cell of an LSTM whose input gate is one minus its forget gate.

    Gate blocks are `[f, c, o]` (three instead of four, so a quarter fewer
    weights than an LSTM of the same width):

    ```
    f   = σ(x W_f + h_{t-1} U_f [+ p_f ⊙ c_{t-1}] + b_f)
    c_t = f ⊙ c_{t-1} + (1 − f) ⊙ tanh(x W_c + h_{t-1} U_c + b_c)
    o   = σ(x W_o + h_{t-1} U_o [+ p_o ⊙ c_t] + b_o)
    h_t = o ⊙ tanh(c_t)
    ```

    The bracketed peephole terms exist with `use_peepholes=True`.

    Args:
        units: Positive integer, dimensionality of the output space.
        use_peepholes: Whether the forget and output gates look at the cell
            state through diagonal weights `forget_peephole` and
            `output_peephole` `(units,)`. Default `False`.
        unit_forget_bias: Whether the forget-gate bias starts at one.
            Default `True`.
        peephole_initializer: Initializer of the peephole vectors.
        peephole_regularizer: Regularizer of the peephole vectors.
        peephole_constraint: Constraint of the peephole vectors.
        **kwargs: `activation`, `recurrent_activation`, `use_bias`, the
            initializers, regularizers and constraints of `kernel`,
            `recurrent_kernel` and `bias`, `dropout`, `recurrent_dropout` and
            `seed`, as in `keras.layers.LSTMCell`.

    Call arguments:
        inputs: A 2D tensor `(batch, features)`.
        states: `[h, c]`, each `(batch, units)`.
        training: Whether dropout is active.

    Example:

    >>> inputs = np.random.random((8, 10, 5)).astype("float32")
    >>> rnn = keras.layers.RNN(CoupledLSTMCell(4, use_peepholes=True))
    >>> tuple(rnn(inputs).shape)
    (8, 4)
    """

    num_gates = 3
    forget_gate_index = 0

    def __init__(self, units, use_peepholes=False, **kwargs):
        super().__init__(units, **kwargs)
        self.use_peepholes = use_peepholes

    def build(self, input_shape):
        super().build(input_shape)
        if self.use_peepholes:
            self.add_peepholes("forget", "output")

    def loop_weights(self):
        if self.use_peepholes:
            return [
                self.recurrent_kernel,
                self.forget_peephole,
                self.output_peephole,
            ]
        return [self.recurrent_kernel]

    def equations(self, projected_inputs, h_dropped, c_tm1, weights):
        """The cell's equations; returns `(f, g, o, c, h)`, `g` the
        candidate `tanh(x W_c + h U_c + b_c)`."""
        z = projected_inputs + ops.matmul(h_dropped, weights[0])
        z_f, z_c, z_o = ops.split(z, 3, axis=-1)
        if self.use_peepholes:
            z_f = z_f + weights[1] * c_tm1
        f = self.recurrent_activation(z_f)
        g = self.activation(z_c)
        c = f * c_tm1 + (1.0 - f) * g
        if self.use_peepholes:
            z_o = z_o + weights[2] * c
        o = self.recurrent_activation(z_o)
        h = o * self.activation(c)
        return f, g, o, c, h

    def recurrent_step(self, projected_inputs, states, training=False):
        h_tm1, c_tm1 = states
        h_dropped = self.drop_recurrent_state(h_tm1, training)
        *_, c, h = self.equations(
            projected_inputs, h_dropped, c_tm1, self.loop_weights()
        )
        return h, [h, c]

    # The fused recurrence (see `rnnzoo.layers.fused.FusedRecurrence`).

    def fused_forward_step(
        self, projected_inputs, states, weights, recurrent_dropout_mask
    ):
        h_tm1, c_tm1 = states
        h_dropped = h_tm1
        if recurrent_dropout_mask is not None:
            h_dropped = h_tm1 * recurrent_dropout_mask
        f, g, o, c, h = self.equations(
            projected_inputs, h_dropped, c_tm1, weights
        )
        return h, [h, c], [f, g, o, c_tm1, c, h_dropped]

    def fused_backward_step(
        self,
        output_gradient,
        state_gradients,
        saved,
        weights,
        recurrent_dropout_mask,
    ):
        f, g, o, c_tm1, c, h_dropped = saved
        dh, dc = state_gradients
        dh = add_gradients(dh, output_gradient)
        tanh_c = ops.tanh(c)
        dz_o = sigmoid_gradient(o, dh * tanh_c)
        dc = dc + tanh_gradient(tanh_c, dh * o)
        if self.use_peepholes:
            dc = dc + dz_o * weights[2]
        dz_c = tanh_gradient(g, dc * (1.0 - f))
        dz_f = sigmoid_gradient(f, dc * (c_tm1 - g))
        dc_tm1 = dc * f
        if self.use_peepholes:
            dc_tm1 = dc_tm1 + dz_f * weights[1]
        dz = ops.concatenate([dz_f, dz_c, dz_o], axis=-1)
        dh_tm1 = ops.matmul(dz, weights[0])
        if recurrent_dropout_mask is not None:
            dh_tm1 = dh_tm1 * recurrent_dropout_mask
        terms = [kernel_gradient(h_dropped, dz)]
        if self.use_peepholes:
            terms += [dz_f * c_tm1, dz_o * c]
        return dz, [dh_tm1, dc_tm1], terms

    def get_config(self):
        return {**super().get_config(), "use_peepholes": self.use_peepholes}


@keras.saving.register_keras_serializable(package="rnnzoo")
class CoupledLSTM(RecurrentLayer):
    """Coupled input-forget gate LSTM layer, CIFG (Greff et al. 2017).

    Runs `CoupledLSTMCell` over a sequence, with the input projection taken out
    of the recurrent step; a drop-in replacement for `keras.layers.LSTM`.

    Args:
        units: Positive integer, dimensionality of the output space.
        **kwargs: Every argument of `CoupledLSTMCell` and of
            `keras.layers.RNN` (`return_sequences`, `return_state`,
            `go_backwards`, `stateful`, `unroll`, `zero_output_for_mask`).

    Call arguments:
        sequences: A 3D tensor `(batch, timesteps, features)`.
        initial_state: Optional `[h, c]`.
        mask: Optional boolean `(batch, timesteps)`.
        training: Whether dropout is active.

    Example:

    >>> inputs = np.random.random((8, 10, 5)).astype("float32")
    >>> tuple(CoupledLSTM(4, return_sequences=True)(inputs).shape)
    (8, 10, 4)
    """

    cell_class = CoupledLSTMCell

    recurrent_activation = property(lambda self: self.cell.recurrent_activation)
    use_peepholes = property(lambda self: self.cell.use_peepholes)
    unit_forget_bias = property(lambda self: self.cell.unit_forget_bias)
