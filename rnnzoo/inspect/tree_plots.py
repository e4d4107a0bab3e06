"""A sentence's tree drawn with a class at every node: the treebank's
labels, or a tree classifier's predictions (`TreeClassifier.predict_trees`)."""

import numpy as np

from rnnzoo.inspect._figures import finish
from rnnzoo.inspect._figures import new_figure


def tree_layout(tree) -> np.ndarray:
    """`(nodes, 2)` positions: a leaf at its word's index and height 0, a
    phrase above the middle of its children, one level higher than its
    highest child."""
    positions = np.zeros((tree.num_nodes, 2))
    for node, kids in enumerate(tree.children):
        if not kids:
            positions[node] = (tree.spans[node][0], 0.0)
            continue
        kids = list(kids)
        positions[node] = (
            positions[kids, 0].mean(),
            positions[kids, 1].max() + 1.0,
        )
    return positions


def plot_tree(
    tree,
    reference=None,
    label_names=None,
    title=None,
    figsize=None,
    dpi=100,
    path=None,
):
    """Draws a tree, each node coloured by its class, each leaf over its
    word.

    Classes run from red (0, most negative) to green (the highest); a node
    whose class differs from `reference`'s is ringed in black.

    Args:
        tree: A `rnnzoo.data.SentimentTree`: the treebank's, or one of
            `TreeClassifier.predict_trees` (its labels the predictions).
        reference: Optional labels to compare with, one per node, or a
            `SentimentTree` of the same shape (the treebank's tree of the
            same sentence).
        label_names: Names of the classes, for the legend; default
            `0..C-1` for the classes drawn.
        title: Optional title.
        figsize: `(width, height)` in inches; default by the tree's size.
        dpi: Dots per inch.
        path: Optional file to save to (`.png`, `.svg` or `.pdf`).

    Returns:
        The `matplotlib.figure.Figure`.

    Example:

    >>> from rnnzoo.data import parse_tree
    >>> tree = parse_tree("(1 (2 not) (3 good))")
    >>> figure = plot_tree(tree, reference=[2, 3, 3])
    >>> figure.axes[0].get_title()
    '1 node of 3 differs from the reference'
    """
    from matplotlib import colormaps

    labels = np.asarray(tree.labels)
    if reference is not None:
        reference = np.asarray(getattr(reference, "labels", reference))
        if reference.shape != labels.shape:
            raise ValueError(
                f"`reference` must have one label per node ({len(labels)}), "
                f"got {reference.shape[0]}"
            )
    classes = len(label_names) if label_names else int(labels.max()) + 1
    if reference is not None and not label_names:
        classes = max(classes, int(reference.max()) + 1)
    classes = max(classes, 2)
    colours = colormaps["RdYlGn"](np.linspace(0.05, 0.95, classes))
    positions = tree_layout(tree)
    height = positions[:, 1].max()
    width = max(4.0, 0.9 * len(tree.tokens))
    figure = new_figure(figsize or (width, 1.0 + 0.6 * (height + 1)), dpi)
    axes = figure.subplots()
    for node, kids in enumerate(tree.children):
        for kid in kids:
            axes.plot(
                *zip(positions[node], positions[kid]),
                color="0.6",
                linewidth=1,
                zorder=1,
            )
    differs = (
        np.zeros(len(labels), bool)
        if reference is None
        else labels != reference
    )
    axes.scatter(
        positions[:, 0],
        positions[:, 1],
        s=260,
        c=colours[np.clip(labels, 0, classes - 1)],
        edgecolors=np.where(differs, "black", "none"),
        linewidths=2,
        zorder=2,
    )
    for node, (x, y) in enumerate(positions):
        axes.text(x, y, str(labels[node]), ha="center", va="center", zorder=3)
    for index, word in enumerate(tree.tokens):
        axes.text(index, -0.55, word, ha="center", va="top", rotation=30)
    names = label_names or [str(c) for c in range(classes)]
    for c, name in enumerate(names):
        axes.scatter([], [], s=60, color=colours[c], label=f"{c}: {name}")
    axes.legend(
        loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8
    )
    axes.set_xlim(-0.7, len(tree.tokens) - 0.3)
    axes.set_ylim(-1.6, height + 0.6)
    axes.axis("off")
    if title is not None:
        axes.set_title(title)
    elif reference is not None:
        count = int(differs.sum())
        axes.set_title(
            f"{count} node{'s' * (count != 1)} of {len(labels)} "
            f"differ{'s' * (count == 1)} from the reference"
        )
    return finish(figure, path)
