"""Decoding throughput: compiled greedy and beam search against Python loops.

The decoders of `rnnzoo.decoding` drive a step function
`step_fn(tokens, state) -> (logits, state)` inside one `while_loop`; the
baselines are what users write without them, a Python `for` loop that calls
the model once per token (eagerly, or through a `tf.function` of one step)
and picks tokens (and beams) in Python.

Any model plugs in through `DecodingSetup`: a step function, its initial
state and the start token. Until rnnzoo's own generating models exist, the
setup is a small LSTM language model built from Keras layers (`Embedding`,
`LSTMCell`, `Dense`). Every decode emits `max_length` tokens per sequence (no
end token), and throughput counts `batch * max_length` tokens per decode for
greedy and beam search alike.
"""

import dataclasses
from typing import Any
from typing import Callable

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from benchmarks import timing
from rnnzoo.decoding import beam_search
from rnnzoo.decoding import greedy_search


@dataclasses.dataclass
class DecodingSetup:
    """A model to decode from.

    Attributes:
        name: What the model is, for the report.
        step_fn: `step_fn(tokens, state) -> (logits, new_state)`.
        initial_state: The state before the first token, `(batch, ...)`
            tensors.
        start_token: The token fed to the first step.
        batch: Number of sequences decoded at once.
        max_length: Number of tokens emitted per sequence.
    """

    name: str
    step_fn: Callable[[Any, Any], tuple[Any, Any]]
    initial_state: Any
    start_token: int
    batch: int
    max_length: int


def lstm_language_model(
    vocab_size: int = 1000,
    embedding_dim: int = 64,
    units: int = 256,
    batch: int = 16,
    max_length: int = 64,
) -> DecodingSetup:
    """A one-layer LSTM language model (random weights) as a step function."""
    keras.utils.set_random_seed(0)
    embedding = keras.layers.Embedding(vocab_size, embedding_dim)
    cell = keras.layers.LSTMCell(units)
    projection = keras.layers.Dense(vocab_size)

    def step_fn(tokens, state):
        output, state = cell(embedding(tokens), state)
        return projection(output), state

    initial_state = [ops.zeros((batch, units)), ops.zeros((batch, units))]
    step_fn(ops.zeros((batch,), "int32"), initial_state)  # Builds weights.
    return DecodingSetup(
        name=(
            f"LSTM language model (vocabulary {vocab_size}, embedding "
            f"{embedding_dim}, {units} units)"
        ),
        step_fn=step_fn,
        initial_state=initial_state,
        start_token=0,
        batch=batch,
        max_length=max_length,
    )


def python_greedy(setup: DecodingSetup, step_fn=None):
    """Greedy search as a Python loop, one model call per token."""
    step_fn = step_fn or setup.step_fn
    state = setup.initial_state
    tokens = tf.fill((setup.batch,), setup.start_token)
    emitted = []
    for _ in range(setup.max_length):
        logits, state = step_fn(tokens, state)
        tokens = tf.argmax(logits, axis=-1, output_type=tf.int32)
        emitted.append(tokens.numpy())
    return np.stack(emitted, axis=1)


def python_beam(setup: DecodingSetup, beam_width: int, step_fn=None):
    """Beam search as a Python loop, one model call per token (all beams
    at once), beams chosen with NumPy."""
    step_fn = step_fn or setup.step_fn
    batch, width = setup.batch, beam_width
    state = [tf.repeat(s, width, axis=0) for s in setup.initial_state]
    tokens = tf.fill((batch * width,), setup.start_token)
    scores = np.full((batch, width), -np.inf, dtype=np.float32)
    scores[:, 0] = 0.0
    history = np.zeros((batch, width, 0), dtype=np.int32)
    offsets = np.arange(batch)[:, None] * width
    for _ in range(setup.max_length):
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
        state = [tf.gather(s, rows) for s in state]
        tokens = tf.constant(new_tokens.reshape(-1), tf.int32)
    return history[:, 0]


def decoders(setup: DecodingSetup, beam_width: int = 5):
    """Name to `(strategy, implementation, callable)` of every decoder."""

    def greedy(state):
        return greedy_search(
            setup.step_fn, state, setup.start_token, setup.max_length
        )

    def beam(state):
        return beam_search(
            setup.step_fn,
            state,
            setup.start_token,
            setup.max_length,
            beam_width=beam_width,
        )

    compiled_step = tf.function(setup.step_fn)
    state = setup.initial_state
    graph_greedy = tf.function(greedy)
    xla_greedy = tf.function(greedy, jit_compile=True)
    graph_beam = tf.function(beam)
    xla_beam = tf.function(beam, jit_compile=True)
    return {
        "greedy/rnnzoo tf.function": ("greedy", lambda: graph_greedy(state)),
        "greedy/rnnzoo XLA": ("greedy", lambda: xla_greedy(state)),
        "greedy/python loop, eager": ("greedy", lambda: python_greedy(setup)),
        "greedy/python loop, tf.function step": (
            "greedy",
            lambda: python_greedy(setup, compiled_step),
        ),
        f"beam{beam_width}/rnnzoo tf.function": (
            "beam",
            lambda: graph_beam(state),
        ),
        f"beam{beam_width}/rnnzoo XLA": ("beam", lambda: xla_beam(state)),
        f"beam{beam_width}/python loop, eager": (
            "beam",
            lambda: python_beam(setup, beam_width),
        ),
        f"beam{beam_width}/python loop, tf.function step": (
            "beam",
            lambda: python_beam(setup, beam_width, compiled_step),
        ),
    }


@dataclasses.dataclass
class DecodingResult:
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
        DecodingResult(name, strategy, times[name], tokens)
        for name, (strategy, _) in table.items()
    ]
