"""The alignment of monotonic attention (Raffel, Luong, Liu, Weiss & Eck
2017, "Online and Linear-Time Attention by Enforcing Monotonic Alignments")
from its choosing probabilities: the successor of TensorFlow Addons'
`tfa.seq2seq.monotonic_attention`. The mechanisms that compute the
probabilities are `rnnzoo.layers.monotonic_attention`'s.

At every decoder step `i` the memory is scanned left to right from where the
previous step stopped, and position `j` is chosen with probability
`p_{i,j}`. The expected alignment follows the paper's recurrence

```
q_{i,j} = (1 - p_{i,j-1}) q_{i,j-1} + α_{i-1,j}        (q_{i,0} = α_{i-1,0})
α_{i,j} = p_{i,j} q_{i,j}
```

starting from `α_0 = [1, 0, ..., 0]`. An alignment may sum to less than one:
the rest is the probability that the scan ran past the end of the memory.
"""

import keras
import numpy as np
from keras import ops

from rnnzoo.validation import check_choice

MODES = ("parallel", "recursive", "hard")

# The smallest divisor of the parallel closed form (as TensorFlow Addons):
# below it, the exclusive cumulative product has underflowed anyway.
_SMALLEST_CUMPROD = 1e-10


def _exclusive(cumulative, first):
    """`cumulative` shifted one place right along the last axis, `first`
    in front: an exclusive cumulative sum (or product)."""
    front = ops.full_like(cumulative[..., :1], first)
    return ops.concatenate([front, cumulative[..., :-1]], axis=-1)


def safe_exclusive_cumprod(x):
    """The exclusive cumulative product of `x` in `(0, 1]` along the last
    axis, computed as a sum of logarithms so that neither it nor its
    gradient underflows to NaN; entries below the dtype's smallest normal
    number count as that number."""
    tiny = float(np.finfo(keras.backend.standardize_dtype(x.dtype)).tiny)
    logs = ops.log(ops.clip(x, tiny, 1.0))
    return ops.exp(_exclusive(ops.cumsum(logs, axis=-1), 0.0))


def monotonic_attention(p_choose, previous_attention, mode="parallel"):
    """The monotonic alignment of a step from its choosing probabilities.

    Three ways to compute it:

    * `"recursive"`: the recurrence of the module docstring, one memory
      position after another (a scan): exact and numerically safe, slowest;
    * `"parallel"`: its closed form with cumulative products and sums,
      `α_i = p_i · cumprod(1 - p_i) · cumsum(α_{i-1} / cumprod(1 - p_i))`
      (exclusive cumulative products, in log space, divisor clipped at
      `1e-10`): fast, but inexact when `1 - p` underflows (`p` close to 1
      early in a long memory);
    * `"hard"`: for `p_choose` of zeros and ones only (a test-time hard
      decision): the first chosen position at or after the previously
      attended one, a one-hot alignment (all zeros once no position is
      chosen).

    Args:
        p_choose: `(..., Tv)` probabilities of choosing each memory
            position, in `[0, 1]` (`{0, 1}` for `"hard"`).
        previous_attention: `(..., Tv)` alignment of the previous step;
            `[1, 0, ..., 0]` before the first step.
        mode: `"parallel"` (default), `"recursive"` or `"hard"`.

    Returns:
        The alignment, shaped and typed as `p_choose`.

    Example:

    >>> p_choose = np.array([[0.5, 0.5, 0.5]])
    >>> previous = np.array([[1.0, 0.0, 0.0]])
    >>> ops.convert_to_numpy(monotonic_attention(p_choose, previous))
    array([[0.5  , 0.25 , 0.125]])
    """
    check_choice("mode", mode, MODES)
    p_choose = ops.convert_to_tensor(p_choose)
    previous = ops.cast(previous_attention, p_choose.dtype)
    if mode == "recursive":
        # Memory positions become the scanned (leading) axis.
        decay = ops.moveaxis(_exclusive(1.0 - p_choose, 1.0), -1, 0)
        arriving = ops.moveaxis(previous, -1, 0)

        def scan_position(q, position):
            decay_j, arriving_j = position
            q = decay_j * q + arriving_j
            return q, q

        _, q = ops.scan(
            scan_position, ops.zeros_like(arriving[0]), (decay, arriving)
        )
        return p_choose * ops.moveaxis(q, 0, -1)
    if mode == "parallel":
        cumprod = safe_exclusive_cumprod(1.0 - p_choose)
        divisor = ops.clip(cumprod, _SMALLEST_CUMPROD, 1.0)
        return p_choose * cumprod * ops.cumsum(previous / divisor, axis=-1)
    # Positions before the previously attended one cannot be chosen; of the
    # others, only the first chosen one is kept.
    p_choose = p_choose * ops.cumsum(previous, axis=-1)
    not_yet = _exclusive(ops.cumprod(1.0 - p_choose, axis=-1), 1.0)
    return p_choose * not_yet
