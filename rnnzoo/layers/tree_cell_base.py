"""The base of rnnzoo's tree cells: gate-block weights and one tree step.

A tree cell computes the states of a node from its input and the states of
its children. Like a sequence cell, it splits the work in two:

* `project_inputs(x)`: the input projection `x W + b` of all gate blocks,
  which the tree layer computes for every node at once, and
* `tree_step(projected, child_states, child_mask)`: everything that depends
  on the children, for a set of `M` nodes at once, their children's states
  gathered as `(M, K, units)` with a `(M, K)` mask of the children present.

A missing child counts as a child whose states are zeros.
`rnnzoo.layers.TreeLSTM` runs a cell over batches of trees, level by level.
"""

from keras import ops

from rnnzoo.layers.weight_options import StandardWeightsLayer
from rnnzoo.validation import check_bool
from rnnzoo.validation import check_positive_int


class TreeCell(StandardWeightsLayer):
    """Base class of rnnzoo's tree cells: gate-block weights, one tree step.

    A subclass sets `state_size`, `gate_blocks` (the number of `units`-wide
    blocks of `kernel` and `bias`), `recurrent_blocks` (of `units` rows each
    in `recurrent_kernel`) and `arity` (the number of child slots of an
    N-ary cell; `None` for a cell that takes any number of children), and
    implements `tree_step()`.

    Args:
        units: Positive integer, dimensionality of the output space.
        use_bias: Whether the cell adds a bias vector. Default `True`.
        **kwargs: `activation` and the initializers, regularizers and
            constraints of `kernel`, `recurrent_kernel` and `bias` (see
            `rnnzoo.layers.weight_options.StandardWeightsLayer`).
    """

    def __init__(self, units, use_bias=True, **kwargs):
        check_positive_int("units", units)
        check_bool("use_bias", use_bias)
        super().__init__(int(units), use_bias=use_bias, **kwargs)

    arity = None
    gate_blocks = 1
    recurrent_blocks = 1

    def build(self, input_shape):
        self.add_standard_weights(
            input_shape[-1],
            self.gate_blocks * self.units,
            self.recurrent_blocks * self.units,
        )

    def project_inputs(self, inputs):
        """Returns `inputs W + b` for all gate blocks; `inputs` may have
        any leading axes, e.g. `(batch, nodes, features)`."""
        projected = ops.matmul(inputs, self.kernel)
        if self.use_bias:
            projected = projected + self.bias
        return projected

    def check_children_count(self, children_count):
        """Raises a `ValueError` if the cell cannot take `children_count`
        child slots (an N-ary cell takes exactly `arity`)."""
        if self.arity is not None and children_count not in (None, self.arity):
            raise ValueError(
                f"{type(self).__name__} with arity={self.arity} expects "
                f"{self.arity} child slots per node, got {children_count}"
            )

    def tree_step(self, projected_inputs, child_states, child_mask):
        """Computes the states of `M` nodes from their children's.

        Args:
            projected_inputs: `(M, gate_blocks * units)`, the nodes'
                `project_inputs`.
            child_states: One `(M, K, units)` tensor per state (see
                `state_size`), the states of each node's `K` children.
            child_mask: `(M, K)` bool, which children are present; the
                states of a missing child count as zeros.

        Returns:
            The list of the nodes' new states, each `(M, units)`; the
            first is the node's output `h`.
        """
        raise NotImplementedError

    def leaf_step(self, projected_inputs):
        """The states of `M` leaves (nodes without children) from their
        `project_inputs`: `tree_step` with one missing child each. A
        subclass may drop the children's terms, which are zeros."""
        slots = self.arity or 1
        count = ops.shape(projected_inputs)[0]
        zeros = ops.zeros((count, slots, self.units), projected_inputs.dtype)
        child_states = [zeros for _ in self.state_size]
        child_mask = ops.zeros((count, slots), "bool")
        return self.tree_step(projected_inputs, child_states, child_mask)

    def call(self, node_inputs, child_states, child_mask=None):
        """The states of `M` nodes: `node_inputs` `(M, features)`,
        `child_states` and `child_mask` as in `tree_step` (default: all
        children present)."""
        child_states = list(child_states)
        self.check_children_count(child_states[0].shape[1])
        if child_mask is None:
            child_mask = ops.ones(ops.shape(child_states[0])[:2], "bool")
        projected = self.project_inputs(node_inputs)
        return self.tree_step(projected, child_states, child_mask)

    def masked_children(self, child_states, child_mask):
        """`child_states` with the states of missing children zeroed."""
        mask = ops.expand_dims(ops.cast(child_mask, self.compute_dtype), -1)
        return [states * mask for states in child_states]

    def concatenated_children(self, children_h):
        """`(M, K, units)` -> `(M, K * units)`: `[h_1; ...; h_K]`."""
        return ops.reshape(children_h, (-1, self.arity * self.units))
