"""Tree-structured recurrent cells: the child-sum and N-ary Tree-LSTMs (Tai,
Socher & Manning 2015) and the recursive neural network (Socher et al. 2011).

Each is a `rnnzoo.layers.tree_cell_base.TreeCell`: an input projection and a
`tree_step` that computes a set of nodes from their children's states.
`rnnzoo.layers.TreeLSTM` runs a cell over batches of trees, level by level.
"""

import keras
from keras import activations
from keras import ops

from rnnzoo.layers.tree_cell_base import TreeCell
from rnnzoo.validation import check_bool
from rnnzoo.validation import check_positive_int

__all__ = [
    "ChildSumTreeLSTMCell",
    "NaryTreeLSTMCell",
    "TreeCell",
    "TreeLSTMCell",
    "TreeRNNCell",
]


class TreeLSTMCell(TreeCell):
    """Base of the Tree-LSTM cells: gates, a memory cell, forget bias.

    Args:
        units: Positive integer, dimensionality of the output space.
        recurrent_activation: Activation of the gates. Default `"sigmoid"`.
        unit_forget_bias: Whether the forget-gate biases start at one, as
            `keras.layers.LSTM` does (Jozefowicz et al. 2015). Default
            `True`.
        **kwargs: Arguments of `TreeCell`.
    """

    def __init__(
        self,
        units,
        recurrent_activation="sigmoid",
        unit_forget_bias=True,
        **kwargs,
    ):
        check_bool("unit_forget_bias", unit_forget_bias)
        super().__init__(units, **kwargs)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.unit_forget_bias = unit_forget_bias
        self.state_size = [self.units, self.units]

    def bias_initializer_for_build(self):
        if not self.unit_forget_bias:
            return self.bias_initializer
        units, gate_blocks = self.units, self.gate_blocks

        def initializer(shape, dtype=None):
            # Blocks i, o, u as `bias_initializer` says, then the forget
            # blocks at one.
            blocks = [
                self.bias_initializer((units,), dtype=dtype) for _ in range(3)
            ]
            blocks.append(ops.ones(((gate_blocks - 3) * units,), dtype=dtype))
            return ops.concatenate(blocks)

        return initializer

    def memory_and_output(self, z_iou, forget=None, children_c=None):
        """`c = i ⊙ u + Σ_k f_k ⊙ c_k`, `h = o ⊙ act(c)` from the
        pre-activations `z_iou` `(M, 3 units)`, the forget gates `forget`
        and the children's memories `children_c`, both `(M, K, units)`
        (`None` for leaves)."""
        z_i, z_o, z_u = ops.split(z_iou, 3, axis=-1)
        i = self.recurrent_activation(z_i)
        o = self.recurrent_activation(z_o)
        u = self.activation(z_u)
        c = i * u
        if forget is not None:
            c = c + ops.sum(forget * children_c, axis=1)
        return [o * self.activation(c), c]

    def leaf_step(self, projected_inputs):
        # No children: no recurrent matmul, no forget gate.
        return self.memory_and_output(projected_inputs[:, : 3 * self.units])

    def get_config(self):
        return {
            **super().get_config(),
            "recurrent_activation": activations.serialize(
                self.recurrent_activation
            ),
            "unit_forget_bias": self.unit_forget_bias,
        }


@keras.saving.register_keras_serializable(package="rnnzoo")
class ChildSumTreeLSTMCell(TreeLSTMCell):
    """Child-sum Tree-LSTM cell (Tai, Socher & Manning 2015, eq. 2-8).

    For a node with input `x` and children `k` with states `(h_k, c_k)`,
    in any number and order; gate blocks are `[i, o, u, f]`:

    ```
    h̃   = Σ_k h_k
    i   = σ(x W_i + h̃ U_i + b_i)
    o   = σ(x W_o + h̃ U_o + b_o)
    u   = tanh(x W_u + h̃ U_u + b_u)
    f_k = σ(x W_f + h_k U_f + b_f)         one forget gate per child
    c   = i ⊙ u + Σ_k f_k ⊙ c_k
    h   = o ⊙ tanh(c)
    ```

    `kernel` is `(features, 4 units)`, `recurrent_kernel` `(units,
    4 units)` and `bias` `(4 units,)`. With one child per node it is the
    LSTM without peepholes.

    Args:
        units: Positive integer, dimensionality of the output space.
        **kwargs: `activation`, `recurrent_activation`, `unit_forget_bias`,
            `use_bias` and the initializers, regularizers and constraints of
            `kernel`, `recurrent_kernel` and `bias` (see `TreeLSTMCell`).

    Call arguments:
        node_inputs: `(M, features)`, the inputs of `M` nodes.
        child_states: `[h, c]`, each `(M, K, units)`: the states of each
            node's `K` children.
        child_mask: Optional bool `(M, K)`, which children are present.

    Example:

    >>> cell = ChildSumTreeLSTMCell(4)
    >>> children = [np.ones((2, 3, 4), "float32")] * 2
    >>> h, c = cell(np.ones((2, 5), "float32"), children)
    >>> tuple(h.shape), tuple(c.shape)
    ((2, 4), (2, 4))
    """

    gate_blocks = 4

    def tree_step(self, projected_inputs, child_states, child_mask):
        children_h, children_c = self.masked_children(child_states, child_mask)
        units = self.units
        x_iou = projected_inputs[:, : 3 * units]
        x_f = projected_inputs[:, 3 * units :]
        summed_h = ops.sum(children_h, axis=1)
        z_iou = x_iou + ops.matmul(
            summed_h, self.recurrent_kernel[:, : 3 * units]
        )
        # One forget gate per child: every child's h through U_f, as one
        # (M K, units) matmul.
        children_count = ops.shape(children_h)[1]
        forget_z = ops.matmul(
            ops.reshape(children_h, (-1, units)),
            self.recurrent_kernel[:, 3 * units :],
        )
        forget_z = ops.reshape(forget_z, (-1, children_count, units))
        forget = self.recurrent_activation(forget_z + x_f[:, None, :])
        return self.memory_and_output(z_iou, forget, children_c)


@keras.saving.register_keras_serializable(package="rnnzoo")
class NaryTreeLSTMCell(TreeLSTMCell):
    """N-ary Tree-LSTM cell (Tai, Socher & Manning 2015, eq. 9-14).

    Each node has `N = arity` ordered child slots `l`, with states
    `(h_l, c_l)` (zeros for a missing child). With `H = [h_1; ...; h_N]`
    and gate blocks `[i, o, u, f_1, ..., f_N]`:

    ```
    i   = σ(x W_i + H U_i + b_i)
    o   = σ(x W_o + H U_o + b_o)
    u   = tanh(x W_u + H U_u + b_u)
    f_l = σ(x W_{f_l} + H U_{f_l} + b_{f_l})    one forget gate per slot
    c   = i ⊙ u + Σ_l f_l ⊙ c_l
    h   = o ⊙ tanh(c)
    ```

    `kernel` is `(features, (3 + N) units)`, `recurrent_kernel` `(N units,
    (3 + N) units)` and `bias` `((3 + N) units,)`.

    Args:
        units: Positive integer, dimensionality of the output space.
        arity: Positive integer, the number of child slots `N`. Default 2.
        **kwargs: As `ChildSumTreeLSTMCell`.

    Call arguments:
        node_inputs: `(M, features)`, the inputs of `M` nodes.
        child_states: `[h, c]`, each `(M, arity, units)`.
        child_mask: Optional bool `(M, arity)`, which children are present.

    Example:

    >>> cell = NaryTreeLSTMCell(4, arity=2)
    >>> children = [np.ones((3, 2, 4), "float32")] * 2
    >>> h, c = cell(np.ones((3, 5), "float32"), children)
    >>> tuple(h.shape), tuple(cell.recurrent_kernel.shape)
    ((3, 4), (8, 20))
    """

    def __init__(self, units, arity=2, **kwargs):
        arity = check_positive_int("arity", arity)
        super().__init__(units, **kwargs)
        self.arity = arity
        self.gate_blocks = 3 + self.arity
        self.recurrent_blocks = self.arity

    def tree_step(self, projected_inputs, child_states, child_mask):
        children_h, children_c = self.masked_children(child_states, child_mask)
        z = projected_inputs + ops.matmul(
            self.concatenated_children(children_h), self.recurrent_kernel
        )
        units = self.units
        forget = self.recurrent_activation(
            ops.reshape(z[:, 3 * units :], (-1, self.arity, units))
        )
        return self.memory_and_output(z[:, : 3 * units], forget, children_c)

    def get_config(self):
        return {**super().get_config(), "arity": self.arity}


@keras.saving.register_keras_serializable(package="rnnzoo")
class TreeRNNCell(TreeCell):
    """Recursive neural network cell (Socher et al. 2011).

    Each node has `N = arity` ordered child slots with outputs `h_l`
    (zeros for a missing child); with `H = [h_1; ...; h_N]`:

    ```
    h = act(x W + H U + b)
    ```

    `kernel` is `(features, units)`, `recurrent_kernel` `(N units, units)`
    and `bias` `(units,)`. The state is `h` alone.

    Args:
        units: Positive integer, dimensionality of the output space.
        arity: Positive integer, the number of child slots `N`. Default 2.
        activation: Activation of `h`. Default `"tanh"`.
        **kwargs: `use_bias` and the initializers, regularizers and
            constraints of `kernel`, `recurrent_kernel` and `bias`.

    Call arguments:
        node_inputs: `(M, features)`, the inputs of `M` nodes.
        child_states: `[h]`, `(M, arity, units)`.
        child_mask: Optional bool `(M, arity)`, which children are present.

    Example:

    >>> cell = TreeRNNCell(4)
    >>> [h] = cell(np.ones((3, 5), "float32"), [np.ones((3, 2, 4), "float32")])
    >>> tuple(h.shape)
    (3, 4)
    """

    def __init__(self, units, arity=2, activation="tanh", **kwargs):
        arity = check_positive_int("arity", arity)
        super().__init__(units, activation=activation, **kwargs)
        self.arity = arity
        self.recurrent_blocks = self.arity

    def tree_step(self, projected_inputs, child_states, child_mask):
        [children_h] = self.masked_children(child_states, child_mask)
        z = projected_inputs + ops.matmul(
            self.concatenated_children(children_h), self.recurrent_kernel
        )
        return [self.activation(z)]

    def leaf_step(self, projected_inputs):
        return [self.activation(projected_inputs)]

    def get_config(self):
        return {**super().get_config(), "arity": self.arity}
