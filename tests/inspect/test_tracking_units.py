"""`tracking_units`: a unit whose weights the test sets to latch on a
token ranks first, and the correlations are NumPy's."""

import numpy as np
import pytest

from rnnzoo.inspect import hidden_states
from rnnzoo.inspect import tracking_units
from rnnzoo.models import SequenceClassifier

QUOTE = 7
PLANTED = 4


def latching_model(rng):
    """An Elman RNN of 6 units over 3-wide embeddings. Embedding feature 0
    is 1 for the token `QUOTE` alone, and unit `PLANTED` reads only that
    feature and itself: `h = tanh(6 [x = QUOTE] + 6 h_{t-1})` is 0 until
    the first `QUOTE` and then stays near 1. The other units read the
    other (random) features and each other, not the planted unit."""
    model = SequenceClassifier(
        num_classes=2, cell="simple", units=6, vocab_size=10, embedding_dim=3
    )
    table = rng.normal(size=(10, 3))
    table[:, 0] = 0.0
    table[QUOTE, 0] = 1.0
    model.get_layer("token_embedding").embeddings.assign(table)
    cell = model.get_layer("recurrent_stack").recurrent_layers[0].cell
    kernel = rng.normal(scale=0.8, size=(3, 6))
    kernel[0, :] = 0.0
    kernel[:, PLANTED] = [6.0, 0.0, 0.0]
    recurrent = rng.normal(scale=0.5, size=(6, 6))
    recurrent[PLANTED, :] = 0.0
    recurrent[:, PLANTED] = 0.0
    recurrent[PLANTED, PLANTED] = 6.0
    cell.kernel.assign(kernel)
    cell.recurrent_kernel.assign(recurrent)
    cell.bias.assign(rng.normal(scale=0.3, size=6) * (np.arange(6) != PLANTED))
    return model


def test_the_planted_unit_ranks_first(rng):
    model = latching_model(rng)
    ids = rng.integers(1, 10, size=(8, 20))
    ids[ids == QUOTE] = 1
    starts = rng.integers(2, 18, size=8)
    ids[np.arange(8), starts] = QUOTE
    ids[0, 15:] = 0  # padding
    seen = (np.cumsum(ids == QUOTE, axis=1) > 0).astype(float)
    states = hidden_states(model, ids)
    ranked = tracking_units(states, seen)
    assert ranked.units[0] == PLANTED
    assert ranked.correlations[0] > 0.999
    assert abs(ranked.correlations[1]) < 0.9
    assert sorted(ranked.units.tolist()) == list(range(6))
    assert np.all(np.diff(np.abs(ranked.correlations)) <= 0)


def test_correlations_are_pearsons_over_the_used_steps(rng):
    values = rng.normal(size=(3, 10, 5))
    signal = values[..., 2] + 0.3 * rng.normal(size=(3, 10))
    values[1, 7:] = np.nan  # padded steps
    mask = np.ones((3, 10), bool)
    mask[2, :4] = False
    used = mask & ~np.isnan(values[..., 0])
    expected = [
        np.corrcoef(values[..., unit][used], signal[used])[0, 1]
        for unit in range(5)
    ]
    ranked = tracking_units(values, signal, mask=mask)
    assert ranked.units[0] == 2
    np.testing.assert_allclose(
        ranked.correlations, np.asarray(expected)[ranked.units], rtol=1e-12
    )


def test_still_units_score_zero_and_components(rng):
    values = rng.normal(size=(12, 3))
    values[:, 1] = 0.75
    ranked = tracking_units(values, np.arange(12.0))
    assert ranked.units[-1] == 1 and ranked.correlations[-1] == 0.0
    model = SequenceClassifier(num_classes=2, vocab_size=10, units=3)
    states = hidden_states(model, np.array([3, 1, 4, 1, 5, 9, 2, 6]))
    signal = np.arange(8.0)
    by_gate = tracking_units(states, signal, component="forget")
    expected = [
        np.corrcoef(states.gates["forget"][:, unit], signal)[0, 1]
        for unit in range(3)
    ]
    np.testing.assert_allclose(
        by_gate.correlations, np.asarray(expected)[by_gate.units], rtol=1e-9
    )


def test_arguments_are_checked(rng):
    values = rng.normal(size=(6, 2))
    with pytest.raises(ValueError, match="one value per step"):
        tracking_units(values, np.arange(5.0))
    with pytest.raises(ValueError, match="must vary"):
        tracking_units(values, np.ones(6))
    with pytest.raises(ValueError, match="`mask` must have the shape"):
        tracking_units(values, np.arange(6.0), mask=np.ones(5, bool))
