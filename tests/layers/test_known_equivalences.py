"""rnnzoo layers that reduce to Keras's own layers in a special case."""

import keras
import numpy as np
import pytest

from rnnzoo.layers import PeepholeLSTM
from rnnzoo.layers import SkipRNN


@pytest.mark.parametrize("go_backwards", [False, True])
def test_peephole_lstm_with_zero_peepholes_is_keras_lstm(rng, go_backwards):
    x = rng.normal(size=(4, 9, 6)).astype("float32")
    peephole = PeepholeLSTM(
        5,
        return_sequences=True,
        return_state=True,
        go_backwards=go_backwards,
        peephole_initializer="zeros",
    )
    lstm = keras.layers.LSTM(
        5, return_sequences=True, return_state=True, go_backwards=go_backwards
    )
    peephole(x)
    lstm(x)
    kernel, recurrent_kernel, bias = (
        rng.normal(scale=0.5, size=w.shape) for w in lstm.get_weights()
    )
    lstm.set_weights([kernel, recurrent_kernel, bias])
    cell = peephole.cell
    cell.kernel.assign(kernel)
    cell.recurrent_kernel.assign(recurrent_kernel)
    cell.bias.assign(bias)
    for peephole_weight in (
        cell.input_peephole,
        cell.forget_peephole,
        cell.output_peephole,
    ):
        np.testing.assert_array_equal(peephole_weight, 0.0)
    for ours, theirs in zip(peephole(x), lstm(x)):
        np.testing.assert_allclose(ours, theirs, atol=1e-5)

    # Non-zero peepholes must make a difference, or the test above proves
    # nothing about them.
    cell.output_peephole.assign(np.ones(5))
    assert not np.allclose(peephole(x)[0], lstm(x)[0], atol=1e-3)


@pytest.mark.parametrize("skip", [1, 2, 3])
def test_dilated_skip_rnn_is_interleaved_simple_rnns(rng, skip):
    steps, units = 12, 4
    x = rng.normal(size=(3, steps, 5)).astype("float32")
    layer = SkipRNN(
        units, skip=skip, use_short_connection=False, return_sequences=True
    )
    layer(x)
    kernel, bias, skip_kernel = (
        layer.cell.kernel,
        layer.cell.bias,
        layer.cell.skip_kernel,
    )
    weights = {
        "kernel": rng.normal(scale=0.5, size=kernel.shape),
        "recurrent_kernel": rng.normal(scale=0.5, size=skip_kernel.shape),
        "bias": rng.normal(scale=0.5, size=bias.shape),
    }
    kernel.assign(weights["kernel"])
    skip_kernel.assign(weights["recurrent_kernel"])
    bias.assign(weights["bias"])
    assert layer.cell.recurrent_kernel is None
    outputs = np.asarray(layer(x))

    simple = keras.layers.SimpleRNN(units, return_sequences=True)
    simple(x[:, ::skip])
    simple.set_weights(
        [weights["kernel"], weights["recurrent_kernel"], weights["bias"]]
    )
    for phase in range(skip):
        np.testing.assert_allclose(
            outputs[:, phase::skip], simple(x[:, phase::skip]), atol=1e-5
        )
