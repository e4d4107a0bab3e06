"""Tasks with one answer per sequence: text classification, time-series
classification and forecasting."""

import keras
import tensorflow as tf

from rnnzoo.data import registry
from rnnzoo.data.formatting import as_float
from rnnzoo.data.formatting import text_ids
from rnnzoo.data.formatting import truncate
from rnnzoo.data.vectorizers import Vectorizer
from rnnzoo.tasks.registry import TaskShape
from rnnzoo.tasks.registry import register_task


def _steps(x, *rest):
    return tf.shape(x)[0]


def _class_targets(model, batch, rng):
    """Random labels in the form the model's head expects."""
    units = model.output_units
    if units == 1:
        return (rng.integers(0, 2, (batch,)).astype("float32"),)
    if model.output_activation == "sigmoid":
        return (rng.integers(0, 2, (batch, units)).astype("float32"),)
    return (rng.integers(0, model.num_classes, (batch,)).astype("int32"),)


class TextClassification(TaskShape):
    """A label per text (sentiment, topic); the model takes raw strings."""

    name = registry.TEXT_CLASSIFICATION
    title = "Text classification"
    features = ("text", "label")
    class_labels = True
    text_input = True

    def new_vectorizer(
        self, inputs, targets, vocabulary_size=None, standardize=None, **options
    ):
        self.reject_options(options)
        return Vectorizer(
            {inputs: text_ids(vocabulary_size, inputs, standardize)}
        )

    def formatter(
        self, vectorizer, inputs, targets, max_length, max_word_length=None
    ):
        def format_text(example):
            ids = truncate(
                vectorizer.vectorize(inputs, example[inputs]), max_length
            )
            return ids, tf.cast(example[targets], tf.int32)

        return format_text, _steps

    def data_arguments(self, task_data, config, replicas=1):
        vectorizer = task_data.vectorizer
        return {
            "vocab_size": vectorizer.vocabulary_size(vectorizer.features[0])
        }

    def synthetic_targets(self, model, x, shape, rng):
        return _class_targets(model, shape[0], rng)


class TimeSeriesClassification(TaskShape):
    """A label per series of feature vectors (or per image, read row by
    row as a series)."""

    name = registry.TIME_SERIES_CLASSIFICATION
    title = "Time-series classification"
    features = ("series", "label")
    class_labels = True

    def default_features(self, element_spec):
        if "series" not in element_spec:
            return ("image", "label")
        return self.features

    def formatter(
        self, vectorizer, inputs, targets, max_length, max_word_length=None
    ):
        def format_series(example):
            series = truncate(as_float(example[inputs]), max_length)
            return series, tf.cast(example[targets], tf.int32)

        return format_series, _steps

    def synthetic_targets(self, model, x, shape, rng):
        return _class_targets(model, shape[0], rng)


class Forecasting(TaskShape):
    """The next values of a series from a window of its past."""

    name = registry.FORECASTING
    title = "Forecasting"
    features = ("series", "target")

    def formatter(
        self, vectorizer, inputs, targets, max_length, max_word_length=None
    ):
        def format_window(example):
            # The most recent steps are the ones a forecast needs.
            series = as_float(example[inputs])
            if max_length is not None:
                series = series[-max_length:]
            return series, as_float(example[targets])

        return format_window, _steps

    def compile_arguments(self, model):
        return {
            "loss": keras.losses.MeanSquaredError(),
            "metrics": [
                keras.metrics.MeanAbsoluteError(name="mean_absolute_error"),
                keras.metrics.RootMeanSquaredError(
                    name="root_mean_squared_error"
                ),
            ],
        }

    def synthetic_targets(self, model, x, shape, rng):
        targets = rng.normal(size=(shape[0], model.output_dim))
        return (targets.astype("float32"),)


TEXT_CLASSIFICATION = register_task(TextClassification())
TIME_SERIES_CLASSIFICATION = register_task(TimeSeriesClassification())
FORECASTING = register_task(Forecasting())
