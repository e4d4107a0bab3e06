"""Beam search with the GNMT length penalty."""

import keras
from keras import ops

from rnnzoo.decoding.base import StepFunction
from rnnzoo.decoding.base import call_step_fn
from rnnzoo.decoding.base import check_finite_real
from rnnzoo.decoding.base import check_optional_token
from rnnzoo.decoding.base import check_pad_token
from rnnzoo.decoding.base import check_positive_integer
from rnnzoo.decoding.base import check_step_fn
from rnnzoo.decoding.base import check_token_in_vocabulary
from rnnzoo.decoding.base import prepare_start
from rnnzoo.decoding.base import write_step

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


def _gather_beams(values, parents):
    """`values[b, parents[b, k], ...]` for a `(batch, beam, ...)` tensor."""
    indices = ops.reshape(
        parents, tuple(ops.shape(parents)) + (1,) * (len(values.shape) - 2)
    )
    indices = ops.broadcast_to(
        indices, tuple(ops.shape(parents)) + tuple(ops.shape(values)[2:])
    )
    return ops.take_along_axis(values, indices, axis=1)


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
    max_length = check_positive_integer("max_length", max_length)
    beam_width = check_positive_integer("beam_width", beam_width)
    end_token = check_optional_token("end_token", end_token)
    alpha = check_finite_real("length_penalty", length_penalty)
    if not isinstance(return_all_beams, bool):
        raise ValueError(
            "`return_all_beams` must be True or False, got "
            f"return_all_beams={return_all_beams!r}"
        )
    pad_token = check_pad_token(pad_token)

    state, start, batch_size = prepare_start(initial_state, start_token)
    state = keras.tree.map_structure(
        lambda x: ops.repeat(x, beam_width, axis=0), state
    )
    tokens = ops.repeat(start, beam_width, axis=0)
    outputs = ops.full(
        (batch_size, beam_width, max_length), pad_token, dtype="int32"
    )
    # Only the first beam is live at the start, so that the first step
    # does not fill the beam with copies of the same extensions.
    first_scores = ops.where(
        ops.equal(ops.arange(beam_width), 0), 0.0, _NEG_INF
    )
    scores = ops.tile(
        ops.expand_dims(ops.cast(first_scores, "float32"), 0),
        (batch_size, 1),
    )
    lengths = ops.zeros((batch_size, beam_width), dtype="int32")
    finished = ops.zeros((batch_size, beam_width), dtype="bool")
    beam_offsets = ops.expand_dims(
        ops.arange(batch_size, dtype="int32") * beam_width, -1
    )

    def cond(step, tokens, state, outputs, scores, lengths, finished):
        # Beams at -inf hold no sequence and need no more steps.
        done = ops.logical_or(finished, ops.equal(scores, _NEG_INF))
        return ops.logical_and(
            ops.less(step, max_length), ops.logical_not(ops.all(done))
        )

    def body(step, tokens, state, outputs, scores, lengths, finished):
        logits, state = call_step_fn(step_fn, tokens, state)
        check_token_in_vocabulary("end_token", end_token, logits)
        vocab_size = ops.shape(logits)[-1]
        log_probs = ops.reshape(
            ops.log_softmax(logits, axis=-1), (batch_size, beam_width, -1)
        )
        candidate_scores = ops.expand_dims(scores, -1) + log_probs
        candidate_lengths = ops.full_like(lengths, step + 1)
        if end_token is not None:
            # A finished beam has one continuation (fed `end_token`,
            # written as padding) that keeps its score and length.
            is_end = ops.equal(ops.arange(vocab_size), end_token)
            carried = ops.where(is_end, ops.expand_dims(scores, -1), _NEG_INF)
            candidate_scores = ops.where(
                ops.expand_dims(finished, -1), carried, candidate_scores
            )
            candidate_lengths = ops.where(finished, lengths, step + 1)
        ranking = candidate_scores
        if alpha != 0.0:
            penalty = length_penalty_factor(candidate_lengths, alpha)
            ranking = candidate_scores / ops.expand_dims(penalty, -1)

        _, best = ops.top_k(
            ops.reshape(ranking, (batch_size, -1)), k=beam_width
        )
        parents = ops.floor_divide(best, vocab_size)
        tokens = ops.mod(best, vocab_size)
        scores = ops.take_along_axis(
            ops.reshape(candidate_scores, (batch_size, -1)), best, axis=1
        )
        lengths = _gather_beams(candidate_lengths, parents)
        emitted = tokens
        if end_token is not None:
            parent_finished = _gather_beams(finished, parents)
            emitted = ops.where(parent_finished, pad_token, tokens)
            finished = ops.logical_or(
                parent_finished, ops.equal(tokens, end_token)
            )
        outputs = write_step(_gather_beams(outputs, parents), step, emitted)
        rows = ops.reshape(beam_offsets + parents, (-1,))
        state = keras.tree.map_structure(
            lambda x: ops.take(x, rows, axis=0), state
        )
        tokens = ops.reshape(tokens, (-1,))
        return step + 1, tokens, state, outputs, scores, lengths, finished

    step = ops.convert_to_tensor(0, dtype="int32")
    loop_vars = (step, tokens, state, outputs, scores, lengths, finished)
    loop_vars = ops.while_loop(cond, body, loop_vars)
    outputs, scores, lengths = loop_vars[3], loop_vars[4], loop_vars[5]
    if alpha != 0.0:
        scores = scores / length_penalty_factor(lengths, alpha)
    if return_all_beams:
        return outputs, scores
    return outputs[:, 0], scores[:, 0]
