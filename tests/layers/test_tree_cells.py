"""The tree cells and `TreeLSTM` against NumPy recursions written from the
papers' equations (`tests.layers.tree_reference`), finite differences and
the sequence cells a chain reduces to."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from rnnzoo.layers import TreeCell
from rnnzoo.layers import TreeLSTM
from rnnzoo.layers import get_cell
from rnnzoo.layers import tree_recurrence
from tests.layers import random_trees
from tests.layers import tree_reference

UNITS, FEATURES = 4, 3

# test id -> (cell name, cell options, child slots per node)
CASES = {
    "child_sum_tree_lstm": ("child_sum_tree_lstm", {}, 3),
    "nary_tree_lstm-2": ("nary_tree_lstm", {"arity": 2}, 2),
    "nary_tree_lstm-3": ("nary_tree_lstm", {"arity": 3}, 3),
    "tree_rnn-2": ("tree_rnn", {"arity": 2}, 2),
    "tree_rnn-3": ("tree_rnn", {"arity": 3}, 3),
}


@pytest.fixture(params=sorted(CASES))
def case(request):
    return CASES[request.param]


def built_layer(case, rng, return_sequences, dtype="float32"):
    """A `TreeLSTM` of `case` with random weights (no test leans on an
    initializer, e.g. on the forget bias of one)."""
    name, options, slots = case
    layer = TreeLSTM(
        UNITS,
        cell=name,
        return_sequences=return_sequences,
        dtype=dtype,
        **options,
    )
    layer(
        np.zeros((1, 1, FEATURES), dtype),
        np.full((1, 1, slots), -1, "int32"),
    )
    layer.set_weights(
        [rng.normal(scale=0.5, size=w.shape) for w in layer.get_weights()]
    )
    return layer


def reference_outputs(layer, trees, inputs, positions, shape, sequences):
    """What `layer` must return for the batch, from the NumPy recursion."""
    name = layer.cell_name
    weights = [np.asarray(w, "float64") for w in layer.get_weights()]
    expected = np.zeros((*shape, UNITS))
    roots = np.zeros((shape[0], UNITS))
    for b, (tree, tree_inputs, position) in enumerate(
        zip(trees, inputs, positions)
    ):
        outputs = tree_reference.run_tree(name, tree, tree_inputs, *weights)
        expected[b, position] = outputs
        roots[b] = outputs[-1]
    return expected if sequences else roots


@pytest.mark.parametrize("return_sequences", [False, True])
def test_layer_matches_numpy_recursion(case, rng, return_sequences):
    name, _, slots = case
    trees = random_trees.mixed_trees(rng, name, slots)
    node_inputs, children, node_mask, inputs, positions = (
        random_trees.batch_trees(rng, trees, FEATURES)
    )
    layer = built_layer(case, rng, return_sequences)
    expected = reference_outputs(
        layer, trees, inputs, positions, node_mask.shape, return_sequences
    )
    assert np.abs(expected).max() > 0.1
    actual = layer(node_inputs, children, node_mask)
    np.testing.assert_allclose(actual, expected, atol=2e-6)


@pytest.mark.tensorflow_only("tf.function(jit_compile=True)")
def test_layer_matches_numpy_recursion_under_xla(case, rng):
    name, _, slots = case
    trees = random_trees.mixed_trees(rng, name, slots)
    node_inputs, children, node_mask, inputs, positions = (
        random_trees.batch_trees(rng, trees, FEATURES)
    )
    layer = built_layer(case, rng, return_sequences=True)
    compiled = tf.function(layer, jit_compile=True)
    expected = reference_outputs(
        layer, trees, inputs, positions, node_mask.shape, True
    )
    actual = compiled(node_inputs, children, node_mask)
    np.testing.assert_allclose(actual, expected, atol=2e-6)


def test_padding_never_changes_results(case, rng):
    name, _, slots = case
    trees = random_trees.mixed_trees(rng, name, slots)
    layer = built_layer(case, rng, return_sequences=True)
    results = []
    for padded in (False, True):
        batch_rng = np.random.default_rng(5)
        node_inputs, children, node_mask, _, positions = (
            random_trees.batch_trees(
                batch_rng,
                trees,
                FEATURES,
                padding_between=padded,
                garbage=padded,
                extra_nodes=3 if padded else 0,
            )
        )
        outputs = np.asarray(layer(node_inputs, children, node_mask))
        np.testing.assert_array_equal(outputs[~node_mask], 0.0)
        results.append([outputs[b, p] for b, p in enumerate(positions)])
    for clean, padded in zip(*results):
        np.testing.assert_allclose(padded, clean, atol=1e-6)


@pytest.mark.parametrize("window", [1, 2, 5])
def test_levels_split_across_iterations_give_the_same_states(
    monkeypatch, rng, window
):
    case = CASES["nary_tree_lstm-2"]
    trees = random_trees.mixed_trees(rng, "nary_tree_lstm", 2)
    node_inputs, children, node_mask, inputs, positions = (
        random_trees.batch_trees(rng, trees, FEATURES)
    )
    layer = built_layer(case, rng, return_sequences=True)
    monkeypatch.setattr(
        tree_recurrence, "window_size", lambda batch, nodes: window
    )
    expected = reference_outputs(
        layer, trees, inputs, positions, node_mask.shape, True
    )
    np.testing.assert_allclose(
        layer(node_inputs, children, node_mask), expected, atol=2e-6
    )


def test_node_levels_are_the_tree_heights(rng):
    trees = random_trees.mixed_trees(rng, "child_sum_tree_lstm", 3)
    _, children, node_mask, _, positions = random_trees.batch_trees(
        rng, trees, FEATURES
    )
    batch, nodes = node_mask.shape
    flat_children = tree_recurrence.flat_children_indices(
        children, node_mask, batch, nodes
    )
    levels = np.asarray(
        tree_recurrence.node_levels(flat_children, batch * nodes)
    ).reshape(batch, nodes)
    for b, (tree, position) in enumerate(zip(trees, positions)):
        assert list(levels[b, position]) == tree_reference.tree_heights(tree)


def test_cell_call_matches_numpy_node_function(case, rng):
    name, options, slots = case
    cell = get_cell(name, UNITS, **options)
    nodes = 6
    x = rng.normal(size=(nodes, FEATURES)).astype("float32")
    child_mask = rng.random((nodes, slots)) < 0.6
    child_states = [
        rng.normal(size=(nodes, slots, UNITS)).astype("float32")
        for _ in cell.state_size
    ]
    cell(x, child_states, child_mask)
    cell.set_weights(
        [rng.normal(scale=0.5, size=w.shape) for w in cell.get_weights()]
    )
    actual = cell(x, child_states, child_mask)
    weights = [np.asarray(w, "float64") for w in cell.get_weights()]
    node_function = tree_reference.NODE_FUNCTIONS[name]
    for m in range(nodes):
        slot_states = [
            tuple(s[m, k].astype("float64") for s in child_states)
            if child_mask[m, k]
            else None
            for k in range(slots)
        ]
        if name == "child_sum_tree_lstm":
            slot_states = [s for s in slot_states if s is not None]
        expected = node_function(x[m].astype("float64"), slot_states, *weights)
        assert len(actual) == len(expected)
        for a, e in zip(actual, expected):
            np.testing.assert_allclose(a[m], e, atol=2e-6)


def test_leaf_step_is_tree_step_without_children(case, rng):
    name, options, _ = case
    cell = get_cell(name, UNITS, **options)
    cell.build((None, FEATURES))
    cell.set_weights(
        [rng.normal(scale=0.5, size=w.shape) for w in cell.get_weights()]
    )
    x = rng.normal(size=(5, FEATURES)).astype("float32")
    projected = cell.project_inputs(x)
    fast = cell.leaf_step(projected)
    generic = TreeCell.leaf_step(cell, projected)
    for a, e in zip(fast, generic, strict=True):
        np.testing.assert_allclose(a, e, atol=1e-6)


def numpy_loss(layer, trees, inputs, weights, projections):
    """`sum(outputs * projections)` of the batch, from the NumPy recursion."""
    total = 0.0
    for tree, tree_inputs, projection in zip(trees, inputs, projections):
        outputs = tree_reference.run_tree(
            layer.cell_name, tree, tree_inputs, *weights
        )
        total += np.sum(outputs * projection)
    return total


def central_differences(function, array, epsilon=1e-6):
    gradient = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        saved = array[index]
        array[index] = saved + epsilon
        plus = function()
        array[index] = saved - epsilon
        minus = function()
        array[index] = saved
        gradient[index] = (plus - minus) / (2 * epsilon)
    return gradient


@pytest.mark.tensorflow_only("tf.GradientTape; float64 numerics")
def test_gradients_match_finite_differences(case, rng):
    name, _, slots = case
    trees = random_trees.mixed_trees(rng, name, slots)[:4]
    node_inputs, children, node_mask, inputs, positions = (
        random_trees.batch_trees(rng, trees, FEATURES)
    )
    node_inputs = node_inputs.astype("float64")
    for b, position in enumerate(positions):
        node_inputs[b, position] = inputs[b]
    layer = built_layer(case, rng, return_sequences=True, dtype="float64")
    projections = [rng.normal(size=(len(tree), UNITS)) for tree in trees]
    projection = np.zeros((*node_mask.shape, UNITS))
    for b, position in enumerate(positions):
        projection[b, position] = projections[b]

    node_inputs = tf.constant(node_inputs)
    with tf.GradientTape() as tape:
        tape.watch(node_inputs)
        outputs = layer(node_inputs, children, node_mask)
        loss = tf.reduce_sum(outputs * projection)
    *weight_gradients, input_gradient = tape.gradient(
        loss, [*layer.trainable_weights, node_inputs]
    )
    weights = [np.asarray(w, "float64") for w in layer.get_weights()]

    def loss_now():
        return numpy_loss(layer, trees, inputs, weights, projections)

    np.testing.assert_allclose(loss, loss_now(), rtol=1e-12)
    for weight, gradient in zip(weights, weight_gradients):
        expected = central_differences(loss_now, weight)
        assert np.abs(expected).max() > 1e-3
        np.testing.assert_allclose(gradient, expected, rtol=1e-6, atol=1e-8)
    input_gradient = np.asarray(input_gradient)
    for b, position in enumerate(positions):
        expected = central_differences(loss_now, inputs[b])
        np.testing.assert_allclose(
            input_gradient[b, position], expected, rtol=1e-6, atol=1e-8
        )
    np.testing.assert_array_equal(input_gradient[~node_mask], 0.0)


# Keras orders LSTM gate blocks i, f, c, o; the Tree-LSTMs i, o, u, f.
KERAS_LSTM_TO_TREE_LSTM = [0, 3, 2, 1]


def lstm_weights_as_tree_lstm(weights, units):
    return [
        np.concatenate(
            [
                w[..., g * units : (g + 1) * units]
                for g in KERAS_LSTM_TO_TREE_LSTM
            ],
            axis=-1,
        )
        for w in weights
    ]


@pytest.mark.parametrize(
    "name, options",
    [("child_sum_tree_lstm", {}), ("nary_tree_lstm", {"arity": 1})],
)
def test_lstm_chain_is_keras_lstm(rng, name, options):
    batch, steps = 3, 6
    x = rng.normal(size=(batch, steps, FEATURES)).astype("float32")
    children = np.arange(-1, steps - 1).reshape(1, steps, 1)
    children = np.repeat(children, batch, axis=0)
    lstm = keras.layers.LSTM(UNITS, return_sequences=True)
    lstm(x)
    lstm.set_weights(
        [rng.normal(scale=0.5, size=w.shape) for w in lstm.get_weights()]
    )
    tree_layer = TreeLSTM(UNITS, cell=name, return_sequences=True, **options)
    tree_layer(x, children)
    tree_layer.set_weights(lstm_weights_as_tree_lstm(lstm.get_weights(), UNITS))
    expected = np.asarray(lstm(x))
    np.testing.assert_allclose(tree_layer(x, children), expected, atol=1e-5)
    roots = TreeLSTM(UNITS, cell=name, **options)
    roots(x, children)
    roots.set_weights(tree_layer.get_weights())
    np.testing.assert_allclose(roots(x, children), expected[:, -1], atol=1e-5)


def test_tree_rnn_chain_is_keras_simple_rnn(rng):
    batch, steps = 3, 6
    x = rng.normal(size=(batch, steps, FEATURES)).astype("float32")
    children = np.repeat(
        np.arange(-1, steps - 1).reshape(1, steps, 1), batch, axis=0
    )
    simple = keras.layers.SimpleRNN(UNITS, return_sequences=True)
    simple(x)
    simple.set_weights(
        [rng.normal(scale=0.5, size=w.shape) for w in simple.get_weights()]
    )
    tree_layer = TreeLSTM(
        UNITS, cell="tree_rnn", arity=1, return_sequences=True
    )
    tree_layer(x, children)
    tree_layer.set_weights(simple.get_weights())
    np.testing.assert_allclose(tree_layer(x, children), simple(x), atol=1e-5)
