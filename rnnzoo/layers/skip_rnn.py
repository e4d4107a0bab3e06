"""Skip-connected RNN (Zhang et al. 2016, "Architectural complexity measures
of recurrent neural networks")."""

import keras
from keras import ops

from rnnzoo.layers.base import RecurrentCell
from rnnzoo.layers.fused import FusedRecurrence
from rnnzoo.layers.fused_gradients import add_gradients
from rnnzoo.layers.fused_gradients import kernel_gradient
from rnnzoo.layers.fused_gradients import tanh_gradient
from rnnzoo.layers.recurrent_layer import RecurrentLayer
from rnnzoo.layers.weight_options import add_weight_with_options
from rnnzoo.layers.weight_options import set_weight_options
from rnnzoo.layers.weight_options import weight_options_config


@keras.saving.register_keras_serializable(package="rnnzoo")
class SkipRNNCell(RecurrentCell, FusedRecurrence):
    """Cell of an Elman RNN with a recurrent connection that skips `k` steps.

    ```
    h_t = act(x W + h_{t-1} U + h_{t-k} S + b)
    ```

    with `skip=k` and `skip_kernel` `S` `(units, units)`. The cell's single
    state is the history of the last `k` outputs, `[h_{t-1}, ..., h_{t-k}]`
    concatenated to `(batch, k * units)`, newest first.

    With `use_short_connection=False` the `h_{t-1} U` term (and
    `recurrent_kernel`) is dropped: the layer is then exactly `k`
    independent Elman RNNs over the interleaved steps `t ≡ j (mod k)`, a
    dilated RNN layer.

    Args:
        units: Positive integer, dimensionality of the output space.
        skip: Positive integer `k`, how many steps back the skip connection
            reaches. Default `2`.
        use_short_connection: Whether `h_{t-1}` feeds the next step too.
            Default `True`.
        skip_initializer: Initializer of `skip_kernel`. Default
            `"orthogonal"`.
        skip_regularizer: Regularizer of `skip_kernel`.
        skip_constraint: Constraint of `skip_kernel`.
        **kwargs: `activation`, `use_bias`, the initializers, regularizers
            and constraints of `kernel`, `recurrent_kernel` and `bias`,
            `dropout`, `recurrent_dropout` and `seed`, as in
            `keras.layers.SimpleRNNCell`.

    Call arguments:
        inputs: A 2D tensor `(batch, features)`.
        states: `[history]`, `(batch, skip * units)`.
        training: Whether dropout is active.

    Example:

    >>> inputs = np.random.random((8, 10, 5)).astype("float32")
    >>> rnn = keras.layers.RNN(SkipRNNCell(4, skip=3))
    >>> tuple(rnn(inputs).shape)
    (8, 4)
    """

    num_gates = 1

    def __init__(
        self,
        units,
        skip=2,
        use_short_connection=True,
        skip_initializer="orthogonal",
        skip_regularizer=None,
        skip_constraint=None,
        **kwargs,
    ):
        if isinstance(skip, bool) or not isinstance(skip, int) or skip < 1:
            raise ValueError(
                f"`skip` must be a positive integer, got skip={skip!r}"
            )
        super().__init__(units, **kwargs)
        self.skip = skip
        self.use_short_connection = use_short_connection
        set_weight_options(
            self, "skip", skip_initializer, skip_regularizer, skip_constraint
        )
        self.state_size = [skip * units]
        self.output_size = units

    @property
    def uses_recurrent_kernel(self):
        return self.use_short_connection

    def build(self, input_shape):
        super().build(input_shape)
        self.skip_kernel = add_weight_with_options(
            self, "skip_kernel", (self.units, self.units), "skip"
        )

    def loop_weights(self):
        if self.use_short_connection:
            return [self.skip_kernel, self.recurrent_kernel]
        return [self.skip_kernel]

    def equations(self, projected_inputs, history, dropped, weights):
        """The cell's equations on the (dropped) history; returns
        `(h, new_history)`."""
        oldest_start = (self.skip - 1) * self.units
        z = projected_inputs + ops.matmul(dropped[:, oldest_start:], weights[0])
        if self.use_short_connection:
            z = z + ops.matmul(dropped[:, : self.units], weights[1])
        h = self.activation(z)
        new_history = ops.concatenate([h, history[:, :oldest_start]], axis=-1)
        return h, new_history

    def recurrent_step(self, projected_inputs, states, training=False):
        history = states[0]
        dropped = self.drop_recurrent_state(history, training)
        h, new_history = self.equations(
            projected_inputs, history, dropped, self.loop_weights()
        )
        return h, [new_history]

    # The fused recurrence (see `rnnzoo.layers.fused.FusedRecurrence`).

    def fused_forward_step(
        self, projected_inputs, states, weights, recurrent_dropout_mask
    ):
        history = states[0]
        dropped = history
        if recurrent_dropout_mask is not None:
            dropped = history * recurrent_dropout_mask
        h, new_history = self.equations(
            projected_inputs, history, dropped, weights
        )
        return h, [new_history], [h, dropped]

    def fused_backward_step(
        self,
        output_gradient,
        state_gradients,
        saved,
        weights,
        recurrent_dropout_mask,
    ):
        units, skip = self.units, self.skip
        h, dropped = saved
        d_history = state_gradients[0]
        dz = tanh_gradient(
            h, add_gradients(d_history[:, :units], output_gradient)
        )
        skip_gradient = ops.matmul(dz, weights[0])
        short_gradient = None
        if self.use_short_connection:
            short_gradient = ops.matmul(dz, weights[1])
        if recurrent_dropout_mask is not None:
            skip_gradient = (
                skip_gradient
                * (recurrent_dropout_mask[:, (skip - 1) * units :])
            )
            if short_gradient is not None:
                short_gradient = (
                    short_gradient * (recurrent_dropout_mask[:, :units])
                )
        # The new history is `[h, history[:, :(skip - 1) * units]]`: slot
        # `j` of the history received is slot `j + 1` of the new one, and
        # the matmuls read slots 0 (short) and `skip - 1` (skip).
        if skip == 1:
            slots = [skip_gradient]
            if short_gradient is not None:
                slots = [skip_gradient + short_gradient]
        elif short_gradient is not None:
            slots = [
                d_history[:, units : 2 * units] + short_gradient,
                d_history[:, 2 * units :],
                skip_gradient,
            ]
        else:
            slots = [d_history[:, units:], skip_gradient]
        terms = [kernel_gradient(dropped[:, (skip - 1) * units :], dz)]
        if self.use_short_connection:
            terms.append(kernel_gradient(dropped[:, :units], dz))
        return dz, [ops.concatenate(slots, axis=-1)], terms

    def get_config(self):
        return {
            **super().get_config(),
            "skip": self.skip,
            "use_short_connection": self.use_short_connection,
            **weight_options_config(self, "skip"),
        }


@keras.saving.register_keras_serializable(package="rnnzoo")
class SkipRNN(RecurrentLayer):
    """Skip-connected RNN layer (Zhang et al. 2016).

    Runs `SkipRNNCell` over a sequence, with the input projection taken out of
    the recurrent step. Its state (and the state returned with
    `return_state=True`) is the history of the last `skip` outputs, `(batch,
    skip * units)`, newest first.

    Args:
        units: Positive integer, dimensionality of the output space.
        **kwargs: Every argument of `SkipRNNCell` (`skip`,
            `use_short_connection`, ...) and of `keras.layers.RNN`
            (`return_sequences`, `return_state`, `go_backwards`, `stateful`,
            `unroll`, `zero_output_for_mask`).

    Call arguments:
        sequences: A 3D tensor `(batch, timesteps, features)`.
        initial_state: Optional `[history]`, `(batch, skip * units)`.
        mask: Optional boolean `(batch, timesteps)`.
        training: Whether dropout is active.

    Example:

    >>> inputs = np.random.random((8, 12, 5)).astype("float32")
    >>> outputs, history = SkipRNN(4, skip=3, return_sequences=True,
    ...                            return_state=True)(inputs)
    >>> tuple(outputs.shape), tuple(history.shape)
    ((8, 12, 4), (8, 12))
    """

    cell_class = SkipRNNCell

    skip = property(lambda self: self.cell.skip)
    use_short_connection = property(lambda self: self.cell.use_short_connection)
