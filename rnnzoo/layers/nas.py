"""The recurrent cell found by neural architecture search, NAS (Zoph & Le
2017), with the equations and weights of TensorFlow Addons' `NASCell`."""

import keras
from keras import ops

from rnnzoo.layers.base import RecurrentCell
from rnnzoo.layers.base import is_activation
from rnnzoo.layers.fused import FusedRecurrence
from rnnzoo.layers.fused_gradients import add_gradients
from rnnzoo.layers.fused_gradients import kernel_gradient
from rnnzoo.layers.fused_gradients import sigmoid_gradient
from rnnzoo.layers.fused_gradients import tanh_gradient
from rnnzoo.layers.recurrent_layer import RecurrentLayer
from rnnzoo.layers.weight_options import add_weight_with_options
from rnnzoo.layers.weight_options import set_weight_options
from rnnzoo.layers.weight_options import weight_options_config
from rnnzoo.validation import check_positive_int


@keras.saving.register_keras_serializable(package="rnnzoo")
class NASCell(RecurrentCell, FusedRecurrence):
    """Cell of the recurrent network found by neural architecture search.

    Eight blocks `x_k = (x W)_k` and `m_k = (h_{t-1} U + b)_k`, `k = 0..7`
    (the bias belongs to the recurrent part, as in TFA) feed a fixed tree
    of operations (ReLU `ρ`):

    ```
    a_0 = σ(x_0 + m_0)    a_1 = ρ(x_1 + m_1)    a_2 = σ(x_2 + m_2)
    a_3 = ρ(x_3 ⊙ m_3)    a_4 = tanh(x_4 + m_4) a_5 = σ(x_5 + m_5)
    a_6 = tanh(x_6 + m_6) a_7 = σ(x_7 + m_7)
    c_t = tanh(tanh(a_0 ⊙ a_1) + c_{t-1}) ⊙ tanh(a_2 + a_3)
    h_t = tanh(c_t ⊙ tanh(tanh(a_4 ⊙ a_5) + σ(a_6 + a_7))) [P]
    ```

    With `projection`, `h_t` is projected by `P` to `projection` features.
    The nonlinearities are those of the searched cell: `activation` must
    stay `"tanh"`.

    The states are `[h, c]`, the output first as in every rnnzoo and Keras
    cell (TFA's `NASCell` orders them `[c, h]`). Weights (TFA's layout and
    order, so `set_weights` takes the `get_weights()` of a TFA `NASCell`):
    `recurrent_kernel` `(output_size, 8 * units)`, `kernel` `(input_dim,
    8 * units)`, `bias` `(8 * units,)` with `use_bias`, and
    `projection_weights` `(units, projection)` with `projection`.

    Args:
        units: Positive integer, the width of the cell state.
        projection: Positive integer, the width of the output `h_t`, or
            `None` for no projection (the output is `units` wide). Default
            `None`.
        use_bias: Whether the cell adds a bias. Default `False`, as TFA.
        recurrent_initializer: Initializer of `recurrent_kernel`. Default
            `"glorot_uniform"`, as TFA.
        projection_initializer: Initializer of `projection_weights`.
            Default `"glorot_uniform"`.
        projection_regularizer: Regularizer of `projection_weights`.
        projection_constraint: Constraint of `projection_weights`.
        **kwargs: The initializers (but `recurrent_initializer`),
            regularizers and constraints of `kernel`, `recurrent_kernel` and
            `bias`, `dropout`, `recurrent_dropout` and `seed`, as in
            `keras.layers.LSTMCell`.

    Call arguments:
        inputs: A 2D tensor `(batch, features)`.
        states: `[h, c]`, `(batch, output_size)` and `(batch, units)`.
        training: Whether dropout is active.

    Example:

    >>> inputs = np.random.random((8, 10, 5)).astype("float32")
    >>> rnn = keras.layers.RNN(NASCell(4, projection=3), return_state=True)
    >>> [tuple(tensor.shape) for tensor in rnn(inputs)]
    [(8, 3), (8, 3), (8, 4)]
    """

    num_gates = 8

    def __init__(
        self,
        units,
        projection=None,
        use_bias=False,
        recurrent_initializer="glorot_uniform",
        projection_initializer="glorot_uniform",
        projection_regularizer=None,
        projection_constraint=None,
        **kwargs,
    ):
        super().__init__(
            units,
            use_bias=use_bias,
            recurrent_initializer=recurrent_initializer,
            **kwargs,
        )
        if not is_activation(self.activation, "tanh"):
            raise ValueError(
                "`activation` must be 'tanh' (the nonlinearities of NASCell "
                "are those of the searched cell), got "
                f"activation={kwargs.get('activation')!r}"
            )
        self.projection = check_positive_int(
            "projection", projection, allow_none=True
        )
        set_weight_options(
            self,
            "projection",
            projection_initializer,
            projection_regularizer,
            projection_constraint,
        )
        self.output_size = self.projection or units
        self.state_size = [self.output_size, units]

    def build(self, input_shape):
        # Created in TFA's order, so `get_weights()` lists them as TFA does.
        width = self.num_gates * self.units
        self.recurrent_kernel = add_weight_with_options(
            self, "recurrent_kernel", (self.output_size, width), "recurrent"
        )
        self.kernel = add_weight_with_options(
            self, "kernel", (input_shape[-1], width), "kernel"
        )
        self.bias = None
        if self.use_bias:
            self.bias = add_weight_with_options(self, "bias", (width,), "bias")
        self.projection_weights = None
        if self.projection is not None:
            self.projection_weights = add_weight_with_options(
                self,
                "projection_weights",
                (self.units, self.projection),
                "projection",
            )

    def project_inputs(self, inputs):
        # The bias belongs to the recurrent blocks (see `recurrent_step`):
        # block 3 multiplies the two parts.
        return ops.matmul(inputs, self.kernel)

    def loop_weights(self):
        weights = [self.recurrent_kernel]
        if self.use_bias:
            weights.append(self.bias)
        if self.projection is not None:
            weights.append(self.projection_weights)
        return weights

    def equations(self, projected_inputs, h_dropped, c_tm1, weights):
        """The cell's equations; returns `(output, c, intermediates)`, the
        intermediates being what the fused backward step needs."""
        recurrent_kernel, *weights = weights
        recurrent = ops.matmul(h_dropped, recurrent_kernel)
        if self.use_bias:
            bias, *weights = weights
            recurrent = recurrent + bias
        x = ops.split(projected_inputs, self.num_gates, axis=-1)
        m = ops.split(recurrent, self.num_gates, axis=-1)
        sigmoid, relu, tanh = ops.sigmoid, ops.relu, ops.tanh
        a_0 = sigmoid(x[0] + m[0])
        a_1 = relu(x[1] + m[1])
        a_2 = sigmoid(x[2] + m[2])
        a_3 = relu(x[3] * m[3])
        a_4 = tanh(x[4] + m[4])
        a_5 = sigmoid(x[5] + m[5])
        a_6 = tanh(x[6] + m[6])
        a_7 = sigmoid(x[7] + m[7])
        cell_input = tanh(a_0 * a_1)
        cell_gate = tanh(a_2 + a_3)
        cell_sum = tanh(cell_input + c_tm1)
        c = cell_sum * cell_gate
        output_input = tanh(a_4 * a_5)
        output_sum = tanh(output_input + sigmoid(a_6 + a_7))
        h = tanh(c * output_sum)
        output = h
        if self.projection is not None:
            output = ops.matmul(h, weights[0])
        activations = [a_0, a_1, a_2, a_3, a_4, a_5, a_6, a_7]
        intermediates = [
            *activations,
            x[3],
            m[3],
            cell_input,
            cell_gate,
            cell_sum,
            c,
            output_input,
            output_sum,
            h,
        ]
        return output, c, intermediates

    def recurrent_step(self, projected_inputs, states, training=False):
        h_tm1, c_tm1 = states
        h_dropped = self.drop_recurrent_state(h_tm1, training)
        output, c, _ = self.equations(
            projected_inputs, h_dropped, c_tm1, self.loop_weights()
        )
        return output, [output, c]

    # The fused recurrence (see `rnnzoo.layers.fused.FusedRecurrence`). The
    # bias belongs to the recurrent blocks: it is a loop weight.

    def fused_input_projection(self):
        return [self.kernel]

    def fused_forward_step(
        self, projected_inputs, states, weights, recurrent_dropout_mask
    ):
        h_tm1, c_tm1 = states
        h_dropped = h_tm1
        if recurrent_dropout_mask is not None:
            h_dropped = h_tm1 * recurrent_dropout_mask
        output, c, intermediates = self.equations(
            projected_inputs, h_dropped, c_tm1, weights
        )
        return output, [output, c], [*intermediates, h_dropped]

    def fused_backward_step(
        self,
        output_gradient,
        state_gradients,
        saved,
        weights,
        recurrent_dropout_mask,
    ):
        (a_0, a_1, a_2, a_3, a_4, a_5, a_6, a_7, x_3, m_3) = saved[:10]
        cell_input, cell_gate, cell_sum, c, output_input = saved[10:15]
        output_sum, h, h_dropped = saved[15:]
        dh, dc = state_gradients
        dh = add_gradients(dh, output_gradient)
        terms = []
        if self.projection is not None:
            terms.append(kernel_gradient(h, dh))
            dh = ops.matmul(dh, weights[-1])
        d_product = tanh_gradient(h, dh)
        dc = dc + d_product * output_sum
        d_output_sum = tanh_gradient(output_sum, d_product * c)
        # `σ(a_6 + a_7)`, recomputed rather than saved.
        d_67 = sigmoid_gradient(ops.sigmoid(a_6 + a_7), d_output_sum)
        d_45 = tanh_gradient(output_input, d_output_sum)
        d_cell_sum = tanh_gradient(cell_sum, dc * cell_gate)
        d_23 = tanh_gradient(cell_gate, dc * cell_sum)
        d_01 = tanh_gradient(cell_input, d_cell_sum)
        # The gradients of the eight blocks' pre-activations; ReLU's
        # derivative at zero is zero, as the backends' own.
        zero = ops.zeros_like(a_1)
        d_blocks = [
            sigmoid_gradient(a_0, d_01 * a_1),
            ops.where(a_1 > 0, d_01 * a_0, zero),
            sigmoid_gradient(a_2, d_23),
            ops.where(a_3 > 0, d_23, zero),
            tanh_gradient(a_4, d_45 * a_5),
            sigmoid_gradient(a_5, d_45 * a_4),
            tanh_gradient(a_6, d_67),
            sigmoid_gradient(a_7, d_67),
        ]
        d_product_3 = d_blocks[3]
        d_blocks[3] = d_product_3 * m_3
        dx = ops.concatenate(d_blocks, axis=-1)
        d_blocks[3] = d_product_3 * x_3
        dm = ops.concatenate(d_blocks, axis=-1)
        dh_tm1 = ops.matmul(dm, weights[0])
        if recurrent_dropout_mask is not None:
            dh_tm1 = dh_tm1 * recurrent_dropout_mask
        terms = [kernel_gradient(h_dropped, dm), *terms]
        if self.use_bias:
            terms.insert(1, dm)
        return dx, [dh_tm1, d_cell_sum], terms

    def get_config(self):
        return {
            **super().get_config(),
            "projection": self.projection,
            **weight_options_config(self, "projection"),
        }


@keras.saving.register_keras_serializable(package="rnnzoo")
class NAS(RecurrentLayer):
    """Layer of the NAS cell (Zoph & Le 2017), as TFA's `NASCell` in
    `keras.layers.RNN`.

    Runs `NASCell` over a sequence, with the input projection taken out of
    the recurrent step. With `projection`, the outputs and the first state
    are `projection` wide.

    Args:
        units: Positive integer, the width of the cell state.
        **kwargs: Every argument of `NASCell` (`projection`, ...) and of
            `keras.layers.RNN` (`return_sequences`, `return_state`,
            `go_backwards`, `stateful`, `unroll`, `zero_output_for_mask`).

    Call arguments:
        sequences: A 3D tensor `(batch, timesteps, features)`.
        initial_state: Optional `[h, c]`.
        mask: Optional boolean `(batch, timesteps)`.
        training: Whether dropout is active.

    Example:

    >>> inputs = np.random.random((8, 10, 5)).astype("float32")
    >>> tuple(NAS(4, return_sequences=True)(inputs).shape)
    (8, 10, 4)
    """

    cell_class = NASCell

    projection = property(lambda self: self.cell.projection)
