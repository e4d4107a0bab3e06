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


def _is_strings(x) -> bool:
    """Whether `x` is a batch of strings (after `as_string_batch`)."""
    dtype = getattr(x, "dtype", None)
    return dtype is not None and (
        getattr(dtype, "kind", None) in ("O", "U", "S")
        or str(dtype) in ("string", "<dtype: 'string'>")
    )


@keras.saving.register_keras_serializable(package="rnnzoo")
class TextModel(keras.Model):
    """A token model behind its vectorizer, so it takes raw strings.

    The vectorizer (a `keras.layers.TextVectorization` or any layer mapping
    a `(batch,)` string tensor to `(batch, T)` token ids, 0 for padding) and
    the token model form one functional model: it saves, loads and exports
    as one, with the vocabulary as an asset of the preset.

    On TensorFlow the strings run through the model's own graph. Other
    backends hold no strings, so there (as keras-hub's preprocessors)
    `fit`, `evaluate`, `predict` and calls turn the strings into token ids
    first, eagerly or in the `tf.data` pipeline, and the compiled steps see
    only the ids.

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
        inputs = as_string_batch(inputs)
        if keras.backend.backend() == "tensorflow":
            return super().__call__(inputs, *args, **kwargs)
        if _is_strings(inputs):
            inputs = self.vectorizer(inputs)
        return self.model(inputs, *args, **kwargs)

    def call(self, inputs, training=None, mask=None):
        # Off TensorFlow the trainer's steps call `call` with token ids.
        if keras.backend.backend() == "tensorflow" or _is_strings(inputs):
            return super().call(inputs, training=training, mask=mask)
        return self.model(inputs, training=training)

    def token_ids(self, x):
        """`x` with its strings turned into token ids off TensorFlow (where
        the model itself reads strings, only made an array): a batch of
        strings, or a `tf.data.Dataset` whose elements, or their first
        part, are string batches. Anything else comes back as it is."""
        x = as_string_batch(x)
        if keras.backend.backend() == "tensorflow":
            return x
        if _is_strings(x):
            return keras.ops.convert_to_numpy(self.vectorizer(x))
        import tensorflow as tf

        if isinstance(x, tf.data.Dataset):
            first = x.element_spec
            if isinstance(first, tuple):
                first = first[0]
            if getattr(first, "dtype", None) != tf.string:
                # Already ids (`fit` evaluates on the data it was given).
                return x
            vectorize = self.vectorizer

            def vectorize_first(*element):
                if len(element) == 1:
                    return vectorize(element[0])
                return (vectorize(element[0]), *element[1:])

            return x.map(vectorize_first)
        return x

    def predict(self, x, *args, **kwargs):
        return super().predict(self.token_ids(x), *args, **kwargs)

    def evaluate(self, x=None, *args, **kwargs):
        return super().evaluate(self.token_ids(x), *args, **kwargs)

    def fit(self, x=None, *args, **kwargs):
        validation = kwargs.get("validation_data")
        if isinstance(validation, (list, tuple)) and validation:
            kwargs["validation_data"] = (
                self.token_ids(validation[0]),
                *validation[1:],
            )
        elif validation is not None:
            kwargs["validation_data"] = self.token_ids(validation)
        return super().fit(self.token_ids(x), *args, **kwargs)

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
