"""Language models: next-token prediction over characters or words
(many-to-many in training, one-to-many in generation), stateful truncated
BPTT over long text, and polyphonic music as multi-hot frames."""

import keras
import numpy as np
from keras import ops

from rnnzoo.models.backbone import BACKBONE_ARGUMENTS
from rnnzoo.models.backbone import STATEFUL_ARGUMENTS
from rnnzoo.models.backbone import RecurrentBackbone
from rnnzoo.models.generated_tokens import check_token_id
from rnnzoo.models.language_model_generation import LanguageModelGeneration
from rnnzoo.models.task_backbone import takes_backbone
from rnnzoo.models.task_backbone import task_backbone
from rnnzoo.validation import check_choice


@keras.saving.register_keras_serializable(package="rnnzoo")
@takes_backbone(BACKBONE_ARGUMENTS + STATEFUL_ARGUMENTS)
class LanguageModel(LanguageModelGeneration):
    """A recurrent language model: at every step, the distribution of the
    next token given the tokens so far.

    ```
    tokens -> Embedding -> RecurrentStack -> dropout -> Dense(vocab_size)
           -> softmax over the next token, at every step
    ```

    Tokens are characters or words alike (`vocab_size` ids, 0 padding
    with `mask_zero=True`). `training_data(sequences)` cuts sequences into
    inputs and next-token targets; `generate(prompt, ...)` reads a prompt
    and continues it with `rnnzoo.decoding` (greedy, sampling, top-k or
    beam search).

    * `stateful=True` (with a fixed `batch_size`): truncated BPTT over long
      text (Zaremba et al. 2014). Row `i` of every batch continues row `i`
      of the previous batch: the final states of one call are the initial
      states of the next, and gradients stop at the window's edge. Feed
      consecutive windows in order (`fit(..., shuffle=False)`) and call
      `reset_state()` between passes over the text.
    * `multi_hot=True` (with `input_dim`, e.g. 88 piano keys): polyphonic
      music (Boulanger-Lewandowski et al. 2012). Each step is a multi-hot
      frame of the notes that sound; the model predicts the next frame
      with an independent sigmoid per note, trained with binary
      cross-entropy (its mean over the notes, so `input_dim` times it is
      the frame's negative log-likelihood).

    A language model reads left to right only: a bidirectional backbone
    would let it see the token it predicts, and raises a `ValueError`.

    `compile()` defaults to sparse categorical cross-entropy and an
    `"accuracy"` metric (binary cross-entropy and per-note binary accuracy
    for `multi_hot=True`), over the real steps only.

    Args:
        backbone: A `RecurrentBackbone` to share (unidirectional, token or
            feature inputs), or `None` (default) for a new one built from
            the backbone arguments in `**kwargs`.
        multi_hot: Whether steps are multi-hot frames (music) of
            `input_dim` notes rather than token ids; with `mask_value`,
            the value of every entry of a padded frame (e.g. `-1.0`; an
            all-zero frame is a rest).
        end_token: Optional id that ends a generated sequence (e.g. the id
            of `<eos>`).
        activation: `"auto"` (softmax over tokens, sigmoid per note) or
            `None` for logits.
        vocabulary: Optional list of strings (index = token id) or a
            `StringLookup`, for text from `generate`.
        separator: String between tokens in text: `" "` (default) for
            words, `""` for characters.
        **kwargs: Without `backbone`, the arguments of a new one, e.g.
            `vocab_size` (or `input_dim` with `multi_hot=True`), `cell`,
            `units`, `num_layers`, `stateful` and `batch_size` (see
            `RecurrentBackbone`; its `dropout` also drops the inputs of
            the output layer, as in Zaremba et al. 2014); and arguments of
            `keras.Model` (`name`, `trainable`).

    Example:

    >>> model = LanguageModel(vocab_size=30, units=8, cell="mgu")
    >>> x, y = model.training_data(np.array([[3, 4, 5, 6, 0]]))
    >>> tuple(model(x).shape)
    (1, 4, 30)
    >>> model.generate(np.array([[3, 4]]), max_length=5).tokens.shape
    (1, 5)
    """

    def __init__(
        self,
        backbone: RecurrentBackbone | None = None,
        multi_hot: bool = False,
        end_token: int | None = None,
        activation: str | None = "auto",
        vocabulary=None,
        separator: str = " ",
        **kwargs,
    ):
        check_choice("activation", activation, ("auto", None))
        backbone, backbone_arguments = task_backbone(
            type(self), backbone, kwargs
        )
        if backbone.bidirectional:
            raise ValueError(
                "A language model predicts each token from the tokens before "
                "it; a backward direction would read the token it predicts. "
                "`bidirectional` must be False, got bidirectional=True"
            )
        vocab_size, input_dim = backbone.vocab_size, backbone.input_dim
        if multi_hot != (input_dim is not None):
            raise ValueError(
                "`multi_hot=True` takes frames of `input_dim` notes, token "
                "inputs take `vocab_size`; got "
                f"multi_hot={multi_hot!r} and input_dim={input_dim!r}"
            )
        if end_token is not None and vocab_size is None:
            raise ValueError(
                "`end_token` applies to token models (`vocab_size`); frames "
                f"have no end, got end_token={end_token!r} and "
                f"input_dim={input_dim!r}"
            )
        if end_token is not None:
            check_token_id("end_token", end_token, vocab_size)

        # === Functional model ===
        sequence = backbone.output
        if backbone.dropout > 0.0:
            sequence = keras.layers.Dropout(
                backbone.dropout, name="head_dropout"
            )(sequence)
        outputs = keras.layers.Dense(
            input_dim if multi_hot else vocab_size, name="logits"
        )(sequence)
        if activation == "auto":
            outputs = keras.layers.Activation(
                "sigmoid" if multi_hot else "softmax",
                dtype="float32",
                name="probabilities",
            )(outputs)
        super().__init__(inputs=backbone.input, outputs=outputs, **kwargs)
        self.backbone = backbone

        # === Config ===
        self.remember_arguments(
            **backbone_arguments,
            multi_hot=multi_hot,
            end_token=end_token,
            activation=activation,
            vocabulary=self.check_vocabulary(vocabulary, vocab_size),
            separator=separator,
        )

    def output_vocabulary_size(self):
        return self.vocab_size

    def padding_ids(self):
        return (0,) if self.mask_zero else ()

    def training_data(self, sequences):
        """The `(x, y)` of next-token prediction.

        Args:
            sequences: int `(batch, steps)` ids padded on the right with 0
                (or `(batch, steps, input_dim)` frames, padded with
                `mask_value`).

        Returns:
            `(inputs, targets)`, one step shorter: `targets[:, t]` is
            `sequences[:, t + 1]`. An input step whose target is padding
            is padded too, so no real step is trained to predict padding.
        """
        sequences = ops.convert_to_tensor(
            sequences, dtype="float32" if self.multi_hot else "int32"
        )
        inputs, targets = sequences[:, :-1], sequences[:, 1:]
        if self.multi_hot:
            if self.mask_value is not None:
                padded = ops.all(ops.equal(targets, self.mask_value), -1)
                inputs = ops.where(padded[..., None], self.mask_value, inputs)
        elif self.mask_zero:
            inputs = ops.where(ops.equal(targets, 0), 0, inputs)
        return inputs, targets

    def reset_state(self) -> None:
        """Zeroes the carried states of a stateful model (a new text)."""
        for layer in self.get_layer("recurrent_stack").recurrent_layers:
            layer.reset_state()

    def example_inputs(
        self, batch_size: int = 2, sequence_length: int = 6, seed: int = 0
    ):
        if self.stateful:
            batch_size = self.batch_size
        if not self.multi_hot:
            return super().example_inputs(batch_size, sequence_length, seed)
        rng = np.random.default_rng(seed)
        steps = self.sequence_length or sequence_length
        shape = (batch_size, steps, self.input_dim)
        return (rng.random(shape) < 0.1).astype("float32")

    def default_loss(self):
        from_logits = self.activation is None
        if self.multi_hot:
            # Padded frames weigh 0; the mean must be over the real frames
            # only, so that `input_dim` times the loss is the NLL per step
            # (Keras's default divides by every frame, padded ones too).
            return keras.losses.BinaryCrossentropy(
                from_logits=from_logits, reduction="mean_with_sample_weight"
            )
        return keras.losses.SparseCategoricalCrossentropy(
            from_logits=from_logits
        )

    def default_metrics(self):
        if self.multi_hot:
            threshold = 0.0 if self.activation is None else 0.5
            return [
                keras.metrics.BinaryAccuracy(
                    threshold=threshold, name="accuracy"
                )
            ]
        return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]
