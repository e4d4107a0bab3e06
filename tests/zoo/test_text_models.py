"""Text models from the zoo take raw strings: the vectorizer travels with
the model and its preset."""

import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf
import yaml

from rnnzoo.models import SequenceClassifier
from rnnzoo.models.text_input import TextModel
from rnnzoo.zoo import presets
from rnnzoo.zoo import registry

CORPUS = ["a fine film", "a dull film", "terrible acting", "fine acting"]
REVIEWS = ["a fine film", "dull", "an unseen word"]


def text_classifier(num_classes=3):
    vectorizer = keras.layers.TextVectorization(max_tokens=30)
    vectorizer.adapt(CORPUS)
    classifier = SequenceClassifier(
        num_classes=num_classes,
        cell="mgu",
        units=5,
        vocab_size=vectorizer.vocabulary_size(),
    )
    return TextModel(classifier, vectorizer)


def test_predict_takes_python_strings():
    model = text_classifier()
    outputs = model.predict(REVIEWS, verbose=0)
    assert outputs.shape == (3, 3)
    ids = np.asarray(model.vectorizer(np.array(REVIEWS, dtype=object)))
    np.testing.assert_allclose(
        outputs, model.model.predict(ids, verbose=0), atol=1e-6
    )


def test_preset_round_trip_keeps_the_vocabulary(tmp_path):
    model = text_classifier()
    preset_dir = presets.save_preset(model, tmp_path / "preset")
    archive = presets.pack_preset(preset_dir, tmp_path / "text.tar.gz")
    restored = presets.load_preset(archive)
    assert restored.vectorizer.get_vocabulary() == (
        model.vectorizer.get_vocabulary()
    )
    np.testing.assert_allclose(
        restored.predict(REVIEWS, verbose=0),
        model.predict(REVIEWS, verbose=0),
        atol=1e-6,
    )


def test_string_datasets_fit_evaluate_and_predict():
    # Off TensorFlow the strings become token ids in the tf.data pipeline,
    # before the compiled steps.
    model = text_classifier(num_classes=2)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    labels = np.array([1, 0, 0, 1])
    dataset = tf.data.Dataset.from_tensor_slices((CORPUS, labels)).batch(2)
    history = model.fit(dataset, epochs=1, verbose=0, validation_data=dataset)
    assert np.isfinite(history.history["val_loss"][0])
    loss = model.evaluate(dataset, verbose=0)
    ids = np.asarray(model.vectorizer(np.array(CORPUS, dtype=object)))
    probabilities = model.model.predict(ids, verbose=0)
    expected = -np.mean(np.log(probabilities[np.arange(4), labels]))
    np.testing.assert_allclose(loss, expected, rtol=1e-5)
    texts = tf.data.Dataset.from_tensor_slices(CORPUS).batch(3)
    np.testing.assert_allclose(
        model.predict(texts, verbose=0), probabilities, atol=1e-6
    )


def test_fit_on_strings_and_keras_file_round_trip(tmp_path):
    model = text_classifier(num_classes=2)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(CORPUS, np.array([1, 0, 0, 1]), epochs=1, verbose=0)
    path = tmp_path / "text.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    np.testing.assert_allclose(
        restored.predict(REVIEWS, verbose=0),
        model.predict(REVIEWS, verbose=0),
        atol=1e-6,
    )


def tiny_zoo_preset(tmp_path, monkeypatch):
    """A 3-class text classifier saved as a preset, and a zoo config
    `text_tiny` for it. Returns `(model, preset_dir)`."""
    configs = tmp_path / "configs"
    configs.mkdir()
    monkeypatch.setenv("RNNZOO_CONFIGS", str(configs))
    model = text_classifier(num_classes=3)
    preset_dir = presets.save_preset(model, tmp_path / "preset")
    config = {
        "name": "text_tiny",
        "task": "text_classification",
        "description": "tiny",
        "architecture": {
            "class": "SequenceClassifier",
            "arguments": {"num_classes": 3, "vocab_size": 30},
        },
        "data": {"dataset": "synthetic"},
        "training": {
            "optimizer": "adam",
            "learning_rate": 0.01,
            "epochs": 1,
            "batch_size": 2,
        },
    }
    (configs / "text_tiny.yaml").write_text(yaml.safe_dump(config))
    return model, preset_dir


def test_new_head_keeps_vectorizer_and_body(tmp_path, monkeypatch):
    model, preset_dir = tiny_zoo_preset(tmp_path, monkeypatch)
    with pytest.warns(UserWarning, match="fresh head"):
        tuned = registry.create_model(
            "text_tiny", pretrained=str(preset_dir), num_classes=5
        )
    # The classifier comes back with its vocabulary as a preprocessor.
    assert isinstance(tuned, SequenceClassifier)
    assert tuned.preprocessor.vectorizer.vocabulary("text") == (
        model.vectorizer.get_vocabulary()
    )
    assert tuned.predict(REVIEWS, verbose=0).shape == (3, 5)
    np.testing.assert_array_equal(tuned.weights[0], model.model.weights[0])


def test_new_head_warns_naming_the_weights_left_fresh(tmp_path, monkeypatch):
    _, preset_dir = tiny_zoo_preset(tmp_path, monkeypatch)
    with pytest.warns(
        UserWarning,
        match="num_classes=5 gives a fresh head: predictions/kernel, "
        "predictions/bias start at their initial values",
    ):
        registry.create_model(
            "text_tiny", pretrained=str(preset_dir), num_classes=5
        )


def test_overrides_that_keep_every_weight_do_not_warn(tmp_path, monkeypatch):
    _, preset_dir = tiny_zoo_preset(tmp_path, monkeypatch)
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        registry.create_model(
            "text_tiny", pretrained=str(preset_dir), num_classes=3
        )
    assert not [
        record for record in records if "initial values" in str(record.message)
    ]


@pytest.mark.parametrize("batch", [["one text"], "one text"])
def test_single_strings_are_accepted(batch):
    assert text_classifier().predict(batch, verbose=0).shape == (1, 3)
