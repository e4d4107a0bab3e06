"""The fused recurrence of the layer-normalized cells (see
`rnnzoo.layers.fused`): the steps of `LayerNormLSTMCell` and
`LayerNormSimpleRNNCell`, with the gradients of their normalizations.

A normalization `y = γ ⊙ n + β`, `n = (a − mean(a)) / sqrt(var(a) + ε)`
over the last axis, has the gradients

```
dγ = Σ dy ⊙ n        dβ = Σ dy
da = (dn − mean(dn) − n ⊙ mean(dn ⊙ n)) / sqrt(var(a) + ε),  dn = dy ⊙ γ
```

The steps save `n` and `1 / sqrt(var(a) + ε)` of each normalization. The
cells' biases come after a normalization, so the loops project the inputs
without them (`fused_input_projection`) and the steps add them.
"""

from keras import ops

from rnnzoo.layers.fused import FusedRecurrence
from rnnzoo.layers.fused_gradients import add_gradients
from rnnzoo.layers.fused_gradients import kernel_gradient
from rnnzoo.layers.fused_gradients import sigmoid_gradient
from rnnzoo.layers.fused_gradients import tanh_gradient

# Compute dtypes whose normalizations Keras computes in float32: the fused
# steps compute in the compute dtype, so those take the generic loop.
_HALF_PRECISION = ("float16", "bfloat16")


def normalize(inputs, gamma, beta, epsilon):
    """Layer normalization over the last axis, as Keras's
    `LayerNormalization` computes it but for float round-off.

    Returns:
        `(outputs, normalized, inverse_deviation)`: `normalized` is `n` and
        `inverse_deviation` is `1 / sqrt(var + ε)`, `(batch, 1)`.
    """
    mean, variance = ops.moments(inputs, axes=[-1], keepdims=True)
    inverse_deviation = ops.rsqrt(variance + epsilon)
    normalized = (inputs - mean) * inverse_deviation
    outputs = normalized * gamma
    if beta is not None:
        outputs = outputs + beta
    return outputs, normalized, inverse_deviation


def normalization_gradient(
    output_gradient, normalized, inverse_deviation, gamma
):
    """The gradient of the normalization's inputs (see `normalize`)."""
    normalized_gradient = output_gradient * gamma
    centered = normalized_gradient - ops.mean(
        normalized_gradient, axis=-1, keepdims=True
    )
    correlation = ops.mean(
        normalized_gradient * normalized, axis=-1, keepdims=True
    )
    return (centered - normalized * correlation) * inverse_deviation


def _drop(state, recurrent_dropout_mask):
    if recurrent_dropout_mask is None:
        return state
    return state * recurrent_dropout_mask


def _row_sums(terms):
    return [ops.sum(term, axis=0) for term in terms]


class LayerNormFusedRecurrence(FusedRecurrence):
    """What the layer-normalized cells' fused recurrences share."""

    def supports_fused_recurrence(self):
        return (
            super().supports_fused_recurrence()
            and self.compute_dtype not in _HALF_PRECISION
        )

    def fused_input_projection(self):
        # The bias comes after the normalization: it is a loop weight.
        return [self.kernel]


class LayerNormLSTMFusedSteps(LayerNormFusedRecurrence):
    """The fused recurrence of `LayerNormLSTMCell`.

    Its `loop_weights` are `recurrent_kernel`, the gains and shifts of
    `kernel_norm`, `recurrent_norm` and `state_norm`, then `bias` with
    `use_bias`.
    """

    def loop_weights(self):
        weights = [self.recurrent_kernel]
        for norm in (self.kernel_norm, self.recurrent_norm, self.state_norm):
            weights += [norm.gamma, norm.beta]
        if self.use_bias:
            weights.append(self.bias)
        return weights

    def fused_forward_step(
        self, projected_inputs, states, weights, recurrent_dropout_mask
    ):
        (
            recurrent_kernel,
            kernel_gamma,
            kernel_beta,
            recurrent_gamma,
            recurrent_beta,
            state_gamma,
            state_beta,
            *bias,
        ) = weights
        epsilon = self.norm_epsilon
        h_tm1, c_tm1 = states
        h_dropped = _drop(h_tm1, recurrent_dropout_mask)
        z, kernel_normalized, kernel_deviation = normalize(
            projected_inputs, kernel_gamma, kernel_beta, epsilon
        )
        if bias:
            z = z + bias[0]
        recurrent, recurrent_normalized, recurrent_deviation = normalize(
            ops.matmul(h_dropped, recurrent_kernel),
            recurrent_gamma,
            recurrent_beta,
            epsilon,
        )
        z_i, z_f, z_c, z_o = ops.split(z + recurrent, 4, axis=-1)
        i = ops.sigmoid(z_i)
        f = ops.sigmoid(z_f)
        g = ops.tanh(z_c)
        o = ops.sigmoid(z_o)
        c, state_normalized, state_deviation = normalize(
            f * c_tm1 + i * g, state_gamma, state_beta, epsilon
        )
        tanh_c = ops.tanh(c)
        h = o * tanh_c
        saved = [
            i,
            f,
            g,
            o,
            c_tm1,
            tanh_c,
            h_dropped,
            kernel_normalized,
            kernel_deviation,
            recurrent_normalized,
            recurrent_deviation,
            state_normalized,
            state_deviation,
        ]
        return h, [h, c], saved

    def fused_backward_step(
        self,
        output_gradient,
        state_gradients,
        saved,
        weights,
        recurrent_dropout_mask,
    ):
        transposed_kernel, kernel_gamma, _, recurrent_gamma, _ = weights[:5]
        state_gamma = weights[5]
        (
            i,
            f,
            g,
            o,
            c_tm1,
            tanh_c,
            h_dropped,
            kernel_normalized,
            kernel_deviation,
            recurrent_normalized,
            recurrent_deviation,
            state_normalized,
            state_deviation,
        ) = saved
        dh, dc = state_gradients
        dh = add_gradients(dh, output_gradient)
        dz_o = sigmoid_gradient(o, dh * tanh_c)
        dc = dc + tanh_gradient(tanh_c, dh * o)
        ds = normalization_gradient(
            dc, state_normalized, state_deviation, state_gamma
        )
        dz_i = sigmoid_gradient(i, ds * g)
        dz_f = sigmoid_gradient(f, ds * c_tm1)
        dz_c = tanh_gradient(g, ds * i)
        dc_tm1 = ds * f
        dz = ops.concatenate([dz_i, dz_f, dz_c, dz_o], axis=-1)
        d_recurrent = normalization_gradient(
            dz, recurrent_normalized, recurrent_deviation, recurrent_gamma
        )
        dh_tm1 = _drop(
            ops.matmul(d_recurrent, transposed_kernel), recurrent_dropout_mask
        )
        d_projected = normalization_gradient(
            dz, kernel_normalized, kernel_deviation, kernel_gamma
        )
        # `dz` is the gradient of both shifts `β_k`, `β_r` and the bias:
        # one term for the three.
        terms = [
            kernel_gradient(h_dropped, d_recurrent),
            dz * kernel_normalized,
            dz * recurrent_normalized,
            dz,
            dc * state_normalized,
            dc,
        ]
        return d_projected, [dh_tm1, dc_tm1], terms

    def fused_weight_gradients(self, summed_terms, weights):
        recurrent_kernel_gradient, *vector_terms = summed_terms
        kernel_gamma, recurrent_gamma, shift, state_gamma, state_beta = (
            _row_sums(vector_terms)
        )
        return [
            recurrent_kernel_gradient,
            kernel_gamma,
            shift,
            recurrent_gamma,
            shift,
            state_gamma,
            state_beta,
            *([shift] if self.use_bias else []),
        ]


class LayerNormSimpleRNNFusedSteps(LayerNormFusedRecurrence):
    """The fused recurrence of `LayerNormSimpleRNNCell`.

    Its `loop_weights` are `recurrent_kernel`, the gain of `layernorm`, then
    `bias` with `use_bias`.
    """

    def loop_weights(self):
        weights = [self.recurrent_kernel, self.layernorm.gamma]
        if self.use_bias:
            weights.append(self.bias)
        return weights

    def fused_forward_step(
        self, projected_inputs, states, weights, recurrent_dropout_mask
    ):
        recurrent_kernel, gamma, *bias = weights
        h_dropped = _drop(states[0], recurrent_dropout_mask)
        z, normalized, deviation = normalize(
            projected_inputs + ops.matmul(h_dropped, recurrent_kernel),
            gamma,
            None,
            self.layernorm_epsilon,
        )
        if bias:
            z = z + bias[0]
        h = ops.tanh(z)
        return h, [h], [h, h_dropped, normalized, deviation]

    def fused_backward_step(
        self,
        output_gradient,
        state_gradients,
        saved,
        weights,
        recurrent_dropout_mask,
    ):
        transposed_kernel, gamma, *_ = weights
        h, h_dropped, normalized, deviation = saved
        dh = add_gradients(state_gradients[0], output_gradient)
        dz = tanh_gradient(h, dh)
        da = normalization_gradient(dz, normalized, deviation, gamma)
        dh_tm1 = _drop(
            ops.matmul(da, transposed_kernel), recurrent_dropout_mask
        )
        terms = [kernel_gradient(h_dropped, da), dz * normalized, dz]
        return da, [dh_tm1], terms

    def fused_weight_gradients(self, summed_terms, weights):
        recurrent_kernel_gradient, *vector_terms = summed_terms
        gamma, bias = _row_sums(vector_terms)
        return [
            recurrent_kernel_gradient,
            gamma,
            *([bias] if self.use_bias else []),
        ]
