"""A hand-written LSTM in plain JAX: the reference the JAX benchmarks compare
rnnzoo's layers with (`benchmarks.jax_bench`).

What a JAX user writes without a library: the input projection of all steps
in one matmul, then `jax.lax.scan` over the recurrent part, Keras's gate
order `i, f, c, o`; autodiff differentiates through the scan.
"""

import jax
import numpy as np
from jax import numpy as jnp


def lstm_parameters(features: int, units: int, seed: int = 0) -> dict:
    """Glorot-uniform `kernel`, orthogonal-like `recurrent_kernel`, zero
    `bias` (the forget block at one), as float32 arrays."""
    rng = np.random.default_rng(seed)
    limit = np.sqrt(6.0 / (features + 4 * units))
    recurrent, _ = np.linalg.qr(rng.normal(size=(4 * units, units)))
    bias = np.zeros(4 * units, "float32")
    bias[units : 2 * units] = 1.0
    return {
        "kernel": jnp.asarray(
            rng.uniform(-limit, limit, (features, 4 * units)), "float32"
        ),
        "recurrent_kernel": jnp.asarray(recurrent.T, "float32"),
        "bias": jnp.asarray(bias),
    }


def lstm_last_output(parameters: dict, inputs: jnp.ndarray) -> jnp.ndarray:
    """The LSTM's last output `h_T` of `inputs` `(batch, steps, features)`,
    from zero states."""
    projected = jnp.einsum("btf,fg->tbg", inputs, parameters["kernel"])
    projected = projected + parameters["bias"]
    recurrent_kernel = parameters["recurrent_kernel"]
    batch, units = inputs.shape[0], recurrent_kernel.shape[0]

    def step(carry, projected_step):
        h, c = carry
        z = projected_step + h @ recurrent_kernel
        z_i, z_f, z_c, z_o = jnp.split(z, 4, axis=-1)
        c = jax.nn.sigmoid(z_f) * c + jax.nn.sigmoid(z_i) * jnp.tanh(z_c)
        h = jax.nn.sigmoid(z_o) * jnp.tanh(c)
        return (h, c), None

    zeros = jnp.zeros((batch, units), inputs.dtype)
    (h, _), _ = jax.lax.scan(step, (zeros, zeros), projected)
    return h
