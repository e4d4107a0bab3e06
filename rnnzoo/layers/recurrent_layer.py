"""The sequence layer of rnnzoo's cells: `RecurrentLayer`, an `RNN` over one
cell, as Keras keeps `keras.layers.RNN` apart from its cells.

The layer takes the input projection of all steps out of the time loop (one
matmul), then runs the cell's `recurrent_step` step by step; where the cell
implements the fused recurrence (`rnnzoo.layers.fused`) and the call allows
it, the layer runs that instead.
"""

import keras
from keras import ops
from keras import regularizers

from rnnzoo.layers.base import constructor_arguments
from rnnzoo.layers.fused import FusedRecurrence
from rnnzoo.layers.fused import fused_recurrence
from rnnzoo.layers.fused import has_fused_recurrence
from rnnzoo.layers.masked_rnn import rnn


def validate_sequence_shape(shape, layer_name):
    if shape is None or len(shape) != 3:
        raise ValueError(
            f"Layer '{layer_name}' expects `inputs` of rank 3 "
            f"(batch, timesteps, features), got an input of shape {shape}"
        )


# Arguments a `RecurrentLayer` keeps for itself (or for `keras.layers.Layer`)
# instead of passing them to its cell.
_LAYER_ONLY_ARGUMENTS = ("activity_regularizer", "input_shape", "batch_size")
_SHARED_ARGUMENTS = ("dtype", "trainable")


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
        cell_parameters = constructor_arguments(self.cell_class)
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

        return rnn(
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
            has_fused_recurrence()
            and mask is None
            and not self.unroll
            and isinstance(self.cell, FusedRecurrence)
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
