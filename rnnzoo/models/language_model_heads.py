"""Auxiliary language modelling heads of a tagger (Rei 2017): a per-step
softmax that predicts each token's next (or previous) token, and the
targets it trains on."""

import keras
from keras import ops

from rnnzoo.validation import check_choice
from rnnzoo.validation import check_positive_int

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
    >>> tuple(head(np.zeros((2, 5, 4), "float32")).shape)
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
        check_positive_int("vocab_size", vocab_size)
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
