"""`Seq2Seq`: builds with several cells and attentions, trains, saves and
reloads with identical predictions and translations; padding stays out of
attention, loss and metrics; it learns to reverse sequences; greedy, beam
and sampled translations behave as the decoding strategies promise,
through `translate`."""

import functools
import json

import keras
import numpy as np
import pytest

from rnnzoo.models import Seq2Seq
from rnnzoo.models import TokenDecoder
from rnnzoo.models.generation import before_end_mask
from tests.models import generation_checks
from tests.models import synthetic

VOCAB, START, END = 10, 1, 2

CASES = {
    "gru-bidirectional-bahdanau": {"cell": "gru", "bidirectional": True},
    "lstm-luong-2layers-residual-dropout": {
        "cell": "lstm",
        "attention": "luong",
        "num_layers": 2,
        "residual": True,
        "dropout": 0.1,
    },
    "mgu-sutskever-bidirectional-2layers": {
        "cell": "mgu",
        "attention": None,
        "bidirectional": True,
        "num_layers": 2,
    },
    "skip_rnn-feature-source-bahdanau-normalized": {
        "cell": "skip_rnn",
        "cell_kwargs": {"skip": 2},
        "attention_kwargs": {"normalize": True},
        "input_dim": 3,
        "mask_value": 0.0,
        "target_vocab_size": VOCAB,
    },
    "peephole_lstm-bidirectional-luong-concat": {
        "cell": "peephole_lstm",
        "bidirectional": True,
        "attention": "luong",
        "attention_kwargs": {"score": "concat"},
    },
    "coupled_lstm-recurrent-dropout": {
        "cell": "coupled_lstm",
        "recurrent_dropout": 0.1,
    },
    "simple-sutskever": {"cell": "simple", "attention": None},
}
# Every cell runs by default; these add little and run with `-m slow`.
SLOW_CASES = {
    "peephole_lstm-bidirectional-luong-concat",
    "coupled_lstm-recurrent-dropout",
    "simple-sutskever",
}


def build(options, units=8):
    kwargs = {"units": units, **options}
    if "input_dim" not in kwargs:
        kwargs["vocab_size"] = VOCAB
    return Seq2Seq(**kwargs)


def make_source(rng, model, num_samples=8, steps=6):
    lengths = rng.integers(2, steps + 1, size=num_samples)
    mask = synthetic.pad_mask(lengths, steps)
    if model.input_dim is not None:
        features = rng.uniform(0.5, 1.5, (num_samples, steps, model.input_dim))
        return np.where(mask[..., None], features, 0.0).astype("float32")
    return np.where(mask, rng.integers(3, VOCAB, mask.shape), 0)


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
    source = make_source(rng, model)
    _, target = synthetic.reversal(rng, len(source), VOCAB, 1, 5)
    x, y = model.training_data(source, target)
    model.compile(run_eagerly=True)
    before = [np.array(w) for w in model.get_weights()]
    history = model.fit(x, y, batch_size=4, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    assert any(
        not np.allclose(b, a) for b, a in zip(before, model.get_weights())
    )

    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is Seq2Seq
    assert loaded.get_config() == model.get_config()
    np.testing.assert_allclose(loaded(x), model(x), atol=1e-6)
    # Generation runs the same layers one step at a time.
    result = model.translate(source, max_length=4)
    assert result.tokens.shape == (len(source), 4)
    if model.attention is None:
        assert result.alignments is None
    else:
        assert result.alignments.shape == (len(source), 4, source.shape[1])


def test_config_is_json_and_round_trips():
    model = build(CASES["lstm-luong-2layers-residual-dropout"])
    config = model.get_config()
    json.dumps(config)
    clone = Seq2Seq.from_config(config)
    assert clone.get_config() == config
    assert len(clone.weights) == len(model.weights)


def test_training_data_adds_start_and_end_tokens():
    model = build({"cell": "gru"})
    x, y = model.training_data(
        np.array([[5, 6, 0], [7, 0, 0]]), np.array([[8, 9, 4], [3, 0, 0]])
    )
    np.testing.assert_array_equal(
        x["target_in"], [[START, 8, 9, 4], [START, 3, 0, 0]]
    )
    np.testing.assert_array_equal(y, [[8, 9, 4, END], [3, END, 0, 0]])


@pytest.mark.parametrize("attention", ["bahdanau", None])
def test_outputs_ignore_source_padding(attention, rng):
    model = build(
        {"cell": "lstm", "bidirectional": True, "attention": attention}
    )
    model.set_weights(
        [rng.normal(scale=0.5, size=w.shape) for w in model.get_weights()]
    )
    source = np.array([[3, 4, 5, 0], [6, 7, 8, 9]])
    x, _ = model.training_data(source, np.array([[5, 4, 3], [9, 8, 7]]))
    x = {key: np.asarray(value) for key, value in x.items()}
    padded = dict(x, source=np.pad(source, ((0, 0), (0, 3))))
    np.testing.assert_allclose(model(x), model(padded), atol=1e-6)
    changed = dict(x, source=np.where(source == 3, 4, source))
    assert not np.allclose(model(changed)[0], model(x)[0], atol=1e-4)


def test_padded_target_steps_count_in_neither_loss_nor_metrics(rng):
    model = build({"cell": "gru"})
    model.compile()
    source = np.array([[3, 4, 5], [6, 7, 0]])
    x, y = model.training_data(source, np.array([[5, 4, 3], [7, 0, 0]]))
    y = np.asarray(y)
    padding = y == 0
    other = np.where(padding, (y + 5) % VOCAB, y)
    first = model.evaluate(x, y, verbose=0, return_dict=True)
    second = model.evaluate(x, other, verbose=0, return_dict=True)
    assert first == pytest.approx(second, rel=1e-6)
    probabilities = np.asarray(model(x))
    picked = np.take_along_axis(probabilities, y[..., None], -1)[..., 0]
    assert first["loss"] == pytest.approx(
        -np.log(picked)[~padding].mean(), rel=1e-5
    )


def test_token_decoder_steps_match_teacher_forcing(rng):
    """One step at a time (generation) computes what the whole-sequence
    pass (training) computes, for every kind of decoder layer."""
    memory = rng.normal(size=(2, 5, 6)).astype("float32")
    tokens = np.array([[1, 4, 5, 6], [1, 7, 3, 2]])
    for attention in ("bahdanau", None):
        decoder = TokenDecoder(
            VOCAB, 4, cell="lstm", num_layers=2, attention=attention
        )
        initial = [
            [rng.normal(size=(2, 4)).astype("float32") for _ in range(2)]
            for _ in range(2)
        ]
        logits, alignments = decoder(
            tokens, memory, initial_state=initial, return_alignments=True
        )
        state = decoder.get_initial_state(2, memory, initial)
        cache = decoder.prepare_memory(memory)
        for step in range(tokens.shape[1]):
            step_logits, state, alignment = decoder.step(
                tokens[:, step], state, cache
            )
            np.testing.assert_allclose(step_logits, logits[:, step], atol=1e-5)
            if attention is not None:
                np.testing.assert_allclose(
                    alignment, alignments[:, step], atol=1e-6
                )


# A model that has learned to reverse, shared by the tests below.

TRAIN, TEST, MAX_STEPS, EPOCHS = 2048, 256, 7, 4


def adam_with_cosine_decay(learning_rate, steps):
    schedule = keras.optimizers.schedules.CosineDecay(
        learning_rate, steps, alpha=0.05
    )
    return keras.optimizers.Adam(schedule, clipnorm=1.0)


@pytest.fixture(scope="module")
def reverser():
    keras.utils.set_random_seed(7)
    rng = np.random.default_rng(7)
    source, target = synthetic.reversal(rng, TRAIN + TEST, VOCAB, 3, MAX_STEPS)
    model = Seq2Seq(vocab_size=VOCAB, cell="gru", units=32, bidirectional=True)
    model.compile(optimizer=adam_with_cosine_decay(0.01, EPOCHS * TRAIN // 32))
    x, y = model.training_data(source[:TRAIN], target[:TRAIN])
    model.fit(x, y, batch_size=32, epochs=EPOCHS, verbose=0)
    return model, source[TRAIN:], target[TRAIN:]


def exact_match(tokens, target):
    expected = synthetic.with_end_token(target, END, tokens.shape[1])
    return (tokens == expected).all(-1).mean()


def test_learns_to_reverse_sequences(reverser):
    model, source, target = reverser
    greedy = model.translate(source, max_length=MAX_STEPS + 1)
    assert exact_match(greedy.tokens, target) >= 0.95
    beam = generation_checks.assert_beam_search_scores_at_least_greedy(
        functools.partial(model.translate, source, max_length=MAX_STEPS + 1)
    )
    assert exact_match(beam.tokens, target) >= 0.95


def test_greedy_translation_is_the_argmax_of_teacher_forcing(reverser):
    model, source, _ = reverser
    result = model.translate(source, max_length=MAX_STEPS + 1)
    target_in = np.concatenate(
        [np.full((len(source), 1), START), result.tokens[:, :-1]], axis=1
    )
    probabilities = np.asarray(
        model({"source": source, "target_in": target_in})
    )
    real = np.asarray(before_end_mask(result.tokens, END))
    np.testing.assert_array_equal(
        probabilities.argmax(-1)[real], result.tokens[real]
    )


def test_alignments_follow_the_reversal(reverser):
    model, source, _ = reverser
    result = model.translate(source, max_length=MAX_STEPS + 1)
    alignments = result.alignments
    assert alignments.shape == (len(source), MAX_STEPS + 1, source.shape[1])
    lengths = (source != 0).sum(-1)
    steps = np.arange(MAX_STEPS + 1)
    emitted = steps[None, :] <= lengths[:, None]  # the tokens and the end
    # Rows sum to one while tokens are emitted and are zero afterwards;
    # padded source positions get no weight.
    np.testing.assert_allclose(alignments.sum(-1)[emitted], 1.0, atol=1e-5)
    np.testing.assert_array_equal(alignments[~emitted], 0.0)
    padded = np.broadcast_to(source[:, None, :] == 0, alignments.shape)
    np.testing.assert_array_equal(alignments[padded], 0.0)
    # Output step k reads source step length - 1 - k.
    words = steps[None, :] < lengths[:, None]
    mirrored = lengths[:, None] - 1 - steps[None, :]
    assert (alignments.argmax(-1) == mirrored)[words].mean() >= 0.8


@pytest.mark.parametrize(
    "check",
    [
        generation_checks.assert_beam_width_one_is_greedy,
        generation_checks.assert_sampling_is_reproducible,
        pytest.param(
            generation_checks.assert_compiles_with_xla,
            marks=pytest.mark.slow,
        ),
    ],
    ids=["beam-width-one-is-greedy", "seeded-sampling", "xla"],
)
def test_decoding_strategies_through_translate(reverser, check):
    model, source, _ = reverser
    check(functools.partial(model.translate, source, max_length=MAX_STEPS + 1))


def test_decoding_step_drives_translate(reverser):
    model, source, _ = reverser
    generation_checks.assert_decoding_step_drives_generate(
        model, source[:16], max_length=MAX_STEPS + 1
    )
    with pytest.raises(ValueError, match="beam_width"):
        model.decoding_step(source[:1], beam_width=0)


def test_vocabulary_gives_text_and_is_saved(reverser):
    model, source, target = reverser
    vocabulary = ["", "<s>", "</s>", *"abcdefg"]
    model.attach_vocabulary(vocabulary, separator="")
    try:
        result = model.translate(source[:8], max_length=MAX_STEPS + 1)
        config = model.get_config()
    finally:
        model.attach_vocabulary(None)
    assert result.text == [
        "".join(vocabulary[t] for t in row if t) for row in target[:8]
    ]
    # The vocabulary is part of the config, so it is saved with the model.
    assert Seq2Seq.from_config(config).vocabulary == vocabulary
    assert model.get_config()["vocabulary"] is None
    with pytest.raises(ValueError, match="one string per token id"):
        model.attach_vocabulary(["a", "b"])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"cell": "rnn"}, "`cell` must be a registered"),
        ({"attention": "dot"}, "`attention` must be one of"),
        ({"vocab_size": None, "input_dim": 3}, "`target_vocab_size` is req"),
        ({"input_dim": 3}, "exactly one of `vocab_size`"),
        ({"start_token": 0}, "`start_token` must be a token id"),
        ({"end_token": 1}, "must differ"),
        ({"end_token": VOCAB}, "`end_token` must be a token id"),
        ({"activation": "sigmoid"}, "`activation` must be one of"),
        ({"num_layers": 0}, "`num_layers` must be a positive"),
        ({"cell_kwargs": {"units": 3}}, "`cell_kwargs` may not set"),
    ],
)
def test_configuration_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        Seq2Seq(**{"vocab_size": VOCAB, "units": 4, **kwargs})


def test_generation_argument_errors(rng):
    model = build({"cell": "gru"})
    source = make_source(rng, model, 2)
    with pytest.raises(ValueError, match="`strategy` must be one of"):
        model.translate(source, strategy="nucleus")
    with pytest.raises(ValueError, match="`beam_width` must be a positive"):
        model.translate(source, strategy="beam", beam_width=0)
    with pytest.raises(ValueError, match='strategy="top_k" needs `top_k`'):
        model.translate(source, strategy="top_k")
    with pytest.raises(ValueError, match="`max_length` must be a positive"):
        model.translate(source, max_length=0)
    text = r"Seq2Seq.translate\(\) was given raw inputs .*no preprocessor"
    with pytest.raises(ValueError, match=text):
        model.translate(["a man rides", "two dogs"])
    with pytest.raises(ValueError, match="`inputs` must be numbers .*'a'"):
        model.generate(np.array([["a", "man"]], dtype=object))
