"""Stateless random draws from an int32 `(2,)` seed, on every backend.

Sampling must give the same draws for the same seed on every call, also
inside a compiled function where the seed is a tensor fed per call, so the
draws are functions of a seed tensor rather than of a random generator's
state. TensorFlow keeps its own stateless ops (`tf.random.stateless_*`), so
that seeded samples there stay what they have always been; JAX turns the
seed into a PRNG key; PyTorch, which runs eagerly, reads the seed's value.
"""

import keras
from keras import ops

from rnnzoo.validation import is_integer

_INT32_MAX = 2**31 - 1


def _backend() -> str:
    return keras.backend.backend()


def _jax_key(seed):
    import jax

    return jax.lax.bitcast_convert_type(ops.cast(seed, "int32"), "uint32")


def _python_seed(seed) -> int:
    """One 32-bit integer of an eager seed (PyTorch's generators take one)."""
    first, second = (int(x) for x in ops.convert_to_numpy(seed))
    return (first * 1_000_003 + second) & 0xFFFFFFFF


def _mix(value: int) -> int:
    """A 32-bit integer hash (the finaliser of MurmurHash3)."""
    value &= 0xFFFFFFFF
    value ^= value >> 16
    value = (value * 0x85EBCA6B) & 0xFFFFFFFF
    value ^= value >> 13
    value = (value * 0xC2B2AE35) & 0xFFFFFFFF
    return value ^ (value >> 16)


def seed_tensor(seed):
    """Returns the `(2,)` int32 seed of the stateless random ops.

    `seed` is an integer (the same samples on every call), a `(2,)` integer
    tensor (e.g. fed per call to a compiled function), or `None`: a fresh
    seed, so every call differs (on TensorFlow also inside `tf.function`;
    a function compiled by JAX takes its seed as an argument instead).
    """
    if seed is None:
        if _backend() == "tensorflow":
            import tensorflow as tf

            return tf.random.uniform((2,), maxval=_INT32_MAX, dtype="int32")
        return keras.random.randint((2,), 0, _INT32_MAX, dtype="int32")
    if is_integer(seed):
        seed = int(seed)
        return ops.convert_to_tensor(
            [seed & _INT32_MAX, (seed >> 31) & _INT32_MAX], dtype="int32"
        )
    if isinstance(seed, (float, str, bool)) or not hasattr(seed, "shape"):
        raise ValueError(
            "`seed` must be None, an integer or a `(2,)` integer tensor, "
            f"got seed={seed!r}"
        )
    seed = ops.convert_to_tensor(seed)
    if tuple(seed.shape) != (2,) or "int" not in str(seed.dtype):
        raise ValueError(
            "`seed` must be None, an integer or a `(2,)` integer tensor, "
            f"got seed={seed!r}"
        )
    return ops.cast(seed, "int32")


def fold_in(seed, index):
    """A new int32 `(2,)` seed from `seed` and an integer `index` (e.g. the
    step), so that every step draws independently."""
    backend = _backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.random.experimental.stateless_fold_in(seed, index)
    if backend == "jax":
        import jax

        key = jax.random.fold_in(_jax_key(seed), index)
        return jax.lax.bitcast_convert_type(key, "int32")
    first, second = (int(x) for x in ops.convert_to_numpy(seed))
    mixed = _mix(_mix(second ^ _mix(int(ops.convert_to_numpy(index)))) + 1)
    return ops.convert_to_tensor(
        [first & _INT32_MAX, mixed & _INT32_MAX], dtype="int32"
    )


def stateless_uniform(shape, seed, minval=0.0, maxval=1.0, dtype="float32"):
    """Uniform draws in `[minval, maxval)`, a function of `seed` alone."""
    backend = _backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.random.stateless_uniform(
            shape, seed=seed, minval=minval, maxval=maxval, dtype=dtype
        )
    seed = _jax_key(seed) if backend == "jax" else _python_seed(seed)
    return keras.random.uniform(
        shape, minval=minval, maxval=maxval, dtype=dtype, seed=seed
    )


def stateless_categorical(logits, seed):
    """One int32 draw per row of `softmax(logits)`, `(batch, vocab)` in,
    `(batch,)` out, a function of `seed` alone."""
    backend = _backend()
    if backend == "tensorflow":
        import tensorflow as tf

        draws = tf.random.stateless_categorical(logits, 1, seed=seed)
    else:
        seed = _jax_key(seed) if backend == "jax" else _python_seed(seed)
        draws = keras.random.categorical(logits, 1, seed=seed)
    return ops.cast(draws[:, 0], "int32")
