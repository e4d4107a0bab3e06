"""Attention mechanisms for encoder-decoder RNNs: Bahdanau (additive) and
Luong (multiplicative) attention, the successors of TensorFlow Addons'
`BahdanauAttention` and `LuongAttention`. Their shared machinery (key
projection, masking, softmax) is `AttentionMechanism` in `attention_base`.
"""

import math

import keras
from keras import initializers
from keras import ops
from keras import regularizers

from rnnzoo.layers.attention_base import AttentionMechanism
from rnnzoo.layers.attention_base import additive_scores
from rnnzoo.layers.attention_base import project_last_axis
from rnnzoo.validation import check_bool
from rnnzoo.validation import check_positive_int


@keras.saving.register_keras_serializable(package="rnnzoo")
class BahdanauAttention(AttentionMechanism):
    """Additive attention (Bahdanau, Cho & Bengio 2015).

    ```
    score(q, k_j) = vᵀ tanh(q W_q + k_j W_k + b)
    α             = softmax_j(score)        over the real memory positions
    context       = Σ_j α_j value_j
    ```

    Weights: `query_kernel` `(query_dim, units)`, `key_kernel`
    `(key_dim, units)` and `attention_v` `(units,)`. With `normalize=True`
    the weight-normalised form (Salimans & Kingma 2016), as in TensorFlow
    Addons: `v` is replaced by `g · v / ‖v‖` with a learned scalar
    `attention_g` (initialised to `sqrt(1 / units)`), and a bias `b`,
    `attention_b` `(units,)`, is added inside the tanh. `project_keys`
    returns `k W_k + b`, so both are computed once per memory.

    Args:
        units: Positive integer, width of the hidden layer of the score.
        normalize: Whether to use the weight-normalised form. Default
            `False`.
        use_bias: Whether to add the bias `b` inside the tanh. Default
            `None`: the same as `normalize` (TensorFlow Addons' behaviour).
        kernel_initializer: Initializer of `query_kernel`, `key_kernel` and
            `attention_v`. Default `"glorot_uniform"`.
        kernel_regularizer: Regularizer of the same three weights.
        **kwargs: Arguments of `keras.layers.Layer` (`name`, `dtype`, ...).

    Call arguments:
        query: `(batch, query_dim)` or `(batch, Tq, query_dim)`.
        value: `(batch, Tv, value_dim)`, the memory.
        key: Optional `(batch, Tv, key_dim)`, defaults to `value`.
        mask: Optional boolean `(batch, Tv)`; defaults to the Keras mask of
            `value`. Padded positions get exactly zero weight; a fully
            padded row gets zero weights and a zero context.
        projected_keys: Optional `project_keys(key)`, precomputed.

    Returns:
        `(context, weights)`, `(batch, [Tq,] value_dim)` and float32
        `(batch, [Tq,] Tv)`.

    Example:

    >>> attention = BahdanauAttention(8)
    >>> query = np.random.random((2, 4)).astype("float32")
    >>> memory = np.random.random((2, 6, 5)).astype("float32")
    >>> context, weights = attention(query, memory)
    >>> tuple(context.shape), tuple(weights.shape)
    ((2, 5), (2, 6))
    """

    def __init__(
        self,
        units,
        normalize=False,
        use_bias=None,
        kernel_initializer="glorot_uniform",
        kernel_regularizer=None,
        **kwargs,
    ):
        check_positive_int("units", units)
        check_bool("normalize", normalize)
        check_bool("use_bias", use_bias, allow_none=True)
        super().__init__(**kwargs)
        self.units = units
        self.normalize = normalize
        self.use_bias = normalize if use_bias is None else use_bias
        self._use_bias_argument = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)

    def build_mechanism(self, query_dim, key_dim):
        def kernel(name, shape, initializer=None):
            return self.add_weight(
                shape=shape,
                name=name,
                initializer=initializer or self.kernel_initializer,
                regularizer=self.kernel_regularizer,
            )

        self.query_kernel = kernel("query_kernel", (query_dim, self.units))
        self.key_kernel = kernel("key_kernel", (key_dim, self.units))
        self.attention_v = kernel("attention_v", (self.units,))
        self.attention_g = None
        self.attention_b = None
        if self.normalize:
            self.attention_g = self.add_weight(
                shape=(),
                name="attention_g",
                initializer=initializers.Constant(math.sqrt(1.0 / self.units)),
            )
        if self.use_bias:
            self.attention_b = self.add_weight(
                shape=(self.units,), name="attention_b", initializer="zeros"
            )

    def project_keys(self, key):
        projected = project_last_axis(
            ops.cast(key, self.compute_dtype),
            self.compute_weight(self.key_kernel),
        )
        if self.use_bias:
            projected = projected + self.compute_weight(self.attention_b)
        return projected

    def score(self, query, projected_keys):
        projected_query = project_last_axis(
            query, self.compute_weight(self.query_kernel)
        )
        v = self.compute_weight(self.attention_v)
        if self.normalize:
            g = self.compute_weight(self.attention_g)
            v = g * v / ops.sqrt(ops.sum(ops.square(v)))
        return additive_scores(projected_query, projected_keys, v)

    def get_config(self):
        return {
            **super().get_config(),
            "units": self.units,
            "normalize": self.normalize,
            "use_bias": self._use_bias_argument,
            "kernel_initializer": initializers.serialize(
                self.kernel_initializer
            ),
            "kernel_regularizer": regularizers.serialize(
                self.kernel_regularizer
            ),
        }


_LUONG_SCORES = ("dot", "general", "concat")


@keras.saving.register_keras_serializable(package="rnnzoo")
class LuongAttention(AttentionMechanism):
    """Multiplicative attention (Luong, Pham & Manning 2015).

    Three score functions of a query `q` and a key `k_j`:

    ```
    "dot":     score = qᵀ k_j                       (query_dim == key_dim)
    "general": score = qᵀ W k_j = q · (k_j W_key)
    "concat":  score = vᵀ tanh(W [q; k_j]) = vᵀ tanh(q W_q + k_j W_k)
    ```

    then `α = softmax_j(score)` over the real memory positions and
    `context = Σ_j α_j value_j`. Weights: for `"general"`, `key_kernel`
    `(key_dim, query_dim)` (the transpose of `W`, so that `k W_key` is
    computed once per memory); for `"concat"`, `query_kernel`
    `(query_dim, units)`, `key_kernel` `(key_dim, units)` and `attention_v`
    `(units,)`; `"dot"` has none.

    With `scale=True` the score is multiplied by a learned scalar `scale`
    initialised to one, for every score function: the `g` of TensorFlow
    Addons' `LuongAttention(scale=True)` and the `scale` of
    `keras.layers.Attention(use_scale=True)`.

    Args:
        score: `"dot"`, `"general"` or `"concat"`. Default `"dot"`.
        scale: Whether to learn a scalar factor of the score. Default
            `False`.
        units: Width of the hidden layer of the `"concat"` score; default
            `None`, the query dimension. Unused by the other scores.
        kernel_initializer: Initializer of the kernels and `attention_v`.
            Default `"glorot_uniform"`.
        kernel_regularizer: Regularizer of the same weights.
        **kwargs: Arguments of `keras.layers.Layer` (`name`, `dtype`, ...).

    Call arguments:
        query: `(batch, query_dim)` or `(batch, Tq, query_dim)`.
        value: `(batch, Tv, value_dim)`, the memory.
        key: Optional `(batch, Tv, key_dim)`, defaults to `value`.
        mask: Optional boolean `(batch, Tv)`; defaults to the Keras mask of
            `value`. Padded positions get exactly zero weight; a fully
            padded row gets zero weights and a zero context.
        projected_keys: Optional `project_keys(key)`, precomputed.

    Returns:
        `(context, weights)`, `(batch, [Tq,] value_dim)` and float32
        `(batch, [Tq,] Tv)`.

    Example:

    >>> attention = LuongAttention(score="general", scale=True)
    >>> query = np.random.random((2, 3, 4)).astype("float32")
    >>> memory = np.random.random((2, 6, 5)).astype("float32")
    >>> context, weights = attention(query, memory)
    >>> tuple(context.shape), tuple(weights.shape)
    ((2, 3, 5), (2, 3, 6))
    """

    def __init__(
        self,
        score="dot",
        scale=False,
        units=None,
        kernel_initializer="glorot_uniform",
        kernel_regularizer=None,
        **kwargs,
    ):
        if score not in _LUONG_SCORES:
            raise ValueError(
                f"`score` must be one of {list(_LUONG_SCORES)}, got "
                f"score={score!r}"
            )
        check_bool("scale", scale)
        check_positive_int("units", units, allow_none=True)
        super().__init__(**kwargs)
        self.score_function = score
        self.scale = scale
        self.units = units
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)

    def build_mechanism(self, query_dim, key_dim):
        def kernel(name, shape):
            return self.add_weight(
                shape=shape,
                name=name,
                initializer=self.kernel_initializer,
                regularizer=self.kernel_regularizer,
            )

        if self.score_function == "dot" and query_dim != key_dim:
            raise ValueError(
                f"Layer '{self.name}' with score='dot' needs query_dim == "
                f"key_dim, got query_dim={query_dim} and key_dim={key_dim}; "
                "use score='general' or 'concat' for different sizes"
            )
        if self.score_function == "general":
            self.key_kernel = kernel("key_kernel", (key_dim, query_dim))
        elif self.score_function == "concat":
            units = self.units or query_dim
            self.query_kernel = kernel("query_kernel", (query_dim, units))
            self.key_kernel = kernel("key_kernel", (key_dim, units))
            self.attention_v = kernel("attention_v", (units,))
        self.scale_weight = None
        if self.scale:
            self.scale_weight = self.add_weight(
                shape=(), name="scale", initializer="ones"
            )

    def project_keys(self, key):
        key = ops.cast(key, self.compute_dtype)
        if self.score_function == "dot":
            return key
        return project_last_axis(key, self.compute_weight(self.key_kernel))

    def score(self, query, projected_keys):
        if self.score_function == "concat":
            projected_query = project_last_axis(
                query, self.compute_weight(self.query_kernel)
            )
            scores = additive_scores(
                projected_query,
                projected_keys,
                self.compute_weight(self.attention_v),
            )
        else:
            # No transpose in the decoder loop (see `project_last_axis`).
            scores = ops.einsum("bqd,bkd->bqk", query, projected_keys)
        if self.scale:
            scores = scores * self.compute_weight(self.scale_weight)
        return scores

    def get_config(self):
        return {
            **super().get_config(),
            "score": self.score_function,
            "scale": self.scale,
            "units": self.units,
            "kernel_initializer": initializers.serialize(
                self.kernel_initializer
            ),
            "kernel_regularizer": regularizers.serialize(
                self.kernel_regularizer
            ),
        }
