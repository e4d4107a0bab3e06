"""The hand-written task metrics against NumPy computed independently."""

import collections
import math

import numpy as np
import pytest

from rnnzoo.tasks.metrics import MaskedAccuracy
from rnnzoo.tasks.metrics import MaskedPerplexity
from rnnzoo.tasks.metrics import NegativeLogLikelihoodPerStep
from rnnzoo.tasks.metrics import corpus_bleu
from rnnzoo.tasks.metrics import exact_match


def _token_batch(rng, batch=3, steps=5, vocab=7):
    targets = rng.integers(1, vocab, (batch, steps))
    targets[0, 3:] = 0  # padding
    targets[2, 1:] = 0
    logits = rng.normal(size=(batch, steps, vocab))
    probabilities = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    return targets, logits.astype("float32"), probabilities.astype("float32")


def test_perplexity_is_exp_of_mean_token_nll_without_padding(rng):
    batches = [_token_batch(rng) for _ in range(2)]
    metric = MaskedPerplexity()
    nll, count = 0.0, 0
    for targets, _, probabilities in batches:
        metric.update_state(targets, probabilities)
        real = targets != 0
        picked = np.take_along_axis(probabilities, targets[..., None], -1)
        nll += -np.log(picked[..., 0])[real].sum()
        count += real.sum()
    np.testing.assert_allclose(
        float(metric.result()), math.exp(nll / count), rtol=1e-5
    )


def test_perplexity_from_logits_matches_probabilities(rng):
    targets, logits, probabilities = _token_batch(rng)
    from_logits = MaskedPerplexity(from_logits=True)
    from_logits.update_state(targets, logits)
    from_probabilities = MaskedPerplexity()
    from_probabilities.update_state(targets, probabilities)
    np.testing.assert_allclose(
        float(from_logits.result()),
        float(from_probabilities.result()),
        rtol=1e-5,
    )


def test_perplexity_of_a_uniform_model_is_the_vocabulary_size():
    metric = MaskedPerplexity()
    targets = np.array([[1, 2, 3, 0]])
    metric.update_state(targets, np.full((1, 4, 8), 1 / 8, "float32"))
    np.testing.assert_allclose(float(metric.result()), 8.0, rtol=1e-5)


def test_masked_accuracy_counts_real_tokens_only(rng):
    targets, _, probabilities = _token_batch(rng)
    weights = rng.random(targets.shape)
    metric = MaskedAccuracy()
    metric.update_state(targets, probabilities, sample_weight=weights)
    real = (targets != 0) * weights
    correct = probabilities.argmax(-1) == targets
    np.testing.assert_allclose(
        float(metric.result()), (correct * real).sum() / real.sum(), rtol=1e-6
    )


@pytest.mark.parametrize("from_logits", [False, True])
def test_music_nll_is_the_sum_over_notes_per_real_step(rng, from_logits):
    frames = (rng.random((2, 4, 88)) < 0.1).astype("float32")
    logits = rng.normal(size=frames.shape).astype("float32")
    probabilities = 1 / (1 + np.exp(-logits))
    weights = np.array([[1, 1, 1, 0], [1, 1, 0, 0]], "float32")
    metric = NegativeLogLikelihoodPerStep(from_logits=from_logits)
    metric.update_state(
        frames, logits if from_logits else probabilities, weights
    )
    per_step = -(
        frames * np.log(probabilities)
        + (1 - frames) * np.log(1 - probabilities)
    ).sum(-1)
    expected = (per_step * weights).sum() / weights.sum()
    np.testing.assert_allclose(float(metric.result()), expected, rtol=1e-4)


def _reference_bleu(hypotheses, references, order=4):
    """Papineni et al. corpus BLEU on whitespace tokens, no smoothing."""
    matches = [0] * order
    totals = [0] * order
    hypothesis_length = reference_length = 0
    for hypothesis, reference in zip(hypotheses, references):
        hypothesis, reference = hypothesis.split(), reference.split()
        hypothesis_length += len(hypothesis)
        reference_length += len(reference)
        for n in range(1, order + 1):
            ngrams = collections.Counter(
                tuple(hypothesis[i : i + n])
                for i in range(len(hypothesis) - n + 1)
            )
            reference_ngrams = collections.Counter(
                tuple(reference[i : i + n])
                for i in range(len(reference) - n + 1)
            )
            matches[n - 1] += sum(
                min(count, reference_ngrams[gram])
                for gram, count in ngrams.items()
            )
            totals[n - 1] += max(len(hypothesis) - n + 1, 0)
    log_precision = sum(math.log(m / t) for m, t in zip(matches, totals))
    brevity = min(0.0, 1 - reference_length / hypothesis_length)
    return 100 * math.exp(brevity + log_precision / order)


def test_corpus_bleu_matches_an_independent_implementation():
    hypotheses = [
        "the small dog runs over the green grass today",
        "two men sit on a wooden bench in the park",
        "a girl smiles at the camera",
    ]
    references = [
        "the small dog runs across the green grass today",
        "two men are sitting on a wooden bench in the park",
        "a young girl smiles at the camera",
    ]
    np.testing.assert_allclose(
        corpus_bleu(hypotheses, references),
        _reference_bleu(hypotheses, references),
        rtol=1e-6,
    )


def test_corpus_bleu_ignores_case_and_punctuation_spacing():
    assert corpus_bleu(["a dog runs ."], ["A dog runs."]) == pytest.approx(100)


def test_corpus_bleu_needs_one_reference_per_hypothesis():
    with pytest.raises(ValueError, match="One reference per hypothesis"):
        corpus_bleu(["a"], ["a", "b"])


def test_exact_match_counts_whole_captions_ignoring_case_and_spacing():
    hypotheses = ["seven one four", "Two  nine", "three", ""]
    references = ["seven one four", "two nine", "three three", "five"]
    assert exact_match(hypotheses, references) == 0.5


def test_exact_match_needs_one_reference_per_hypothesis():
    with pytest.raises(ValueError, match="One reference per hypothesis"):
        exact_match(["a"], ["a", "b"])
