"""NumPy recurrences that keep every step's states and gates, written from
the cells' equations (Keras layout: `kernel` `(m, G * units)`,
`recurrent_kernel` `(units, G * units)`, gate blocks in the order each
docstring gives). They import neither rnnzoo nor Keras.

Each takes `x` `(batch, T, m)` and an optional boolean `mask` `(batch, T)`
(a masked step keeps the previous states) and returns `(states, gates)`:
`states` `{"h": (batch, T, units), "c": ...}` after every step and
`gates` `{name: (batch, T, units)}`.
"""

import numpy as np

from tests.layers.numpy_reference import sigmoid


def _blocks(matrix, count):
    width = matrix.shape[-1] // count
    return [matrix[..., i * width : (i + 1) * width] for i in range(count)]


def _run(x, mask, state_names, units, step):
    """Runs `step(x_t, states) -> (new_states, gates)` and stacks."""
    batch, steps = x.shape[:2]
    states = {name: np.zeros((batch, units)) for name in state_names}
    kept_states, kept_gates = [], []
    for t in range(steps):
        new, gates = step(x[:, t], states)
        if mask is not None:
            keep = mask[:, t : t + 1]
            new = {k: np.where(keep, new[k], states[k]) for k in new}
        states = new
        kept_states.append(states)
        kept_gates.append(gates)

    def stack(items):
        return {k: np.stack([item[k] for item in items], 1) for k in items[0]}

    return stack(kept_states), stack(kept_gates)


def lstm(x, kernel, recurrent_kernel, bias, mask=None):
    """LSTM, gates `[i, f, c, o]`:

    i = σ(x W_i + h U_i + b_i),  f = σ(x W_f + h U_f + b_f)
    g = tanh(x W_c + h U_c + b_c),  o = σ(x W_o + h U_o + b_o)
    c_t = f c_{t-1} + i g,  h_t = o tanh(c_t)
    """
    W, U, b = _blocks(kernel, 4), _blocks(recurrent_kernel, 4), _blocks(bias, 4)

    def step(x_t, s):
        z = [x_t @ W[k] + s["h"] @ U[k] + b[k] for k in range(4)]
        i, f, g, o = sigmoid(z[0]), sigmoid(z[1]), np.tanh(z[2]), sigmoid(z[3])
        c = f * s["c"] + i * g
        gates = {"input": i, "forget": f, "candidate": g, "output": o}
        return {"h": o * np.tanh(c), "c": c}, gates

    return _run(x, mask, ("h", "c"), recurrent_kernel.shape[0], step)


def peephole_lstm(x, kernel, recurrent_kernel, bias, peepholes, mask=None):
    """Peephole LSTM (Gers et al. 2002), `peepholes = (p_i, p_f, p_o)`:
    `i` and `f` also read `p ⊙ c_{t-1}`, `o` reads `p_o ⊙ c_t`."""
    W, U, b = _blocks(kernel, 4), _blocks(recurrent_kernel, 4), _blocks(bias, 4)
    p_i, p_f, p_o = peepholes

    def step(x_t, s):
        z = [x_t @ W[k] + s["h"] @ U[k] + b[k] for k in range(4)]
        i = sigmoid(z[0] + p_i * s["c"])
        f = sigmoid(z[1] + p_f * s["c"])
        g = np.tanh(z[2])
        c = f * s["c"] + i * g
        o = sigmoid(z[3] + p_o * c)
        gates = {"input": i, "forget": f, "candidate": g, "output": o}
        return {"h": o * np.tanh(c), "c": c}, gates

    return _run(x, mask, ("h", "c"), recurrent_kernel.shape[0], step)


def coupled_lstm(x, kernel, recurrent_kernel, bias, mask=None):
    """Coupled LSTM (Greff et al. 2017), gates `[f, c, o]`, input gate
    `1 - f`."""
    W, U, b = _blocks(kernel, 3), _blocks(recurrent_kernel, 3), _blocks(bias, 3)

    def step(x_t, s):
        z = [x_t @ W[k] + s["h"] @ U[k] + b[k] for k in range(3)]
        f, g, o = sigmoid(z[0]), np.tanh(z[1]), sigmoid(z[2])
        c = f * s["c"] + (1.0 - f) * g
        gates = {"input": 1.0 - f, "forget": f, "candidate": g, "output": o}
        return {"h": o * np.tanh(c), "c": c}, gates

    return _run(x, mask, ("h", "c"), recurrent_kernel.shape[0], step)


def gru(x, kernel, recurrent_kernel, bias, reset_after, mask=None):
    """GRU, gates `[z, r, h]`, as Keras computes it:

        z = σ(x W_z + h U_z + b_z),  r = σ(x W_r + h U_r + b_r)
        reset_after:  h̃ = tanh(x W_h + b_h + r ⊙ (h U_h + b'_h))
        otherwise:    h̃ = tanh(x W_h + (r ⊙ h) U_h + b_h)
        h_t = z ⊙ h_{t-1} + (1 - z) ⊙ h̃

    With `reset_after`, `bias` is `(2, 3 units)`: input and recurrent
    biases.
    """
    W, U = _blocks(kernel, 3), _blocks(recurrent_kernel, 3)
    if reset_after:
        b, b_rec = _blocks(bias[0], 3), _blocks(bias[1], 3)
    else:
        b, b_rec = _blocks(bias, 3), [0.0, 0.0, 0.0]

    def step(x_t, s):
        h = s["h"]
        z = sigmoid(x_t @ W[0] + b[0] + h @ U[0] + b_rec[0])
        r = sigmoid(x_t @ W[1] + b[1] + h @ U[1] + b_rec[1])
        if reset_after:
            g = np.tanh(x_t @ W[2] + b[2] + r * (h @ U[2] + b_rec[2]))
        else:
            g = np.tanh(x_t @ W[2] + (r * h) @ U[2] + b[2])
        gates = {"update": z, "reset": r, "candidate": g}
        return {"h": z * h + (1.0 - z) * g}, gates

    return _run(x, mask, ("h",), recurrent_kernel.shape[0], step)


def mgu(x, kernel, recurrent_kernel, bias, mask=None):
    """MGU (Zhou et al. 2016), gates `[f, h]`:
    `h̃ = tanh(x W_h + (f ⊙ h) U_h + b_h)`, `h_t = (1 - f) h + f h̃`."""
    W, U, b = _blocks(kernel, 2), _blocks(recurrent_kernel, 2), _blocks(bias, 2)

    def step(x_t, s):
        h = s["h"]
        f = sigmoid(x_t @ W[0] + h @ U[0] + b[0])
        g = np.tanh(x_t @ W[1] + (f * h) @ U[1] + b[1])
        return {"h": (1.0 - f) * h + f * g}, {"forget": f, "candidate": g}

    return _run(x, mask, ("h",), recurrent_kernel.shape[0], step)
