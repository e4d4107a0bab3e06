"""The checks of a recurrent stack's cell arguments, shared by the
architectures (the generic checks are `rnnzoo.validation`)."""

import inspect

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


def arguments_for(function, values: dict, exclude=()) -> dict:
    """The entries of `values` that `function` takes by name, but those in
    `exclude`: a group of arguments is declared once, by the signature of
    the function that uses it, and never listed again by hand.

    Example:

    >>> def stack(cell, units, dropout=0.0):
    ...     pass
    >>> arguments_for(stack, {"cell": "gru", "units": 4, "vocab_size": 9})
    {'cell': 'gru', 'units': 4}
    """
    parameters = inspect.signature(function).parameters.values()
    return {
        parameter.name: values[parameter.name]
        for parameter in parameters
        if parameter.name in values
        and parameter.name not in exclude
        and parameter.kind
        not in (parameter.VAR_KEYWORD, parameter.VAR_POSITIONAL)
    }
