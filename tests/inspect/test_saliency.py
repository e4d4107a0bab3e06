"""`saliency`: the informative token ranks first on a trained model, and
the scores match finite differences through the embedding table."""

import keras
import numpy as np
import pytest

from rnnzoo.inspect import saliency
from rnnzoo.models import SequenceClassifier
from rnnzoo.models import SequenceTagger
from rnnzoo.models.text_input import TextModel
from tests.inspect.conftest import INFORMATIVE_TOKEN

TENSORFLOW_ONLY = pytest.mark.tensorflow_only("saliency uses tf.GradientTape")


@TENSORFLOW_ONLY
def test_informative_token_ranks_first(trained_classifier):
    model, ids, labels, positions = trained_classifier
    predicted = np.asarray(model(ids))[:, 0] > 0.5
    assert (predicted == labels).mean() >= 0.95
    positive = labels == 1
    scores = saliency(model, ids[positive])
    assert scores.shape == ids[positive].shape
    assert np.all(
        ids[positive][np.arange(positive.sum()), positions[positive]]
        == INFORMATIVE_TOKEN
    )
    ranked_first = scores.argmax(axis=1) == positions[positive]
    assert ranked_first.mean() >= 0.95, ranked_first.mean()
    # The token 7 pushes the score towards class 1.
    assert np.all(scores[np.arange(len(scores)), positions[positive]] > 0)
    # Padding scores exactly 0.
    assert np.all(scores[ids[positive] == 0] == 0.0)
    norms = saliency(model, ids[positive], method="gradient_norm")
    assert np.all(norms >= 0) and np.all(norms[ids[positive] == 0] == 0.0)
    assert (norms.argmax(axis=1) == positions[positive]).mean() >= 0.9


def tiny_token_model(activation):
    """Embedding -> GRU -> Dense(1) in float64, with given output
    activation, and the layers to rebuild it."""
    ids = keras.Input((5,), dtype="int32")
    embedding = keras.layers.Embedding(9, 4, mask_zero=True, dtype="float64")
    recurrent = keras.layers.GRU(3, dtype="float64")
    head = keras.layers.Dense(1, activation=activation, dtype="float64")
    outputs = head(recurrent(embedding(ids)))
    return keras.Model(ids, outputs), (ids, embedding, recurrent)


def logit_by_finite_differences(model, embedding, ids, token, direction):
    """∂S/∂ε for the embedding row of `token` moved along `direction`."""
    table = np.asarray(embedding.embeddings)
    values = []
    for sign in (1.0, -1.0):
        moved = table.copy()
        moved[token] += sign * 1e-6 * direction
        embedding.embeddings.assign(moved)
        values.append(np.asarray(model(ids))[:, 0])
    embedding.embeddings.assign(table)
    return (values[0] - values[1]) / 2e-6


@TENSORFLOW_ONLY
def test_scores_match_finite_differences(rng):
    model, _ = tiny_token_model(activation=None)
    embedding = model.layers[1]
    # Distinct tokens, so moving a row of the table moves one step.
    ids = np.array([[3, 1, 8, 5, 0]], "int32")
    product = saliency(model, ids, method="gradient_x_input")
    norm = saliency(model, ids, method="gradient_norm")
    table = np.asarray(embedding.embeddings)
    for position, token in enumerate(ids[0]):
        if token == 0:
            assert product[0, position] == 0.0 and norm[0, position] == 0.0
            continue
        # Along e_t itself: Σ_d g_d e_d.
        along_e = logit_by_finite_differences(
            model, embedding, ids, token, table[token]
        )
        np.testing.assert_allclose(product[0, position], along_e, rtol=1e-6)
        if position % 2:
            continue
        gradient = [
            logit_by_finite_differences(model, embedding, ids, token, unit)[0]
            for unit in np.eye(4)
        ]
        np.testing.assert_allclose(
            norm[0, position], np.linalg.norm(gradient), rtol=1e-6
        )


@TENSORFLOW_ONLY
def test_logits_are_scored_before_the_sigmoid(rng):
    model, (ids_input, embedding, recurrent) = tiny_token_model("sigmoid")
    linear_head = keras.layers.Dense(1, dtype="float64")
    linear = keras.Model(
        ids_input, linear_head(recurrent(embedding(ids_input)))
    )
    linear_head.set_weights(model.layers[-1].get_weights())
    ids = rng.integers(1, 9, size=(3, 5)).astype("int32")
    logits = saliency(model, ids)
    np.testing.assert_allclose(logits, saliency(linear, ids), rtol=1e-10)
    # Probabilities: the chain rule through σ, p (1 - p) per example.
    p = np.asarray(model(ids))
    np.testing.assert_allclose(
        saliency(model, ids, use_logits=False),
        p * (1 - p) * logits,
        rtol=1e-8,
    )
    # target=0 scores the negative class: the negated logit.
    np.testing.assert_allclose(saliency(model, ids, target=0), -logits)
    # The output layer is left as it was.
    assert model.layers[-1].activation is keras.activations.sigmoid


@TENSORFLOW_ONLY
def test_tagger_saliency_per_step_is_causal_and_sums(rng):
    model = SequenceTagger(
        num_tags=3, vocab_size=9, units=4, bidirectional=False
    )
    ids = np.array([[4, 2, 7, 1, 3, 0], [5, 5, 2, 8, 6, 1]], "int32")
    maps = saliency(model, ids, step="all")
    assert maps.shape == (2, 6, 6)
    # A forward tagger's step t cannot depend on later tokens.
    assert np.all(np.triu(maps, k=1) == 0.0)
    assert np.any(np.tril(maps) != 0.0)
    # The default sums the (unmasked) output steps; gradient × input is
    # linear in the score.
    np.testing.assert_allclose(
        saliency(model, ids), maps.sum(axis=1), rtol=1e-4, atol=1e-7
    )
    np.testing.assert_allclose(
        saliency(model, ids, step=2), maps[:, 2], rtol=1e-5
    )
    assert np.all(maps[0, :, 5] == 0.0)


@TENSORFLOW_ONLY
def test_feature_models_use_their_inputs_and_masking(rng):
    model = SequenceClassifier(
        num_classes=3, input_dim=2, units=4, mask_value=0.0
    )
    features = rng.normal(size=(2, 5, 2)).astype("float32")
    features[0, 3:] = 0.0
    scores = saliency(model, features, target=[0, 2])
    assert scores.shape == (2, 5)
    assert np.all(scores[0, 3:] == 0.0) and np.all(scores[1] != 0.0)


@TENSORFLOW_ONLY
def test_text_models_are_probed_behind_their_vectorizer():
    vectorizer = keras.layers.TextVectorization(output_sequence_length=6)
    vectorizer.adapt(["a fine film", "a dull film indeed"])
    classifier = SequenceClassifier(
        num_classes=1, vocab_size=vectorizer.vocabulary_size(), units=4
    )
    text_model = TextModel(classifier, vectorizer)
    texts = ["a fine film", "a dull film indeed"]
    ids = np.asarray(vectorizer(texts))
    np.testing.assert_allclose(
        saliency(text_model, texts), saliency(classifier, ids), rtol=1e-6
    )


@TENSORFLOW_ONLY
def test_arguments_are_checked(rng):
    model = SequenceClassifier(num_classes=3, vocab_size=9, units=4)
    ids = np.array([[1, 2, 3]], "int32")
    with pytest.raises(ValueError, match="`method` must be one of"):
        saliency(model, ids, method="integrated_gradients")
    with pytest.raises(ValueError, match="`target` must be None"):
        saliency(model, ids, target=[0, 1])
    with pytest.raises(ValueError, match="`embedding` must name"):
        saliency(model, ids, embedding="words")
    with pytest.raises(ValueError, match="`step` applies to taggers"):
        saliency(model, ids, step=0)
    tagger = SequenceTagger(num_tags=2, vocab_size=9, units=2)
    with pytest.raises(ValueError, match=r"output step in \[0, 3\)"):
        saliency(tagger, ids, step=3)
    regressor = keras.Sequential([keras.Input((3, 2)), keras.layers.GRU(2)])
    with pytest.raises(ValueError, match="needs float `inputs`"):
        saliency(regressor, np.ones((1, 3), "int32"))


def test_other_backends_get_an_error_naming_theirs(monkeypatch):
    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    model = SequenceClassifier(num_classes=2, vocab_size=10, units=4)
    with pytest.raises(NotImplementedError, match="TensorFlow backend.*jax"):
        saliency(model, np.array([[3, 7, 2, 0]]))
