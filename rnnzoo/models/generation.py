"""What the generating architectures (`Seq2Seq`, `LanguageModel`,
`ImageCaptioner`) share: compiled and cached decode functions, attached
vocabularies, the result they return, and the encoder-decoder's `generate`.
The token side (teacher-forcing targets, special tokens, text) is
`rnnzoo.models.generated_tokens`; the options of every decoding strategy
are `rnnzoo.decoding.STRATEGY_OPTIONS`; running the layers one step at a
time is `rnnzoo.models.stepping`.

The decoding itself is `rnnzoo.decoding.decode`, driven by a step function
`step_fn(tokens, state) -> (logits, new_state)` that a model builds from its
own layers, inside one compiled function per generation configuration
(`rnnzoo.models.compiled`).
"""

import dataclasses

import numpy as np
from keras import ops

from rnnzoo.decoding import decode
from rnnzoo.decoding import decoding_options
from rnnzoo.decoding import takes_seed
from rnnzoo.decoding.base import tile_batch
from rnnzoo.decoding.random_draws import seed_tensor
from rnnzoo.models.base import RecurrentModel
from rnnzoo.models.compiled import TensorSpec
from rnnzoo.models.compiled import compile_model_function
from rnnzoo.models.generated_tokens import before_end_mask
from rnnzoo.models.generated_tokens import check_special_tokens
from rnnzoo.models.generated_tokens import detokenize
from rnnzoo.models.generated_tokens import numeric_inputs
from rnnzoo.models.generated_tokens import shift_targets
from rnnzoo.models.generated_tokens import suppress_padding
from rnnzoo.models.generated_tokens import to_vocabulary
from rnnzoo.models.scheduled_sampling import ScheduledSamplingTraining
from rnnzoo.validation import check_positive_int
from rnnzoo.validation import check_string

# The token helpers lived here first; their import paths keep working.
__all__ = [
    "EncoderDecoderModel",
    "GenerationResult",
    "GenerativeModel",
    "before_end_mask",
    "check_special_tokens",
    "decoding_options",
    "detokenize",
    "numeric_inputs",
    "seed_pair",
    "shift_targets",
    "suppress_padding",
    "to_vocabulary",
]


@dataclasses.dataclass(frozen=True)
class GenerationResult:
    """What `generate` (`translate`, `caption`) returns, as NumPy arrays.

    Attributes:
        tokens: int32 `(batch, max_length)` generated ids, the start token
            excluded, `0` after the end token. A multi-hot language model
            returns float32 0/1 frames `(batch, max_length, input_dim)`.
        scores: float32 `(batch,)` sums of the log-probabilities of the
            generated tokens (length-penalised for beam search).
        alignments: float32 `(batch, max_length, Tv)` attention weights of
            every generated token over the source positions (or image
            regions), zero after the end token; `None` without attention.
        text: One string per sequence when a vocabulary is attached: the
            tokens up to the end token, joined by the separator; else
            `None`.
    """

    tokens: np.ndarray
    scores: np.ndarray
    alignments: np.ndarray | None = None
    text: list[str] | None = None


def seed_pair(seed) -> np.ndarray:
    """The int32 `(2,)` seed of a sampling call; `None` draws one from
    NumPy's global generator (seeded by `keras.utils.set_random_seed`)."""
    if seed is None:
        seed = int(np.random.randint(0, 2**31 - 1))
    return ops.convert_to_numpy(seed_tensor(seed))


class GenerativeModel(RecurrentModel):
    """Base of the generating architectures: an attached vocabulary and a
    cache of compiled generation functions.

    A subclass passes `vocabulary` and `separator` to `remember_arguments`
    (they are part of its config, so a saved model keeps its vocabulary).
    """

    def check_vocabulary(self, vocabulary, size: int | None):
        """Returns `vocabulary` as a list, checked against `size` ids."""
        vocabulary = to_vocabulary(vocabulary)
        if (
            vocabulary is not None
            and size is not None
            and (len(vocabulary) != size)
        ):
            raise ValueError(
                f"`vocabulary` must hold one string per token id ({size}), "
                f"got {len(vocabulary)} strings"
            )
        return vocabulary

    def output_vocabulary_size(self) -> int | None:
        """Number of ids the model generates; a subclass overrides."""
        return None

    def attach_vocabulary(self, vocabulary, separator: str | None = None):
        """Attaches the vocabulary of the generated ids, so that `generate`
        also returns text.

        Args:
            vocabulary: A list of strings (index = token id), or a layer
                with `get_vocabulary()` (`StringLookup`,
                `TextVectorization`); `None` detaches it.
            separator: String between tokens: `" "` for words, `""` for
                characters; default: keep the current one.

        Example:

        >>> from rnnzoo.models import Seq2Seq
        >>> model = Seq2Seq(vocab_size=5, units=4)
        >>> model.attach_vocabulary(["", "[start]", "[end]", "hi", "there"])
        >>> model.detokenize(np.array([[3, 4, 2, 3]]))
        ['hi there']
        """
        vocabulary = self.check_vocabulary(
            vocabulary, self.output_vocabulary_size()
        )
        self.vocabulary = vocabulary
        self._arguments["vocabulary"] = vocabulary
        if separator is not None:
            self.separator = check_string("separator", separator)
            self._arguments["separator"] = separator

    def detokenize(self, tokens) -> list[str]:
        """The text of rows of generated ids (see `GenerationResult.text`)."""
        if self.vocabulary is None:
            raise ValueError(
                "No vocabulary is attached; pass `vocabulary=` to the "
                "constructor or call `attach_vocabulary()` first"
            )
        return detokenize(
            tokens,
            self.vocabulary,
            self.separator,
            end_token=getattr(self, "end_token", None),
            skip=self.padding_ids(),
        )

    def resolve_strategy(self, strategy, **options) -> tuple[str, dict]:
        """The decoding strategy and its options: as given, or for
        `strategy=None` the model's default decoding, its preprocessor's
        `decoding` (the zoo config's, e.g. beam search of width 5 for the
        published translator) over `options`, else greedy."""
        if strategy is not None:
            return strategy, options
        default = dict(getattr(self.preprocessor, "decoding", None) or {})
        return default.pop("strategy", "greedy"), {**options, **default}

    def padding_ids(self) -> tuple:
        """The ids that pad generated sequences (left out of text): id 0,
        unless a subclass generates without padding."""
        return (0,)

    def compiled_function(self, key, python_function, input_signature, jit):
        """The compiled `python_function` (see `compile_model_function`)
        cached under `key`, so a configuration is traced once and reused;
        `python_function` itself when the model was compiled with
        `run_eagerly=True` (debugging).

        Args:
            key: The cache key of the configuration.
            python_function: The function, of tensors.
            input_signature: One `TensorSpec` per argument.
            jit: Whether to compile with XLA on TensorFlow.
        """
        if self.run_eagerly and not jit:
            return python_function
        cache = self.__dict__.setdefault("_generation_functions", {})
        if key not in cache:
            cache[key] = compile_model_function(
                self, python_function, input_signature, jit
            )
        return cache[key]

    def decoding_step(self, inputs, beam_width: int = 1):
        """The model as a step function for `rnnzoo.decoding`.

        `generate` decodes from exactly this; it serves decoders of one's
        own (another strategy, a Python loop that calls the model once per
        token). Everything before the first generated token (encoding the
        source, reading the prompt) runs here, once.

        Args:
            inputs: The inputs of `generate`.
            beam_width: Positive integer; the step function runs on
                `batch * beam_width` rows, beam `k` of sequence `b` at row
                `b * beam_width + k` (`rnnzoo.decoding.beam_search`'s
                layout). Default 1, for the other strategies.

        Returns:
            `(step_fn, initial_state, start_tokens)`:
            `step_fn(tokens, state) -> (logits, new_state)`, the state of
            the `batch` sequences before the first generated token, and the
            int32 `(batch,)` tokens fed to the first step.
        """
        raise NotImplementedError

    def make_result(self, tokens, scores, alignments=None):
        tokens = ops.convert_to_numpy(tokens)
        text = None
        if self.vocabulary is not None and tokens.ndim == 2:
            text = self.detokenize(tokens)
        return GenerationResult(
            tokens=tokens,
            scores=ops.convert_to_numpy(scores),
            alignments=(
                None if alignments is None else ops.convert_to_numpy(alignments)
            ),
            text=text,
        )


class EncoderDecoderModel(ScheduledSamplingTraining, GenerativeModel):
    """Base of the encoder-decoder generators (`Seq2Seq`,
    `ImageCaptioner`): an encoder, and a `TokenDecoder` named `"decoder"`
    that runs teacher-forced in `fit` (with scheduled sampling after
    `set_scheduled_sampling`) and step by step in `generate`.

    A subclass implements `encode(inputs)` and `generation_input_spec()`,
    and remembers `start_token`, `end_token`, `vocabulary` and `separator`.
    """

    def encode(self, inputs, training=False):
        """Returns `(memory, memory_mask, initial_state)` of the encoder:
        the memory `(batch, Tv, dim)`, its boolean mask (or `None`) and the
        decoder's initial cell states, one list per decoder layer."""
        raise NotImplementedError

    def generation_input_spec(self) -> TensorSpec:
        """The `TensorSpec` of the inputs of `generate`."""
        raise NotImplementedError

    def output_vocabulary_size(self) -> int:
        return self.get_layer("decoder").vocab_size

    def generate(
        self,
        inputs,
        max_length: int = 50,
        strategy: str | None = None,
        beam_width: int = 4,
        length_penalty: float = 0.0,
        temperature: float = 1.0,
        top_k: int | None = None,
        seed=None,
        jit_compile: bool = False,
    ) -> GenerationResult:
        """Generates target tokens for a batch of inputs.

        The encoder runs once, then `rnnzoo.decoding.decode` drives the
        decoder one token at a time from `start_token` until `end_token`
        or `max_length` tokens, all in one compiled function (cached
        per strategy, options and `max_length`). The attention alignments
        come from one teacher-forced pass over the generated tokens.

        Args:
            inputs: A batch of encoder inputs (see the model's docstring).
            max_length: Positive integer, most tokens to generate.
            strategy: `"greedy"`, `"beam"`, `"sample"` or `"top_k"`; `None`
                (default): the model's default decoding (see
                `resolve_strategy`).
            beam_width: Beams per sequence, for `"beam"`.
            length_penalty: GNMT length penalty exponent, for `"beam"`.
            temperature: Divides the logits, for `"sample"` and `"top_k"`.
            top_k: Draw only among the `top_k` most probable tokens
                (required for `"top_k"`).
            seed: For sampling: an integer gives the same samples on every
                call; `None` draws a fresh seed.
            jit_compile: Whether to compile the decoder with XLA. (A model
                compiled with `run_eagerly=True` generates eagerly, unless
                this is set.)

        Returns:
            A `GenerationResult`: `tokens`, `scores`, `alignments` (`None`
            without attention) and `text` (with a vocabulary).
        """
        check_positive_int("max_length", max_length)
        strategy, chosen = self.resolve_strategy(
            strategy,
            beam_width=beam_width,
            length_penalty=length_penalty,
            temperature=temperature,
            top_k=top_k,
        )
        options = decoding_options(strategy, **chosen)
        sampling = takes_seed(strategy)
        spec = self.generation_input_spec()
        key = (strategy, max_length, tuple(options.items()), bool(jit_compile))

        def run(inputs, seed):
            extra = {"seed": seed} if sampling else {}
            return self._decode(inputs, strategy, max_length, options, extra)

        function = self.compiled_function(
            key,
            run,
            [spec, TensorSpec((2,), "int32")],
            bool(jit_compile),
        )
        inputs = ops.convert_to_tensor(
            numeric_inputs("inputs", inputs), dtype=spec.dtype
        )
        seed = seed_pair(seed) if sampling else np.zeros(2, "int32")
        tokens, scores, alignments = function(inputs, seed)
        return self.make_result(tokens, scores, alignments)

    def decoding_step(self, inputs, beam_width: int = 1):
        """The encoder runs once; see `GenerativeModel.decoding_step`.

        The start tokens are `start_token`; with `beam_width > 1`, the
        step function attends over its rows' copies of the encoder memory.
        """
        beam_width = check_positive_int("beam_width", beam_width)
        return self._step_from_encoding(*self.encode(inputs), beam_width)

    def _step_from_encoding(self, memory, memory_mask, encoder_state, beams):
        decoder = self.get_layer("decoder")
        batch_size = ops.shape(memory)[0]
        state = decoder.get_initial_state(batch_size, memory, encoder_state)
        # The memory is read, never reordered: each beam's row holds a copy
        # of its sequence's memory, tiled once rather than gathered per step.
        cache = decoder.prepare_memory(memory, memory_mask)
        if beams > 1 and cache is not None:
            cache = tile_batch(cache, beams)

        def step_fn(tokens, state):
            logits, state, _ = decoder.step(tokens, state, cache)
            return suppress_padding(logits), state

        start = ops.full((batch_size,), self.start_token, dtype="int32")
        return step_fn, state, start

    def _decode(self, inputs, strategy, max_length, options, extra):
        decoder = self.get_layer("decoder")
        memory, memory_mask, initial_state = self.encode(inputs)
        step_fn, state, start = self._step_from_encoding(
            memory, memory_mask, initial_state, options.get("beam_width", 1)
        )
        tokens, scores = decode(
            step_fn,
            state,
            start,
            max_length,
            strategy=strategy,
            end_token=self.end_token,
            pad_token=0,
            **options,
            **extra,
        )
        alignments = None
        if decoder.attention is not None:
            target_in = ops.concatenate(
                [
                    ops.full_like(tokens[:, :1], self.start_token),
                    tokens[:, :-1],
                ],
                axis=1,
            )
            _, alignments = decoder(
                target_in,
                memory,
                initial_state=initial_state,
                memory_mask=memory_mask,
                mask=before_end_mask(tokens, self.end_token),
                training=False,
                return_alignments=True,
            )
        return tokens, scores, alignments
