"""Sequence tagging: a tag per token (parts of speech), optionally with
each token's characters as a second input."""

import tensorflow as tf

from rnnzoo.data import registry
from rnnzoo.data.conllu import UPOS_TAGS
from rnnzoo.data.formatting import CHARACTERS_FEATURE
from rnnzoo.data.formatting import character_ids
from rnnzoo.data.formatting import feature_size
from rnnzoo.data.formatting import truncate
from rnnzoo.data.vectorizers import Vectorizer
from rnnzoo.data.vectorizers import token_lookup
from rnnzoo.models.characters import CHARACTER_IDS
from rnnzoo.models.characters import TOKEN_IDS
from rnnzoo.tasks.metrics import MaskedAccuracy
from rnnzoo.tasks.registry import TaskShape
from rnnzoo.tasks.registry import register_task

# Characters per word of a tagger with character features that does not
# fix `max_word_length` (99.9% of UD English EWT words are shorter).
DEFAULT_MAX_WORD_LENGTH = 20


def _token_steps(x, y):
    if isinstance(x, dict):
        x = x[TOKEN_IDS]
    return tf.shape(x)[0]


def _has_heads(model) -> bool:
    return bool(getattr(model, "language_model_heads", False))


class Tagging(TaskShape):
    """A tag per token; the vectorizer looks up tokens, tags and, for a
    tagger with character features, the tokens' characters."""

    name = registry.TAGGING
    title = "Sequence tagging"
    features = ("tokens", "upos")
    takes_characters = True

    def new_vectorizer(
        self,
        inputs,
        targets,
        vocabulary_size=None,
        standardize=None,
        characters: bool = False,
        lowercase: bool = False,
    ):
        """Token and tag lookups (see `TaskShape.new_vectorizer`).

        Args:
            characters: Also a lookup of the tokens' characters (feature
                `CHARACTERS_FEATURE`).
            lowercase: Lowercase the tokens before their lookup (their
                characters keep their case).
        """
        tags = UPOS_TAGS if targets == "upos" else None
        lookups = {
            inputs: token_lookup(feature_size(vocabulary_size, inputs)),
            targets: token_lookup(vocabulary=tags),
        }
        if characters:
            lookups[CHARACTERS_FEATURE] = token_lookup(
                feature_size(vocabulary_size, CHARACTERS_FEATURE)
            )
        return Vectorizer(lookups, lowercase=[inputs] if lowercase else None)

    def adaptation_examples(self, examples, level=None, inputs=None):
        """With `inputs` given, the characters of those tokens are added
        as `CHARACTERS_FEATURE`."""
        if inputs is None:
            return examples
        return examples.map(
            lambda example: {
                **example,
                CHARACTERS_FEATURE: tf.strings.unicode_split(
                    example[inputs], "UTF-8"
                ).flat_values,
            }
        )

    def formatter(
        self, vectorizer, inputs, targets, max_length, max_word_length=None
    ):
        """With `max_word_length`, the inputs are `{TOKEN_IDS: ids,
        CHARACTER_IDS: character_ids(...)}`."""

        def format_tokens(example):
            ids = truncate(
                vectorizer.vectorize(inputs, example[inputs]), max_length
            )
            if max_word_length is not None:
                ids = {
                    TOKEN_IDS: ids,
                    CHARACTER_IDS: character_ids(
                        vectorizer,
                        truncate(example[inputs], max_length),
                        max_word_length,
                    ),
                }
            tags = vectorizer.vectorize(targets, example[targets])
            return ids, truncate(tags, max_length)

        return format_tokens, _token_steps

    def pipeline_options(self, config, seed=None, static=False):
        """A tagger with character features (`character_vocab_size`) gets
        character ids of its `max_word_length` (default
        `DEFAULT_MAX_WORD_LENGTH`)."""
        options = super().pipeline_options(config, seed, static)
        arguments = config["architecture"]["arguments"]
        if arguments.get("character_vocab_size"):
            options.setdefault(
                "max_word_length",
                arguments.get("max_word_length") or DEFAULT_MAX_WORD_LENGTH,
            )
        return options

    def data_arguments(self, task_data, config, replicas=1):
        vectorizer = task_data.vectorizer
        inputs, targets = vectorizer.features[:2]
        found = {
            "vocab_size": vectorizer.vocabulary_size(inputs),
            "num_tags": vectorizer.vocabulary_size(targets),
        }
        if CHARACTERS_FEATURE in vectorizer.features:
            found["character_vocab_size"] = vectorizer.vocabulary_size(
                CHARACTERS_FEATURE
            )
        return found

    def compile_arguments(self, model):
        """Accuracy over the real tokens (`MaskedAccuracy`) and the
        tagger's own loss: cross-entropy, or with `crf=True` the CRF
        negative log-likelihood, which the tagger computes itself (its
        `default_loss` is then `None`, or the heads' losses only) and whose
        accuracy scores the Viterbi tags."""
        if _has_heads(model):
            return {
                "loss": model.default_loss(),
                "metrics": {"tags": [MaskedAccuracy()]},
                "loss_weights": model.default_loss_weights(),
            }
        return {"loss": model.default_loss(), "metrics": [MaskedAccuracy()]}

    def target_adapter(self, model):
        """A tagger with language-modelling heads also predicts the
        neighbouring words: its targets are built from the batch."""
        return model.training_targets if _has_heads(model) else None

    def synthetic_targets(self, model, x, shape, rng):
        tags = rng.integers(1, model.num_tags, shape[:2]).astype("int32")
        return (model.training_targets(x, tags),)


TAGGING = register_task(Tagging())
