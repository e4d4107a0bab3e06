"""Peephole LSTM (Gers, Schraudolph & Schmidhuber 2002)."""

import keras
from keras import ops

from rnnzoo.layers.base import RecurrentLayer
from rnnzoo.layers.lstm_variant import LSTMVariantCell


@keras.saving.register_keras_serializable(package="rnnzoo")
class PeepholeLSTMCell(LSTMVariantCell):
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
    >>> rnn(inputs).shape
    (8, 4)
    """

    num_gates = 4
    forget_gate_index = 1

    def build(self, input_shape):
        super().build(input_shape)
        self.add_peepholes("input", "forget", "output")

    def recurrent_step(self, projected_inputs, states, training=False):
        h_tm1, c_tm1 = states
        z = projected_inputs + ops.matmul(
            self.drop_recurrent_state(h_tm1, training), self.recurrent_kernel
        )
        z_i, z_f, z_c, z_o = ops.split(z, 4, axis=-1)
        gate = self.recurrent_activation
        i = gate(z_i + self.input_peephole * c_tm1)
        f = gate(z_f + self.forget_peephole * c_tm1)
        c = f * c_tm1 + i * self.activation(z_c)
        o = gate(z_o + self.output_peephole * c)
        h = o * self.activation(c)
        return h, [h, c]


@keras.saving.register_keras_serializable(package="rnnzoo")
class PeepholeLSTM(RecurrentLayer):
    """Peephole LSTM layer (Gers, Schraudolph & Schmidhuber 2002).

    Runs `PeepholeLSTMCell` over a sequence, with the input projection of all
    steps hoisted out of the time loop. A drop-in replacement for
    `keras.layers.LSTM`: masking, dropout, `Bidirectional`, `stateful`,
    `.keras` saving, mixed precision and `jit_compile=True` all work.

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
    >>> outputs.shape, h.shape, c.shape
    ((8, 10, 4), (8, 4), (8, 4))
    """

    cell_class = PeepholeLSTMCell

    recurrent_activation = property(lambda self: self.cell.recurrent_activation)
    unit_forget_bias = property(lambda self: self.cell.unit_forget_bias)
