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


def _relu(z):
    return np.maximum(z, 0.0)


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


def layer_norm(z, gamma=None, beta=None, epsilon=1e-3):
    """Layer normalization (Ba et al. 2016) over the last axis:
    `(z − mean) / sqrt(var + ε) ⊙ γ + β`, `γ = 1`, `β = 0` when not given."""
    centred = z - z.mean(axis=-1, keepdims=True)
    variance = np.mean(centred**2, axis=-1, keepdims=True)
    normalized = centred / np.sqrt(variance + epsilon)
    if gamma is not None:
        normalized = normalized * gamma
    if beta is not None:
        normalized = normalized + beta
    return normalized


def layer_norm_lstm(
    x,
    kernel,
    recurrent_kernel,
    bias=None,
    kernel_norm_gamma=None,
    kernel_norm_beta=None,
    recurrent_norm_gamma=None,
    recurrent_norm_beta=None,
    state_norm_gamma=None,
    state_norm_beta=None,
    norm_epsilon=1e-3,
    h0=None,
    c0=None,
):
    """LSTM with layer normalization as TFA's LayerNormLSTMCell, gates
    [i,f,c,o]; `LN_k`, `LN_r` normalize all four blocks at once:

        z_t = LN_k(x_t W) + LN_r(h_{t-1} U) + b
        c_t = LN_s(σ(z_f) ⊙ c_{t-1} + σ(z_i) ⊙ tanh(z_c))
        h_t = σ(z_o) ⊙ tanh(c_t)

    Returns `(outputs, h_T, c_T)`.
    """
    units = recurrent_kernel.shape[0]
    b = np.zeros((4 * units,), x.dtype) if bias is None else bias
    h = _zeros_state(x, units) if h0 is None else h0
    c = _zeros_state(x, units) if c0 is None else c0
    outputs = []
    for t in range(x.shape[1]):
        z = (
            layer_norm(
                x[:, t, :] @ kernel,
                kernel_norm_gamma,
                kernel_norm_beta,
                norm_epsilon,
            )
            + layer_norm(
                h @ recurrent_kernel,
                recurrent_norm_gamma,
                recurrent_norm_beta,
                norm_epsilon,
            )
            + b
        )
        z_i, z_f, z_c, z_o = _blocks(z, 4)
        c = layer_norm(
            sigmoid(z_f) * c + sigmoid(z_i) * np.tanh(z_c),
            state_norm_gamma,
            state_norm_beta,
            norm_epsilon,
        )
        h = sigmoid(z_o) * np.tanh(c)
        outputs.append(h)
    return np.stack(outputs, axis=1), h, c


def layer_norm_simple_rnn(
    x,
    kernel,
    recurrent_kernel,
    bias=None,
    layernorm_gamma=None,
    layernorm_epsilon=1e-5,
    h0=None,
):
    """Elman RNN with layer normalization as TFA's LayerNormSimpleRNNCell
    (a gain, no shift):

        h_t = tanh(LN(x_t W + h_{t-1} U) + b)

    Returns `(outputs, h_T)`.
    """
    units = recurrent_kernel.shape[0]
    h = _zeros_state(x, units) if h0 is None else h0
    outputs = []
    for t in range(x.shape[1]):
        z = layer_norm(
            x[:, t, :] @ kernel + h @ recurrent_kernel,
            layernorm_gamma,
            epsilon=layernorm_epsilon,
        )
        h = np.tanh(z if bias is None else z + bias)
        outputs.append(h)
    return np.stack(outputs, axis=1), h


def esn(x, kernel, recurrent_kernel, bias=None, leaky=1.0, h0=None):
    """Echo state network (Jaeger 2001) as TFA's ESNCell, leaking rate `a`:

        h_t = (1 − a) h_{t-1} + a tanh(x_t W + h_{t-1} U + b)

    Returns `(outputs, h_T)`.
    """
    units = recurrent_kernel.shape[0]
    h = _zeros_state(x, units) if h0 is None else h0
    outputs = []
    for t in range(x.shape[1]):
        z = x[:, t, :] @ kernel + h @ recurrent_kernel
        if bias is not None:
            z = z + bias
        h = (1.0 - leaky) * h + leaky * np.tanh(z)
        outputs.append(h)
    return np.stack(outputs, axis=1), h


def nas(
    x,
    kernel,
    recurrent_kernel,
    bias=None,
    projection_weights=None,
    h0=None,
    c0=None,
):
    """The NAS cell (Zoph & Le 2017) as TFA's NASCell: blocks
    `x_k = (x_t W)_k`, `m_k = (h_{t-1} U + b)_k`, k = 0..7, ReLU ρ:

        a_0 = σ(x_0 + m_0)     a_1 = ρ(x_1 + m_1)     a_2 = σ(x_2 + m_2)
        a_3 = ρ(x_3 m_3)       a_4 = tanh(x_4 + m_4)  a_5 = σ(x_5 + m_5)
        a_6 = tanh(x_6 + m_6)  a_7 = σ(x_7 + m_7)
        c_t = tanh(tanh(a_0 a_1) + c_{t-1}) tanh(a_2 + a_3)
        h_t = tanh(c_t tanh(tanh(a_4 a_5) + σ(a_6 + a_7))) [P]

    Returns `(outputs, h_T, c_T)`.
    """
    units = kernel.shape[1] // 8
    h = _zeros_state(x, recurrent_kernel.shape[0]) if h0 is None else h0
    c = _zeros_state(x, units) if c0 is None else c0
    outputs = []
    for t in range(x.shape[1]):
        m = h @ recurrent_kernel
        if bias is not None:
            m = m + bias
        xs, ms = _blocks(x[:, t, :] @ kernel, 8), _blocks(m, 8)
        a = [
            sigmoid(xs[0] + ms[0]),
            _relu(xs[1] + ms[1]),
            sigmoid(xs[2] + ms[2]),
            _relu(xs[3] * ms[3]),
            np.tanh(xs[4] + ms[4]),
            sigmoid(xs[5] + ms[5]),
            np.tanh(xs[6] + ms[6]),
            sigmoid(xs[7] + ms[7]),
        ]
        c = np.tanh(np.tanh(a[0] * a[1]) + c) * np.tanh(a[2] + a[3])
        h = np.tanh(c * np.tanh(np.tanh(a[4] * a[5]) + sigmoid(a[6] + a[7])))
        if projection_weights is not None:
            h = h @ projection_weights
        outputs.append(h)
    return np.stack(outputs, axis=1), h, c


# The reference of every rnnzoo cell, by registry name: `test_registry`
# fails for a registered rnnzoo cell that has none.
REFERENCES = {
    "peephole_lstm": peephole_lstm,
    "coupled_lstm": coupled_lstm,
    "mgu": mgu,
    "skip_rnn": skip_rnn,
    "layer_norm_lstm": layer_norm_lstm,
    "layer_norm_simple_rnn": layer_norm_simple_rnn,
    "esn": esn,
    "nas": nas,
}
