"""Linear-chain conditional random field (CRF) functions over per-step tag
scores, in `keras.ops`: the score of a tag sequence, the log partition
function (forward algorithm), the log-likelihood and Viterbi decoding.

A sequence of `T` real steps with tags `y_1..y_T` scores

```
s(y) = start[y_1] + sum_t potentials[t, y_t]
       + sum_{t>1} transitions[y_{t-1}, y_t] + end[y_T]
```

and has probability `exp(s(y)) / Z`, `Z` the sum of `exp(s(y'))` over
every tag sequence `y'` (Lafferty, McCallum & Pereira 2001). The arguments
follow TensorFlow Addons' `tfa.text` CRF functions: unary `potentials`
`(batch, steps, num_tags)`, `transitions[i, j]` the score of tag `j` right
after tag `i`, and `lengths` `(batch,)` the real steps of each sequence;
`start_transitions` / `end_transitions` `(num_tags,)` (optional) score the
first and the last tag.

Padded steps never count: a step is real where it is within `lengths` and
`mask` (`(batch, steps)` booleans, e.g. Keras's mask of a padded batch) is
true; the recursions step over padded steps, so padding may also come
first or between real steps. A sequence without a real step scores 0 and decodes
to no tags. Scores are computed in float32 (float64 for float64
potentials), the sums over tag sequences as log-sum-exp.
"""

import keras
from keras import ops

# Keras's time loop (`keras.layers.RNN`'s): it keeps the states through
# padded steps and compiles with XLA, gradient included, also when the
# number of steps is unknown; `ops.scan` does neither on TensorFlow.
from rnnzoo.layers.masked_rnn import rnn


def _float_dtype(potentials) -> str:
    dtype = keras.backend.standardize_dtype(potentials.dtype)
    return "float64" if dtype == "float64" else "float32"


def _prepare(potentials, lengths, transitions, start, end, mask):
    """Potentials, transitions and boundary scores in one float dtype, and
    the `(batch, steps)` boolean mask of the real steps."""
    potentials = ops.convert_to_tensor(potentials)
    dtype = _float_dtype(potentials)
    potentials = ops.cast(potentials, dtype)
    num_tags = potentials.shape[-1]
    transitions = ops.cast(transitions, dtype)
    if tuple(transitions.shape) != (num_tags, num_tags):
        raise ValueError(
            "`transitions` must be (num_tags, num_tags) = "
            f"({num_tags}, {num_tags}) for potentials of shape "
            f"{tuple(potentials.shape)}, got shape {tuple(transitions.shape)}"
        )
    boundaries = []
    for name, scores in (("start", start), ("end", end)):
        if scores is None:
            scores = ops.zeros((num_tags,), dtype)
        scores = ops.cast(scores, dtype)
        if tuple(scores.shape) != (num_tags,):
            raise ValueError(
                f"`{name}_transitions` must be (num_tags,) = ({num_tags},), "
                f"got shape {tuple(scores.shape)}"
            )
        boundaries.append(scores)
    real = ops.ones_like(potentials[..., 0], dtype="bool")
    if lengths is not None:
        steps = ops.arange(ops.shape(potentials)[1], dtype="int32")
        lengths = ops.cast(lengths, "int32")
        real = ops.expand_dims(steps, 0) < ops.expand_dims(lengths, 1)
    if mask is not None:
        real = ops.logical_and(real, ops.cast(mask, "bool"))
    return potentials, transitions, *boundaries, real


def _last_real_tags(tags, real):
    """Per step, the tag of the latest real step up to it (0 before the
    first), `(batch, steps)`."""

    def carry_forward(tag, states):
        return tag, [tag]

    # At a padded step Keras's loop repeats the previous output.
    _, latest, _ = rnn(
        carry_forward,
        tags[..., None],
        [ops.zeros_like(tags[:, :1])],
        mask=real,
    )
    return latest[..., 0]


def _forward_recursion(
    combine, potentials, transitions, start, real, **rnn_options
):
    """The forward recursion shared by `crf_log_norm` and `crf_decode`,
    over the real steps only.

    A tag scores `start + unary` at the first real step and
    `combine(candidates)[0] + unary` after it, where `candidates[b, i, j]`
    is the previous score of tag `i` plus `transitions[i, j]`; the
    second value `combine` returns is the step's output. Returns the
    outputs of Keras's `rnn` and the scores after the last real step.
    """

    def forward(unary, states):
        scores, started = states
        candidates = ops.expand_dims(scores, 2) + transitions[None]
        continued, output = combine(candidates)
        scores = ops.where(started > 0, continued, start[None]) + unary
        return output, [scores, ops.ones_like(started)]

    _, outputs, (scores, _) = rnn(
        forward,
        potentials,
        [
            ops.zeros_like(potentials[:, 0]),
            ops.zeros_like(potentials[:, 0, :1]),
        ],
        mask=real,
        **rnn_options,
    )
    return outputs, scores


def crf_sequence_score(
    potentials,
    tags,
    lengths,
    transitions,
    start_transitions=None,
    end_transitions=None,
    *,
    mask=None,
):
    """The unnormalized score `s(y)` of each tag sequence.

    Args:
        potentials: `(batch, steps, num_tags)` unary scores.
        tags: int `(batch, steps)` tag ids; those of padded steps are not
            read (any value, e.g. -1).
        lengths: int `(batch,)` real steps per sequence, or `None` for
            every step (then `mask` alone marks them).
        transitions: `(num_tags, num_tags)`, `[i, j]` the score of tag `j`
            right after tag `i`.
        start_transitions: Optional `(num_tags,)` score of the first tag.
        end_transitions: Optional `(num_tags,)` score of the last tag.
        mask: Optional boolean `(batch, steps)`, false at padded steps.

    Returns:
        `(batch,)` scores; 0 for a sequence without a real step.

    Example:

    >>> potentials = np.array([[[1.0, 0.0], [0.0, 2.0]]])
    >>> transitions = np.array([[0.0, 0.5], [0.0, 0.0]])
    >>> float(crf_sequence_score(potentials, [[0, 1]], [2], transitions)[0])
    3.5
    """
    potentials, transitions, start, end, real = _prepare(
        potentials,
        lengths,
        transitions,
        start_transitions,
        end_transitions,
        mask,
    )
    num_tags = potentials.shape[-1]
    tags = ops.where(real, ops.cast(tags, "int32"), 0)
    weight = ops.cast(real, potentials.dtype)
    unary = ops.take_along_axis(potentials, tags[..., None], axis=-1)
    score = ops.sum(unary[..., 0] * weight, axis=1)

    seen = ops.cumsum(ops.cast(real, "int32"), axis=1)
    first = ops.logical_and(real, ops.equal(seen, 1))
    score += ops.sum(
        ops.take(start, tags) * ops.cast(first, potentials.dtype), axis=1
    )
    # A step that follows a real step adds the transition from that
    # step's tag, however many padded steps lie between them.
    latest = _last_real_tags(tags, real)
    previous = ops.pad(latest[:, :-1], ((0, 0), (1, 0)))
    follows = ops.cast(
        ops.logical_and(real, ops.logical_not(first)), potentials.dtype
    )
    pair_scores = ops.take(
        ops.reshape(transitions, (-1,)), previous * num_tags + tags
    )
    score += ops.sum(pair_scores * follows, axis=1)
    has_steps = ops.cast(ops.any(real, axis=1), potentials.dtype)
    return score + ops.take(end, latest[:, -1]) * has_steps


def crf_log_norm(
    potentials,
    lengths,
    transitions,
    start_transitions=None,
    end_transitions=None,
    *,
    mask=None,
):
    """The log partition function `log Z` of each sequence, by the forward
    algorithm in log space.

    Args:
        potentials: `(batch, steps, num_tags)` unary scores.
        lengths: int `(batch,)` real steps per sequence, or `None`.
        transitions: `(num_tags, num_tags)` transition scores.
        start_transitions: Optional `(num_tags,)` score of the first tag.
        end_transitions: Optional `(num_tags,)` score of the last tag.
        mask: Optional boolean `(batch, steps)`, false at padded steps.

    Returns:
        `(batch,)` log partition values; 0 for a sequence without a real
        step.

    Example:

    >>> potentials = np.zeros((1, 3, 2))
    >>> log_z = crf_log_norm(potentials, [3], np.zeros((2, 2)))
    >>> round(float(log_z[0]), 4)  # log(2 ** 3): 8 equal paths
    2.0794
    """
    potentials, transitions, start, end, real = _prepare(
        potentials,
        lengths,
        transitions,
        start_transitions,
        end_transitions,
        mask,
    )

    def log_sum_exp(candidates):
        # log_alpha[b, i] + transitions[i, j], summed over i in log space.
        continued = ops.logsumexp(candidates, axis=1)
        return continued, continued

    _, log_alpha = _forward_recursion(
        log_sum_exp,
        potentials,
        transitions,
        start,
        real,
        return_all_outputs=False,
    )
    log_z = ops.logsumexp(log_alpha + end[None], axis=1)
    return ops.where(ops.any(real, axis=1), log_z, ops.zeros_like(log_z))


def crf_log_likelihood(
    potentials,
    tags,
    lengths,
    transitions,
    start_transitions=None,
    end_transitions=None,
    *,
    mask=None,
):
    """The log-likelihood `s(y) - log Z` of each tag sequence.

    As `tfa.text.crf_log_likelihood`, except that `transitions` is
    required (a function creates no weights; the `CRF` layer holds them)
    and only the log-likelihood is returned.

    Args:
        potentials: `(batch, steps, num_tags)` unary scores.
        tags: int `(batch, steps)` gold tag ids (padded steps not read).
        lengths: int `(batch,)` real steps per sequence, or `None`.
        transitions: `(num_tags, num_tags)` transition scores.
        start_transitions: Optional `(num_tags,)` score of the first tag.
        end_transitions: Optional `(num_tags,)` score of the last tag.
        mask: Optional boolean `(batch, steps)`, false at padded steps.

    Returns:
        `(batch,)` log-likelihoods (at most 0; 0 for a sequence without a
        real step).

    Example:

    >>> potentials = np.zeros((1, 3, 2))
    >>> log_likelihood = crf_log_likelihood(
    ...     potentials, [[0, 1, 1]], [3], np.zeros((2, 2)))
    >>> round(float(log_likelihood[0]), 4)  # log(1 / 8)
    -2.0794
    """
    arguments = (transitions, start_transitions, end_transitions)
    score = crf_sequence_score(potentials, tags, lengths, *arguments, mask=mask)
    log_z = crf_log_norm(potentials, lengths, *arguments, mask=mask)
    return score - log_z


def crf_decode(
    potentials,
    transitions,
    lengths,
    start_transitions=None,
    end_transitions=None,
    *,
    mask=None,
):
    """The best tag sequence of each input (Viterbi) and its score.

    Args:
        potentials: `(batch, steps, num_tags)` unary scores.
        transitions: `(num_tags, num_tags)` transition scores.
        lengths: int `(batch,)` real steps per sequence, or `None`.
        start_transitions: Optional `(num_tags,)` score of the first tag.
        end_transitions: Optional `(num_tags,)` score of the last tag.
        mask: Optional boolean `(batch, steps)`, false at padded steps.

    Returns:
        `(tags, best_score)`: int32 `(batch, steps)` tag ids, 0 at padded
        steps, and the `(batch,)` score `s(tags)` of the best sequence (0
        for a sequence without a real step).

    Example:

    >>> potentials = np.array([[[2.0, 0.0], [0.0, 1.0], [0.0, 0.0]]])
    >>> transitions = np.array([[0.0, -3.0], [0.0, 0.0]])
    >>> tags, score = crf_decode(potentials, transitions, [2])
    >>> np.asarray(tags).tolist(), float(score[0])
    ([[0, 0, 0]], 2.0)
    """
    potentials, transitions, start, end, real = _prepare(
        potentials,
        lengths,
        transitions,
        start_transitions,
        end_transitions,
        mask,
    )

    def best_previous(candidates):
        # The best previous tag of each tag (unused at the first real step).
        pointers = ops.cast(ops.argmax(candidates, axis=1), "int32")
        return ops.max(candidates, axis=1), pointers

    pointers, best_scores = _forward_recursion(
        best_previous, potentials, transitions, start, real
    )
    final_scores = best_scores + end[None]
    last_tags = ops.cast(ops.argmax(final_scores, axis=1), "int32")

    def backtrace(step_pointers, states):
        (tag,) = states
        return tag, [ops.take_along_axis(step_pointers, tag, axis=1)]

    # From the last step back; padded steps keep the tag of the next real
    # one, and their outputs are reset to 0 below.
    _, tags, _ = rnn(
        backtrace, pointers, [last_tags[:, None]], go_backwards=True, mask=real
    )
    tags = ops.where(real, ops.flip(tags[..., 0], axis=1), 0)
    has_steps = ops.any(real, axis=1)
    best_score = ops.max(final_scores, axis=1)
    return tags, ops.where(has_steps, best_score, ops.zeros_like(best_score))
