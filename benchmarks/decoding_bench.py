"""Decoding throughput of rnnzoo's generating models: compiled greedy and
beam search against Python loops.

The decoders of `rnnzoo.decoding` drive a model's step function
`step_fn(tokens, state) -> (logits, state)` (`model.decoding_step`, what
`generate` decodes from) inside one `while_loop`; the baselines are what
users write without them, a Python `for` loop that calls the same step
function once per token (eagerly, or through a `tf.function` of one step)
and picks tokens (and beams) with NumPy.

Beside them, the *model steps only* decoders run the model's steps on the
beam rows without any search: no decoder of the model can be faster, so
their ratios to the Python loops are the ceilings of the beam target.

Each model is a `DecodingSetup`: a `LanguageModel` continuing prompts and a
`Seq2Seq` translating sources (random weights: speed does not depend on
them). The encoder and the prompt run once, before the timed decodes. Every
decode emits `max_length` tokens per sequence (no end token), and throughput
counts `batch * max_length` tokens for greedy and beam search alike.
"""

import dataclasses
from typing import Any
from typing import Callable

import keras
import numpy as np
import tensorflow as tf

from benchmarks import timing
from rnnzoo.decoding import beam_search
from rnnzoo.decoding import greedy_search
from rnnzoo.decoding.base import tile_batch
from rnnzoo.models import LanguageModel
from rnnzoo.models import Seq2Seq


@dataclasses.dataclass
class DecodingSetup:
    """A model to decode from.

    Attributes:
        name: The model's short name, which prefixes its decoders' names.
        description: What the model is, for the report.
        decoding_step: `decoding_step(beam_width) -> (step_fn,
            initial_state, start_tokens)`, as `model.decoding_step` with
            the model's inputs bound.
        batch: Number of sequences decoded at once.
        max_length: Number of tokens emitted per sequence.
    """

    name: str
    description: str
    decoding_step: Callable[[int], tuple[Any, Any, Any]]
    batch: int
    max_length: int


def language_model_setup(
    vocab_size=1000, embedding_dim=64, units=256, batch=16, max_length=64
) -> DecodingSetup:
    """An LSTM `LanguageModel` continuing prompts of 8 tokens."""
    keras.utils.set_random_seed(0)
    model = LanguageModel(
        vocab_size=vocab_size,
        cell="lstm",
        units=units,
        embedding_dim=embedding_dim,
    )
    prompt = np.random.default_rng(0).integers(1, vocab_size, (batch, 8))
    return DecodingSetup(
        name="LanguageModel",
        description=(
            f"`LanguageModel`, LSTM {units} units, embedding "
            f"{embedding_dim}, vocabulary {vocab_size}; prompts of 8 tokens"
        ),
        decoding_step=lambda width: model.decoding_step(prompt, width),
        batch=batch,
        max_length=max_length,
    )


def seq2seq_setup(
    vocab_size=1000, units=256, source_steps=30, batch=16, max_length=64
) -> DecodingSetup:
    """A GRU `Seq2Seq` with a bidirectional encoder and Bahdanau attention,
    the translator of the zoo in miniature."""
    keras.utils.set_random_seed(0)
    model = Seq2Seq(
        vocab_size=vocab_size,
        cell="gru",
        units=units,
        bidirectional=True,
        attention="bahdanau",
    )
    source = np.random.default_rng(0).integers(
        3, vocab_size, (batch, source_steps)
    )
    return DecodingSetup(
        name="Seq2Seq",
        description=(
            f"`Seq2Seq`, GRU {units} units, bidirectional encoder, Bahdanau "
            f"attention, vocabularies {vocab_size}; sources of "
            f"{source_steps} tokens"
        ),
        decoding_step=lambda width: model.decoding_step(source, width),
        batch=batch,
        max_length=max_length,
    )


def setups(quick: bool = False) -> list[DecodingSetup]:
    """The benchmarked models; tiny ones for a smoke run."""
    if quick:
        return [
            language_model_setup(50, 8, 16, batch=2, max_length=5),
            seq2seq_setup(50, 16, source_steps=4, batch=2, max_length=5),
        ]
    return [language_model_setup(), seq2seq_setup()]


def python_greedy(step_fn, state, tokens, max_length):
    """Greedy search as a Python loop, one model call per token."""
    emitted = []
    for _ in range(max_length):
        logits, state = step_fn(tokens, state)
        tokens = tf.argmax(logits, axis=-1, output_type=tf.int32)
        emitted.append(tokens.numpy())
    return np.stack(emitted, axis=1)


def python_beam(step_fn, state, start, max_length, beam_width):
    """Beam search as a Python loop, one model call per token (all beams
    at once), beams chosen with NumPy."""
    batch, width = len(start), beam_width
    state, tokens = tile_batch((state, start), width)
    scores = np.full((batch, width), -np.inf, dtype=np.float32)
    scores[:, 0] = 0.0
    history = np.zeros((batch, width, 0), dtype=np.int32)
    offsets = np.arange(batch)[:, None] * width
    for _ in range(max_length):
        logits, state = step_fn(tokens, state)
        log_probs = tf.nn.log_softmax(logits).numpy()
        vocab_size = log_probs.shape[-1]
        candidates = scores[:, :, None] + log_probs.reshape(batch, width, -1)
        flat = candidates.reshape(batch, -1)
        best = np.argsort(-flat, axis=1, kind="stable")[:, :width]
        parents, new_tokens = best // vocab_size, best % vocab_size
        scores = np.take_along_axis(flat, best, axis=1)
        history = np.concatenate(
            [
                np.take_along_axis(history, parents[:, :, None], axis=1),
                new_tokens[:, :, None].astype(np.int32),
            ],
            axis=2,
        )
        rows = (offsets + parents).reshape(-1)
        state = keras.tree.map_structure(
            lambda s, rows=rows: tf.gather(s, rows), state
        )
        tokens = tf.constant(new_tokens.reshape(-1), tf.int32)
    return history[:, 0]


# The name of the decoders that run the model's steps without a search.
MODEL_STEPS_ONLY = "model steps only"


def model_steps(step_fn, state, tokens, max_length):
    """The model's steps alone, as a decoder runs them but without a search:
    the ceiling of any decoder of the model. Each step's argmax is fed back,
    which keeps the logits, and the layer that makes them, in the graph.
    Not `greedy_search`: it also scores every step with a log-softmax over
    the vocabulary, search work this ceiling leaves out."""

    def body(index, tokens, state):
        logits, state = step_fn(tokens, state)
        return index + 1, tf.argmax(logits, -1, output_type=tf.int32), state

    return tf.while_loop(
        lambda index, *_: index < max_length,
        body,
        (tf.constant(0), tokens, state),
    )[1]


def decoders(setup: DecodingSetup, beam_width: int = 5):
    """Name to `(strategy, callable)` of every decoder of `setup`'s model."""
    length = setup.max_length
    greedy_step, greedy_state, greedy_start = setup.decoding_step(1)
    beam_step, beam_state, beam_start = setup.decoding_step(beam_width)

    def greedy(state):
        return greedy_search(greedy_step, state, greedy_start, length)

    def beam(state):
        return beam_search(
            beam_step, state, beam_start, length, beam_width=beam_width
        )

    graph_greedy = tf.function(greedy)
    xla_greedy = tf.function(greedy, jit_compile=True)
    graph_beam = tf.function(beam)
    xla_beam = tf.function(beam, jit_compile=True)
    beam_rows = tile_batch((beam_state, beam_start), beam_width)

    def beam_steps_only(rows):
        return model_steps(beam_step, *rows, length)

    graph_steps = tf.function(beam_steps_only)
    xla_steps = tf.function(beam_steps_only, jit_compile=True)
    compiled_greedy_step = tf.function(greedy_step)
    compiled_beam_step = tf.function(beam_step)
    beam_name = f"beam{beam_width}"
    return {
        "greedy/rnnzoo tf.function": (
            "greedy",
            lambda: graph_greedy(greedy_state),
        ),
        "greedy/rnnzoo XLA": ("greedy", lambda: xla_greedy(greedy_state)),
        "greedy/python loop, eager": (
            "greedy",
            lambda: python_greedy(
                greedy_step, greedy_state, greedy_start, length
            ),
        ),
        "greedy/python loop, tf.function step": (
            "greedy",
            lambda: python_greedy(
                compiled_greedy_step, greedy_state, greedy_start, length
            ),
        ),
        f"{beam_name}/rnnzoo tf.function": (
            "beam",
            lambda: graph_beam(beam_state),
        ),
        f"{beam_name}/rnnzoo XLA": ("beam", lambda: xla_beam(beam_state)),
        f"{beam_name}/{MODEL_STEPS_ONLY}, tf.function": (
            "beam",
            lambda: graph_steps(beam_rows),
        ),
        f"{beam_name}/{MODEL_STEPS_ONLY}, XLA": (
            "beam",
            lambda: xla_steps(beam_rows),
        ),
        f"{beam_name}/python loop, eager": (
            "beam",
            lambda: python_beam(
                beam_step, beam_state, beam_start, length, beam_width
            ),
        ),
        f"{beam_name}/python loop, tf.function step": (
            "beam",
            lambda: python_beam(
                compiled_beam_step, beam_state, beam_start, length, beam_width
            ),
        ),
    }


@dataclasses.dataclass
class DecodingResult:
    model: str
    name: str
    strategy: str
    seconds: list[float]
    tokens: int

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / timing.median(self.seconds)


def time_decoders(
    setup: DecodingSetup, repeats: int, beam_width: int = 5
) -> list[DecodingResult]:
    """Times every decoder of `decoders(setup)`, interleaved."""
    table = decoders(setup, beam_width)
    times = timing.interleaved_times(
        {name: function for name, (_, function) in table.items()},
        repeats=repeats,
        warmup=1,
    )
    tokens = setup.batch * setup.max_length
    return [
        DecodingResult(setup.name, name, strategy, times[name], tokens)
        for name, (strategy, _) in table.items()
    ]
