"""Layer-normalized recurrent cells (Ba, Kiros & Hinton 2016), with the
equations and weights of TensorFlow Addons' `LayerNormLSTMCell` and
`LayerNormSimpleRNNCell`, so that weights trained with TFA load."""

import keras
from keras import initializers
from keras import ops

from rnnzoo.layers.base import ForgetGateBias
from rnnzoo.layers.base import GatedRecurrentCell
from rnnzoo.layers.base import RecurrentCell
from rnnzoo.layers.fused_layer_norm import LayerNormLSTMFusedSteps
from rnnzoo.layers.fused_layer_norm import LayerNormSimpleRNNFusedSteps
from rnnzoo.layers.recurrent_layer import RecurrentLayer
from rnnzoo.layers.weight_options import set_weight_options
from rnnzoo.layers.weight_options import weight_options_config
from rnnzoo.validation import check_positive_number


@keras.saving.register_keras_serializable(package="rnnzoo")
class LayerNormLSTMCell(
    ForgetGateBias, GatedRecurrentCell, LayerNormLSTMFusedSteps
):
    """Cell of an LSTM with layer normalization, as TensorFlow Addons has it.

    Gate blocks are `[i, f, c, o]` as in `keras.layers.LSTMCell`. `LN_k`,
    `LN_r` and `LN_s` are three layer normalizations, each with its own gain
    `γ` and shift `β`; `LN_k` and `LN_r` normalize all four gate blocks
    together, and the bias comes after them:

    ```
    z   = LN_k(x W) + LN_r(h_{t-1} U) + b
    i   = σ(z_i),  f = σ(z_f),  o = σ(z_o)
    c_t = LN_s(f ⊙ c_{t-1} + i ⊙ tanh(z_c))
    h_t = o ⊙ tanh(c_t)
    ```

    The state carried to the next step is the normalized `c_t`.

    Weights (TFA's layout and order, so `set_weights` takes the
    `get_weights()` of a TFA `LayerNormLSTMCell`): `kernel` `(input_dim,
    4 * units)`, `recurrent_kernel` `(units, 4 * units)`, `bias`
    `(4 * units,)`, then the sublayers `kernel_norm`, `recurrent_norm` (each
    `gamma` and `beta`, `(4 * units,)`) and `state_norm` (`gamma` and `beta`,
    `(units,)`): nine arrays in that order.

    Args:
        units: Positive integer, dimensionality of the output space.
        unit_forget_bias: Whether the forget-gate bias starts at one.
            Default `True`.
        norm_gamma_initializer: Initializer of the three gains `gamma`.
            Default `"ones"`.
        norm_beta_initializer: Initializer of the three shifts `beta`.
            Default `"zeros"`.
        norm_epsilon: Positive float added to the variance of each
            normalization. Default `1e-3`, as TFA.
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
    >>> rnn = keras.layers.RNN(LayerNormLSTMCell(4))
    >>> tuple(rnn(inputs).shape)
    (8, 4)
    """

    num_gates = 4
    forget_gate_index = 1

    def __init__(
        self,
        units,
        unit_forget_bias=True,
        norm_gamma_initializer="ones",
        norm_beta_initializer="zeros",
        norm_epsilon=1e-3,
        **kwargs,
    ):
        super().__init__(units, **kwargs)
        self.unit_forget_bias = unit_forget_bias
        self.norm_gamma_initializer = initializers.get(norm_gamma_initializer)
        self.norm_beta_initializer = initializers.get(norm_beta_initializer)
        self.norm_epsilon = check_positive_number("norm_epsilon", norm_epsilon)
        self.state_size = [units, units]
        # Created in this order, so `get_weights()` lists them as TFA does.
        self.kernel_norm = self._normalization("kernel_norm")
        self.recurrent_norm = self._normalization("recurrent_norm")
        self.state_norm = self._normalization("state_norm")

    def _normalization(self, name):
        return keras.layers.LayerNormalization(
            epsilon=self.norm_epsilon,
            gamma_initializer=self.norm_gamma_initializer,
            beta_initializer=self.norm_beta_initializer,
            dtype=self.dtype_policy,
            name=name,
        )

    def build(self, input_shape):
        super().build(input_shape)
        self.kernel_norm.build((None, 4 * self.units))
        self.recurrent_norm.build((None, 4 * self.units))
        self.state_norm.build((None, self.units))

    def project_inputs(self, inputs):
        projected = self.kernel_norm(ops.matmul(inputs, self.kernel))
        if self.use_bias:
            projected = projected + self.bias
        return projected

    def recurrent_step(self, projected_inputs, states, training=False):
        h_tm1, c_tm1 = states
        h_dropped = self.drop_recurrent_state(h_tm1, training)
        z = projected_inputs + self.recurrent_norm(
            ops.matmul(h_dropped, self.recurrent_kernel)
        )
        z_i, z_f, z_c, z_o = ops.split(z, 4, axis=-1)
        gate = self.recurrent_activation
        c = gate(z_f) * c_tm1 + gate(z_i) * self.activation(z_c)
        c = self.state_norm(c)
        h = gate(z_o) * self.activation(c)
        return h, [h, c]

    def get_config(self):
        return {
            **super().get_config(),
            "unit_forget_bias": self.unit_forget_bias,
            **weight_options_config(
                self, "norm_gamma", "norm_beta", kinds=("initializer",)
            ),
            "norm_epsilon": self.norm_epsilon,
        }


@keras.saving.register_keras_serializable(package="rnnzoo")
class LayerNormLSTM(RecurrentLayer):
    """LSTM layer with layer normalization (Ba et al. 2016), as TFA's
    `LayerNormLSTMCell` in `keras.layers.RNN`.

    Runs `LayerNormLSTMCell` over a sequence, with the input projection and
    its normalization taken out of the recurrent step. Its weights are the
    cell's, in TFA's layout and order (see `LayerNormLSTMCell`).

    Args:
        units: Positive integer, dimensionality of the output space.
        **kwargs: Every argument of `LayerNormLSTMCell` and of
            `keras.layers.RNN` (`return_sequences`, `return_state`,
            `go_backwards`, `stateful`, `unroll`, `zero_output_for_mask`).

    Call arguments:
        sequences: A 3D tensor `(batch, timesteps, features)`.
        initial_state: Optional `[h, c]`.
        mask: Optional boolean `(batch, timesteps)`.
        training: Whether dropout is active.

    Example:

    >>> inputs = np.random.random((8, 10, 5)).astype("float32")
    >>> outputs, h, c = LayerNormLSTM(4, return_sequences=True,
    ...                               return_state=True)(inputs)
    >>> tuple(outputs.shape), tuple(h.shape), tuple(c.shape)
    ((8, 10, 4), (8, 4), (8, 4))
    """

    cell_class = LayerNormLSTMCell

    recurrent_activation = property(lambda self: self.cell.recurrent_activation)
    unit_forget_bias = property(lambda self: self.cell.unit_forget_bias)
    norm_epsilon = property(lambda self: self.cell.norm_epsilon)


@keras.saving.register_keras_serializable(package="rnnzoo")
class LayerNormSimpleRNNCell(RecurrentCell, LayerNormSimpleRNNFusedSteps):
    """Cell of an Elman RNN with layer normalization, as TensorFlow Addons.

    The normalization `LN` has a gain `γ` and no shift (the bias plays
    that part) and normalizes the sum of both matmuls:

    ```
    h_t = act(LN(x W + h_{t-1} U) + b)
    ```

    Weights (TFA's layout and order): `kernel` `(input_dim, units)`,
    `recurrent_kernel` `(units, units)`, `bias` `(units,)`, then the gain
    `gamma` `(units,)` of the sublayer `layernorm`.

    Args:
        units: Positive integer, dimensionality of the output space.
        layernorm_epsilon: Positive float added to the variance. Default
            `1e-5`, as TFA.
        gamma_initializer: Initializer of `gamma`. Default `"ones"`.
        gamma_regularizer: Regularizer of `gamma`.
        gamma_constraint: Constraint of `gamma`.
        **kwargs: `activation`, `use_bias`, the initializers, regularizers
            and constraints of `kernel`, `recurrent_kernel` and `bias`,
            `dropout`, `recurrent_dropout` and `seed`, as in
            `keras.layers.SimpleRNNCell`.

    Call arguments:
        inputs: A 2D tensor `(batch, features)`.
        states: `[h]`, `(batch, units)`.
        training: Whether dropout is active.

    Example:

    >>> inputs = np.random.random((8, 10, 5)).astype("float32")
    >>> rnn = keras.layers.RNN(LayerNormSimpleRNNCell(4))
    >>> tuple(rnn(inputs).shape)
    (8, 4)
    """

    num_gates = 1

    def __init__(
        self,
        units,
        layernorm_epsilon=1e-5,
        gamma_initializer="ones",
        gamma_regularizer=None,
        gamma_constraint=None,
        **kwargs,
    ):
        super().__init__(units, **kwargs)
        self.layernorm_epsilon = check_positive_number(
            "layernorm_epsilon", layernorm_epsilon
        )
        set_weight_options(
            self,
            "gamma",
            gamma_initializer,
            gamma_regularizer,
            gamma_constraint,
        )
        self.layernorm = keras.layers.LayerNormalization(
            epsilon=self.layernorm_epsilon,
            center=False,
            gamma_initializer=self.gamma_initializer,
            gamma_regularizer=self.gamma_regularizer,
            gamma_constraint=self.gamma_constraint,
            dtype=self.dtype_policy,
            name="layernorm",
        )

    def build(self, input_shape):
        super().build(input_shape)
        self.layernorm.build((None, self.units))

    def project_inputs(self, inputs):
        # The bias comes after the normalization, in `recurrent_step`.
        return ops.matmul(inputs, self.kernel)

    def recurrent_step(self, projected_inputs, states, training=False):
        h_dropped = self.drop_recurrent_state(states[0], training)
        z = self.layernorm(
            projected_inputs + ops.matmul(h_dropped, self.recurrent_kernel)
        )
        if self.use_bias:
            z = z + self.bias
        h = self.activation(z)
        return h, [h]

    def get_config(self):
        return {
            **super().get_config(),
            "layernorm_epsilon": self.layernorm_epsilon,
            **weight_options_config(self, "gamma"),
        }


@keras.saving.register_keras_serializable(package="rnnzoo")
class LayerNormSimpleRNN(RecurrentLayer):
    """Elman RNN layer with layer normalization, as TFA's
    `LayerNormSimpleRNN`.

    Runs `LayerNormSimpleRNNCell` over a sequence, with the input matmul
    taken out of the recurrent step.

    Args:
        units: Positive integer, dimensionality of the output space.
        **kwargs: Every argument of `LayerNormSimpleRNNCell` and of
            `keras.layers.RNN` (`return_sequences`, `return_state`,
            `go_backwards`, `stateful`, `unroll`, `zero_output_for_mask`).

    Call arguments:
        sequences: A 3D tensor `(batch, timesteps, features)`.
        initial_state: Optional `[h]`.
        mask: Optional boolean `(batch, timesteps)`.
        training: Whether dropout is active.

    Example:

    >>> inputs = np.random.random((8, 10, 5)).astype("float32")
    >>> tuple(LayerNormSimpleRNN(4, return_sequences=True)(inputs).shape)
    (8, 10, 4)
    """

    cell_class = LayerNormSimpleRNNCell

    layernorm_epsilon = property(lambda self: self.cell.layernorm_epsilon)
