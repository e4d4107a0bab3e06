"""Mixed precision by device: `mixed_bfloat16` on TPUs, `mixed_float16` on
GPUs, full `float32` on CPUs (where half precision is slower, not faster).

Under `mixed_float16` Keras wraps the optimizer in a `LossScaleOptimizer`
when the model is compiled, so small gradients do not underflow. The output
layers of rnnzoo's models compute in float32 whatever the policy.
"""

import contextlib

import keras
import tensorflow as tf

from rnnzoo.training.strategies import is_tpu
from rnnzoo.validation import check_choice

PRECISIONS = ("auto", "float32", "mixed_float16", "mixed_bfloat16")


def resolve_precision(precision: str = "auto", strategy=None) -> str:
    """The Keras dtype policy name for `precision` under `strategy`.

    Args:
        precision: `"auto"` (by device, see the module docstring),
            `"float32"`, `"mixed_float16"` or `"mixed_bfloat16"`.
        strategy: The run's `tf.distribute.Strategy` (default: the current
            one).

    Raises:
        ValueError: an unknown `precision`.
    """
    check_choice("precision", precision, PRECISIONS)
    if precision != "auto":
        return precision
    strategy = strategy or tf.distribute.get_strategy()
    if is_tpu(strategy):
        return "mixed_bfloat16"
    if tf.config.list_logical_devices("GPU"):
        return "mixed_float16"
    return "float32"


@contextlib.contextmanager
def precision_policy(name: str):
    """Sets the global Keras dtype policy to `name` inside the block, and
    puts the previous one back after it."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield name
    finally:
        keras.config.set_dtype_policy(previous)
