"""`rnnzoo.layers.masked_rnn.rnn` masks as TensorFlow's loop does, on every
backend, for loops whose output is not their first state, nested or not.

The reference is a NumPy loop: a masked step keeps the states and repeats
the previous output (zeros before the first), or outputs zeros with
`zero_output_for_mask`.
"""

import numpy as np
import pytest
from keras import ops

from rnnzoo.layers.masked_rnn import rnn

BATCH, STEPS, FEATURES = 3, 6, 2


def step(inputs, states):
    """A running sum; outputs `(sum of the state, 2 * state)`: neither is
    the state itself."""
    (total,) = states
    total = total + inputs
    return (ops.sum(total, axis=-1, keepdims=True), 2.0 * total), [total]


def reference(inputs, mask, go_backwards, zero_output_for_mask):
    order = range(STEPS)[::-1] if go_backwards else range(STEPS)
    total = np.zeros((BATCH, FEATURES))
    previous = (np.zeros((BATCH, 1)), np.zeros((BATCH, FEATURES)))
    sums, doubles = [], []
    for t in order:
        real = mask[:, t : t + 1]
        total = np.where(real, total + inputs[:, t], total)
        output = (total.sum(-1, keepdims=True), 2.0 * total)
        if zero_output_for_mask:
            output = tuple(np.where(real, o, 0.0) for o in output)
        else:
            output = tuple(
                np.where(real, o, p) for o, p in zip(output, previous)
            )
        previous = output
        sums.append(output[0])
        doubles.append(output[1])
    return np.stack(sums, 1), np.stack(doubles, 1), total


@pytest.mark.parametrize("zero_output_for_mask", [False, True])
@pytest.mark.parametrize("go_backwards", [False, True])
def test_masked_steps_match_the_reference(go_backwards, zero_output_for_mask):
    rng = np.random.default_rng(0)
    inputs = rng.normal(size=(BATCH, STEPS, FEATURES)).astype("float32")
    mask = rng.uniform(size=(BATCH, STEPS)) > 0.4
    mask[0, 0] = mask[0, -1] = False  # masked first and last steps
    mask[1] = False  # a row without steps

    last, (sums, doubles), (total,) = rnn(
        step,
        ops.convert_to_tensor(inputs),
        [ops.zeros((BATCH, FEATURES))],
        mask=ops.convert_to_tensor(mask),
        go_backwards=go_backwards,
        zero_output_for_mask=zero_output_for_mask,
    )

    expected_sums, expected_doubles, expected_total = reference(
        inputs, mask, go_backwards, zero_output_for_mask
    )
    np.testing.assert_allclose(sums, expected_sums, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(doubles, expected_doubles, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(total, expected_total, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(last[0], expected_sums[:, -1], rtol=1e-6)
