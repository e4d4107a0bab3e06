"""Argument checks shared by the architectures: each raises a
`ValueError` that names the argument, what was expected and what was
received."""

from rnnzoo.layers.registry import cell_names

# Arguments of a recurrent layer that `RecurrentStack` sets itself, so they
# may not come in through `cell_kwargs`.
_STACK_ARGUMENTS = (
    "units",
    "return_sequences",
    "return_state",
    "go_backwards",
    "recurrent_dropout",
    "name",
    "dtype",
)


def check_positive_integer(name: str, value) -> int:
    """Returns `value`, or raises if it is not an integer >= 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(
            f"`{name}` must be a positive integer, got {name}={value!r}"
        )
    return value


def check_choice(name: str, value, choices) -> None:
    """Raises unless `value` is one of `choices`."""
    if value not in choices:
        raise ValueError(
            f"`{name}` must be one of {list(choices)}, got {name}={value!r}"
        )


def check_cell_arguments(cell, cell_kwargs) -> dict:
    """Checks a registry name and its options; returns the options as a
    new dict."""
    if not isinstance(cell, str) or cell not in cell_names():
        raise ValueError(
            f"`cell` must be a registered cell name, one of {cell_names()}, "
            f"got cell={cell!r}"
        )
    if cell_kwargs is None:
        return {}
    if not isinstance(cell_kwargs, dict):
        raise ValueError(
            "`cell_kwargs` must be a dict of arguments of the recurrent "
            f"layer, got cell_kwargs={cell_kwargs!r}"
        )
    reserved = sorted(set(cell_kwargs) & set(_STACK_ARGUMENTS))
    if reserved:
        raise ValueError(
            f"`cell_kwargs` may not set {reserved}: the architecture sets "
            "them itself (`recurrent_dropout` is an argument of its own), "
            f"got cell_kwargs={cell_kwargs!r}"
        )
    return dict(cell_kwargs)
