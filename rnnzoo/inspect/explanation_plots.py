"""Plots of the explanations: a classifier's judgment as it reads
(`semantic_accumulation`) and a recurrent layer's units over time
(`hidden_states`), both under the tokens they read.

Like every rnnzoo plot, each function builds a `matplotlib.figure.Figure`
without `pyplot`, returns it and saves it when given a path.
"""

import numpy as np

from rnnzoo.inspect._figures import as_array
from rnnzoo.inspect._figures import check_tokens
from rnnzoo.inspect._figures import finish
from rnnzoo.inspect._figures import new_figure
from rnnzoo.inspect._figures import pick_example
from rnnzoo.inspect.accumulation import SemanticAccumulation
from rnnzoo.inspect.hidden_states import HiddenStates
from rnnzoo.validation import is_integer

# Characters a tick label cannot show, and what stands for them.
_VISIBLE = str.maketrans({" ": "␣", "\n": "↵", "\t": "⇥", "\r": "␍"})
# Above this many steps, only every n-th token is labelled.
_MAX_LABELS = 120


def display_token(token: str) -> str:
    """A token as a tick label: spaces and line breaks made visible.

    Example:

    >>> display_token(" "), display_token("\\n"), display_token("film")
    ('␣', '↵', 'film')
    """
    return str(token).translate(_VISIBLE)


def _label_steps(axes, tokens):
    """The tokens as the x tick labels (every n-th of a long sequence)."""
    every = max(1, -(-len(tokens) // _MAX_LABELS))
    positions = list(range(0, len(tokens), every))
    labels = [display_token(tokens[i]) for i in positions]
    longest = max((len(label) for label in labels), default=0)
    axes.set_xticks(
        positions, labels, rotation=90 if longest > 1 else 0, fontsize=8
    )


def _classes(chosen, class_names):
    if chosen is None:
        return list(range(len(class_names)))
    if isinstance(chosen, (str, int)):
        chosen = [chosen]
    ids = []
    for item in chosen:
        if isinstance(item, str) and item in class_names:
            ids.append(class_names.index(item))
        elif is_integer(item) and 0 <= item < len(class_names):
            ids.append(int(item))
        else:
            raise ValueError(
                f"`classes` must name classes of {class_names} or give "
                f"their ids, got {item!r}"
            )
    return ids


def plot_semantic_accumulation(
    accumulation: SemanticAccumulation,
    *,
    index: int = 0,
    classes=None,
    path=None,
    figsize: tuple | None = None,
    dpi: int = 100,
    title: str | None = None,
):
    """Draws a classifier's judgment as it reads: the probability of each
    class after every prefix, with the tokens on the axis below.

    Where a curve jumps, the token under the jump changed the model's
    mind (LISA, Gupta & Schütze 2018).

    Args:
        accumulation: A `SemanticAccumulation`, from
            `semantic_accumulation`.
        index: For a batch, the sequence to draw.
        classes: The classes to draw, names or ids; default all.
        path: Optional file to save to (`.png`, `.svg` or `.pdf`).
        figsize: Figure size in inches; default from the number of tokens.
        dpi: Dots per inch. Default 100.
        title: Optional title.

    Returns:
        The `matplotlib.figure.Figure`.

    Example:

    >>> accumulation = SemanticAccumulation(
    ...     probabilities=np.array([[0.5, 0.5], [0.2, 0.8], [0.7, 0.3]]),
    ...     lengths=3, tokens=["not", "good", "enough"],
    ...     class_names=["negative", "positive"])
    >>> figure = plot_semantic_accumulation(accumulation)
    >>> [label.get_text() for label in figure.axes[0].get_xticklabels()]
    ['not', 'good', 'enough']
    """
    if not isinstance(accumulation, SemanticAccumulation):
        raise ValueError(
            "`accumulation` must be a SemanticAccumulation (from "
            f"`semantic_accumulation`), got accumulation={accumulation!r}"
        )
    probabilities, tokens = accumulation.sequence(index)
    length = len(probabilities)
    tokens = check_tokens(tokens, length, "tokens", "step")
    class_ids = _classes(classes, accumulation.class_names)
    if figsize is None:
        figsize = (min(14.0, max(5.0, 0.25 * length + 2.0)), 3.5)
    figure = new_figure(figsize, dpi)
    axes = figure.subplots()
    steps = np.arange(length)
    for class_id in class_ids:
        axes.plot(
            steps,
            probabilities[:, class_id],
            marker="o" if length <= 60 else None,
            markersize=3,
            label=accumulation.class_names[class_id],
        )
    axes.set_ylim(-0.02, 1.02)
    axes.set_xlim(-0.5, length - 0.5)
    axes.grid(True, alpha=0.3)
    axes.set_ylabel("probability after\nreading up to here")
    _label_steps(axes, tokens)
    axes.legend(loc="best", fontsize=8)
    if title:
        axes.set_title(title)
    return finish(figure, path)


def plot_hidden_states(
    states,
    tokens=None,
    *,
    component: str = "hidden",
    units=None,
    index: int = 0,
    path=None,
    figsize: tuple | None = None,
    dpi: int = 100,
    cmap: str | None = None,
    title: str | None = None,
):
    """Draws a recurrent layer's units over time as a heat map: one row
    per unit, one column per step, with the tokens below.

    Hidden and cell states use a diverging colormap centred at 0, gates
    (between 0 and 1) a sequential one.

    Args:
        states: A `HiddenStates` (from `hidden_states`), or an array `(T,
            units)` or `(batch, T, units)`.
        tokens: The tokens of the steps; default those of a
            `HiddenStates`, else step numbers.
        component: For a `HiddenStates`, what to draw: `"hidden"`
            (default), `"cell"` or a gate's name (see its `components`).
        units: The units to draw, in this order (e.g. the first of
            `tracking_units(...).units`); default all.
        index: For a batch, the sequence to draw.
        path: Optional file to save to (`.png`, `.svg` or `.pdf`).
        figsize: Figure size in inches; default from the steps and units.
        dpi: Dots per inch. Default 100.
        cmap: Matplotlib colormap name; default `"RdBu_r"` for states,
            `"viridis"` for gates.
        title: Optional title.

    Returns:
        The `matplotlib.figure.Figure`.

    Example:

    >>> values = np.tanh(np.random.default_rng(0).normal(size=(5, 3)))
    >>> figure = plot_hidden_states(values, list("hello"), units=[2, 0])
    >>> [label.get_text() for label in figure.axes[0].get_yticklabels()]
    ['unit 2', 'unit 0']
    """
    gate = False
    if isinstance(states, HiddenStates):
        values = states.values(component)
        gate = component not in ("hidden", "cell")
        if tokens is None and states.tokens is not None:
            tokens = states.tokens
            if states.states.ndim == 3:
                tokens = tokens[index]
    else:
        values = as_array(states, "states")
    values = pick_example(values, index, 2, "states", "(T, units)")
    finite = np.all(np.isfinite(values), axis=-1)
    length = int(np.flatnonzero(finite)[-1]) + 1 if finite.any() else 0
    values = values[:length]
    tokens = check_tokens(tokens, len(values), "tokens", "step")
    count = values.shape[1]
    if units is None:
        units = list(range(count))
    units = [int(unit) for unit in np.asarray(units).reshape(-1)]
    if not units or any(not 0 <= unit < count for unit in units):
        raise ValueError(
            f"`units` must be unit indices in [0, {count}), got units={units!r}"
        )
    grid = values[:, units].T
    if gate:
        limits = dict(vmin=0.0, vmax=1.0)
    else:
        largest = float(np.nanmax(np.abs(grid))) if grid.size else 1.0
        largest = largest or 1.0
        limits = dict(vmin=-largest, vmax=largest)
    if figsize is None:
        figsize = (
            min(20.0, max(5.0, 0.1 * len(tokens) + 2.5)),
            min(12.0, max(2.0, 0.22 * len(units) + 1.5)),
        )
    figure = new_figure(figsize, dpi)
    axes = figure.subplots()
    image = axes.imshow(
        grid,
        aspect="auto",
        interpolation="nearest",
        cmap=cmap or ("viridis" if gate else "RdBu_r"),
        **limits,
    )
    _label_steps(axes, tokens)
    axes.set_yticks(
        range(len(units)), [f"unit {unit}" for unit in units], fontsize=8
    )
    label = component if isinstance(states, HiddenStates) else "activation"
    figure.colorbar(image, ax=axes, label=label, fraction=0.03, pad=0.01)
    if title:
        axes.set_title(title)
    return finish(figure, path)
