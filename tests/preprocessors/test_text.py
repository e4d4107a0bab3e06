"""The text preprocessors on small vocabularies built here."""

import numpy as np
import pytest
import tensorflow as tf

from rnnzoo.data.registry import TAGGING
from rnnzoo.data.vectorizers import Vectorizer
from rnnzoo.data.vectorizers import text_vectorization
from rnnzoo.preprocessors import TaggerPreprocessor
from rnnzoo.preprocessors import TextClassifierPreprocessor
from rnnzoo.preprocessors import split_words
from rnnzoo.preprocessors.text import pad_rows
from rnnzoo.tasks import get_task


@pytest.mark.parametrize(
    "text, tokens",
    [
        ("I love this movie .", ["I", "love", "this", "movie", "."]),
        ("Don't go!", ["Do", "n't", "go", "!"]),
        ("the woman's hat", ["the", "woman", "'s", "hat"]),
        ("Mr. Smith, e.g. here", ["Mr.", "Smith", ",", "e.g.", "here"]),
        ("3.5 or 1,000 well-known", ["3.5", "or", "1,000", "well-known"]),
        ("end.", ["end", "."]),
        ("", []),
    ],
)
def test_split_words(text, tokens):
    assert split_words(text) == tokens


def test_pad_rows_keeps_one_step_for_empty_rows():
    np.testing.assert_array_equal(pad_rows([[]]), [[0]])
    np.testing.assert_array_equal(pad_rows([[5, 6], [7]]), [[5, 6], [7, 0]])


def classifier_preprocessor(label_names=("negative", "positive")):
    vectorizer = Vectorizer({"text": text_vectorization()})
    vectorizer.adapt(
        tf.data.Dataset.from_tensor_slices(
            {"text": ["a fine film", "a film", "a"]}
        )
    )
    return TextClassifierPreprocessor(vectorizer, label_names=label_names)


def test_classifier_inputs_and_labels():
    preprocessor = classifier_preprocessor()
    # a=2, film=3, fine=4 by frequency; unknown words are [UNK], id 1.
    np.testing.assert_array_equal(
        preprocessor.model_inputs(["A fine zebra", "film", ""]),
        [[2, 4, 1], [3, 0, 0], [0, 0, 0]],
    )
    np.testing.assert_array_equal(
        preprocessor.label_ids(["positive", "negative"]), [1, 0]
    )
    assert preprocessor.label_name(1) == "positive"
    with pytest.raises(ValueError, match="Unknown label 'meh'.*'positive'"):
        preprocessor.label_ids(["meh"])
    with pytest.raises(ValueError, match="`x` must be a string or a list"):
        preprocessor.model_inputs(np.array([[1, 2]]))


def test_classifier_without_label_names():
    preprocessor = classifier_preprocessor(label_names=None)
    assert preprocessor.label_name(1) == 1
    with pytest.raises(ValueError, match="`y` holds strings"):
        preprocessor.label_ids(["positive"])


def tagger_preprocessor():
    vectorizer = get_task(TAGGING).new_vectorizer(
        "tokens", "upos", characters=True, lowercase=True
    )
    examples = tf.data.Dataset.from_tensor_slices(
        {"tokens": [["the", "cat", "sat"]], "upos": [["DET", "NOUN", "VERB"]]}
    )
    vectorizer.adapt(
        get_task(TAGGING).adaptation_examples(examples, inputs="tokens")
    )
    return TaggerPreprocessor(vectorizer, max_word_length=4)


def test_tagger_inputs_lowercase_words_and_cut_characters():
    preprocessor = tagger_preprocessor()
    vocabulary = preprocessor.vectorizer.vocabulary("tokens")
    characters = preprocessor.vectorizer.vocabulary("characters")
    inputs = preprocessor.model_inputs([["The", "cat"], ["sat", "down", "."]])
    np.testing.assert_array_equal(
        inputs["token_ids"],
        [
            [vocabulary.index("the"), vocabulary.index("cat"), 0],
            [vocabulary.index("sat"), 1, 1],
        ],
    )
    # Characters keep their case: "T" was never seen, so it is [UNK].
    the = [1, characters.index("h"), characters.index("e"), 0]
    np.testing.assert_array_equal(inputs["character_ids"][0, 0], the)
    assert inputs["character_ids"].shape == (2, 3, 4)
    # The tag names are the UPOS vocabulary, padding first.
    assert preprocessor.label_names[:3] == ["", "ADJ", "ADP"]
    assert len(preprocessor.label_names) == 18
    assert preprocessor.tokenize("The cat.") == [["The", "cat", "."]]
