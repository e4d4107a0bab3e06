"""Minimal gated unit, MGU (Zhou, Wu, Zhang & Zhou 2016)."""

import keras
from keras import ops

from rnnzoo.layers.base import GatedRecurrentCell
from rnnzoo.layers.base import RecurrentLayer


@keras.saving.register_keras_serializable(package="rnnzoo")
class MGUCell(GatedRecurrentCell):
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
    >>> rnn(inputs).shape
    (8, 4)
    """

    num_gates = 2

    def recurrent_step(self, projected_inputs, states, training=False):
        h_tm1 = states[0]
        h_dropped = self.drop_recurrent_state(h_tm1, training)
        x_f, x_h = ops.split(projected_inputs, 2, axis=-1)
        forget_kernel = self.recurrent_kernel[:, : self.units]
        candidate_kernel = self.recurrent_kernel[:, self.units :]
        f = self.recurrent_activation(
            x_f + ops.matmul(h_dropped, forget_kernel)
        )
        candidate = self.activation(
            x_h + ops.matmul(f * h_dropped, candidate_kernel)
        )
        h = (1.0 - f) * h_tm1 + f * candidate
        return h, [h]


@keras.saving.register_keras_serializable(package="rnnzoo")
class MGU(RecurrentLayer):
    """Minimal gated unit layer (Zhou et al. 2016).

    Runs `MGUCell` over a sequence, with the input projection of all steps
    hoisted out of the time loop; a drop-in replacement for
    `keras.layers.GRU` with one gate instead of two.

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
    >>> MGU(4)(inputs).shape
    (8, 4)
    """

    cell_class = MGUCell

    recurrent_activation = property(lambda self: self.cell.recurrent_activation)
