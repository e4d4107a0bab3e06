"""The recurrent stack every architecture shares, and
`stack_recurrent_layers`, which puts one on a model's features."""

import keras
from keras import ops

from rnnzoo.layers.registry import get_recurrent_layer
from rnnzoo.models.arguments import arguments_for
from rnnzoo.models.arguments import check_cell_arguments
from rnnzoo.validation import check_positive_int
from rnnzoo.validation import check_rate


@keras.saving.register_keras_serializable(package="rnnzoo")
class RecurrentStack(keras.layers.Layer):
    """`num_layers` recurrent layers from the cell registry, stacked.

    Every layer returns its whole output sequence, so the stack maps
    `(batch, steps, features)` to `(batch, steps, units * directions)`.
    Between layers:

    * `dropout` drops inputs of every recurrent layer (the non-recurrent
      connections, as in Zaremba et al. 2014), and `recurrent_dropout` is
      each cell's own dropout on its previous state;
    * with `residual=True`, a layer whose input is as wide as its output
      adds the input to its output (`h = rnn(x) + x`, Wu et al. 2016). The
      first layer qualifies only if its input happens to be
      `units * directions` wide.

    With `bidirectional=True` each layer is a `keras.layers.Bidirectional`
    whose output concatenates the forward and the backward outputs, aligned
    in time: `[..., :units]` forward, `[..., units:]` backward.

    A mask on the inputs is passed to every layer (masked steps keep the
    previous state) and stays on the output sequence.

    Args:
        cell: A registry name, one of `rnnzoo.layers.cell_names()`.
        units: Positive integer, width of every recurrent layer (per
            direction).
        num_layers: Positive integer, number of stacked layers. Default 1.
        bidirectional: Whether each layer reads the sequence both ways.
        residual: Whether layers of equal input and output width add their
            input to their output.
        dropout: Float in `[0, 1)`, dropout on the inputs of every layer.
        recurrent_dropout: Float in `[0, 1)`, dropout on the previous state
            inside every cell.
        cell_kwargs: Dict of further arguments of every recurrent layer,
            e.g. `{"skip": 4}` for `"skip_rnn"` or
            `{"activation": "relu", "recurrent_initializer": "identity"}`
            for an IRNN.
        return_state: Whether the call also returns every layer's final
            states (unless the call says otherwise).
        **kwargs: Arguments of `keras.layers.Layer` (`name`, `dtype`).

    Call arguments:
        inputs: A 3D tensor `(batch, steps, features)`.
        initial_state: Optional list with one entry per layer, each the
            list of that layer's initial states (for a bidirectional layer,
            the forward states followed by the backward states).
        mask: Optional boolean `(batch, steps)`.
        training: Whether dropout is active.
        return_state: Whether to also return the final states; default
            the layer's `return_state`.

    Returns:
        The output sequence `(batch, steps, units * directions)`; with
        `return_state=True`, `(sequence, states)` where `states[i]` is the
        list of final states of layer `i`.

    Example:

    >>> stack = RecurrentStack("gru", 8, num_layers=2, bidirectional=True)
    >>> tuple(stack(np.zeros((2, 5, 3), "float32")).shape)
    (2, 5, 16)
    """

    def __init__(
        self,
        cell: str,
        units: int,
        num_layers: int = 1,
        bidirectional: bool = False,
        residual: bool = False,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        cell_kwargs: dict | None = None,
        return_state: bool = False,
        **kwargs,
    ):
        cell_kwargs = check_cell_arguments(cell, cell_kwargs)
        check_positive_int("units", units)
        check_positive_int("num_layers", num_layers)
        check_rate("dropout", dropout)
        check_rate("recurrent_dropout", recurrent_dropout)
        super().__init__(**kwargs)
        self.cell = cell
        self.units = units
        self.num_layers = num_layers
        self.bidirectional = bool(bidirectional)
        self.residual = bool(residual)
        self.dropout = float(dropout)
        self.recurrent_dropout = float(recurrent_dropout)
        self.cell_kwargs = cell_kwargs
        self.return_state = bool(return_state)
        self.supports_masking = True

        self.recurrent_layers = []
        for index in range(num_layers):
            # Every layer returns its final states; `call` keeps them
            # when asked, so one stack serves with and without them.
            layer = get_recurrent_layer(
                cell,
                units,
                return_sequences=True,
                return_state=True,
                recurrent_dropout=self.recurrent_dropout,
                dtype=self.dtype_policy,
                **cell_kwargs,
            )
            if self.bidirectional:
                layer = keras.layers.Bidirectional(
                    layer,
                    name=f"bidirectional_{cell}_{index}",
                    dtype=self.dtype_policy,
                )
            self.recurrent_layers.append(layer)
        self.dropout_layer = None
        if self.dropout > 0.0:
            self.dropout_layer = keras.layers.Dropout(
                self.dropout, name="dropout", dtype=self.dtype_policy
            )

    @property
    def output_dim(self) -> int:
        """Width of the output sequence, `units * directions`."""
        return self.units * (2 if self.bidirectional else 1)

    def build(self, inputs_shape, initial_state_shape=None):
        shape = tuple(inputs_shape)
        for layer in self.recurrent_layers:
            layer.build(shape)
            shape = shape[:-1] + (self.output_dim,)
        if self.dropout_layer is not None:
            self.dropout_layer.build(inputs_shape)
        self.built = True

    def call(
        self,
        inputs,
        initial_state=None,
        mask=None,
        training=None,
        return_state=None,
    ):
        if return_state is None:
            return_state = self.return_state
        if initial_state is not None and len(initial_state) != len(
            self.recurrent_layers
        ):
            raise ValueError(
                f"`initial_state` must hold one list of states per layer "
                f"({len(self.recurrent_layers)}), got "
                f"{len(initial_state)} entries"
            )
        sequence = inputs
        final_states = []
        for index, layer in enumerate(self.recurrent_layers):
            layer_inputs = sequence
            if self.dropout_layer is not None:
                layer_inputs = self.dropout_layer(
                    layer_inputs, training=training
                )
            outputs = layer(
                layer_inputs,
                initial_state=(
                    None if initial_state is None else initial_state[index]
                ),
                mask=mask,
                training=training,
            )
            outputs, *states = outputs
            final_states.append(list(states))
            if self.residual and sequence.shape[-1] == outputs.shape[-1]:
                outputs = ops.add(outputs, sequence)
            sequence = outputs
        if return_state:
            return sequence, final_states
        return sequence

    def compute_mask(self, inputs, mask=None):
        # Only the output sequence carries the mask; `_set_mask_metadata`
        # pairs this with the first output.
        return mask

    def get_config(self):
        return {
            **super().get_config(),
            "cell": self.cell,
            "units": self.units,
            "num_layers": self.num_layers,
            "bidirectional": self.bidirectional,
            "residual": self.residual,
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "cell_kwargs": dict(self.cell_kwargs),
            "return_state": self.return_state,
        }


@keras.saving.register_keras_serializable(package="rnnzoo")
class SplitDirections(keras.layers.Layer):
    """Splits a bidirectional output sequence into its two directions.

    A `keras.layers.Bidirectional` (or a bidirectional `RecurrentStack`)
    concatenates its outputs: `[..., :units]` is the forward direction,
    which at step `t` has read steps `0..t`, and `[..., units:]` the
    backward direction, which has read steps `t..end`. The mask stays on
    both halves.

    Args:
        units: Positive integer, width of one direction.
        **kwargs: Arguments of `keras.layers.Layer`.

    Call arguments:
        inputs: A tensor `(..., 2 * units)`.
        mask: Optional mask, passed on to both outputs.

    Returns:
        `(forward, backward)`, each `(..., units)`.

    Example:

    >>> forward, backward = SplitDirections(3)(np.zeros((2, 5, 6), "float32"))
    >>> tuple(forward.shape), tuple(backward.shape)
    ((2, 5, 3), (2, 5, 3))
    """

    def __init__(self, units: int, **kwargs):
        check_positive_int("units", units)
        super().__init__(**kwargs)
        self.units = units
        self.supports_masking = True

    def build(self, inputs_shape):
        if inputs_shape[-1] != 2 * self.units:
            raise ValueError(
                f"Layer '{self.name}' expects inputs of width 2 * units = "
                f"{2 * self.units}, got an input of shape {inputs_shape}"
            )
        self.built = True

    def call(self, inputs):
        return inputs[..., : self.units], inputs[..., self.units :]

    def compute_output_shape(self, inputs_shape):
        shape = tuple(inputs_shape[:-1]) + (self.units,)
        return shape, shape

    def compute_mask(self, inputs, mask=None):
        return mask, mask

    def get_config(self):
        return {**super().get_config(), "units": self.units}


def stack_recurrent_layers(
    features,
    cell: str,
    units: int,
    num_layers: int = 1,
    bidirectional: bool = False,
    residual: bool = False,
    dropout: float = 0.0,
    recurrent_dropout: float = 0.0,
    cell_kwargs: dict | None = None,
    return_first_layer: bool = False,
) -> tuple:
    """Puts a recurrent stack on `features`, as `RecurrentBackbone` does
    after its input.

    Args:
        features: The `(batch, steps, width)` features, with their mask.
        cell, units, num_layers, bidirectional, residual, dropout,
            recurrent_dropout, cell_kwargs: As in `RecurrentStack`.
        return_first_layer: Whether to also return the first recurrent
            layer's output sequence. The stack is then built as two
            `RecurrentStack`s, the first layer (`"recurrent_stack"`) and the
            others (`"upper_recurrent_stack"`), which compute the same as
            one stack. In a bidirectional stack only the first layer's
            directions have not read each other: its forward half at step
            `t` has read steps `0..t` alone.

    Returns:
        `(sequence,)`, or with `return_first_layer=True` `(sequence,
        first_sequence)`.

    Example:

    >>> inputs = keras.Input((None, 3))
    >>> (sequence,) = stack_recurrent_layers(inputs, "gru", 4, num_layers=2)
    >>> sequence.shape
    (None, None, 4)
    """
    # Every argument but the layer count, which differs per stack.
    stack_arguments = arguments_for(
        RecurrentStack, locals(), exclude=("num_layers",)
    )
    if not return_first_layer:
        stack = RecurrentStack(
            num_layers=num_layers, name="recurrent_stack", **stack_arguments
        )
        return (stack(features),)
    first_stack = RecurrentStack(
        num_layers=1, name="recurrent_stack", **stack_arguments
    )
    first_sequence = first_stack(features)
    sequence = first_sequence
    if num_layers > 1:
        upper_stack = RecurrentStack(
            num_layers=num_layers - 1,
            name="upper_recurrent_stack",
            **stack_arguments,
        )
        sequence = upper_stack(first_sequence)
    return sequence, first_sequence
