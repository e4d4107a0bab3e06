"""Greedy search: the most probable token at every step."""

from keras import ops

from rnnzoo.decoding.base import StepFunction
from rnnzoo.decoding.base import check_step_fn
from rnnzoo.decoding.base import decode_token_by_token
from rnnzoo.validation import check_int
from rnnzoo.validation import check_positive_int


def greedy_search(
    step_fn: StepFunction,
    initial_state,
    start_token,
    max_length: int,
    end_token: int | None = None,
    pad_token: int = 0,
):
    """Decodes by taking the most probable next token at every step.

    Ties go to the lowest token id. The whole decode is one
    `keras.ops.while_loop`, so it runs inside `tf.function`, also with
    `jit_compile=True`.

    Args:
        step_fn: `step_fn(tokens, state) -> (logits, new_state)`, with
            `tokens` `(batch,)` int32 (the previous token), `state` a nested
            structure of tensors with a leading batch dimension and `logits`
            `(batch, vocab_size)`; see `rnnzoo.decoding.base`.
        initial_state: The state fed to the first step.
        start_token: Token fed to the first step: an id, or a `(batch,)`
            integer tensor (one per sequence).
        max_length: Positive integer, number of tokens to emit (the start
            token is not part of the output).
        end_token: Optional id that finishes a sequence. The end token is
            kept in the output; every later position holds `pad_token`.
        pad_token: Id written after the end token. Default `0`.

    Returns:
        `(tokens, scores)`: int32 `(batch, max_length)` token ids and
        float32 `(batch,)` sums of the log-probabilities
        (`log_softmax(logits)`) of the emitted tokens, the end token
        included and the padding excluded.

    Example:

    >>> table = np.log(np.array([[0.1, 0.6, 0.3],
    ...                          [0.2, 0.2, 0.6],
    ...                          [0.7, 0.2, 0.1]], "float32"))
    >>> def step_fn(tokens, state):
    ...     return ops.take(table, tokens, axis=0), state
    >>> tokens, scores = greedy_search(
    ...     step_fn, ops.zeros((2, 1)), start_token=0, max_length=4)
    >>> ops.convert_to_numpy(tokens)
    array([[1, 2, 0, 1],
           [1, 2, 0, 1]], dtype=int32)
    """
    check_step_fn(step_fn)
    max_length = check_positive_int("max_length", max_length)
    end_token = check_int("end_token", end_token, low=0, allow_none=True)
    pad_token = check_int("pad_token", pad_token)

    def choose(logits, step):
        return ops.argmax(logits, axis=-1)

    return decode_token_by_token(
        step_fn,
        initial_state,
        start_token,
        max_length,
        choose,
        end_token=end_token,
        pad_token=pad_token,
    )
