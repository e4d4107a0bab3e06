"""Argument checks shared by the whole package.

Each check returns the value (as a plain `int`, `float`, ...) or raises a
`ValueError` that names the argument, says what was expected and shows
what came: "`units` must be a positive integer, got units=0". The module
imports only the standard library, so any layer of rnnzoo may use it.
NumPy scalars pass as the numbers they are (`numbers.Integral`,
`numbers.Real`); `True` and `False` never pass as numbers.

Example:

>>> check_positive_int("units", 8)
8
>>> check_positive_int("units", 0)
Traceback (most recent call last):
...
ValueError: `units` must be a positive integer, got units=0
"""

import math
import numbers
from collections.abc import Iterable


def is_integer(value) -> bool:
    """Whether `value` is an integer (NumPy's too), not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def is_number(value) -> bool:
    """Whether `value` is a real number (NumPy's too), not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def fail(name: str, expected: str, value, allow_none: bool = False):
    """Raises the `ValueError` of every check: "`name` must be
    {expected}[ or None], got name=value"."""
    or_none = " or None" if allow_none else ""
    raise ValueError(
        f"`{name}` must be {expected}{or_none}, got {name}={value!r}"
    )


def check_positive_int(name: str, value, allow_none: bool = False):
    """Returns `value` as an `int` >= 1 (or `None` if allowed).

    >>> check_positive_int("steps", None, allow_none=True) is None
    True
    """
    if value is None and allow_none:
        return None
    if not is_integer(value) or value < 1:
        fail(name, "a positive integer", value, allow_none)
    return int(value)


def check_int(
    name: str,
    value,
    low: int | None = None,
    high: int | None = None,
    allow_none: bool = False,
):
    """Returns `value` as an `int` in `low..high` (both included; either
    bound may be `None`), or `None` if allowed.

    >>> check_int("velocity", 128, low=1, high=127)
    Traceback (most recent call last):
    ...
    ValueError: `velocity` must be an integer in 1..127, got velocity=128
    """
    if value is None and allow_none:
        return None
    below = low is not None and is_integer(value) and value < low
    above = high is not None and is_integer(value) and value > high
    if not is_integer(value) or below or above:
        if low is not None and high is not None:
            expected = f"an integer in {low}..{high}"
        elif low is not None:
            expected = f"an integer >= {low}"
        elif high is not None:
            expected = f"an integer <= {high}"
        else:
            expected = "an integer"
        fail(name, expected, value, allow_none)
    return int(value)


def check_number(name: str, value, allow_none: bool = False):
    """Returns `value` as a `float` (or `None` if allowed)."""
    if value is None and allow_none:
        return None
    if not is_number(value):
        fail(name, "a number", value, allow_none)
    return float(value)


def check_finite_number(name: str, value) -> float:
    """Returns `value` as a `float`, neither infinite nor NaN."""
    if not is_number(value) or not math.isfinite(value):
        fail(name, "a finite number", value)
    return float(value)


def check_positive_number(
    name: str, value, allow_none: bool = False, unit: str | None = None
):
    """Returns `value` as a finite `float` > 0 (or `None` if allowed);
    `unit` names what it counts in the message.

    >>> check_positive_number("seconds_per_step", 0, unit="seconds")
    Traceback (most recent call last):
    ...
    ValueError: `seconds_per_step` must be a positive number of seconds, \
got seconds_per_step=0
    """
    if value is None and allow_none:
        return None
    if not is_number(value) or not math.isfinite(value) or value <= 0:
        expected = "a positive number" + (f" of {unit}" if unit else "")
        fail(name, expected, value, allow_none)
    return float(value)


def check_rate(name: str, value) -> float:
    """Returns `value` as a `float` in [0, 1): a dropout rate."""
    if not is_number(value) or not 0.0 <= value < 1.0:
        fail(name, "a float in [0, 1)", value)
    return float(value)


def check_bool(name: str, value, allow_none: bool = False):
    """Returns `value`, which must be `True` or `False` (or `None` if
    allowed)."""
    if value is None and allow_none:
        return None
    if not isinstance(value, bool):
        fail(name, "a bool", value, allow_none)
    return value


def check_string(name: str, value, allow_none: bool = False):
    """Returns `value`, which must be a `str` (or `None` if allowed)."""
    if value is None and allow_none:
        return None
    if not isinstance(value, str):
        fail(name, "a string", value, allow_none)
    return value


def check_choice(name: str, value, choices: Iterable):
    """Returns `value`, which must be one of `choices`.

    >>> check_choice("pooling", "first", ("last", "mean", "max"))
    Traceback (most recent call last):
    ...
    ValueError: `pooling` must be one of ['last', 'mean', 'max'], got \
pooling='first'
    """
    choices = list(choices)
    try:
        known = value in choices
    except (TypeError, ValueError):
        # A value that cannot be compared (an array) is no choice either.
        known = False
    if not known:
        fail(name, f"one of {choices}", value)
    return value
