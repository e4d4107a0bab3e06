"""A linear-chain CRF by brute force, in NumPy: every tag sequence of the
real steps enumerated and scored from the definition (Lafferty et al.
2001), for the tests of `rnnzoo.layers.crf` and `SequenceTagger(crf=True)`.
"""

import itertools

import numpy as np


def path_score(potentials, steps, tags, transitions, start, end):
    """`start[y_1] + sum_t u[t, y_t] + sum trans[y_{t-1}, y_t] + end[y_T]`
    of one sequence whose real steps are `steps`."""
    score = start[tags[0]] + end[tags[-1]]
    score += sum(potentials[t, y] for t, y in zip(steps, tags))
    score += sum(transitions[a, b] for a, b in zip(tags[:-1], tags[1:]))
    return score


def enumerate_sequence(potentials, real, transitions, start=None, end=None):
    """`{tags: score}` over every tag sequence of one sequence's real
    steps (`real` a boolean `(steps,)`); `{(): 0.0}` without one."""
    num_tags = potentials.shape[-1]
    start = np.zeros(num_tags) if start is None else start
    end = np.zeros(num_tags) if end is None else end
    steps = np.flatnonzero(real)
    if len(steps) == 0:
        return {(): 0.0}
    return {
        tags: path_score(potentials, steps, tags, transitions, start, end)
        for tags in itertools.product(range(num_tags), repeat=len(steps))
    }


def log_sum_exp(values):
    values = np.asarray(list(values), dtype="float64")
    top = values.max()
    return top + np.log(np.exp(values - top).sum())


def brute_force(potentials, tags, mask, transitions, start=None, end=None):
    """Per sequence: the gold score, `log Z`, the log-likelihood, the best
    tags (`(steps,)`, 0 at padded steps) and the best score."""
    results = []
    for row in range(potentials.shape[0]):
        real = np.asarray(mask[row], bool)
        scores = enumerate_sequence(
            potentials[row], real, transitions, start, end
        )
        gold = tuple(int(tag) for tag in np.asarray(tags[row])[real])
        log_z = log_sum_exp(scores.values()) if gold else 0.0
        best = max(scores, key=scores.get)
        best_tags = np.zeros(len(real), "int32")
        best_tags[real] = best
        results.append(
            {
                "score": scores[gold],
                "log_z": log_z,
                "log_likelihood": scores[gold] - log_z,
                "best_tags": best_tags,
                "best_score": scores[best],
            }
        )
    return results
