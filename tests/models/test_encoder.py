"""The shared building blocks: sequence inputs, `RecurrentStack` and
`recurrent_encoder`."""

import json

import keras
import numpy as np
import pytest

from rnnzoo.models import RecurrentStack
from rnnzoo.models import SplitDirections
from rnnzoo.models import recurrent_encoder
from rnnzoo.models import sequence_input


def randomize(model, rng, scale=0.5):
    model.set_weights(
        [rng.normal(scale=scale, size=w.shape) for w in model.get_weights()]
    )


@pytest.mark.parametrize("bidirectional", [False, True])
def test_stack_shapes_and_mask(bidirectional):
    inputs, features = sequence_input(vocab_size=9, embedding_dim=3)
    stack = RecurrentStack("mgu", 4, num_layers=2, bidirectional=bidirectional)
    sequence = stack(features)
    width = 8 if bidirectional else 4
    assert sequence.shape == (None, None, width)
    assert stack.output_dim == width
    assert len(stack.recurrent_layers) == 2
    mask = keras.Model(inputs, sequence)(np.array([[1, 2, 0]]))._keras_mask
    np.testing.assert_array_equal(mask, [[True, True, False]])


def test_residual_adds_the_input_of_layers_of_equal_width(rng):
    x = rng.normal(size=(2, 5, 3)).astype("float32")
    stack = RecurrentStack("gru", 4, num_layers=3, residual=True)
    out = stack(x)
    # Every layer returns its final states too: `[0]` is its sequence.
    first, second, third = (
        lambda x, layer=layer: layer(x)[0] for layer in stack.recurrent_layers
    )
    # The first layer's input is 3 wide, its output 4: no residual there.
    h1 = first(x)
    h2 = second(h1) + h1
    h3 = third(h2) + h2
    np.testing.assert_allclose(out, h3, atol=1e-6)
    plain = RecurrentStack("gru", 4, num_layers=3)
    plain(x)
    plain.set_weights(stack.get_weights())
    np.testing.assert_allclose(plain(x), third(second(h1)), atol=1e-6)


def test_return_state_and_initial_state(rng):
    x = rng.normal(size=(2, 5, 3)).astype("float32")
    stack = RecurrentStack(
        "lstm", 4, num_layers=2, bidirectional=True, return_state=True
    )
    sequence, states = stack(x)
    assert [len(s) for s in states] == [4, 4]  # h, c forward; h, c backward
    h_forward, _, h_backward, _ = states[-1]
    np.testing.assert_allclose(h_forward, sequence[:, -1, :4], atol=1e-6)
    np.testing.assert_allclose(h_backward, sequence[:, 0, 4:], atol=1e-6)
    initial = [
        [rng.normal(size=(2, 4)).astype("float32") for _ in range(4)]
        for _ in range(2)
    ]
    started, _ = stack(x, initial_state=initial)
    first, second = stack.recurrent_layers
    manual = first(x, initial_state=initial[0])[0]
    manual = second(manual, initial_state=initial[1])[0]
    np.testing.assert_allclose(started, manual, atol=1e-6)
    assert not np.allclose(started, sequence)
    with pytest.raises(ValueError, match="one list of states per layer"):
        stack(x, initial_state=initial[:1])


def test_split_first_layer_computes_the_same_as_one_stack(rng):
    ids = np.array([[3, 4, 5, 0], [6, 7, 8, 9]])
    arguments = dict(
        cell="mgu",
        units=4,
        num_layers=2,
        bidirectional=True,
        residual=True,
        vocab_size=10,
    )
    inputs, sequence = recurrent_encoder(**arguments)
    whole = keras.Model(inputs, sequence)
    randomize(whole, rng)
    inputs, sequence, first = recurrent_encoder(
        return_first_layer=True, **arguments
    )
    split = keras.Model(inputs, [sequence, first])
    split.set_weights(whole.get_weights())
    out, first_out = split(ids)
    np.testing.assert_allclose(out, whole(ids), atol=1e-6)
    stack = whole.get_layer("recurrent_stack")
    embedded = whole.get_layer("token_embedding")(ids)
    np.testing.assert_allclose(
        first_out,
        stack.recurrent_layers[0](embedded, mask=ids != 0)[0],
        atol=1e-6,
    )


def test_split_directions(rng):
    x = rng.normal(size=(2, 3, 6)).astype("float32")
    forward, backward = SplitDirections(3)(x)
    np.testing.assert_array_equal(forward, x[..., :3])
    np.testing.assert_array_equal(backward, x[..., 3:])
    with pytest.raises(ValueError, match="width 2 \\* units = 6"):
        SplitDirections(3)(np.zeros((1, 2, 5), "float32"))


def test_feature_inputs_with_mask_value():
    inputs, features = sequence_input(input_dim=2, mask_value=-1.0)
    x = np.array([[[1.0, 2.0], [-1.0, -1.0]]], "float32")
    mask = keras.Model(inputs, features)(x)._keras_mask
    np.testing.assert_array_equal(mask, [[True, False]])
    inputs, features = sequence_input(input_dim=2)
    assert features is inputs


def test_stack_config_round_trip():
    stack = RecurrentStack(
        "skip_rnn",
        4,
        num_layers=2,
        bidirectional=True,
        residual=True,
        dropout=0.1,
        recurrent_dropout=0.2,
        cell_kwargs={"skip": 3},
    )
    config = stack.get_config()
    json.dumps(config)
    clone = RecurrentStack.from_config(config)
    assert clone.get_config() == config
    assert clone.recurrent_layers[0].forward_layer.skip == 3
    assert clone.recurrent_layers[1].forward_layer.recurrent_dropout == 0.2


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"cell": "transformer"}, "`cell` must be a registered cell name"),
        ({"units": 0}, "`units` must be a positive integer, got units=0"),
        ({"num_layers": 0}, "`num_layers` must be a positive integer"),
        ({"dropout": 1.0}, "`dropout` must be a float in \\[0, 1\\)"),
        ({"recurrent_dropout": -0.1}, "`recurrent_dropout` must be"),
        ({"cell_kwargs": [1]}, "`cell_kwargs` must be a dict"),
        (
            {"cell_kwargs": {"return_sequences": False}},
            "`cell_kwargs` may not set \\['return_sequences'\\]",
        ),
        (
            {"cell_kwargs": {"skip": 3}},
            "Unrecognized keyword arguments passed to LSTM: {'skip': 3}",
        ),
    ],
)
def test_stack_errors(kwargs, match):
    arguments = {"cell": "lstm", "units": 4, **kwargs}
    with pytest.raises(ValueError, match=match):
        RecurrentStack(**arguments)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({}, "exactly one of `vocab_size`.*got vocab_size=None and"),
        ({"vocab_size": 5, "input_dim": 3}, "exactly one of `vocab_size`"),
        ({"vocab_size": 0}, "`vocab_size` must be a positive integer"),
        ({"input_dim": 3, "embedding_dim": 4}, "`embedding_dim` applies to"),
        ({"vocab_size": 5, "mask_value": 0.0}, "`mask_value` applies to"),
        ({"vocab_size": 5, "mask_zero": 1}, "`mask_zero` must be a bool"),
        ({"input_dim": 3, "mask_value": "pad"}, "`mask_value` must be a"),
        ({"input_dim": 3, "sequence_length": 0}, "`sequence_length` must"),
    ],
)
def test_input_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        recurrent_encoder(cell="gru", units=4, **kwargs)
