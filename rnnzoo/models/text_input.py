"""Raw-string input for token models: a vectorizer that travels inside."""

import keras
import numpy as np


def as_string_batch(x):
    """Turns Python strings or a NumPy unicode array into an object array.

    Keras converts a list of `str` into a NumPy unicode array, whose dtype it
    cannot feed to a string input; an object array it can.
    """
    if isinstance(x, str):
        x = [x]
    if isinstance(x, (list, tuple)) and all(isinstance(s, str) for s in x):
        return np.array(x, dtype=object)
    if isinstance(x, np.ndarray) and x.dtype.kind == "U":
        return x.astype(object)
    return x


@keras.saving.register_keras_serializable(package="rnnzoo")
class TextModel(keras.Model):
    """A token model behind its vectorizer, so it takes raw strings.

    The vectorizer (a `keras.layers.TextVectorization` or any layer mapping
    a `(batch,)` string tensor to `(batch, T)` token ids, 0 for padding) and
    the token model form one functional model: it saves, loads and exports
    as one, with the vocabulary as an asset of the preset.

    Args:
        model: A token model, e.g. `SequenceClassifier(vocab_size=...)`.
        vectorizer: The layer that turns strings into the model's ids.
        **kwargs: Arguments of `keras.Model` (`name`, ...).

    Call arguments:
        inputs: `(batch,)` strings.

    Example:

    >>> vectorizer = keras.layers.TextVectorization()
    >>> vectorizer.adapt(["a fine film", "a dull film"])
    >>> classifier = SequenceClassifier(
    ...     num_classes=1, vocab_size=vectorizer.vocabulary_size(), units=4)
    >>> TextModel(classifier, vectorizer).predict(
    ...     ["a fine film"], verbose=0).shape
    (1, 1)
    """

    def __init__(self, model, vectorizer, **kwargs):
        text = keras.Input(shape=(), dtype="string", name="text")
        outputs = model(vectorizer(text))
        super().__init__(inputs=text, outputs=outputs, **kwargs)
        self.model = model
        self.vectorizer = vectorizer

    def __call__(self, inputs, *args, **kwargs):
        return super().__call__(as_string_batch(inputs), *args, **kwargs)

    def predict(self, x, *args, **kwargs):
        return super().predict(as_string_batch(x), *args, **kwargs)

    def evaluate(self, x=None, *args, **kwargs):
        return super().evaluate(as_string_batch(x), *args, **kwargs)

    def fit(self, x=None, *args, **kwargs):
        return super().fit(as_string_batch(x), *args, **kwargs)

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "model": keras.saving.serialize_keras_object(self.model),
            "vectorizer": keras.saving.serialize_keras_object(self.vectorizer),
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        model = keras.saving.deserialize_keras_object(config.pop("model"))
        vectorizer = keras.saving.deserialize_keras_object(
            config.pop("vectorizer")
        )
        return cls(model, vectorizer, **config)
