"""`SequenceEncoder`, the encoder of `Seq2Seq`: a source sequence in; the
memory that the decoder attends to, its mask and the decoder's initial
state out."""

import keras
from keras import ops

from rnnzoo.models.backbone import BACKBONE_ARGUMENTS
from rnnzoo.models.backbone import RecurrentBackbone
from rnnzoo.models.stepping import state_sizes_of
from rnnzoo.models.task_backbone import takes_backbone
from rnnzoo.models.task_backbone import task_backbone

#: The backbone arguments of a source: any but a fixed length.
SOURCE_ARGUMENTS = tuple(
    name for name in BACKBONE_ARGUMENTS if name != "sequence_length"
)


@keras.saving.register_keras_serializable(package="rnnzoo")
@takes_backbone(SOURCE_ARGUMENTS)
class SequenceEncoder(keras.layers.Layer):
    """The encoder of a `Seq2Seq`: source in; the memory, its mask and the
    decoder's initial state out.

    ```
    source -> Embedding (tokens) -> RecurrentStack (final states too)
           -> memory, memory mask; final states -> bridge -> decoder state
    ```

    The embedding and the stack are those of a `RecurrentBackbone` (their
    weights are shared with it), run to also give their final states.
    Layer `i` of the decoder starts from the final states of encoder layer
    `i`. A unidirectional encoder hands them over as they are. A
    bidirectional one has two sets per layer; each state tensor of the
    decoder is then `tanh(W [forward; backward] + b)`, a `Dense` bridge
    over the concatenated final states of both directions (Bahdanau et al.
    2015 start from `tanh(W h_backward)`; the bridge reads both).

    Args:
        backbone: The `RecurrentBackbone` whose layers to run, or `None`
            (default) for a new one built from the backbone arguments in
            `**kwargs`.
        **kwargs: Without `backbone`, the arguments of a new one (see
            `RecurrentBackbone`; any but `sequence_length`, the character
            and the stateful ones); and arguments of `keras.layers.Layer`.

    Call arguments:
        source: int `(batch, steps)` ids, or float `(batch, steps,
            input_dim)` features.
        training: Whether dropout is active.

    Returns:
        `(memory, memory_mask, initial_state)`: `(batch, steps, units *
        directions)`, boolean `(batch, steps)`, and one list of state
        tensors per layer.

    Example:

    >>> encoder = SequenceEncoder(cell="lstm", units=8, bidirectional=True,
    ...                           vocab_size=20)
    >>> memory, mask, state = encoder(np.array([[4, 5, 6, 0]]))
    >>> tuple(memory.shape), [tuple(s.shape) for s in state[0]]
    ((1, 4, 16), [(1, 8), (1, 8)])
    """

    def __init__(self, backbone: RecurrentBackbone | None = None, **kwargs):
        backbone, arguments = task_backbone(type(self), backbone, kwargs)
        super().__init__(**kwargs)
        self._arguments = arguments
        self.vocab_size = backbone.vocab_size
        self.mask_zero = backbone.mask_zero
        self.mask_value = backbone.mask_value
        self.embedding = None
        if backbone.vocab_size is not None:
            self.embedding = backbone.get_layer("token_embedding")
        self.stack = backbone.get_layer("recurrent_stack")
        self.bridges = []
        if backbone.bidirectional:
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
        # The backbone has built the embedding and the stack.
        for bridges in self.bridges:
            for bridge in bridges:
                bridge.build((source_shape[0], 2 * bridge.units))
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
        memory, states = self.stack(
            features, mask=mask, training=training, return_state=True
        )
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
        config = super().get_config()
        for key, value in self._arguments.items():
            config[key] = dict(value) if isinstance(value, dict) else value
        return config
