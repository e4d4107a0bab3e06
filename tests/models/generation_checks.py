"""Checks of the decoding strategies through a model's own generation API
(`translate`, `generate`, `caption`), shared by the generator tests.

Each takes `generate(**options) -> GenerationResult`, the model's method
with its inputs and `max_length` already bound."""

import numpy as np


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
