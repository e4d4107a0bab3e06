"""A NumPy implementation of monotonic attention (Raffel et al. 2017) from
the paper's equations, and the memory the monotonic-attention tests share:
rows of mixed lengths."""

import numpy as np

BATCH, TV = 4, 7
# Real memory positions of each row: mixed lengths, one row fully real.
LENGTHS = np.array([7, 4, 1, 5])
MEMORY_MASK = np.arange(TV)[None, :] < LENGTHS[:, None]


def reference_soft(p_choose, previous):
    """The expected alignment, one row and one position at a time:
    `q_j = (1 - p_{j-1}) q_{j-1} + α_prev_j` (`q_0 = α_prev_0`), then
    `α_j = p_j q_j` (Raffel et al. 2017)."""
    alignment = np.zeros_like(p_choose)
    for row in range(p_choose.shape[0]):
        q = 0.0
        for j in range(p_choose.shape[1]):
            carried = (1.0 - p_choose[row, j - 1]) * q if j > 0 else 0.0
            q = carried + previous[row, j]
            alignment[row, j] = p_choose[row, j] * q
    return alignment


def reference_hard(chosen, previous):
    """The paper's test-time decoding: scan the memory from the previously
    attended position and stop at the first chosen one; a row that
    attended nothing (it ran past the end) attends nothing again."""
    alignment = np.zeros_like(chosen)
    for row in range(chosen.shape[0]):
        if previous[row].sum() == 0:
            continue
        start = int(np.argmax(previous[row]))
        for j in range(start, chosen.shape[1]):
            if chosen[row, j] == 1:
                alignment[row, j] = 1.0
                break
    return alignment


def one_hot_start(batch=BATCH, steps=TV, dtype="float64"):
    start = np.zeros((batch, steps), dtype)
    start[:, 0] = 1.0
    return start
