"""The gradient helpers that the cells' fused steps share, on every backend.

The fused steps (`rnnzoo.layers.fused.FusedRecurrence`) write their
gradients with these. On TensorFlow they are the raw ops of
`rnnzoo.layers.fused_loops` (one op each, a kernel transposed once before
the loop); elsewhere they are `keras.ops`, which XLA fuses just as well,
and a kernel's gradient is a `KernelGradientTerm` the loop sums at once.
"""

from typing import Any
from typing import NamedTuple

import keras
from keras import ops


def add_gradients(gradient, other):
    """`gradient + other`, where `other` may be `None` (no gradient)."""
    return gradient if other is None else gradient + other


class KernelGradientTerm(NamedTuple):
    """One step's term `inputs^T gradient` of a kernel's gradient, not yet
    computed.

    The JAX loop (`rnnzoo.layers.fused_jax`) stacks `inputs` and `gradient`
    over the steps and sums all terms with one matmul after the loop, off
    the recurrent chain, instead of one small matmul per step.
    """

    inputs: Any
    gradient: Any


if keras.backend.backend() == "tensorflow":
    from rnnzoo.layers.fused_loops import kernel_gradient
    from rnnzoo.layers.fused_loops import sigmoid_gradient
    from rnnzoo.layers.fused_loops import tanh_gradient
    from rnnzoo.layers.fused_loops import transpose_kernel
else:

    def sigmoid_gradient(outputs, output_gradient):
        """`dy * y * (1 - y)`: the gradient through `y = sigmoid(x)`."""
        return output_gradient * outputs * (1.0 - outputs)

    def tanh_gradient(outputs, output_gradient):
        """`dy * (1 - y ** 2)`: the gradient through `y = tanh(x)`."""
        return output_gradient * (1.0 - outputs * outputs)

    def transpose_kernel(kernel):
        """`kernel^T`, for `gradient kernel^T`, the gradient of `x` in
        `x kernel`."""
        return ops.transpose(kernel)

    def kernel_gradient(inputs, gradient):
        """`inputs^T gradient`: one step's gradient of `kernel` in
        `inputs kernel`, left for the loop to compute (see
        `KernelGradientTerm`)."""
        return KernelGradientTerm(inputs, gradient)


__all__ = [
    "KernelGradientTerm",
    "add_gradients",
    "kernel_gradient",
    "sigmoid_gradient",
    "tanh_gradient",
    "transpose_kernel",
]
