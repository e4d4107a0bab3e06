"""The base of rnnzoo's recurrent cells: one time step, weights in gate blocks.

Every rnnzoo cell splits one time step into two parts:

* `project_inputs(x)`: the input projection `x W + b` for all gate blocks, and
* `recurrent_step(projected, states)`: everything that depends on the previous
  state.

A cell's `call()` runs both for a single step, so the cell works inside
`keras.layers.RNN` like any Keras cell. The sequence layers
(`rnnzoo.layers.recurrent_layer.RecurrentLayer`) take a fast path: the input
projection is taken out of the recurrent step, and only the recurrent part
runs step by step. Both paths execute the same equations, written once in
the cell.

A cell may also implement the *fused recurrence* by deriving from
`rnnzoo.layers.fused.FusedRecurrence` too: the time loop with a hand-written
gradient, which `RecurrentLayer` runs where it applies (TensorFlow and JAX).
"""

import inspect

import keras
from keras import activations
from keras import ops

# `keras.layers.RNN` prepares per-sequence dropout masks only for cells that
# derive from this class.
from rnnzoo.layers.keras_internals import DropoutRNNCell
from rnnzoo.layers.weight_options import StandardWeightsLayer
from rnnzoo.validation import check_positive_int
from rnnzoo.validation import check_rate


def is_activation(function, name):
    """Whether `function` is the Keras activation called `name`."""
    return function is activations.get(name)


class RecurrentCell(StandardWeightsLayer, DropoutRNNCell):
    """Base class of rnnzoo's cells: gate-block weights and dropout.

    A subclass sets `num_gates` (the number of `units`-wide blocks in
    `kernel`, `recurrent_kernel` and `bias`), `state_size` and implements
    `recurrent_step()`. Weights follow the Keras layout, so they can be
    exchanged with Keras's own cells: `kernel` `(input_dim, G * units)`,
    `recurrent_kernel` `(units, G * units)` and `bias` `(G * units,)`.

    Args:
        units: Positive integer, dimensionality of the output space.
        num_gates: Number of gate blocks `G` in the weights.
        activation: Activation of the candidate and output. Default `"tanh"`.
        use_bias: Whether the cell adds a bias vector. Default `True`.
        kernel_initializer: Initializer for `kernel`.
        recurrent_initializer: Initializer for `recurrent_kernel`.
        bias_initializer: Initializer for `bias`.
        kernel_regularizer, recurrent_regularizer, bias_regularizer:
            Regularizers of the three weights.
        kernel_constraint, recurrent_constraint, bias_constraint:
            Constraints of the three weights.
        dropout: Float in `[0, 1)`, fraction of the inputs to drop. The mask
            is drawn once per sequence.
        recurrent_dropout: Float in `[0, 1)`, fraction of the previous state
            to drop before the recurrent matmul, drawn once per sequence.
        seed: Random seed for dropout.
    """

    num_gates = 1

    def __init__(
        self,
        units,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        check_positive_int("units", units)
        check_rate("dropout", dropout)
        check_rate("recurrent_dropout", recurrent_dropout)
        super().__init__(units, **kwargs)
        self.dropout = float(dropout)
        self.recurrent_dropout = float(recurrent_dropout)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed=seed)

    @property
    def uses_recurrent_kernel(self):
        """Whether the cell has a `recurrent_kernel` (a subclass may not)."""
        return True

    def build(self, input_shape):
        recurrent_rows = self.units if self.uses_recurrent_kernel else None
        self.add_standard_weights(
            input_shape[-1], self.num_gates * self.units, recurrent_rows
        )

    def add_unit_vector(self, name, initializer, regularizer, constraint):
        """Adds a `(units,)` weight, such as a diagonal peephole."""
        return self.add_weight(
            shape=(self.units,),
            name=name,
            initializer=initializer,
            regularizer=regularizer,
            constraint=constraint,
        )

    def project_inputs(self, inputs):
        """Returns `inputs W + b` for all gate blocks.

        `inputs` may hold one step `(batch, input_dim)` or a whole sequence
        `(batch, timesteps, input_dim)`.
        """
        projected = ops.matmul(inputs, self.kernel)
        if self.use_bias:
            projected = projected + self.bias
        return projected

    def drop_recurrent_state(self, state, training):
        """Applies the per-sequence recurrent dropout mask to `state`."""
        if training and self.recurrent_dropout > 0.0:
            return state * self.get_recurrent_dropout_mask(state)
        return state

    def drop_inputs(self, inputs, training):
        """Applies the per-sequence input dropout mask to one step."""
        if training and self.dropout > 0.0:
            return inputs * self.get_dropout_mask(inputs)
        return inputs

    def recurrent_step(self, projected_inputs, states, training=False):
        """Advances one step from the projected inputs.

        Args:
            projected_inputs: `(batch, num_gates * units)`, the result of
                `project_inputs` for this step.
            states: List of state tensors of the previous step.
            training: Whether recurrent dropout is active.

        Returns:
            `(output, new_states)`.
        """
        raise NotImplementedError

    def call(self, inputs, states, training=False):
        projected = self.project_inputs(self.drop_inputs(inputs, training))
        return self.recurrent_step(projected, list(states), training=training)

    def get_initial_state(self, batch_size=None):
        return [
            ops.zeros((batch_size, size), dtype=self.compute_dtype)
            for size in self.state_size
        ]

    def get_config(self):
        return {
            **super().get_config(),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }


class GatedRecurrentCell(RecurrentCell):
    """A `RecurrentCell` with sigmoid-like gates.

    Args:
        recurrent_activation: Activation of the gates. Default `"sigmoid"`.
        **kwargs: Arguments of `RecurrentCell`.
    """

    def __init__(self, units, recurrent_activation="sigmoid", **kwargs):
        super().__init__(units, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)

    def get_config(self):
        return {
            **super().get_config(),
            "recurrent_activation": activations.serialize(
                self.recurrent_activation
            ),
        }


class ForgetGateBias:
    """Mixin of the LSTM-like cells whose forget-gate bias may start at one.

    A cell sets `forget_gate_index` (the position of the forget gate among
    its gate blocks) and the attribute `unit_forget_bias`; it derives from
    this class before `RecurrentCell`, whose `bias_initializer_for_build`
    this replaces.
    """

    forget_gate_index = None

    def bias_initializer_for_build(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        return forget_bias_initializer(
            self.bias_initializer,
            self.units,
            self.num_gates,
            forget_index=self.forget_gate_index,
        )


def forget_bias_initializer(bias_initializer, units, num_gates, forget_index):
    """Wraps `bias_initializer` so that the forget-gate block starts at one.

    Jozefowicz et al. (2015) recommend it for LSTMs; Keras does the same with
    `unit_forget_bias=True`.
    """

    def initializer(shape, dtype=None):
        blocks = [
            bias_initializer((units,), dtype=dtype) for _ in range(num_gates)
        ]
        blocks[forget_index] = ops.ones((units,), dtype=dtype)
        return ops.concatenate(blocks)

    return initializer


def constructor_arguments(cell_class) -> set[str]:
    """The argument names `cell_class(...)` accepts: its own and those its
    bases take through `**kwargs`, short of `keras.layers.Layer`'s (`name`,
    `dtype`, ...)."""
    names = set()
    for klass in cell_class.__mro__:
        if klass is keras.layers.Layer:
            break
        if "__init__" not in vars(klass):
            continue
        parameters = inspect.signature(klass.__init__).parameters.values()
        names.update(
            p.name
            for p in parameters
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        )
        if not any(p.kind is p.VAR_KEYWORD for p in parameters):
            break
    names.discard("self")
    return names
