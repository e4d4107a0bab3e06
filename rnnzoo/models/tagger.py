"""Aligned many-to-many: one tag per step (part-of-speech tagging, named
entity recognition, frame labelling), with optional auxiliary language
modelling heads (Rei 2017)."""

import keras
from keras import ops

from rnnzoo.models.arguments import check_choice
from rnnzoo.models.arguments import check_positive_integer
from rnnzoo.models.base import RecurrentModel
from rnnzoo.models.encoder import SplitDirections
from rnnzoo.models.encoder import recurrent_encoder

DIRECTIONS = ("forward", "backward")


@keras.saving.register_keras_serializable(package="rnnzoo")
class LanguageModelHead(keras.layers.Layer):
    """A per-step softmax over the vocabulary that predicts a neighbour.

    `direction="forward"` predicts the next token from forward states,
    `"backward"` the previous token from backward states. The output mask
    keeps only the steps that have that neighbour: a step and its next (or
    previous) step must both be unmasked, so the loss and metrics skip the
    sequence ends as well as the padding.

    Args:
        vocab_size: Positive integer, the number of token ids.
        direction: `"forward"` (next token) or `"backward"` (previous
            token).
        kernel_initializer: Initializer of `kernel`.
        bias_initializer: Initializer of `bias`.
        **kwargs: Arguments of `keras.layers.Layer`.

    Call arguments:
        inputs: A 3D tensor `(batch, steps, features)`.
        mask: Optional boolean `(batch, steps)`.

    Returns:
        Probabilities `(batch, steps, vocab_size)`.

    Example:

    >>> head = LanguageModelHead(10, direction="forward")
    >>> head(np.zeros((2, 5, 4), "float32")).shape
    (2, 5, 10)
    """

    def __init__(
        self,
        vocab_size: int,
        direction: str = "forward",
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        **kwargs,
    ):
        check_positive_integer("vocab_size", vocab_size)
        check_choice("direction", direction, DIRECTIONS)
        super().__init__(**kwargs)
        self.vocab_size = vocab_size
        self.direction = direction
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.supports_masking = True

    def build(self, inputs_shape):
        self.kernel = self.add_weight(
            shape=(inputs_shape[-1], self.vocab_size),
            name="kernel",
            initializer=self.kernel_initializer,
        )
        self.bias = self.add_weight(
            shape=(self.vocab_size,),
            name="bias",
            initializer=self.bias_initializer,
        )
        self.built = True

    def call(self, inputs):
        return ops.softmax(ops.matmul(inputs, self.kernel) + self.bias)

    def compute_output_shape(self, inputs_shape):
        return tuple(inputs_shape[:-1]) + (self.vocab_size,)

    def compute_mask(self, inputs, mask=None):
        if mask is None:
            return None
        mask = ops.cast(mask, "bool")
        edge = ops.zeros_like(mask[:, :1])
        if self.direction == "forward":
            neighbour = ops.concatenate([mask[:, 1:], edge], axis=1)
        else:
            neighbour = ops.concatenate([edge, mask[:, :-1]], axis=1)
        return ops.logical_and(mask, neighbour)

    def get_config(self):
        return {
            **super().get_config(),
            "vocab_size": self.vocab_size,
            "direction": self.direction,
            "kernel_initializer": keras.initializers.serialize(
                self.kernel_initializer
            ),
            "bias_initializer": keras.initializers.serialize(
                self.bias_initializer
            ),
        }


def language_model_targets(token_ids, bidirectional: bool = True) -> dict:
    """The targets of a tagger's language modelling heads.

    Args:
        token_ids: Int `(..., steps)` token ids, 0 for padding.
        bidirectional: Whether to include `"previous_token"`.

    Returns:
        A dict of int32 tensors: `"next_token"`, the ids shifted one step
        left, and with `bidirectional=True` `"previous_token"`, shifted one
        step right; 0 where there is no neighbour (those steps are masked
        anyway).

    Example:

    >>> targets = language_model_targets(np.array([[4, 5, 6, 0]]))
    >>> keras.ops.convert_to_numpy(targets["next_token"])
    array([[5, 6, 0, 0]], dtype=int32)
    >>> keras.ops.convert_to_numpy(targets["previous_token"])
    array([[0, 4, 5, 6]], dtype=int32)
    """
    token_ids = ops.convert_to_tensor(token_ids, dtype="int32")
    edge = ops.zeros_like(token_ids[..., :1])
    targets = {
        "next_token": ops.concatenate([token_ids[..., 1:], edge], axis=-1)
    }
    if bidirectional:
        targets["previous_token"] = ops.concatenate(
            [edge, token_ids[..., :-1]], axis=-1
        )
    return targets


@keras.saving.register_keras_serializable(package="rnnzoo")
class SequenceTagger(RecurrentModel):
    """A recurrent tagger: one tag per step.

    ```
    inputs -> embedding (tokens) -> RecurrentStack -> dropout
           -> Dense(num_tags) at every step ("tags")
    ```

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

    Args:
        num_tags: Positive integer, the number of tags.
        cell: Registry name of the recurrent cell, one of
            `rnnzoo.layers.cell_names()`. Default `"lstm"`.
        units: Width of every recurrent layer (per direction). Default 64.
        num_layers: Number of stacked recurrent layers. Default 1.
        bidirectional: Whether each layer reads the sequence both ways.
            Default `True`.
        residual: Whether layers of equal input and output width add their
            input to their output.
        dropout: Float in `[0, 1)`, dropout on the inputs of every
            recurrent layer and of the heads.
        recurrent_dropout: Float in `[0, 1)`, each cell's dropout on its
            previous state.
        cell_kwargs: Dict of further arguments of every recurrent layer.
        vocab_size: Number of token ids, padding included, for token
            inputs. Pass this or `input_dim`.
        embedding_dim: Width of the token embedding; default `units`.
        mask_zero: Whether token id 0 is padding (masked). Default `True`.
        input_dim: Number of features per step, for real-valued inputs.
            Pass this or `vocab_size`.
        mask_value: For feature inputs, the value that marks a padded step
            (all features equal to it), or `None`.
        sequence_length: Fixed number of steps, or `None` for any.
        activation: `"softmax"` (default) or `None` for logits.
        language_model_heads: Whether to add the auxiliary next-token (and
            previous-token) heads. Needs token inputs with `mask_zero=True`.
        **kwargs: Arguments of `keras.Model` (`name`, `trainable`).

    Example:

    >>> tagger = SequenceTagger(num_tags=4, vocab_size=50, units=8,
    ...                         cell="gru")
    >>> tagger.compile()
    >>> tagger.predict(np.array([[3, 4, 5, 0]]), verbose=0).shape
    (1, 4, 4)
    """

    def __init__(
        self,
        num_tags: int,
        cell: str = "lstm",
        units: int = 64,
        num_layers: int = 1,
        bidirectional: bool = True,
        residual: bool = False,
        dropout: float = 0.0,
        recurrent_dropout: float = 0.0,
        cell_kwargs: dict | None = None,
        vocab_size: int | None = None,
        embedding_dim: int | None = None,
        mask_zero: bool = True,
        input_dim: int | None = None,
        mask_value: float | None = None,
        sequence_length: int | None = None,
        activation: str | None = "softmax",
        language_model_heads: bool = False,
        **kwargs,
    ):
        check_positive_integer("num_tags", num_tags)
        check_choice("activation", activation, ("softmax", None))
        if language_model_heads and vocab_size is None:
            raise ValueError(
                "`language_model_heads=True` predicts tokens, so it needs "
                "token inputs (`vocab_size`), got "
                f"vocab_size=None and input_dim={input_dim!r}"
            )
        if language_model_heads and mask_zero is not True:
            raise ValueError(
                "`language_model_heads=True` needs `mask_zero=True`: id 0 "
                "marks padding and the steps without a neighbour, got "
                f"mask_zero={mask_zero!r}"
            )

        # === Functional model ===
        encoder_arguments = dict(
            cell=cell,
            units=units,
            num_layers=num_layers,
            bidirectional=bidirectional,
            residual=residual,
            dropout=dropout,
            recurrent_dropout=recurrent_dropout,
            cell_kwargs=cell_kwargs,
            vocab_size=vocab_size,
            embedding_dim=embedding_dim,
            mask_zero=mask_zero,
            input_dim=input_dim,
            mask_value=mask_value,
            sequence_length=sequence_length,
        )
        inputs, sequence, first_sequence = recurrent_encoder(
            **encoder_arguments, return_first_layer=True
        )
        head_dropout = None
        if dropout > 0.0:
            head_dropout = keras.layers.Dropout(dropout, name="head_dropout")
            sequence = head_dropout(sequence)
        tags = keras.layers.Dense(
            num_tags, activation=activation, dtype="float32", name="tags"
        )(sequence)
        outputs = tags
        if language_model_heads:
            if bidirectional:
                forward, backward = SplitDirections(
                    units, name="split_directions"
                )(first_sequence)
            else:
                forward, backward = first_sequence, None
            if head_dropout is not None:
                forward = head_dropout(forward)
            outputs = {
                "tags": tags,
                "next_token": LanguageModelHead(
                    vocab_size,
                    direction="forward",
                    dtype="float32",
                    name="next_token",
                )(forward),
            }
            if backward is not None:
                if head_dropout is not None:
                    backward = head_dropout(backward)
                outputs["previous_token"] = LanguageModelHead(
                    vocab_size,
                    direction="backward",
                    dtype="float32",
                    name="previous_token",
                )(backward)
        super().__init__(inputs=inputs, outputs=outputs, **kwargs)

        # === Config ===
        self.remember_arguments(
            num_tags=num_tags,
            **encoder_arguments,
            activation=activation,
            language_model_heads=language_model_heads,
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

    def training_targets(self, token_ids, tags):
        """The `y` for `fit()`/`evaluate()`: `tags`, or with language
        modelling heads a dict that adds their targets (see
        `language_model_targets`)."""
        if not self.language_model_heads:
            return tags
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

        return self._per_output(make)

    def default_metrics(self):
        return self._per_output(
            lambda key: [keras.metrics.SparseCategoricalAccuracy("accuracy")]
        )

    def default_loss_weights(self):
        if not self.language_model_heads:
            return None
        return {key: 1.0 if key == "tags" else 0.1 for key in self.output_keys}
