"""Pure-NumPy references of rnnzoo's tree cells, written from the papers.

A tree is a list of nodes in post-order; node `n` is the list of its child
slots, each a node index or `None` (a missing child). Each reference is a
plain recursion from the root (the last node): a node's states are computed
from its children's, computed first by the same function. Weights use the
layout of `rnnzoo.layers.tree_cells` (gate blocks in the order of each
docstring). Work is done in the dtype of the arguments (float64 for finite
differences).

This module deliberately does not import rnnzoo, Keras or TensorFlow.
"""

import numpy as np

from tests.layers.numpy_reference import sigmoid


def _blocks(matrix, count):
    width = matrix.shape[-1] // count
    return [matrix[..., g * width : (g + 1) * width] for g in range(count)]


def child_sum_tree_lstm_node(
    x, children_states, kernel, recurrent_kernel, bias
):
    """One node of the child-sum Tree-LSTM (Tai et al. 2015, eq. 2-8),
    gate blocks [i, o, u, f]; `children_states` is a list of `(h_k, c_k)`
    of the children present.

        h~  = sum_k h_k
        i   = sigmoid(x W_i + h~ U_i + b_i)
        o   = sigmoid(x W_o + h~ U_o + b_o)
        u   = tanh(x W_u + h~ U_u + b_u)
        f_k = sigmoid(x W_f + h_k U_f + b_f)
        c   = i * u + sum_k f_k * c_k
        h   = o * tanh(c)
    """
    units = recurrent_kernel.shape[0]
    W_i, W_o, W_u, W_f = _blocks(kernel, 4)
    U_i, U_o, U_u, U_f = _blocks(recurrent_kernel, 4)
    b_i, b_o, b_u, b_f = _blocks(bias, 4)
    h_sum = np.zeros(units, x.dtype)
    for h_k, _ in children_states:
        h_sum = h_sum + h_k
    i = sigmoid(x @ W_i + h_sum @ U_i + b_i)
    o = sigmoid(x @ W_o + h_sum @ U_o + b_o)
    u = np.tanh(x @ W_u + h_sum @ U_u + b_u)
    c = i * u
    for h_k, c_k in children_states:
        f_k = sigmoid(x @ W_f + h_k @ U_f + b_f)
        c = c + f_k * c_k
    return np.tanh(c) * o, c


def nary_tree_lstm_node(x, slot_states, kernel, recurrent_kernel, bias):
    """One node of the N-ary Tree-LSTM (Tai et al. 2015, eq. 9-14), gate
    blocks [i, o, u, f_1..f_N]; `slot_states` has one `(h_l, c_l)` per slot,
    `None` for a missing child (zero states).

        H   = [h_1; ...; h_N]
        i   = sigmoid(x W_i + H U_i + b_i), o and u (tanh) alike
        f_l = sigmoid(x W_{f_l} + H U_{f_l} + b_{f_l})
        c   = i * u + sum_l f_l * c_l
        h   = o * tanh(c)
    """
    arity = len(slot_states)
    units = recurrent_kernel.shape[0] // arity
    zero = np.zeros(units, x.dtype)
    hs = [zero if s is None else s[0] for s in slot_states]
    cs = [zero if s is None else s[1] for s in slot_states]
    W = _blocks(kernel, 3 + arity)
    b = _blocks(bias, 3 + arity)
    # U[g][slot]: the rows of `slot` in gate block g.
    U = [
        [block[k * units : (k + 1) * units] for k in range(arity)]
        for block in _blocks(recurrent_kernel, 3 + arity)
    ]

    def pre_activation(g):
        total = x @ W[g] + b[g]
        for slot in range(arity):
            total = total + hs[slot] @ U[g][slot]
        return total

    i = sigmoid(pre_activation(0))
    o = sigmoid(pre_activation(1))
    u = np.tanh(pre_activation(2))
    c = i * u
    for slot in range(arity):
        c = c + sigmoid(pre_activation(3 + slot)) * cs[slot]
    return np.tanh(c) * o, c


def tree_rnn_node(x, slot_states, kernel, recurrent_kernel, bias):
    """One node of the recursive neural network (Socher et al. 2011):
    `h = tanh(x W + sum_l h_l U_l + b)`, `U_l` the rows of slot `l`;
    `slot_states` has one `(h_l,)` per slot, `None` for a missing child."""
    arity = len(slot_states)
    units = recurrent_kernel.shape[0] // arity
    total = x @ kernel + bias
    for slot, state in enumerate(slot_states):
        if state is not None:
            rows = recurrent_kernel[slot * units : (slot + 1) * units]
            total = total + state[0] @ rows
    return (np.tanh(total),)


NODE_FUNCTIONS = {
    "child_sum_tree_lstm": child_sum_tree_lstm_node,
    "nary_tree_lstm": nary_tree_lstm_node,
    "tree_rnn": tree_rnn_node,
}


def run_tree(name, tree, inputs, kernel, recurrent_kernel, bias):
    """Every node's output `h` `(len(tree), units)`, by recursion from the
    root (the last node) of `tree`; `inputs` `(len(tree), features)`."""
    node_function = NODE_FUNCTIONS[name]
    states = {}

    def evaluate(node):
        slots = [None if k is None else evaluate(k) for k in tree[node]]
        if name == "child_sum_tree_lstm":
            # Child-sum: the children present, in any number.
            slots = [s for s in slots if s is not None]
        states[node] = node_function(
            inputs[node], slots, kernel, recurrent_kernel, bias
        )
        return states[node]

    evaluate(len(tree) - 1)
    assert len(states) == len(tree), "a node is not below the root"
    return np.stack([states[n][0] for n in range(len(tree))])


def tree_heights(tree):
    """Each node's height (0 for a leaf), by recursion from the root."""
    heights = {}

    def height(node):
        kids = [height(k) for k in tree[node] if k is not None]
        heights[node] = 1 + max(kids) if kids else 0
        return heights[node]

    height(len(tree) - 1)
    return [heights[n] for n in range(len(tree))]
