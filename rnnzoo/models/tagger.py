"""Aligned many-to-many: one tag per step (part-of-speech tagging, named
entity recognition, frame labelling), with optional auxiliary language
modelling heads (Rei 2017)."""

import keras
import numpy as np

from rnnzoo.layers.crf_layer import CRF
from rnnzoo.models.backbone import BACKBONE_ARGUMENTS
from rnnzoo.models.backbone import RecurrentBackbone
from rnnzoo.models.base import RecurrentModel
from rnnzoo.models.characters import CHARACTER_ARGUMENTS
from rnnzoo.models.characters import CHARACTER_IDS
from rnnzoo.models.characters import TOKEN_IDS
from rnnzoo.models.crf_tagging import TagDecoding
from rnnzoo.models.crf_tagging import without_tags
from rnnzoo.models.encoder import SplitDirections
from rnnzoo.models.language_model_heads import LanguageModelHead
from rnnzoo.models.language_model_heads import language_model_targets
from rnnzoo.models.raw_inputs import describe
from rnnzoo.models.raw_inputs import is_text
from rnnzoo.models.raw_inputs import is_token_lists
from rnnzoo.models.raw_inputs import require_preprocessor
from rnnzoo.models.task_backbone import takes_backbone
from rnnzoo.models.task_backbone import task_backbone
from rnnzoo.validation import check_bool
from rnnzoo.validation import check_choice
from rnnzoo.validation import check_positive_int


@keras.saving.register_keras_serializable(package="rnnzoo")
@takes_backbone(
    BACKBONE_ARGUMENTS + CHARACTER_ARGUMENTS,
    defaults={"bidirectional": True},
    fixed={"return_first_layer": True},
)
class SequenceTagger(TagDecoding, RecurrentModel):
    """A recurrent tagger: one tag per step.

    ```
    inputs -> embedding (tokens) -> RecurrentStack -> dropout
           -> Dense(num_tags) at every step ("tags") [-> CRF ("crf")]
    ```

    With `character_vocab_size` (see `RecurrentBackbone`), each word is
    also read by its characters (Plank et al. 2016, "Multilingual
    part-of-speech tagging with bidirectional LSTM models"), so that words
    the vocabulary does not know are still tagged by their spelling
    (suffixes, capitals, digits, hyphens). The inputs are then a dict,
    `{"token_ids": (batch, steps), "character_ids": (batch, steps,
    max_word_length)}`, character id 0 for padding (as
    `rnnzoo.data.make_pipeline(..., max_word_length=...)` gives them).

    Padding does not count: with token inputs and `mask_zero=True` (or
    feature inputs and `mask_value`), the mask reaches the per-step output,
    and Keras leaves masked steps out of the loss and the metrics, whatever
    their labels. Without a mask, pass `sample_weight` to `fit()`.

    With `language_model_heads=True` (token inputs only), the tagger also
    learns language modelling as an auxiliary task (Rei 2017,
    "Semi-supervised multitask learning for sequence labeling"): a softmax
    over the vocabulary predicts the next token from the forward states and,
    if `bidirectional`, the previous token from the backward states. The
    heads read the first recurrent layer, whose forward half has only read
    the steps up to `t` and whose backward half only those from `t` on
    (deeper bidirectional layers mix the directions and would see the
    answer). The model then has a dict of outputs, `"tags"`, `"next_token"`
    and `"previous_token"`, and trains on a dict of targets that
    `training_targets` builds:

    ```python
    tagger = SequenceTagger(num_tags=9, vocab_size=20000,
                            language_model_heads=True)
    tagger.compile()  # language modelling losses weighted 0.1, as Rei
    tagger.fit(token_ids, tagger.training_targets(token_ids, tags))
    tags = tagger.predict(token_ids)["tags"]
    ```

    `compile(loss_weights={"tags": 1.0, "next_token": w,
    "previous_token": w})` changes the weight `w`; the language modelling
    steps without a neighbour (sequence ends) are masked out.

    `compile()` defaults to sparse categorical cross-entropy for every
    output (`from_logits` with `activation=None`) and accuracy metrics named
    `"accuracy"`.

    With `crf=True`, a linear-chain CRF (`rnnzoo.layers.CRF`, Lample et
    al. 2016, "Neural architectures for named entity recognition") scores
    whole tag sequences: the per-step scores are its unary potentials, and
    it learns the score of each tag after each other tag. The model's
    output (`predict`, `call`) is then the potentials; the tagger trains
    on the CRF negative log-likelihood of the gold tags (per real token,
    see `rnnzoo.models.crf_tagging.crf_loss`; `compile` picks it, and
    takes no other loss for the tags), its accuracy metrics score the
    Viterbi path (in `fit` as in `evaluate`), and `predict_tags` and `tag`
    return the Viterbi path. A `sample_weight` then weighs sentences
    `(batch,)` or steps `(batch, steps)`, 0 marking padding.

    Args:
        num_tags: Positive integer, the number of tags.
        backbone: A `RecurrentBackbone` to share (e.g. a pretrained
            one's), built with `return_first_layer=True` if it has several
            layers; or `None` (default) for a new one built from the
            backbone arguments in `**kwargs`.
        activation: `"softmax"` (default) or `None` for logits.
        language_model_heads: Whether to add the auxiliary next-token (and
            previous-token) heads. Needs token inputs with `mask_zero=True`.
        crf: Whether to decode with a linear-chain CRF over the per-step
            scores (which then stay linear: `activation` is `None`).
        **kwargs: Without `backbone`, the arguments of a new one, e.g.
            `cell`, `units`, `bidirectional` (here default `True`),
            `vocab_size`, or `character_vocab_size` and the other
            character arguments (see `RecurrentBackbone`; its `dropout`
            also drops the inputs of the heads); and arguments of
            `keras.Model` (`name`, `trainable`).

    Example:

    >>> tagger = SequenceTagger(num_tags=4, vocab_size=50, units=8,
    ...                         cell="gru")
    >>> tagger.compile()
    >>> tagger.predict(np.array([[3, 4, 5, 0]]), verbose=0).shape
    (1, 4, 4)

    With character features:

    >>> tagger = SequenceTagger(num_tags=4, vocab_size=50, units=8,
    ...                         character_vocab_size=20, max_word_length=5)
    >>> tagger.compile()
    >>> tagger.predict({"token_ids": np.array([[3, 4, 0]]),
    ...                 "character_ids": np.ones((1, 3, 5), "int32")},
    ...                verbose=0).shape
    (1, 3, 4)

    With a CRF, the tags are the Viterbi path:

    >>> tagger = SequenceTagger(num_tags=4, vocab_size=50, units=8, crf=True)
    >>> tagger.compile()
    >>> tagger.predict_tags(np.array([[3, 4, 5, 0]])).shape
    (1, 4)
    """

    def __init__(
        self,
        num_tags: int,
        backbone: RecurrentBackbone | None = None,
        activation: str | None = "softmax",
        language_model_heads: bool = False,
        crf: bool = False,
        **kwargs,
    ):
        check_positive_int("num_tags", num_tags)
        check_bool("crf", crf)
        if crf:
            # The CRF's potentials are unnormalized scores.
            activation = None
        check_choice("activation", activation, ("softmax", None))
        backbone, backbone_arguments = task_backbone(
            type(self), backbone, kwargs
        )
        if language_model_heads and backbone.vocab_size is None:
            raise ValueError(
                "`language_model_heads=True` predicts tokens, so it needs "
                "token inputs (`vocab_size`), got vocab_size=None and "
                f"input_dim={backbone.input_dim!r}"
            )
        if language_model_heads and backbone.mask_zero is not True:
            raise ValueError(
                "`language_model_heads=True` needs `mask_zero=True`: id 0 "
                "marks padding and the steps without a neighbour, got "
                f"mask_zero={backbone.mask_zero!r}"
            )

        # === Functional model ===
        sequence = backbone.output
        head_dropout = None
        if backbone.dropout > 0.0:
            head_dropout = keras.layers.Dropout(
                backbone.dropout, name="head_dropout"
            )
            sequence = head_dropout(sequence)
        tags = keras.layers.Dense(
            num_tags, activation=activation, dtype="float32", name="tags"
        )(sequence)
        if crf:
            tags = CRF(dtype="float32", name="crf")(tags)
        outputs = tags
        if language_model_heads:
            outputs = {
                "tags": tags,
                **_language_model_heads(backbone, head_dropout),
            }
        super().__init__(inputs=backbone.input, outputs=outputs, **kwargs)
        self.backbone = backbone

        # === Config ===
        self.remember_arguments(
            num_tags=num_tags,
            **backbone_arguments,
            activation=activation,
            language_model_heads=language_model_heads,
            crf=crf,
        )

    @property
    def output_keys(self) -> list[str]:
        """Names of the outputs: `["tags"]`, plus the language modelling
        heads when there are any."""
        if not self.language_model_heads:
            return ["tags"]
        keys = ["tags", "next_token"]
        if self.bidirectional:
            keys.append("previous_token")
        return keys

    def example_inputs(
        self, batch_size: int = 2, sequence_length: int = 6, seed: int = 0
    ):
        """A random batch the tagger accepts (see
        `RecurrentModel.example_inputs`); with character features, a dict
        that adds random `"character_ids"` (`max_word_length`, else 8, per
        word)."""
        token_ids = super().example_inputs(batch_size, sequence_length, seed)
        if not self.character_vocab_size:
            return token_ids
        rng = np.random.default_rng(seed)
        characters = self.max_word_length or 8
        character_ids = rng.integers(
            1,
            self.character_vocab_size,
            size=token_ids.shape + (characters,),
        ).astype("int32")
        return {TOKEN_IDS: token_ids, CHARACTER_IDS: character_ids}

    def tag(self, texts, batch_size=None) -> list[list[tuple[str, str]]]:
        """Tags sentences: each token with its predicted tag.

        Needs a `preprocessor` (a pretrained tagger has one). Sentences are
        split into tokens by the preprocessor (words and punctuation), or
        given as lists of tokens.

        Args:
            texts: A sentence, a list of sentences, or a list of token
                lists.
            batch_size: Sentences per batch; default Keras's.

        Returns:
            Per sentence, the list of `(token, tag)` pairs, tokens as the
            preprocessor split them; `[]` for an empty sentence.

        Example:

        >>> tagger = rnnzoo.create_model(
        ...     "upos_tagger.ud_en_ewt", pretrained=True)  # doctest: +SKIP
        >>> tagger.tag("I love this movie .")  # doctest: +SKIP
        [[('I', 'PRON'), ('love', 'VERB'), ('this', 'DET'),
          ('movie', 'NOUN'), ('.', 'PUNCT')]]
        """
        preprocessor = require_preprocessor(self, "tag")
        if not (is_text(texts) or is_token_lists(texts)):
            raise ValueError(
                "`texts` must be a sentence, a list of sentences or a list "
                f"of token lists, got {describe(texts)}. For token ids, "
                "call `predict_tags`."
            )
        sentences = preprocessor.tokenize(texts)
        tag_ids = self.predict_tags(
            preprocessor.model_inputs(sentences), batch_size=batch_size
        )
        return [
            [
                (token, preprocessor.label_name(int(tag_ids[row, step])))
                for step, token in enumerate(tokens)
            ]
            for row, tokens in enumerate(sentences)
        ]

    def training_targets(self, token_ids, tags):
        """The `y` for `fit()`/`evaluate()`: `tags`, or with language
        modelling heads a dict that adds their targets (see
        `language_model_targets`). `token_ids` may be the dict of inputs
        of a tagger with character features."""
        if not self.language_model_heads:
            return tags
        if isinstance(token_ids, dict):
            token_ids = token_ids[TOKEN_IDS]
        return {
            "tags": tags,
            **language_model_targets(token_ids, self.bidirectional),
        }

    def _per_output(self, make):
        if not self.language_model_heads:
            return make("tags")
        return {key: make(key) for key in self.output_keys}

    def default_loss(self):
        def make(key):
            from_logits = key == "tags" and self.activation is None
            return keras.losses.SparseCategoricalCrossentropy(
                from_logits=from_logits
            )

        if self.crf:
            # The tags' loss is the CRF's own (see `compute_loss`).
            return without_tags(self._per_output(make))
        return self._per_output(make)

    def default_metrics(self):
        return self._per_output(
            lambda key: [keras.metrics.SparseCategoricalAccuracy("accuracy")]
        )

    def default_loss_weights(self):
        if not self.language_model_heads:
            return None
        weights = {key: 0.1 for key in self.output_keys}
        weights["tags"] = 1.0
        return without_tags(weights) if self.crf else weights


def _language_model_heads(backbone, head_dropout) -> dict:
    """The next-token (and previous-token) heads on the first layer of
    `backbone`, whose directions have not read each other."""
    first_sequence = backbone.first_layer_output
    if backbone.bidirectional:
        forward, backward = SplitDirections(
            backbone.units, name="split_directions"
        )(first_sequence)
    else:
        forward, backward = first_sequence, None
    if head_dropout is not None:
        forward = head_dropout(forward)
    heads = {
        "next_token": LanguageModelHead(
            backbone.vocab_size,
            direction="forward",
            dtype="float32",
            name="next_token",
        )(forward)
    }
    if backward is not None:
        if head_dropout is not None:
            backward = head_dropout(backward)
        heads["previous_token"] = LanguageModelHead(
            backbone.vocab_size,
            direction="backward",
            dtype="float32",
            name="previous_token",
        )(backward)
    return heads
