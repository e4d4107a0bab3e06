"""One entry point for every decoding strategy, chosen by name, and the
one table of the options each strategy takes."""

from rnnzoo.decoding.base import StepFunction
from rnnzoo.decoding.beam import beam_search
from rnnzoo.decoding.greedy import greedy_search
from rnnzoo.decoding.sampling import sample
from rnnzoo.validation import check_bool
from rnnzoo.validation import check_choice
from rnnzoo.validation import check_finite_number
from rnnzoo.validation import check_positive_int
from rnnzoo.validation import check_positive_number

STRATEGY_OPTIONS = {
    "greedy": (),
    "sample": ("temperature", "top_k", "seed"),
    "top_k": ("temperature", "top_k", "seed"),
    "beam": ("beam_width", "length_penalty", "return_all_beams"),
}
"""The options of every strategy, by name: what `decode` accepts and what a
model's `generate` passes on."""

STRATEGIES = tuple(STRATEGY_OPTIONS)
"""The names `decode` accepts as `strategy`."""

_OPTION_CHECKS = {
    "temperature": check_positive_number,
    "top_k": lambda name, value: check_positive_int(name, value, True),
    # A seed may be a tensor fed to a compiled function: `seed_tensor`
    # checks it where it is used.
    "seed": lambda name, value: value,
    "beam_width": check_positive_int,
    "length_penalty": check_finite_number,
    "return_all_beams": check_bool,
}


def takes_seed(strategy: str) -> bool:
    """Whether `strategy` draws at random (and so takes a `seed`)."""
    return "seed" in STRATEGY_OPTIONS[strategy]


def _check_top_k_given(strategy: str, options: dict) -> None:
    if strategy == "top_k" and options.get("top_k") is None:
        raise ValueError(
            'strategy="top_k" needs `top_k`, a positive integer, got '
            f"top_k={options.get('top_k')!r}"
        )


def decoding_options(strategy: str, **candidates) -> dict:
    """The options of `strategy` among `candidates`, checked.

    A model's `generate` takes the options of every strategy, with
    defaults; this keeps those that `strategy` takes (`STRATEGY_OPTIONS`),
    ignores the others and checks the values before anything is traced.

    Args:
        strategy: One of `STRATEGIES`.
        **candidates: Options by name, of any strategy.

    Returns:
        A dict of the options `strategy` takes, as plain Python values.

    Example:

    >>> decoding_options("beam", beam_width=5, temperature=0.7)
    {'beam_width': 5}
    >>> decoding_options("top_k", temperature=1, top_k=None)
    Traceback (most recent call last):
    ...
    ValueError: strategy="top_k" needs `top_k`, a positive integer, got \
top_k=None
    """
    check_choice("strategy", strategy, STRATEGIES)
    options = {
        name: _OPTION_CHECKS[name](name, candidates[name])
        for name in STRATEGY_OPTIONS[strategy]
        if name in candidates
    }
    _check_top_k_given(strategy, options)
    return options


def decode(
    step_fn: StepFunction,
    initial_state,
    start_token,
    max_length: int,
    strategy: str = "greedy",
    end_token: int | None = None,
    pad_token: int = 0,
    **options,
):
    """Decodes with the strategy named by `strategy`.

    Models call this one function and take the strategy and its options from
    their config, so strategies are swappable:

    * `"greedy"`: `greedy_search`.
    * `"sample"`: `sample`.
    * `"top_k"`: `sample` with a required `top_k`.
    * `"beam"`: `beam_search`.

    Each takes the options `STRATEGY_OPTIONS` lists for it, and no other.

    Args:
        step_fn: `step_fn(tokens, state) -> (logits, new_state)`; see
            `rnnzoo.decoding.base`.
        initial_state: The state fed to the first step, a nested structure
            of tensors with a leading batch dimension.
        start_token: Token fed to the first step: an id, or a `(batch,)`
            integer tensor.
        max_length: Positive integer, number of tokens to emit.
        strategy: One of `STRATEGIES`. Default `"greedy"`.
        end_token: Optional id that finishes a sequence; later positions
            hold `pad_token`.
        pad_token: Id written after the end token. Default `0`.
        **options: The options of the strategy, `STRATEGY_OPTIONS[strategy]`;
            see the strategy's function.

    Returns:
        `(tokens, scores)`, as returned by the strategy: int32
        `(batch, max_length)` ids and float32 `(batch,)` scores (sums of
        log-probabilities; length-penalised for `"beam"`).

    Example:

    >>> table = np.log(np.array([[0.1, 0.6, 0.3],
    ...                          [0.2, 0.2, 0.6],
    ...                          [0.7, 0.2, 0.1]], "float32"))
    >>> def step_fn(tokens, state):
    ...     return ops.take(table, tokens, axis=0), state
    >>> tokens, scores = decode(step_fn, ops.zeros((2, 1)), start_token=0,
    ...                         max_length=3, strategy="beam", beam_width=2)
    >>> tuple(tokens.shape)
    (2, 3)
    """
    check_choice("strategy", strategy, STRATEGIES)
    accepted = STRATEGY_OPTIONS[strategy]
    unknown = sorted(set(options) - set(accepted))
    if unknown:
        raise ValueError(
            f"strategy={strategy!r} does not take the option(s) "
            f"{', '.join(unknown)}; its options are: "
            f"{', '.join(accepted) or 'none'}"
        )
    _check_top_k_given(strategy, options)
    common = dict(end_token=end_token, pad_token=pad_token)
    args = (step_fn, initial_state, start_token, max_length)
    if strategy == "greedy":
        return greedy_search(*args, **common)
    if strategy == "beam":
        return beam_search(*args, **common, **options)
    return sample(*args, **common, **options)
