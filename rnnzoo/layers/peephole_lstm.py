"""Peephole LSTM (Gers, Schraudolph & Schmidhuber 2002)."""

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
class PeepholeLSTMCell(LSTMVariantCell, FusedRecurrence):
    """Cell of an LSTM whose gates also look at the cell state.

    Gate blocks are `[i, f, c, o]` as in `keras.layers.LSTMCell`; the three
    diagonal peepholes `input_peephole`, `forget_peephole` and
    `output_peephole` have shape `(units,)`:

    ```
    i   = σ(x W_i + h_{t-1} U_i + p_i ⊙ c_{t-1} + b_i)
    f   = σ(x W_f + h_{t-1} U_f + p_f ⊙ c_{t-1} + b_f)
    c_t = f ⊙ c_{t-1} + i ⊙ tanh(x W_c + h_{t-1} U_c + b_c)
    o   = σ(x W_o + h_{t-1} U_o + p_o ⊙ c_t + b_o)
    h_t = o ⊙ tanh(c_t)
    ```

    The output gate looks at the new cell state `c_t`. With zero peepholes
    the cell computes exactly `keras.layers.LSTMCell`.

    Args:
        units: Positive integer, dimensionality of the output space.
        unit_forget_bias: Whether the forget-gate bias starts at one.
            Default `True`.
        peephole_initializer: Initializer of the three peephole vectors.
            Default `"glorot_uniform"`, as TensorFlow's former
            `PeepholeLSTMCell`.
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
    >>> rnn = keras.layers.RNN(PeepholeLSTMCell(4))
    >>> tuple(rnn(inputs).shape)
    (8, 4)
    """

    num_gates = 4
    forget_gate_index = 1

    def build(self, input_shape):
        super().build(input_shape)
        self.add_peepholes("input", "forget", "output")

    def loop_weights(self):
        return [
            self.recurrent_kernel,
            self.input_peephole,
            self.forget_peephole,
            self.output_peephole,
        ]

    def equations(self, projected_inputs, h_dropped, c_tm1, weights):
        """The cell's equations; returns `(i, f, g, o, c, h)`, `g` the
        candidate `tanh(x W_c + h U_c + b_c)`."""
        recurrent_kernel, input_peephole, forget_peephole, output_peephole = (
            weights
        )
        z = projected_inputs + ops.matmul(h_dropped, recurrent_kernel)
        z_i, z_f, z_c, z_o = ops.split(z, 4, axis=-1)
        gate = self.recurrent_activation
        i = gate(z_i + input_peephole * c_tm1)
        f = gate(z_f + forget_peephole * c_tm1)
        g = self.activation(z_c)
        c = f * c_tm1 + i * g
        o = gate(z_o + output_peephole * c)
        h = o * self.activation(c)
        return i, f, g, o, c, h

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
        i, f, g, o, c, h = self.equations(
            projected_inputs, h_dropped, c_tm1, weights
        )
        return h, [h, c], [i, f, g, o, c_tm1, c, h_dropped]

    def fused_backward_step(
        self,
        output_gradient,
        state_gradients,
        saved,
        weights,
        recurrent_dropout_mask,
    ):
        transposed_kernel, input_peephole, forget_peephole, output_peephole = (
            weights
        )
        i, f, g, o, c_tm1, c, h_dropped = saved
        dh, dc = state_gradients
        dh = add_gradients(dh, output_gradient)
        tanh_c = ops.tanh(c)
        dz_o = sigmoid_gradient(o, dh * tanh_c)
        dc = dc + tanh_gradient(tanh_c, dh * o) + dz_o * output_peephole
        dz_i = sigmoid_gradient(i, dc * g)
        dz_f = sigmoid_gradient(f, dc * c_tm1)
        dz_c = tanh_gradient(g, dc * i)
        dc_tm1 = dc * f + dz_i * input_peephole + dz_f * forget_peephole
        dz = ops.concatenate([dz_i, dz_f, dz_c, dz_o], axis=-1)
        dh_tm1 = ops.matmul(dz, transposed_kernel)
        if recurrent_dropout_mask is not None:
            dh_tm1 = dh_tm1 * recurrent_dropout_mask
        terms = [
            kernel_gradient(h_dropped, dz),
            dz_i * c_tm1,
            dz_f * c_tm1,
            dz_o * c,
        ]
        return dz, [dh_tm1, dc_tm1], terms


@keras.saving.register_keras_serializable(package="rnnzoo")
class PeepholeLSTM(RecurrentLayer):
    """Peephole LSTM layer (Gers, Schraudolph & Schmidhuber 2002).

    Runs `PeepholeLSTMCell` over a sequence, with the input projection taken out
    of the recurrent step. A drop-in replacement for `keras.layers.LSTM`:
    masking, dropout, `Bidirectional`, `stateful`, `.keras` saving, mixed
    precision and `jit_compile=True` all work.

    Args:
        units: Positive integer, dimensionality of the output space.
        **kwargs: Every argument of `PeepholeLSTMCell` and of
            `keras.layers.RNN` (`return_sequences`, `return_state`,
            `go_backwards`, `stateful`, `unroll`, `zero_output_for_mask`).

    Call arguments:
        sequences: A 3D tensor `(batch, timesteps, features)`.
        initial_state: Optional `[h, c]`.
        mask: Optional boolean `(batch, timesteps)`; `False` steps keep the
            previous state and output.
        training: Whether dropout is active.

    Example:

    >>> inputs = np.random.random((8, 10, 5)).astype("float32")
    >>> outputs, h, c = PeepholeLSTM(4, return_sequences=True,
    ...                              return_state=True)(inputs)
    >>> tuple(outputs.shape), tuple(h.shape), tuple(c.shape)
    ((8, 10, 4), (8, 4), (8, 4))
    """

    cell_class = PeepholeLSTMCell

    recurrent_activation = property(lambda self: self.cell.recurrent_activation)
    unit_forget_bias = property(lambda self: self.cell.unit_forget_bias)
