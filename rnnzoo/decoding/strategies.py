"""One entry point for every decoding strategy, chosen by name."""

from rnnzoo.decoding.base import StepFunction
from rnnzoo.decoding.beam import beam_search
from rnnzoo.decoding.greedy import greedy_search
from rnnzoo.decoding.sampling import sample

STRATEGIES = ("greedy", "sample", "top_k", "beam")
"""The names `decode` accepts as `strategy`."""

_OPTIONS = {
    "greedy": (),
    "sample": ("temperature", "top_k", "seed"),
    "top_k": ("temperature", "top_k", "seed"),
    "beam": ("beam_width", "length_penalty", "return_all_beams"),
}


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

    * `"greedy"`: `greedy_search`, no options.
    * `"sample"`: `sample`, options `temperature`, `top_k`, `seed`.
    * `"top_k"`: `sample` with a required `top_k`, options `temperature`,
      `top_k`, `seed`.
    * `"beam"`: `beam_search`, options `beam_width`, `length_penalty`,
      `return_all_beams`.

    Args:
        step_fn: `step_fn(tokens, state) -> (logits, new_state)`; see
            `rnnzoo.decoding.base`.
        initial_state: The state fed to the first step, a nested structure
            of tensors with a leading batch dimension.
        start_token: Token fed to the first step: an id, or a `(batch,)`
            integer tensor.
        max_length: Positive integer, number of tokens to emit.
        strategy: One of `"greedy"`, `"sample"`, `"top_k"`, `"beam"`.
            Default `"greedy"`.
        end_token: Optional id that finishes a sequence; later positions
            hold `pad_token`.
        pad_token: Id written after the end token. Default `0`.
        **options: The options of the strategy, listed above.

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
    >>> tokens.shape
    TensorShape([2, 3])
    """
    if strategy not in _OPTIONS:
        raise ValueError(
            f"`strategy` must be one of {', '.join(map(repr, STRATEGIES))}, "
            f"got strategy={strategy!r}"
        )
    unknown = sorted(set(options) - set(_OPTIONS[strategy]))
    if unknown:
        accepted = ", ".join(_OPTIONS[strategy]) or "none"
        raise ValueError(
            f"strategy={strategy!r} does not take the option(s) "
            f"{', '.join(unknown)}; its options are: {accepted}"
        )
    common = dict(end_token=end_token, pad_token=pad_token)
    args = (step_fn, initial_state, start_token, max_length)
    if strategy == "greedy":
        return greedy_search(*args, **common)
    if strategy == "beam":
        return beam_search(*args, **common, **options)
    if strategy == "top_k" and options.get("top_k") is None:
        raise ValueError(
            "strategy='top_k' needs `top_k`, a positive integer, got "
            f"top_k={options.get('top_k')!r}"
        )
    return sample(*args, **common, **options)
