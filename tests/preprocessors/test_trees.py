"""The tree classifier's preprocessor on a small vocabulary built here:
plain sentences through fallback trees, bracketed parses as they are,
label names, and its round trip through `preprocessor.json`."""

import numpy as np
import pytest

from rnnzoo.data.vectorizers import Vectorizer
from rnnzoo.data.vectorizers import token_lookup
from rnnzoo.preprocessors import TreeClassifierPreprocessor
from rnnzoo.preprocessors import load_preprocessor
from rnnzoo.preprocessors import sentence_tokens

WORDS = ["a", "fine", "film", "-lrb-", "-rrb-", "does", "n't"]


def tree_preprocessor(**options):
    vectorizer = Vectorizer({"tokens": token_lookup()}, lowercase=["tokens"])
    vectorizer.lookups["tokens"].set_vocabulary(["", "[UNK]", *WORDS])
    return TreeClassifierPreprocessor(vectorizer, **options)


def word_id(word):
    return WORDS.index(word) + 2


@pytest.mark.parametrize(
    "text, tokens",
    [
        (
            "A fine (short) film.",
            ["A", "fine", "-LRB-", "short", "-RRB-", "film", "."],
        ),
        ("It doesn't work", ["It", "does", "n't", "work"]),
        ("", []),
    ],
)
def test_sentences_are_split_as_the_treebank_splits_them(text, tokens):
    assert sentence_tokens(text) == tokens


def test_a_plain_sentence_is_read_through_its_fallback_tree():
    a, fine, film = (word_id(w) for w in ("a", "fine", "film"))
    inputs = tree_preprocessor().model_inputs(["A FINE film", "film"])
    # Balanced: ((a fine) film); the one-word sentence padded.
    np.testing.assert_array_equal(
        inputs["token_ids"], [[a, fine, 0, film, 0], [film, 0, 0, 0, 0]]
    )
    np.testing.assert_array_equal(
        inputs["children"][0], [[-1, -1], [-1, -1], [0, 1], [-1, -1], [2, 3]]
    )
    assert np.all(inputs["children"][1] == -1)
    right = tree_preprocessor(fallback="right_branching")
    inputs = right.model_inputs("a fine film")
    np.testing.assert_array_equal(inputs["token_ids"], [[a, fine, film, 0, 0]])
    np.testing.assert_array_equal(
        inputs["children"][0], [[-1, -1], [-1, -1], [-1, -1], [1, 2], [0, 3]]
    )


def test_a_bracketed_parse_keeps_its_shape_and_unknown_words_are_unk():
    inputs = tree_preprocessor().model_inputs(
        ["(S (NP (DT a) (NN zebra)) (VP (VBZ does) (RB n't)))"]
    )
    a, does, not_ = word_id("a"), word_id("does"), word_id("n't")
    np.testing.assert_array_equal(
        inputs["token_ids"], [[a, 1, 0, does, not_, 0, 0]]
    )
    np.testing.assert_array_equal(
        inputs["children"][0][-3:], [[-1, -1], [3, 4], [2, 5]]
    )


def test_an_empty_text_is_one_unknown_word():
    inputs = tree_preprocessor().model_inputs([""])
    np.testing.assert_array_equal(inputs["token_ids"], [[1]])
    np.testing.assert_array_equal(inputs["children"], [[[-1, -1]]])


def test_options_are_checked_and_said():
    with pytest.raises(ValueError, match="`fallback` must be one of"):
        tree_preprocessor(fallback="random")
    assert "balanced binary trees" in repr(tree_preprocessor())
    with pytest.raises(ValueError, match="must be a string or a list"):
        tree_preprocessor().model_inputs(np.zeros((2, 3)))


class _Model:
    num_classes = 2


def test_saved_with_a_preset_and_loaded_back(tmp_path):
    preprocessor = tree_preprocessor(
        fallback="left_branching", label_names=["negative", "positive"]
    )
    preprocessor.save(tmp_path)
    loaded = load_preprocessor(tmp_path, _Model(), {})
    assert type(loaded) is TreeClassifierPreprocessor
    assert loaded.get_config() == preprocessor.get_config()
    assert loaded.vectorizer.vocabulary("tokens") == ["", "[UNK]", *WORDS]
    np.testing.assert_array_equal(
        loaded.model_inputs(["a fine film"])["token_ids"],
        preprocessor.model_inputs(["a fine film"])["token_ids"],
    )


def test_label_names_come_from_the_dataset_or_say_binary():
    vectorizer = tree_preprocessor().vectorizer
    metadata = {"dataset": "sst_treebank"}

    class Five:
        num_classes = 5

    five = TreeClassifierPreprocessor.from_model(Five(), vectorizer, metadata)
    assert five.label_names[0] == "very negative"
    two = TreeClassifierPreprocessor.from_model(_Model(), vectorizer, metadata)
    assert two.label_names == ["negative", "positive"]
