"""Decoding strategies shared by every generating model: greedy search,
sampling with a temperature and top-k, and beam search.

Each strategy drives a step function `step_fn(tokens, state) -> (logits,
new_state)` (see `rnnzoo.decoding.base`) in one compiled loop and returns
`(tokens, scores)`; `decode(..., strategy=...)` picks one by name.
"""

from rnnzoo.decoding.base import StepFunction
from rnnzoo.decoding.beam import beam_search
from rnnzoo.decoding.beam import length_penalty_factor
from rnnzoo.decoding.greedy import greedy_search
from rnnzoo.decoding.sampling import sample
from rnnzoo.decoding.strategies import STRATEGIES
from rnnzoo.decoding.strategies import STRATEGY_OPTIONS
from rnnzoo.decoding.strategies import decode
from rnnzoo.decoding.strategies import decoding_options
from rnnzoo.decoding.strategies import takes_seed

__all__ = [
    "STRATEGIES",
    "STRATEGY_OPTIONS",
    "StepFunction",
    "beam_search",
    "decode",
    "decoding_options",
    "greedy_search",
    "length_penalty_factor",
    "sample",
    "takes_seed",
]
