"""A tree classifier trained from a config over small tree files: the best
epoch is the one of the best validation root accuracy, the exported preset
takes raw text, and a classifier trained at the root gets root labels."""

import copy

import numpy as np
import pytest
import tensorflow as tf

import rnnzoo
from rnnzoo.preprocessors import TreeClassifierPreprocessor
from rnnzoo.tasks import get_task
from rnnzoo.zoo import predict
from rnnzoo.zoo import registry
from tests.training import fixtures

CONFIG = fixtures.TASK_CONFIGS["tree_classification"]


def train(tmp_path, **changes):
    config = copy.deepcopy(CONFIG)
    config["architecture"]["arguments"].update(changes.pop("arguments", {}))
    config["training"].update(changes)
    data_dir = fixtures.write_sst_trees(tmp_path / "data")
    result = rnnzoo.train(
        config,
        data_dir=data_dir,
        output_dir=tmp_path / "run",
        jit_compile=False,
        verbose=0,
    )
    return result, data_dir


def test_best_epoch_is_the_best_validation_accuracy(tmp_path):
    result, data_dir = train(
        tmp_path, epochs=4, early_stopping_patience=3, learning_rate=0.05
    )
    history = result.history["val_accuracy"]
    assert len(history) == 4 and len(set(history)) > 1
    measured = rnnzoo.evaluate(
        result.preset_dir, data_dir=data_dir, split="validation"
    )
    assert measured["accuracy"] == pytest.approx(max(history), abs=1e-6)
    assert set(measured) == {
        "loss",
        "accuracy",
        "binary_accuracy",
        "node_accuracy",
    }

    # The preset takes raw text and names the classes.
    model = registry.load_task(result.preset_dir)
    assert isinstance(model.preprocessor, TreeClassifierPreprocessor)
    labels = model.predict_labels(["a good film", "(S (JJ dull) (NN plot))"])
    assert set(labels) <= set(
        rnnzoo.data.dataset_info("sst_treebank").label_names
    )
    (tree,) = model.predict_trees("a good film")
    assert tree.sentence == "a good film" and tree.num_nodes == 5
    # `rnnzoo predict`: the root's label and its probabilities.
    first, blank = predict.predict(model, ["a good film", " "])
    assert list(first.probabilities) == list(
        rnnzoo.data.dataset_info("sst_treebank").label_names
    )
    assert sum(first.probabilities.values()) == pytest.approx(1.0, abs=1e-5)
    assert first.result == max(first.probabilities, key=first.probabilities.get)
    assert blank.result is None


def test_a_root_classifier_trains_on_root_labels(tmp_path):
    result, data_dir = train(tmp_path, arguments={"objective": "root"})
    assert set(result.metrics) == {"loss", "accuracy", "binary_accuracy"}
    fresh = rnnzoo.evaluate(result.preset_dir, data_dir=data_dir)
    assert fresh == pytest.approx(result.metrics, rel=1e-4, abs=1e-6)


def test_a_tree_without_any_label_is_hidden():
    task = get_task("tree_classification")
    labels = tf.constant([[2, 3, -1], [-1, -1, -1]])
    assert task.hidden_labels(labels).numpy().tolist() == [False, True]
    roots = tf.constant([4, -1])
    assert task.hidden_labels(roots).numpy().tolist() == [False, True]


def test_synthetic_batches_fit_either_objective():
    task = get_task("tree_classification")
    for objective, rank in (("nodes", 2), ("root", 1)):
        model = rnnzoo.models.TreeClassifier(
            num_classes=5, vocab_size=20, units=4, objective=objective
        )
        x, y = task.synthetic_batch(model, batch_size=3, steps=5)
        assert y.ndim == rank
        real = (x["token_ids"] > 0) | np.any(x["children"] >= 0, axis=-1)
        if objective == "nodes":
            assert np.array_equal(y >= 0, real)
        model.compile()
        assert np.isfinite(model.train_on_batch(x, y)[0])
