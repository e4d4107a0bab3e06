"""`SequenceEncoder`, the encoder of `Seq2Seq`: a source sequence in; the
memory that the decoder attends to, its mask and the decoder's initial
state out."""

import keras
from keras import ops

from rnnzoo.models.encoder import RecurrentStack
from rnnzoo.models.inputs import check_sequence_input_arguments
from rnnzoo.models.stepping import state_sizes_of


@keras.saving.register_keras_serializable(package="rnnzoo")
class SequenceEncoder(keras.layers.Layer):
    """The encoder of a `Seq2Seq`: source in; the memory, its mask and the
    decoder's initial state out.

    ```
    source -> Embedding (tokens) -> RecurrentStack (return_state)
           -> memory, memory mask; final states -> bridge -> decoder state
    ```

    Layer `i` of the decoder starts from the final states of encoder layer
    `i`. A unidirectional encoder hands them over as they are. A
    bidirectional one has two sets per layer; each state tensor of the
    decoder is then `tanh(W [forward; backward] + b)`, a `Dense` bridge
    over the concatenated final states of both directions (Bahdanau et al.
    2015 start from `tanh(W h_backward)`; the bridge reads both).

    Args:
        cell, units, num_layers, bidirectional, residual, dropout,
            recurrent_dropout, cell_kwargs: As in `RecurrentStack`.
        vocab_size, embedding_dim, mask_zero, input_dim, mask_value: The
            source, as in `sequence_input`; `embedding_dim` defaults to
            `units`.
        **kwargs: Arguments of `keras.layers.Layer`.

    Call arguments:
        source: int `(batch, steps)` ids, or float `(batch, steps,
            input_dim)` features.
        training: Whether dropout is active.

    Returns:
        `(memory, memory_mask, initial_state)`: `(batch, steps, units *
        directions)`, boolean `(batch, steps)`, and one list of state
        tensors per layer.

    Example:

    >>> encoder = SequenceEncoder("lstm", 8, bidirectional=True,
    ...                           vocab_size=20)
    >>> memory, mask, state = encoder(np.array([[4, 5, 6, 0]]))
    >>> tuple(memory.shape), [tuple(s.shape) for s in state[0]]
    ((1, 4, 16), [(1, 8), (1, 8)])
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
        vocab_size: int | None = None,
        embedding_dim: int | None = None,
        mask_zero: bool = True,
        input_dim: int | None = None,
        mask_value: float | None = None,
        **kwargs,
    ):
        check_sequence_input_arguments(
            vocab_size=vocab_size,
            embedding_dim=embedding_dim,
            mask_zero=mask_zero,
            input_dim=input_dim,
            mask_value=mask_value,
        )
        super().__init__(**kwargs)
        self.vocab_size = vocab_size
        self.embedding_dim = embedding_dim
        self.mask_zero = mask_zero
        self.input_dim = input_dim
        self.mask_value = mask_value
        self.embedding = None
        if vocab_size is not None:
            self.embedding = keras.layers.Embedding(
                vocab_size,
                embedding_dim or units,
                mask_zero=mask_zero,
                name="source_embedding",
                dtype=self.dtype_policy,
            )
        self.stack = RecurrentStack(
            cell,
            units,
            num_layers=num_layers,
            bidirectional=bidirectional,
            residual=residual,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            cell_kwargs=cell_kwargs,
            return_state=True,
            name="recurrent_stack",
            dtype=self.dtype_policy,
        )
        self.bridges = []
        if bidirectional:
            for index, layer in enumerate(self.stack.recurrent_layers):
                sizes = state_sizes_of(layer.forward_layer.cell)
                self.bridges.append(
                    [
                        keras.layers.Dense(
                            size,
                            activation="tanh",
                            name=f"bridge_{index}_{state}",
                            dtype=self.dtype_policy,
                        )
                        for state, size in enumerate(sizes)
                    ]
                )

    def build(self, source_shape):
        shape = tuple(source_shape)
        if self.embedding is not None:
            self.embedding.build(shape)
            shape = shape + (self.embedding.output_dim,)
        self.stack.build(shape)
        for bridges in self.bridges:
            for bridge in bridges:
                bridge.build((shape[0], 2 * bridge.units))
        self.built = True

    def source_mask(self, source):
        """Boolean `(batch, steps)`, `True` at the real source steps."""
        if self.embedding is not None:
            if self.mask_zero:
                return ops.not_equal(source, 0)
            return ops.ones(ops.shape(source), dtype="bool")
        if self.mask_value is not None:
            return ops.any(ops.not_equal(source, self.mask_value), axis=-1)
        return ops.ones(ops.shape(source)[:2], dtype="bool")

    def call(self, source, training=None):
        mask = self.source_mask(source)
        features = source
        if self.embedding is not None:
            features = self.embedding(source)
        memory, states = self.stack(features, mask=mask, training=training)
        if not self.bridges:
            return memory, mask, states
        initial_state = []
        for layer_states, bridges in zip(states, self.bridges):
            half = len(bridges)
            forward, backward = layer_states[:half], layer_states[half:]
            initial_state.append(
                [
                    bridge(ops.concatenate([f, b], axis=-1))
                    for bridge, f, b in zip(bridges, forward, backward)
                ]
            )
        return memory, mask, initial_state

    def get_config(self):
        stack = self.stack
        return {
            **super().get_config(),
            "cell": stack.cell,
            "units": stack.units,
            "num_layers": stack.num_layers,
            "bidirectional": stack.bidirectional,
            "residual": stack.residual,
            "dropout": stack.dropout,
            "recurrent_dropout": stack.recurrent_dropout,
            "cell_kwargs": dict(stack.cell_kwargs),
            "vocab_size": self.vocab_size,
            "embedding_dim": self.embedding_dim,
            "mask_zero": self.mask_zero,
            "input_dim": self.input_dim,
            "mask_value": self.mask_value,
        }
