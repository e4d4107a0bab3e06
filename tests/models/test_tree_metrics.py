"""The root metrics of tree classifiers against plain NumPy loops over the
trees of random batches."""

import keras
import numpy as np
import pytest

from rnnzoo.models.tree_metrics import NodeAccuracy
from rnnzoo.models.tree_metrics import NodeLoss
from rnnzoo.models.tree_metrics import RootAccuracy
from rnnzoo.models.tree_metrics import RootBinaryAccuracy


def random_batch(rng, batch=16, nodes=9, classes=5):
    """Trees of 1..nodes labelled nodes followed by padding (-1), and a
    probability distribution at every node."""
    sizes = rng.integers(1, nodes + 1, batch)
    labels = np.full((batch, nodes), -1)
    for row, size in enumerate(sizes):
        labels[row, :size] = rng.integers(0, classes, size)
    logits = rng.normal(size=(batch, nodes, classes)) * 2
    probabilities = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    return labels, probabilities.astype("float32"), logits.astype("float32")


def reference_root_scores(labels, probabilities):
    """Per tree: (fine correct, binary correct or None for a neutral root),
    with the root found by walking back from the last node."""
    classes = probabilities.shape[-1]
    scores = []
    for row in range(len(labels)):
        root = max(i for i, label in enumerate(labels[row]) if label >= 0)
        label, p = labels[row, root], probabilities[row, root]
        fine = int(np.argmax(p)) == label
        negative = sum(p[c] for c in range(classes) if c < classes // 2)
        positive = sum(p[c] for c in range(classes) if c >= (classes + 1) // 2)
        if classes % 2 and label == classes // 2:
            binary = None
        else:
            binary = (positive > negative) == (label >= (classes + 1) // 2)
        scores.append((fine, binary))
    return scores


@pytest.mark.parametrize("classes", [5, 2, 3])
def test_root_metrics_match_a_loop_over_the_trees(rng, classes):
    labels, probabilities, logits = random_batch(rng, classes=classes)
    scores = reference_root_scores(labels, probabilities)
    fine = np.mean([f for f, _ in scores])
    binary = np.mean([b for _, b in scores if b is not None])
    accuracy, binary_accuracy = RootAccuracy(), RootBinaryAccuracy()
    # In two batches: the metrics add up counts, not batch means.
    for part in (slice(0, 5), slice(5, None)):
        accuracy.update_state(labels[part], probabilities[part])
        binary_accuracy.update_state(labels[part], probabilities[part])
    assert float(accuracy.result()) == pytest.approx(fine, abs=1e-6)
    assert float(binary_accuracy.result()) == pytest.approx(binary, abs=1e-6)
    from_logits = RootBinaryAccuracy(from_logits=True)
    from_logits.update_state(labels, logits)
    assert float(from_logits.result()) == pytest.approx(binary, abs=1e-6)


def test_root_metrics_take_one_prediction_per_tree(rng):
    labels, probabilities, _ = random_batch(rng)
    root = (labels >= 0).sum(axis=1) - 1
    rows = np.arange(len(labels))
    per_node, per_tree = RootBinaryAccuracy(), RootBinaryAccuracy()
    per_node.update_state(labels, probabilities)
    per_tree.update_state(labels[rows, root], probabilities[rows, root])
    assert float(per_tree.result()) == pytest.approx(float(per_node.result()))
    fine = RootAccuracy()
    fine.update_state(labels[rows, root], probabilities[rows, root])
    expected = np.mean(
        probabilities[rows, root].argmax(-1) == labels[rows, root]
    )
    assert float(fine.result()) == pytest.approx(expected)


def test_node_accuracy_counts_every_labelled_node(rng):
    labels, probabilities, _ = random_batch(rng)
    real = labels >= 0
    expected = np.mean(probabilities.argmax(-1)[real] == labels[real])
    metric = NodeAccuracy()
    metric.update_state(labels, probabilities)
    assert float(metric.result()) == pytest.approx(expected, abs=1e-6)


def test_sample_weights_weigh_whole_trees(rng):
    labels, probabilities, _ = random_batch(rng)
    weights = np.zeros(len(labels))
    weights[:3] = 1.0
    weighted, first_three = RootAccuracy(), RootAccuracy()
    weighted.update_state(labels, probabilities, sample_weight=weights)
    first_three.update_state(labels[:3], probabilities[:3])
    assert float(weighted.result()) == pytest.approx(
        float(first_three.result())
    )


def test_root_metrics_serialize():
    metric = RootBinaryAccuracy(from_logits=True, name="sst2")
    copy = keras.metrics.deserialize(keras.metrics.serialize(metric))
    assert type(copy) is RootBinaryAccuracy
    assert copy.from_logits and copy.name == "sst2"


@pytest.mark.parametrize("weight", [0.0, 0.5])
def test_node_loss_matches_a_loop_over_the_nodes(rng, weight):
    labels, probabilities, logits = random_batch(rng)
    nll, binary = [], []
    for label, p in zip(labels.ravel(), probabilities.reshape(-1, 5)):
        if label < 0:
            continue
        nll.append(-np.log(p[label]))
        if label != 2:
            positive, negative = p[3] + p[4], p[0] + p[1]
            chosen = positive if label > 2 else negative
            binary.append(-np.log(chosen / (positive + negative)))
    expected = np.mean(nll) + weight * np.mean(binary)
    loss = NodeLoss(binary_weight=weight)
    assert float(loss(labels, probabilities)) == pytest.approx(expected, 1e-5)
    from_logits = NodeLoss(binary_weight=weight, from_logits=True)
    assert float(from_logits(labels, logits)) == pytest.approx(expected, 1e-5)
    copy = keras.losses.deserialize(keras.losses.serialize(loss))
    assert copy.binary_weight == weight
