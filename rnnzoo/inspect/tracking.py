"""Units that track a signal: recurrent units ranked by how closely their
activity follows a per-step property of the input, as the units of a
character model that know whether they are inside quotes or how far a
line has run (Karpathy, Johnson & Fei-Fei 2015)."""

import dataclasses

import numpy as np

from rnnzoo.inspect._figures import as_array
from rnnzoo.inspect.hidden_states import HiddenStates


@dataclasses.dataclass
class TrackingUnits:
    """Units ranked by `tracking_units`, best first.

    Attributes:
        units: int `(units,)`, the unit indices, the one whose activity
            follows the signal most closely first.
        correlations: `(units,)`, the Pearson correlation of each of them
            with the signal, in the same order (signed: a negative one
            follows the signal inverted).
    """

    units: np.ndarray
    correlations: np.ndarray


def tracking_units(
    states, signal, *, component: str = "hidden", mask=None
) -> TrackingUnits:
    """Ranks units by the correlation of their activity with a signal.

    For every unit, the Pearson correlation between its value at each step
    and `signal` at that step, over all steps of all sequences (padded
    steps, NaN in `hidden_states`, and steps where `mask` is `False` left
    out). Units are ranked by the correlation's magnitude; a unit that
    never changes has correlation 0.

    Args:
        states: A `HiddenStates`, or an array `(T, units)` or `(batch, T,
            units)`.
        signal: One number per step, `(T,)` or `(batch, T)`, e.g. 1 inside
            quotes and 0 outside, or the position in the line.
        component: For a `HiddenStates`, what to rank: `"hidden"`
            (default), `"cell"` (an LSTM's cell state) or a gate's name.
        mask: Optional boolean, the shape of `signal`: the steps to use.

    Returns:
        A `TrackingUnits`: `units` best first, and their `correlations`.

    Example:

    >>> steps = np.arange(20.0)
    >>> states = np.stack([np.sin(steps), 2 * steps + 1, -steps], axis=-1)
    >>> ranked = tracking_units(states, steps)
    >>> ranked.units.tolist(), np.round(ranked.correlations, 3).tolist()
    ([1, 2, 0], [1.0, -1.0, -0.207])
    """
    if isinstance(states, HiddenStates):
        values = states.values(component)
    else:
        values = as_array(states, "states")
    signal = as_array(signal, "signal")
    if values.ndim not in (2, 3) or signal.shape != values.shape[:-1]:
        raise ValueError(
            "`signal` must hold one value per step of `states`, shape "
            f"{values.shape[:-1]}, got shape {signal.shape} (states of "
            f"shape {values.shape}, which must be (T, units) or (batch, T, "
            "units))"
        )
    used = np.isfinite(signal) & np.all(np.isfinite(values), axis=-1)
    if mask is not None:
        mask = np.asarray(mask)
        if mask.shape != signal.shape:
            raise ValueError(
                f"`mask` must have the shape of `signal`, {signal.shape}, "
                f"got shape {mask.shape}"
            )
        used &= mask.astype(bool)
    steps, target = values[used], signal[used]
    target = target - target.mean() if len(target) else target
    if len(target) < 2 or not np.any(target):
        raise ValueError(
            "`signal` must vary over the steps used (at least two, not "
            f"masked or padded), got {len(target)} steps"
            + (f" all equal to {signal[used][0]!r}" if len(target) else "")
        )
    centred = steps - steps.mean(axis=0)
    spread = np.sqrt(np.sum(centred**2, axis=0) * np.sum(target**2))
    # A unit that only moves by rounding errors does not follow anything.
    still = np.std(steps, axis=0) <= 1e-7 * np.maximum(
        1.0, np.abs(steps.mean(axis=0))
    )
    covariance = centred.T @ target
    with np.errstate(invalid="ignore", divide="ignore"):
        correlations = np.where(still, 0.0, covariance / spread)
    correlations = np.clip(correlations, -1.0, 1.0)
    order = np.argsort(-np.abs(correlations), kind="stable")
    return TrackingUnits(units=order, correlations=correlations[order])
