"""`LanguageModel`: builds with several cells, trains, saves and reloads
with identical predictions; stateful truncated BPTT carries the state
across windows; it learns a deterministic grammar and a chord progression
(multi-hot), and generates through `rnnzoo.decoding` as the strategies
promise."""

import functools
import json

import keras
import numpy as np
import pytest

from rnnzoo.models import LanguageModel
from tests.models import generation_checks
from tests.models import synthetic

VOCAB = 10

CASES = {
    "lstm-2layers-dropout": {"cell": "lstm", "num_layers": 2, "dropout": 0.1},
    "gru-residual-end-token": {
        "cell": "gru",
        "num_layers": 2,
        "residual": True,
        "embedding_dim": 8,
        "end_token": 2,
    },
    "coupled_lstm-characters-without-padding": {
        "cell": "coupled_lstm",
        "mask_zero": False,
        "recurrent_dropout": 0.1,
    },
    "mgu-multi-hot": {
        "cell": "mgu",
        "input_dim": 6,
        "multi_hot": True,
        "mask_value": -1.0,
    },
    "skip_rnn-stateful": {
        "cell": "skip_rnn",
        "cell_kwargs": {"skip": 2},
        "stateful": True,
        "batch_size": 4,
    },
    "peephole_lstm-logits": {"cell": "peephole_lstm", "activation": None},
    "simple": {"cell": "simple"},
}
# Every cell runs by default; these add little and run with `-m slow`.
SLOW_CASES = {"lstm-2layers-dropout", "simple"}


def build(options, units=8):
    kwargs = {"units": units, **options}
    if not kwargs.get("multi_hot"):
        kwargs["vocab_size"] = VOCAB
    return LanguageModel(**kwargs)


def make_sequences(rng, model, num_samples=8, steps=7):
    if model.multi_hot:
        rolls = (
            rng.random((num_samples, steps, model.input_dim)) < 0.3
        ).astype("float32")
        rolls[: num_samples // 2, -2:] = model.mask_value
        return rolls
    if not model.mask_zero:
        return rng.integers(0, VOCAB, size=(num_samples, steps))
    lengths = rng.integers(3, steps + 1, size=num_samples)
    mask = synthetic.pad_mask(lengths, steps)
    return np.where(mask, rng.integers(1, VOCAB, mask.shape), 0)


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            case, marks=[pytest.mark.slow] if case in SLOW_CASES else []
        )
        for case in sorted(CASES)
    ],
)
def test_builds_trains_saves_and_reloads(case, rng, tmp_path):
    model = build(CASES[case])
    x, y = model.training_data(make_sequences(rng, model))
    model.compile(run_eagerly=True)
    before = [np.array(w) for w in model.get_weights()]
    history = model.fit(
        x, y, batch_size=4, epochs=1, shuffle=not model.stateful, verbose=0
    )
    assert np.isfinite(history.history["loss"]).all()
    assert any(
        not np.allclose(b, a) for b, a in zip(before, model.get_weights())
    )

    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is LanguageModel
    assert loaded.get_config() == model.get_config()
    for batch in (x[:4], x[4:]):
        if model.stateful:
            model.reset_state()
            loaded.reset_state()
        np.testing.assert_allclose(loaded(batch), model(batch), atol=1e-6)
    # Generation runs the same cells one step at a time: greedy search
    # continues with the most probable step of the whole-sequence pass.
    prompts = np.asarray(x)[: model.batch_size or 3, :3]
    if model.multi_hot:
        prompts = np.where(prompts < 0, 0.0, prompts)
    elif model.mask_zero:
        prompts = np.where(prompts == 0, 1, prompts)
    tokens = model.generate(prompts, max_length=3).tokens
    if model.stateful:
        model.reset_state()
    outputs = np.asarray(
        model(np.concatenate([prompts, tokens[:, :-1]], axis=1))
    )[:, 2:]
    if model.multi_hot:
        threshold = 0.0 if model.activation is None else 0.5
        np.testing.assert_array_equal(outputs > threshold, tokens)
    else:
        first = 1 if model.mask_zero else 0
        expected = outputs[..., first:].argmax(-1) + first
        if model.end_token is not None:
            # Generation pads (with 0) after the end token.
            ended = np.cumsum(expected == model.end_token, axis=1)
            after_end = (ended - (expected == model.end_token)) > 0
            expected = np.where(after_end, 0, expected)
        np.testing.assert_array_equal(expected, tokens)


def test_config_is_json_and_round_trips():
    model = build(CASES["gru-residual-end-token"])
    config = model.get_config()
    json.dumps(config)
    clone = LanguageModel.from_config(config)
    assert clone.get_config() == config
    assert len(clone.weights) == len(model.weights)


def test_training_data_never_asks_a_real_step_to_predict_padding():
    model = build({"cell": "gru"})
    x, y = model.training_data(np.array([[3, 4, 5, 6], [7, 8, 0, 0]]))
    np.testing.assert_array_equal(x, [[3, 4, 5], [7, 0, 0]])
    np.testing.assert_array_equal(y, [[4, 5, 6], [8, 0, 0]])
    music = build(CASES["mgu-multi-hot"])
    rolls = np.zeros((1, 4, 6), "float32")
    rolls[0, :, 0] = 1.0
    rolls[0, 3] = -1.0
    x, y = music.training_data(rolls)
    np.testing.assert_array_equal(np.asarray(x)[0, 2], -1.0)
    np.testing.assert_array_equal(np.asarray(x)[0, :2], rolls[0, :2])


def test_stateful_model_carries_its_state_across_windows(rng):
    stateful = build({"cell": "lstm", "stateful": True, "batch_size": 2})
    plain = build({"cell": "lstm"})
    plain.set_weights(stateful.get_weights())
    text = rng.integers(1, VOCAB, size=(2, 12))
    windows = [stateful(text[:, i : i + 4]) for i in range(0, 12, 4)]
    np.testing.assert_allclose(
        np.concatenate(windows, axis=1), plain(text), atol=1e-5
    )
    # Generation neither reads nor changes the carried state.
    expected = plain.generate(text[:, :3], max_length=4).tokens
    np.testing.assert_array_equal(
        stateful.generate(text[:, :3], max_length=4).tokens, expected
    )
    continued = plain(np.concatenate([text, text[:, :4]], axis=1))
    np.testing.assert_allclose(
        stateful(text[:, :4]), continued[:, 12:], atol=1e-5
    )
    stateful.reset_state()
    np.testing.assert_allclose(stateful(text[:, :4]), windows[0], atol=1e-6)


def test_stateful_training_over_consecutive_windows(rng):
    model = build({"cell": "gru", "stateful": True, "batch_size": 2})
    model.compile(run_eagerly=True)
    text = rng.integers(1, VOCAB, size=(2, 13))
    for start in range(0, 12, 4):
        x, y = text[:, start : start + 4], text[:, start + 1 : start + 5]
        loss = model.train_on_batch(x, y)
        assert np.isfinite(loss).all()
    model.reset_state()


def test_prompts_of_different_lengths_in_one_batch(rng):
    model = build({"cell": "gru", "num_layers": 2})
    model.set_weights(
        [rng.normal(scale=0.5, size=w.shape) for w in model.get_weights()]
    )
    prompts = [[3, 4, 5, 6], [7, 8], [9]]
    batch = np.zeros((3, 4), "int32")
    for row, prompt in enumerate(prompts):
        batch[row, : len(prompt)] = prompt
    together = model.generate(batch, max_length=5).tokens
    for row, prompt in enumerate(prompts):
        alone = model.generate(np.array([prompt]), max_length=5).tokens
        np.testing.assert_array_equal(together[row], alone[0])
    with pytest.raises(ValueError, match="at least one real step"):
        model.generate(np.array([[3, 4], [0, 0]]), max_length=5)
    with pytest.raises(ValueError, match="no preprocessor"):
        model.generate(["to be", "or not"], max_length=5)
    with pytest.raises(ValueError, match="`prompt` must be numbers .*'to'"):
        model.generate([["to", "be"]], max_length=5)
    with pytest.raises(ValueError, match="`inputs` must be numbers"):
        model.decoding_step(np.array(["to be"]))


# A model that has learned the grammar, shared by the tests below.

MODULUS, LENGTH, PROMPT = 7, 12, 2


@pytest.fixture(scope="module")
def grammar_model():
    keras.utils.set_random_seed(7)
    rng = np.random.default_rng(7)
    model = LanguageModel(vocab_size=MODULUS + 1, cell="lstm", units=32)
    model.compile(
        optimizer=keras.optimizers.Adam(0.01, clipnorm=1.0), jit_compile=False
    )
    sentences = synthetic.fibonacci_grammar(rng, 1024, LENGTH, MODULUS)
    x, y = model.training_data(sentences)
    model.fit(x, y, batch_size=32, epochs=6, verbose=0)
    test = synthetic.fibonacci_grammar(np.random.default_rng(8), 256)
    return model, test


def test_learns_a_deterministic_grammar(grammar_model):
    model, sentences = grammar_model
    result = model.generate(sentences[:, :PROMPT], max_length=LENGTH - PROMPT)
    exact = (result.tokens == sentences[:, PROMPT:]).all(-1).mean()
    assert exact >= 0.95, exact
    beam = generation_checks.assert_beam_search_scores_at_least_greedy(
        functools.partial(
            model.generate, sentences[:, :PROMPT], max_length=LENGTH - PROMPT
        )
    )
    assert (beam.tokens == sentences[:, PROMPT:]).all(-1).mean() >= 0.95
    # A longer prompt continues the same sentences.
    longer = model.generate(sentences[:, :5], max_length=LENGTH - 5)
    assert (longer.tokens == sentences[:, 5:]).all(-1).mean() >= 0.95


def test_greedy_continuation_is_the_argmax_of_teacher_forcing(grammar_model):
    model, sentences = grammar_model
    prompts = sentences[:64, :PROMPT]
    tokens = model.generate(prompts, max_length=6).tokens
    probabilities = np.asarray(
        model(np.concatenate([prompts, tokens[:, :-1]], axis=1))
    )
    np.testing.assert_array_equal(
        probabilities[:, PROMPT - 1 :].argmax(-1), tokens
    )


@pytest.mark.parametrize(
    "check",
    [
        generation_checks.assert_beam_width_one_is_greedy,
        generation_checks.assert_sampling_is_reproducible,
        generation_checks.assert_compiles_with_xla,
    ],
    ids=["beam-width-one-is-greedy", "seeded-sampling", "xla"],
)
def test_decoding_strategies_through_generate(grammar_model, check):
    model, sentences = grammar_model
    check(
        functools.partial(
            model.generate, sentences[:, :PROMPT], max_length=LENGTH - PROMPT
        )
    )


def test_decoding_step_drives_generate(grammar_model):
    model, sentences = grammar_model
    generation_checks.assert_decoding_step_drives_generate(
        model, sentences[:16, :PROMPT], max_length=6
    )
    music = LanguageModel(input_dim=4, multi_hot=True, units=4)
    with pytest.raises(ValueError, match="token models"):
        music.decoding_step(np.zeros((1, 2, 4), "float32"))
    with pytest.raises(ValueError, match="beam_width"):
        model.decoding_step(sentences[:1, :PROMPT], beam_width=0)
    with pytest.raises(ValueError, match="at least one real step"):
        model.decoding_step(np.array([[3, 4], [0, 0]]))


def test_top_k_one_is_greedy_and_text(grammar_model):
    model, sentences = grammar_model
    prompts = sentences[:16, :PROMPT]
    greedy = model.generate(prompts, max_length=6)
    top_1 = model.generate(
        prompts, max_length=6, strategy="top_k", top_k=1, seed=3
    )
    np.testing.assert_array_equal(top_1.tokens, greedy.tokens)
    assert greedy.text is None
    vocabulary = ["", *"abcdefg"]
    model.attach_vocabulary(vocabulary, separator="")
    try:
        text = model.generate(prompts, max_length=6).text
    finally:
        model.attach_vocabulary(None)
    assert text == [
        "".join(vocabulary[t] for t in row) for row in greedy.tokens
    ]


def test_learns_a_chord_progression():
    keras.utils.set_random_seed(7)
    rng = np.random.default_rng(7)
    model = LanguageModel(input_dim=12, multi_hot=True, cell="gru", units=32)
    model.compile(
        optimizer=keras.optimizers.Adam(0.01, clipnorm=1.0), jit_compile=False
    )
    x, y = model.training_data(synthetic.chord_progression(rng, 512))
    model.fit(x, y, batch_size=32, epochs=6, verbose=0)
    test = synthetic.chord_progression(np.random.default_rng(8), 128)
    # Two chords say where in the progression a piece is.
    result = model.generate(test[:, :2], max_length=10)
    assert result.tokens.shape == (128, 10, 12)
    exact = (result.tokens == test[:, 2:]).all((-2, -1)).mean()
    assert exact >= 0.95, exact
    # Sampling draws every note from its own Bernoulli distribution.
    options = dict(max_length=10, strategy="sample", temperature=2.0)
    first = model.generate(test[:, :2], seed=1, **options)
    again = model.generate(test[:, :2], seed=1, **options)
    np.testing.assert_array_equal(first.tokens, again.tokens)
    assert set(np.unique(first.tokens)) <= {0.0, 1.0}
    assert not np.array_equal(first.tokens, result.tokens)
    with pytest.raises(ValueError, match="`strategy` must be one of"):
        model.generate(test[:, :2], strategy="beam")


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"bidirectional": True}, "`bidirectional` must be False"),
        ({"cell": "rnn"}, "`cell` must be a registered"),
        ({"multi_hot": True}, "`multi_hot=True` takes frames"),
        ({"vocab_size": None, "input_dim": 88}, "`multi_hot=True` takes"),
        ({"stateful": True}, "`batch_size` must be a positive"),
        ({"batch_size": 8}, "pass `stateful=True` with it"),
        ({"cell_kwargs": {"stateful": True}}, "Pass `stateful=True`"),
        ({"end_token": VOCAB}, "`end_token` must be a token id"),
        ({"activation": "softmax"}, "`activation` must be one of"),
        ({"units": 0}, "`units` must be a positive"),
    ],
)
def test_configuration_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        LanguageModel(**{"vocab_size": VOCAB, "units": 4, **kwargs})


def test_music_loss_times_notes_is_the_nll_per_real_frame():
    # Padded frames weigh 0: the loss must average the real frames only,
    # so that `input_dim` times it is the per-frame NLL, computed here in
    # NumPy from the sigmoid outputs.
    rng = np.random.default_rng(3)
    notes = 6
    model = LanguageModel(input_dim=notes, multi_hot=True, units=5)
    frames = (rng.random((3, 7, notes)) < 0.3).astype("float32")
    weights = np.ones((3, 7), "float32")
    weights[0, 4:] = weights[2, 2:] = 0.0
    probabilities = np.clip(model.predict(frames, verbose=0), 1e-7, 1 - 1e-7)
    targets = (rng.random((3, 7, notes)) < 0.3).astype("float32")
    frame_nll = -(
        targets * np.log(probabilities)
        + (1 - targets) * np.log(1 - probabilities)
    ).sum(-1)
    expected = (frame_nll * weights).sum() / weights.sum()
    loss = model.default_loss()(targets, probabilities, sample_weight=weights)
    np.testing.assert_allclose(notes * float(loss), expected, rtol=1e-4)


def test_generate_reads_the_current_weights():
    # The compiled generation function is cached; it must read the weights
    # of each call (JAX passes them in), not those of its first call.
    model = build({"cell": "gru"})
    prompt = np.array([[3, 4, 5]])
    model.generate(prompt, max_length=4)
    logits = model.get_layer("logits")
    kernel, bias = logits.get_weights()
    bias[:] = 0.0
    bias[7] = 1e4
    logits.set_weights([np.zeros_like(kernel), bias])
    tokens = model.generate(prompt, max_length=4).tokens
    np.testing.assert_array_equal(tokens, [[7, 7, 7, 7]])
