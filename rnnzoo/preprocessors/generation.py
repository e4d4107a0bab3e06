"""Preprocessors of the generating tasks: a translator (text to text), a
language model (prompt to continuation) and a captioner (image to text).
Each turns its raw inputs into ids or pixels and generated ids back into
clean strings: padding, `[start]` and what follows `[end]` left out."""

import numpy as np
import tensorflow as tf

from rnnzoo.data.vectorizers import END_TOKEN
from rnnzoo.data.vectorizers import START_TOKEN
from rnnzoo.data.vectorizers import UNKNOWN_TOKEN
from rnnzoo.models.generated_tokens import detokenize
from rnnzoo.models.generated_tokens import unknown_word_replacements
from rnnzoo.models.raw_inputs import text_batch
from rnnzoo.preprocessors.base import Preprocessor
from rnnzoo.preprocessors.base import check_vectorizer
from rnnzoo.preprocessors.base import register_preprocessor
from rnnzoo.preprocessors.images import load_images
from rnnzoo.preprocessors.text import pad_rows
from rnnzoo.validation import check_bool


def config_decoding(metadata: dict) -> dict:
    """The default decoding in a preset's zoo config, or `{}`."""
    return dict((metadata.get("config") or {}).get("decoding") or {})


class GeneratingPreprocessor(Preprocessor):
    """Base of the preprocessors whose model writes tokens of
    `target_feature`: `detokenize` turns rows of generated ids into text.

    Args:
        vectorizer: The run's `Vectorizer`.
        target_feature: The feature whose vocabulary the model writes.
        separator: String between generated tokens: `" "` for words,
            `""` for characters.
        decoding: The model's default decoding, e.g. `{"strategy": "beam",
            "beam_width": 5}` (the zoo config's `decoding`): what its
            generating calls use when no `strategy` is given.
    """

    def __init__(
        self,
        vectorizer=None,
        target_feature=None,
        separator=" ",
        decoding=None,
    ):
        super().__init__(vectorizer)
        self.target_feature = target_feature or vectorizer.features[-1]
        self.separator = separator
        self.decoding = dict(decoding or {})
        check_vectorizer(self, [self.target_feature])
        self.vocabulary = vectorizer.vocabulary(self.target_feature)

    def _special_id(self, token):
        return (
            self.vocabulary.index(token) if token in self.vocabulary else None
        )

    def detokenize(self, tokens, replacements=None) -> list[str]:
        """Rows of generated ids as strings: each row stops at `[end]`;
        padding and `[start]` are left out; `replacements` (per row,
        `{step: word}`) overwrite the words at those steps."""
        skip = (0, self._special_id(START_TOKEN))
        return detokenize(
            tokens,
            self.vocabulary,
            self.separator,
            end_token=self._special_id(END_TOKEN),
            skip=skip,
            replacements=replacements,
        )

    def get_config(self):
        return {
            "target_feature": self.target_feature,
            "separator": self.separator,
            "decoding": self.decoding,
        }


@register_preprocessor("translation")
class TranslatorPreprocessor(GeneratingPreprocessor):
    """Source sentences in, source ids out; target ids back to sentences.

    Args:
        vectorizer: The run's `Vectorizer`.
        source_feature: The source language's feature; default the first.
        target_feature: The target language's feature; default the last.
    """

    def __init__(
        self,
        vectorizer=None,
        source_feature=None,
        target_feature=None,
        decoding=None,
        **_,
    ):
        super().__init__(vectorizer, target_feature, " ", decoding)
        self.source_feature = source_feature or vectorizer.features[0]
        check_vectorizer(self, [self.source_feature])

    def model_inputs(self, raw):
        texts = text_batch("source", raw)
        ids = self.vectorizer.vectorize(self.source_feature, tf.constant(texts))
        return pad_rows([row[row > 0] for row in ids.numpy()])

    def translations(self, result, sources, replace_unknown=None):
        """The sentences of a `GenerationResult` for its `sources`.

        Args:
            result: What the model generated for `model_inputs(sources)`.
            sources: The source sentences (strings).
            replace_unknown: Whether each `[UNK]` becomes the source word
                the attention weighted most at that step
                (`unknown_word_replacements`); `None` (default): the
                model's default decoding says (`decoding`), else no.
        """
        if replace_unknown is None:
            replace_unknown = self.decoding.get("replace_unknown", False)
        if not check_bool("replace_unknown", replace_unknown):
            return self.detokenize(result.tokens)
        if result.alignments is None:
            raise ValueError(
                "`replace_unknown=True` copies the source word the attention "
                "weighted most, but this model has no attention "
                "(alignments=None); pass replace_unknown=False"
            )
        unknown = self._special_id(UNKNOWN_TOKEN)
        if unknown is None:
            return self.detokenize(result.tokens)
        words = self.vectorizer.tokens(self.source_feature, list(sources))
        return self.detokenize(
            result.tokens,
            unknown_word_replacements(
                result.tokens, result.alignments, words, unknown
            ),
        )

    def get_config(self):
        return {
            **super().get_config(),
            "source_feature": self.source_feature,
        }

    @classmethod
    def from_model(cls, model, vectorizer, metadata):
        return cls(vectorizer, decoding=config_decoding(metadata))


@register_preprocessor("language_modelling")
class LanguageModelPreprocessor(GeneratingPreprocessor):
    """Prompts in, token ids out; generated ids back to text.

    A word-level model (`separator=" "`) splits a prompt at whitespace; a
    character-level one (`separator=""`) into its characters. Unknown
    tokens map to `[UNK]`.
    """

    def tokenize(self, text: str) -> list[str]:
        return list(text) if self.separator == "" else text.split()

    def model_inputs(self, raw):
        feature = self.target_feature
        rows = []
        for text in text_batch("prompt", raw):
            tokens = self.tokenize(text)
            ids = self.vectorizer.vectorize(
                feature, tf.constant(tokens, dtype=tf.string)
            )
            rows.append(ids.numpy())
        return pad_rows(rows)

    def join(self, prompt: str, continuation: str) -> str:
        """The prompt followed by its continuation."""
        if self.separator and prompt and continuation:
            return prompt + self.separator + continuation
        return prompt + continuation

    @classmethod
    def from_model(cls, model, vectorizer, metadata):
        separator = getattr(model, "separator", None)
        return cls(
            vectorizer,
            separator=" " if separator is None else separator,
            decoding=config_decoding(metadata),
        )


@register_preprocessor("captioning")
class CaptionerPreprocessor(GeneratingPreprocessor):
    """Images in (arrays of any size, or image files), pixels out; caption
    ids back to captions.

    Args:
        vectorizer: The run's `Vectorizer`.
        image_shape: The model's `(height, width, channels)`: every image
            is resized to it (padded to its aspect ratio, not stretched)
            and converted to its number of channels.
        target_feature: The captions' feature; default the last.
    """

    def __init__(
        self,
        vectorizer=None,
        image_shape=None,
        target_feature=None,
        decoding=None,
        **_,
    ):
        super().__init__(vectorizer, target_feature, " ", decoding)
        if image_shape is None or len(image_shape) != 3:
            raise ValueError(
                "`image_shape` must be (height, width, channels), got "
                f"image_shape={image_shape!r}"
            )
        self.image_shape = [int(size) for size in image_shape]

    def model_inputs(self, raw) -> np.ndarray:
        return load_images(raw, self.image_shape)

    def get_config(self):
        return {**super().get_config(), "image_shape": self.image_shape}

    @classmethod
    def from_model(cls, model, vectorizer, metadata):
        return cls(
            vectorizer,
            image_shape=model.image_shape,
            decoding=config_decoding(metadata),
        )
