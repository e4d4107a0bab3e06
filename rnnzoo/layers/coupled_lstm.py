"""Coupled input-forget gate LSTM, CIFG (Greff et al. 2017)."""

import keras
from keras import ops

from rnnzoo.layers.base import RecurrentLayer
from rnnzoo.layers.lstm_variant import LSTMVariantCell


@keras.saving.register_keras_serializable(package="rnnzoo")
class CoupledLSTMCell(LSTMVariantCell):
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
    >>> rnn(inputs).shape
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

    def recurrent_step(self, projected_inputs, states, training=False):
        h_tm1, c_tm1 = states
        z = projected_inputs + ops.matmul(
            self.drop_recurrent_state(h_tm1, training), self.recurrent_kernel
        )
        z_f, z_c, z_o = ops.split(z, 3, axis=-1)
        if self.use_peepholes:
            z_f = z_f + self.forget_peephole * c_tm1
        f = self.recurrent_activation(z_f)
        c = f * c_tm1 + (1.0 - f) * self.activation(z_c)
        if self.use_peepholes:
            z_o = z_o + self.output_peephole * c
        o = self.recurrent_activation(z_o)
        h = o * self.activation(c)
        return h, [h, c]

    def get_config(self):
        return {**super().get_config(), "use_peepholes": self.use_peepholes}


@keras.saving.register_keras_serializable(package="rnnzoo")
class CoupledLSTM(RecurrentLayer):
    """Coupled input-forget gate LSTM layer, CIFG (Greff et al. 2017).

    Runs `CoupledLSTMCell` over a sequence, with the input projection of all
    steps hoisted out of the time loop; a drop-in replacement for
    `keras.layers.LSTM`.

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
    >>> CoupledLSTM(4, return_sequences=True)(inputs).shape
    (8, 10, 4)
    """

    cell_class = CoupledLSTMCell

    recurrent_activation = property(lambda self: self.cell.recurrent_activation)
    use_peepholes = property(lambda self: self.cell.use_peepholes)
    unit_forget_bias = property(lambda self: self.cell.unit_forget_bias)
