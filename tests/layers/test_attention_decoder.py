"""Tests of `AttentionDecoder`: every registered cell, teacher forcing
against step-by-step decoding, masks, gradients, saving and XLA."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from rnnzoo.layers import AttentionDecoder
from rnnzoo.layers import LuongAttention
from rnnzoo.layers import PeepholeLSTMCell
from rnnzoo.layers import cell_names

BATCH, TQ, TV = 2, 4, 5
INPUT_DIM, MEMORY_DIM, UNITS = 3, 6, 4


def make_inputs(seed=0, dtype="float32"):
    rng = np.random.default_rng(seed)
    inputs = rng.normal(size=(BATCH, TQ, INPUT_DIM)).astype(dtype)
    memory = rng.normal(size=(BATCH, TV, MEMORY_DIM)).astype(dtype)
    memory_mask = np.array([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]], dtype=bool)
    return inputs, memory, memory_mask


def randomize(layer, seed=1):
    rng = np.random.default_rng(seed)
    for weight in layer.weights:
        values = rng.normal(size=weight.shape) * 0.5
        weight.assign(values.astype(weight.dtype))


def step_by_step(decoder, inputs, memory, memory_mask, initial_state=None):
    """Decodes with explicit `step` calls, as greedy or beam search does."""
    cache = decoder.prepare_memory(memory, memory_mask)
    state = decoder.get_initial_state(memory, initial_state)
    outputs, alignments = [], []
    for t in range(inputs.shape[1]):
        output, state, alignment = decoder.step(inputs[:, t], state, cache)
        outputs.append(output)
        alignments.append(alignment)
    return np.stack(outputs, axis=1), state, np.stack(alignments, axis=1)


@pytest.mark.parametrize("cell", cell_names())
def test_every_registered_cell(cell):
    decoder = AttentionDecoder(UNITS, cell=cell, return_alignments=True)
    inputs, memory, memory_mask = make_inputs()
    outputs, state, alignments = decoder(
        inputs, memory, memory_mask=memory_mask
    )
    assert outputs.shape == (BATCH, TQ, UNITS)
    assert alignments.shape == (BATCH, TQ, TV)
    assert [tuple(s.shape) for s in state] == [
        (BATCH, size) for size in decoder.state_sizes
    ]
    # The last state is the attentional vector, the last output.
    np.testing.assert_array_equal(state[-1], np.asarray(outputs)[:, -1])
    alignments = np.asarray(alignments)
    np.testing.assert_allclose(alignments.sum(-1), 1.0, atol=1e-6)
    assert np.all(alignments[0, :, 3:] == 0.0)


@pytest.mark.parametrize(
    "cell, attention, attention_kwargs",
    [
        ("lstm", "bahdanau", {"normalize": True}),
        ("gru", "luong", {"score": "general", "scale": True}),
        ("peephole_lstm", "luong", {"score": "concat"}),
        ("mgu", "luong", {"score": "dot"}),
    ],
)
def test_teacher_forcing_equals_step_by_step(cell, attention, attention_kwargs):
    memory_dim = UNITS if attention_kwargs.get("score") == "dot" else None
    inputs, memory, memory_mask = make_inputs()
    if memory_dim:
        memory = memory[..., :memory_dim]
    decoder = AttentionDecoder(
        UNITS,
        cell=cell,
        attention=attention,
        attention_kwargs=attention_kwargs,
        return_alignments=True,
    )
    decoder(inputs, memory, memory_mask=memory_mask)  # Creates the weights.
    randomize(decoder)
    outputs, state, alignments = decoder(
        inputs, memory, memory_mask=memory_mask
    )
    step_outputs, step_state, step_alignments = step_by_step(
        decoder, inputs, memory, memory_mask
    )
    np.testing.assert_allclose(outputs, step_outputs, atol=1e-6)
    np.testing.assert_allclose(alignments, step_alignments, atol=1e-6)
    for s, step_s in zip(state, step_state):
        np.testing.assert_allclose(s, step_s, atol=1e-6)


def test_initial_state_and_continuation():
    decoder = AttentionDecoder(UNITS, cell="lstm")
    inputs, memory, memory_mask = make_inputs()
    rng = np.random.default_rng(4)
    encoder_state = [
        rng.normal(size=(BATCH, UNITS)).astype("float32") for _ in range(2)
    ]
    outputs, state = decoder(
        inputs, memory, memory_mask=memory_mask, initial_state=encoder_state
    )
    # The encoder's [h, c] change the result.
    zero_start, _ = decoder(inputs, memory, memory_mask=memory_mask)
    assert not np.allclose(outputs, zero_start)
    # Resuming from a full decoder state continues the same sequence.
    first, middle_state = decoder(
        inputs[:, :2],
        memory,
        memory_mask=memory_mask,
        initial_state=encoder_state,
    )
    second, final_state = decoder(
        inputs[:, 2:],
        memory,
        memory_mask=memory_mask,
        initial_state=middle_state,
    )
    np.testing.assert_allclose(
        np.concatenate([first, second], axis=1), outputs, atol=1e-6
    )
    for s, expected in zip(final_state, state):
        np.testing.assert_allclose(s, expected, atol=1e-6)
    step_outputs, _, _ = step_by_step(
        decoder, inputs, memory, memory_mask, initial_state=encoder_state
    )
    np.testing.assert_allclose(step_outputs, outputs, atol=1e-6)


def test_step_builds_an_unbuilt_decoder():
    decoder = AttentionDecoder(UNITS, cell="coupled_lstm")
    inputs, memory, memory_mask = make_inputs()
    step_outputs, step_state, _ = step_by_step(
        decoder, inputs, memory, memory_mask
    )
    assert decoder.built
    outputs, state = decoder(inputs, memory, memory_mask=memory_mask)
    np.testing.assert_allclose(outputs, step_outputs, atol=1e-6)
    for s, step_s in zip(state, step_state):
        np.testing.assert_allclose(s, step_s, atol=1e-6)


def test_key_projection_is_computed_once_per_sequence():
    decoder = AttentionDecoder(UNITS, cell="gru")
    inputs, memory, memory_mask = make_inputs()
    decoder(inputs, memory, memory_mask=memory_mask)
    calls = []
    original = decoder.attention.project_keys
    decoder.attention.project_keys = lambda key: (
        calls.append(1) or original(key)
    )
    decoder(inputs, memory, memory_mask=memory_mask)
    assert len(calls) == 1
    calls.clear()
    step_by_step(decoder, inputs, memory, memory_mask)
    assert len(calls) == 1


def test_padded_memory_gives_the_unpadded_result():
    decoder = AttentionDecoder(UNITS, cell="lstm", return_alignments=True)
    inputs, memory, _ = make_inputs()
    real = 3
    short_outputs, _, short_alignments = decoder(inputs, memory[:, :real])
    padded = memory.copy()
    padded[:, real:] = 50.0 * np.random.default_rng(9).normal(
        size=padded[:, real:].shape
    )
    mask = np.zeros((BATCH, TV), dtype=bool)
    mask[:, :real] = True
    outputs, _, alignments = decoder(inputs, padded, memory_mask=mask)
    np.testing.assert_allclose(outputs, short_outputs, atol=1e-6)
    alignments = np.asarray(alignments)
    np.testing.assert_allclose(
        alignments[..., :real], short_alignments, atol=1e-6
    )
    assert np.all(alignments[..., real:] == 0.0)


def test_masked_target_steps_keep_the_state():
    decoder = AttentionDecoder(UNITS, cell="gru", return_alignments=True)
    inputs, memory, memory_mask = make_inputs()
    target_mask = np.array([[1, 1, 0, 0], [1, 1, 1, 1]], dtype=bool)
    outputs, state, alignments = decoder(
        inputs, memory, memory_mask=memory_mask, mask=target_mask
    )
    short_outputs, short_state = decoder(
        inputs[:1, :2], memory[:1], memory_mask=memory_mask[:1]
    )[:2]
    np.testing.assert_allclose(outputs[:1, :2], short_outputs, atol=1e-6)
    assert np.all(np.asarray(outputs)[0, 2:] == 0.0)
    assert np.all(np.asarray(alignments)[0, 2:] == 0.0)
    for s, expected in zip(state, short_state):
        np.testing.assert_allclose(np.asarray(s)[:1], expected, atol=1e-6)


@pytest.mark.tensorflow_only("tf.GradientTape; float64 numerics")
def test_gradients_match_finite_differences():
    decoder = AttentionDecoder(
        3,
        cell="lstm",
        attention_kwargs={"normalize": True},
        return_alignments=True,
        dtype="float64",
    )
    inputs, memory, memory_mask = make_inputs(dtype="float64")
    inputs, memory = inputs[:, :3], memory[:, :4]
    memory_mask = memory_mask[:, :4]
    decoder(inputs, memory, memory_mask=memory_mask)
    randomize(decoder)
    rng = np.random.default_rng(2)
    output_probe = rng.normal(size=(BATCH, 3, 3))
    alignment_probe = rng.normal(size=(BATCH, 3, 4))

    def objective(inputs, memory):
        outputs, _, alignments = decoder(
            inputs, memory, memory_mask=memory_mask
        )
        return tf.reduce_sum(outputs * output_probe) + tf.reduce_sum(
            alignments * alignment_probe
        )

    tensors = [tf.constant(inputs), tf.constant(memory)]
    with tf.GradientTape() as tape:
        tape.watch(tensors)
        value = objective(*tensors)
    gradients = tape.gradient(value, tensors + decoder.trainable_variables)
    assert all(np.all(np.isfinite(g)) for g in gradients)
    eps = 1e-6
    rng = np.random.default_rng(3)
    for which, array in enumerate((inputs, memory)):
        for _ in range(2):
            direction = rng.normal(size=array.shape)
            arguments = [inputs, memory]
            arguments[which] = array + eps * direction
            plus = float(objective(*arguments))
            arguments[which] = array - eps * direction
            minus = float(objective(*arguments))
            np.testing.assert_allclose(
                np.sum(np.asarray(gradients[which]) * direction),
                (plus - minus) / (2 * eps),
                rtol=1e-5,
            )
    # Padded memory positions receive no gradient.
    np.testing.assert_array_equal(np.asarray(gradients[1])[0, 3:], 0.0)


def build_seq2seq(dtype=None):
    """A tiny translation model with masks from `Embedding(mask_zero=True)`."""
    source = keras.Input((None,), dtype="int32")
    target = keras.Input((None,), dtype="int32")
    embedded = keras.layers.Embedding(12, 5, mask_zero=True, dtype=dtype)(
        source
    )
    memory, h, c = keras.layers.LSTM(
        6, return_sequences=True, return_state=True, dtype=dtype
    )(embedded)
    target_embedded = keras.layers.Embedding(
        12, 5, mask_zero=True, dtype=dtype
    )(target)
    outputs, _, alignments = AttentionDecoder(
        6,
        cell="peephole_lstm",
        attention="luong",
        attention_kwargs={"score": "general"},
        cell_kwargs={"dropout": 0.1},
        return_alignments=True,
        dtype=dtype,
    )(target_embedded, memory, initial_state=[h, c])
    logits = keras.layers.Dense(12, dtype=dtype)(outputs)
    return keras.Model([source, target], [logits, alignments])


SOURCE = np.array([[3, 4, 5, 2, 0, 0], [7, 1, 0, 0, 0, 0]])
TARGET = np.array([[1, 6, 9, 0], [2, 8, 3, 4]])


def test_seq2seq_with_embedding_masks_saves_and_loads(tmp_path):
    model = build_seq2seq()
    logits, alignments = model([SOURCE, TARGET])
    alignments = np.asarray(alignments)
    np.testing.assert_array_equal(alignments[0, :, 4:], 0.0)
    np.testing.assert_array_equal(alignments[1, :, 2:], 0.0)
    np.testing.assert_array_equal(alignments[0, 3], 0.0)  # padded target
    np.testing.assert_allclose(alignments[1].sum(-1), 1.0, atol=1e-6)
    # The target mask travels on with the outputs, for masked losses.
    assert logits._keras_mask is not None
    np.testing.assert_array_equal(logits._keras_mask, TARGET != 0)

    path = tmp_path / "seq2seq.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    for expected, actual in zip(
        model([SOURCE, TARGET]), restored([SOURCE, TARGET])
    ):
        np.testing.assert_array_equal(expected, actual)


def test_trains_under_xla():
    source = keras.Input((None,), dtype="int32")
    target = keras.Input((None,), dtype="int32")
    memory = keras.layers.Embedding(12, 6, mask_zero=True)(source)
    embedded = keras.layers.Embedding(12, 5, mask_zero=True)(target)
    outputs, _ = AttentionDecoder(6, cell="simple")(embedded, memory)
    model = keras.Model([source, target], keras.layers.Dense(12)(outputs))
    model.compile(
        optimizer=keras.optimizers.Adam(0.05),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        jit_compile=True,
    )
    losses = [
        float(model.train_on_batch([SOURCE, TARGET], TARGET)) for _ in range(3)
    ]
    assert np.all(np.isfinite(losses)) and losses[-1] < losses[0]


@pytest.mark.tensorflow_only("tf.function")
def test_teacher_forcing_and_single_steps_compile_with_xla():
    decoder = AttentionDecoder(UNITS, cell="mgu", return_alignments=True)
    inputs, memory, memory_mask = make_inputs()
    expected = decoder(inputs, memory, memory_mask=memory_mask)

    @tf.function(jit_compile=True)
    def decode(inputs, memory, memory_mask):
        teacher_forced = decoder(inputs, memory, memory_mask=memory_mask)
        cache = decoder.prepare_memory(memory, memory_mask)
        state = decoder.get_initial_state(memory)
        outputs, alignments = [], []
        for t in range(TQ):
            output, state, alignment = decoder.step(inputs[:, t], state, cache)
            outputs.append(output)
            alignments.append(alignment)
        stepped = (tf.stack(outputs, axis=1), tf.stack(alignments, axis=1))
        return teacher_forced[0], teacher_forced[2], stepped

    outputs, alignments, (step_outputs, step_alignments) = decode(
        inputs, memory, memory_mask
    )
    for actual in (outputs, step_outputs):
        np.testing.assert_allclose(actual, expected[0], atol=1e-5)
    for actual in (alignments, step_alignments):
        np.testing.assert_allclose(actual, expected[2], atol=1e-5)


def test_mixed_precision():
    inputs, memory, memory_mask = make_inputs()
    full = AttentionDecoder(UNITS, cell="lstm", return_alignments=True)
    mixed = AttentionDecoder(
        UNITS, cell="lstm", return_alignments=True, dtype="mixed_float16"
    )
    expected = full(inputs, memory, memory_mask=memory_mask)
    mixed(inputs, memory, memory_mask=memory_mask)  # Creates the weights.
    mixed.set_weights(full.get_weights())
    outputs, state, alignments = mixed(inputs, memory, memory_mask=memory_mask)
    assert outputs.dtype == "float16"
    assert all(s.dtype == "float16" for s in state)
    assert alignments.dtype == "float32"
    alignments = np.asarray(alignments)
    np.testing.assert_allclose(alignments.sum(-1), 1.0, atol=1e-6)
    assert np.all(alignments[0, :, 3:] == 0.0)
    np.testing.assert_allclose(
        np.asarray(outputs, "float32"), expected[0], atol=2e-2
    )
    np.testing.assert_allclose(alignments, expected[2], atol=2e-2)


@pytest.mark.tensorflow_only("tf.function")
def test_dropout_masks_are_per_sequence():
    decoder = AttentionDecoder(
        UNITS,
        cell="lstm",
        cell_kwargs={"dropout": 0.5, "recurrent_dropout": 0.5},
    )
    inputs, memory, memory_mask = make_inputs()
    inference, _ = decoder(inputs, memory, memory_mask=memory_mask)
    again, _ = decoder(inputs, memory, memory_mask=memory_mask, training=False)
    np.testing.assert_array_equal(inference, again)
    training, _ = decoder(
        inputs, memory, memory_mask=memory_mask, training=True
    )
    assert not np.allclose(training, inference)
    compiled = tf.function(
        lambda x, m: decoder(x, m, memory_mask=memory_mask, training=True)[0]
    )
    assert np.all(np.isfinite(compiled(inputs, memory)))
    assert decoder.cell._dropout_mask is None


def test_config_round_trip_with_cell_and_attention_instances():
    decoder = AttentionDecoder(
        UNITS,
        cell=PeepholeLSTMCell(UNITS),
        attention=LuongAttention(score="concat", units=3, scale=True),
        return_alignments=True,
    )
    inputs, memory, memory_mask = make_inputs()
    expected = decoder(inputs, memory, memory_mask=memory_mask)
    clone = AttentionDecoder.from_config(decoder.get_config())
    assert isinstance(clone.cell, PeepholeLSTMCell)
    assert isinstance(clone.attention, LuongAttention)
    clone(inputs, memory, memory_mask=memory_mask)
    clone.set_weights(decoder.get_weights())
    actual = clone(inputs, memory, memory_mask=memory_mask)
    np.testing.assert_allclose(actual[0], expected[0], atol=1e-6)
    np.testing.assert_allclose(actual[2], expected[2], atol=1e-6)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"units": 0}, "units"),
        ({"units": 4, "cell": "transformer"}, "cell"),
        ({"units": 4, "cell": 3}, "cell"),
        ({"units": 4, "cell": keras.layers.GRUCell(5)}, "output_size"),
        ({"units": 4, "attention": "dot"}, "attention"),
        ({"units": 4, "attention_units": 0}, "attention_units"),
        ({"units": 4, "cell_kwargs": ["dropout"]}, "cell_kwargs"),
        ({"units": 4, "return_alignments": "yes"}, "return_alignments"),
    ],
)
def test_invalid_arguments_raise(kwargs, message):
    with pytest.raises(ValueError, match=message):
        AttentionDecoder(**kwargs)


def test_invalid_calls_raise():
    inputs, memory, memory_mask = make_inputs()
    decoder = AttentionDecoder(UNITS, cell="lstm")
    with pytest.raises(ValueError, match="cell states"):
        decoder(inputs, memory, initial_state=[memory[:, 0, :UNITS]])
    with pytest.raises(ValueError, match="inputs"):
        decoder(inputs[:, 0], memory)
    cache = decoder.prepare_memory(memory, memory_mask)
    with pytest.raises(ValueError, match="decoder state"):
        decoder.step(inputs[:, 0], decoder.get_initial_state(memory)[:2], cache)
    with pytest.raises(ValueError, match="key_dim"):
        AttentionDecoder(UNITS, attention="luong")(inputs, memory)
