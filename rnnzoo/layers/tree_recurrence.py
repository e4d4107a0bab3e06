"""The loop that runs a tree cell over a batch of trees, level by level.

The trees of a batch arrive as tensors: node inputs `(batch, nodes,
features)`, each node's children as indices into its own tree `(batch,
nodes, K)` (`-1`: no child) and a node mask `(batch, nodes)`. A node's
*level* is its height: 0 for a leaf, one more than its highest child
otherwise. Every node of a level depends only on lower levels. The leaves
(about half the nodes of a binary tree) need no children's states: the
cell's `leaf_step` computes them all at once, before the loop. The loop
then takes the inner nodes of all trees of the batch in order of level and
computes each level with one `tree_step` of the cell, gathering the
children's states from, and adding the new states to, flat `(batch * nodes
+ 1, units)` state tensors (the last row stays zero: the state of a missing
child).

Under XLA every tensor of the loop needs a static shape, so each iteration
takes a fixed-size *window* of the level-sorted nodes: the nodes of the
window's first level (at most the window's size; a larger level takes
several iterations), the rest of the window masked. The loop is written in
`keras.ops`; gradients flow through it as through any `while_loop`.
"""

import math

import keras
from keras import ops


def window_size(batch, nodes):
    """How many inner nodes one iteration computes at most.

    Each iteration costs a fixed overhead (a few dozen ops) plus its rows,
    and the window trades one against the other: the first inner levels
    of a batch of trees are the largest (a third of a binary tree's inner
    nodes are level 1), the deep ones hold a node or two per tree. A
    window of `batch * ceil(sqrt(nodes) / 2)` nodes takes the first levels
    of trees of up to `nodes` nodes in one or two iterations each, and
    wastes a few rows per tree on the deep ones. Static when both arguments
    are Python integers (so XLA sees a static slice size), else a tensor.
    """
    if isinstance(batch, int) and isinstance(nodes, int):
        return max(1, batch * math.ceil(math.sqrt(nodes) / 2))
    half_root = ops.ceil(ops.sqrt(ops.cast(nodes, "float32")) / 2)
    return ops.maximum(1, batch * ops.cast(half_root, "int32"))


def flat_children_indices(children, node_mask, batch, nodes):
    """`(batch * nodes + 1, K)` int32: each node's children as rows of the
    flat state tensors; `batch * nodes` (the zero row) where a slot has no
    child, points outside its tree or at a masked node, and for the
    children of masked nodes. The last row (the zero row's) has none."""
    total = batch * nodes
    children = ops.cast(children, "int32")
    slots = ops.shape(children)[2]
    inside = ops.logical_and(children >= 0, children < nodes)
    safe = ops.where(inside, children, 0)
    child_present = ops.take_along_axis(
        ops.cast(node_mask, "int32"), ops.reshape(safe, (batch, -1)), axis=1
    )
    child_present = ops.reshape(child_present, (batch, nodes, slots)) > 0
    valid = ops.logical_and(
        ops.logical_and(inside, child_present),
        ops.expand_dims(node_mask, -1),
    )
    offsets = ops.reshape(ops.arange(batch, dtype="int32") * nodes, (-1, 1, 1))
    flat = ops.where(valid, safe + offsets, total)
    flat = ops.reshape(flat, (total, slots))
    none = ops.full((1, slots), total, dtype="int32")
    return ops.concatenate([flat, none], axis=0)


def node_levels(flat_children, total):
    """`(total,)` int32: each node's height (0 for a leaf), the fixed point
    of `level = 1 + max(children's levels)`, reached after as many
    iterations as the highest tree is high (at most `total`, which also
    bounds the loop on malformed trees with cycles)."""
    children = flat_children[:total]

    def step(levels, changed):
        # A missing child (the zero row) has level -1.
        padded = ops.concatenate([levels, ops.full((1,), -1, "int32")])
        new = 1 + ops.max(ops.take(padded, children, axis=0), axis=-1)
        return new, ops.any(ops.not_equal(new, levels))

    levels, _ = ops.while_loop(
        lambda levels, changed: changed,
        step,
        (ops.zeros((total,), "int32"), ops.convert_to_tensor(True)),
        maximum_iterations=total + 1,
    )
    return levels


def run_tree_cell(cell, node_inputs, children, node_mask, return_sequences):
    """Runs `cell` over a batch of trees, level by level.

    Args:
        cell: A built tree cell (`rnnzoo.layers.TreeCell`).
        node_inputs: `(batch, nodes, features)` float.
        children: `(batch, nodes, K)` integer, indices of each node's
            children in its tree, `-1` for none.
        node_mask: `(batch, nodes)` bool, or `None` for all nodes present.
        return_sequences: Whether to return every node's output `(batch,
            nodes, units)` (zeros for masked nodes) or each tree's root's,
            its last unmasked node, `(batch, units)`.
    """
    shape = ops.shape(children)
    batch, nodes = shape[0], shape[1]
    total = batch * nodes
    if node_mask is None:
        node_mask = ops.ones((batch, nodes), "bool")
    node_mask = ops.cast(node_mask, "bool")
    flat_children = flat_children_indices(children, node_mask, batch, nodes)
    levels = node_levels(flat_children, total)

    present = ops.reshape(node_mask, (total,))
    inner = ops.logical_and(present, levels > 0)
    inner_count = ops.sum(ops.cast(inner, "int32"))
    # Leaves and masked nodes sort after every level (below `total`).
    sort_key = ops.where(inner, levels, total + 1)
    order = ops.cast(ops.argsort(sort_key), "int32")
    window = window_size(batch, nodes)
    # Padded by one window, so that every window's slice is in bounds; the
    # padding's key matches no level.
    order = ops.concatenate([order, ops.full((window,), total, "int32")])
    sorted_keys = ops.concatenate(
        [
            ops.take(sort_key, order[:total]),
            ops.full((window,), total + 2, "int32"),
        ]
    )

    projected = cell.project_inputs(node_inputs)
    projected = ops.reshape(projected, (total, projected.shape[-1]))
    dtype = projected.dtype
    is_leaf = ops.logical_and(present, ops.equal(levels, 0))
    is_leaf = ops.expand_dims(ops.cast(is_leaf, dtype), -1)
    states = tuple(
        ops.pad(leaf_states * is_leaf, ((0, 1), (0, 0)))
        for leaf_states in cell.leaf_step(projected)
    )
    projected = ops.pad(projected, ((0, 1), (0, 0)))

    def step(position, *states):
        window_nodes = ops.slice(order, [position], [window])
        window_keys = ops.slice(sorted_keys, [position], [window])
        # The window's first level; sorted, so its nodes lead the window.
        # Past the last level (JAX's fixed count of iterations) none is.
        active = ops.logical_and(
            ops.equal(window_keys, window_keys[0]), position < inner_count
        )
        step_nodes = ops.where(active, window_nodes, total)
        child_rows = ops.take(flat_children, step_nodes, axis=0)
        child_states = [ops.take(s, child_rows, axis=0) for s in states]
        new_states = cell.tree_step(
            ops.take(projected, step_nodes, axis=0),
            child_states,
            ops.not_equal(child_rows, total),
        )
        # Masked window rows add zeros to the zero row.
        keep = ops.expand_dims(ops.cast(active, dtype), -1)
        indices = ops.expand_dims(step_nodes, -1)
        states = tuple(
            ops.scatter_update(s, indices, new * keep, reduction="add")
            for s, new in zip(states, new_states)
        )
        advanced = position + ops.sum(ops.cast(active, "int32"))
        return (advanced, *states)

    # A level of M nodes takes ceil(M / window) <= M / window + 1
    # iterations, and a tree has fewer levels than nodes. Under XLA the
    # gradient keeps each iteration's tensors in buffers of this many
    # iterations, so the bound is kept tight.
    most_iterations = nodes + (total + window - 1) // window
    initial = (ops.convert_to_tensor(0, "int32"), *states)
    if keras.backend.backend() == "jax":
        # JAX differentiates a loop of a fixed count (a scan) only: the
        # iterations past the last level change nothing.
        _, *states = ops.fori_loop(
            0, most_iterations, lambda _, carry: step(*carry), initial
        )
    else:
        _, *states = ops.while_loop(
            lambda position, *states: position < inner_count,
            step,
            initial,
            maximum_iterations=most_iterations,
        )
    outputs = states[0]
    if return_sequences:
        return ops.reshape(outputs[:total], (batch, nodes, cell.output_size))
    # Each root is its tree's last unmasked node; a tree without nodes
    # reads the zero row.
    positions = ops.arange(nodes, dtype="int32")
    last = ops.max(ops.where(node_mask, positions, -1), axis=1)
    root_rows = ops.where(
        last >= 0, ops.arange(batch, dtype="int32") * nodes + last, total
    )
    return ops.take(outputs, root_rows, axis=0)
