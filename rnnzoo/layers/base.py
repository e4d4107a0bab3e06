"""Shared machinery of rnnzoo's recurrent cells and the layers that run them.

Every rnnzoo cell splits one time step into two parts:

* `project_inputs(x)`: the input projection `x W + b` for all gate blocks, and
* `recurrent_step(projected, states)`: everything that depends on the previous
  state.

A cell's `call()` runs both for a single step, so the cell works inside
`keras.layers.RNN` like any Keras cell. `RecurrentLayer`, the base of the
sequence layers, takes a fast path: the input projection is taken out of the
recurrent step, and only the recurrent part runs step by step. Both paths
execute the same equations, written once in the cell.

On the TensorFlow backend, a cell may also implement the *fused recurrence*
(see `RecurrentCell.supports_fused_recurrence` and `rnnzoo.layers.fused`):
the time loop with a hand-written gradient, which `RecurrentLayer` runs
where it applies.
"""

import inspect

import keras
from keras import activations
from keras import constraints
from keras import initializers
from keras import ops
from keras import regularizers
from keras.src.backend import rnn as backend_rnn

# `keras.layers.RNN` prepares per-sequence dropout masks only for cells that
# derive from this class, and Keras does not export it publicly.
from keras.src.layers.rnn.dropout_rnn_cell import DropoutRNNCell

from rnnzoo.layers.fused import fused_recurrence


def is_activation(function, name):
    """Whether `function` is the Keras activation called `name`."""
    return function is activations.get(name)


def validate_units(units):
    if isinstance(units, bool) or not isinstance(units, int) or units <= 0:
        raise ValueError(
            f"`units` must be a positive integer, got units={units!r}"
        )


def validate_rate(name, rate):
    if not isinstance(rate, (int, float)) or not 0.0 <= rate < 1.0:
        raise ValueError(
            f"`{name}` must be a float in [0, 1), got {name}={rate!r}"
        )


def validate_sequence_shape(shape, layer_name):
    if shape is None or len(shape) != 3:
        raise ValueError(
            f"Layer '{layer_name}' expects `inputs` of rank 3 "
            f"(batch, timesteps, features), got an input of shape {shape}"
        )


class RecurrentCell(keras.layers.Layer, DropoutRNNCell):
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
        activation="tanh",
        use_bias=True,
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        kernel_regularizer=None,
        recurrent_regularizer=None,
        bias_regularizer=None,
        kernel_constraint=None,
        recurrent_constraint=None,
        bias_constraint=None,
        dropout=0.0,
        recurrent_dropout=0.0,
        seed=None,
        **kwargs,
    ):
        validate_units(units)
        validate_rate("dropout", dropout)
        validate_rate("recurrent_dropout", recurrent_dropout)
        super().__init__(**kwargs)
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.recurrent_initializer = initializers.get(recurrent_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.recurrent_regularizer = regularizers.get(recurrent_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.recurrent_constraint = constraints.get(recurrent_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.dropout = float(dropout)
        self.recurrent_dropout = float(recurrent_dropout)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed=seed)
        self.state_size = [units]
        self.output_size = units

    @property
    def uses_recurrent_kernel(self):
        """Whether the cell has a `recurrent_kernel` (a subclass may not)."""
        return True

    def bias_initializer_for_build(self):
        """The initializer `build()` uses for the whole `bias` vector."""
        return self.bias_initializer

    def build(self, input_shape):
        input_dim = input_shape[-1]
        gate_width = self.num_gates * self.units
        self.kernel = self.add_weight(
            shape=(input_dim, gate_width),
            name="kernel",
            initializer=self.kernel_initializer,
            regularizer=self.kernel_regularizer,
            constraint=self.kernel_constraint,
        )
        if self.uses_recurrent_kernel:
            self.recurrent_kernel = self.add_weight(
                shape=(self.units, gate_width),
                name="recurrent_kernel",
                initializer=self.recurrent_initializer,
                regularizer=self.recurrent_regularizer,
                constraint=self.recurrent_constraint,
            )
        else:
            self.recurrent_kernel = None
        if self.use_bias:
            self.bias = self.add_weight(
                shape=(gate_width,),
                name="bias",
                initializer=self.bias_initializer_for_build(),
                regularizer=self.bias_regularizer,
                constraint=self.bias_constraint,
            )
        else:
            self.bias = None

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

    # The fused recurrence: a subclass that implements the methods below
    # runs on `fused_recurrence` inside `RecurrentLayer`. `weights` is the
    # list `loop_weights()` returned, as tensors, and
    # `recurrent_dropout_mask` the per-sequence mask of the first state (or
    # `None`).

    def supports_fused_recurrence(self):
        """Whether `fused_recurrence` can run this cell as configured."""
        return False

    def loop_weights(self):
        """The weights used inside the time loop, as a list.

        They may be derived from the variables (slices, concatenations):
        autodiff carries their gradients back to the variables.
        """
        raise NotImplementedError

    def fused_forward_step(
        self, projected_inputs, states, weights, recurrent_dropout_mask
    ):
        """One step of the recurrence, as `recurrent_step` computes it.

        Returns:
            `(output, new_states, saved)`: `saved` is the list of tensors
            that `fused_backward_step` needs of this step.
        """
        raise NotImplementedError

    def fused_backward_weights(self, weights):
        """The `weights` that `fused_backward_step` receives, computed once
        before the backward loop (e.g. transposed kernels). Default:
        `weights` as they are."""
        return weights

    def fused_backward_step(
        self,
        output_gradient,
        state_gradients,
        saved,
        weights,
        recurrent_dropout_mask,
    ):
        """The gradient of one step, from the gradients of its results.

        `weights` is what `fused_backward_weights` returned.

        Args:
            output_gradient: Gradient of the step's output, or `None` when
                the output is not a result (see `add_gradients`).
            state_gradients: Gradients of the step's new states.
            saved: What `fused_forward_step` saved at this step.

        Returns:
            `(projected_gradient, previous_state_gradients, terms)`: the
            gradient of the step's projected inputs, the gradients of the
            states the step received, and this step's terms of the weight
            gradients, which the loop sums over all steps (see
            `fused_weight_gradients`). The per-step weight-gradient matmuls
            are off the loop's critical path, so they run beside it.
        """
        raise NotImplementedError

    def fused_weight_gradients(self, summed_terms):
        """The gradients of `weights` from the `terms` of
        `fused_backward_step` summed over all steps. Default: the sums are
        the gradients, one per weight."""
        return list(summed_terms)

    def get_initial_state(self, batch_size=None):
        return [
            ops.zeros((batch_size, size), dtype=self.compute_dtype)
            for size in self.state_size
        ]

    def get_config(self):
        config = {
            "units": self.units,
            "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(
                self.kernel_initializer
            ),
            "recurrent_initializer": initializers.serialize(
                self.recurrent_initializer
            ),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(
                self.kernel_regularizer
            ),
            "recurrent_regularizer": regularizers.serialize(
                self.recurrent_regularizer
            ),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "recurrent_constraint": constraints.serialize(
                self.recurrent_constraint
            ),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "seed": self.seed,
        }
        return {**super().get_config(), **config}


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


# Arguments a `RecurrentLayer` keeps for itself (or for `keras.layers.Layer`)
# instead of passing them to its cell.
_LAYER_ONLY_ARGUMENTS = ("activity_regularizer", "input_shape", "batch_size")
_SHARED_ARGUMENTS = ("dtype", "trainable")


def _cell_argument_names(cell_class):
    """Constructor argument names of `cell_class` and its rnnzoo bases."""
    names = set()
    for klass in cell_class.__mro__:
        if not issubclass(klass, RecurrentCell) or "__init__" not in vars(
            klass
        ):
            continue
        for parameter in inspect.signature(klass.__init__).parameters.values():
            if parameter.kind is parameter.POSITIONAL_OR_KEYWORD:
                names.add(parameter.name)
    names.discard("self")
    return names


class RecurrentLayer(keras.layers.RNN):
    """Base of rnnzoo's sequence layers: an `RNN` over one rnnzoo cell.

    A subclass sets `cell_class`. The constructor takes `units`, the
    arguments of `keras.layers.RNN` and every argument of the cell; the cell
    is built from the latter. The layer runs the cell's fused recurrence
    (`fused_recurrence`) where it applies (`uses_fused_recurrence`), and
    otherwise the generic loop over the cell's `recurrent_step`, with the
    input projection of all steps one matmul before it.

    Args:
        units: Positive integer, dimensionality of the output space.
        return_sequences: Whether to return the whole output sequence or the
            last output. Default `False`.
        return_state: Whether to return the final states after the output.
        go_backwards: Whether to process the sequence backwards (and return
            the reversed output sequence).
        stateful: Whether the final states of batch `i` are the initial
            states of batch `i` in the next call.
        unroll: Whether to unroll the time loop (short sequences only).
        zero_output_for_mask: Whether masked steps output zeros instead of
            repeating the previous output.
        **kwargs: Arguments of the cell (see `cell_class`) and of
            `keras.layers.Layer`.
    """

    cell_class = None

    def __init__(
        self,
        units,
        return_sequences=False,
        return_state=False,
        go_backwards=False,
        stateful=False,
        unroll=False,
        zero_output_for_mask=False,
        **kwargs,
    ):
        cell_parameters = _cell_argument_names(self.cell_class)
        cell_kwargs = {
            key: kwargs.pop(key)
            for key in list(kwargs)
            if key in cell_parameters and key not in _LAYER_ONLY_ARGUMENTS
        }
        for key in _SHARED_ARGUMENTS:
            if key in kwargs:
                cell_kwargs[key] = kwargs[key]
        cell = self.cell_class(units, name="cell", **cell_kwargs)
        super().__init__(
            cell,
            return_sequences=return_sequences,
            return_state=return_state,
            go_backwards=go_backwards,
            stateful=stateful,
            unroll=unroll,
            zero_output_for_mask=zero_output_for_mask,
            **kwargs,
        )

    def build(self, sequences_shape, initial_state_shape=None):
        validate_sequence_shape(sequences_shape, self.name)
        super().build(sequences_shape, initial_state_shape)

    def call(self, sequences, initial_state=None, mask=None, training=False):
        validate_sequence_shape(tuple(sequences.shape), self.name)
        return super().call(
            sequences, initial_state=initial_state, mask=mask, training=training
        )

    def inner_loop(self, sequences, initial_state, mask, training=False):
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        cell = self.cell
        if training and cell.dropout > 0.0:
            # The same mask for every step, as in the cell's own call().
            step_mask = cell.get_dropout_mask(sequences[:, 0, :])
            sequences = sequences * ops.expand_dims(step_mask, axis=1)
        if self.uses_fused_recurrence(mask):
            recurrent_dropout_mask = None
            if training and cell.recurrent_dropout > 0.0:
                recurrent_dropout_mask = cell.get_recurrent_dropout_mask(
                    initial_state[0]
                )
            return fused_recurrence(
                cell,
                sequences,
                list(initial_state),
                recurrent_dropout_mask=recurrent_dropout_mask,
                go_backwards=self.go_backwards,
                return_all_outputs=self.return_sequences,
            )

        projected = cell.project_inputs(sequences)

        def step(projected_inputs, states):
            return cell.recurrent_step(projected_inputs, states, training)

        return backend_rnn(
            step,
            projected,
            list(initial_state),
            go_backwards=self.go_backwards,
            mask=mask,
            unroll=self.unroll,
            input_length=sequences.shape[1],
            zero_output_for_mask=self.zero_output_for_mask,
            return_all_outputs=self.return_sequences,
        )

    def uses_fused_recurrence(self, mask):
        """Whether `inner_loop` runs the cell's fused recurrence."""
        return (
            keras.backend.backend() == "tensorflow"
            and mask is None
            and not self.unroll
            and self.cell.supports_fused_recurrence()
        )

    # The cell's hyperparameters, readable on the layer as on Keras's LSTM.
    units = property(lambda self: self.cell.units)
    activation = property(lambda self: self.cell.activation)
    use_bias = property(lambda self: self.cell.use_bias)
    dropout = property(lambda self: self.cell.dropout)
    recurrent_dropout = property(lambda self: self.cell.recurrent_dropout)
    kernel = property(lambda self: self.cell.kernel)
    recurrent_kernel = property(lambda self: self.cell.recurrent_kernel)
    bias = property(lambda self: self.cell.bias)

    def get_config(self):
        config = super().get_config()
        del config["cell"]
        cell_config = self.cell.get_config()
        for key in ("name", *_SHARED_ARGUMENTS):
            cell_config.pop(key, None)
        config["activity_regularizer"] = regularizers.serialize(
            self.activity_regularizer
        )
        return {**config, **cell_config}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
