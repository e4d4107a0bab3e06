"""Masked pooling over time: the many-to-one reduction from a sequence of
recurrent outputs `(batch, steps, features)` to one vector per sequence
`(batch, features)`. Masked (padded) steps never contribute; a sequence with
no unmasked step pools to zeros, as a recurrent layer's final output then is
its zero initial state."""

import keras
from keras import ops

from rnnzoo.validation import check_choice
from rnnzoo.validation import check_positive_int

POOLING_NAMES = ("last", "mean", "max", "attention")


def _boolean_mask(inputs, mask):
    """The `(batch, steps)` boolean mask, all `True` when `mask` is None."""
    if mask is None:
        return ops.ones(ops.shape(inputs)[:2], dtype="bool")
    return ops.cast(mask, "bool")


@keras.saving.register_keras_serializable(package="rnnzoo")
class LastStepPooling(keras.layers.Layer):
    """Takes a recurrent layer's final output from its output sequence.

    A recurrent layer that skips masked steps ends on its last unmasked
    step, so the forward output is taken there, not at the last (maybe
    padded) position. With `bidirectional=True` the features are
    `[forward, backward]` halves, as `keras.layers.Bidirectional`
    concatenates them; the backward direction ends on the first unmasked
    step, so that half is taken there. The result equals the recurrent
    layers' output with `return_sequences=False`.

    Args:
        bidirectional: Whether the features are `[forward, backward]`
            halves. Default `False`.
        **kwargs: Arguments of `keras.layers.Layer`.

    Call arguments:
        inputs: A 3D tensor `(batch, steps, features)`.
        mask: Optional boolean `(batch, steps)`.

    Returns:
        A 2D tensor `(batch, features)`.

    Example:

    >>> inputs = np.arange(12, dtype="float32").reshape((1, 3, 4))
    >>> mask = np.array([[True, True, False]])
    >>> ops.convert_to_numpy(
    ...     LastStepPooling(bidirectional=True)(inputs, mask=mask))
    array([[4., 5., 2., 3.]], dtype=float32)
    """

    def __init__(self, bidirectional: bool = False, **kwargs):
        super().__init__(**kwargs)
        self.bidirectional = bool(bidirectional)
        self.supports_masking = True

    def build(self, inputs_shape):
        if len(inputs_shape) != 3:
            raise ValueError(
                f"Layer '{self.name}' expects inputs of rank 3 "
                f"(batch, steps, features), got shape {inputs_shape}"
            )
        if self.bidirectional and inputs_shape[-1] % 2:
            raise ValueError(
                f"Layer '{self.name}' with bidirectional=True expects an "
                "even number of features ([forward, backward]), got an "
                f"input of shape {inputs_shape}"
            )
        self.built = True

    def call(self, inputs, mask=None):
        mask = _boolean_mask(inputs, mask)
        steps = ops.shape(inputs)[1]
        positions = ops.expand_dims(ops.arange(steps, dtype="int32"), 0)
        # -1 and `steps` are out of range: one_hot gives zeros there, so a
        # fully masked sequence pools to zeros.
        last = ops.max(ops.where(mask, positions, -1), axis=1)
        forward = self._take(inputs, last, steps)
        if not self.bidirectional:
            return forward
        first = ops.min(ops.where(mask, positions, steps), axis=1)
        backward = self._take(inputs, first, steps)
        half = inputs.shape[-1] // 2
        return ops.concatenate(
            [forward[..., :half], backward[..., half:]], axis=-1
        )

    @staticmethod
    def _take(inputs, index, steps):
        selector = ops.one_hot(index, steps, dtype=inputs.dtype)
        return ops.einsum("bt,btf->bf", selector, inputs)

    def compute_output_shape(self, inputs_shape):
        return (inputs_shape[0], inputs_shape[-1])

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        return {**super().get_config(), "bidirectional": self.bidirectional}


@keras.saving.register_keras_serializable(package="rnnzoo")
class MaskedMeanPooling(keras.layers.Layer):
    """Averages a sequence over its unmasked steps.

    Args:
        **kwargs: Arguments of `keras.layers.Layer`.

    Call arguments:
        inputs: A 3D tensor `(batch, steps, features)`.
        mask: Optional boolean `(batch, steps)`.

    Returns:
        A 2D tensor `(batch, features)`.

    Example:

    >>> inputs = np.array([[[1.0], [3.0], [100.0]]], "float32")
    >>> ops.convert_to_numpy(
    ...     MaskedMeanPooling()(inputs, mask=np.array([[True, True, False]])))
    array([[2.]], dtype=float32)
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        weights = ops.cast(_boolean_mask(inputs, mask), inputs.dtype)
        total = ops.einsum("bt,btf->bf", weights, inputs)
        count = ops.sum(weights, axis=1, keepdims=True)
        return total / ops.maximum(count, 1.0)

    def compute_output_shape(self, inputs_shape):
        return (inputs_shape[0], inputs_shape[-1])

    def compute_mask(self, inputs, mask=None):
        return None


@keras.saving.register_keras_serializable(package="rnnzoo")
class MaskedMaxPooling(keras.layers.Layer):
    """Takes the maximum of every feature over the unmasked steps.

    Args:
        **kwargs: Arguments of `keras.layers.Layer`.

    Call arguments:
        inputs: A 3D tensor `(batch, steps, features)`.
        mask: Optional boolean `(batch, steps)`.

    Returns:
        A 2D tensor `(batch, features)`.

    Example:

    >>> inputs = np.array([[[1.0], [3.0], [100.0]]], "float32")
    >>> ops.convert_to_numpy(
    ...     MaskedMaxPooling()(inputs, mask=np.array([[True, True, False]])))
    array([[3.]], dtype=float32)
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        mask = ops.expand_dims(_boolean_mask(inputs, mask), -1)
        lowest = ops.full_like(inputs, float("-inf"))
        maximum = ops.max(ops.where(mask, inputs, lowest), axis=1)
        return ops.where(ops.any(mask, axis=1), maximum, 0.0)

    def compute_output_shape(self, inputs_shape):
        return (inputs_shape[0], inputs_shape[-1])

    def compute_mask(self, inputs, mask=None):
        return None


@keras.saving.register_keras_serializable(package="rnnzoo")
class AttentionPooling(keras.layers.Layer):
    """Attention-weighted average over the unmasked steps.

    The additive attention of Bahdanau et al. (2015), pooling as in Yang et
    al. (2016): a learned `context_vector` `u` scores every step,

    ```
    e_t = u · tanh(h_t W + b)
    a   = softmax(e) over the unmasked steps
    out = Σ_t a_t h_t
    ```

    The softmax runs in float32 whatever the layer's dtype policy.

    Args:
        units: Positive integer, width of the scoring layer; default the
            input's width.
        kernel_initializer: Initializer of `kernel` and `context_vector`.
        bias_initializer: Initializer of `bias`.
        **kwargs: Arguments of `keras.layers.Layer`.

    Call arguments:
        inputs: A 3D tensor `(batch, steps, features)`.
        mask: Optional boolean `(batch, steps)`.
        return_attention_scores: Whether to also return the weights `a`.

    Returns:
        `(batch, features)`, and with `return_attention_scores=True` also the
        weights `(batch, steps)`, zero on masked steps.

    Example:

    >>> pooled, weights = AttentionPooling(4)(
    ...     np.ones((2, 5, 6), "float32"), return_attention_scores=True)
    >>> tuple(pooled.shape), tuple(weights.shape)
    ((2, 6), (2, 5))
    """

    def __init__(
        self,
        units: int | None = None,
        kernel_initializer="glorot_uniform",
        bias_initializer="zeros",
        **kwargs,
    ):
        check_positive_int("units", units, allow_none=True)
        super().__init__(**kwargs)
        self.units = units
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.supports_masking = True

    def build(self, inputs_shape):
        features = inputs_shape[-1]
        units = self.units or features
        self.kernel = self.add_weight(
            shape=(features, units),
            name="kernel",
            initializer=self.kernel_initializer,
        )
        self.bias = self.add_weight(
            shape=(units,), name="bias", initializer=self.bias_initializer
        )
        self.context_vector = self.add_weight(
            shape=(units, 1),
            name="context_vector",
            initializer=self.kernel_initializer,
        )
        self.built = True

    def call(self, inputs, mask=None, return_attention_scores=False):
        mask = _boolean_mask(inputs, mask)
        hidden = ops.tanh(ops.matmul(inputs, self.kernel) + self.bias)
        scores = ops.cast(
            ops.squeeze(ops.matmul(hidden, self.context_vector), -1),
            "float32",
        )
        scores = ops.where(mask, scores, float("-inf"))
        # A fully masked row would be all -inf: softmax over zeros instead,
        # then zero every weight with the mask.
        scores = ops.where(ops.any(mask, axis=1, keepdims=True), scores, 0.0)
        weights = ops.softmax(scores, axis=-1) * ops.cast(mask, "float32")
        weights = ops.cast(weights, inputs.dtype)
        pooled = ops.einsum("bt,btf->bf", weights, inputs)
        if return_attention_scores:
            return pooled, weights
        return pooled

    def compute_mask(self, inputs, mask=None):
        return None

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "kernel_initializer": keras.initializers.serialize(
                self.kernel_initializer
            ),
            "bias_initializer": keras.initializers.serialize(
                self.bias_initializer
            ),
        }


def get_pooling(
    pooling: str,
    bidirectional: bool = False,
    attention_units: int | None = None,
    name: str = "pooling",
) -> keras.layers.Layer:
    """Creates the pooling layer named `pooling`.

    Args:
        pooling: `"last"` (`LastStepPooling`), `"mean"`
            (`MaskedMeanPooling`), `"max"` (`MaskedMaxPooling`) or
            `"attention"` (`AttentionPooling`).
        bidirectional: Whether the pooled sequence comes from bidirectional
            layers (matters for `"last"`).
        attention_units: Width of the attention scoring layer; only with
            `"attention"`.
        name: Name of the layer.

    Returns:
        A new pooling layer.
    """
    check_choice("pooling", pooling, POOLING_NAMES)
    if attention_units is not None and pooling != "attention":
        raise ValueError(
            '`attention_units` applies to pooling="attention" only, got '
            f"attention_units={attention_units!r} with pooling={pooling!r}"
        )
    if pooling == "last":
        return LastStepPooling(bidirectional=bidirectional, name=name)
    if pooling == "mean":
        return MaskedMeanPooling(name=name)
    if pooling == "max":
        return MaskedMaxPooling(name=name)
    return AttentionPooling(attention_units, name=name)


def pool_backbone(backbone, pooling: str, attention_units: int | None = None):
    """A backbone's output sequence pooled into one vector per sequence,
    the head of a many-to-one task: the `get_pooling` layer, then the
    backbone's `dropout` (a `Dropout` named `"head_dropout"`) if any.

    Args:
        backbone: A `RecurrentBackbone`.
        pooling, attention_units: As in `get_pooling`.

    Returns:
        The pooled `(batch, backbone.output_dim)` tensor of the backbone's
        graph.
    """
    pooled = get_pooling(
        pooling,
        bidirectional=backbone.bidirectional,
        attention_units=attention_units,
    )(backbone.output)
    if backbone.dropout > 0.0:
        pooled = keras.layers.Dropout(backbone.dropout, name="head_dropout")(
            pooled
        )
    return pooled
