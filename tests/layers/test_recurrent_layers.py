"""Drop-in behaviour of every rnnzoo sequence layer, checked like a Keras RNN.

Each case (every rnnzoo cell of the registry, see `tests.layers.cases`) runs
through the same harness: fast path against the plain cell in
`keras.layers.RNN`, masking, stateful, go_backwards, unroll, dropout,
Bidirectional, serialization, `.keras` files, XLA and mixed precision.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf

from rnnzoo.layers import cell_arguments
from rnnzoo.layers import get_cell
from rnnzoo.layers import get_recurrent_layer
from tests.layers.cases import layer_cases

CASES = layer_cases()
BATCH, STEPS, FEATURES, UNITS = 3, 7, 4, 5


@pytest.fixture(params=sorted(CASES))
def case(request):
    return CASES[request.param]


def random_inputs(rng, batch=BATCH, steps=STEPS):
    return rng.normal(size=(batch, steps, FEATURES)).astype("float32")


def randomize(layer, rng, scale=0.5):
    """Sets every weight to random values, so no test leans on an init."""
    layer.set_weights(
        [rng.normal(scale=scale, size=w.shape) for w in layer.get_weights()]
    )


def built_layer(case, rng, **kwargs):
    name, options = case
    layer = get_recurrent_layer(name, UNITS, **options, **kwargs)
    layer(random_inputs(rng))
    randomize(layer, rng)
    return layer


def plain_rnn_like(layer, **kwargs):
    """The same cell run by `keras.layers.RNN`'s generic per-step loop."""
    cell_config = layer.cell.get_config()
    cell = layer.cell.__class__.from_config(cell_config)
    rnn = keras.layers.RNN(cell, **kwargs)
    rnn(np.zeros((BATCH, STEPS, FEATURES), "float32"))
    rnn.set_weights(layer.get_weights())
    return rnn


def as_list(outputs):
    return [
        np.asarray(o)
        for o in (outputs if isinstance(outputs, (list, tuple)) else [outputs])
    ]


@pytest.mark.parametrize("go_backwards", [False, True])
def test_fast_path_equals_plain_cell(case, rng, go_backwards):
    layer = built_layer(
        case,
        rng,
        return_sequences=True,
        return_state=True,
        go_backwards=go_backwards,
    )
    rnn = plain_rnn_like(
        layer,
        return_sequences=True,
        return_state=True,
        go_backwards=go_backwards,
    )
    x = random_inputs(rng)
    mask = np.ones((BATCH, STEPS), bool)
    mask[1, 5:] = False
    call_masks = [None, mask]
    if (
        keras.backend.backend() != "tensorflow"
        and layer.cell.state_size[0] != layer.cell.output_size
    ):
        # Keras's own loop on JAX and PyTorch repeats a masked step's output
        # from the first state, so `keras.layers.RNN` cannot run this cell
        # with a mask there: no reference (rnnzoo's layers mask inside the
        # step, `rnnzoo.layers.masked_rnn`).
        call_masks = [None]
    for call_mask in call_masks:
        expected = as_list(rnn(x, mask=call_mask))
        actual = as_list(layer(x, mask=call_mask))
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected):
            np.testing.assert_allclose(a, e, atol=1e-5)


def test_fast_path_equals_plain_cell_with_dropout(case, rng):
    """Same seed, same masks: dropout on the fast path is the cell's dropout."""
    layer = built_layer(
        case,
        rng,
        return_sequences=True,
        dropout=0.3,
        recurrent_dropout=0.2,
        seed=7,
    )
    rnn = plain_rnn_like(layer, return_sequences=True)
    x = random_inputs(rng)
    np.testing.assert_allclose(
        layer(x, training=True), rnn(x, training=True), atol=1e-5
    )
    inference = np.asarray(layer(x, training=False))
    np.testing.assert_allclose(inference, layer(x, training=False))
    assert not np.allclose(inference, layer(x, training=True), atol=1e-3)


def test_input_dropout_mask_is_drawn_once_per_sequence():
    # A linear layer that outputs its dropped input: h_t = dropout(x_t) I.
    layer = get_recurrent_layer(
        "skip_rnn",
        FEATURES,
        skip=1,
        use_short_connection=False,
        activation="linear",
        use_bias=False,
        kernel_initializer="identity",
        skip_initializer="zeros",
        dropout=0.5,
        return_sequences=True,
        seed=3,
    )
    outputs = np.asarray(
        layer(np.ones((BATCH, STEPS, FEATURES), "float32"), training=True)
    )
    assert set(np.unique(outputs.round(5))) <= {0.0, 2.0}
    np.testing.assert_array_equal(outputs, np.repeat(outputs[:, :1], STEPS, 1))
    assert 0 < (outputs == 0).sum() < outputs.size


def test_masking_equals_unpadded_sequences(case, rng):
    layer = built_layer(case, rng, return_sequences=True, return_state=True)
    lengths = [STEPS, 4, 2]
    x = random_inputs(rng)
    padded = x.copy()
    for row, length in enumerate(lengths):
        padded[row, length:] = 0.0
    model_input = keras.Input((STEPS, FEATURES))
    masked = keras.layers.Masking(mask_value=0.0)(model_input)
    model = keras.Model(model_input, layer(masked))
    outputs, *states = as_list(model(padded))
    for row, length in enumerate(lengths):
        alone_outputs, *alone_states = as_list(layer(x[row : row + 1, :length]))
        np.testing.assert_allclose(
            outputs[row, :length], alone_outputs[0], atol=1e-5
        )
        # Masked steps repeat the last real output, as Keras does.
        np.testing.assert_allclose(
            outputs[row, length:],
            np.repeat(alone_outputs[0, -1:], STEPS - length, axis=0),
            atol=1e-5,
        )
        for state, alone_state in zip(states, alone_states):
            np.testing.assert_allclose(state[row], alone_state[0], atol=1e-5)


def test_stateful_halves_equal_whole_sequence(case, rng):
    whole = built_layer(case, rng, return_sequences=True)
    name, options = case
    stateful = get_recurrent_layer(
        name, UNITS, **options, return_sequences=True, stateful=True
    )
    x = random_inputs(rng, steps=8)
    stateful(x[:, :4])
    stateful.set_weights(whole.get_weights())
    stateful.reset_state()
    halves = np.concatenate([stateful(x[:, :4]), stateful(x[:, 4:])], axis=1)
    np.testing.assert_allclose(halves, whole(x), atol=1e-5)
    stateful.reset_state()
    np.testing.assert_allclose(stateful(x[:, :4]), whole(x[:, :4]), atol=1e-5)


def test_unroll_equals_loop(case, rng):
    layer = built_layer(case, rng, return_sequences=True)
    name, options = case
    unrolled = get_recurrent_layer(
        name, UNITS, **options, return_sequences=True, unroll=True
    )
    x = random_inputs(rng)
    unrolled(x)
    unrolled.set_weights(layer.get_weights())
    np.testing.assert_allclose(unrolled(x), layer(x), atol=1e-5)


def test_initial_state_is_used(case, rng):
    layer = built_layer(case, rng, return_state=True)
    x = random_inputs(rng)
    _, *final_states = layer(x)
    from_zero = np.asarray(layer(x)[0])
    from_final = np.asarray(layer(x, initial_state=final_states)[0])
    assert not np.allclose(from_zero, from_final)
    rnn = plain_rnn_like(layer)
    np.testing.assert_allclose(
        from_final, rnn(x, initial_state=final_states), atol=1e-5
    )


def test_bidirectional_is_forward_and_reversed_backward(case, rng):
    name, options = case
    bidirectional = keras.layers.Bidirectional(
        get_recurrent_layer(name, UNITS, **options, return_sequences=True)
    )
    x = random_inputs(rng)
    outputs = np.asarray(bidirectional(x))
    assert outputs.shape == (BATCH, STEPS, 2 * UNITS)
    forward = bidirectional.forward_layer
    backward_copy = get_recurrent_layer(
        name, UNITS, **options, return_sequences=True
    )
    backward_copy(x)
    backward_copy.set_weights(bidirectional.backward_layer.get_weights())
    np.testing.assert_allclose(outputs[..., :UNITS], forward(x), atol=1e-5)
    np.testing.assert_allclose(
        outputs[..., UNITS:],
        np.asarray(backward_copy(x[:, ::-1]))[:, ::-1],
        atol=1e-5,
    )


def cell_options(case, **options):
    """The `options` that the case's cell takes (an echo state network's
    fixed weights take no regularizer or constraint)."""
    taken = cell_arguments(case[0])
    return {key: value for key, value in options.items() if key in taken}


def test_config_round_trip(case, rng):
    layer = built_layer(
        case,
        rng,
        return_sequences=True,
        **cell_options(
            case,
            dropout=0.1,
            kernel_regularizer="l2",
            recurrent_constraint="non_neg",
        ),
    )
    clone = layer.__class__.from_config(layer.get_config())
    assert clone.get_config() == layer.get_config()
    x = random_inputs(rng)
    clone(x)
    clone.set_weights(layer.get_weights())
    np.testing.assert_allclose(clone(x), layer(x), atol=1e-6)


def test_keras_file_round_trip(case, rng, tmp_path):
    name, options = case
    model = keras.Sequential(
        [
            keras.Input((None, FEATURES)),
            keras.layers.Masking(),
            keras.layers.Bidirectional(
                get_recurrent_layer(
                    name, UNITS, **options, return_sequences=True
                )
            ),
            get_recurrent_layer(name, UNITS, **options, dropout=0.2),
            keras.layers.Dense(2),
        ]
    )
    for layer in model.layers:
        randomize(layer, rng)
    path = tmp_path / "model.keras"
    model.save(path)
    restored = keras.saving.load_model(path)
    x = random_inputs(rng)
    np.testing.assert_allclose(
        restored.predict(x, verbose=0), model.predict(x, verbose=0), atol=1e-6
    )
    assert [type(layer) for layer in restored.layers] == [
        type(layer) for layer in model.layers
    ]


def test_regularizers_and_constraints(case, rng):
    if "kernel_regularizer" not in cell_arguments(case[0]):
        pytest.skip(f"{case[0]}: fixed weights take no regularizers")
    layer = built_layer(
        case,
        rng,
        kernel_regularizer="l2",
        recurrent_regularizer="l2",
        bias_regularizer="l1",
        bias_constraint="non_neg",
    )
    cell = layer.cell
    regularized = (cell.kernel, cell.recurrent_kernel, cell.bias)
    expected_losses = sum(weight is not None for weight in regularized)
    layer(random_inputs(rng))
    assert len(layer.losses) == expected_losses
    model = keras.Sequential([keras.Input((STEPS, FEATURES)), layer])
    model.compile(optimizer=keras.optimizers.SGD(0.5), loss="mse")
    model.fit(
        random_inputs(rng), rng.normal(size=(BATCH, UNITS)), epochs=1, verbose=0
    )
    if cell.bias is not None:
        assert np.all(np.asarray(cell.bias) >= 0.0)


@pytest.mark.tensorflow_only("tf.function(jit_compile=True)")
def test_xla_compiled_forward_and_train_step(case, rng):
    layer = built_layer(case, rng, return_sequences=True)
    x = tf.constant(random_inputs(rng))
    eager = np.asarray(layer(x))
    compiled = tf.function(lambda inputs: layer(inputs), jit_compile=True)
    np.testing.assert_allclose(compiled(x), eager, atol=1e-5)

    name, options = case
    model = keras.Sequential(
        [
            keras.Input((STEPS, FEATURES)),
            get_recurrent_layer(
                name, UNITS, **options, dropout=0.1, recurrent_dropout=0.1
            ),
            keras.layers.Dense(1),
        ]
    )
    model.compile(optimizer="adam", loss="mse", jit_compile=True)
    history = model.fit(
        random_inputs(rng, batch=8),
        rng.normal(size=(8, 1)),
        epochs=2,
        verbose=0,
    )
    assert np.all(np.isfinite(history.history["loss"]))


@pytest.mark.parametrize(
    "policy, dtype, tolerance",
    [("mixed_float16", "float16", 1e-2), ("mixed_bfloat16", "bfloat16", 5e-2)],
)
def test_mixed_precision(case, rng, policy, dtype, tolerance):
    reference = built_layer(case, rng, return_sequences=True)
    x = random_inputs(rng)
    expected = np.asarray(reference(x))
    keras.config.set_dtype_policy(policy)
    name, options = case
    layer = get_recurrent_layer(name, UNITS, **options, return_sequences=True)
    layer(x)
    layer.set_weights(reference.get_weights())
    outputs = layer(x)
    assert outputs.dtype == dtype
    assert all(w.dtype == "float32" for w in layer.weights)
    np.testing.assert_allclose(
        np.asarray(outputs, dtype="float32"), expected, atol=tolerance
    )
    model = keras.Sequential(
        [keras.Input((STEPS, FEATURES)), layer, keras.layers.Dense(1)]
    )
    model.compile(optimizer="adam", loss="mse")
    history = model.fit(x, rng.normal(size=(BATCH, STEPS, 1)), verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_cell_in_plain_rnn_and_stacked_cells(case, rng):
    name, options = case
    cells = [get_cell(name, UNITS, **options) for _ in range(2)]
    rnn = keras.layers.RNN(cells, return_sequences=True)
    assert rnn(random_inputs(rng)).shape == (BATCH, STEPS, UNITS)


@pytest.mark.parametrize(
    "kwargs, argument",
    [
        ({"units": 0}, "units"),
        ({"units": -3}, "units"),
        ({"units": 2.5}, "units"),
        ({"units": 4, "dropout": 1.0}, "dropout"),
        ({"units": 4, "dropout": -0.1}, "dropout"),
        ({"units": 4, "recurrent_dropout": 1.5}, "recurrent_dropout"),
    ],
)
def test_invalid_arguments_name_the_argument(case, kwargs, argument):
    name, options = case
    arguments = dict(kwargs)
    units = arguments.pop("units")
    with pytest.raises(ValueError, match=f"`{argument}`"):
        get_recurrent_layer(name, units, **options, **arguments)
    with pytest.raises(ValueError, match=f"`{argument}`"):
        get_cell(name, units, **options, **arguments)


def test_non_sequence_input_is_rejected(case, rng):
    name, options = case
    with pytest.raises(ValueError, match="rank 3"):
        get_recurrent_layer(name, UNITS, **options)(
            np.zeros((BATCH, FEATURES), "float32")
        )
    layer = built_layer(case, rng)
    with pytest.raises(ValueError, match="rank 3"):
        layer(np.zeros((BATCH, STEPS, FEATURES, 1), "float32"))
