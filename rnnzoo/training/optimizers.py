"""Optimizers that clip the gradient by its true global norm, on one
device or many.

Keras 3's `global_clipnorm` goes wrong in two ways this module avoids:

* it measures an embedding's sparse gradient (`tf.IndexedSlices`) slice by
  slice, so a token seen several times in a batch counts as several
  separate rows, not as their sum: the norm, and so the clipping, is not
  that of the gradient actually applied;
* under a `tf.distribute` strategy it clips inside each replica, before
  the all-reduce that sums the replicas' shares, so each share is clipped
  on its own and the update differs from the same batch on one device.

The optimizers made here measure the norm of the summed, de-duplicated
gradient (one extra all-reduce when there are several replicas) and scale
every share by the same factor, so the update is the clipped global
gradient, the same on one device and on many.
"""

import keras
import tensorflow as tf

DEFAULT_CLIPNORM = 5.0


def _squared_norm(gradient):
    """Squared L2 norm of a gradient, duplicate rows of an
    `IndexedSlices` summed first (as the dense gradient holds them)."""
    if isinstance(gradient, tf.IndexedSlices):
        unique, positions = tf.unique(gradient.indices)
        gradient = tf.math.unsorted_segment_sum(
            gradient.values, positions, tf.shape(unique)[0]
        )
    gradient = tf.cast(gradient, tf.float32)
    return tf.reduce_sum(tf.square(gradient))


def global_norm(gradients) -> tf.Tensor:
    """The L2 norm of all `gradients` together, as dense tensors."""
    return tf.sqrt(tf.add_n([_squared_norm(g) for g in gradients]))


def _scale(gradient, factor):
    if isinstance(gradient, tf.IndexedSlices):
        return tf.IndexedSlices(
            gradient.values * tf.cast(factor, gradient.values.dtype),
            gradient.indices,
            gradient.dense_shape,
        )
    return gradient * tf.cast(factor, gradient.dtype)


def clip_by_global_norm(gradients, clipnorm, replica_context=None):
    """Scales `gradients` so that their global norm is at most `clipnorm`.

    With a `replica_context` of several replicas, `gradients` is this
    replica's share of a sum over replicas: the norm is that of the sum,
    and every replica scales its share by the same factor. A non-finite
    norm gives NaN gradients, so the loss shows it.
    """
    present = [g for g in gradients if g is not None]
    if not present:
        return gradients
    total = present
    if replica_context is not None and replica_context.num_replicas_in_sync > 1:
        total = replica_context.all_reduce("SUM", present)
    norm = global_norm(total)
    limit = tf.cast(clipnorm, tf.float32)
    factor = tf.where(
        tf.math.is_finite(norm), limit / tf.maximum(norm, limit), float("nan")
    )
    return [None if g is None else _scale(g, factor) for g in gradients]


class GlobalNormClipping:
    """Mixin over a Keras optimizer: `global_clipnorm` clips by the norm of
    the summed, de-duplicated gradient (see the module docstring)."""

    def _clip_gradients(self, grads):
        # Replica contexts (and gradients summed across them) exist only
        # under tf.distribute; other backends clip as Keras does.
        if not self.global_clipnorm or keras.backend.backend() != "tensorflow":
            return super()._clip_gradients(grads)
        return clip_by_global_norm(
            grads, self.global_clipnorm, tf.distribute.get_replica_context()
        )


def _clipping_subclass(base):
    """`base` with `GlobalNormClipping`, registered so that a saved, compiled
    model loads again in a new process."""
    name = f"GlobalNormClipping{base.__name__}"
    subclass = type(name, (GlobalNormClipping, base), {})
    return keras.saving.register_keras_serializable("rnnzoo", name)(subclass)


# Optimizers that wrap others rather than take a learning rate.
_WRAPPERS = ("Optimizer", "LossScaleOptimizer", "MultiOptimizer")

# Made for every built-in optimizer when this module is imported: a class
# made only on first use would be unknown to a process that loads a model
# before it trains one.
_CLIPPING_SUBCLASSES = {
    base: _clipping_subclass(base)
    for base in vars(keras.optimizers).values()
    if isinstance(base, type)
    and issubclass(base, keras.optimizers.Optimizer)
    and base.__name__ not in _WRAPPERS
}


def make_optimizer(name: str, learning_rate, clipnorm=DEFAULT_CLIPNORM):
    """A Keras optimizer by name, clipping by global norm.

    Args:
        name: A `keras.optimizers` name (`"adam"`, `"sgd"`, ...).
        learning_rate: A float or a `keras.optimizers.schedules` object.
        clipnorm: The global-norm limit; `None` or 0 turns clipping off.

    Example:

    >>> make_optimizer("adam", 0.001, clipnorm=1.0).global_clipnorm
    1.0
    """
    base = type(keras.optimizers.get(name))
    if not clipnorm:
        return base(learning_rate=learning_rate)
    if base not in _CLIPPING_SUBCLASSES:
        _CLIPPING_SUBCLASSES[base] = _clipping_subclass(base)
    return _CLIPPING_SUBCLASSES[base](
        learning_rate=learning_rate, global_clipnorm=float(clipnorm)
    )
