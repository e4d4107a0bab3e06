"""Random trees for the tree-layer tests, and their batching into tensors.

A tree is a list of nodes in post-order, each the list of its child slots:
a node index or `None` (see `tests.layers.tree_reference`).
"""

import numpy as np


def binary_tree(rng, leaves):
    """A random full binary tree over `leaves` leaves (random splits)."""
    tree = []

    def build(low, high):
        if high - low == 1:
            tree.append([None, None])
        else:
            split = int(rng.integers(low + 1, high))
            left, right = build(low, split), build(split, high)
            tree.append([left, right])
        return len(tree) - 1

    build(0, leaves)
    return tree


def random_tree(rng, slots, max_depth, missing=True):
    """A random tree whose inner nodes fill 1 to `slots` of their `slots`
    child slots (`missing=False`: all of them), the others `None`, in
    random positions."""
    tree = []

    def build(depth):
        count = 0
        if depth < max_depth and rng.random() < 0.75:
            count = int(rng.integers(1, slots + 1)) if missing else slots
        kids = [build(depth + 1) for _ in range(count)]
        node = [None] * slots
        for slot, kid in zip(rng.permutation(slots)[:count], kids):
            node[slot] = kid
        tree.append(node)
        return len(tree) - 1

    build(0)
    return tree


def chain(length, slots=1, slot=0):
    """A chain: node `t` has node `t - 1` as its only child, in `slot`."""
    tree = [[None] * slots]
    for t in range(1, length):
        node = [None] * slots
        node[slot] = t - 1
        tree.append(node)
    return tree


def batch_trees(
    rng, trees, features, padding_between=True, extra_nodes=2, garbage=True
):
    """Batches `trees` into the tensors `TreeLSTM` takes.

    Args:
        rng: A NumPy generator.
        trees: The trees, with the same number of slots per node.
        features: Node input features.
        padding_between: Whether masked nodes are also inserted between
            the nodes of a tree (which keeps their order).
        extra_nodes: Masked nodes at the end of the longest tree.
        garbage: Whether masked nodes get random inputs and children
            (else zeros and -1).

    Returns:
        `(node_inputs, children, node_mask, inputs, positions)`: the three
        tensors, each tree's own inputs `(len(tree), features)` and each
        tree's node positions in the batch.
    """
    inputs = [rng.normal(size=(len(tree), features)) for tree in trees]
    positions = []
    for tree in trees:
        gaps = rng.integers(0, 2, size=len(tree)) if padding_between else 0
        positions.append(np.arange(len(tree)) + np.cumsum(gaps))
    nodes = max(int(p[-1]) + 1 for p in positions) + extra_nodes
    slots = len(trees[0][0])
    shape = (len(trees), nodes)
    if garbage:
        node_inputs = rng.normal(size=(*shape, features))
        children = rng.integers(-1, nodes, size=(*shape, slots))
    else:
        node_inputs = np.zeros((*shape, features))
        children = np.full((*shape, slots), -1)
    node_mask = np.zeros(shape, bool)
    for b, (tree, position) in enumerate(zip(trees, positions)):
        node_inputs[b, position] = inputs[b]
        node_mask[b, position] = True
        for n, node in enumerate(tree):
            children[b, position[n]] = [
                -1 if kid is None else position[kid] for kid in node
            ]
    return (
        node_inputs.astype("float32"),
        children.astype("int32"),
        node_mask,
        inputs,
        positions,
    )


def mixed_trees(rng, name, slots):
    """Trees of mixed shapes and sizes for the cell `name`: binary trees,
    random trees (with missing slots where the cell allows any), a chain
    and a single node."""
    if name == "child_sum_tree_lstm":
        trees = [random_tree(rng, slots, 4) for _ in range(3)]
    else:
        trees = [random_tree(rng, slots, 3) for _ in range(2)]
        trees.append(random_tree(rng, slots, 2, missing=False))
    if slots == 2:
        trees += [binary_tree(rng, 7), binary_tree(rng, 3)]
    return trees + [chain(5, slots, slot=slots - 1), [[None] * slots]]
