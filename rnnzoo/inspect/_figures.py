"""What every plot shares: a `matplotlib.figure.Figure` built without
`pyplot` (no display needed, the user's backend untouched), saving by file
suffix, and the checks of arrays and token lists."""

import os

import numpy as np
from keras import ops

from rnnzoo.validation import check_int

FORMATS = (".png", ".svg", ".pdf")


def new_figure(figsize, dpi):
    """A figure with constrained layout, which keeps the requested size.

    matplotlib is imported here, so the rest of `rnnzoo.inspect` works
    without it.
    """
    try:
        from matplotlib.figure import Figure
    except ImportError as error:
        raise ImportError(
            "rnnzoo's plots need matplotlib: pip install 'rnnzoo[inspect]'"
        ) from error
    return Figure(figsize=figsize, dpi=dpi, layout="constrained")


def finish(figure, path):
    """Saves `figure` to `path` (format from the suffix) if given; returns
    the figure."""
    if path is not None:
        suffix = os.path.splitext(os.fspath(path))[1].lower()
        if suffix not in FORMATS:
            raise ValueError(
                f"`path` must end in one of {list(FORMATS)}, got "
                f"path={os.fspath(path)!r}"
            )
        figure.savefig(path, dpi=figure.dpi)
    return figure


def as_array(values, name):
    """`values` (a NumPy array, a tensor, a list) as float64 NumPy."""
    if values is None:
        return None
    try:
        return np.asarray(ops.convert_to_numpy(values), dtype="float64")
    except (TypeError, ValueError) as error:
        raise ValueError(
            f"`{name}` must be an array of numbers, got {name}={values!r}"
        ) from error


def labelled(items, kind, name):
    """`[(label, item)]` from one item, a list or a dict of them."""
    if isinstance(items, kind):
        return [(getattr(items, "layer_name", None) or "", items)]
    if isinstance(items, dict):
        pairs = list(items.items())
    elif isinstance(items, (list, tuple)):
        pairs = [
            (getattr(item, "layer_name", None) or str(i), item)
            for i, item in enumerate(items)
        ]
    else:
        pairs = None
    if not pairs or not all(isinstance(item, kind) for _, item in pairs):
        raise ValueError(
            f"`{name}` must be a {kind.__name__}, or a non-empty list or dict "
            f"of them, got {name}={items!r}"
        )
    return [(str(label), item) for label, item in pairs]


def pick_example(values, index, rank, name, layout):
    """`values[index]` of a batch, or `values` itself, of rank `rank`."""
    if values.ndim == rank + 1:
        check_int("index", index, 0, values.shape[0] - 1)
        values = values[index]
    if values.ndim != rank:
        raise ValueError(
            f"`{name}` must have shape {layout} or (batch, {layout[1:]}, got "
            f"shape {values.shape}"
        )
    return values


def check_tokens(tokens, size, name, axis_name):
    """The tokens as strings (default step numbers), at most `size`."""
    if tokens is None:
        return [str(i) for i in range(size)]
    tokens = [str(token) for token in tokens]
    if len(tokens) > size:
        raise ValueError(
            f"`{name}` has {len(tokens)} tokens but the {axis_name} axis has "
            f"only {size} steps, got {name}={tokens!r}"
        )
    return tokens
