"""What the generating architectures (`Seq2Seq`, `LanguageModel`,
`ImageCaptioner`) share: the decoding options of each strategy, compiled
and cached decode functions, teacher-forcing targets, attached
vocabularies and the result they return (running their layers one step at
a time is `rnnzoo.models.stepping`).

The decoding itself is `rnnzoo.decoding.decode`, driven by a step function
`step_fn(tokens, state) -> (logits, new_state)` that a model builds from its
own layers, inside one `tf.function` per generation configuration.
"""

import dataclasses

import numpy as np
import tensorflow as tf
from keras import ops

from rnnzoo.decoding import STRATEGIES
from rnnzoo.decoding import decode
from rnnzoo.decoding.base import check_finite_real
from rnnzoo.decoding.base import check_positive_real
from rnnzoo.decoding.base import tile_batch
from rnnzoo.decoding.sampling import seed_tensor
from rnnzoo.models.arguments import check_choice
from rnnzoo.models.arguments import check_positive_integer
from rnnzoo.models.base import RecurrentModel


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


def suppress_padding(logits):
    """Sets the logit of id 0 (padding) to `-inf`: a generated sequence
    never holds padding before its end, and scores are log-probabilities
    over the real tokens."""
    is_padding = ops.equal(ops.arange(ops.shape(logits)[-1]), 0)
    return ops.where(is_padding, float("-inf"), logits)


def shift_targets(target_ids, start_token: int, end_token: int):
    """The teacher-forcing pair of right-padded target ids.

    Args:
        target_ids: int `(batch, steps)` ids padded on the right with 0,
            without start or end tokens.
        start_token: Id that starts every decoder input.
        end_token: Id that ends every decoder target.

    Returns:
        `(target_in, target_out)`, int32 `(batch, steps + 1)`:
        `[start, t_1, ..., t_n, 0...]` and `[t_1, ..., t_n, end, 0...]`.

    Example:

    >>> target_in, target_out = shift_targets(np.array([[5, 6, 0]]), 1, 2)
    >>> ops.convert_to_numpy(target_in), ops.convert_to_numpy(target_out)
    (array([[1, 5, 6, 0]], dtype=int32), array([[5, 6, 2, 0]], dtype=int32))
    """
    ids = ops.convert_to_tensor(target_ids, dtype="int32")
    lengths = ops.sum(ops.cast(ops.not_equal(ids, 0), "int32"), axis=-1)
    padded = ops.pad(ids, ((0, 0), (0, 1)))
    positions = ops.arange(ops.shape(padded)[1], dtype="int32")
    at_end = ops.equal(positions[None, :], lengths[:, None])
    target_out = ops.where(at_end, end_token, padded)
    start = ops.full_like(ids[:, :1], start_token)
    return ops.concatenate([start, ids], axis=1), target_out


def before_end_mask(tokens, end_token):
    """Boolean `(batch, steps)`: `True` up to and including the first
    `end_token` of each row (everywhere when `end_token` is `None`)."""
    if end_token is None:
        return ops.ones_like(tokens, dtype="bool")
    ended = ops.cumsum(ops.cast(ops.equal(tokens, end_token), "int32"), 1)
    return ops.equal(ended - ops.cast(ops.equal(tokens, end_token), "int32"), 0)


def check_special_tokens(start_token, end_token, vocab_size) -> None:
    """Raises unless `start_token` and `end_token` are distinct ids in
    `1..vocab_size-1` (id 0 is padding)."""
    for name, value in (("start_token", start_token), ("end_token", end_token)):
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or not 1 <= value < vocab_size
        ):
            raise ValueError(
                f"`{name}` must be a token id in 1..{vocab_size - 1} (0 is "
                f"padding), got {name}={value!r}"
            )
    if start_token == end_token:
        raise ValueError(
            "`start_token` and `end_token` must differ, got "
            f"start_token={start_token!r} and end_token={end_token!r}"
        )


def decoding_options(
    strategy: str,
    beam_width: int,
    length_penalty: float,
    temperature: float,
    top_k: int | None,
) -> dict:
    """Checks the options of `strategy` and returns those it takes."""
    check_choice("strategy", strategy, STRATEGIES)
    if strategy == "beam":
        return {
            "beam_width": check_positive_integer("beam_width", beam_width),
            "length_penalty": check_finite_real(
                "length_penalty", length_penalty
            ),
        }
    if strategy in ("sample", "top_k"):
        if top_k is not None:
            check_positive_integer("top_k", top_k)
        elif strategy == "top_k":
            raise ValueError(
                'strategy="top_k" needs `top_k`, a positive integer, got '
                "top_k=None"
            )
        return {
            "temperature": check_positive_real("temperature", temperature),
            "top_k": top_k,
        }
    return {}


def numeric_inputs(name: str, inputs) -> np.ndarray:
    """`inputs` as a NumPy array, or a clear error for text.

    The generating models read token ids (or frames, or images); a preset
    written by `rnnzoo.train` carries the vectorizer that turns text into
    ids. Strings would otherwise fail deep in a conversion to int.

    Raises:
        ValueError: `inputs` holds strings.
    """
    array = np.asarray(inputs)
    holds_text = array.dtype.kind in ("U", "S") or (
        array.dtype.kind == "O"
        and any(isinstance(item, (str, bytes)) for item in array.flat)
    )
    if holds_text:
        preview = array.flat[0] if array.size else ""
        raise ValueError(
            f"`{name}` must be numbers (token ids padded with 0 for text "
            f"models) or, for a model with a preprocessor, a string or a "
            f"list of strings; got strings nested as {type(inputs).__name__} "
            f"such as {str(preview)[:40]!r}"
        )
    return array


def seed_pair(seed) -> np.ndarray:
    """The int32 `(2,)` seed of a sampling call; `None` draws one from
    NumPy's global generator (seeded by `keras.utils.set_random_seed`)."""
    if seed is None:
        seed = int(np.random.randint(0, 2**31 - 1))
    return ops.convert_to_numpy(seed_tensor(seed))


def to_vocabulary(vocabulary) -> list[str] | None:
    """A vocabulary as a list of strings (index = token id).

    Accepts a list or tuple of strings, or a layer with `get_vocabulary()`
    (`keras.layers.StringLookup`, `TextVectorization`), or `None`.
    """
    if vocabulary is None:
        return None
    if hasattr(vocabulary, "get_vocabulary"):
        vocabulary = vocabulary.get_vocabulary()
    if not isinstance(vocabulary, (list, tuple)) or not all(
        isinstance(token, str) for token in vocabulary
    ):
        raise ValueError(
            "`vocabulary` must be a list of strings (index = token id) or a "
            "layer with `get_vocabulary()` such as StringLookup, got "
            f"{type(vocabulary).__name__}"
        )
    return list(vocabulary)


def detokenize(tokens, vocabulary, separator=" ", end_token=None, skip=(0,)):
    """Turns rows of token ids into strings.

    Each row stops before its first `end_token`; ids in `skip` (padding)
    are left out; the others are looked up in `vocabulary` and joined by
    `separator`.
    """
    texts = []
    for row in np.asarray(tokens).tolist():
        words = []
        for token in row:
            if end_token is not None and token == end_token:
                break
            if token in skip:
                continue
            words.append(vocabulary[token])
        texts.append(separator.join(words))
    return texts


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
        """
        vocabulary = self.check_vocabulary(
            vocabulary, self.output_vocabulary_size()
        )
        self.vocabulary = vocabulary
        self._arguments["vocabulary"] = vocabulary
        if separator is not None:
            if not isinstance(separator, str):
                raise ValueError(
                    f"`separator` must be a string, got separator={separator!r}"
                )
            self.separator = separator
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
        """The `tf.function` of `python_function` cached under `key`, so a
        configuration is traced once and reused; `python_function` itself
        when the model was compiled with `run_eagerly=True` (debugging)."""
        if self.run_eagerly and not jit:
            return python_function
        cache = self.__dict__.setdefault("_generation_functions", {})
        if key not in cache:
            cache[key] = tf.function(
                python_function,
                input_signature=input_signature,
                jit_compile=jit,
                reduce_retracing=True,
                autograph=False,
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


class EncoderDecoderModel(GenerativeModel):
    """Base of the encoder-decoder generators (`Seq2Seq`,
    `ImageCaptioner`): an encoder, and a `TokenDecoder` named `"decoder"`
    that runs teacher-forced in `fit` and step by step in `generate`.

    A subclass implements `encode(inputs)` and `generation_input_spec()`,
    and remembers `start_token`, `end_token`, `vocabulary` and `separator`.
    """

    def encode(self, inputs, training=False):
        """Returns `(memory, memory_mask, initial_state)` of the encoder:
        the memory `(batch, Tv, dim)`, its boolean mask (or `None`) and the
        decoder's initial cell states, one list per decoder layer."""
        raise NotImplementedError

    def generation_input_spec(self) -> tf.TensorSpec:
        """The `tf.TensorSpec` of the inputs of `generate`."""
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
        or `max_length` tokens, all in one compiled `tf.function` (cached
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
        check_positive_integer("max_length", max_length)
        strategy, chosen = self.resolve_strategy(
            strategy,
            beam_width=beam_width,
            length_penalty=length_penalty,
            temperature=temperature,
            top_k=top_k,
        )
        options = decoding_options(strategy, **chosen)
        sampling = strategy in ("sample", "top_k")
        spec = self.generation_input_spec()
        key = (strategy, max_length, tuple(options.items()), bool(jit_compile))

        def run(inputs, seed):
            extra = {"seed": seed} if sampling else {}
            return self._decode(inputs, strategy, max_length, options, extra)

        function = self.compiled_function(
            key,
            run,
            [spec, tf.TensorSpec((2,), tf.int32)],
            bool(jit_compile),
        )
        inputs = tf.convert_to_tensor(
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
        beam_width = check_positive_integer("beam_width", beam_width)
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
