"""Attention plots: alignment heat maps of sequence-to-sequence models and
attention over image regions of captioners.

Like every rnnzoo plot, they build a `matplotlib.figure.Figure` without
`pyplot`, return it, and save it when given a path.
"""

import math

import numpy as np
from keras import ops

from rnnzoo.inspect._figures import as_array
from rnnzoo.inspect._figures import check_tokens
from rnnzoo.inspect._figures import finish
from rnnzoo.inspect._figures import new_figure
from rnnzoo.inspect._figures import pick_example
from rnnzoo.validation import check_positive_int


def plot_attention(
    alignments,
    source_tokens=None,
    target_tokens=None,
    *,
    index: int = 0,
    path=None,
    figsize: tuple | None = None,
    dpi: int = 100,
    cmap: str = "viridis",
    title: str | None = None,
):
    """Draws an attention alignment as a heat map, target steps down,
    source steps across (Bahdanau et al. 2015, figure 3).

    Args:
        alignments: `(Tq, Tv)` or `(batch, Tq, Tv)` weights, e.g. from an
            `AttentionDecoder` with `return_alignments=True`, the decoder
            of a sequence-to-sequence model.
        source_tokens: The `Tv` source tokens, or fewer: the map is cut to
            the tokens given (drop the padding). Default step numbers.
        target_tokens: The `Tq` target tokens, or fewer, likewise.
        index: Which example of a batch to draw. Default 0.
        path: Optional file to save to (`.png`, `.svg` or `.pdf`).
        figsize: Figure size in inches; default from the number of tokens.
        dpi: Dots per inch. Default 100.
        cmap: Matplotlib colormap name. Default `"viridis"`.
        title: Optional title.

    Returns:
        The `matplotlib.figure.Figure`.

    Example:

    >>> weights = np.full((3, 4), 0.25)
    >>> figure = plot_attention(weights, ["a", "b", "c", "d"],
    ...                         ["x", "y", "z"])
    >>> len(figure.axes)  # the heat map and its colour bar
    2

    `plot_attention(..., path="alignment.svg")` also saves it.
    """
    values = pick_example(
        as_array(alignments, "alignments"),
        index,
        2,
        "alignments",
        "(Tq, Tv)",
    )
    sources = check_tokens(
        source_tokens, values.shape[1], "source_tokens", "source"
    )
    targets = check_tokens(
        target_tokens, values.shape[0], "target_tokens", "target"
    )
    values = values[: len(targets), : len(sources)]
    if figsize is None:
        figsize = (
            max(3.0, 0.45 * len(sources) + 2.0),
            max(2.5, 0.4 * len(targets) + 1.5),
        )
    figure = new_figure(figsize, dpi)
    axes = figure.subplots()
    image = axes.imshow(values, cmap=cmap, vmin=0.0, aspect="auto")
    axes.set_xticks(range(len(sources)), sources, rotation=90)
    axes.set_yticks(range(len(targets)), targets)
    axes.set_xlabel("source")
    axes.set_ylabel("target")
    figure.colorbar(image, ax=axes, label="attention weight")
    if title:
        axes.set_title(title)
    return finish(figure, path)


def plot_attention_on_image(
    image,
    alignments,
    tokens=None,
    *,
    grid_shape: tuple | None = None,
    index: int = 0,
    columns: int = 4,
    path=None,
    figsize: tuple | None = None,
    dpi: int = 100,
    cmap: str = "inferno",
    alpha: float = 0.6,
):
    """Overlays the attention of each generated word on the image regions
    it attended to (Xu et al. 2015, "Show, attend and tell").

    Args:
        image: `(height, width)` or `(height, width, channels)` pixels,
            floats in `[0, 1]` or integers in `[0, 255]`.
        alignments: `(Tq, regions)` or `(batch, Tq, regions)` weights over
            the image regions, e.g. an image captioner's attention over a
            CNN feature map flattened row by row.
        tokens: The `Tq` generated tokens, or fewer (one panel each).
        grid_shape: `(rows, cols)` of the region grid, `rows * cols =
            regions`; default the square grid.
        index: Which example of a batch to draw. Default 0.
        columns: Panels per row. Default 4.
        path: Optional file to save to (`.png`, `.svg` or `.pdf`).
        figsize: Figure size in inches; default 2.5 inches per panel.
        dpi: Dots per inch. Default 100.
        cmap: Colormap of the attention overlay. Default `"inferno"`.
        alpha: Opacity of the overlay. Default 0.6.

    Returns:
        The `matplotlib.figure.Figure`.

    Example:

    >>> image = np.zeros((28, 28))
    >>> weights = np.full((3, 16), 1 / 16)  # a 4 x 4 grid of regions
    >>> figure = plot_attention_on_image(image, weights, ["a", "cat", "."])
    >>> [axes.get_title() for axes in figure.axes]
    ['a', 'cat', '.']
    """
    pixels = np.asarray(ops.convert_to_numpy(image))
    if pixels.ndim not in (2, 3):
        raise ValueError(
            "`image` must have shape (height, width) or (height, width, "
            f"channels), got shape {pixels.shape}"
        )
    if pixels.dtype.kind in "iu":
        pixels = pixels / 255.0
    values = pick_example(
        as_array(alignments, "alignments"),
        index,
        2,
        "alignments",
        "(Tq, regions)",
    )
    regions = values.shape[1]
    if grid_shape is None:
        side = math.isqrt(regions)
        if side * side != regions:
            raise ValueError(
                f"`grid_shape` is required: {regions} regions are not a "
                f"square grid, got grid_shape=None"
            )
        grid_shape = (side, side)
    if len(grid_shape) != 2 or grid_shape[0] * grid_shape[1] != regions:
        raise ValueError(
            f"`grid_shape` must be (rows, cols) with rows * cols = {regions} "
            f"regions, got grid_shape={grid_shape!r}"
        )
    columns = check_positive_int("columns", columns)
    words = check_tokens(tokens, values.shape[0], "tokens", "target")
    if not words:
        raise ValueError("`tokens` must hold at least one token, got []")
    panels = len(words)
    columns = min(columns, panels)
    rows = math.ceil(panels / columns)
    if figsize is None:
        figsize = (2.5 * columns, 2.5 * rows)
    figure = new_figure(figsize, dpi)
    grid = figure.subplots(rows, columns, squeeze=False)
    height, width = pixels.shape[:2]
    extent = (0, width, height, 0)
    for panel, axes in enumerate(grid.flat):
        axes.axis("off")
        if panel >= panels:
            continue
        attention = values[panel].reshape(grid_shape)
        axes.imshow(pixels, extent=extent, cmap="gray")
        axes.imshow(
            attention,
            extent=extent,
            cmap=cmap,
            alpha=alpha,
            interpolation="bilinear",
        )
        axes.set_title(words[panel])
    return finish(figure, path)
