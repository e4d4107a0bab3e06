"""`TokenDecoder`, the conditional decoder that `Seq2Seq` and
`ImageCaptioner` share: target tokens in, next-token logits out, with
attention over an encoder memory, run teacher-forced over a whole sequence
or one step at a time for `rnnzoo.decoding`."""

import keras
from keras import ops

from rnnzoo.layers.attention_decoder import AttentionDecoder
from rnnzoo.models.arguments import check_cell_arguments
from rnnzoo.models.encoder import RecurrentStack
from rnnzoo.models.feeding import active_feeding
from rnnzoo.models.feeding import decode_with_feeding
from rnnzoo.models.stepping import embedding_lookup
from rnnzoo.models.stepping import stack_step
from rnnzoo.models.stepping import stack_zero_state
from rnnzoo.models.stepping import state_sizes_of
from rnnzoo.validation import check_choice
from rnnzoo.validation import check_positive_int
from rnnzoo.validation import check_rate

ATTENTIONS = (
    "bahdanau",
    "luong",
    "bahdanau_monotonic",
    "luong_monotonic",
    None,
)


@keras.saving.register_keras_serializable(package="rnnzoo")
class TokenDecoder(keras.layers.Layer):
    """A recurrent decoder over target tokens, conditioned on an encoder.

    ```
    tokens -> Embedding -> RecurrentStack (num_layers - 1 layers)
           -> AttentionDecoder over the memory (the top layer)
           -> dropout -> Dense(vocab_size) logits
    ```

    With `attention=None` (the Sutskever et al. 2014 baseline) all
    `num_layers` layers are plain recurrent layers and the decoder reads the
    encoder only through its initial state. With attention, the top layer is
    an `AttentionDecoder` (input feeding, Luong et al. 2015): its query is
    the top cell's output, so the lower layers run before the attention, as
    in Luong's stacked models.

    The decoder state is a list with one entry per layer, each the list of
    that layer's states; the top attention layer's entry is the
    `AttentionDecoder` state (its cell's states, then the attentional
    vector, then with monotonic attention the previous alignment).

    Token id 0 is padding: padded target steps keep the state, and the
    logits carry the mask `token_ids != 0`, so Keras leaves them out of the
    loss and the metrics.

    Args:
        vocab_size: Positive integer, number of target token ids (padding
            included).
        units: Positive integer, width of every decoder layer.
        cell: Registry name of the recurrent cell. Default `"lstm"`.
        num_layers: Positive integer, number of decoder layers. Default 1.
        attention: `"bahdanau"`, `"luong"`, their monotonic forms
            `"bahdanau_monotonic"` and `"luong_monotonic"` (Raffel et al.
            2017; `attention_kwargs` such as `{"mode": "parallel",
            "score_bias_init": -4.0}`), or `None`. Default `"bahdanau"`.
            Luong attention defaults to the `"general"` score, which allows
            a memory of any width.
        attention_units: Width of the attention's hidden layer.
        attention_kwargs: Dict of further arguments of the attention, e.g.
            `{"score": "concat"}` or `{"normalize": True}`.
        embedding_dim: Width of the target embedding; default `units`.
        residual: Whether plain layers of equal input and output width add
            their input to their output.
        dropout: Float in `[0, 1)`, dropout on the inputs of every decoder
            layer and on the outputs before the logits.
        recurrent_dropout: Float in `[0, 1)`, each cell's dropout on its
            previous state.
        cell_kwargs: Dict of further arguments of every cell (or recurrent
            layer), e.g. `{"skip": 3}`.
        **kwargs: Arguments of `keras.layers.Layer`.

    Call arguments:
        token_ids: int `(batch, steps)` target inputs (teacher forcing).
        memory: `(batch, Tv, memory_dim)` encoder outputs; required with
            attention, ignored without.
        initial_state: Optional list with one entry per layer, each that
            layer's cell states (or `None` for zeros); see `state_sizes`.
        memory_mask: Optional boolean `(batch, Tv)`; padded memory positions
            get no attention.
        mask: Optional boolean `(batch, steps)`; default `token_ids != 0`.
        training: Whether dropout is active.
        return_alignments: Whether to also return the attention weights.

    Inside a `rnnzoo.models.feeding.feeding_scope` (training
    with scheduled sampling), the teacher-forced pass runs one step at a
    time, each step reading either the true previous token or the
    decoder's own prediction.

    Returns:
        Logits `(batch, steps, vocab_size)`; with `return_alignments=True`,
        `(logits, alignments)`, alignments float32 `(batch, steps, Tv)`
        (zero rows at masked steps; `None` without attention).

    Example:

    >>> decoder = TokenDecoder(20, 8, cell="gru", attention="luong")
    >>> memory = np.random.random((2, 5, 6)).astype("float32")
    >>> tuple(decoder(np.array([[1, 4, 5], [1, 7, 0]]), memory).shape)
    (2, 3, 20)
    """

    def __init__(
        self,
        vocab_size: int,
        units: int,
        cell: str = "lstm",
        num_layers: int = 1,
        attention: str | None = "bahdanau",
        attention_units: int | None = None,
        attention_kwargs: dict | None = None,
        embedding_dim: int | None = None,
        residual: bool = False,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        cell_kwargs: dict | None = None,
        **kwargs,
    ):
        check_positive_int("vocab_size", vocab_size)
        check_positive_int("units", units)
        check_positive_int("num_layers", num_layers)
        check_choice("attention", attention, ATTENTIONS)
        check_positive_int("embedding_dim", embedding_dim, allow_none=True)
        check_positive_int("attention_units", attention_units, allow_none=True)
        if attention_kwargs is not None and not isinstance(
            attention_kwargs, dict
        ):
            raise ValueError(
                "`attention_kwargs` must be a dict or None, got "
                f"attention_kwargs={attention_kwargs!r}"
            )
        cell_kwargs = check_cell_arguments(cell, cell_kwargs)
        check_rate("dropout", dropout)
        check_rate("recurrent_dropout", recurrent_dropout)
        super().__init__(**kwargs)
        self.vocab_size = vocab_size
        self.units = units
        self.cell = cell
        self.num_layers = num_layers
        self.attention = attention
        self.attention_units = attention_units
        self.attention_kwargs = dict(attention_kwargs or {})
        self.embedding_dim = embedding_dim
        self.residual = bool(residual)
        self.dropout = float(dropout)
        self.recurrent_dropout = float(recurrent_dropout)
        self.cell_kwargs = cell_kwargs
        self.supports_masking = True

        self.embedding = keras.layers.Embedding(
            vocab_size,
            embedding_dim or units,
            mask_zero=True,
            name="target_embedding",
            dtype=self.dtype_policy,
        )
        plain_layers = num_layers if attention is None else num_layers - 1
        self.stack = None
        if plain_layers:
            self.stack = RecurrentStack(
                cell,
                units,
                num_layers=plain_layers,
                residual=residual,
                dropout=dropout,
                recurrent_dropout=recurrent_dropout,
                cell_kwargs=cell_kwargs,
                name="recurrent_stack",
                dtype=self.dtype_policy,
            )
        self.attention_decoder = None
        if attention is not None:
            options = dict(self.attention_kwargs)
            if attention.startswith("luong"):
                options.setdefault("score", "general")
            self.attention_decoder = AttentionDecoder(
                units,
                cell=cell,
                attention=attention,
                attention_units=attention_units,
                cell_kwargs={
                    **cell_kwargs,
                    "recurrent_dropout": self.recurrent_dropout,
                },
                attention_kwargs=options,
                return_alignments=True,
                name="attention_decoder",
                dtype=self.dtype_policy,
            )
        self.dropout_layer = None
        if self.dropout > 0.0:
            self.dropout_layer = keras.layers.Dropout(
                self.dropout, name="dropout", dtype=self.dtype_policy
            )
        self.output_layer = keras.layers.Dense(
            vocab_size, name="logits", dtype=self.dtype_policy
        )

    @property
    def state_sizes(self) -> list[list[int]]:
        """The sizes of each layer's cell states, bottom layer first: what
        `initial_state` takes (the attentional vector excluded)."""
        sizes = []
        if self.stack is not None:
            for layer in self.stack.recurrent_layers:
                sizes.append(state_sizes_of(layer.cell))
        if self.attention_decoder is not None:
            sizes.append(list(self.attention_decoder.state_sizes[:-1]))
        return sizes

    def build(self, token_ids_shape, memory_shape=None):
        steps_shape = tuple(token_ids_shape)
        self.embedding.build(steps_shape)
        shape = steps_shape + (self.embedding_dim or self.units,)
        if self.stack is not None:
            self.stack.build(shape)
            shape = shape[:-1] + (self.units,)
        if self.dropout_layer is not None:
            self.dropout_layer.build(shape)
        if self.attention_decoder is not None:
            if memory_shape is None:
                raise ValueError(
                    f"Layer '{self.name}' with attention={self.attention!r} "
                    "needs the encoder `memory`, got memory=None"
                )
            self.attention_decoder.build(shape, tuple(memory_shape))
            shape = shape[:-1] + (self.units,)
        self.output_layer.build(shape)
        self.built = True

    def _drop(self, x, training, dropout_mask=None):
        if self.dropout_layer is None:
            return x
        if training and dropout_mask is not None:
            return x * ops.cast(dropout_mask, x.dtype)
        return self.dropout_layer(x, training=training)

    def _layer_states(self, initial_state):
        if initial_state is None:
            return [None] * self.num_layers
        if len(initial_state) != self.num_layers:
            raise ValueError(
                f"Layer '{self.name}' expects `initial_state` with one entry "
                f"per decoder layer ({self.num_layers}), got "
                f"{len(initial_state)} entries"
            )
        return list(initial_state)

    def call(
        self,
        token_ids,
        memory=None,
        initial_state=None,
        memory_mask=None,
        mask=None,
        training=None,
        return_alignments=False,
    ):
        if mask is None:
            mask = ops.not_equal(token_ids, 0)
        feeding = active_feeding()
        if feeding is not None:
            logits, alignments = decode_with_feeding(
                self,
                feeding,
                token_ids,
                memory,
                initial_state,
                memory_mask,
                mask,
                training,
            )
            return (logits, alignments) if return_alignments else logits
        states = self._layer_states(initial_state)
        x = self.embedding(token_ids)
        if self.stack is not None:
            plain = len(self.stack.recurrent_layers)
            x = self.stack(
                x,
                initial_state=(
                    None
                    if all(s is None for s in states[:plain])
                    else states[:plain]
                ),
                mask=mask,
                training=training,
            )
        alignments = None
        if self.attention_decoder is not None:
            x, _, alignments = self.attention_decoder(
                self._drop(x, training),
                memory,
                memory_mask=memory_mask,
                initial_state=states[-1],
                mask=mask,
                training=training,
            )
        logits = self.output_layer(self._drop(x, training))
        if return_alignments:
            return logits, alignments
        return logits

    def compute_mask(self, token_ids, previous_mask=None):
        return ops.not_equal(token_ids, 0)

    def get_initial_state(self, batch_size, memory=None, initial_state=None):
        """The full decoder state before the first step.

        Args:
            batch_size: The (possibly dynamic) batch size.
            memory: The encoder memory; required with attention.
            initial_state: Optional per-layer cell states, as in `call`;
                zeros where missing.

        Returns:
            A list with one list of state tensors per layer.
        """
        states = self._layer_states(initial_state)
        full = []
        if self.stack is not None:
            zeros = stack_zero_state(self.stack, batch_size, self.compute_dtype)
            for given, zero in zip(states, zeros):
                full.append(zero if given is None else list(given))
        if self.attention_decoder is not None:
            full.append(
                self.attention_decoder.get_initial_state(memory, states[-1])
            )
        return full

    def prepare_memory(self, memory=None, memory_mask=None):
        """The per-source cache that `step` reads (`None` without
        attention): the memory, its key projection and its mask."""
        if self.attention_decoder is None:
            return None
        return self.attention_decoder.prepare_memory(memory, memory_mask)

    def step(
        self,
        tokens,
        state,
        memory_cache=None,
        training=False,
        score_noise=None,
        dropout_masks=None,
    ):
        """Runs one decoder step.

        Args:
            tokens: int `(batch,)`, the previous token of every sequence.
            state: The decoder state, from `get_initial_state` or `step`.
            memory_cache: The result of `prepare_memory`.
            training: Whether dropout is active. Default `False`
                (generation).
            score_noise: Optional `(batch, Tv)` score noise of a monotonic
                attention in training (see
                `AttentionDecoder.draw_score_noise`).
            dropout_masks: Optional dict of this step's dropout masks in
                training, in place of fresh draws: `"stack"`, one
                `(batch, features)` mask per plain layer, `"attention"` and
                `"output"`, of the inputs of the attention layer and of
                the logits (see `stepping.draw_dropout_masks`).

        Returns:
            `(logits, new_state, alignment)`: `(batch, vocab_size)` logits,
            the new state, and float32 `(batch, Tv)` attention weights
            (`None` without attention).
        """
        masks = dropout_masks or {}
        x = embedding_lookup(self.embedding, tokens)
        new_state = []
        if self.stack is not None:
            plain = len(self.stack.recurrent_layers)
            x, lower = stack_step(
                self.stack, x, state[:plain], training, masks.get("stack")
            )
            new_state.extend(lower)
        alignment = None
        if self.attention_decoder is not None:
            x, top, alignment = self.attention_decoder.step(
                self._drop(x, training, masks.get("attention")),
                state[-1],
                memory_cache,
                training,
                score_noise,
            )
            new_state.append(top)
        x = self._drop(x, training, masks.get("output"))
        return self.output_layer(x), new_state, alignment

    def get_config(self):
        return {
            **super().get_config(),
            "vocab_size": self.vocab_size,
            "units": self.units,
            "cell": self.cell,
            "num_layers": self.num_layers,
            "attention": self.attention,
            "attention_units": self.attention_units,
            "attention_kwargs": dict(self.attention_kwargs),
            "embedding_dim": self.embedding_dim,
            "residual": self.residual,
            "dropout": self.dropout,
            "recurrent_dropout": self.recurrent_dropout,
            "cell_kwargs": dict(self.cell_kwargs),
        }
