"""Beam search with the GNMT length penalty."""

import keras
from keras import ops

from rnnzoo.decoding.base import StepFunction
from rnnzoo.decoding.base import call_step_fn
from rnnzoo.decoding.base import check_step_fn
from rnnzoo.decoding.base import check_token_in_vocabulary
from rnnzoo.decoding.base import prepare_start
from rnnzoo.decoding.base import tile_batch
from rnnzoo.validation import check_bool
from rnnzoo.validation import check_finite_number
from rnnzoo.validation import check_int
from rnnzoo.validation import check_positive_int

_NEG_INF = float("-inf")


def length_penalty_factor(lengths, alpha: float):
    """GNMT length penalty `((5 + length) / 6) ** alpha` (Wu et al. 2016).

    Args:
        lengths: Integer tensor of sequence lengths.
        alpha: The exponent; `0` gives `1` (no penalty).

    Returns:
        A float32 tensor shaped like `lengths`.
    """
    lengths = ops.cast(lengths, "float32")
    return ops.power((5.0 + lengths) / 6.0, alpha)


# The group size of `top_k_by_groups`: a group's maximum is a cheap
# reduction, and the top-k runs over a few hundred maxima and a few dozen
# candidates instead of all `beam * vocabulary` scores.
_GROUP_SIZE = 8


def top_k_by_groups(values, k: int):
    """`keras.ops.top_k(values, k)` of a `(batch, n)` tensor, through groups.

    The top `k` of each row lie in the `k` groups of `_GROUP_SIZE`
    consecutive entries with the largest maxima: an entry of the top `k` in
    any other group would have `k` larger entries, those maxima. So the
    exact top `k` is the top `k` of those groups' entries, taken in index
    order so that ties still go to the lower index, as with `top_k`. Under
    XLA, whose CPU top-k sorts the whole row, this is several times faster.
    Rows of unknown length, or too short to hold `4 k` groups, use `top_k`.

    Returns:
        `(values, indices)`, as `keras.ops.top_k`.
    """
    n = values.shape[-1]
    if n is None or n < 4 * k * _GROUP_SIZE:
        return ops.top_k(values, k)
    num_groups = -(-n // _GROUP_SIZE)
    padding = num_groups * _GROUP_SIZE - n
    if padding:
        values = ops.pad(
            values, [[0, 0], [0, padding]], constant_values=_NEG_INF
        )
    groups = ops.reshape(values, (-1, num_groups, _GROUP_SIZE))
    _, best_groups = ops.top_k(ops.max(groups, axis=-1), k)
    best_groups = ops.sort(best_groups, axis=-1)
    # Row `r`'s group `g` is row `r * num_groups + g` of the flat groups.
    rows = ops.arange(ops.shape(groups)[0], dtype="int32")[:, None]
    candidates = ops.reshape(
        ops.take(
            ops.reshape(groups, (-1, _GROUP_SIZE)),
            rows * num_groups + best_groups,
            axis=0,
        ),
        (-1, k * _GROUP_SIZE),
    )
    top_values, positions = ops.top_k(candidates, k)
    group = ops.take_along_axis(best_groups, positions // _GROUP_SIZE, axis=1)
    return top_values, group * _GROUP_SIZE + positions % _GROUP_SIZE


def beam_search(
    step_fn: StepFunction,
    initial_state,
    start_token,
    max_length: int,
    beam_width: int = 5,
    end_token: int | None = None,
    length_penalty: float = 0.0,
    return_all_beams: bool = False,
    pad_token: int = 0,
):
    """Decodes by keeping the `beam_width` best partial sequences.

    Each batch row runs `beam_width` beams; at every step all extensions of
    all beams compete and the best `beam_width` survive, their state
    gathered from their parent beam (every tensor of the nested state is
    reordered). Sequences are ranked by their sum of log-probabilities
    divided by the GNMT length penalty `((5 + length) / 6) ** alpha` (Wu et
    al. 2016), `alpha = length_penalty`; the length counts the emitted
    tokens, the end token included. A beam that emitted `end_token` is
    finished: it keeps its score and length, is extended only by
    `pad_token`, and still competes for a place in the beam. The loop stops
    once every beam is finished or after `max_length` steps. With a beam at
    least as wide as the number of distinct prefixes, the search is exact.

    Args:
        step_fn: `step_fn(tokens, state) -> (logits, new_state)`, with
            `tokens` `(batch,)` int32 (the previous token), `state` a nested
            structure of tensors with a leading batch dimension and `logits`
            `(batch, vocab_size)`; see `rnnzoo.decoding.base`. It is called
            on `batch * beam_width` rows, beam `k` of row `b` at row
            `b * beam_width + k`.
        initial_state: The state fed to the first step, `(batch, ...)`
            tensors; every beam starts from its row's state.
        start_token: Token fed to the first step: an id, or a `(batch,)`
            integer tensor (one per sequence).
        max_length: Positive integer, number of tokens to emit (the start
            token is not part of the output).
        beam_width: Positive integer, number of beams per sequence.
            `1` is greedy search. Default `5`.
        end_token: Optional id that finishes a sequence. The end token is
            kept in the output; every later position holds `pad_token`.
        length_penalty: The exponent `alpha` of the length penalty; `0`
            (the default) ranks by the sum of log-probabilities, larger
            values favour longer sequences (GNMT used 0.6 to 1.0).
        return_all_beams: Whether to return every beam, best first, rather
            than the best one. Default `False`.
        pad_token: Id written after the end token. Default `0`.

    Returns:
        `(tokens, scores)`: int32 `(batch, max_length)` token ids and
        float32 `(batch,)` length-penalised scores (sum of log-probabilities
        of the emitted tokens, end token included, divided by the length
        penalty) of the best beam; with `return_all_beams=True`,
        `(batch, beam_width, max_length)` and `(batch, beam_width)`, best
        first. Beams that never held a sequence (more beams than possible
        sequences) score `-inf`.

    Example:

    >>> table = np.log(np.array([[0.1, 0.6, 0.3],
    ...                          [0.2, 0.2, 0.6],
    ...                          [0.7, 0.2, 0.1]], "float32"))
    >>> def step_fn(tokens, state):
    ...     return ops.take(table, tokens, axis=0), state
    >>> tokens, scores = beam_search(step_fn, ops.zeros((2, 1)),
    ...                              start_token=0, max_length=3,
    ...                              beam_width=3, end_token=2)
    >>> ops.convert_to_numpy(tokens)
    array([[1, 2, 0],
           [1, 2, 0]], dtype=int32)
    """
    check_step_fn(step_fn)
    max_length = check_positive_int("max_length", max_length)
    beam_width = check_positive_int("beam_width", beam_width)
    end_token = check_int("end_token", end_token, low=0, allow_none=True)
    alpha = check_finite_number("length_penalty", length_penalty)
    check_bool("return_all_beams", return_all_beams)
    pad_token = check_int("pad_token", pad_token)

    state, start, batch_size = prepare_start(initial_state, start_token)
    # Every per-beam tensor is flat, beam `k` of row `b` at `b * width + k`,
    # so that reordering beams is one `gather` of rows: the loop body's
    # op count, not its arithmetic, bounds the speed of a compiled decoder
    # without XLA.
    state, tokens = tile_batch((state, start), beam_width)
    beams = batch_size * beam_width
    outputs = ops.full((beams, max_length), pad_token, dtype="int32")
    # Only the first beam is live at the start, so that the first step
    # does not fill the beam with copies of the same extensions.
    first_beam = ops.equal(ops.arange(beams, dtype="int32") % beam_width, 0)
    scores = ops.cast(ops.where(first_beam, 0.0, _NEG_INF), "float32")
    lengths = ops.zeros((beams,), "int32")
    finished = ops.zeros((beams,), "bool")
    beam_offsets = ops.arange(batch_size, dtype="int32")[:, None] * beam_width
    positions = ops.arange(max_length, dtype="int32")

    def cond(step, tokens, state, outputs, scores, lengths, finished):
        # Beams at -inf hold no sequence and need no more steps.
        done = ops.logical_or(finished, ops.equal(scores, _NEG_INF))
        return ops.logical_and(
            ops.less(step, max_length), ops.logical_not(ops.all(done))
        )

    def body(step, tokens, state, outputs, scores, lengths, finished):
        logits, state = call_step_fn(step_fn, tokens, state)
        check_token_in_vocabulary("end_token", end_token, logits)
        vocab_size = logits.shape[-1] or ops.shape(logits)[-1]
        candidate_scores = scores[:, None] + ops.log_softmax(logits, axis=-1)
        candidate_lengths = ops.zeros((beams,), "int32") + (step + 1)
        if end_token is not None:
            # A finished beam has one continuation (fed `end_token`,
            # written as padding) that keeps its score and length.
            is_end = ops.equal(ops.arange(vocab_size, dtype="int32"), end_token)
            carried = ops.where(is_end, scores[:, None], _NEG_INF)
            candidate_scores = ops.where(
                finished[:, None], carried, candidate_scores
            )
            candidate_lengths = ops.where(finished, lengths, candidate_lengths)
        ranking = candidate_scores
        if alpha != 0.0:
            penalty = length_penalty_factor(candidate_lengths, alpha)
            ranking = candidate_scores / penalty[:, None]

        best_ranking, best = top_k_by_groups(
            ops.reshape(ranking, (-1, beam_width * vocab_size)), beam_width
        )
        best = ops.cast(best, "int32")
        rows = ops.reshape(beam_offsets + best // vocab_size, (-1,))
        tokens = ops.reshape(best % vocab_size, (-1,))
        if alpha != 0.0:
            scores = ops.take(
                ops.reshape(candidate_scores, (-1,)),
                rows * vocab_size + tokens,
                axis=0,
            )
        else:
            scores = ops.reshape(best_ranking, (-1,))
        emitted = tokens
        if end_token is not None:
            lengths = ops.take(candidate_lengths, rows, axis=0)
            parent_finished = ops.take(finished, rows, axis=0)
            emitted = ops.where(parent_finished, pad_token, tokens)
            finished = ops.logical_or(
                parent_finished, ops.equal(tokens, end_token)
            )
        else:
            lengths = candidate_lengths
        outputs = ops.where(
            ops.equal(positions, step),
            emitted[:, None],
            ops.take(outputs, rows, axis=0),
        )
        state = keras.tree.map_structure(
            lambda x: ops.take(x, rows, axis=0), state
        )
        return step + 1, tokens, state, outputs, scores, lengths, finished

    step = ops.convert_to_tensor(0, dtype="int32")
    loop_vars = (step, tokens, state, outputs, scores, lengths, finished)
    _, _, _, outputs, scores, lengths, _ = ops.while_loop(
        cond, body, loop_vars, maximum_iterations=max_length
    )
    if alpha != 0.0:
        scores = scores / length_penalty_factor(lengths, alpha)
    outputs = ops.reshape(outputs, (batch_size, beam_width, max_length))
    scores = ops.reshape(scores, (batch_size, beam_width))
    if return_all_beams:
        return outputs, scores
    return outputs[:, 0], scores[:, 0]
