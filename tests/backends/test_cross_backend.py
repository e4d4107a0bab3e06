"""The same weights give the same outputs on TensorFlow, JAX and PyTorch.

`backend_outputs.py` runs once per backend in its own process and assigns
every weight from a NumPy generator seeded by the weight's path; this file
compares what the two processes computed, for every registered sequence
cell (Keras's own included, with the option sets the layer tests use),
every tree cell, a small attentional `Seq2Seq` (teacher-forced
probabilities, greedy and beam-search translations) and the decoding
strategies on their own. TensorFlow is the reference: the layer tests
check it against NumPy implementations of the papers' equations.
PyTorch is not a dependency: its cases skip, saying so, where it is not
installed (`pip install torch`).
"""

import importlib.util

import numpy as np
import pytest

from rnnzoo import layers
from tests.backends.backend_outputs import sequence_cases

# float32 recurrences over a few steps: the backends' kernels differ in
# the order of their sums, by a few units of float32's 6e-8 per step.
ATOL = 1e-5
# Outputs compared to ATOL must be far larger, or the test tests nothing.
SMALLEST_INFORMATIVE = 100 * ATOL

OTHER_BACKENDS = ("jax", "torch")


@pytest.fixture(scope="module", params=OTHER_BACKENDS)
def reference_and_other(request, outputs_on):
    """The outputs on TensorFlow and on one other backend."""
    backend = request.param
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"the {backend} backend is not installed")
    return outputs_on("tensorflow", backend)


def outputs_of(results: dict, prefix: str) -> dict:
    return {
        name: array
        for name, array in results.items()
        if name.startswith(prefix + "/")
    }


def assert_computed(results: dict, case: str) -> None:
    """Fails with the backend's own error where `case` failed there."""
    error = results.get(f"errors/{case}")
    if error is not None:
        backend = str(results["backend"])
        pytest.fail(f"{case} failed on {backend}:\n{error}")


def assert_same_outputs(reference: dict, other: dict, case: str):
    assert_computed(reference, case)
    assert_computed(other, case)
    prefix = f"outputs/{case}"
    expected = outputs_of(reference, prefix)
    assert expected, f"no outputs named {prefix}/..."
    assert sorted(outputs_of(other, prefix)) == sorted(expected)
    for name, values in expected.items():
        assert np.max(np.abs(values)) > SMALLEST_INFORMATIVE, name
        np.testing.assert_allclose(
            other[name], values, rtol=0, atol=ATOL, err_msg=name
        )


def test_both_backends_computed_with_the_same_weights(reference_and_other):
    reference, other = reference_and_other
    weights = outputs_of(reference, "weights")
    # Only the cases computed on both backends (the others fail apart).
    failed = {
        name.partition("/")[2]
        for results in reference_and_other
        for name in results
        if name.startswith("errors/")
    }
    weights = {
        name: values
        for name, values in weights.items()
        if name.split("/")[1] not in failed
    }
    # Every family assigned weights (a family without any would compare
    # two untrained layers' zeros or two different random draws).
    for family in [*sequence_cases(), *layers.tree_cell_names(), "seq2seq"]:
        if family not in failed:
            assert any(
                name.startswith(f"weights/{family}/") for name in weights
            )
    for name, values in weights.items():
        np.testing.assert_array_equal(other[name], values, err_msg=name)


@pytest.mark.parametrize("case", sorted(sequence_cases()))
def test_sequence_cell_outputs_and_states_agree(case, reference_and_other):
    assert_same_outputs(*reference_and_other, case)


@pytest.mark.parametrize("name", layers.tree_cell_names())
def test_tree_cell_outputs_agree(name, reference_and_other):
    assert_same_outputs(*reference_and_other, name)


def test_seq2seq_probabilities_and_scores_agree(reference_and_other):
    assert_same_outputs(*reference_and_other, "seq2seq")


@pytest.mark.parametrize("strategy", ["greedy", "beam"])
def test_seq2seq_translations_agree(strategy, reference_and_other):
    reference, other = reference_and_other
    assert_computed(reference, "seq2seq")
    assert_computed(other, "seq2seq")
    name = f"tokens/seq2seq/{strategy}"
    np.testing.assert_array_equal(other[name], reference[name])


def test_greedy_and_beam_search_agree(reference_and_other):
    reference, other = reference_and_other
    assert_same_outputs(reference, other, "search")
    for name in ("tokens/search/greedy", "tokens/search/beams"):
        np.testing.assert_array_equal(other[name], reference[name], name)
    # The case needs the search: the best beam is not the greedy sequence.
    best = reference["tokens/search/beams"][:, 0]
    assert np.all(np.any(best != reference["tokens/search/greedy"], axis=1))
