"""Textbook implementations of rnnzoo's cells, as users write them without
rnnzoo: one weight matrix and one matmul per gate, run step by step by
`keras.layers.RNN`.

They compute the same equations as the rnnzoo cells (see
`tests/layers/numpy_reference.py`), but every gate reads its own `W_g`, `U_g`
and `b_g`, the input projection is recomputed inside the time loop, and the
gradient is autodiff through Keras's generic loop. This is the baseline that
rnnzoo's fused layers are measured against.
"""

import keras
from keras import ops


class TextbookCell(keras.layers.Layer):
    """Base of the textbook cells: per-gate weights `W_g`, `U_g`, `b_g`.

    Args:
        units: Dimensionality of the output space.
        gates: Names of the gates, each with its own weights.
    """

    gates = ()

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = [units]
        self.output_size = units

    def build(self, input_shape):
        input_dim = input_shape[-1]
        for gate in self.gates:
            setattr(
                self,
                f"W_{gate}",
                self.add_weight(
                    shape=(input_dim, self.units),
                    initializer="glorot_uniform",
                    name=f"W_{gate}",
                ),
            )
            setattr(
                self,
                f"U_{gate}",
                self.add_weight(
                    shape=(self.units, self.units),
                    initializer="orthogonal",
                    name=f"U_{gate}",
                ),
            )
            setattr(
                self,
                f"b_{gate}",
                self.add_weight(
                    shape=(self.units,), initializer="zeros", name=f"b_{gate}"
                ),
            )

    def peephole(self, name):
        return self.add_weight(
            shape=(self.units,), initializer="glorot_uniform", name=name
        )

    def pre_activation(self, gate, x, h):
        """`x W_g + h U_g + b_g`, two matmuls for one gate."""
        return (
            ops.matmul(x, getattr(self, f"W_{gate}"))
            + ops.matmul(h, getattr(self, f"U_{gate}"))
            + getattr(self, f"b_{gate}")
        )


class TextbookPeepholeLSTMCell(TextbookCell):
    """Peephole LSTM (Gers et al. 2002), one matmul pair per gate."""

    gates = ("i", "f", "c", "o")

    def __init__(self, units, **kwargs):
        super().__init__(units, **kwargs)
        self.state_size = [units, units]

    def build(self, input_shape):
        super().build(input_shape)
        self.p_i = self.peephole("p_i")
        self.p_f = self.peephole("p_f")
        self.p_o = self.peephole("p_o")

    def call(self, x, states):
        h, c = states
        i = ops.sigmoid(self.pre_activation("i", x, h) + self.p_i * c)
        f = ops.sigmoid(self.pre_activation("f", x, h) + self.p_f * c)
        c = f * c + i * ops.tanh(self.pre_activation("c", x, h))
        o = ops.sigmoid(self.pre_activation("o", x, h) + self.p_o * c)
        h = o * ops.tanh(c)
        return h, [h, c]


class TextbookCoupledLSTMCell(TextbookCell):
    """Coupled input-forget gate LSTM (Greff et al. 2017), no peepholes."""

    gates = ("f", "c", "o")

    def __init__(self, units, **kwargs):
        super().__init__(units, **kwargs)
        self.state_size = [units, units]

    def call(self, x, states):
        h, c = states
        f = ops.sigmoid(self.pre_activation("f", x, h))
        c = f * c + (1.0 - f) * ops.tanh(self.pre_activation("c", x, h))
        o = ops.sigmoid(self.pre_activation("o", x, h))
        h = o * ops.tanh(c)
        return h, [h, c]


class TextbookMGUCell(TextbookCell):
    """Minimal gated unit (Zhou et al. 2016)."""

    gates = ("f", "h")

    def call(self, x, states):
        h = states[0]
        f = ops.sigmoid(self.pre_activation("f", x, h))
        candidate = ops.tanh(self.pre_activation("h", x, f * h))
        h = (1.0 - f) * h + f * candidate
        return h, [h]


class TextbookSkipRNNCell(TextbookCell):
    """Skip-connected Elman RNN (Zhang et al. 2016): the state is the
    history of the last `skip` outputs, newest first."""

    gates = ("h",)

    def __init__(self, units, skip=2, **kwargs):
        super().__init__(units, **kwargs)
        self.skip = skip
        self.state_size = [skip * units]

    def build(self, input_shape):
        super().build(input_shape)
        self.S = self.add_weight(
            shape=(self.units, self.units), initializer="orthogonal", name="S"
        )

    def call(self, x, states):
        history = states[0]
        h_previous = history[:, : self.units]
        h_skipped = history[:, (self.skip - 1) * self.units :]
        h = ops.tanh(
            self.pre_activation("h", x, h_previous)
            + ops.matmul(h_skipped, self.S)
        )
        history = ops.concatenate(
            [h, history[:, : (self.skip - 1) * self.units]], axis=-1
        )
        return h, [history]


class TextbookLayerNormLSTMCell(TextbookCell):
    """LSTM with layer normalization (TFA's equations): the four gates'
    `x W_g` normalized together, and their `h U_g`, then the cell state."""

    gates = ("i", "f", "c", "o")

    def __init__(self, units, **kwargs):
        super().__init__(units, **kwargs)
        self.state_size = [units, units]
        self.kernel_norm = keras.layers.LayerNormalization(epsilon=1e-3)
        self.recurrent_norm = keras.layers.LayerNormalization(epsilon=1e-3)
        self.state_norm = keras.layers.LayerNormalization(epsilon=1e-3)

    def build(self, input_shape):
        super().build(input_shape)
        self.kernel_norm.build((None, 4 * self.units))
        self.recurrent_norm.build((None, 4 * self.units))
        self.state_norm.build((None, self.units))

    def call(self, x, states):
        h, c = states
        x_w = [ops.matmul(x, getattr(self, f"W_{g}")) for g in self.gates]
        h_u = [ops.matmul(h, getattr(self, f"U_{g}")) for g in self.gates]
        z = (
            self.kernel_norm(ops.concatenate(x_w, axis=-1))
            + self.recurrent_norm(ops.concatenate(h_u, axis=-1))
            + ops.concatenate([getattr(self, f"b_{g}") for g in self.gates], 0)
        )
        z_i, z_f, z_c, z_o = ops.split(z, 4, axis=-1)
        c = ops.sigmoid(z_f) * c + ops.sigmoid(z_i) * ops.tanh(z_c)
        c = self.state_norm(c)
        h = ops.sigmoid(z_o) * ops.tanh(c)
        return h, [h, c]


class TextbookLayerNormSimpleRNNCell(TextbookCell):
    """Elman RNN with layer normalization (a gain only) before the bias."""

    gates = ("h",)

    def __init__(self, units, **kwargs):
        super().__init__(units, **kwargs)
        self.layernorm = keras.layers.LayerNormalization(
            epsilon=1e-5, center=False
        )

    def build(self, input_shape):
        super().build(input_shape)
        self.layernorm.build((None, self.units))

    def call(self, x, states):
        h = states[0]
        z = self.layernorm(ops.matmul(x, self.W_h) + ops.matmul(h, self.U_h))
        h = ops.tanh(z + self.b_h)
        return h, [h]


class TextbookESNCell(TextbookCell):
    """Echo state network (Jaeger 2001): fixed weights, no leaking."""

    gates = ("h",)

    def __init__(self, units, **kwargs):
        super().__init__(units, **kwargs)
        self.trainable = False  # Only a read-out after it would learn.

    def call(self, x, states):
        h = ops.tanh(self.pre_activation("h", x, states[0]))
        return h, [h]


class TextbookNASCell(TextbookCell):
    """The NAS cell (Zoph & Le 2017) as TFA has it, without bias."""

    gates = tuple(str(k) for k in range(8))

    def __init__(self, units, **kwargs):
        super().__init__(units, **kwargs)
        self.state_size = [units, units]

    def build(self, input_shape):
        for gate in self.gates:
            kernel = self.add_weight(
                shape=(input_shape[-1], self.units), name=f"W_{gate}"
            )
            recurrent_kernel = self.add_weight(
                shape=(self.units, self.units), name=f"U_{gate}"
            )
            setattr(self, f"W_{gate}", kernel)
            setattr(self, f"U_{gate}", recurrent_kernel)

    def call(self, x, states):
        h, c = states
        xs = [ops.matmul(x, getattr(self, f"W_{g}")) for g in self.gates]
        ms = [ops.matmul(h, getattr(self, f"U_{g}")) for g in self.gates]
        a_0 = ops.sigmoid(xs[0] + ms[0])
        a_1 = ops.relu(xs[1] + ms[1])
        a_2 = ops.sigmoid(xs[2] + ms[2])
        a_3 = ops.relu(xs[3] * ms[3])
        a_4 = ops.tanh(xs[4] + ms[4])
        a_5 = ops.sigmoid(xs[5] + ms[5])
        a_6 = ops.tanh(xs[6] + ms[6])
        a_7 = ops.sigmoid(xs[7] + ms[7])
        c = ops.tanh(ops.tanh(a_0 * a_1) + c) * ops.tanh(a_2 + a_3)
        h = ops.tanh(c * ops.tanh(ops.tanh(a_4 * a_5) + ops.sigmoid(a_6 + a_7)))
        return h, [h, c]


# The textbook cell of every rnnzoo cell, by registry name: cell-specific
# code, so keyed by name; `textbook_layer` fails for a registered cell that
# has none, and so does every benchmark run, which times them all.
TEXTBOOK_CELLS = {
    "peephole_lstm": TextbookPeepholeLSTMCell,
    "coupled_lstm": TextbookCoupledLSTMCell,
    "mgu": TextbookMGUCell,
    "skip_rnn": TextbookSkipRNNCell,
    "layer_norm_lstm": TextbookLayerNormLSTMCell,
    "layer_norm_simple_rnn": TextbookLayerNormSimpleRNNCell,
    "esn": TextbookESNCell,
    "nas": TextbookNASCell,
}


def textbook_layer(name: str, units: int, **kwargs) -> keras.layers.RNN:
    """`keras.layers.RNN` over the textbook cell of the family `name`."""
    if name not in TEXTBOOK_CELLS:
        raise ValueError(
            f"No textbook cell for the registered cell {name!r}: add one "
            "to TEXTBOOK_CELLS in benchmarks/textbook.py, which has "
            f"{sorted(TEXTBOOK_CELLS)}"
        )
    return keras.layers.RNN(TEXTBOOK_CELLS[name](units), **kwargs)
