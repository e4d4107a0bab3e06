"""`semantic_accumulation` (LISA): the probabilities after every prefix
equal the model's predictions on the prefixes, each run on its own."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from rnnzoo.data.vectorizers import Vectorizer
from rnnzoo.data.vectorizers import text_vectorization
from rnnzoo.inspect import semantic_accumulation
from rnnzoo.inspect._model_parts import replaced_attribute
from rnnzoo.models import SequenceClassifier
from rnnzoo.models import SequenceTagger
from rnnzoo.models.text_input import TextModel
from rnnzoo.preprocessors.text import TextClassifierPreprocessor

IDS = np.array(
    [[3, 7, 1, 9, 4, 11, 2], [5, 5, 8, 0, 0, 0, 0], [10, 2, 6, 3, 1, 0, 0]],
    "int32",
)
LENGTHS = [7, 3, 5]


def prefix_predictions(model, ids, lengths):
    """`(batch, T, outputs)`: the model on every prefix, one at a time,
    NaN after each sequence's end."""
    outputs = None
    for row, length in enumerate(lengths):
        for step in range(1, length + 1):
            value = np.asarray(model(ids[row : row + 1, :step]))[0]
            if outputs is None:
                outputs = np.full(ids.shape[:2] + value.shape, np.nan)
            outputs[row, step - 1] = value
    return outputs


class RowsRead:
    """Counts the rows the recurrent layer reads (wraps its loop)."""

    def __init__(self, layer):
        self.layer, self.run, self.rows = layer, layer.inner_loop, 0

    def __call__(self, sequences, initial_state, mask, training=False):
        self.rows += int(sequences.shape[0])
        return self.run(sequences, initial_state, mask, training=training)


def first_recurrent_layer(model):
    layer = model.get_layer("recurrent_stack").recurrent_layers[0]
    return getattr(layer, "forward_layer", layer)


CASES = {
    "gru-last": ("gru", "last", False),
    "lstm-mean": ("lstm", "mean", False),
    "mgu-attention": ("mgu", "attention", False),
    "skip_rnn-max-bidirectional": ("skip_rnn", "max", True),
    "lstm-last-bidirectional": ("lstm", "last", True),
    "coupled_lstm-attention-bidirectional": ("coupled_lstm", "attention", True),
}


# Attention over a prefix of one step is a softmax over one score.
@pytest.mark.filterwarnings("ignore:You are using a softmax over axis -1")
@pytest.mark.parametrize("case", CASES)
def test_equals_predictions_on_explicit_prefixes(case):
    cell, pooling, bidirectional = CASES[case]
    keras.utils.set_random_seed(1)
    model = SequenceClassifier(
        num_classes=3,
        vocab_size=12,
        units=4,
        cell=cell,
        pooling=pooling,
        bidirectional=bidirectional,
        num_layers=2,
    )
    expected = prefix_predictions(model, IDS, LENGTHS)
    layer = first_recurrent_layer(model)
    counter = RowsRead(layer)
    with replaced_attribute(layer, "inner_loop", counter):
        result = semantic_accumulation(model, IDS, batch_size=4)
    assert result.probabilities.shape == (3, 7, 3)
    assert np.array_equal(np.isnan(result.probabilities), np.isnan(expected))
    np.testing.assert_allclose(
        result.probabilities, expected, atol=1e-6, equal_nan=True
    )
    assert result.lengths.tolist() == LENGTHS
    assert result.tokens[1] == ["5", "5", "8"]
    assert result.class_names == ["0", "1", "2"]
    # A unidirectional stack reads each sequence once; a bidirectional one
    # reads every prefix (7 + 3 + 5 of them).
    assert counter.rows == (15 if bidirectional else 3)
    probabilities, tokens = result.sequence(2)
    assert probabilities.shape == (5, 3) and tokens == [
        "10",
        "2",
        "6",
        "3",
        "1",
    ]


@pytest.mark.parametrize("activation", ["sigmoid", None])
def test_one_unit_outputs_become_two_classes(activation):
    keras.utils.set_random_seed(2)
    model = SequenceClassifier(
        num_classes=1,
        vocab_size=12,
        units=4,
        bidirectional=True,
        activation=activation,
    )
    outputs = prefix_predictions(model, IDS, LENGTHS)[..., 0]
    positive = outputs if activation else 1.0 / (1.0 + np.exp(-outputs))
    result = semantic_accumulation(model, IDS)
    np.testing.assert_allclose(
        result.probabilities,
        np.stack([1.0 - positive, positive], axis=-1),
        atol=1e-6,
        equal_nan=True,
    )


def test_logits_go_through_a_softmax():
    keras.utils.set_random_seed(3)
    model = SequenceClassifier(
        num_classes=4, vocab_size=12, units=4, activation=None
    )
    logits = prefix_predictions(model, IDS, LENGTHS)
    exponentials = np.exp(logits - logits.max(-1, keepdims=True))
    expected = exponentials / exponentials.sum(-1, keepdims=True)
    result = semantic_accumulation(model, IDS)
    np.testing.assert_allclose(
        result.probabilities, expected, atol=1e-6, equal_nan=True
    )


@pytest.mark.parametrize("mask_value", [None, -1.0])
def test_feature_models(mask_value, rng):
    keras.utils.set_random_seed(4)
    model = SequenceClassifier(
        num_classes=2,
        input_dim=2,
        units=4,
        bidirectional=True,
        mask_value=mask_value,
    )
    features = rng.normal(size=(2, 5, 2)).astype("float32")
    lengths = [5, 5]
    if mask_value is not None:
        features[1, 3:] = mask_value
        lengths = [5, 3]
    expected = np.full((2, 5, 2), np.nan)
    for row, length in enumerate(lengths):
        for step in range(1, length + 1):
            expected[row, step - 1] = np.asarray(
                model(features[row : row + 1, :step])
            )[0]
    result = semantic_accumulation(model, features)
    assert result.tokens is None and result.lengths.tolist() == lengths
    np.testing.assert_allclose(
        result.probabilities, expected, atol=1e-6, equal_nan=True
    )
    single = semantic_accumulation(model, features[0])
    np.testing.assert_allclose(single.probabilities, expected[0], atol=1e-6)


def text_classifier():
    texts = ["a fine film", "a dull film indeed", "not fine at all"]
    vectorizer = Vectorizer({"text": text_vectorization()}).adapt(
        tf.data.Dataset.from_tensor_slices({"text": texts})
    )
    keras.utils.set_random_seed(5)
    model = SequenceClassifier(
        num_classes=1,
        vocab_size=vectorizer.vocabulary_size("text"),
        units=4,
        bidirectional=True,
    )
    model.preprocessor = TextClassifierPreprocessor(
        vectorizer, label_names=["negative", "positive"]
    )
    return model


def test_texts_through_a_preprocessor():
    model = text_classifier()
    texts = ["A fine film!", "not at all"]
    ids = model.preprocessor.model_inputs(texts)
    result = semantic_accumulation(model, texts)
    by_ids = semantic_accumulation(model, ids)
    np.testing.assert_allclose(
        result.probabilities, by_ids.probabilities, equal_nan=True
    )
    # The tokens the model read: "!" is not in the vocabulary.
    assert result.tokens == [
        ["a", "fine", "film", "[UNK]"],
        ["not", "at", "all"],
    ]
    assert result.class_names == ["negative", "positive"]
    single = semantic_accumulation(model, "not at all")
    assert single.probabilities.shape == (3, 2) and single.lengths == 3
    assert single.tokens == ["not", "at", "all"]
    np.testing.assert_allclose(
        single.probabilities, result.probabilities[1, :3], atol=1e-6
    )


def test_text_models_behind_their_vectorizer():
    vectorizer = keras.layers.TextVectorization(output_sequence_length=5)
    vectorizer.adapt(["a fine film", "a dull film indeed"])
    keras.utils.set_random_seed(6)
    classifier = SequenceClassifier(
        num_classes=2, vocab_size=vectorizer.vocabulary_size(), units=4
    )
    texts = ["a fine film", "a dull film indeed"]
    result = semantic_accumulation(TextModel(classifier, vectorizer), texts)
    ids = np.asarray(vectorizer(texts))
    expected = prefix_predictions(classifier, ids, [3, 4])
    np.testing.assert_allclose(
        result.probabilities, expected, atol=1e-6, equal_nan=True
    )
    assert result.tokens[1] == ["a", "dull", "film", "indeed"]


def test_arguments_are_checked():
    model = SequenceClassifier(num_classes=2, vocab_size=12, units=4)
    with pytest.raises(ValueError, match="at least one real"):
        semantic_accumulation(model, np.array([[3, 4], [0, 0]]))
    with pytest.raises(ValueError, match="`batch_size` must be a positive"):
        semantic_accumulation(model, IDS, batch_size=0)
    with pytest.raises(ValueError, match="has no preprocessor"):
        semantic_accumulation(model, "a text")
    result = semantic_accumulation(model, IDS)
    with pytest.raises(ValueError, match=r"`index` must be a row"):
        result.sequence(3)
    tagger = SequenceTagger(num_tags=3, vocab_size=12, units=4)
    with pytest.raises(ValueError, match="needs a classifier"):
        semantic_accumulation(tagger, IDS)
