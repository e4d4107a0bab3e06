"""Masked pooling layers against NumPy, and "last" pooling against the
recurrent layers' own final outputs."""

import keras
import numpy as np
import pytest

from rnnzoo.layers import get_recurrent_layer
from rnnzoo.models import AttentionPooling
from rnnzoo.models import LastStepPooling
from rnnzoo.models import MaskedMaxPooling
from rnnzoo.models import MaskedMeanPooling
from rnnzoo.models import RecurrentStack
from rnnzoo.models import get_pooling
from rnnzoo.models import sequence_input

BATCH, STEPS, FEATURES = 5, 6, 4


@pytest.fixture
def batch(rng):
    """Inputs and a mask with post-padding, pre-padding, a hole in the
    middle, a full row and an empty row."""
    inputs = rng.normal(size=(BATCH, STEPS, FEATURES)).astype("float32")
    mask = np.array(
        [
            [1, 1, 1, 0, 0, 0],
            [0, 0, 1, 1, 1, 1],
            [1, 0, 1, 1, 0, 0],
            [1, 1, 1, 1, 1, 1],
            [0, 0, 0, 0, 0, 0],
        ],
        dtype=bool,
    )
    return inputs, mask


def reference_last(inputs, mask, bidirectional):
    out = np.zeros((len(inputs), inputs.shape[-1]), "float32")
    half = inputs.shape[-1] // 2
    for row, (x, m) in enumerate(zip(inputs, mask)):
        steps = np.flatnonzero(m)
        if not len(steps):
            continue
        out[row] = x[steps[-1]]
        if bidirectional:
            out[row, half:] = x[steps[0], half:]
    return out


def reference_mean(inputs, mask):
    rows = [
        x[m].mean(0) if m.any() else np.zeros(x.shape[-1])
        for x, m in zip(inputs, mask)
    ]
    return np.stack(rows)


def reference_max(inputs, mask):
    rows = [
        x[m].max(0) if m.any() else np.zeros(x.shape[-1])
        for x, m in zip(inputs, mask)
    ]
    return np.stack(rows)


def reference_attention(inputs, mask, kernel, bias, context):
    scores = np.tanh(inputs @ kernel + bias) @ context[:, 0]
    weights = np.zeros_like(scores)
    for row, m in enumerate(mask):
        if m.any():
            e = np.exp(scores[row][m] - scores[row][m].max())
            weights[row][m] = e / e.sum()
    return np.einsum("bt,btf->bf", weights, inputs), weights


@pytest.mark.parametrize("bidirectional", [False, True])
def test_last_step_pooling_matches_numpy(batch, bidirectional):
    inputs, mask = batch
    pooled = LastStepPooling(bidirectional=bidirectional)(inputs, mask=mask)
    np.testing.assert_allclose(
        pooled, reference_last(inputs, mask, bidirectional), atol=1e-6
    )


def test_mean_and_max_pooling_match_numpy(batch):
    inputs, mask = batch
    np.testing.assert_allclose(
        MaskedMeanPooling()(inputs, mask=mask),
        reference_mean(inputs, mask),
        atol=1e-6,
    )
    np.testing.assert_allclose(
        MaskedMaxPooling()(inputs, mask=mask),
        reference_max(inputs, mask),
        atol=1e-6,
    )


def test_attention_pooling_matches_numpy(batch, rng):
    inputs, mask = batch
    layer = AttentionPooling(3)
    layer.build(inputs.shape)
    layer.set_weights([rng.normal(size=w.shape) for w in layer.get_weights()])
    pooled, weights = layer(inputs, mask=mask, return_attention_scores=True)
    kernel, bias, context = layer.get_weights()
    expected, expected_weights = reference_attention(
        inputs, mask, kernel, bias, context
    )
    np.testing.assert_allclose(weights, expected_weights, atol=1e-6)
    np.testing.assert_allclose(pooled, expected, atol=1e-5)


@pytest.mark.parametrize("pooling", ["last", "mean", "max", "attention"])
def test_pooling_without_mask_uses_every_step(batch, pooling):
    inputs, _ = batch
    layer = get_pooling(pooling, bidirectional=True)
    full = np.ones(inputs.shape[:2], bool)
    np.testing.assert_allclose(
        layer(inputs), layer(inputs, mask=full), atol=1e-6
    )


@pytest.mark.parametrize("pooling", ["last", "mean", "max", "attention"])
def test_pooling_ignores_padded_values(batch, rng, pooling):
    inputs, mask = batch
    layer = get_pooling(pooling, bidirectional=True)
    noisy = np.where(
        mask[..., None], inputs, rng.normal(size=inputs.shape) * 100
    ).astype("float32")
    np.testing.assert_allclose(
        layer(inputs, mask=mask), layer(noisy, mask=mask), atol=1e-5
    )


@pytest.mark.parametrize("cell", ["lstm", "skip_rnn"])
def test_last_pooling_equals_final_outputs_of_both_directions(cell, rng):
    """ "last" over a bidirectional output sequence is what the layer
    returns with `return_sequences=False`: the forward direction's last real
    step and the backward direction's first, not the last padded step."""
    ids = np.array([[3, 4, 5, 0, 0, 0], [0, 0, 6, 7, 8, 9], [2, 3, 4, 5, 6, 7]])
    inputs, features = sequence_input(vocab_size=10, embedding_dim=3)
    stack = RecurrentStack(cell, 4, bidirectional=True)
    pooled = LastStepPooling(bidirectional=True)(stack(features))
    model = keras.Model(inputs, pooled)
    model.set_weights(
        [rng.normal(scale=0.5, size=w.shape) for w in model.get_weights()]
    )
    embedded = model.get_layer("token_embedding")(ids)
    mask = ids != 0
    final = keras.layers.Bidirectional(get_recurrent_layer(cell, 4))
    final(embedded, mask=mask)
    final.set_weights(stack.recurrent_layers[0].get_weights())
    np.testing.assert_allclose(
        model(ids), final(embedded, mask=mask), atol=1e-5
    )


def test_pooling_config_errors():
    with pytest.raises(ValueError, match="`pooling` must be one of"):
        get_pooling("sum")
    with pytest.raises(ValueError, match="attention_units"):
        get_pooling("mean", attention_units=4)
    with pytest.raises(ValueError, match="even number of features"):
        LastStepPooling(bidirectional=True)(np.zeros((1, 2, 3), "float32"))
