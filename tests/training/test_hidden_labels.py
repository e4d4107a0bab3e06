"""A split whose labels are hidden (-1) is never measured: `evaluate`, the
trainer's final measurement and `rnnzoo verify` raise instead of reporting
a number. SST-2 from TensorFlow Datasets' GLUE config is such a split; TFDS
is replaced here by a tiny dataset in its format (no download)."""

import numpy as np
import pytest
import tensorflow as tf

from rnnzoo import data as rnnzoo_data
from rnnzoo import models
from rnnzoo.training import evaluate
from rnnzoo.training import train
from rnnzoo.training.evaluation import check_labels_visible
from tests.training import fixtures

HIDDEN = "labels of sst2's 'test' split are hidden \\(-1\\)"
SENTENCES = [
    "a good film .",
    "a dull film .",
    "the cast was great .",
    "the plot was awful .",
]


def glue_sst2(split, size=8):
    """Examples as `tfds.load("glue/sst2")` gives them: a sentence, a label
    (-1 in the test split, whose labels GLUE keeps secret) and an index."""
    sentences = [SENTENCES[i % len(SENTENCES)] for i in range(size)]
    labels = [-1 if split == "test" else (i + 1) % 2 for i in range(size)]
    return tf.data.Dataset.from_tensor_slices(
        {
            "sentence": sentences,
            "label": np.array(labels, "int64"),
            "idx": np.arange(size, dtype="int32"),
        }
    )


@pytest.fixture
def tfds_glue(monkeypatch):
    """`tfds.load` answers `glue/sst2` from `glue_sst2`; no local files."""
    import tensorflow_datasets as tfds

    def load(name, split, with_info=False, **kwargs):
        assert name == "glue/sst2", name
        examples = glue_sst2(split)
        return (examples, None) if with_info else examples

    monkeypatch.setattr(tfds, "load", load)
    monkeypatch.delenv("RNNZOO_DATA_DIR", raising=False)


def batches(labels):
    features = np.zeros((len(labels), 3, 2), "float32")
    return tf.data.Dataset.from_tensor_slices(
        (features, np.array(labels, "int32"))
    ).batch(2)


def test_negative_labels_raise_naming_dataset_and_split():
    config = {"data": {"dataset": "sst2"}}
    task = "text_classification"
    with pytest.raises(ValueError, match=HIDDEN) as error:
        check_labels_visible(task, config, batches([-1, -1, -1]), "test")
    assert "3 of its 3 labels" in str(error.value)
    assert "evaluate on 'validation' instead" in str(error.value)
    # Visible labels, and tasks without class labels, pass.
    check_labels_visible(task, config, batches([0, 1, 1]), "test")
    check_labels_visible("forecasting", config, batches([-1]), "test")


def test_evaluate_refuses_sst2_test_labels_from_tfds(tfds_glue):
    config = fixtures.classifier_config()
    vectorizer = rnnzoo_data.build_vectorizer("sst2", vocabulary_size=100)
    model = models.SequenceClassifier(
        **{
            **config["architecture"]["arguments"],
            "vocab_size": vectorizer.vocabulary_size("text"),
        }
    )
    with pytest.raises(ValueError, match=HIDDEN):
        evaluate(model, config, split="test", vectorizer=vectorizer)
    with pytest.raises(ValueError, match=HIDDEN):
        evaluate(
            model, config, split="test", vectorizer=vectorizer, max_batches=1
        )
    # The validation labels are there: a number, as usual.
    metrics = evaluate(model, config, split="validation", vectorizer=vectorizer)
    assert 0.0 <= metrics["accuracy"] <= 1.0


def test_training_on_tfds_sst2_refuses_before_it_trains(tfds_glue, tmp_path):
    with pytest.raises(ValueError, match=HIDDEN):
        train(
            fixtures.classifier_config(epochs=1),
            output_dir=tmp_path / "run",
            verbose=0,
        )
    assert not (tmp_path / "run" / "history.csv").exists()
    assert not (tmp_path / "run" / "metrics.json").exists()
