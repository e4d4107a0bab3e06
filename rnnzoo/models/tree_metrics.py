"""Metrics of tree-structured classifiers, measured at the trees' roots,
and their loss over every node.

A tree classifier predicts a class at every node, `(batch, nodes,
classes)`, and its targets hold every node's label, `(batch, nodes)`,
with -1 where a node has none (padding). The literature scores the
sentence, the root, which in post-order is the last node: here the last
node with a label.

* `RootAccuracy`: fine-grained accuracy at the roots (SST-5: 2,210 test
  sentences).
* `RootBinaryAccuracy`: positive against negative at the roots, the
  neutral middle class left out (SST-2: the 1,821 test sentences whose
  label is not neutral), from the fine-grained probabilities: positive
  when the probabilities of the classes above the middle add up to more
  than those below it.
* `NodeAccuracy`: accuracy over every labelled node (every phrase).

Both also take one prediction per tree, `(batch, classes)`, with the
roots' labels `(batch,)`, as a classifier trained at the root gives them.

`NodeLoss` is the cross-entropy over every labelled node, optionally with
a binary term on the same probabilities.
"""

import keras
from keras import ops

from rnnzoo.tasks.metrics import _SumRatio

NO_LABEL = -1


class _Fraction(_SumRatio):
    """A weighted fraction, `sum(values * weights) / sum(weights)`, summed
    over batches."""

    def accumulate(self, values, weights, sample_weight=None):
        if sample_weight is not None:
            weights = weights * ops.cast(sample_weight, "float32")
        super().accumulate(values, weights)


def roots(y_true, y_pred):
    """The root labels `(batch,)` and root predictions `(batch, classes)`
    of a batch: at each tree's last labelled node when `y_pred` has a
    prediction per node; as they are when it has one per tree. A tree
    without any label gets label -1."""
    y_true = ops.cast(ops.convert_to_tensor(y_true), "int32")
    y_pred = ops.convert_to_tensor(y_pred)
    if len(y_pred.shape) == 2:
        return ops.reshape(y_true, (-1,)), y_pred
    positions = ops.arange(ops.shape(y_true)[1], dtype="int32")
    labelled = ops.greater_equal(y_true, 0)
    last = ops.max(ops.where(labelled, positions[None, :], -1), axis=1)
    index = ops.maximum(last, 0)
    labels = ops.take_along_axis(y_true, index[:, None], axis=1)[:, 0]
    labels = ops.where(ops.greater_equal(last, 0), labels, NO_LABEL)
    predictions = ops.take_along_axis(y_pred, index[:, None, None], axis=1)
    return labels, predictions[:, 0]


def _per_tree(sample_weight):
    if sample_weight is None:
        return None
    return ops.reshape(ops.cast(sample_weight, "float32"), (-1,))


@keras.saving.register_keras_serializable(package="rnnzoo")
class RootAccuracy(_Fraction):
    """Accuracy of the predicted class at each tree's root.

    Args:
        name: Metric name. Default `"accuracy"`.

    Call arguments:
        y_true: int `(batch, nodes)` labels, -1 for a node without one
            (padding); the root is a tree's last labelled node. Or
            `(batch,)` root labels.
        y_pred: `(batch, nodes, classes)` (or `(batch, classes)`)
            probabilities or logits.
        sample_weight: Optional `(batch,)` weights of the trees.

    Example:

    >>> metric = RootAccuracy()
    >>> y_true = [[2, 0, -1], [1, 1, 1]]  # roots: nodes 1 and 2
    >>> y_pred = [[[0, 0, 1], [1, 0, 0], [0, 1, 0]],
    ...           [[0, 1, 0], [0, 1, 0], [0, 0, 1]]]
    >>> metric.update_state(y_true, y_pred)
    >>> float(metric.result())
    0.5
    """

    def __init__(self, name="accuracy", **kwargs):
        super().__init__(name=name, **kwargs)

    def update_state(self, y_true, y_pred, sample_weight=None):
        labels, predictions = roots(y_true, y_pred)
        predicted = ops.cast(ops.argmax(predictions, axis=-1), "int32")
        correct = ops.cast(ops.equal(predicted, labels), "float32")
        weights = ops.cast(ops.greater_equal(labels, 0), "float32")
        self.accumulate(correct, weights, _per_tree(sample_weight))


@keras.saving.register_keras_serializable(package="rnnzoo")
class RootBinaryAccuracy(_Fraction):
    """Binary (negative / positive) accuracy at each tree's root, from
    fine-grained predictions; roots of the neutral middle class are left
    out.

    Of `C` classes ordered from most negative to most positive, those
    below `C // 2` are negative, those from `(C + 1) // 2` up positive,
    and for odd `C` the middle one neutral: SST's 0-1 / 3-4 / 2. A root is
    predicted positive when the probabilities of the positive classes add
    up to more than those of the negative ones (the neutral class's
    probability goes to neither), as Socher et al. (2013) score a
    fine-grained model on SST-2.

    Args:
        from_logits: Whether `y_pred` holds logits (a softmax is applied
            first).
        name: Metric name. Default `"binary_accuracy"`.

    Call arguments:
        y_true: int `(batch, nodes)` labels, -1 where a node has none; or
            `(batch,)` root labels.
        y_pred: `(batch, nodes, classes)` (or `(batch, classes)`)
            probabilities, or logits with `from_logits=True`.
        sample_weight: Optional `(batch,)` weights of the trees.

    Example:

    >>> metric = RootBinaryAccuracy()
    >>> y_pred = [[0.3, 0.1, 0.2, 0.0, 0.4],  # 0.4 negative, 0.4 positive
    ...           [0.0, 0.1, 0.5, 0.2, 0.2],  # positive
    ...           [0.0, 0.0, 0.9, 0.1, 0.0]]  # positive
    >>> metric.update_state([3, 4, 2], y_pred)  # the neutral root: skipped
    >>> float(metric.result())
    0.5
    """

    def __init__(
        self, from_logits: bool = False, name="binary_accuracy", **kwargs
    ):
        super().__init__(name=name, **kwargs)
        self.from_logits = from_logits

    def update_state(self, y_true, y_pred, sample_weight=None):
        labels, predictions = roots(y_true, y_pred)
        predictions = ops.cast(predictions, "float32")
        if self.from_logits:
            predictions = ops.softmax(predictions, axis=-1)
        classes = predictions.shape[-1]
        negative, positive = classes // 2, (classes + 1) // 2
        positive_mass = ops.sum(predictions[:, positive:], axis=-1)
        negative_mass = ops.sum(predictions[:, :negative], axis=-1)
        predicted = ops.greater(positive_mass, negative_mass)
        correct = ops.cast(
            ops.equal(predicted, ops.greater_equal(labels, positive)),
            "float32",
        )
        polar = ops.logical_or(
            ops.logical_and(
                ops.greater_equal(labels, 0), ops.less(labels, negative)
            ),
            ops.greater_equal(labels, positive),
        )
        weights = ops.cast(polar, "float32")
        self.accumulate(correct, weights, _per_tree(sample_weight))

    def get_config(self):
        return {**super().get_config(), "from_logits": self.from_logits}


@keras.saving.register_keras_serializable(package="rnnzoo")
class NodeAccuracy(_Fraction):
    """Accuracy over every labelled node of the trees (every phrase).

    Args:
        name: Metric name. Default `"node_accuracy"`.

    Call arguments:
        y_true: int `(batch, nodes)` labels, -1 for a node without one.
        y_pred: `(batch, nodes, classes)` probabilities or logits.
        sample_weight: Optional `(batch, nodes)` weights.

    Example:

    >>> metric = NodeAccuracy()
    >>> metric.update_state([[1, 0, -1]], [[[0, 1], [0, 1], [1, 0]]])
    >>> float(metric.result())
    0.5
    """

    def __init__(self, name="node_accuracy", **kwargs):
        super().__init__(name=name, **kwargs)

    def update_state(self, y_true, y_pred, sample_weight=None):
        y_true = ops.cast(ops.convert_to_tensor(y_true), "int32")
        predicted = ops.cast(ops.argmax(y_pred, axis=-1), "int32")
        correct = ops.cast(ops.equal(predicted, y_true), "float32")
        weights = ops.cast(ops.greater_equal(y_true, 0), "float32")
        self.accumulate(correct, weights, sample_weight)


def polar_masses(probabilities):
    """`(negative, positive)`: the probability of the classes below the
    middle and of those above it (see `RootBinaryAccuracy`)."""
    classes = probabilities.shape[-1]
    negative = ops.sum(probabilities[..., : classes // 2], axis=-1)
    positive = ops.sum(probabilities[..., (classes + 1) // 2 :], axis=-1)
    return negative, positive


@keras.saving.register_keras_serializable(package="rnnzoo")
class NodeLoss(keras.losses.Loss):
    """Cross-entropy over the labelled nodes, plus a weighted binary term.

    The first term is the mean sparse categorical cross-entropy of the
    nodes with a label (-1: none), Tai et al. (2015)'s loss over every
    phrase. With `binary_weight`, each node whose label is not the neutral
    middle class also adds `binary_weight` times the binary cross-entropy
    of its polarity, with `P(positive) = p+ / (p+ + p-)` from the same
    probabilities (`p-`, `p+`: the classes below and above the middle),
    the decision `RootBinaryAccuracy` scores; both terms are means over
    the nodes they count.

    Args:
        binary_weight: Float >= 0, the weight of the binary term.
            Default 0.
        from_logits: Whether `y_pred` holds logits.
        name: Loss name. Default `"node_loss"`.

    Example:

    >>> loss = NodeLoss(binary_weight=1.0)
    >>> y_pred = np.array([[[0.1, 0.1, 0.2, 0.3, 0.3], [1, 0, 0, 0, 0]]])
    >>> value = loss(np.array([[4, -1]]), y_pred)  # -log 0.3 - log 0.6/0.8
    >>> round(float(value), 4)
    1.4917
    """

    def __init__(
        self,
        binary_weight: float = 0.0,
        from_logits: bool = False,
        name="node_loss",
        **kwargs,
    ):
        super().__init__(name=name, **kwargs)
        self.binary_weight = float(binary_weight)
        self.from_logits = from_logits

    def call(self, y_true, y_pred):
        # The mean is taken here over the labelled nodes: one value per
        # batch, which the reduction leaves as it is.
        y_true = ops.cast(y_true, "int32")
        y_pred = ops.cast(y_pred, "float32")
        probabilities = (
            ops.softmax(y_pred, axis=-1) if self.from_logits else y_pred
        )
        probabilities = ops.clip(probabilities, 1e-7, 1.0)
        labelled = ops.greater_equal(y_true, 0)
        safe = ops.where(labelled, y_true, 0)
        picked = ops.take_along_axis(
            probabilities, ops.expand_dims(safe, -1), axis=-1
        )[..., 0]
        weights = ops.cast(labelled, "float32")
        loss = ops.divide_no_nan(
            -ops.sum(ops.log(picked) * weights), ops.sum(weights)
        )
        if not self.binary_weight:
            return loss
        classes = y_pred.shape[-1]
        negative, positive = polar_masses(probabilities)
        polar = ops.logical_and(
            labelled,
            ops.logical_or(
                ops.less(y_true, classes // 2),
                ops.greater_equal(y_true, (classes + 1) // 2),
            ),
        )
        is_positive = ops.greater_equal(y_true, (classes + 1) // 2)
        chosen = ops.where(is_positive, positive, negative)
        binary = -ops.log(chosen / (positive + negative))
        polar_weights = ops.cast(polar, "float32")
        binary_loss = ops.divide_no_nan(
            ops.sum(binary * polar_weights), ops.sum(polar_weights)
        )
        return loss + self.binary_weight * binary_loss

    def get_config(self):
        return {
            **super().get_config(),
            "binary_weight": self.binary_weight,
            "from_logits": self.from_logits,
        }
