"""Tasks whose models generate a token sequence, scored with BLEU against
the raw references: translation and image captioning."""

import tensorflow as tf

from rnnzoo.data import registry
from rnnzoo.data.formatting import markers
from rnnzoo.data.formatting import text_ids
from rnnzoo.data.formatting import truncate
from rnnzoo.data.formatting import with_markers
from rnnzoo.data.vectorizers import END_TOKEN
from rnnzoo.data.vectorizers import START_TOKEN
from rnnzoo.data.vectorizers import UNKNOWN_TOKEN
from rnnzoo.data.vectorizers import Vectorizer
from rnnzoo.models.generated_tokens import detokenize
from rnnzoo.models.generated_tokens import unknown_word_replacements
from rnnzoo.tasks.metrics import corpus_bleu
from rnnzoo.tasks.metrics import exact_match
from rnnzoo.tasks.metrics import token_compile_arguments
from rnnzoo.tasks.registry import TaskShape
from rnnzoo.tasks.registry import register_task

# Tokens generated at most when the pipeline sets no length.
DEFAULT_GENERATION_LENGTH = 50
# A model's name for its decoder inputs (`Seq2Seq`, `ImageCaptioner`).
DECODER_INPUT_NAMES = ("target_in", "caption_in")


class _Generation(TaskShape):
    """What translation and captioning share: targets with `[start]` and
    `[end]` markers, token metrics, BLEU of generated targets."""

    generates = True

    def data_arguments(self, task_data, config, replicas=1):
        vectorizer = task_data.vectorizer
        targets = vectorizer.features[-1]
        return {
            "start_token": vectorizer.token_id(targets, START_TOKEN),
            "end_token": vectorizer.token_id(targets, END_TOKEN),
            "vocabulary": vectorizer.vocabulary(targets),
        }

    def compile_arguments(self, model):
        return token_compile_arguments(model)

    def generate(self, model, vectorizer, batch, inputs, length, decoding):
        """The generated ids of one batch of raw examples."""
        raise NotImplementedError

    def generation_metrics(
        self,
        model,
        vectorizer,
        examples,
        length=None,
        batch_size: int = 64,
        features=(None, None),
        decoding=None,
    ):
        """Corpus BLEU of generation against the raw references.

        Args:
            model: A `Seq2Seq` or `ImageCaptioner`.
            vectorizer: The run's vectorizer.
            examples: The raw examples of the split, in order (as
                `rnnzoo.data.load` gives them): references are their
                original target strings, not the vectorized (`[UNK]`-ed)
                ids.
            length: The pipeline's longest sequence: sources are cut to it
                and at most that many tokens are generated.
            batch_size: Examples generated at once.
            features: The `(inputs, targets)` features, default by task.
            decoding: The config's `decoding` options (strategy, beam
                width, ...); default greedy.
        """
        inputs, targets = self.resolve_features(
            examples.element_spec, *features
        )
        vocabulary = vectorizer.vocabulary(targets)
        end_token = vectorizer.token_id(targets, END_TOKEN)
        length = length or DEFAULT_GENERATION_LENGTH
        hypotheses, references = [], []
        for batch in examples.batch(batch_size):
            hypotheses += self.generated_texts(
                model,
                vectorizer,
                batch,
                (inputs, targets),
                length,
                dict(decoding or {}),
                lambda tokens, replacements=None: detokenize(
                    tokens,
                    vocabulary,
                    end_token=end_token,
                    replacements=replacements,
                ),
            )
            references += [t.decode("utf-8") for t in batch[targets].numpy()]
        return self.scores(hypotheses, references)

    def generated_texts(
        self, model, vectorizer, batch, features, length, decoding, texts
    ):
        """The generated strings of one batch of raw examples: `texts` of
        `generate`'s ids, unless a task does more with its inputs
        (`texts(tokens, replacements)` takes `detokenize`'s
        `replacements`)."""
        return texts(
            self.generate(
                model, vectorizer, batch, features[0], length, decoding
            )
        )

    def scores(self, hypotheses, references) -> dict:
        return {"bleu": corpus_bleu(hypotheses, references)}

    def synthetic_targets(self, model, x, shape, rng):
        decoder_inputs = next(x[n] for n in DECODER_INPUT_NAMES if n in x)
        vocab = getattr(model, "target_vocab_size", None) or model.vocab_size
        targets = rng.integers(3, vocab, decoder_inputs.shape)
        return (targets.astype("int32"),)


class Translation(_Generation):
    """A target-language sentence per source sentence."""

    name = registry.TRANSLATION
    title = "Translation"
    features = ("en", "de")

    def new_vectorizer(
        self, inputs, targets, vocabulary_size=None, standardize=None, **options
    ):
        self.reject_options(options)
        return Vectorizer(
            {
                inputs: text_ids(vocabulary_size, inputs, standardize),
                targets: text_ids(vocabulary_size, targets, standardize),
            },
            reserved_tokens={targets: [START_TOKEN, END_TOKEN]},
        )

    def formatter(
        self, vectorizer, inputs, targets, max_length, max_word_length=None
    ):
        start_and_end = markers(vectorizer, targets)

        def format_pair(example):
            source = truncate(
                vectorizer.vectorize(inputs, example[inputs]), max_length
            )
            target = vectorizer.vectorize(targets, example[targets])
            decoder_inputs, decoder_targets = with_markers(
                target, start_and_end, max_length
            )
            return (
                {"source": source, "target_in": decoder_inputs},
                decoder_targets,
            )

        def pair_length(x, y):
            return tf.maximum(tf.shape(x["source"])[0], tf.shape(y)[0])

        return format_pair, pair_length

    def data_arguments(self, task_data, config, replicas=1):
        vectorizer = task_data.vectorizer
        source, targets = vectorizer.features[0], vectorizer.features[-1]
        return {
            **super().data_arguments(task_data, config, replicas),
            "vocab_size": vectorizer.vocabulary_size(source),
            "target_vocab_size": vectorizer.vocabulary_size(targets),
        }

    def generate(self, model, vectorizer, batch, inputs, length, decoding):
        return self._translate(
            model, vectorizer, batch, inputs, length, decoding
        ).tokens

    def generated_texts(
        self, model, vectorizer, batch, features, length, decoding, texts
    ):
        """With `replace_unknown` in `decoding`, each `[UNK]` becomes the
        source word the attention weighted most, as the text call
        `translate` writes it."""
        inputs, targets = features
        if not decoding.pop("replace_unknown", False):
            return super().generated_texts(
                model, vectorizer, batch, features, length, decoding, texts
            )
        result = self._translate(
            model, vectorizer, batch, inputs, length, decoding
        )
        sources = [text.decode("utf-8") for text in batch[inputs].numpy()]
        words = [row[:length] for row in vectorizer.tokens(inputs, sources)]
        unknown = vectorizer.token_id(targets, UNKNOWN_TOKEN)
        return texts(
            result.tokens,
            unknown_word_replacements(
                result.tokens, result.alignments, words, unknown
            ),
        )

    @staticmethod
    def _translate(model, vectorizer, batch, inputs, length, decoding):
        source = vectorizer.vectorize(inputs, batch[inputs])[:, :length]
        return model.translate(source.numpy(), max_length=length, **decoding)


class Captioning(_Generation):
    """A caption per image."""

    name = registry.CAPTIONING
    title = "Image captioning"
    features = ("image", "caption")

    def new_vectorizer(
        self, inputs, targets, vocabulary_size=None, standardize=None, **options
    ):
        self.reject_options(options)
        return Vectorizer(
            {targets: text_ids(vocabulary_size, targets, standardize)},
            reserved_tokens={targets: [START_TOKEN, END_TOKEN]},
        )

    def check_examples(self, examples, inputs):
        if not examples.element_spec[inputs].shape.is_fully_defined():
            raise ValueError(
                "Captioning images must all have one size to be batched: "
                "pass image_size= to load_image_captions, got image shape "
                f"{examples.element_spec[inputs].shape}"
            )

    def formatter(
        self, vectorizer, inputs, targets, max_length, max_word_length=None
    ):
        start_and_end = markers(vectorizer, targets)

        def format_caption(example):
            caption = vectorizer.vectorize(targets, example[targets])
            decoder_inputs, decoder_targets = with_markers(
                caption, start_and_end, max_length
            )
            # Pixels stay in [0, 255]: captioning backbones rescale them.
            image = tf.cast(example[inputs], tf.float32)
            return (
                {"image": image, "caption_in": decoder_inputs},
                decoder_targets,
            )

        return format_caption, lambda x, y: tf.shape(y)[0]

    def data_arguments(self, task_data, config, replicas=1):
        vectorizer = task_data.vectorizer
        found = {
            **super().data_arguments(task_data, config, replicas),
            "vocab_size": vectorizer.vocabulary_size(vectorizer.features[-1]),
        }
        if (
            config["architecture"]["arguments"].get("feature_input_shape")
            is None
        ):
            images = _image_spec(task_data["train"].element_spec[0])
            found["image_shape"] = list(images.shape[1:])
        return found

    def generate(self, model, vectorizer, batch, inputs, length, decoding):
        # Pixels as loaded, in [0, 255]: the backbone rescales them.
        images = tf.cast(batch[inputs], tf.float32)
        return model.caption(
            images.numpy(), max_length=length, **decoding
        ).tokens

    def scores(self, hypotheses, references):
        # Captions are short enough to be wholly right or wrong.
        return {
            **super().scores(hypotheses, references),
            "exact_match": exact_match(hypotheses, references),
        }


def _image_spec(inputs: dict):
    """The spec of the `(batch, height, width, channels)` input."""
    for spec in inputs.values():
        if spec.shape.rank == 4 and spec.dtype.is_floating:
            return spec
    raise ValueError(f"No image input among the data's inputs {inputs}")


TRANSLATION = register_task(Translation())
CAPTIONING = register_task(Captioning())
