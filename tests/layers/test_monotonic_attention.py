"""Tests of monotonic attention (Raffel et al. 2017): `monotonic_attention`
against a NumPy implementation of the paper's recurrence and of its hard
test-time decoding, and the two mechanisms against NumPy scores. Inside
decoders: `test_monotonic_attention_decoder`."""

import numpy as np
import pytest
import tensorflow as tf

from rnnzoo.layers import BahdanauMonotonicAttention
from rnnzoo.layers import LuongMonotonicAttention
from rnnzoo.layers import monotonic_attention
from tests.layers.monotonic_reference import BATCH
from tests.layers.monotonic_reference import MEMORY_MASK
from tests.layers.monotonic_reference import TV
from tests.layers.monotonic_reference import one_hot_start
from tests.layers.monotonic_reference import reference_hard
from tests.layers.monotonic_reference import reference_soft


@pytest.mark.parametrize("mode", ["parallel", "recursive"])
@pytest.mark.parametrize(
    "dtype, tolerance",
    [
        pytest.param(
            "float64", 1e-12, marks=pytest.mark.tensorflow_only("float64")
        ),
        ("float32", 2e-6),
    ],
)
def test_soft_modes_match_the_recurrence(mode, dtype, tolerance):
    rng = np.random.default_rng(0)
    expected_previous = one_hot_start(dtype="float64")
    previous = expected_previous.astype(dtype)
    for _ in range(5):  # decoder steps, each from the last alignment
        p_choose = rng.uniform(0.05, 0.95, size=(BATCH, TV)) * MEMORY_MASK
        expected = reference_soft(p_choose, expected_previous)
        actual = np.asarray(
            monotonic_attention(p_choose.astype(dtype), previous, mode)
        )
        assert actual.dtype == dtype
        np.testing.assert_allclose(actual, expected, rtol=0, atol=tolerance)
        # Nothing at padded positions, at most one in all.
        assert np.all(actual[~MEMORY_MASK] == 0.0)
        assert np.all(actual.sum(-1) <= 1.0 + tolerance)
        expected_previous, previous = expected, actual


@pytest.mark.tensorflow_only("tf.GradientTape")
def test_parallel_mode_keeps_gradients_finite_at_certain_choices():
    # p = 1 makes 1 - p zero: the log-space cumulative product keeps the
    # value exact and the gradient finite.
    p_choose = tf.constant([[0.3, 1.0, 0.5, 0.2]], "float64")
    previous = tf.constant([[1.0, 0.0, 0.0, 0.0]], "float64")
    with tf.GradientTape() as tape:
        tape.watch(p_choose)
        alignment = monotonic_attention(p_choose, previous, "parallel")
        loss = tf.reduce_sum(alignment * [1.0, 2.0, 3.0, 4.0])
    np.testing.assert_allclose(
        alignment,
        reference_soft(p_choose.numpy(), previous.numpy()),
        atol=1e-12,
    )
    assert np.all(np.isfinite(tape.gradient(loss, p_choose)))


def test_hard_mode_attends_to_one_position_per_step_monotonically():
    rng = np.random.default_rng(1)
    previous = expected_previous = one_hot_start()
    positions = []
    for _ in range(8):
        chosen = (rng.uniform(size=(BATCH, TV)) < 0.3) * MEMORY_MASK
        alignment = np.asarray(
            monotonic_attention(chosen.astype("float64"), previous, "hard")
        )
        expected = reference_hard(chosen, expected_previous)
        np.testing.assert_array_equal(alignment, expected)
        # One-hot, or all zeros once the scan ran off the end.
        assert set(np.unique(alignment)) <= {0.0, 1.0}
        assert np.all(alignment.sum(-1) <= 1.0)
        assert np.all(alignment[~MEMORY_MASK] == 0.0)
        positions.append(
            np.where(alignment.sum(-1) > 0, alignment.argmax(-1), TV)
        )
        previous = expected_previous = alignment
    positions = np.stack(positions, axis=1)
    assert np.all(np.diff(positions, axis=1) >= 0)
    # The draw exercises both staying in place and running off the end.
    assert np.any(np.diff(positions, axis=1) == 0)
    assert np.any(positions == TV)


def test_monotonic_attention_rejects_unknown_modes():
    with pytest.raises(ValueError, match="`mode` must be one of"):
        monotonic_attention(np.ones((1, 2)), np.ones((1, 2)), mode="soft")


# ---------------------------------------------------------------- mechanisms

QUERY_DIM, VALUE_DIM, UNITS = 3, 5, 6


def mechanism_inputs(seed=2, steps=4):
    rng = np.random.default_rng(seed)
    query = rng.normal(size=(BATCH, steps, QUERY_DIM)).astype("float32")
    value = rng.normal(size=(BATCH, TV, VALUE_DIM)).astype("float32")
    return query, value


def randomize(layer, seed=3, scale=0.7):
    rng = np.random.default_rng(seed)
    for weight in layer.weights:
        weight.assign(
            (rng.normal(size=weight.shape) * scale).astype(weight.dtype)
        )


def numpy_scores(layer, query, value):
    """`(batch, Tv)` scores of a `(batch, query_dim)` query, bias included."""
    weights = {w.path.split("/")[-1]: np.asarray(w) for w in layer.weights}
    if isinstance(layer, BahdanauMonotonicAttention):
        hidden = np.tanh(
            (query @ weights["query_kernel"])[:, None, :]
            + value @ weights["key_kernel"]
        )
        scores = hidden @ weights["attention_v"]
    else:  # Luong's "general" score
        scores = np.einsum("bd,btd->bt", query, value @ weights["key_kernel"])
    return scores + weights["score_bias"]


MECHANISMS = {
    "bahdanau": lambda **kw: BahdanauMonotonicAttention(UNITS, **kw),
    "luong": lambda **kw: LuongMonotonicAttention(score="general", **kw),
}


@pytest.mark.parametrize("mechanism", sorted(MECHANISMS))
@pytest.mark.parametrize("mode", ["parallel", "recursive", "hard"])
def test_mechanisms_match_numpy_over_steps(mechanism, mode):
    query, value = mechanism_inputs()
    layer = MECHANISMS[mechanism](mode=mode)
    layer(query, value, mask=MEMORY_MASK)
    # Weights small enough that no `1 - p` underflows in float32, where the
    # parallel closed form is inexact by design.
    randomize(layer, scale=0.4)
    contexts, alignments = layer(query, value, mask=MEMORY_MASK)

    previous = one_hot_start()
    for step in range(query.shape[1]):
        scores = numpy_scores(layer, query[:, step], value)
        if mode == "hard":
            expected = reference_hard((scores > 0) * MEMORY_MASK, previous)
        else:
            p_choose = MEMORY_MASK / (1.0 + np.exp(-scores))
            expected = reference_soft(p_choose, previous)
        np.testing.assert_allclose(alignments[:, step], expected, atol=2e-6)
        np.testing.assert_allclose(
            contexts[:, step],
            np.einsum("bt,btd->bd", expected, value),
            atol=1e-5,
        )
        # The 2-D form of the same step, from the same previous alignment.
        context, alignment = layer(
            query[:, step],
            value,
            mask=MEMORY_MASK,
            previous_alignment=previous.astype("float32"),
        )
        np.testing.assert_allclose(alignment, expected, atol=2e-6)
        previous = expected


@pytest.mark.tensorflow_only("tf.GradientTape")
def test_score_bias_starts_at_its_initial_value_and_learns():
    query, value = mechanism_inputs()
    layer = BahdanauMonotonicAttention(UNITS, score_bias_init=-4.0)
    layer(query[:, 0], value)
    assert float(layer.score_bias) == -4.0
    assert layer.score_bias.trainable
    with tf.GradientTape() as tape:
        _, alignment = layer(query[:, 0], value)
        loss = tf.reduce_sum(alignment)
    gradient = tape.gradient(loss, layer.score_bias)
    assert gradient is not None and float(gradient) != 0.0
    # A negative bias makes early positions unlikely to be chosen.
    assert np.all(np.asarray(alignment)[:, 0] < 0.1)


def test_sigmoid_noise_only_in_training():
    query, value = mechanism_inputs()
    noisy = LuongMonotonicAttention(
        score="general", sigmoid_noise=1.0, seed=7, mode="hard"
    )
    quiet = LuongMonotonicAttention(score="general", mode="hard")
    for layer in (noisy, quiet):
        layer(query, value, mask=MEMORY_MASK)
    quiet.set_weights(noisy.get_weights())
    _, expected = quiet(query, value, mask=MEMORY_MASK)
    _, inference = noisy(query, value, mask=MEMORY_MASK)
    np.testing.assert_array_equal(inference, expected)
    _, trained = noisy(query, value, mask=MEMORY_MASK, training=True)
    trained = np.asarray(trained)
    assert not np.array_equal(trained, expected)
    # Noisy hard decisions still attend to at most one real position.
    assert set(np.unique(trained)) <= {0.0, 1.0}
    assert np.all(trained.sum(-1) <= 1.0)
    padded = np.broadcast_to(~MEMORY_MASK[:, None, :], trained.shape)
    assert np.all(trained[padded] == 0.0)


def test_config_round_trip():
    layer = BahdanauMonotonicAttention(
        UNITS,
        normalize=True,
        mode="recursive",
        sigmoid_noise=0.5,
        score_bias_init=-2.0,
        seed=3,
    )
    config = layer.get_config()
    clone = BahdanauMonotonicAttention.from_config(config)
    assert clone.get_config() == config
    assert (clone.mode, clone.sigmoid_noise, clone.score_bias_init) == (
        "recursive",
        0.5,
        -2.0,
    )


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"mode": "soft"}, "`mode` must be one of"),
        ({"sigmoid_noise": -1.0}, "`sigmoid_noise` must be a non-negative"),
        (
            {"score_bias_init": float("inf")},
            "`score_bias_init` must be a finite",
        ),
        ({"seed": 1.5}, "`seed` must be an integer"),
    ],
)
def test_invalid_arguments_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        LuongMonotonicAttention(**kwargs)


def test_previous_alignment_of_wrong_rank_raises():
    query, value = mechanism_inputs()
    layer = BahdanauMonotonicAttention(UNITS)
    with pytest.raises(ValueError, match="`previous_alignment` of rank 2"):
        layer(query[:, 0], value, previous_alignment=np.ones((BATCH, 1, TV)))
