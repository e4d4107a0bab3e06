"""The tree layer: `TreeLSTM` runs any tree cell over batches of trees.

Trees arrive as tensors, nodes in post-order (children before their
parents): node inputs, each node's children as indices into its own tree,
and a node mask. The layer computes all nodes of a level (of every tree of
the batch) at once, in a compiled loop over the levels
(`rnnzoo.layers.tree_recurrence`).
"""

import keras

from rnnzoo.layers.base import constructor_arguments
from rnnzoo.layers.tree_cell_base import TreeCell
from rnnzoo.layers.tree_recurrence import run_tree_cell
from rnnzoo.validation import check_bool
from rnnzoo.validation import check_positive_int

# Arguments of `keras.layers.Layer` the cell shares with its layer.
_SHARED_ARGUMENTS = ("dtype", "trainable")


def _tree_cell_class(name):
    # The registry imports this module, so it is looked up when needed.
    from rnnzoo.layers.registry import tree_cell_class

    return tree_cell_class(name)


def _check_rank(argument, shape, rank, layout, layer_name):
    if shape is None or len(shape) != rank:
        raise ValueError(
            f"Layer '{layer_name}' expects `{argument}` of rank {rank} "
            f"{layout}, got shape {shape}"
        )


@keras.saving.register_keras_serializable(package="rnnzoo")
class TreeLSTM(keras.layers.Layer):
    """Runs a tree cell over batches of trees, level by level.

    Tai, Socher & Manning (2015)'s Tree-LSTMs, and any other registered tree
    cell (see `rnnzoo.layers.tree_cell_names()`); `TreeRecurrent` is the
    same layer under a name that fits them all. Nodes come in post-order:
    each node after its children, so each tree's root is its last unmasked
    node. All nodes of a level (of every tree of the batch) run through the
    cell at once; the loop over the levels compiles (`tf.function`,
    `jit_compile=True`) and gradients flow through it.

    Args:
        units: Positive integer, dimensionality of the output space.
        cell: A registered tree-cell name (`"child_sum_tree_lstm"`,
            `"nary_tree_lstm"`, `"tree_rnn"`, ...) or a tree-cell instance
            with the same `units`. Default `"child_sum_tree_lstm"`.
        return_sequences: Whether to return every node's output or only
            each tree's root's. Default `False`.
        **kwargs: Arguments of the cell when `cell` is a name (e.g.
            `arity=3`, `recurrent_initializer=...`), and of
            `keras.layers.Layer`.

    Call arguments:
        node_inputs: Float `(batch, nodes, features)`; zeros where a node
            has no input (e.g. the inner nodes of a parse tree).
        children: Integer `(batch, nodes, K)`: the indices of each node's
            children within its tree, `-1` for no child. An N-ary cell
            takes `K = arity` ordered slots; the child-sum cell any `K`.
            A child index outside the tree or at a masked node counts as
            no child.
        node_mask: Optional bool or integer `(batch, nodes)`: which nodes
            exist (default: all). Masked (padding) nodes never change the
            result.

    Returns:
        `(batch, nodes, units)`, every node's output (zeros for masked
        nodes), if `return_sequences`; else `(batch, units)`, each root's.

    Example:

    >>> # Two trees: ((a b) c) and (d e), the second padded by 2 nodes.
    >>> children = np.array([
    ...     [[-1, -1], [-1, -1], [0, 1], [-1, -1], [2, 3]],
    ...     [[-1, -1], [-1, -1], [0, 1], [-1, -1], [-1, -1]],
    ... ])
    >>> node_mask = np.array([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]], bool)
    >>> node_inputs = np.random.random((2, 5, 3)).astype("float32")
    >>> layer = TreeLSTM(8, cell="nary_tree_lstm", arity=2)
    >>> tuple(layer(node_inputs, children, node_mask).shape)
    (2, 8)
    """

    def __init__(
        self,
        units,
        cell="child_sum_tree_lstm",
        return_sequences=False,
        **kwargs,
    ):
        units = check_positive_int("units", units)
        check_bool("return_sequences", return_sequences)
        cell_name = cell if isinstance(cell, str) else None
        if cell_name is not None:
            cell_class = _tree_cell_class(cell_name)
            parameters = constructor_arguments(cell_class)
            cell_kwargs = {
                key: kwargs.pop(key)
                for key in list(kwargs)
                if key in parameters
            }
            for key in _SHARED_ARGUMENTS:
                if key in kwargs:
                    cell_kwargs[key] = kwargs[key]
            cell = cell_class(units, name="cell", **cell_kwargs)
        elif isinstance(cell, dict):
            # A `get_config()` of a layer built around a cell instance.
            cell = keras.saving.deserialize_keras_object(cell)
        if not isinstance(cell, TreeCell):
            raise ValueError(
                "`cell` must be a registered tree-cell name or a tree cell "
                f"(a `TreeCell`), got cell={cell!r}"
            )
        if cell.units != units:
            raise ValueError(
                f"`cell` must have the layer's units={units}, got a cell "
                f"with units={cell.units}"
            )
        super().__init__(**kwargs)
        self.units = units
        self.cell = cell
        self.cell_name = cell_name
        self.return_sequences = return_sequences

    def _check_inputs(self, node_inputs_shape, children_shape, mask_shape):
        name = self.name
        _check_rank(
            "node_inputs",
            node_inputs_shape,
            3,
            "(batch, nodes, features)",
            name,
        )
        _check_rank(
            "children", children_shape, 3, "(batch, nodes, children)", name
        )
        shapes = {"node_inputs": node_inputs_shape, "children": children_shape}
        if mask_shape is not None:
            _check_rank("node_mask", mask_shape, 2, "(batch, nodes)", name)
            shapes["node_mask"] = mask_shape
        for axis, what in ((0, "batch size"), (1, "number of nodes")):
            sizes = {
                k: s[axis] for k, s in shapes.items() if s[axis] is not None
            }
            if len(set(sizes.values())) > 1:
                raise ValueError(
                    f"Layer '{name}' expects the same {what} in "
                    f"{' and '.join(f'`{k}`' for k in shapes)}, got "
                    + ", ".join(f"{k} shape {shapes[k]}" for k in shapes)
                )
        if children_shape[2] == 0:
            raise ValueError(
                f"Layer '{name}' expects at least one child slot per node, "
                f"got `children` of shape {children_shape}"
            )
        self.cell.check_children_count(children_shape[2])

    def build(self, node_inputs_shape, children_shape, node_mask_shape=None):
        self._check_inputs(node_inputs_shape, children_shape, node_mask_shape)
        if not self.cell.built:
            self.cell.build(node_inputs_shape)

    def call(self, node_inputs, children, node_mask=None):
        self._check_inputs(
            tuple(node_inputs.shape),
            tuple(children.shape),
            None if node_mask is None else tuple(node_mask.shape),
        )
        children_dtype = keras.backend.standardize_dtype(children.dtype)
        if "int" not in children_dtype:
            raise ValueError(
                f"Layer '{self.name}' expects integer `children` (indices, "
                f"-1 for none), got dtype {children_dtype}"
            )
        return run_tree_cell(
            self.cell, node_inputs, children, node_mask, self.return_sequences
        )

    def compute_output_shape(
        self, node_inputs_shape, children_shape, node_mask_shape=None
    ):
        if self.return_sequences:
            return (*node_inputs_shape[:2], self.units)
        return (node_inputs_shape[0], self.units)

    # The cell's weights and arguments, readable on the layer.
    arity = property(lambda self: self.cell.arity)
    kernel = property(lambda self: self.cell.kernel)
    recurrent_kernel = property(lambda self: self.cell.recurrent_kernel)
    bias = property(lambda self: self.cell.bias)

    def get_config(self):
        config = {
            **super().get_config(),
            "units": self.units,
            "return_sequences": self.return_sequences,
        }
        if self.cell_name is None:
            config["cell"] = keras.saving.serialize_keras_object(self.cell)
            return config
        cell_config = self.cell.get_config()
        for key in ("name", "units", *_SHARED_ARGUMENTS):
            cell_config.pop(key, None)
        return {**config, "cell": self.cell_name, **cell_config}


TreeRecurrent = TreeLSTM
