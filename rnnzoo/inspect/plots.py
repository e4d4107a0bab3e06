"""Plots of the diagnostics: gradient flow through time, gradient norms in
training, and saliency over tokens. Attention plots are in
`rnnzoo.inspect.attention_plots`.

Every function builds a `matplotlib.figure.Figure` directly, without
`pyplot`, so it neither needs a display nor changes the user's backend;
it returns the figure (Jupyter shows it) and saves it when given a path.
"""

import numpy as np

from rnnzoo.inspect._figures import as_array
from rnnzoo.inspect._figures import check_tokens
from rnnzoo.inspect._figures import finish
from rnnzoo.inspect._figures import labelled
from rnnzoo.inspect._figures import new_figure
from rnnzoo.inspect.gradients import GradientFlow
from rnnzoo.inspect.training import GradientNormHistory


def plot_gradient_flow(
    flows,
    *,
    path=None,
    figsize: tuple = (11.0, 4.0),
    dpi: int = 100,
    title: str | None = None,
):
    """Draws `gradient_flow` results on log scales, several cells at once.

    Left: `‖∂L/∂s_t‖` against the step `t`; where it falls by orders of
    magnitude towards the first steps, the gradient vanishes. Right: the
    Jacobian norms `‖∂s_t/∂s_{t-1}‖`, with the line at 1 that separates
    shrinking from growing steps.

    Args:
        flows: A `GradientFlow`, a list of them (labelled by layer name) or
            a dict `{label: GradientFlow}`, e.g. one per cell.
        path: Optional file to save to (`.png`, `.svg` or `.pdf`).
        figsize: Figure size in inches. Default `(11, 4)`.
        dpi: Dots per inch. Default 100.
        title: Optional figure title.

    Returns:
        The `matplotlib.figure.Figure`.

    Example:

    >>> x = np.random.normal(size=(2, 20, 2)).astype("float32")
    >>> flows = {name: gradient_flow(get_recurrent_layer(name, 8), x)
    ...          for name in ("simple", "lstm", "mgu", "skip_rnn")}
    >>> figure = plot_gradient_flow(flows)
    >>> [len(axes.lines) for axes in figure.axes]  # 4 cells (+ the 1 line)
    [4, 5]

    `plot_gradient_flow(flows, path="gradient_flow.png")` also saves it.
    """
    pairs = labelled(flows, GradientFlow, "flows")
    figure = new_figure(figsize, dpi)
    gradient_axes, jacobian_axes = figure.subplots(1, 2)
    for label, flow in pairs:
        steps = np.arange(flow.num_steps)
        gradient_axes.plot(steps, flow.step_gradient_norms, label=label)
        if flow.jacobian_norms is not None:
            jacobian_axes.plot(steps[1:], flow.jacobian_norms, label=label)
    gradient_axes.set_yscale("log")
    gradient_axes.set_xlabel("step t")
    gradient_axes.set_ylabel(r"$\|\partial L / \partial s_t\|$")
    gradient_axes.set_title("Gradient reaching each step")
    jacobian_axes.axhline(1.0, color="grey", linestyle="--", linewidth=0.8)
    jacobian_axes.set_yscale("log")
    jacobian_axes.set_xlabel("step t")
    norm_names = {flow.jacobian_norm for _, flow in pairs} - {None}
    jacobian_axes.set_ylabel(r"$\|\partial s_t / \partial s_{t-1}\|$")
    jacobian_axes.set_title(
        f"Per-step Jacobian norm ({', '.join(sorted(norm_names))})"
    )
    for axes in (gradient_axes, jacobian_axes):
        axes.grid(True, which="major", alpha=0.3)
    if any(label for label, _ in pairs):
        gradient_axes.legend()
    if title:
        figure.suptitle(title)
    return finish(figure, path)


def plot_gradient_norms(
    histories,
    *,
    path=None,
    figsize: tuple = (8.0, 4.0),
    dpi: int = 100,
    title: str | None = None,
):
    """Draws the global gradient norm of every training step (log scale).

    For each `GradientNormHistory`, a solid line for the norm before
    clipping and, where clipping changed it, a dashed line for the norm
    applied, with the threshold as a dotted line.

    Args:
        histories: A `GradientNormHistory`, a list of them or a dict
            `{label: GradientNormHistory}`.
        path: Optional file to save to (`.png`, `.svg` or `.pdf`).
        figsize: Figure size in inches. Default `(8, 4)`.
        dpi: Dots per inch. Default 100.
        title: Optional figure title.

    Returns:
        The `matplotlib.figure.Figure`.

    Example:

    >>> history = GradientNormHistory(
    ...     gradient_norms=np.array([40.0, 3.0, 0.5]),
    ...     clipped_gradient_norms=np.array([1.0, 1.0, 0.5]),
    ...     losses=np.array([2.0, 1.5, 1.2]),
    ...     global_clipnorm=1.0)
    >>> figure = plot_gradient_norms(history)
    >>> len(figure.axes[0].lines)  # before, applied, threshold
    3
    """
    pairs = labelled(histories, GradientNormHistory, "histories")
    figure = new_figure(figsize, dpi)
    axes = figure.subplots()
    for label, history in pairs:
        steps = np.arange(history.num_steps)
        prefix = f"{label}: " if label else ""
        (line,) = axes.plot(
            steps, history.gradient_norms, label=f"{prefix}before clipping"
        )
        if history.global_clipnorm is not None:
            axes.plot(
                steps,
                history.clipped_gradient_norms,
                linestyle="--",
                color=line.get_color(),
                label=f"{prefix}applied",
            )
            axes.axhline(
                history.global_clipnorm,
                linestyle=":",
                color=line.get_color(),
                linewidth=0.8,
            )
    axes.set_yscale("log")
    axes.set_xlabel("training step")
    axes.set_ylabel("global gradient norm")
    axes.grid(True, alpha=0.3)
    axes.legend()
    if title:
        figure.suptitle(title)
    return finish(figure, path)


def plot_saliency(
    scores,
    tokens,
    *,
    path=None,
    figsize: tuple | None = None,
    dpi: int = 100,
    cmap: str | None = None,
    title: str | None = None,
):
    """Draws saliency scores as a heat map over the tokens, one row per
    sequence, each cell labelled with its token.

    Signed scores (`gradient_x_input`) use a diverging colormap centred at
    0; non-negative ones (`gradient_norm`) a sequential one.

    Args:
        scores: `(T,)` or `(batch, T)`, e.g. from `saliency`.
        tokens: The tokens of one sequence, or one list per row; a row may
            be shorter than `T` (the padding is left out).
        path: Optional file to save to (`.png`, `.svg` or `.pdf`).
        figsize: Figure size in inches; default from the number of tokens.
        dpi: Dots per inch. Default 100.
        cmap: Matplotlib colormap name; default `"RdBu_r"` for signed
            scores, `"Reds"` otherwise.
        title: Optional title.

    Returns:
        The `matplotlib.figure.Figure`.

    Example:

    >>> figure = plot_saliency([0.1, -0.2, 0.9], ["a", "dull", "film"])
    >>> [text.get_text() for text in figure.axes[0].texts]
    ['a', 'dull', 'film']
    """
    values = as_array(scores, "scores")
    if values.ndim == 1:
        values = values[None]
    if values.ndim != 2:
        raise ValueError(
            f"`scores` must have shape (T,) or (batch, T), got shape "
            f"{values.shape}"
        )
    if isinstance(tokens, np.ndarray):
        tokens = tokens.tolist()
    if tokens and all(isinstance(token, str) for token in tokens):
        tokens = [tokens]
    if not isinstance(tokens, (list, tuple)) or len(tokens) != len(values):
        raise ValueError(
            f"`tokens` must hold one list of tokens per row of `scores` "
            f"({len(values)}), got tokens={tokens!r}"
        )
    rows = [
        check_tokens(row, values.shape[1], "tokens", "score") for row in tokens
    ]
    length = max(len(row) for row in rows)
    grid = np.full((len(rows), length), np.nan)
    for i, row in enumerate(rows):
        grid[i, : len(row)] = values[i, : len(row)]
    signed = bool(np.nanmin(grid) < 0) if np.isfinite(grid).any() else False
    largest = float(np.nanmax(np.abs(grid))) if np.isfinite(grid).any() else 0
    largest = largest or 1.0
    if signed:
        limits = dict(vmin=-largest, vmax=largest)
    else:
        limits = dict(vmin=0.0, vmax=largest)
    if figsize is None:
        figsize = (max(3.0, 0.8 * length + 1.5), max(1.5, 0.6 * len(rows) + 1))
    figure = new_figure(figsize, dpi)
    axes = figure.subplots()
    image = axes.imshow(
        np.ma.masked_invalid(grid),
        cmap=cmap or ("RdBu_r" if signed else "Reds"),
        aspect="auto",
        **limits,
    )
    for i, row in enumerate(rows):
        for j, token in enumerate(row):
            strong = abs(grid[i, j]) > 0.6 * largest
            axes.text(
                j,
                i,
                token,
                ha="center",
                va="center",
                fontsize=9,
                color="white" if strong else "black",
            )
    axes.set_xticks(range(length))
    axes.set_yticks(range(len(rows)))
    axes.set_xlabel("token position")
    figure.colorbar(image, ax=axes, label="saliency")
    if title:
        axes.set_title(title)
    return finish(figure, path)
