"""Interleaved timing: medians over rounds, and ratios taken within a round.

On a shared machine the load changes from one second to the next, so a lone
absolute time says little. Every candidate is timed once per round, the
rounds are repeated, and the order inside a round rotates, so that all
candidates see the same load. A ratio between two candidates is the median,
over rounds, of their ratio within the round: load that slows a whole round
cancels out.
"""

import statistics
import time
from typing import Any
from typing import Callable
from typing import Mapping

import keras


def block(result: Any) -> None:
    """Waits until every tensor of `result` has been computed."""
    for leaf in keras.tree.flatten(result):
        if hasattr(leaf, "block_until_ready"):
            # JAX dispatches asynchronously.
            leaf.block_until_ready()
        elif hasattr(leaf, "numpy"):
            leaf.numpy()


def time_call(function: Callable[[], Any]) -> float:
    """Seconds taken by one call of `function`, results included."""
    start = time.perf_counter()
    block(function())
    return time.perf_counter() - start


def interleaved_times(
    functions: Mapping[str, Callable[[], Any]],
    repeats: int,
    warmup: int = 1,
) -> dict[str, list[float]]:
    """Times every function once per round for `repeats` rounds.

    Args:
        functions: Name to a callable without arguments.
        repeats: Number of timed rounds.
        warmup: Untimed calls of each function before the first round
            (tracing, compilation, allocator warm-up).

    Returns:
        Name to the list of its times in seconds, one per round, in round
        order.
    """
    if repeats < 1:
        raise ValueError(f"`repeats` must be at least 1, got {repeats}")
    names = list(functions)
    for name in names:
        for _ in range(warmup):
            block(functions[name]())
    times = {name: [] for name in names}
    for round_index in range(repeats):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            times[name].append(time_call(functions[name]))
    return times


def median(values: list[float]) -> float:
    return statistics.median(values)


def paired_ratio(times: list[float], baseline: list[float]) -> float:
    """Median over rounds of `times[r] / baseline[r]`."""
    if len(times) != len(baseline):
        raise ValueError(
            "Ratios pair rounds: expected as many times as baseline times, "
            f"got {len(times)} and {len(baseline)}"
        )
    return statistics.median(t / b for t, b in zip(times, baseline))
