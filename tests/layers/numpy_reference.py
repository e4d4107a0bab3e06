"""Pure-NumPy references of rnnzoo's recurrent cells, written from the papers.

Each function runs one cell step by step over `x` `(batch, T, m)` and returns
every output `(batch, T, units)` followed by the final states. Weights use the
Keras layout: `kernel` `(m, G * units)`, `recurrent_kernel` `(units, G * units)`
and `bias` `(G * units,)`, gate blocks in the order of each docstring. Work is
done in the dtype of the arguments (float64 for finite differences).

These functions deliberately do not import rnnzoo, Keras or TensorFlow.
"""

import numpy as np


def sigmoid(z):
    """The logistic function, computed without overflow for large |z|."""
    z = np.asarray(z)
    out = np.empty_like(z)
    positive = z >= 0
    out[positive] = 1.0 / (1.0 + np.exp(-z[positive]))
    exp_z = np.exp(z[~positive])
    out[~positive] = exp_z / (1.0 + exp_z)
    return out


def _blocks(matrix, num_gates):
    """Splits the last axis of `matrix` into `num_gates` equal gate blocks."""
    if matrix is None:
        return [None] * num_gates
    units = matrix.shape[-1] // num_gates
    return [matrix[..., g * units : (g + 1) * units] for g in range(num_gates)]


def _bias_blocks(bias, num_gates, units, dtype):
    if bias is None:
        return [np.zeros((units,), dtype=dtype)] * num_gates
    return _blocks(bias, num_gates)


def _zeros_state(x, units):
    return np.zeros((x.shape[0], units), dtype=x.dtype)


def peephole_lstm(
    x,
    kernel,
    recurrent_kernel,
    bias=None,
    input_peephole=None,
    forget_peephole=None,
    output_peephole=None,
    h0=None,
    c0=None,
):
    """Peephole LSTM (Gers, Schraudolph & Schmidhuber 2002), gates [i,f,c,o].

        i_t = σ(x_t W_i + h_{t-1} U_i + p_i ⊙ c_{t-1} + b_i)
        f_t = σ(x_t W_f + h_{t-1} U_f + p_f ⊙ c_{t-1} + b_f)
        c_t = f_t ⊙ c_{t-1} + i_t ⊙ tanh(x_t W_c + h_{t-1} U_c + b_c)
        o_t = σ(x_t W_o + h_{t-1} U_o + p_o ⊙ c_t + b_o)
        h_t = o_t ⊙ tanh(c_t)

    Returns `(outputs, h_T, c_T)`.
    """
    units = recurrent_kernel.shape[0]
    W_i, W_f, W_c, W_o = _blocks(kernel, 4)
    U_i, U_f, U_c, U_o = _blocks(recurrent_kernel, 4)
    b_i, b_f, b_c, b_o = _bias_blocks(bias, 4, units, x.dtype)
    zero = np.zeros((units,), dtype=x.dtype)
    p_i = zero if input_peephole is None else input_peephole
    p_f = zero if forget_peephole is None else forget_peephole
    p_o = zero if output_peephole is None else output_peephole

    h = _zeros_state(x, units) if h0 is None else h0
    c = _zeros_state(x, units) if c0 is None else c0
    outputs = []
    for t in range(x.shape[1]):
        x_t = x[:, t, :]
        i = sigmoid(x_t @ W_i + h @ U_i + p_i * c + b_i)
        f = sigmoid(x_t @ W_f + h @ U_f + p_f * c + b_f)
        c_new = f * c + i * np.tanh(x_t @ W_c + h @ U_c + b_c)
        o = sigmoid(x_t @ W_o + h @ U_o + p_o * c_new + b_o)
        h = o * np.tanh(c_new)
        c = c_new
        outputs.append(h)
    return np.stack(outputs, axis=1), h, c


def coupled_lstm(
    x,
    kernel,
    recurrent_kernel,
    bias=None,
    forget_peephole=None,
    output_peephole=None,
    h0=None,
    c0=None,
):
    """Coupled input-forget gate LSTM, CIFG (Greff et al. 2017), gates [f,c,o].

        f_t = σ(x_t W_f + h_{t-1} U_f [+ p_f ⊙ c_{t-1}] + b_f)
        i_t = 1 − f_t
        c_t = f_t ⊙ c_{t-1} + i_t ⊙ tanh(x_t W_c + h_{t-1} U_c + b_c)
        o_t = σ(x_t W_o + h_{t-1} U_o [+ p_o ⊙ c_t] + b_o)
        h_t = o_t ⊙ tanh(c_t)

    The peephole terms are present when the peepholes are given. Returns
    `(outputs, h_T, c_T)`.
    """
    units = recurrent_kernel.shape[0]
    W_f, W_c, W_o = _blocks(kernel, 3)
    U_f, U_c, U_o = _blocks(recurrent_kernel, 3)
    b_f, b_c, b_o = _bias_blocks(bias, 3, units, x.dtype)

    h = _zeros_state(x, units) if h0 is None else h0
    c = _zeros_state(x, units) if c0 is None else c0
    outputs = []
    for t in range(x.shape[1]):
        x_t = x[:, t, :]
        z_f = x_t @ W_f + h @ U_f + b_f
        if forget_peephole is not None:
            z_f = z_f + forget_peephole * c
        f = sigmoid(z_f)
        i = 1.0 - f
        c_new = f * c + i * np.tanh(x_t @ W_c + h @ U_c + b_c)
        z_o = x_t @ W_o + h @ U_o + b_o
        if output_peephole is not None:
            z_o = z_o + output_peephole * c_new
        o = sigmoid(z_o)
        h = o * np.tanh(c_new)
        c = c_new
        outputs.append(h)
    return np.stack(outputs, axis=1), h, c


def mgu(x, kernel, recurrent_kernel, bias=None, h0=None):
    """Minimal gated unit (Zhou, Wu, Zhang & Zhou 2016), gates [f,h].

        f_t   = σ(x_t W_f + h_{t-1} U_f + b_f)
        h̃_t   = tanh(x_t W_h + (f_t ⊙ h_{t-1}) U_h + b_h)
        h_t   = (1 − f_t) ⊙ h_{t-1} + f_t ⊙ h̃_t

    Returns `(outputs, h_T)`.
    """
    units = recurrent_kernel.shape[0]
    W_f, W_h = _blocks(kernel, 2)
    U_f, U_h = _blocks(recurrent_kernel, 2)
    b_f, b_h = _bias_blocks(bias, 2, units, x.dtype)

    h = _zeros_state(x, units) if h0 is None else h0
    outputs = []
    for t in range(x.shape[1]):
        x_t = x[:, t, :]
        f = sigmoid(x_t @ W_f + h @ U_f + b_f)
        candidate = np.tanh(x_t @ W_h + (f * h) @ U_h + b_h)
        h = (1.0 - f) * h + f * candidate
        outputs.append(h)
    return np.stack(outputs, axis=1), h


def skip_rnn(
    x,
    kernel,
    skip_kernel,
    skip,
    recurrent_kernel=None,
    bias=None,
):
    """Skip-connected Elman RNN (Zhang et al. 2016) with skip `k`.

        h_t = tanh(x_t W + h_{t-1} U + h_{t-k} S + b),   h_{t-j} = 0 for t-j < 0

    Without `recurrent_kernel` the `h_{t-1} U` term is absent. Returns
    `(outputs, history)` where `history` is `[h_{T-1}, ..., h_{T-k}]`
    concatenated along the features, newest first (zeros before the start).
    """
    units = skip_kernel.shape[0]
    zero = _zeros_state(x, units)
    steps = x.shape[1]
    outputs = []

    def past(t):  # h_t, with zeros before the sequence starts
        return outputs[t] if t >= 0 else zero

    for t in range(steps):
        z = x[:, t, :] @ kernel + past(t - skip) @ skip_kernel
        if recurrent_kernel is not None:
            z = z + past(t - 1) @ recurrent_kernel
        if bias is not None:
            z = z + bias
        outputs.append(np.tanh(z))
    history = np.concatenate(
        [past(steps - j) for j in range(1, skip + 1)], axis=-1
    )
    return np.stack(outputs, axis=1), history


# The reference of every rnnzoo cell, by registry name: `test_registry`
# fails for a registered rnnzoo cell that has none.
REFERENCES = {
    "peephole_lstm": peephole_lstm,
    "coupled_lstm": coupled_lstm,
    "mgu": mgu,
    "skip_rnn": skip_rnn,
}
