"""Monotonic attention inside decoders: `AttentionDecoder` carries the
alignment in its state (teacher forcing equals step-by-step decoding), the
score noise of training is drawn once per sequence and reaches every step,
and a `Seq2Seq` with it trains (on every backend), saves, and decodes by
greedy and beam search."""

import keras
import numpy as np
import pytest

from rnnzoo.layers import AttentionDecoder
from rnnzoo.layers import BahdanauMonotonicAttention
from rnnzoo.layers import LuongMonotonicAttention
from rnnzoo.models import Seq2Seq
from tests.layers.monotonic_reference import BATCH
from tests.layers.monotonic_reference import MEMORY_MASK
from tests.layers.monotonic_reference import TV
from tests.layers.monotonic_reference import one_hot_start
from tests.layers.monotonic_reference import reference_soft
from tests.layers.test_monotonic_attention import mechanism_inputs
from tests.layers.test_monotonic_attention import numpy_scores
from tests.layers.test_monotonic_attention import randomize

VALUE_DIM = 5


@pytest.mark.parametrize(
    "attention, kwargs",
    [
        ("bahdanau_monotonic", {"mode": "parallel"}),
        ("luong_monotonic", {"mode": "recursive", "score": "general"}),
        ("bahdanau_monotonic", {"mode": "hard"}),
    ],
)
def test_decoder_carries_the_alignment_in_its_state(attention, kwargs):
    rng = np.random.default_rng(4)
    inputs = rng.normal(size=(BATCH, 5, 3)).astype("float32")
    memory = rng.normal(size=(BATCH, TV, VALUE_DIM)).astype("float32")
    decoder = AttentionDecoder(
        4,
        cell="lstm",
        attention=attention,
        attention_kwargs=kwargs,
        return_alignments=True,
    )
    outputs, state, alignments = decoder(
        inputs, memory, memory_mask=MEMORY_MASK
    )
    # [h, c, attentional vector, alignment]
    assert len(state) == 4
    np.testing.assert_array_equal(state[-1], np.asarray(alignments)[:, -1])

    cache = decoder.prepare_memory(memory, MEMORY_MASK)
    step_state = decoder.get_initial_state(memory)
    np.testing.assert_array_equal(
        step_state[-1], one_hot_start(dtype="float32")
    )
    for t in range(inputs.shape[1]):
        output, step_state, alignment = decoder.step(
            inputs[:, t], step_state, cache
        )
        np.testing.assert_allclose(output, outputs[:, t], atol=1e-6)
        np.testing.assert_allclose(alignment, alignments[:, t], atol=1e-6)
    assert np.all(
        np.asarray(alignments)[
            ~np.broadcast_to(MEMORY_MASK[:, None, :], alignments.shape)
        ]
        == 0.0
    )


def test_decoder_takes_encoder_states_or_a_whole_state():
    rng = np.random.default_rng(5)
    inputs = rng.normal(size=(BATCH, 3, 3)).astype("float32")
    memory = rng.normal(size=(BATCH, TV, VALUE_DIM)).astype("float32")
    decoder = AttentionDecoder(4, cell="gru", attention="bahdanau_monotonic")
    encoder_state = [rng.normal(size=(BATCH, 4)).astype("float32")]
    _, final = decoder(inputs, memory, initial_state=encoder_state)
    # Continuing from the whole final state, alignment included.
    _, again = decoder(inputs, memory, initial_state=final)
    assert len(again) == 3
    with pytest.raises(ValueError, match="then the alignment"):
        decoder(inputs, memory, initial_state=final[:2])


def test_given_score_noise_is_added_before_the_sigmoid_in_training():
    query, value = mechanism_inputs(steps=3)
    layer = LuongMonotonicAttention(
        score="general", mode="recursive", sigmoid_noise=1.0, seed=3
    )
    layer(query, value, mask=MEMORY_MASK)
    randomize(layer, scale=0.4)
    noise = np.random.default_rng(8).normal(size=(BATCH, 3, TV))
    noise = noise.astype("float32")
    _, noisy = layer(
        query, value, mask=MEMORY_MASK, score_noise=noise, training=True
    )
    # Inference ignores the noise.
    _, quiet = layer(query, value, mask=MEMORY_MASK, score_noise=noise)
    for alignments, added in ((noisy, noise), (quiet, 0.0 * noise)):
        previous = one_hot_start()
        for step in range(3):
            scores = numpy_scores(layer, query[:, step], value)
            scores = scores + added[:, step]
            p_choose = MEMORY_MASK / (1.0 + np.exp(-scores))
            expected = reference_soft(p_choose, previous)
            np.testing.assert_allclose(alignments[:, step], expected, atol=2e-6)
            previous = expected
    assert np.abs(np.asarray(noisy) - np.asarray(quiet)).max() > 0.05


def test_drawn_score_noise_has_the_configured_spread():
    layer = BahdanauMonotonicAttention(4, sigmoid_noise=2.5, seed=1)
    first = np.asarray(layer.draw_score_noise((100, 50, 20)))
    second = np.asarray(layer.draw_score_noise((100, 50, 20)))
    assert first.dtype == np.float32
    # 100 000 draws: the standard error of the mean is 2.5 / 316.
    assert abs(first.mean()) < 0.03
    assert abs(first.std() - 2.5) < 0.03
    # Each draw advances the seed.
    assert not np.array_equal(first, second)
    assert BahdanauMonotonicAttention(4).draw_score_noise((2, 3, 4)) is None


def test_decoder_hands_each_step_its_slice_of_the_sequence_noise():
    rng = np.random.default_rng(9)
    steps = 4
    inputs = rng.normal(size=(BATCH, steps, 3)).astype("float32")
    memory = rng.normal(size=(BATCH, TV, VALUE_DIM)).astype("float32")
    noise = 2.0 * rng.normal(size=(BATCH, steps, TV)).astype("float32")
    decoder = AttentionDecoder(
        4,
        cell="gru",
        attention="luong_monotonic",
        attention_kwargs={"score": "general", "sigmoid_noise": 2.0},
        return_alignments=True,
    )
    decoder(inputs, memory, memory_mask=MEMORY_MASK)
    shapes = []

    def fixed_noise(shape):
        shapes.append(tuple(int(n) for n in shape))
        return keras.ops.convert_to_tensor(noise)

    decoder.attention.draw_score_noise = fixed_noise
    outputs, _, alignments = decoder(
        inputs, memory, memory_mask=MEMORY_MASK, training=True
    )
    assert shapes == [(BATCH, steps, TV)]
    _, _, quiet = decoder(inputs, memory, memory_mask=MEMORY_MASK)
    assert np.abs(np.asarray(alignments) - np.asarray(quiet)).max() > 0.05

    cache = decoder.prepare_memory(memory, MEMORY_MASK)
    state = decoder.get_initial_state(memory)
    for t in range(steps):
        output, state, alignment = decoder.step(
            inputs[:, t], state, cache, training=True, score_noise=noise[:, t]
        )
        np.testing.assert_allclose(output, outputs[:, t], atol=1e-6)
        np.testing.assert_allclose(alignment, alignments[:, t], atol=1e-6)
    # Step-by-step inference (generation) draws no noise.
    assert shapes == [(BATCH, steps, TV)]


SOURCE = np.array([[3, 4, 5, 6, 0, 0], [7, 8, 0, 0, 0, 0], [5, 3, 9, 4, 8, 6]])
TARGET = np.array([[6, 5, 4, 3], [8, 7, 0, 0], [6, 8, 4, 9]])


def monotonic_seq2seq(attention="bahdanau_monotonic", **kwargs):
    return Seq2Seq(
        vocab_size=12,
        units=8,
        cell="gru",
        attention=attention,
        attention_kwargs={"score_bias_init": -1.0, **kwargs},
    )


@pytest.mark.parametrize("jit_compile", [False, True])
def test_seq2seq_trains_and_saves(jit_compile, tmp_path):
    model = monotonic_seq2seq(sigmoid_noise=1.0, seed=0)
    model.compile(
        optimizer=keras.optimizers.Adam(0.02), jit_compile=jit_compile
    )
    x, y = model.training_data(SOURCE, TARGET)
    bias = model.get_layer("decoder").attention_decoder.attention.score_bias
    before = float(bias)
    history = model.fit(x, y, epochs=3, batch_size=3, verbose=0)
    losses = history.history["loss"]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]
    assert float(bias) != before

    path = tmp_path / "monotonic.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    attention = restored.get_layer("decoder").attention_decoder.attention
    assert isinstance(attention, BahdanauMonotonicAttention)
    assert attention.sigmoid_noise == 1.0
    np.testing.assert_array_equal(
        model.predict(x, verbose=0), restored.predict(x, verbose=0)
    )


def teacher_forced_log_probability(model, tokens, end_token=2):
    """Sum of the log-probabilities the model gives `tokens` (up to and
    including the end token), read from one teacher-forced pass."""
    start = np.full((tokens.shape[0], 1), model.start_token)
    target_in = np.concatenate([start, tokens[:, :-1]], axis=1)
    # Teacher forcing reads token 0 as padding: past the end nothing counts.
    target_in = np.where(target_in == 0, end_token, target_in)
    probabilities = np.asarray(
        model({"source": SOURCE, "target_in": target_in.astype("int32")})
    )
    picked = np.take_along_axis(probabilities, tokens[..., None], -1)[..., 0]
    # Decoding never emits the padding id: its distribution leaves it out.
    picked = picked / (1.0 - probabilities[..., 0])
    ended = np.cumsum(tokens == end_token, axis=1) - (tokens == end_token)
    return np.sum(np.where(ended == 0, np.log(picked), 0.0), axis=1)


@pytest.mark.parametrize("mode", ["parallel", "hard"])
def test_greedy_and_beam_search_decode_with_monotonic_attention(mode):
    model = monotonic_seq2seq("luong_monotonic", mode=mode)
    greedy = model.translate(SOURCE, max_length=6, strategy="greedy")
    beam = model.translate(SOURCE, max_length=6, strategy="beam", beam_width=3)
    # Each beam carries its own alignment: the scores the search kept are
    # the model's own probabilities of the tokens it chose.
    for result in (greedy, beam):
        np.testing.assert_allclose(
            result.scores,
            teacher_forced_log_probability(model, result.tokens),
            rtol=1e-4,
            atol=1e-4,
        )
    assert np.all(beam.scores >= greedy.scores - 1e-4)
    if mode == "hard":
        alignments = greedy.alignments
        assert set(np.unique(alignments)) <= {0.0, 1.0}
        attended = np.where(
            alignments.sum(-1) > 0, alignments.argmax(-1), SOURCE.shape[1]
        )
        real = greedy.tokens != 0
        for row in range(SOURCE.shape[0]):
            assert np.all(np.diff(attended[row][real[row]]) >= 0)
    compiled = model.translate(
        SOURCE, max_length=6, strategy="beam", beam_width=3, jit_compile=True
    )
    np.testing.assert_array_equal(compiled.tokens, beam.tokens)


def test_mixed_precision_keeps_the_alignment_in_float32():
    keras.config.set_dtype_policy("mixed_float16")
    rng = np.random.default_rng(6)
    inputs = rng.normal(size=(BATCH, 3, 3)).astype("float32")
    memory = rng.normal(size=(BATCH, TV, VALUE_DIM)).astype("float32")
    decoder = AttentionDecoder(
        4,
        cell="gru",
        attention="luong_monotonic",
        attention_kwargs={"score": "general", "sigmoid_noise": 1.0},
        return_alignments=True,
    )
    for training in (False, True):
        outputs, state, alignments = decoder(inputs, memory, training=training)
        assert outputs.dtype == "float16"
        assert alignments.dtype == "float32" and state[-1].dtype == "float32"
        assert np.all(np.isfinite(np.asarray(alignments)))
