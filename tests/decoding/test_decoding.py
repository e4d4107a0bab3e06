"""The decoding strategies against independent NumPy references.

A tiny recurrent language model (`numpy_reference.TinyLanguageModel`), whose
logits depend on the whole history through a nested state, drives every
strategy:

* beam search, wide enough to be exact, returns the best sequences and
  scores of a brute-force enumeration of every output, with and without an
  end token and a length penalty; narrow beams follow a plain NumPy beam
  search step by step;
* `beam_width=1` is greedy search, greedy search is the NumPy argmax path,
  and top-k sampling with `top_k=1` is greedy search;
* sampling is reproducible with a seed, differs across seeds, scores its
  samples with the model's log-probabilities, and draws tokens with the
  frequencies of `softmax(logits / temperature)` (renormalised over the top
  k);
* every strategy compiles (`tf.function(jit_compile=True)`, `jax.jit`);
* bad arguments raise `ValueError`s that name them.
"""

import keras
import numpy as np
import pytest
from keras import ops

from rnnzoo.decoding import STRATEGIES
from rnnzoo.decoding import STRATEGY_OPTIONS
from rnnzoo.decoding import beam_search
from rnnzoo.decoding import decode
from rnnzoo.decoding import decoding_options
from rnnzoo.decoding import greedy_search
from rnnzoo.decoding import sample
from rnnzoo.decoding.beam import top_k_by_groups
from tests.decoding import numpy_reference as ref

BATCH = 2
START = 1
END = 2


def make_model(vocab_size=4, end_bias=None, seed=0):
    return ref.TinyLanguageModel(seed, vocab_size, end_bias=end_bias)


def compile_function(function, jit_compile=True):
    """`function` compiled by the backend: `tf.function` (with XLA when
    `jit_compile`) or `jax.jit`; PyTorch runs it eagerly."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.function(function, jit_compile=jit_compile)
    if backend == "jax":
        import jax

        return jax.jit(function)
    return function


def to_numpy(*tensors):
    return [ops.convert_to_numpy(t) for t in tensors]


def assert_no_tokens_after_end(tokens, end_token, pad_token):
    for row in tokens.reshape(-1, tokens.shape[-1]).tolist():
        if end_token in row:
            after = row[row.index(end_token) + 1 :]
            assert after == [pad_token] * len(after)


# Beam search.


@pytest.mark.parametrize(
    "vocab_size, max_length", [(4, 3), (3, 4)], ids=["V4-L3", "V3-L4"]
)
@pytest.mark.parametrize("end_token", [None, END], ids=["no-end", "end"])
@pytest.mark.parametrize("alpha", [0.0, 1.2], ids=["alpha0", "alpha1.2"])
def test_exact_beam_search_matches_brute_force(
    vocab_size, max_length, end_token, alpha
):
    # Boost the end token so that early endings compete with long ones.
    end_bias = None if end_token is None else (end_token, 1.0)
    model = make_model(vocab_size, end_bias=end_bias)
    state = model.initial_state(BATCH)
    # As wide as the number of prefixes before the last step: exact.
    width = vocab_size ** (max_length - 1)
    tokens, scores = to_numpy(
        *beam_search(
            model.step_fn,
            state,
            START,
            max_length,
            beam_width=width,
            end_token=end_token,
            length_penalty=alpha,
            return_all_beams=True,
        )
    )
    best_tokens, best_scores = to_numpy(
        *beam_search(
            model.step_fn,
            state,
            START,
            max_length,
            beam_width=width,
            end_token=end_token,
            length_penalty=alpha,
        )
    )
    assert tokens.shape == (BATCH, width, max_length)
    assert tokens.dtype == np.int32 and scores.shape == (BATCH, width)
    for row in range(BATCH):
        expected = ref.brute_force(
            model,
            model.row_state(state, row),
            START,
            max_length,
            end_token,
            alpha,
        )[:width]
        assert best_tokens[row].tolist() == list(expected[0][0])
        np.testing.assert_allclose(best_scores[row], expected[0][1], rtol=1e-5)
        assert [tuple(t) for t in tokens[row].tolist()] == [
            t for t, _ in expected
        ]
        np.testing.assert_allclose(
            scores[row], [s for _, s in expected], rtol=1e-5
        )
    if end_token is not None:
        # The end token finishes some of the best sequences early.
        assert (tokens[:, :, :-1] == end_token).any()
        assert_no_tokens_after_end(tokens, end_token, pad_token=0)


@pytest.mark.parametrize(
    "vocab_size, width, end_bias",
    # 70 tokens x 4 beams: long enough rows for the grouped top-k.
    [(5, 2, 0.5), (5, 3, 0.5), (70, 4, 2.0)],
    ids=["V5-W2", "V5-W3", "V70-W4"],
)
@pytest.mark.parametrize("alpha", [0.0, 0.8])
def test_narrow_beam_search_matches_numpy_beam_search(
    vocab_size, width, end_bias, alpha
):
    model = make_model(vocab_size, end_bias=(END, end_bias), seed=1)
    state = model.initial_state(BATCH)
    tokens, scores = to_numpy(
        *beam_search(
            model.step_fn,
            state,
            START,
            5,
            beam_width=width,
            end_token=END,
            length_penalty=alpha,
            return_all_beams=True,
            pad_token=-1,
        )
    )
    for row in range(BATCH):
        expected = ref.reference_beam_search(
            model,
            model.row_state(state, row),
            START,
            5,
            width,
            END,
            alpha,
            pad=-1,
        )
        assert [tuple(t) for t in tokens[row].tolist()] == [
            t for t, _ in expected
        ]
        np.testing.assert_allclose(
            scores[row], [s for _, s in expected], rtol=1e-5
        )


@pytest.mark.parametrize("jit_compile", [False, True], ids=["graph", "xla"])
@pytest.mark.parametrize("n, k", [(200, 5), (333, 3), (96, 3), (40, 3)])
def test_top_k_by_groups_is_top_k_with_ties_to_the_lower_index(
    n, k, jit_compile
):
    rng = np.random.default_rng(n + k)
    # Few distinct values, so that ties decide; whole rows of -inf and of
    # one value; the best entries packed into one group; the best entry
    # in the last group, which also holds a tie of earlier groups.
    values = rng.integers(0, 4, size=(6, n)).astype("float32")
    values[rng.random(values.shape) < 0.3] = -np.inf
    values[1] = -np.inf
    values[2] = 1.0
    values[3, 8:16] = 9.0
    values[4, -2:] = [3.0, 9.0]
    order = np.argsort(-values, axis=1, kind="stable")[:, :k]
    top_k = compile_function(
        lambda x: top_k_by_groups(x, k), jit_compile=jit_compile
    )
    top_values, indices = to_numpy(*top_k(ops.convert_to_tensor(values)))
    np.testing.assert_array_equal(indices, order)
    np.testing.assert_array_equal(
        top_values, np.take_along_axis(values, order, axis=1)
    )


@pytest.mark.parametrize("end_token", [None, END])
@pytest.mark.parametrize("alpha", [0.0, 0.6])
def test_beam_width_one_is_greedy_search(end_token, alpha):
    model = make_model(5, end_bias=(END, 0.5))
    state = model.initial_state(3)
    greedy_tokens, greedy_scores = to_numpy(
        *greedy_search(model.step_fn, state, START, 6, end_token=end_token)
    )
    beam_tokens, beam_scores = to_numpy(
        *beam_search(
            model.step_fn,
            state,
            START,
            6,
            beam_width=1,
            end_token=end_token,
            length_penalty=alpha,
        )
    )
    np.testing.assert_array_equal(beam_tokens, greedy_tokens)
    lengths = np.array(
        [ref.truncate(row, end_token, 0)[1] for row in greedy_tokens.tolist()]
    )
    np.testing.assert_allclose(
        beam_scores, greedy_scores / ref.gnmt_penalty(lengths, alpha), rtol=1e-5
    )


def test_keras_cell_step_function_in_a_compiled_function():
    # A Keras LSTM cell returns its state as a list; a tuple state works.
    embedding = keras.layers.Embedding(6, 4)
    cell = keras.layers.LSTMCell(5)
    projection = keras.layers.Dense(6)

    def step_fn(tokens, state):
        output, new_state = cell(embedding(tokens), state)
        return projection(output), new_state

    rng = np.random.default_rng(2)
    state = tuple(rng.normal(size=(3, 5)).astype("float32") for _ in "hc")

    # Built beforehand: a compiled function must not create weights.
    embedding.build((None,))
    cell.build((None, 4))
    projection.build((None, 5))

    def run(state):
        greedy = greedy_search(step_fn, state, 0, 5, end_token=1)
        beam = beam_search(step_fn, state, 0, 5, beam_width=1, end_token=1)
        return greedy, beam

    run = compile_function(run, jit_compile=False)
    (greedy_tokens, greedy_scores), (beam_tokens, beam_scores) = run(state)
    np.testing.assert_array_equal(beam_tokens, greedy_tokens)
    np.testing.assert_allclose(beam_scores, greedy_scores, rtol=1e-5)


# Greedy search.


@pytest.mark.parametrize("end_token", [None, END])
def test_greedy_search_follows_the_argmax_path(end_token):
    model = make_model(5, end_bias=(END, 0.5))
    state = model.initial_state(4)
    start = np.array([0, 1, 3, 4], "int32")  # one start token per row
    tokens, scores = to_numpy(
        *greedy_search(
            model.step_fn, state, start, 6, end_token=end_token, pad_token=9
        )
    )
    assert tokens.shape == (4, 6) and scores.shape == (4,)
    for row in range(4):
        expected_tokens, expected_score = ref.greedy_path(
            model, model.row_state(state, row), start[row], 6, end_token, 9
        )
        assert tokens[row].tolist() == expected_tokens
        np.testing.assert_allclose(scores[row], expected_score, rtol=1e-5)
    if end_token is not None:
        assert (tokens == 9).any()


# Sampling.


def sampled_log_probs(model, state, tokens, end_token):
    """The model's log-probability of each sampled row, in NumPy."""
    totals = []
    for row, row_tokens in enumerate(tokens.tolist()):
        _, length = ref.truncate(row_tokens, end_token, 0)
        totals.append(
            sum(
                ref.sequence_log_probs(
                    model,
                    model.row_state(state, row),
                    START,
                    row_tokens[:length],
                )
            )
        )
    return np.array(totals)


def test_sampling_is_reproducible_and_scored_by_the_model():
    model = make_model(5, end_bias=(END, -0.5))
    state = model.initial_state(16)

    def run(seed, **kwargs):
        return to_numpy(
            *sample(
                model.step_fn,
                state,
                START,
                6,
                temperature=1.5,
                seed=seed,
                end_token=END,
                pad_token=-1,
                **kwargs,
            )
        )

    tokens, scores = run(7)
    again, again_scores = run(7)
    np.testing.assert_array_equal(tokens, again)
    np.testing.assert_array_equal(scores, again_scores)
    assert not np.array_equal(tokens, run(8)[0])
    assert not np.array_equal(tokens, run(None)[0])
    assert_no_tokens_after_end(tokens, END, pad_token=-1)
    assert (tokens == -1).any() and (tokens[:, -1] != -1).any()
    np.testing.assert_allclose(
        scores, sampled_log_probs(model, state, tokens, END), rtol=1e-5
    )
    # Top-k sampling only draws among the k most probable tokens, and the
    # scores stay those of the untempered model.
    top_tokens, top_scores = run(7, top_k=2)
    np.testing.assert_allclose(
        top_scores, sampled_log_probs(model, state, top_tokens, END), rtol=1e-5
    )


@pytest.mark.parametrize("end_token", [None, END])
def test_top_1_sampling_is_greedy_search(end_token):
    model = make_model(5, end_bias=(END, 0.5))
    state = model.initial_state(4)
    greedy = to_numpy(
        *greedy_search(model.step_fn, state, START, 6, end_token=end_token)
    )
    top_1 = to_numpy(
        *decode(
            model.step_fn,
            state,
            START,
            6,
            strategy="top_k",
            top_k=1,
            temperature=0.7,
            seed=3,
            end_token=end_token,
        )
    )
    np.testing.assert_array_equal(top_1[0], greedy[0])
    np.testing.assert_allclose(top_1[1], greedy[1], rtol=1e-6)


@pytest.mark.parametrize(
    "temperature, top_k", [(0.5, None), (1.0, None), (2.0, None), (1.0, 2)]
)
def test_sample_frequencies_follow_the_tempered_softmax(temperature, top_k):
    model = make_model(5)
    samples = 20000
    one_state = model.initial_state(1)
    state = keras.tree.map_structure(
        lambda x: np.repeat(x, samples, axis=0), one_state
    )
    tokens, _ = to_numpy(
        *sample(
            model.step_fn,
            state,
            START,
            1,
            temperature=temperature,
            top_k=top_k,
            seed=11,
        )
    )
    logits, _ = model.logits(START, model.row_state(one_state, 0))
    if top_k is not None:
        cutoff = np.sort(logits)[-top_k]
        logits = np.where(logits >= cutoff, logits, -np.inf)
    expected = ref.softmax(logits / temperature)
    frequencies = np.bincount(tokens[:, 0], minlength=5) / samples
    # Binomial standard errors are below 0.0036 at 20000 samples.
    np.testing.assert_allclose(frequencies, expected, atol=0.015)
    if top_k is not None:
        assert (frequencies[expected == 0] == 0).all()


# Compilation.


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_decoding_compiles_with_xla(strategy):
    model = make_model(4, end_bias=(END, 0.5))
    state = model.initial_state(BATCH)
    options = {
        "greedy": {},
        "sample": {"temperature": 0.8},
        "top_k": {"top_k": 2},
        "beam": {"beam_width": 3, "length_penalty": 0.6},
    }[strategy]

    def run(state, seed=None):
        if seed is not None:
            options["seed"] = seed
        return decode(
            model.step_fn,
            state,
            START,
            5,
            strategy=strategy,
            end_token=END,
            **options,
        )

    compiled = compile_function(run, jit_compile=True)
    if strategy in ("greedy", "beam"):
        tokens, scores = to_numpy(*compiled(state))
        eager_tokens, eager_scores = to_numpy(*run(state))
        np.testing.assert_array_equal(tokens, eager_tokens)
        np.testing.assert_allclose(scores, eager_scores, rtol=1e-5)
    else:
        # A seed tensor varies the draws of one compiled function.
        first = to_numpy(
            *compiled(state, ops.convert_to_tensor([1, 2], "int32"))
        )
        again = to_numpy(
            *compiled(state, ops.convert_to_tensor([1, 2], "int32"))
        )
        np.testing.assert_array_equal(first[0], again[0])
        np.testing.assert_array_equal(first[1], again[1])
        tokens, scores = first
        assert tokens.shape == (BATCH, 5) and scores.shape == (BATCH,)
        assert ((tokens >= 0) & (tokens < 4)).all()
        assert_no_tokens_after_end(tokens, END, pad_token=0)


# Arguments.


def constant_step_fn(tokens, state):
    return ops.zeros((ops.shape(tokens)[0], 4)), state


BAD_ARGUMENTS = [
    ("max_length", dict(max_length=0), "greedy", "max_length"),
    ("max_length-float", dict(max_length=2.5), "greedy", "max_length"),
    ("beam_width", dict(beam_width=0), "beam", "beam_width"),
    ("temperature-zero", dict(temperature=0.0), "sample", "temperature"),
    ("temperature-negative", dict(temperature=-1), "sample", "temperature"),
    ("top_k-zero", dict(top_k=0), "sample", "top_k"),
    ("top_k-too-large", dict(top_k=5), "top_k", "top_k"),
    ("top_k-missing", dict(), "top_k", "top_k"),
    ("strategy", dict(), "nucleus", "strategy"),
    ("option-of-other-strategy", dict(beam_width=3), "greedy", "beam_width"),
    ("end_token-negative", dict(end_token=-1), "greedy", "end_token"),
    ("end_token-too-large", dict(end_token=4), "beam", "end_token"),
    ("pad_token", dict(pad_token=0.5), "greedy", "pad_token"),
    ("seed", dict(seed="abc"), "sample", "seed"),
    ("length_penalty", dict(length_penalty=np.nan), "beam", "length_penalty"),
    ("return_all_beams", dict(return_all_beams="yes"), "beam", "return_all"),
    ("start_token", dict(start_token=-1), "greedy", "start_token"),
    ("step_fn", dict(step_fn=None), "greedy", "step_fn"),
    (
        "logits-rank",
        dict(step_fn=lambda tokens, state: (ops.zeros((2, 3, 4)), state)),
        "greedy",
        "logits",
    ),
    (
        "state-structure",
        dict(step_fn=lambda tokens, state: (ops.zeros((2, 4)), ())),
        "beam",
        "structure",
    ),
]


@pytest.mark.parametrize(
    "arguments, strategy, match",
    [case[1:] for case in BAD_ARGUMENTS],
    ids=[case[0] for case in BAD_ARGUMENTS],
)
def test_bad_arguments_raise(arguments, strategy, match):
    arguments = dict(arguments)
    call = dict(
        step_fn=arguments.pop("step_fn", constant_step_fn),
        initial_state=(np.zeros((2, 3), "float32"),),
        start_token=arguments.pop("start_token", 0),
        max_length=arguments.pop("max_length", 3),
    )
    with pytest.raises(ValueError, match=match):
        decode(**call, strategy=strategy, **arguments)


# The one table of options.


MODEL_OPTIONS = dict(beam_width=3, length_penalty=0.6, temperature=0.8, top_k=2)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_decoding_options_keep_what_the_table_lists(strategy):
    options = decoding_options(strategy, **MODEL_OPTIONS)
    assert set(options) == set(STRATEGY_OPTIONS[strategy]) & set(MODEL_OPTIONS)
    # What a model keeps, `decode` takes.
    model = make_model(4)
    tokens, _ = decode(
        model.step_fn,
        model.initial_state(BATCH),
        START,
        3,
        strategy=strategy,
        **options,
    )
    assert tokens.shape == (BATCH, 3)


@pytest.mark.parametrize(
    "strategy, candidates, message",
    [
        ("nucleus", {}, "`strategy` must be one of"),
        ("beam", {"beam_width": 0}, "`beam_width` must be a positive integer"),
        ("sample", {"temperature": 0}, "`temperature` must be a positive"),
        ("top_k", {"temperature": 1.0}, 'strategy="top_k" needs `top_k`'),
        ("beam", {"length_penalty": np.inf}, "`length_penalty` must be a fin"),
    ],
)
def test_decoding_options_check_the_values(strategy, candidates, message):
    with pytest.raises(ValueError, match=message):
        decoding_options(strategy, **candidates)


def test_decode_names_the_options_the_table_lists():
    model = make_model(4)
    with pytest.raises(ValueError, match="its options are: beam_width, leng"):
        decode(
            model.step_fn,
            model.initial_state(BATCH),
            START,
            3,
            strategy="beam",
            temperature=0.5,
        )
