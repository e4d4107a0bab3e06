"""Word vectors for the token embedding: the settings are checked (never a
test split), the vectors learn from context, and a model's embedding gets
the rows of the words they know, once per run folder."""

import numpy as np
import pytest

from rnnzoo import models
from rnnzoo.data import word_vectors
from rnnzoo.zoo.schema import ConfigError
from rnnzoo.zoo.schema import validate_config
from tests.data.fixture_files import write_sst2

pytest.importorskip("gensim")


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"corpus": ["imdb/test"]}, "must not read a test split"),
        ({"corpus": ["imdb"]}, "'dataset/split', got 'imdb'"),
        ({"corpus": []}, "corpus to be a list"),
        ({"corpus": ["imdb/train"], "size": 3}, r"keys among .*\['size'\]"),
        ({"corpus": ["imdb/train"], "window": 0}, "word_vectors.window"),
        (
            {"corpus": ["imdb/train"], "trainable": "no"},
            "word_vectors.trainable to be true or false, got 'no'",
        ),
    ],
)
def test_bad_settings_are_named(settings, message):
    with pytest.raises(ValueError, match=message):
        word_vectors.word_vector_settings(settings)


def test_the_schema_refuses_vectors_of_test_text():
    config = {
        "name": "x",
        "task": "text_classification",
        "description": "x",
        "architecture": {"class": "SequenceClassifier", "arguments": {}},
        "data": {"dataset": "sst2", "word_vectors": {"corpus": ["sst2/test"]}},
        "training": {
            "optimizer": "adam",
            "learning_rate": 0.1,
            "epochs": 1,
            "batch_size": 2,
        },
    }
    with pytest.raises(ConfigError, match="data.word_vectors: .*test split"):
        validate_config(config)


def _cosine(a, b):
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def test_words_of_the_same_contexts_get_close_vectors():
    # "cat" and "dog" share every context; "car" and "bus" share others.
    rng = np.random.default_rng(0)
    sentences = []
    for _ in range(400):
        pet, vehicle = rng.choice(["cat", "dog"]), rng.choice(["car", "bus"])
        sentences.append(["the", pet, "purrs", "and", "sleeps", "softly"])
        sentences.append(["a", vehicle, "drives", "on", "the", "road"])
    settings = word_vectors.word_vector_settings(
        {"corpus": ["x/train"], "dimension": 16, "min_count": 1, "epochs": 50}
    )
    settings["workers"] = 1
    vectors = word_vectors.train_word_vectors(sentences, settings)
    assert vectors["cat"].shape == (16,)
    same = _cosine(vectors["cat"], vectors["dog"])
    other = _cosine(vectors["cat"], vectors["car"])
    assert same > 0.9 and same - other > 0.3, (same, other)
    # One worker and a seed: the same vectors in every process.
    again = word_vectors.train_word_vectors(sentences, settings)
    np.testing.assert_array_equal(vectors["cat"], again["cat"])


def test_vector_rows_replace_only_known_words():
    vectors = {"good": np.full(3, 7.0), "bad": np.full(3, -7.0)}
    initial = np.arange(12, dtype="float32").reshape(4, 3)
    matrix, known = word_vectors.vector_rows(
        vectors, ["", "[UNK]", "good", "bad"], initial
    )
    assert known == 2
    np.testing.assert_array_equal(matrix[:2], initial[:2])
    np.testing.assert_array_equal(matrix[2:], [[7.0] * 3, [-7.0] * 3])
    assert initial[2, 0] == 6.0  # the input is not changed


def _embedding(model):
    layer = word_vectors.token_embedding(model, 5)
    return np.array(layer.embeddings)


def test_initialize_embedding_trains_once_per_run(tmp_path):
    write_sst2(tmp_path / "data")
    vocabulary = ["", "[UNK]", "film", "the", "zzz-unseen"]
    model = models.SequenceClassifier(
        num_classes=1, units=4, vocab_size=len(vocabulary), embedding_dim=8
    )
    model(model.example_inputs())
    before = _embedding(model)
    settings = {
        "corpus": ["sst2/train"],
        "dimension": 8,
        "min_count": 1,
        "workers": 1,
    }
    run = tmp_path / "run"
    run.mkdir()
    known = word_vectors.initialize_embedding(
        model, vocabulary, settings, tmp_path / "data", run
    )
    after = _embedding(model)
    sentences = word_vectors.corpus_sentences(["sst2/train"], tmp_path / "data")
    seen = {token for sentence in sentences for token in sentence}
    expected = [i for i, word in enumerate(vocabulary) if word in seen]
    assert known == len(expected) > 0
    changed = np.flatnonzero(np.any(after != before, axis=1))
    np.testing.assert_array_equal(changed, expected)
    # A resumed run reads the same matrix back instead of training.
    fresh = models.SequenceClassifier(
        num_classes=1, units=4, vocab_size=len(vocabulary), embedding_dim=8
    )
    fresh(fresh.example_inputs())
    assert (
        word_vectors.initialize_embedding(
            fresh, vocabulary, settings, tmp_path / "nowhere", run
        )
        == 0
    )
    np.testing.assert_array_equal(_embedding(fresh), after)
    with pytest.raises(ValueError, match="dimension to equal .* width 8"):
        word_vectors.initialize_embedding(
            fresh, vocabulary, dict(settings, dimension=5), None, run
        )
    with pytest.raises(ValueError, match="Embedding of 9 rows"):
        word_vectors.initialize_embedding(
            fresh, (vocabulary * 2)[:9], settings, None, run
        )


def test_frozen_vectors_stay_as_trained_while_the_rest_learns(tmp_path):
    write_sst2(tmp_path / "data")
    vocabulary = ["", "[UNK]", "film", "the", "zzz-unseen"]
    model = models.SequenceClassifier(
        num_classes=1, units=4, vocab_size=len(vocabulary), embedding_dim=8
    )
    model(model.example_inputs())
    settings = {
        "corpus": ["sst2/train"],
        "dimension": 8,
        "min_count": 1,
        "workers": 1,
        "trainable": False,
    }
    word_vectors.initialize_embedding(
        model, vocabulary, settings, tmp_path / "data", tmp_path
    )
    vectors = _embedding(model)
    others = [np.array(w) for w in model.trainable_weights]
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    tokens = np.array([[2, 3, 4, 1], [3, 2, 0, 0]])
    model.fit(tokens, np.array([1.0, 0.0]), epochs=2, verbose=0)
    np.testing.assert_array_equal(_embedding(model), vectors)
    assert all(
        np.any(np.array(w) != before)
        for w, before in zip(model.trainable_weights, others)
    )
