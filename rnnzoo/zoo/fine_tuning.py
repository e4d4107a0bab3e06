"""Fine-tuning a published model on a user's texts with words its
vocabulary lacks: `extend_vocabulary` adds them, keeping every pretrained
weight (the embedding rows of the known words included).

By default a fine-tuned model keeps the preset's vocabulary, and unknown
words map to `[UNK]`; this is for when the user asks for more.
"""

import tensorflow as tf

from rnnzoo.data.vectorizers import Vectorizer
from rnnzoo.models.raw_inputs import require_preprocessor
from rnnzoo.models.raw_inputs import text_batch
from rnnzoo.preprocessors import TaggerPreprocessor
from rnnzoo.preprocessors import TextClassifierPreprocessor
from rnnzoo.zoo.registry import model_arguments
from rnnzoo.zoo.registry import transfer_weights


def _new_words(preprocessor, texts) -> tuple[str, list[str]]:
    """The vectorizer feature to extend and the words of `texts` it lacks,
    most frequent first."""
    vectorizer = preprocessor.vectorizer
    if isinstance(preprocessor, TextClassifierPreprocessor):
        feature = preprocessor.feature
        # A fresh copy of the layer splits and standardizes as it does.
        layer = vectorizer.lookups[feature]
        config = {**layer.get_config(), "max_tokens": None, "vocabulary": None}
        fresh = type(layer).from_config(config)
        fresh.adapt(tf.constant(text_batch("texts", texts)))
        found = fresh.get_vocabulary(include_special_tokens=False)
    elif isinstance(preprocessor, TaggerPreprocessor):
        feature = preprocessor.tokens_feature
        counts = {}
        for tokens in preprocessor.tokenize(texts):
            for token in tokens:
                if feature in vectorizer.lowercase:
                    token = token.lower()
                counts[token] = counts.get(token, 0) + 1
        found = sorted(counts, key=lambda token: -counts[token])
    else:
        raise ValueError(
            "extend_vocabulary takes a text classifier or a tagger, got a "
            f"model with a {type(preprocessor).__name__}"
        )
    known = set(vectorizer.vocabulary(feature))
    return feature, [word for word in found if word not in known]


def _extended_vectorizer(vectorizer, feature, words) -> Vectorizer:
    layer = vectorizer.lookups[feature]
    config = {**layer.get_config(), "max_tokens": None, "vocabulary": None}
    extended = type(layer).from_config(config)
    extended.set_vocabulary(vectorizer.vocabulary(feature) + list(words))
    return Vectorizer(
        {**vectorizer.lookups, feature: extended},
        vectorizer.reserved_tokens,
        vectorizer.lowercase,
    )


def extend_vocabulary(model, texts):
    """A copy of `model` whose vocabulary also holds the words of `texts`.

    The new words are appended to the preprocessor's vocabulary (so the
    known words keep their ids) and get fresh embedding rows; every other
    weight is the model's. Fine-tune the result on the same texts.

    Args:
        model: A text classifier or tagger with a `preprocessor`, e.g.
            `rnnzoo.create_model(NAME.TAG, pretrained=True, num_classes=3)`.
        texts: The user's texts (sentences for a tagger).

    Returns:
        The extended model, with its extended preprocessor.

    Example:

    >>> model = rnnzoo.create_model(
    ...     "sentiment_skip_rnn.sst2", pretrained=True)  # doctest: +SKIP
    >>> extended = extend_vocabulary(
    ...     model, ["a zoetrope of a film"])  # doctest: +SKIP
    """
    preprocessor = require_preprocessor(model, "extend_vocabulary")
    feature, words = _new_words(preprocessor, texts)
    vectorizer = _extended_vectorizer(preprocessor.vectorizer, feature, words)
    size = vectorizer.vocabulary_size(feature)
    extended = type(model)(**{**model_arguments(model), "vocab_size": size})
    transfer_weights(model, extended, overlap=True)
    extended.preprocessor = type(preprocessor).from_config(
        preprocessor.get_config(), vectorizer
    )
    return extended
