"""The CRF functions (`rnnzoo.layers.crf`) against brute-force enumeration
of every tag sequence, finite differences and per-step softmax."""

import numpy as np
import pytest
import tensorflow as tf

from rnnzoo.layers import crf_decode
from rnnzoo.layers import crf_log_likelihood
from rnnzoo.layers import crf_log_norm
from rnnzoo.layers import crf_sequence_score
from tests.layers.crf_reference import brute_force

BATCH, STEPS, TAGS = 6, 4, 3
LENGTHS = np.array([4, 1, 3, 0, 2, 4])
# Real steps anywhere: left padding, holes, none at all.
MASKS = np.array(
    [
        [1, 1, 1, 1],
        [0, 0, 1, 1],
        [1, 0, 1, 1],
        [0, 0, 0, 0],
        [0, 1, 0, 0],
        [1, 1, 0, 1],
    ],
    dtype=bool,
)


def make_crf(seed=0, dtype="float64", boundaries=True, scale=1.0):
    rng = np.random.default_rng(seed)
    potentials = scale * rng.normal(size=(BATCH, STEPS, TAGS))
    weights = {
        "transitions": rng.normal(size=(TAGS, TAGS)),
        "start_transitions": rng.normal(size=TAGS) if boundaries else None,
        "end_transitions": rng.normal(size=TAGS) if boundaries else None,
    }
    tags = rng.integers(0, TAGS, size=(BATCH, STEPS))
    cast = {
        key: None if value is None else value.astype(dtype)
        for key, value in weights.items()
    }
    return potentials.astype(dtype), tags, cast


def length_mask(lengths):
    return np.arange(STEPS)[None, :] < lengths[:, None]


def reference(potentials, tags, mask, weights):
    return brute_force(
        np.asarray(potentials, "float64"),
        tags,
        mask,
        np.asarray(weights["transitions"], "float64"),
        weights["start_transitions"],
        weights["end_transitions"],
    )


def real_step_arguments(case):
    """`(lengths, mask)` keyword arguments and the mask they mean."""
    if case == "lengths":
        return {"lengths": LENGTHS, "mask": None}, length_mask(LENGTHS)
    return {"lengths": None, "mask": MASKS}, MASKS


@pytest.mark.parametrize("case", ["lengths", "mask"])
@pytest.mark.parametrize("boundaries", [True, False])
@pytest.mark.parametrize(
    "dtype, tolerance",
    [
        pytest.param(
            "float64", 1e-10, marks=pytest.mark.tensorflow_only("float64")
        ),
        ("float32", 2e-5),
    ],
)
def test_scores_and_likelihood_match_every_enumerated_sequence(
    case, boundaries, dtype, tolerance
):
    potentials, tags, weights = make_crf(1, dtype, boundaries)
    arguments, mask = real_step_arguments(case)
    # Padded steps' tags are never read.
    padded_tags = np.where(mask, tags, -1)
    expected = reference(potentials, tags, mask, weights)
    lengths = arguments["lengths"]
    crf = (
        weights["transitions"],
        weights["start_transitions"],
        weights["end_transitions"],
    )
    mask_argument = arguments["mask"]

    score = crf_sequence_score(
        potentials, padded_tags, lengths, *crf, mask=mask_argument
    )
    log_z = crf_log_norm(potentials, lengths, *crf, mask=mask_argument)
    log_likelihood = crf_log_likelihood(
        potentials, padded_tags, lengths, *crf, mask=mask_argument
    )
    for name, values in (
        ("score", score),
        ("log_z", log_z),
        ("log_likelihood", log_likelihood),
    ):
        np.testing.assert_allclose(
            np.asarray(values),
            [row[name] for row in expected],
            rtol=tolerance,
            atol=tolerance,
            err_msg=name,
        )
    assert np.all(np.asarray(log_likelihood) <= tolerance)


@pytest.mark.parametrize("case", ["lengths", "mask"])
@pytest.mark.parametrize("boundaries", [True, False])
def test_viterbi_finds_the_best_enumerated_sequence(case, boundaries):
    potentials, tags, weights = make_crf(2, "float32", boundaries)
    arguments, mask = real_step_arguments(case)
    expected = reference(potentials, tags, mask, weights)
    best_tags, best_score = crf_decode(
        potentials,
        weights["transitions"],
        arguments["lengths"],
        weights["start_transitions"],
        weights["end_transitions"],
        mask=arguments["mask"],
    )
    assert np.asarray(best_tags).dtype == np.int32
    np.testing.assert_array_equal(
        best_tags, [row["best_tags"] for row in expected]
    )
    np.testing.assert_allclose(
        best_score, [row["best_score"] for row in expected], atol=1e-5
    )


def test_lengths_and_mask_combine():
    potentials, tags, weights = make_crf(3)
    both = length_mask(LENGTHS) & MASKS
    expected = reference(potentials, tags, both, weights)
    log_likelihood = crf_log_likelihood(
        potentials, tags, LENGTHS, *weights.values(), mask=MASKS
    )
    # float32 where the backend has no float64 (JAX without x64).
    atol = 1e-10 if np.asarray(log_likelihood).dtype == np.float64 else 1e-5
    np.testing.assert_allclose(
        log_likelihood, [row["log_likelihood"] for row in expected], atol=atol
    )


@pytest.mark.tensorflow_only("float64 numerics")
def test_large_scores_stay_finite_and_exact():
    # exp(1e4) overflows any float: only log-sum-exp keeps these finite.
    potentials, tags, weights = make_crf(4, scale=1e4)
    expected = reference(potentials, tags, MASKS, weights)
    log_likelihood = crf_log_likelihood(
        potentials, tags, None, *weights.values(), mask=MASKS
    )
    np.testing.assert_allclose(
        log_likelihood, [row["log_likelihood"] for row in expected], atol=1e-6
    )
    log_likelihood_32 = crf_log_likelihood(
        potentials.astype("float32"), tags, None, *weights.values(), mask=MASKS
    )
    assert np.all(np.isfinite(log_likelihood_32))


def test_zero_transitions_are_per_step_softmax():
    potentials, tags, _ = make_crf(5, "float32")
    zeros = np.zeros((TAGS, TAGS), "float32")
    mask = length_mask(LENGTHS)
    log_softmax = potentials - np.log(np.exp(potentials).sum(-1, keepdims=True))
    picked = np.take_along_axis(log_softmax, tags[..., None], -1)[..., 0]
    log_likelihood = crf_log_likelihood(potentials, tags, LENGTHS, zeros)
    np.testing.assert_allclose(
        log_likelihood, (picked * mask).sum(1), rtol=1e-5, atol=1e-5
    )
    best_tags, best_score = crf_decode(potentials, zeros, LENGTHS)
    np.testing.assert_array_equal(
        best_tags, np.where(mask, potentials.argmax(-1), 0)
    )
    np.testing.assert_allclose(
        best_score, (potentials.max(-1) * mask).sum(1), rtol=1e-5
    )


def _weighted_log_likelihood(potentials, tags, transitions, start, end):
    # Distinct weights, so that every sequence's gradient counts apart.
    weights = np.linspace(0.5, 1.5, BATCH)
    log_likelihood = crf_log_likelihood(
        potentials, tags, None, transitions, start, end, mask=MASKS
    )
    return tf.reduce_sum(log_likelihood * weights)


def _finite_differences(function, values, epsilon=1e-6):
    gradients = []
    for index, value in enumerate(values):
        gradient = np.zeros_like(value)
        for position in np.ndindex(value.shape):
            shifted = [np.array(v) for v in values]
            shifted[index][position] += epsilon
            above = float(function(*shifted))
            shifted[index][position] -= 2 * epsilon
            below = float(function(*shifted))
            gradient[position] = (above - below) / (2 * epsilon)
        gradients.append(gradient)
    return gradients


@pytest.fixture(scope="module")
def gradient_case():
    """The CRF, its objective and the objective's gradient by central
    differences (once for the module: 87 values, two calls each)."""
    potentials, tags, weights = make_crf(6)
    values = [potentials, *weights.values()]

    def objective(*variables):
        return _weighted_log_likelihood(variables[0], tags, *variables[1:])

    numeric = _finite_differences(tf.function(objective), values)
    names = ["potentials", *weights]
    return objective, values, names, numeric


@pytest.mark.tensorflow_only("tf.GradientTape in tf.function")
@pytest.mark.parametrize("jit_compile", [False, True])
def test_log_likelihood_gradient_matches_finite_differences(
    gradient_case, jit_compile
):
    objective, values, names, numeric = gradient_case

    @tf.function(jit_compile=jit_compile)
    def gradient(*variables):
        with tf.GradientTape() as tape:
            tape.watch(variables)
            result = objective(*variables)
        return tape.gradient(result, variables)

    analytic = gradient(*[tf.constant(v) for v in values])
    for name, got, expected in zip(names, analytic, numeric):
        assert np.abs(expected).max() > 1e-2, name  # Not trivially zero.
        np.testing.assert_allclose(
            got, expected, rtol=1e-6, atol=1e-8, err_msg=name
        )
    # Padded steps' potentials do not reach the likelihood.
    assert np.all(np.asarray(analytic[0])[~MASKS] == 0)


@pytest.mark.tensorflow_only("tf.function with an input signature")
def test_decoding_and_likelihood_compile_with_unknown_shapes():
    potentials, tags, weights = make_crf(7, "float32")
    spec = tf.TensorSpec([None, None, TAGS], tf.float32)
    tag_spec = tf.TensorSpec([None, None], tf.int64)
    mask_spec = tf.TensorSpec([None, None], tf.bool)

    @tf.function(jit_compile=True, input_signature=[spec, tag_spec, mask_spec])
    def run(potentials, tags, mask):
        transitions, start, end = weights.values()
        best = crf_decode(potentials, transitions, None, start, end, mask=mask)
        likelihood = crf_log_likelihood(
            potentials, tags, None, transitions, start, end, mask=mask
        )
        return best, likelihood

    (best_tags, _), log_likelihood = run(potentials, tags, MASKS)
    expected = reference(potentials, tags, MASKS, weights)
    np.testing.assert_array_equal(
        best_tags, [row["best_tags"] for row in expected]
    )
    np.testing.assert_allclose(
        log_likelihood, [row["log_likelihood"] for row in expected], atol=2e-5
    )


@pytest.mark.parametrize(
    "arguments, message",
    [
        ({"transitions": np.zeros((TAGS, TAGS + 1))}, "`transitions` must be"),
        ({"start_transitions": np.zeros(TAGS + 1)}, "`start_transitions`"),
        ({"end_transitions": np.zeros((1, TAGS))}, "`end_transitions`"),
    ],
)
def test_mismatched_weights_are_named(arguments, message):
    potentials, tags, _ = make_crf(8)
    weights = {"transitions": np.zeros((TAGS, TAGS)), **arguments}
    with pytest.raises(ValueError, match=message):
        crf_log_likelihood(potentials, tags, LENGTHS, **weights)
