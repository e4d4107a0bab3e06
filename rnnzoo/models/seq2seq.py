"""Many-to-many of different lengths: an encoder-decoder with attention
(translation, summarisation, sequence transduction)."""

import keras
import numpy as np
from keras import ops

from rnnzoo.models.backbone import RecurrentBackbone
from rnnzoo.models.compiled import TensorSpec
from rnnzoo.models.decoder import ATTENTIONS
from rnnzoo.models.decoder import TokenDecoder
from rnnzoo.models.generated_tokens import check_special_tokens
from rnnzoo.models.generated_tokens import numeric_inputs
from rnnzoo.models.generated_tokens import shift_targets
from rnnzoo.models.generation import EncoderDecoderModel
from rnnzoo.models.raw_inputs import generate_texts
from rnnzoo.models.raw_inputs import is_text
from rnnzoo.models.sequence_encoder import SOURCE_ARGUMENTS
from rnnzoo.models.sequence_encoder import SequenceEncoder
from rnnzoo.models.task_backbone import takes_backbone
from rnnzoo.models.task_backbone import task_backbone
from rnnzoo.validation import check_choice
from rnnzoo.validation import check_positive_int


@keras.saving.register_keras_serializable(package="rnnzoo")
@takes_backbone(SOURCE_ARGUMENTS)
class Seq2Seq(EncoderDecoderModel):
    """An encoder-decoder RNN: a source sequence in, a target sequence of
    another length out.

    ```
    source    -> SequenceEncoder (bi-RNN) -> memory, decoder initial state
    target_in -> TokenDecoder (attention over the memory)
              -> per-step probabilities over the target vocabulary
    ```

    * `attention="bahdanau"` (Bahdanau et al. 2015) or `"luong"` (Luong et
      al. 2015, `"general"` score by default): the top decoder layer
      attends to the encoder outputs at every step (`AttentionDecoder`,
      with input feeding).
    * `attention=None`: the Sutskever et al. (2014) baseline; the decoder
      reads the source only through its initial state.

    The decoder starts from the encoder's final states (layer `i` from
    layer `i`); a bidirectional encoder's two directions are merged by a
    `tanh` Dense bridge per state tensor (see `SequenceEncoder`).

    Inputs and training (teacher forcing): the model takes a dict
    `{"source": ..., "target_in": ...}`, with `source` int ids `(batch,
    source_steps)` (or float features `(batch, source_steps, input_dim)`)
    and `target_in` the int ids `(batch, target_steps)` that the decoder
    reads, `[start_token, t_1, ..., t_n]`; the labels are `[t_1, ..., t_n,
    end_token]`. `training_data(source, target)` builds both from
    right-padded targets. Id 0 pads both sides: padded source steps get no
    attention, padded target steps count in neither loss nor metrics.

    ```python
    model = Seq2Seq(vocab_size=8000, target_vocab_size=6000, units=256,
                    bidirectional=True, cell="gru")
    model.compile()
    x, y = model.training_data(source_ids, target_ids)
    model.fit(x, y, epochs=10)
    result = model.translate(source_ids, strategy="beam", beam_width=5)
    result.tokens, result.alignments, result.text  # text with a vocabulary
    ```

    `compile()` defaults to sparse categorical cross-entropy
    (`from_logits` with `activation=None`) and an `"accuracy"` metric, both
    over the real target steps.

    Args:
        backbone: A `RecurrentBackbone` whose embedding and recurrent stack
            encode the source (shared, e.g. a pretrained one's), or `None`
            (default) for a new one built from the backbone arguments in
            `**kwargs`.
        target_vocab_size: Number of target token ids, padding, start and
            end included; default `vocab_size`.
        attention: `"bahdanau"` (default), `"luong"`, their monotonic
            forms `"bahdanau_monotonic"` and `"luong_monotonic"` (Raffel et
            al. 2017), or `None`.
        attention_units: Width of the attention's hidden layer.
        attention_kwargs: Further arguments of the attention.
        target_embedding_dim: Width of the target embedding; default
            `embedding_dim`, else `units`.
        start_token: Id that starts every decoder input. Default 1.
        end_token: Id that ends every target. Default 2.
        activation: `"softmax"` (default) or `None` for logits.
        vocabulary: Optional target vocabulary (list of strings, or a
            `StringLookup`), for text from `translate`.
        separator: String between target tokens in text. Default `" "`.
        **kwargs: Without `backbone`, the arguments of a new one, e.g.
            `vocab_size` (the source's; or `input_dim`), `cell`, `units`,
            `num_layers`, `bidirectional` (see `RecurrentBackbone`). The
            decoder has as many layers of the same cell, `units`,
            `residual`, `dropout` (also before the output layer),
            `recurrent_dropout` and `cell_kwargs`. And arguments of
            `keras.Model` (`name`, `trainable`).

    Example:

    >>> model = Seq2Seq(vocab_size=12, units=8, cell="gru",
    ...                 bidirectional=True, attention="luong")
    >>> x, y = model.training_data(np.array([[5, 6, 7]]),
    ...                            np.array([[7, 6, 5]]))
    >>> tuple(model(x).shape)
    (1, 4, 12)
    >>> model.translate(np.array([[5, 6, 7]]), max_length=5).tokens.shape
    (1, 5)
    """

    def __init__(
        self,
        backbone: RecurrentBackbone | None = None,
        target_vocab_size: int | None = None,
        attention: str | None = "bahdanau",
        attention_units: int | None = None,
        attention_kwargs: dict | None = None,
        target_embedding_dim: int | None = None,
        start_token: int = 1,
        end_token: int = 2,
        activation: str | None = "softmax",
        vocabulary=None,
        separator: str = " ",
        **kwargs,
    ):
        check_choice("attention", attention, ATTENTIONS)
        check_choice("activation", activation, ("softmax", None))
        backbone, backbone_arguments = task_backbone(
            type(self), backbone, kwargs
        )
        if target_vocab_size is None:
            if backbone.vocab_size is None:
                raise ValueError(
                    "`target_vocab_size` is required with feature sources "
                    f"(input_dim={backbone.input_dim!r}), got "
                    "target_vocab_size=None"
                )
            target_vocab_size = backbone.vocab_size
        check_positive_int("target_vocab_size", target_vocab_size)
        check_special_tokens(start_token, end_token, target_vocab_size)

        # === Functional model ===
        encoder = SequenceEncoder(backbone, name="encoder")
        # The decoder's stack mirrors the backbone's (cell, units, layers,
        # dropout, ...).
        decoder = TokenDecoder(
            target_vocab_size,
            attention=attention,
            attention_units=attention_units,
            attention_kwargs=attention_kwargs,
            embedding_dim=target_embedding_dim or backbone.embedding_dim,
            name="decoder",
            **backbone.arguments_for(
                TokenDecoder, exclude=("vocab_size", "embedding_dim")
            ),
        )
        if backbone.vocab_size is not None:
            source = keras.Input(shape=(None,), dtype="int32", name="source")
        else:
            source = keras.Input(
                shape=(None, backbone.input_dim), name="source"
            )
        target_in = keras.Input(shape=(None,), dtype="int32", name="target_in")
        memory, memory_mask, initial_state = encoder(source)
        outputs = decoder(
            target_in,
            memory if attention is not None else None,
            initial_state=initial_state,
            memory_mask=memory_mask if attention is not None else None,
        )
        if activation == "softmax":
            outputs = keras.layers.Activation(
                "softmax", dtype="float32", name="probabilities"
            )(outputs)
        super().__init__(
            inputs={"source": source, "target_in": target_in},
            outputs=outputs,
            **kwargs,
        )
        self.backbone = backbone

        # === Config ===
        self.remember_arguments(
            **backbone_arguments,
            target_vocab_size=target_vocab_size,
            attention=attention,
            attention_units=attention_units,
            attention_kwargs=attention_kwargs,
            target_embedding_dim=target_embedding_dim,
            start_token=start_token,
            end_token=end_token,
            activation=activation,
            vocabulary=self.check_vocabulary(vocabulary, target_vocab_size),
            separator=separator,
        )

    def training_data(self, source, target):
        """The `(x, y)` of teacher forcing.

        Args:
            source: The source batch (ids padded with 0, or features).
            target: int `(batch, steps)` target ids, padded on the right
                with 0, without start or end tokens.

        Returns:
            `({"source": source, "target_in": target_in}, target_out)`,
            see `shift_targets`.
        """
        target_in, target_out = shift_targets(
            target, self.start_token, self.end_token
        )
        source = ops.convert_to_tensor(
            source, dtype="int32" if self.vocab_size is not None else None
        )
        return {"source": source, "target_in": target_in}, target_out

    def encode(self, inputs, training=False):
        return self.get_layer("encoder")(inputs, training=training)

    def generation_input_spec(self):
        if self.vocab_size is not None:
            return TensorSpec((None, None), "int32")
        return TensorSpec((None, None, self.input_dim), "float32")

    def translate(self, source, max_length: int = 50, **options):
        """Translates a batch of sources; `generate` with its arguments.

        Args:
            source: Sentences (a string or a list of strings; the model
                needs a `preprocessor`), or their int token ids `(batch,
                steps)` padded with 0.
            max_length: Most tokens generated per sentence.
            **options: `generate`'s decoding options: `strategy` (default
                the model's default decoding, e.g. beam search of width 5
                for the published translator, else greedy), `beam_width`,
                `length_penalty`, `temperature`, `top_k`, `seed`,
                `jit_compile`; for sentences also `replace_unknown`:
                whether each `[UNK]` becomes the source word the attention
                weighted most (default: as the model's default decoding
                says, else no).

        Returns:
            For sentences, the list of translations (strings). For ids, a
            `GenerationResult`: `tokens` `(batch, max_length)`, `scores`,
            `alignments` `(batch, max_length, source_steps)` (with
            attention) and `text` (with a vocabulary).

        Example:

        >>> translator = rnnzoo.create_model(
        ...     "translator_bahdanau.multi30k_en_de", pretrained=True
        ... )  # doctest: +SKIP
        >>> translator.translate(
        ...     ["two dogs play in the snow ."], strategy="beam", beam_width=5
        ... )  # doctest: +SKIP
        ['zwei hunde spielen im schnee .']
        """
        replace_unknown = options.pop("replace_unknown", None)
        if is_text(source):
            return generate_texts(
                self,
                "translate",
                "source",
                source,
                lambda ids: self.translate(ids, max_length, **options),
                texts_of=lambda result, sources: self.preprocessor.translations(
                    result, sources, replace_unknown
                ),
            )
        if replace_unknown:
            raise ValueError(
                "`replace_unknown=True` copies source words into the "
                "translation, so `source` must be sentences (strings), got "
                "token ids"
            )
        return self.generate(
            numeric_inputs("source", source), max_length, **options
        )

    def example_inputs(
        self, batch_size: int = 2, sequence_length: int = 6, seed: int = 0
    ) -> dict:
        rng = np.random.default_rng(seed)
        if self.vocab_size is not None:
            source = rng.integers(
                1, self.vocab_size, size=(batch_size, sequence_length)
            ).astype("int32")
        else:
            source = rng.normal(
                size=(batch_size, sequence_length, self.input_dim)
            ).astype("float32")
        target = rng.integers(
            1, self.target_vocab_size, size=(batch_size, sequence_length)
        )
        target_in, _ = shift_targets(target, self.start_token, self.end_token)
        return {"source": source, "target_in": ops.convert_to_numpy(target_in)}

    def default_loss(self):
        return keras.losses.SparseCategoricalCrossentropy(
            from_logits=self.activation is None
        )

    def default_metrics(self):
        return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
