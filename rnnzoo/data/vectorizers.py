"""Vectorizers: the Keras preprocessing layers that turn a dataset's
strings into ids, adapted on its training split only, and saved beside a
model as assets.

A `Vectorizer` holds one `keras.layers.TextVectorization` (for a text to
split into words) or `keras.layers.StringLookup` (for tokens or tags
already split) per feature. In every layer id 0 is padding; adapted layers
map unknown tokens to id 1 (`[UNK]`).
"""

import json
from collections.abc import Mapping
from collections.abc import Sequence
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

START_TOKEN = "[start]"
END_TOKEN = "[end]"
# What Keras lookups write for a token outside the vocabulary.
UNKNOWN_TOKEN = "[UNK]"
CONFIG_FILE = "vectorizer.json"


@keras.saving.register_keras_serializable(package="rnnzoo")
def lower_and_split_punctuation(text):
    """Lowercases (Unicode-aware), removes HTML line breaks (`<br />`, as in
    IMDB reviews) and sets punctuation and symbols apart as tokens of their
    own; apostrophes stay inside words ("don't", "woman's"). Unicode
    separators and control characters (no-break space, `\\x85`, `\\u2028`)
    become spaces: as tokens they would break the one-token-per-line
    vocabulary file that Keras saves.

    Example:

    >>> lower_and_split_punctuation(tf.constant("Grünes Gras.<br />Ja!"))
    <tf.Tensor: shape=(), dtype=string, numpy=b'gr\\xc3\\xbcnes gras .  ja ! '>
    """
    text = tf.strings.lower(text, encoding="utf-8")
    text = tf.strings.regex_replace(text, r"<br\s*/?>|[\p{Z}\p{Cc}]", " ")
    return tf.strings.regex_replace(text, r"([^\p{L}\p{N}\s'])", r" \1 ")


def text_vectorization(
    max_tokens: int | None = None,
    standardize="rnnzoo>lower_and_split_punctuation",
) -> keras.layers.TextVectorization:
    """A `TextVectorization` that splits on whitespace and outputs ids.

    Args:
        max_tokens: Vocabulary size, padding and `[UNK]` included; `None`
            keeps every token seen in adaptation.
        standardize: A `TextVectorization` standardization; default
            `lower_and_split_punctuation`.
    """
    if standardize == "rnnzoo>lower_and_split_punctuation":
        standardize = lower_and_split_punctuation
    return keras.layers.TextVectorization(
        max_tokens=max_tokens, standardize=standardize, output_mode="int"
    )


def token_lookup(
    max_tokens: int | None = None, vocabulary: Sequence[str] | None = None
) -> keras.layers.StringLookup:
    """A `StringLookup` for tokens or tags that are already split.

    Args:
        max_tokens: Vocabulary size, padding and `[UNK]` included.
        vocabulary: A fixed vocabulary (e.g. the 17 UPOS tags): then there
            is no `[UNK]`, ids run 1..len(vocabulary), and an unknown value
            is an error.
    """
    return keras.layers.StringLookup(
        max_tokens=max_tokens,
        mask_token="",
        num_oov_indices=0 if vocabulary is not None else 1,
        vocabulary=None if vocabulary is None else list(vocabulary),
    )


def flatten(batch):
    """The values of a (possibly ragged) batch, as one 1D tensor."""
    if isinstance(batch, tf.RaggedTensor):
        return batch.flat_values
    return tf.reshape(batch, [-1])


def _reserve_tokens(layer, tokens):
    """Puts `tokens` first in an adapted layer's vocabulary."""
    vocabulary = layer.get_vocabulary(include_special_tokens=False)
    rest = [token for token in vocabulary if token not in tokens]
    limit = None
    if layer.get_config().get("max_tokens") is not None:
        special = len(layer.get_vocabulary()) - len(vocabulary)
        limit = layer.get_config()["max_tokens"] - special
    layer.set_vocabulary((list(tokens) + rest)[:limit])


class Vectorizer:
    """Turns the string features of raw examples into int32 ids.

    Args:
        lookups: Feature name to a `keras.layers.TextVectorization` or
            `keras.layers.StringLookup`.
        reserved_tokens: Feature name to tokens put first in its vocabulary
            after adaptation (`[start]` and `[end]` of a decoder's target),
            ids 2, 3, ...; they count within the layer's `max_tokens`.
        lowercase: Features whose strings are lowercased (Unicode-aware)
            before adaptation and lookup, e.g. a tagger's tokens, so that
            "The" and "the" share an id.

    Example:

    >>> vectorizer = Vectorizer({"text": text_vectorization()})
    >>> examples = tf.data.Dataset.from_tensor_slices(
    ...     {"text": ["a cat", "a dog"]})
    >>> vectorizer.adapt(examples).vocabulary("text")
    ['', '[UNK]', 'a', 'dog', 'cat']
    >>> vectorizer({"text": tf.constant("a dog")})["text"].numpy()
    array([2, 3], dtype=int32)
    """

    def __init__(
        self,
        lookups: Mapping[str, keras.layers.Layer],
        reserved_tokens: Mapping[str, Sequence[str]] | None = None,
        lowercase: Sequence[str] | None = None,
    ):
        for feature, layer in lookups.items():
            if not isinstance(
                layer,
                (keras.layers.TextVectorization, keras.layers.StringLookup),
            ):
                raise TypeError(
                    "Each lookup must be a keras.layers.TextVectorization "
                    f"or StringLookup, got {feature!r}: {type(layer).__name__}"
                )
        unknown = set(reserved_tokens or ()) - set(lookups)
        if unknown:
            raise ValueError(
                f"reserved_tokens names features without a lookup: "
                f"{sorted(unknown)}"
            )
        unknown = set(lowercase or ()) - set(lookups)
        if unknown:
            raise ValueError(
                f"lowercase names features without a lookup: {sorted(unknown)}"
            )
        self.lookups = dict(lookups)
        self.reserved_tokens = {
            feature: list(tokens)
            for feature, tokens in (reserved_tokens or {}).items()
        }
        self.lowercase = [
            feature for feature in lookups if feature in (lowercase or ())
        ]

    @property
    def features(self) -> list[str]:
        return list(self.lookups)

    def adapt(self, examples: tf.data.Dataset, batch_size: int = 256):
        """Adapts every lookup without a fixed vocabulary on `examples`.

        Pass the training split only: validation and test words must stay
        unknown to the vocabulary, as they are to the model.

        Args:
            examples: A dataset of dicts holding the vectorizer's features.
            batch_size: Examples per adaptation batch.

        Returns:
            The vectorizer, adapted.
        """
        for feature, layer in self.lookups.items():
            if layer.get_config().get("vocabulary") is not None:
                continue
            values = examples.map(
                lambda example, f=feature: self.standardize(f, example[f])
            )
            if isinstance(layer, keras.layers.TextVectorization):
                values = values.batch(batch_size)
            else:
                values = values.map(lambda v: tf.reshape(v, [-1]))
                values = values.ragged_batch(batch_size).map(flatten)
            layer.adapt(values)
            if feature in self.reserved_tokens:
                _reserve_tokens(layer, self.reserved_tokens[feature])
        return self

    def __call__(self, example: Mapping) -> dict:
        """Vectorizes the features of one example (or batch) it has a
        lookup for; other features pass through unchanged."""
        return {
            feature: self.vectorize(feature, value)
            if feature in self.lookups
            else value
            for feature, value in example.items()
        }

    def standardize(self, feature: str, values):
        """`values` lowercased if `feature` is one of `lowercase`, else
        as they are."""
        if feature in self.lowercase:
            return tf.strings.lower(values, encoding="utf-8")
        return values

    def vectorize(self, feature: str, values):
        """int32 ids of `values` (a text, or a sequence of tokens)."""
        values = self.standardize(feature, values)
        return tf.cast(self.lookups[feature](values), tf.int32)

    def tokens(self, feature: str, texts) -> list[list[str]]:
        """The words of each of `texts`, one per id that `vectorize` gives:
        what an unknown id stood for, e.g. to copy it to a translation.

        Args:
            feature: A text feature (split by a `TextVectorization`).
            texts: A list of strings.

        Example:

        >>> vectorizer = Vectorizer({"text": text_vectorization()})
        >>> vectorizer.tokens("text", ["Grünes Gras."])
        [['grünes', 'gras', '.']]
        """
        layer = self.lookups[feature]
        if not isinstance(layer, keras.layers.TextVectorization):
            raise ValueError(
                f"`feature` must be a text feature split into words by a "
                f"TextVectorization, got feature={feature!r} with a "
                f"{type(layer).__name__}"
            )
        values = self.standardize(feature, tf.constant(texts, dtype=tf.string))
        # `vectorize` numbers exactly what the layer's own standardization
        # and split give; Keras has no public call for that step alone.
        split = layer._preprocess(values)
        return [[t.decode("utf-8") for t in row] for row in split.to_list()]

    def vocabulary(self, feature: str) -> list[str]:
        """The vocabulary of `feature`, id order, padding and `[UNK]`
        included."""
        return [
            token.decode("utf-8") if isinstance(token, bytes) else str(token)
            for token in self.lookups[feature].get_vocabulary()
        ]

    def vocabulary_size(self, feature: str) -> int:
        """Number of ids of `feature`, padding included: the `vocab_size`
        of a model's embedding, or `num_tags` of a tagger."""
        return int(self.lookups[feature].vocabulary_size())

    def token_id(self, feature: str, token: str) -> int:
        """The id of `token` in `feature`'s vocabulary."""
        vocabulary = self.vocabulary(feature)
        if token not in vocabulary:
            raise ValueError(f"{token!r} is not in the {feature!r} vocabulary")
        return vocabulary.index(token)

    def decode(self, feature: str, ids) -> list[str]:
        """Tokens of `ids`, padding (id 0) left out."""
        vocabulary = self.vocabulary(feature)
        ids = np.asarray(ids).reshape(-1)
        return [vocabulary[i] for i in ids if i != 0]

    def get_config(self) -> dict:
        """The lookups' configurations, without their vocabularies (those
        are assets)."""
        return {
            "lookups": {
                feature: keras.saving.serialize_keras_object(layer)
                for feature, layer in self.lookups.items()
            },
            "reserved_tokens": self.reserved_tokens,
            "lowercase": list(self.lowercase),
        }

    @classmethod
    def from_config(cls, config: Mapping):
        lookups = {
            feature: keras.saving.deserialize_keras_object(layer_config)
            for feature, layer_config in config["lookups"].items()
        }
        return cls(
            lookups, config.get("reserved_tokens"), config.get("lowercase")
        )

    def save_assets(self, directory) -> None:
        """Writes the configuration and each vocabulary into `directory`.

        Same contract as a Keras layer's `save_assets`, so a preset stores a
        vectorizer under `assets/<name>/`. Vocabularies are JSON lists, so
        any token survives, newline characters included.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / CONFIG_FILE).write_text(
            json.dumps(self.get_config(), indent=2)
        )
        for feature in self.lookups:
            (directory / f"{feature}.vocabulary.json").write_text(
                json.dumps(self.vocabulary(feature), ensure_ascii=False)
            )

    def load_assets(self, directory) -> None:
        """Restores each vocabulary written by `save_assets`."""
        directory = Path(directory)
        for feature, layer in self.lookups.items():
            path = directory / f"{feature}.vocabulary.json"
            if not path.exists():
                raise FileNotFoundError(
                    f"No vocabulary for {feature!r}: expected {path}"
                )
            layer.set_vocabulary(json.loads(path.read_text()))

    @classmethod
    def from_assets(cls, directory):
        """Rebuilds a vectorizer saved with `save_assets`."""
        path = Path(directory) / CONFIG_FILE
        if not path.exists():
            raise FileNotFoundError(
                f"{directory} holds no vectorizer: expected {path}"
            )
        vectorizer = cls.from_config(json.loads(path.read_text()))
        vectorizer.load_assets(directory)
        return vectorizer

    def __repr__(self):
        sizes = ", ".join(
            f"{feature}: {self.vocabulary_size(feature)}"
            for feature in self.lookups
        )
        return f"Vectorizer({sizes})"
