"""Compiling a model's inference function on every backend, the way a
Keras model compiles its `predict_step`: `tf.function` on TensorFlow,
`jax.jit` over the model's variables on JAX (so that a compiled function
reads the current weights, not those of the first call), eager under
`torch.no_grad()` on PyTorch.
"""

import dataclasses
import itertools

import keras
from keras import ops


@dataclasses.dataclass(frozen=True)
class TensorSpec:
    """The shape (`None` for any size) and dtype of a compiled function's
    argument, on any backend.

    Example:

    >>> TensorSpec((None, None), "int32").shape
    (None, None)
    """

    shape: tuple
    dtype: str

    def to_tensorflow(self):
        import tensorflow as tf

        return tf.TensorSpec(self.shape, self.dtype)


def compile_model_function(model, python_function, input_signature, jit):
    """Compiles `python_function(*args)`, which calls `model`'s layers.

    Args:
        model: The `keras.Model` whose variables the function reads.
        python_function: The function; its arguments are tensors.
        input_signature: One `TensorSpec` per argument; arguments are
            converted to its dtype.
        jit: Whether TensorFlow compiles with XLA (JAX always does).

    Returns:
        A function of the same arguments.
    """
    backend = keras.backend.backend()
    dtypes = [spec.dtype for spec in input_signature]

    def converted(args):
        return [ops.convert_to_tensor(x, d) for x, d in zip(args, dtypes)]

    if backend == "tensorflow":
        import tensorflow as tf

        function = tf.function(
            python_function,
            input_signature=[s.to_tensorflow() for s in input_signature],
            jit_compile=jit,
            reduce_retracing=True,
            autograph=False,
        )
        return lambda *args: function(*converted(args))
    if backend == "jax":
        import jax

        def stateless(trainable, non_trainable, args):
            mapping = itertools.chain(
                zip(model.trainable_variables, trainable),
                zip(model.non_trainable_variables, non_trainable),
            )
            with keras.StatelessScope(state_mapping=mapping):
                return python_function(*args)

        compiled = jax.jit(stateless)

        def run_jax(*args):
            return compiled(
                [v.value for v in model.trainable_variables],
                [v.value for v in model.non_trainable_variables],
                converted(args),
            )

        return run_jax

    def run_eagerly(*args):
        if backend == "torch":
            import torch

            with torch.no_grad():
                return python_function(*converted(args))
        return python_function(*converted(args))

    return run_eagerly
