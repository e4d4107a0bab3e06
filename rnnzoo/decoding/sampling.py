"""Random sampling with a temperature and an optional top-k cut-off."""

from keras import ops

from rnnzoo.decoding.base import StepFunction
from rnnzoo.decoding.base import check_step_fn
from rnnzoo.decoding.base import decode_token_by_token
from rnnzoo.decoding.random_draws import fold_in
from rnnzoo.decoding.random_draws import seed_tensor
from rnnzoo.decoding.random_draws import stateless_categorical
from rnnzoo.validation import check_int
from rnnzoo.validation import check_positive_int
from rnnzoo.validation import check_positive_number


def sample(
    step_fn: StepFunction,
    initial_state,
    start_token,
    max_length: int,
    temperature: float = 1.0,
    top_k: int | None = None,
    seed=None,
    end_token: int | None = None,
    pad_token: int = 0,
):
    """Decodes by drawing every token from the model's distribution.

    At each step the token is drawn from `softmax(logits / temperature)`;
    with `top_k`, only the `top_k` most probable tokens can be drawn, with
    their probabilities renormalised. `top_k=1` is greedy search. Draws
    use stateless random ops seeded by `seed` and the step index, so a
    fixed seed gives the same sequences on every call in the same mode
    (eager or compiled, with or without XLA; the modes, and the backends,
    may draw differently from one another).

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
        temperature: Positive number dividing the logits; below 1 sharpens
            the distribution, above 1 flattens it. Default `1.0`.
        top_k: Optional positive integer, at most the vocabulary size: only
            the `top_k` most probable tokens are drawn.
        seed: `None` (a fresh seed on every call, also inside a compiled
            function), an integer, or a `(2,)` integer tensor.
        end_token: Optional id that finishes a sequence. The end token is
            kept in the output; every later position holds `pad_token`.
        pad_token: Id written after the end token. Default `0`.

    Returns:
        `(tokens, scores)`: int32 `(batch, max_length)` token ids and
        float32 `(batch,)` sums of the model's log-probabilities
        (`log_softmax(logits)`, before temperature and top-k) of the
        emitted tokens, the end token included and the padding excluded.

    Example:

    >>> table = np.log(np.array([[0.1, 0.6, 0.3],
    ...                          [0.2, 0.2, 0.6],
    ...                          [0.7, 0.2, 0.1]], "float32"))
    >>> def step_fn(tokens, state):
    ...     return ops.take(table, tokens, axis=0), state
    >>> tokens, scores = sample(step_fn, ops.zeros((3, 1)), start_token=0,
    ...                         max_length=5, temperature=0.8, seed=42)
    >>> tuple(tokens.shape), tuple(scores.shape)
    ((3, 5), (3,))
    """
    check_step_fn(step_fn)
    max_length = check_positive_int("max_length", max_length)
    temperature = check_positive_number("temperature", temperature)
    top_k = check_positive_int("top_k", top_k, allow_none=True)
    end_token = check_int("end_token", end_token, low=0, allow_none=True)
    pad_token = check_int("pad_token", pad_token)
    seed = seed_tensor(seed)

    def draw(logits, step):
        return stateless_categorical(logits, fold_in(seed, step))

    def choose(logits, step):
        if top_k is None:
            return draw(logits / temperature, step)
        vocab_size = logits.shape[-1]
        if vocab_size is not None and top_k > vocab_size:
            raise ValueError(
                "`top_k` must be at most the vocabulary size "
                f"vocab_size={vocab_size}, got top_k={top_k}"
            )
        top_logits, top_tokens = ops.top_k(logits, k=top_k, sorted=True)
        choice = draw(top_logits / temperature, step)
        return ops.take_along_axis(
            top_tokens, ops.expand_dims(choice, -1), axis=-1
        )[:, 0]

    return decode_token_by_token(
        step_fn,
        initial_state,
        start_token,
        max_length,
        choose,
        end_token=end_token,
        pad_token=pad_token,
    )
