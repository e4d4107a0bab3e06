"""`gradient_flow`: the per-step gradients and Jacobians of BPTT, checked
against geometric decay, central finite differences and closed forms."""

import keras
import numpy as np
import pytest

from rnnzoo.inspect import gradient_flow
from rnnzoo.layers import cell_names
from rnnzoo.layers import get_recurrent_layer
from rnnzoo.models import SequenceClassifier

STEPS = 30
GAIN = 0.5


def small_elman(units, dtype="float32", gain=GAIN):
    return keras.layers.SimpleRNN(
        units,
        kernel_initializer=keras.initializers.RandomNormal(stddev=0.1),
        recurrent_initializer=keras.initializers.Orthogonal(gain=gain),
        dtype=dtype,
    )


def small_inputs(rng, batch=4, steps=STEPS, features=3, dtype="float32"):
    return (0.1 * rng.normal(size=(batch, steps, features))).astype(dtype)


def test_elman_gradient_decays_geometrically(rng):
    layer = small_elman(16)
    flow = gradient_flow(layer, small_inputs(rng))
    norms = flow.step_gradient_norms
    assert norms.shape == (STEPS,) and flow.jacobian_norms.shape == (STEPS - 1,)
    # One step further from the loss multiplies the gradient by about the
    # recurrent gain: tanh'(z) <= 1 and is close to 1 for small z.
    ratios = norms[:-1] / norms[1:]
    assert np.all(ratios < 1.0)
    assert np.all(ratios <= GAIN * (1 + 1e-4)), ratios
    assert np.all(ratios >= 0.9 * GAIN), ratios
    # log‖∂L/∂h_t‖ is linear in t.
    distance = np.arange(STEPS)[::-1]
    slope, intercept = np.polyfit(distance, np.log(norms), 1)
    residual = np.log(norms) - (slope * distance + intercept)
    assert np.max(np.abs(residual)) < 0.05 * abs(slope) * STEPS
    assert np.exp(slope) == pytest.approx(GAIN, rel=0.1)
    # The spectral norm of ∂h_t/∂h_{t-1} = diag(1 - h_t²) Uᵀ.
    assert np.all(flow.jacobian_norms <= GAIN * (1 + 1e-4))
    assert np.all(flow.jacobian_norms >= 0.9 * GAIN)


def lstm_with_forget_bias(units, forget_bias):
    def bias(shape, dtype=None):
        values = np.zeros(shape)
        values[units : 2 * units] = forget_bias  # blocks [i, f, c, o]
        return keras.ops.convert_to_tensor(values, dtype=dtype)

    return keras.layers.LSTM(
        units,
        unit_forget_bias=False,
        bias_initializer=bias,
        kernel_initializer=keras.initializers.RandomNormal(stddev=0.1),
        recurrent_initializer=keras.initializers.Orthogonal(gain=GAIN),
    )


@pytest.mark.parametrize("state", ["full", "hidden"])
def test_lstm_with_high_forget_bias_keeps_the_gradient(state, rng):
    x = small_inputs(rng)
    elman = gradient_flow(small_elman(16), x, state=state)
    lstm = gradient_flow(lstm_with_forget_bias(16, 5.0), x, state=state)
    first_elman, first_lstm = (
        elman.step_gradient_norms[0],
        lstm.step_gradient_norms[0],
    )
    # The Elman RNN lost ~GAIN**STEPS; the LSTM keeps orders of magnitude
    # more at the first step.
    assert first_lstm > 1e3 * first_elman, (first_lstm, first_elman)
    if state == "full":
        # The cell state passes σ(5) ≈ 0.993 of it on at every step.
        assert first_lstm > 0.1 * lstm.step_gradient_norms[-1]
        assert np.all(lstm.jacobian_norms > 0.95)


def numpy_elman_objective(x, kernel, recurrent, bias, perturb_step, delta):
    """Σ_b Σ_i h_T, with `delta` added to h at `perturb_step`."""
    h = np.zeros((x.shape[0], recurrent.shape[0]))
    for t in range(x.shape[1]):
        h = np.tanh(x[:, t] @ kernel + h @ recurrent + bias)
        if t == perturb_step:
            h = h + delta
    return h.sum(axis=-1)


def test_elman_matches_finite_differences_and_closed_form(rng):
    x = rng.normal(size=(2, 6, 3))
    layer = keras.layers.SimpleRNN(4, dtype="float64")
    flow = gradient_flow(layer, x)
    kernel, recurrent, bias = (np.asarray(w) for w in layer.get_weights())
    epsilon = 1e-6
    for step in (1, 3, 5):
        gradient = np.zeros((2, 4))
        for unit in range(4):
            delta = np.zeros(4)
            delta[unit] = epsilon
            up = numpy_elman_objective(x, kernel, recurrent, bias, step, delta)
            down = numpy_elman_objective(
                x, kernel, recurrent, bias, step, -delta
            )
            gradient[:, unit] = (up - down) / (2 * epsilon)
        np.testing.assert_allclose(
            flow.per_example_gradient_norms[:, step],
            np.linalg.norm(gradient, axis=-1),
            rtol=1e-6,
        )
    # ∂h_t/∂h_{t-1} = diag(1 - h_t²) Uᵀ, h_t from a NumPy forward pass.
    h = np.zeros((2, 4))
    expected = []
    for t in range(6):
        h = np.tanh(x[:, t] @ kernel + h @ recurrent + bias)
        if t > 0:
            jacobians = (1 - h**2)[:, :, None] * recurrent.T[None]
            expected.append(np.linalg.norm(jacobians, ord=2, axis=(1, 2)))
    np.testing.assert_allclose(
        flow.per_example_jacobian_norms, np.stack(expected, 1), rtol=1e-8
    )
    np.testing.assert_allclose(
        flow.jacobian_norms, np.stack(expected, 1).mean(0), rtol=1e-8
    )


def cell_objective(layer, x, step, deltas):
    """Runs the layer's own cell step by step (no tape), adds `deltas` (a
    list like the states) to the states after `step`; returns Σ h_T per
    example."""
    states = [np.zeros((x.shape[0], s)) for s in layer.cell.state_size]
    for t in range(x.shape[1]):
        output, states = layer.cell(x[:, t], states)
        states = [np.asarray(s) for s in states]
        if t == step:
            states = [s + d for s, d in zip(states, deltas)]
        output = states[0][:, : layer.cell.units]
    return output.sum(axis=-1)


@pytest.mark.parametrize(
    "name, options",
    [("lstm", {}), ("skip_rnn", {"skip": 2}), ("mgu", {})],
)
@pytest.mark.parametrize("state", ["full", "hidden"])
def test_gated_cells_match_finite_differences(name, options, state, rng):
    x = rng.normal(size=(2, 5, 3))
    layer = get_recurrent_layer(name, 3, dtype="float64", **options)
    flow = gradient_flow(layer, x, state=state, jacobian_norm=None)
    sizes = list(layer.cell.state_size)
    epsilon = 1e-6
    for step in (1, 3):
        squares = np.zeros(2)
        for which, size in enumerate(sizes):
            width = layer.cell.units if state == "hidden" else size
            if state == "hidden" and which > 0:
                break
            for unit in range(width):
                deltas = [np.zeros(s) for s in sizes]
                deltas[which][unit] = epsilon
                up = cell_objective(layer, x, step, deltas)
                down = cell_objective(layer, x, step, [-d for d in deltas])
                squares += ((up - down) / (2 * epsilon)) ** 2
        np.testing.assert_allclose(
            flow.per_example_gradient_norms[:, step],
            np.sqrt(squares),
            rtol=1e-5,
        )


@pytest.mark.parametrize(
    "name, go_backwards",
    [(name, False) for name in cell_names()]
    + [("lstm", True), ("skip_rnn", True)],
)
def test_probed_loop_computes_what_the_layer_computes(name, go_backwards, rng):
    x = rng.normal(size=(3, 7, 2)).astype("float32")
    layer = get_recurrent_layer(name, 4, go_backwards=go_backwards)
    flow = gradient_flow(layer, x, jacobian_norm="frobenius")
    # The default objective of a layer is Σ h_T, averaged over the batch.
    expected = np.asarray(layer(x)).sum(axis=-1).mean()
    assert flow.loss == pytest.approx(float(expected), rel=1e-5)
    assert flow.per_example_gradient_norms.shape == (3, 7)
    assert flow.per_example_jacobian_norms.shape == (3, 6)
    assert np.all(np.isfinite(flow.step_gradient_norms))
    # Nothing of the probe stays behind on the layer.
    assert "inner_loop" not in vars(layer)


def test_model_probes_the_chosen_direction_with_its_mask(rng):
    model = SequenceClassifier(
        num_classes=3, vocab_size=12, units=6, bidirectional=True
    )
    ids = np.array([[3, 4, 5, 6, 0, 0], [7, 8, 9, 10, 11, 2]], "int32")
    predictions = np.asarray(model(ids))
    for direction in ("forward", "backward"):
        flow = gradient_flow(model, ids, direction=direction)
        assert flow.layer_name.startswith(direction)
        # Default objective of a model: the top score, averaged.
        assert flow.loss == pytest.approx(predictions.max(-1).mean(), 1e-5)
        real = ids != 0
        expected_mask = real if direction == "forward" else real[:, ::-1]
        np.testing.assert_array_equal(flow.mask, expected_mask)
    # The masked steps of the first example are left out of the average.
    np.testing.assert_allclose(
        flow.step_gradient_norms[:2], flow.per_example_gradient_norms[1, :2]
    )

    model.compile()
    labels = np.array([0, 2])
    flow = gradient_flow(model, ids, labels, layer="bidirectional_lstm_0")
    expected = model.compute_loss(
        x=ids, y=labels, y_pred=model(ids), training=False
    )
    assert flow.loss == pytest.approx(float(expected), rel=1e-5)


def test_arguments_are_checked(rng):
    x = small_inputs(rng, steps=4)
    layer = keras.layers.GRU(3)
    with pytest.raises(ValueError, match="`state` must be one of"):
        gradient_flow(layer, x, state="cell")
    with pytest.raises(ValueError, match="`jacobian_norm` must be one of"):
        gradient_flow(layer, x, jacobian_norm="nuclear")
    with pytest.raises(ValueError, match="`direction` must be one of"):
        gradient_flow(layer, x, direction="both")
    dense = keras.Sequential([keras.Input((4, 3)), keras.layers.Dense(2)])
    with pytest.raises(ValueError, match="contains no recurrent layer"):
        gradient_flow(dense, x)
    with pytest.raises(ValueError, match="must name a recurrent layer"):
        gradient_flow(
            keras.Sequential([keras.Input((4, 3)), layer]), x, layer="missing"
        )
    stacked = keras.layers.RNN(
        keras.layers.StackedRNNCells(
            [keras.layers.GRUCell(3), keras.layers.GRUCell(3)]
        )
    )
    with pytest.raises(ValueError, match="nested states"):
        gradient_flow(stacked, x)
