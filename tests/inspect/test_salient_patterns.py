"""`salient_patterns` (Example2pattern): on a classifier trained to spot a
token, that token is the pattern; on any classifier, the patterns and
their counts and gains are those found by hand from explicit prefixes."""

import collections

import keras
import numpy as np
import pytest

from rnnzoo.inspect import SalientPattern
from rnnzoo.inspect import salient_patterns
from rnnzoo.models import SequenceClassifier
from tests.inspect.conftest import INFORMATIVE_TOKEN


def test_the_informative_token_is_the_pattern(trained_classifier):
    model, ids, labels, positions = trained_classifier
    patterns = salient_patterns(model, ids, labels, max_n=1)
    assert set(patterns) == {"0", "1"}
    top = patterns["1"][0]
    assert top.pattern == str(INFORMATIVE_TOKEN)
    positives = int(labels.sum())
    assert top.count >= 0.9 * positives
    assert top.mean_gain > 0.3
    # Longer n-grams end at the token 7.
    trigrams = salient_patterns(model, ids, labels, max_n=3, top_k=500)
    ending = sum(
        p.count
        for p in trigrams["1"]
        if p.pattern.split(" ")[-1] == str(INFORMATIVE_TOKEN)
    )
    assert ending >= 0.9 * positives
    assert all(len(p.pattern.split(" ")) <= 3 for p in trigrams["1"])


def patterns_by_hand(model, ids, max_n, labels=None):
    """Example2pattern from the model's predictions on every prefix: the
    prefixes of `step` tokens of the rows that long run as one batch,
    unpadded."""
    lengths = (ids != 0).sum(axis=1)
    curves = [[] for _ in ids]
    for step in range(1, lengths.max() + 1):
        rows = np.flatnonzero(lengths >= step)
        outputs = np.asarray(model(ids[rows, :step]))
        for row, output in zip(rows, outputs):
            curves[row].append(output)
    found = collections.defaultdict(list)
    for row, curve in enumerate(curves):
        curve = np.stack(curve)
        predicted = int(curve[-1].argmax())
        target = predicted if labels is None else labels[row]
        if target != predicted:
            continue
        gains = np.diff(curve[:, target], prepend=1.0 / curve.shape[1])
        step = int(gains.argmax())
        tokens = [str(i) for i in ids[row, max(0, step + 1 - max_n) : step + 1]]
        found[target].append((" ".join(tokens), gains[step]))
    return found


@pytest.mark.parametrize("with_labels", [False, True])
def test_counts_and_gains_match_a_count_by_hand(rng, with_labels):
    keras.utils.set_random_seed(8)
    model = SequenceClassifier(
        num_classes=3, vocab_size=6, units=4, bidirectional=True
    )
    lengths = rng.integers(1, 7, size=40)
    ids = rng.integers(1, 6, size=(40, 6)).astype("int32")
    ids[np.arange(6)[None] >= lengths[:, None]] = 0
    labels = rng.integers(0, 3, size=40) if with_labels else None
    found = patterns_by_hand(model, ids, max_n=2, labels=labels)
    assert sum(len(v) for v in found.values()) >= 5
    patterns = salient_patterns(model, ids, labels, max_n=2, top_k=1000)
    for class_id, name in enumerate(["0", "1", "2"]):
        by_pattern = collections.defaultdict(list)
        for pattern, gain in found[class_id]:
            by_pattern[pattern].append(gain)
        assert len(patterns[name]) == len(by_pattern)
        for item in patterns[name]:
            gains = by_pattern[item.pattern]
            assert item.count == len(gains)
            np.testing.assert_allclose(
                item.mean_gain, np.mean(gains), atol=1e-6
            )
        counts = [item.count for item in patterns[name]]
        assert counts == sorted(counts, reverse=True)


def test_top_k_and_label_names(rng):
    keras.utils.set_random_seed(9)
    model = SequenceClassifier(num_classes=2, vocab_size=6, units=4)
    ids = rng.integers(1, 6, size=(30, 4)).astype("int32")
    predicted = np.asarray(model(ids)).argmax(-1)
    patterns = salient_patterns(model, ids, top_k=2)
    assert all(len(items) <= 2 for items in patterns.values())
    assert all(isinstance(p, SalientPattern) for p in patterns["0"])
    by_name = salient_patterns(model, ids, [str(c) for c in predicted])
    assert by_name == salient_patterns(model, ids, predicted)
    wrong = salient_patterns(model, ids, 1 - predicted)
    assert wrong == {"0": [], "1": []}


def test_arguments_are_checked(rng):
    model = SequenceClassifier(num_classes=2, vocab_size=6, units=4)
    ids = np.array([[1, 2, 3], [4, 5, 0]], "int32")
    with pytest.raises(ValueError, match="`max_n` must be a positive"):
        salient_patterns(model, ids, max_n=0)
    with pytest.raises(ValueError, match="`top_k` must be a positive"):
        salient_patterns(model, ids, top_k=0)
    with pytest.raises(ValueError, match="one label per text"):
        salient_patterns(model, ids, [0])
    with pytest.raises(ValueError, match="class ids in"):
        salient_patterns(model, ids, [0, 2])
    with pytest.raises(ValueError, match="must be a batch"):
        salient_patterns(model, np.array([1, 2, 3]))
    features = SequenceClassifier(num_classes=2, input_dim=2, units=4)
    with pytest.raises(ValueError, match="patterns need tokens"):
        salient_patterns(features, np.ones((2, 3, 2), "float32"))
