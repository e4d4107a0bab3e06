"""Monotonic attention mechanisms (Raffel et al. 2017): the successors of
TensorFlow Addons' `BahdanauMonotonicAttention` and
`LuongMonotonicAttention`. Each keeps the score of its softmax sibling
(`BahdanauAttention`, `LuongAttention`), adds a learned scalar bias, and
turns the scores into choosing probabilities `p = sigmoid(score)` whose
alignment, given the previous step's, is `monotonic_attention` (see
`rnnzoo.layers.monotonic_alignment` for the recurrence).
"""

import keras
import numpy as np
from keras import initializers
from keras import ops

from rnnzoo.layers.attention import BahdanauAttention
from rnnzoo.layers.attention import LuongAttention
from rnnzoo.layers.monotonic_alignment import MODES
from rnnzoo.layers.monotonic_alignment import monotonic_attention
from rnnzoo.validation import check_choice
from rnnzoo.validation import check_finite_number
from rnnzoo.validation import check_int
from rnnzoo.validation import fail
from rnnzoo.validation import is_number

__all__ = [
    "BahdanauMonotonicAttention",
    "LuongMonotonicAttention",
    "MonotonicAttentionMixin",
    "monotonic_attention",
]


class MonotonicAttentionMixin:
    """What turns an attention mechanism monotonic: the choosing
    probabilities `sigmoid(score + score_bias [+ noise])` replace the
    softmax, and the alignment comes from `monotonic_attention` and the
    previous step's alignment.

    A subclass lists it before the mechanism whose score it keeps and
    calls `set_monotonic_options` in its `__init__`.
    """

    uses_previous_alignment = True

    def set_monotonic_options(
        self, mode, sigmoid_noise, score_bias_init, seed
    ) -> None:
        self.mode = check_choice("mode", mode, MODES)
        if not is_number(sigmoid_noise) or not 0.0 <= sigmoid_noise < np.inf:
            fail("sigmoid_noise", "a non-negative number", sigmoid_noise)
        self.sigmoid_noise = float(sigmoid_noise)
        self.score_bias_init = check_finite_number(
            "score_bias_init", score_bias_init
        )
        self.seed = check_int("seed", seed, allow_none=True)
        self.seed_generator = None
        if self.sigmoid_noise > 0.0:
            self.seed_generator = keras.random.SeedGenerator(seed)

    def build_mechanism(self, query_dim, key_dim):
        super().build_mechanism(query_dim, key_dim)
        self.score_bias = self.add_weight(
            shape=(),
            name="score_bias",
            initializer=initializers.Constant(self.score_bias_init),
        )

    def alignment_dtype(self) -> str:
        """float32, or float64 for a float64 layer (as the weights of
        every mechanism)."""
        if self.compute_dtype == "float64":
            return "float64"
        return "float32"

    def initial_alignment(self, memory):
        """`[1, 0, ..., 0]` for every row of `memory` `(batch, Tv, dim)`:
        the alignment before the first step."""
        batch, steps = ops.shape(memory)[0], ops.shape(memory)[1]
        first = ops.equal(ops.arange(steps), 0)
        row = ops.cast(first, self.alignment_dtype())
        return ops.zeros((batch, steps), self.alignment_dtype()) + row

    def draw_score_noise(self, shape):
        """Gaussian noise of standard deviation `sigmoid_noise`, of `shape`
        and the alignment dtype, from the layer's seed: what training adds
        to the scores before the sigmoid. `None` without noise.

        A decoder draws a whole sequence's noise, `(batch, Tq, Tv)`, before
        its time loop and hands each step its `(batch, Tv)` slice as
        `score_noise`: a draw inside the loop would advance the seed there,
        which JAX's loops cannot carry out (a leaked tracer).
        """
        if self.seed_generator is None:
            return None
        noise = keras.random.normal(
            shape, dtype=self.alignment_dtype(), seed=self.seed_generator
        )
        return self.sigmoid_noise * noise

    def choosing_probabilities(
        self, scores, mask=None, training=None, score_noise=None
    ):
        """`sigmoid(scores + score_bias)`, with Gaussian noise of standard
        deviation `sigmoid_noise` before the sigmoid in training (the given
        `score_noise`, else a fresh draw), and `1` where the noisy score is
        positive in `"hard"` mode; exactly zero at padded positions."""
        scores = ops.cast(scores, self.alignment_dtype())
        scores = scores + ops.cast(self.score_bias, scores.dtype)
        if training and self.seed_generator is not None:
            if score_noise is None:
                score_noise = self.draw_score_noise(ops.shape(scores))
            scores = scores + ops.cast(score_noise, scores.dtype)
        if self.mode == "hard":
            p_choose = ops.cast(ops.greater(scores, 0.0), scores.dtype)
        else:
            p_choose = ops.sigmoid(scores)
        if mask is None:
            return p_choose
        return ops.where(ops.cast(mask, "bool"), p_choose, 0.0)

    def attend(
        self,
        query,
        value,
        projected_keys,
        mask,
        previous,
        training,
        score_noise=None,
    ):
        """One step: a `(batch, query_dim)` query and the previous
        alignment in, `(context, alignment)` out."""
        scores = self.score(ops.expand_dims(query, 1), projected_keys)[:, 0]
        p_choose = self.choosing_probabilities(
            scores, mask, training, score_noise
        )
        alignment = monotonic_attention(p_choose, previous, self.mode)
        weights = ops.expand_dims(ops.cast(alignment, value.dtype), 1)
        return ops.matmul(weights, value)[:, 0], alignment

    def call(
        self,
        query,
        value,
        key=None,
        mask=None,
        projected_keys=None,
        previous_alignment=None,
        score_noise=None,
        training=None,
    ):
        mask = self.check_inputs(query, value, mask)
        if projected_keys is None:
            projected_keys = self.project_keys(value if key is None else key)
        previous = previous_alignment
        if previous is None:
            previous = self.initial_alignment(value)
        if len(previous.shape) != 2:
            raise ValueError(
                f"Layer '{self.name}' expects a `previous_alignment` of rank "
                f"2 (batch, Tv), got shape {tuple(previous.shape)}"
            )
        previous = ops.cast(previous, self.alignment_dtype())
        if score_noise is not None:
            expected_rank = len(query.shape)
            if len(score_noise.shape) != expected_rank:
                raise ValueError(
                    f"Layer '{self.name}' expects a `score_noise` of rank "
                    f"{expected_rank} (batch, [Tq,] Tv) for a query of shape "
                    f"{tuple(query.shape)}, got shape "
                    f"{tuple(score_noise.shape)}"
                )
        if len(query.shape) == 2:
            return self.attend(
                query,
                value,
                projected_keys,
                mask,
                previous,
                training,
                score_noise,
            )

        # A 3-D query is a sequence of steps: each starts from the
        # alignment of the one before. The noise of every step is drawn
        # before the loop.
        noisy = training and self.seed_generator is not None
        if noisy and score_noise is None:
            batch, steps = ops.shape(query)[0], ops.shape(query)[1]
            score_noise = self.draw_score_noise(
                (batch, steps, ops.shape(value)[1])
            )
        steps_inputs = {"query": ops.moveaxis(query, 1, 0)}
        if noisy:
            steps_inputs["noise"] = ops.moveaxis(score_noise, 1, 0)

        def scan_step(carry, step_inputs):
            context, alignment = self.attend(
                step_inputs["query"],
                value,
                projected_keys,
                mask,
                carry[1],
                training,
                step_inputs.get("noise"),
            )
            return (context, alignment), (context, alignment)

        zero_context = ops.zeros_like(value[:, 0, :])
        _, (contexts, alignments) = ops.scan(
            scan_step, (zero_context, previous), steps_inputs
        )
        return ops.moveaxis(contexts, 0, 1), ops.moveaxis(alignments, 0, 1)

    def get_config(self):
        return {
            **super().get_config(),
            "mode": self.mode,
            "sigmoid_noise": self.sigmoid_noise,
            "score_bias_init": self.score_bias_init,
            "seed": self.seed,
        }


_MONOTONIC_ARGUMENTS = """mode: How the alignment is computed (see
            `monotonic_attention`): `"parallel"` (default), `"recursive"`
            or `"hard"` (hard decisions, for inference).
        sigmoid_noise: Standard deviation of the Gaussian noise added to the
            scores before the sigmoid in training, which pushes the model
            towards near-discrete choices. Default 0 (none); the paper
            uses 1.
        score_bias_init: Initial value of the learned scalar `score_bias`
            added to every score. Default 0; a negative value (the paper
            uses -4) makes early positions less likely to be chosen at the
            start of training, which helps with long memories.
        seed: Optional integer seed of the noise."""


@keras.saving.register_keras_serializable(package="rnnzoo")
class BahdanauMonotonicAttention(MonotonicAttentionMixin, BahdanauAttention):
    """Monotonic additive attention (Raffel et al. 2017 with the score of
    Bahdanau et al. 2015).

    ```
    p_{i,j} = sigmoid(vᵀ tanh(q_i W_q + k_j W_k + b) + r [+ noise])
    α_i     = monotonic_attention(p_i, α_{i-1}, mode)
    context = Σ_j α_{i,j} value_j
    ```

    with `r` the learned scalar `score_bias`. The other weights, and
    `normalize`, are those of `BahdanauAttention`. Padded memory positions
    are never chosen. `call` takes the previous step's alignment; an
    `AttentionDecoder` carries it in its state.

    Args:
        units: Positive integer, width of the hidden layer of the score.
        normalize: Whether to use the weight-normalised score.
        use_bias: Whether to add `b` inside the tanh; default: as
            `normalize`.
        {arguments}
        kernel_initializer: Initializer of the kernels and `attention_v`.
        kernel_regularizer: Regularizer of the same weights.
        **kwargs: Arguments of `keras.layers.Layer`.

    Call arguments:
        query: `(batch, query_dim)` for one step, or `(batch, Tq,
            query_dim)` for `Tq` steps one after another.
        value: `(batch, Tv, value_dim)`, the memory.
        key: Optional `(batch, Tv, key_dim)`, defaults to `value`.
        mask: Optional boolean `(batch, Tv)`; defaults to the Keras mask of
            `value`.
        projected_keys: Optional `project_keys(key)`, precomputed.
        previous_alignment: Optional `(batch, Tv)` alignment of the step
            before; default `initial_alignment(value)`, `[1, 0, ..., 0]`.
        score_noise: Optional `(batch, [Tq,] Tv)` noise added to the
            scores in training in place of a fresh draw (see
            `draw_score_noise`); a decoder passes each step its slice.
        training: Whether the noise is added.

    Returns:
        `(context, alignment)`, `(batch, [Tq,] value_dim)` and float32
        `(batch, [Tq,] Tv)`.

    Example:

    >>> attention = BahdanauMonotonicAttention(8, score_bias_init=-1.0)
    >>> query = np.random.random((2, 4)).astype("float32")
    >>> memory = np.random.random((2, 6, 5)).astype("float32")
    >>> context, alignment = attention(query, memory)
    >>> tuple(context.shape), tuple(alignment.shape)
    ((2, 5), (2, 6))
    >>> context, alignment = attention(query, memory,
    ...                                previous_alignment=alignment)
    """

    def __init__(
        self,
        units,
        normalize=False,
        use_bias=None,
        mode="parallel",
        sigmoid_noise=0.0,
        score_bias_init=0.0,
        seed=None,
        kernel_initializer="glorot_uniform",
        kernel_regularizer=None,
        **kwargs,
    ):
        super().__init__(
            units,
            normalize=normalize,
            use_bias=use_bias,
            kernel_initializer=kernel_initializer,
            kernel_regularizer=kernel_regularizer,
            **kwargs,
        )
        self.set_monotonic_options(mode, sigmoid_noise, score_bias_init, seed)


@keras.saving.register_keras_serializable(package="rnnzoo")
class LuongMonotonicAttention(MonotonicAttentionMixin, LuongAttention):
    """Monotonic multiplicative attention (Raffel et al. 2017 with the
    scores of Luong et al. 2015).

    ```
    p_{i,j} = sigmoid(score(q_i, k_j) + r [+ noise])
    α_i     = monotonic_attention(p_i, α_{i-1}, mode)
    context = Σ_j α_{i,j} value_j
    ```

    with `score` one of `LuongAttention`'s (`"dot"`, `"general"`,
    `"concat"`, optionally `scale`d) and `r` the learned scalar
    `score_bias`. Padded memory positions are never chosen.

    Args:
        score: `"dot"` (default), `"general"` or `"concat"`.
        scale: Whether to learn a scalar factor of the score.
        units: Width of the `"concat"` score's hidden layer.
        {arguments}
        kernel_initializer: Initializer of the kernels.
        kernel_regularizer: Regularizer of the kernels.
        **kwargs: Arguments of `keras.layers.Layer`.

    Call arguments:
        query, value, key, mask, projected_keys, previous_alignment,
        score_noise, training: As `BahdanauMonotonicAttention`'s.

    Returns:
        `(context, alignment)`, `(batch, [Tq,] value_dim)` and float32
        `(batch, [Tq,] Tv)`.

    Example:

    >>> attention = LuongMonotonicAttention(score="general", mode="hard")
    >>> query = np.random.random((2, 3, 4)).astype("float32")
    >>> memory = np.random.random((2, 6, 5)).astype("float32")
    >>> context, alignment = attention(query, memory)
    >>> tuple(context.shape), tuple(alignment.shape)
    ((2, 3, 5), (2, 3, 6))
    """

    def __init__(
        self,
        score="dot",
        scale=False,
        units=None,
        mode="parallel",
        sigmoid_noise=0.0,
        score_bias_init=0.0,
        seed=None,
        kernel_initializer="glorot_uniform",
        kernel_regularizer=None,
        **kwargs,
    ):
        super().__init__(
            score=score,
            scale=scale,
            units=units,
            kernel_initializer=kernel_initializer,
            kernel_regularizer=kernel_regularizer,
            **kwargs,
        )
        self.set_monotonic_options(mode, sigmoid_noise, score_bias_init, seed)


for _mechanism in (BahdanauMonotonicAttention, LuongMonotonicAttention):
    _mechanism.__doc__ = _mechanism.__doc__.replace(
        "{arguments}", _MONOTONIC_ARGUMENTS
    )
