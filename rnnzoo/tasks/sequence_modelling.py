"""Tasks whose model predicts the next step of its own input: language
modelling (one contiguous token stream, stateful truncated BPTT) and
polyphonic music modelling (piano rolls)."""

import math

import numpy as np
import tensorflow as tf

from rnnzoo.data import registry
from rnnzoo.data.formatting import LANGUAGE_MODEL_FEATURE
from rnnzoo.data.formatting import feature_size
from rnnzoo.data.formatting import truncate
from rnnzoo.data.language_modelling import tokenize
from rnnzoo.data.vectorizers import Vectorizer
from rnnzoo.data.vectorizers import token_lookup
from rnnzoo.tasks.metrics import NegativeLogLikelihoodPerStep
from rnnzoo.tasks.metrics import token_compile_arguments
from rnnzoo.tasks.registry import TaskShape
from rnnzoo.tasks.registry import register_task

# Steps of truncated backpropagation when a config sets none.
DEFAULT_BPTT = 35


def level_of(config: dict) -> str | None:
    """`"word"` or `"character"`: a config's `data.preprocessing.level`,
    else its dataset's."""
    preprocessing = config["data"].get("preprocessing") or {}
    info = registry.DATASETS.get(config["data"]["dataset"])
    return preprocessing.get("level") or (info.level if info else None)


class LanguageModelling(TaskShape):
    """The next word or character of a text."""

    name = registry.LANGUAGE_MODELLING
    title = "Language modelling"
    features = ("text", None)
    streamed = True

    def new_vectorizer(
        self, inputs, targets, vocabulary_size=None, standardize=None, **options
    ):
        self.reject_options(options)
        size = feature_size(vocabulary_size, LANGUAGE_MODEL_FEATURE)
        return Vectorizer({LANGUAGE_MODEL_FEATURE: token_lookup(size)})

    def adaptation_examples(self, examples, level=None, inputs=None):
        """Each text's tokens, at `level` (`"word"` or `"character"`)."""
        return examples.map(
            lambda example: {
                LANGUAGE_MODEL_FEATURE: tokenize(example["text"], level)
            }
        )

    def pipeline_options(self, config, seed=None, static=False):
        """Windows of `bptt` steps (from `data.preprocessing` or
        `data.sequence_length`, default `DEFAULT_BPTT`); the last, shorter
        window is dropped. Streams are not shuffled: no seed."""
        data = config["data"]
        options = self.preprocessing_options(config)
        options.setdefault("bptt", data.get("sequence_length") or DEFAULT_BPTT)
        options["drop_remainder"] = True
        return options

    def data_arguments(self, task_data, config, replicas=1):
        vectorizer = task_data.vectorizer
        feature = vectorizer.features[0]
        found = {
            "vocab_size": vectorizer.vocabulary_size(feature),
            "vocabulary": vectorizer.vocabulary(feature),
            "separator": "" if level_of(config) == "character" else " ",
        }
        if config["architecture"]["arguments"].get("stateful", True):
            batch_size = config["training"]["batch_size"]
            if batch_size % replicas:
                raise ValueError(
                    f"A stateful language model splits the batch over "
                    f"{replicas} replicas: batch_size must be a multiple "
                    f"of {replicas}, got batch_size={batch_size}"
                )
            found.update(stateful=True, batch_size=batch_size // replicas)
        return found

    def compile_arguments(self, model):
        return token_compile_arguments(model)

    def derived_metrics(self, metrics, config):
        """Adds bits per character for character-level models."""
        metrics = dict(metrics)
        if level_of(config) == "character" and "perplexity" in metrics:
            metrics["bits_per_character"] = math.log2(metrics["perplexity"])
        return metrics

    def synthetic_targets(self, model, x, shape, rng):
        return (rng.integers(1, model.vocab_size, shape).astype("int32"),)


class MusicModelling(TaskShape):
    """The next frame of a piano roll: which of the notes sound."""

    name = registry.MUSIC_MODELLING
    title = "Polyphonic music modelling"
    features = ("piano_roll", None)

    def formatter(
        self, vectorizer, inputs, targets, max_length, max_word_length=None
    ):
        def format_roll(example):
            roll = truncate(
                tf.cast(example[inputs], tf.float32),
                None if max_length is None else max_length + 1,
            )
            steps = tf.shape(roll)[0] - 1
            # Weights 1 on real frames: padding gets 0 when batched.
            return roll[:-1], roll[1:], tf.ones([steps], tf.float32)

        return format_roll, lambda x, y, weights: tf.shape(x)[0]

    def data_arguments(self, task_data, config, replicas=1):
        return {
            **super().data_arguments(task_data, config, replicas),
            "multi_hot": True,
        }

    def compile_arguments(self, model):
        from_logits = getattr(model, "activation", "auto") is None
        # Keras hands sample weights (0 on padded frames) to
        # `weighted_metrics` only: under `metrics` the NLL would average
        # the padded frames too.
        return {
            "loss": model.default_loss(),
            "metrics": [],
            "weighted_metrics": [
                NegativeLogLikelihoodPerStep(from_logits=from_logits)
            ],
        }

    def synthetic_targets(self, model, x, shape, rng):
        frames = (rng.random(shape) < 0.1).astype("float32")
        return frames, np.ones(shape[:2], "float32")


LANGUAGE_MODELLING = register_task(LanguageModelling())
MUSIC_MODELLING = register_task(MusicModelling())
