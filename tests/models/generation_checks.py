"""Checks of the decoding strategies through a model's own generation API
(`translate`, `generate`, `caption`), shared by the generator tests.

Each takes `generate(**options) -> GenerationResult`, the model's method
with its inputs and `max_length` already bound."""

import keras
import numpy as np

from rnnzoo.decoding import beam_search


def assert_beam_width_one_is_greedy(generate):
    greedy = generate()
    beam = generate(strategy="beam", beam_width=1)
    np.testing.assert_array_equal(beam.tokens, greedy.tokens)
    np.testing.assert_allclose(beam.scores, greedy.scores, atol=1e-5)


def assert_beam_search_scores_at_least_greedy(generate, beam_width=3):
    greedy = generate()
    beam = generate(strategy="beam", beam_width=beam_width)
    assert np.all(beam.scores >= greedy.scores - 1e-4)
    return beam


def assert_sampling_is_reproducible(generate, temperature=3.0):
    options = dict(strategy="sample", temperature=temperature)
    first = generate(seed=11, **options)
    again = generate(seed=11, **options)
    other = generate(seed=12, **options)
    np.testing.assert_array_equal(first.tokens, again.tokens)
    np.testing.assert_array_equal(first.scores, again.scores)
    assert not np.array_equal(first.tokens, other.tokens)


def assert_compiles_with_xla(generate):
    graph = generate()
    xla = generate(jit_compile=True)
    np.testing.assert_array_equal(xla.tokens, graph.tokens)
    np.testing.assert_allclose(xla.scores, graph.scores, atol=1e-4)
    if graph.alignments is not None:
        np.testing.assert_allclose(xla.alignments, graph.alignments, atol=1e-5)


def assert_decoding_step_drives_generate(model, inputs, max_length):
    """`model.decoding_step` is what `generate` decodes from: a Python
    loop of argmaxes over its step function is greedy generation, the step
    function of `beam_width` beams computes every beam's row of its
    sequence, and `rnnzoo.decoding.beam_search` over it is beam
    generation."""
    end_token = getattr(model, "end_token", None)
    step_fn, state, tokens = model.decoding_step(inputs)
    tokens = np.asarray(tokens)
    assert tokens.shape == (len(inputs),) and tokens.dtype == np.int32
    first_logits = None
    emitted, finished = [], np.zeros(len(inputs), bool)
    for _ in range(max_length):
        logits, state = step_fn(tokens, state)
        logits = np.asarray(logits)
        if first_logits is None:
            first_logits = logits
        tokens = logits.argmax(-1).astype("int32")
        emitted.append(np.where(finished, 0, tokens))
        if end_token is not None:
            finished |= tokens == end_token
    greedy = model.generate(inputs, max_length=max_length)
    np.testing.assert_array_equal(np.stack(emitted, axis=1), greedy.tokens)

    width = 3
    step_fn, state, start = model.decoding_step(inputs, beam_width=width)
    beam_rows = keras.tree.map_structure(
        lambda x: np.repeat(np.asarray(x), width, axis=0), state
    )
    logits, _ = step_fn(np.repeat(np.asarray(start), width), beam_rows)
    np.testing.assert_allclose(
        np.asarray(logits), np.repeat(first_logits, width, axis=0), atol=1e-5
    )
    tokens, scores = beam_search(
        step_fn,
        state,
        start,
        max_length,
        beam_width=width,
        end_token=end_token,
    )
    beam = model.generate(
        inputs, max_length=max_length, strategy="beam", beam_width=width
    )
    np.testing.assert_array_equal(np.asarray(tokens), beam.tokens)
    np.testing.assert_allclose(np.asarray(scores), beam.scores, atol=1e-5)
