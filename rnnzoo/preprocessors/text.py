"""Preprocessors of the text tasks that read one text and give labels:
classifiers (a label per text) and taggers (a tag per token)."""

import re

import numpy as np
import tensorflow as tf

from rnnzoo.data.formatting import CHARACTERS_FEATURE
from rnnzoo.data.formatting import character_ids
from rnnzoo.models.characters import CHARACTER_IDS
from rnnzoo.models.characters import TOKEN_IDS
from rnnzoo.models.raw_inputs import is_token_lists
from rnnzoo.models.raw_inputs import text_batch
from rnnzoo.preprocessors.base import Preprocessor
from rnnzoo.preprocessors.base import check_vectorizer
from rnnzoo.preprocessors.base import dataset_label_names
from rnnzoo.preprocessors.base import register_preprocessor

# Universal Dependencies (and Penn Treebank) style: common abbreviations
# kept with their period ("Mr."), clitics split off
# ("do" "n't", "woman" "'s"), words with inner hyphens or numbers with
# inner separators ("well-known", "3.5", "1,000") kept whole, and any other
# non-space character a token of its own.
_TOKEN = re.compile(
    # Abbreviations that keep their period, as in the treebanks.
    r"\b(?:Mr|Mrs|Ms|Dr|Prof|St|Jr|Sr|vs|etc|Inc|Ltd|Co|e\.g|i\.e)\."
    r"|(?i:n't)\b"
    r"|\w+(?=(?i:n't)\b)"
    r"|'(?i:s|re|ve|ll|d|m)\b"
    r"|\w+(?:[-.,]\w+)*"
    r"|[^\w\s]"
)


def split_words(text: str) -> list[str]:
    """Splits a sentence into words and punctuation, keeping case.

    Example:

    >>> split_words("I love it, don't you? It's well-known.")
    ['I', 'love', 'it', ',', 'do', "n't", 'you', '?', 'It', "'s", \
'well-known', '.']
    """
    return _TOKEN.findall(text)


def pad_rows(rows, min_length: int = 1) -> np.ndarray:
    """Rows of ids as one int32 array, right-padded with 0 to the longest
    row (at least `min_length` steps, so an empty text still has one
    masked step)."""
    length = max([len(row) for row in rows] + [min_length])
    batch = np.zeros((len(rows), length), dtype="int32")
    for i, row in enumerate(rows):
        batch[i, : len(row)] = row
    return batch


@register_preprocessor("text_classification")
class TextClassifierPreprocessor(Preprocessor):
    """Texts in, token ids out; class ids back to label names.

    Args:
        vectorizer: The run's `Vectorizer`.
        feature: The vectorizer's text feature; default its first.
        label_names: Names of the classes (index = class id), or `None`.

    Example:

    >>> from rnnzoo.data.vectorizers import Vectorizer, text_vectorization
    >>> vectorizer = Vectorizer({"text": text_vectorization()}).adapt(
    ...     tf.data.Dataset.from_tensor_slices(
    ...         {"text": ["a fine film", "a film", "a"]}))
    >>> preprocessor = TextClassifierPreprocessor(
    ...     vectorizer, label_names=["negative", "positive"])
    >>> preprocessor.model_inputs(["A fine film!", ""])
    array([[2, 4, 3, 1],
           [0, 0, 0, 0]], dtype=int32)
    """

    def __init__(self, vectorizer=None, feature=None, label_names=None):
        super().__init__(vectorizer, label_names)
        if vectorizer is not None:
            self.feature = feature or vectorizer.features[0]
            check_vectorizer(self, [self.feature])
        else:
            self.feature = feature

    def model_inputs(self, raw):
        texts = text_batch("x", raw)
        if self.vectorizer is None:
            raise ValueError(
                "This classifier reads numeric sequences, not text: pass an "
                "array (batch, steps, features)."
            )
        ids = self.vectorizer.vectorize(self.feature, tf.constant(texts))
        return pad_rows([row[row > 0] for row in ids.numpy()])

    def get_config(self):
        return {**super().get_config(), "feature": self.feature}

    @classmethod
    def from_model(cls, model, vectorizer, metadata):
        return cls(vectorizer, label_names=dataset_label_names(metadata))


@register_preprocessor("time_series_classification")
class SeriesClassifierPreprocessor(Preprocessor):
    """Label names for a classifier of numeric sequences; inputs are the
    model's arrays `(batch, steps, features)` as they are."""

    needs_vectorizer = False


@register_preprocessor("tagging")
class TaggerPreprocessor(Preprocessor):
    """Sentences in, token (and character) ids out; tag ids back to names.

    A sentence is a string, split into words and punctuation by
    `split_words` (or a list of tokens, split already). The vectorizer
    lowercases the tokens if the model was trained so.

    Args:
        vectorizer: The run's `Vectorizer`.
        tokens_feature: The feature of the tokens; default its first.
        tags_feature: The feature of the tags; default its second.
        max_word_length: Characters kept per word, for a tagger with
            character features; `None` without them.
    """

    def __init__(
        self,
        vectorizer=None,
        tokens_feature=None,
        tags_feature=None,
        max_word_length=None,
        label_names=None,
    ):
        super().__init__(vectorizer, label_names)
        features = vectorizer.features if vectorizer is not None else []
        self.tokens_feature = tokens_feature or features[0]
        self.tags_feature = tags_feature or features[1]
        self.max_word_length = max_word_length
        required = [self.tokens_feature, self.tags_feature]
        if max_word_length is not None:
            required.append(CHARACTERS_FEATURE)
        check_vectorizer(self, required)
        if self.label_names is None:
            self.label_names = vectorizer.vocabulary(self.tags_feature)

    def tokenize(self, raw) -> list[list[str]]:
        """Sentences as lists of tokens (lists pass unchanged)."""
        if is_token_lists(raw):
            return [list(row) for row in raw]
        return [split_words(text) for text in text_batch("texts", raw)]

    def model_inputs(self, raw):
        sentences = self.tokenize(raw)
        token_rows, character_rows = [], []
        for tokens in sentences:
            values = tf.constant(tokens, dtype=tf.string)
            token_rows.append(
                self.vectorizer.vectorize(self.tokens_feature, values).numpy()
            )
            if self.max_word_length is not None:
                character_rows.append(
                    character_ids(
                        self.vectorizer, values, self.max_word_length
                    ).numpy()
                )
        token_ids = pad_rows(token_rows)
        if self.max_word_length is None:
            return token_ids
        characters = np.zeros(
            token_ids.shape + (self.max_word_length,), "int32"
        )
        for i, row in enumerate(character_rows):
            characters[i, : len(row)] = row
        return {TOKEN_IDS: token_ids, CHARACTER_IDS: characters}

    def get_config(self):
        return {
            **super().get_config(),
            "tokens_feature": self.tokens_feature,
            "tags_feature": self.tags_feature,
            "max_word_length": self.max_word_length,
        }

    @classmethod
    def from_model(cls, model, vectorizer, metadata):
        max_word_length = None
        if getattr(model, "character_vocab_size", None):
            max_word_length = getattr(model, "max_word_length", None) or (
                metadata.get("pipeline", {}).get("max_word_length")
            )
        return cls(vectorizer, max_word_length=max_word_length)
