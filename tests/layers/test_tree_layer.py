"""`TreeLSTM` as a Keras layer: training under XLA, `.keras` files,
configs, `tf.distribute`, mixed precision, argument errors, and the tree
cells' place in the cell registry."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from rnnzoo.layers import ChildSumTreeLSTMCell
from rnnzoo.layers import NaryTreeLSTMCell
from rnnzoo.layers import TreeCell
from rnnzoo.layers import TreeLSTM
from rnnzoo.layers import TreeRecurrent
from rnnzoo.layers import TreeRNNCell
from rnnzoo.layers import cell_arguments
from rnnzoo.layers import cell_names
from rnnzoo.layers import get_cell
from rnnzoo.layers import get_recurrent_layer
from rnnzoo.layers import is_keras_cell
from rnnzoo.layers import register_cell
from rnnzoo.layers import tree_cell_names
from rnnzoo.layers import unregister_cell
from tests.layers import random_trees

UNITS, FEATURES = 4, 3
TREE_CELLS = {
    "child_sum_tree_lstm": ChildSumTreeLSTMCell,
    "nary_tree_lstm": NaryTreeLSTMCell,
    "tree_rnn": TreeRNNCell,
}


def binary_batch(rng, count=8):
    trees = [random_trees.binary_tree(rng, int(n)) for n in range(1, count + 1)]
    node_inputs, children, node_mask, *_ = random_trees.batch_trees(
        rng, trees, FEATURES
    )
    return node_inputs, children, node_mask


def tree_model(cell="nary_tree_lstm", **layer_kwargs):
    """Node inputs, children and node mask to one number per tree."""
    node_inputs = keras.Input((None, FEATURES))
    children = keras.Input((None, 2), dtype="int32")
    node_mask = keras.Input((None,), dtype="bool")
    roots = TreeLSTM(UNITS, cell=cell, **layer_kwargs)(
        node_inputs, children, node_mask
    )
    outputs = keras.layers.Dense(1)(roots)
    return keras.Model([node_inputs, children, node_mask], outputs)


@pytest.mark.parametrize(
    "cell",
    [
        "nary_tree_lstm",
        pytest.param("child_sum_tree_lstm", marks=pytest.mark.slow),
        pytest.param("tree_rnn", marks=pytest.mark.slow),
    ],
)
def test_trains_in_fit_under_xla(rng, cell):
    inputs = list(binary_batch(rng))
    targets = rng.normal(size=(8, 1)).astype("float32")
    model = tree_model(cell)
    model.compile(
        optimizer=keras.optimizers.Adam(0.05), loss="mse", jit_compile=True
    )
    history = model.fit(inputs, targets, batch_size=4, epochs=15, verbose=0)
    losses = history.history["loss"]
    assert np.isfinite(losses).all()
    assert losses[-1] < 0.5 * losses[0]


@pytest.mark.parametrize(
    "cell",
    ["child_sum_tree_lstm", NaryTreeLSTMCell(UNITS, arity=2, name="cell")],
    ids=["by-name", "instance"],
)
def test_keras_file_round_trip_gives_identical_outputs(rng, tmp_path, cell):
    model = tree_model(cell, return_sequences=False)
    inputs = list(binary_batch(rng))
    expected = np.asarray(model(inputs))
    path = tmp_path / "tree.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(loaded(inputs), expected)
    assert isinstance(loaded.layers[3], TreeLSTM)


@pytest.mark.parametrize(
    "cell, options",
    [
        (
            "child_sum_tree_lstm",
            {"unit_forget_bias": False, "recurrent_activation": "tanh"},
        ),
        ("nary_tree_lstm", {"arity": 3, "kernel_initializer": "he_normal"}),
        ("tree_rnn", {"arity": 1, "activation": "relu", "use_bias": False}),
    ],
)
def test_config_round_trip(rng, cell, options):
    layer = TreeLSTM(UNITS, cell=cell, return_sequences=True, **options)
    config = layer.get_config()
    assert config["cell"] == cell and config["return_sequences"]
    for key, value in options.items():
        assert config[key] == value or config[key]["class_name"] == "HeNormal"
    clone = TreeLSTM.from_config(config)
    assert clone.get_config() == config
    assert type(clone.cell) is TREE_CELLS[cell]
    slots = options.get("arity", 2)
    trees = [random_trees.random_tree(rng, slots, 3) for _ in range(4)]
    inputs = random_trees.batch_trees(rng, trees, FEATURES)[:3]
    layer(*inputs)
    clone(*inputs)
    clone.set_weights(layer.get_weights())
    np.testing.assert_array_equal(clone(*inputs), layer(*inputs))


def test_config_round_trip_with_a_cell_instance():
    cell = TreeRNNCell(UNITS, arity=3, activation="relu")
    layer = TreeRecurrent(UNITS, cell=cell)
    config = layer.get_config()
    clone = TreeLSTM.from_config(config)
    assert clone.cell_name is None and clone.cell is not cell
    assert clone.cell.get_config() == cell.get_config()


@pytest.mark.tensorflow_only("tf.distribute")
def test_runs_inside_mirrored_strategy(rng):
    strategy = tf.distribute.MirroredStrategy(["/cpu:0"])
    inputs = list(binary_batch(rng))
    targets = rng.normal(size=(8, 1)).astype("float32")
    with strategy.scope():
        model = tree_model()
        model.compile(optimizer="adam", loss="mse")
    before = [np.asarray(w) for w in model.trainable_weights]
    history = model.fit(inputs, targets, batch_size=4, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"]).all()
    after = [np.asarray(w) for w in model.trainable_weights]
    assert any(not np.allclose(a, b) for a, b in zip(after, before))


def test_mixed_precision_computes_in_float16(rng):
    inputs = binary_batch(rng)
    reference = TreeLSTM(UNITS, cell="nary_tree_lstm", return_sequences=True)
    expected = np.asarray(reference(*inputs))
    layer = TreeLSTM(
        UNITS,
        cell="nary_tree_lstm",
        return_sequences=True,
        dtype="mixed_float16",
    )
    layer(*inputs)
    layer.set_weights(reference.get_weights())
    outputs = layer(*inputs)
    assert keras.backend.standardize_dtype(outputs.dtype) == "float16"
    assert layer.cell.kernel.dtype == "float32"
    np.testing.assert_allclose(outputs, expected, atol=5e-3)


def test_layer_exposes_its_cell():
    layer = TreeLSTM(UNITS, cell="nary_tree_lstm", arity=3)
    layer(np.zeros((1, 2, FEATURES)), np.full((1, 2, 3), -1))
    assert layer.arity == 3 and layer.kernel is layer.cell.kernel
    assert tuple(layer.recurrent_kernel.shape) == (3 * UNITS, 6 * UNITS)
    assert tuple(layer.bias.shape) == (6 * UNITS,)
    assert TreeRecurrent is TreeLSTM


# Registry.


def test_tree_cells_are_registered_apart_from_sequence_cells():
    assert tree_cell_names() == sorted(TREE_CELLS)
    for name, cell_class in TREE_CELLS.items():
        assert name not in cell_names()
        assert name not in cell_names(keras_cells=False)
        assert not is_keras_cell(name)
        cell = get_cell(name, 5)
        assert type(cell) is cell_class and cell.units == 5
        layer = get_recurrent_layer(name, 5, return_sequences=True)
        assert type(layer) is TreeLSTM and type(layer.cell) is cell_class
        assert layer.return_sequences and layer.cell_name == name
    assert get_recurrent_layer("tree_rnn", 5, arity=4).arity == 4
    assert "arity" in cell_arguments("nary_tree_lstm")
    assert "arity" not in cell_arguments("child_sum_tree_lstm")


def test_register_cell_refuses_to_replace_a_tree_cell():
    with pytest.raises(ValueError, match="already registered"):
        register_cell("tree_rnn", TreeRNNCell, TreeLSTM)


class ThrowawayTreeCell(TreeRNNCell):
    """A tree cell registered for one test only."""


def test_a_registered_tree_cell_runs_in_the_tree_layer(rng):
    register_cell("throwaway_tree", ThrowawayTreeCell, TreeLSTM)
    try:
        assert "throwaway_tree" in tree_cell_names()
        assert "throwaway_tree" not in cell_names()
        layer = TreeLSTM(UNITS, cell="throwaway_tree")
        assert type(layer.cell) is ThrowawayTreeCell
        assert tuple(layer(*binary_batch(rng)).shape) == (8, UNITS)
    finally:
        unregister_cell("throwaway_tree")
    assert "throwaway_tree" not in tree_cell_names()


# Argument errors.


@pytest.mark.parametrize(
    "make, message",
    [
        (
            lambda: TreeLSTM(0),
            "`units` must be a positive integer, got units=0",
        ),
        (lambda: ChildSumTreeLSTMCell(-2), "got units=-2"),
        (
            lambda: TreeLSTM(4, cell="nary_tree_lstm", arity=0),
            "`arity` must be a positive integer, got arity=0",
        ),
        (lambda: TreeRNNCell(4, arity=1.5), "got arity=1.5"),
        (lambda: TreeLSTM(4, cell="lstm"), "Unknown tree-cell name 'lstm'"),
        (
            lambda: TreeLSTM(4, cell=keras.layers.LSTMCell(4)),
            "`cell` must be a registered tree-cell name or a tree cell",
        ),
        (
            lambda: TreeLSTM(4, cell=TreeRNNCell(5)),
            "units=4, got a cell with units=5",
        ),
        (
            lambda: TreeLSTM(4, return_sequences="yes"),
            "`return_sequences` must be a bool",
        ),
    ],
)
def test_bad_arguments_are_named(make, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        make()


def test_unknown_arguments_are_refused():
    with pytest.raises((TypeError, ValueError), match="arity"):
        TreeLSTM(4, cell="child_sum_tree_lstm", arity=2)


@pytest.mark.parametrize(
    "node_inputs_shape, children_shape, mask_shape, message",
    [
        ((2, 5), (2, 5, 2), None, "`node_inputs` of rank 3"),
        ((2, 5, 3), (2, 5), None, "`children` of rank 3"),
        ((2, 5, 3), (2, 4, 2), None, "same number of nodes"),
        ((2, 5, 3), (3, 5, 2), None, "same batch size"),
        ((2, 5, 3), (2, 5, 2), (2, 5, 1), "`node_mask` of rank 2"),
        ((2, 5, 3), (2, 5, 2), (2, 6), "same number of nodes"),
        ((2, 5, 3), (2, 5, 3), None, "arity=2 expects 2 child slots"),
        ((2, 5, 3), (2, 5, 0), None, "at least one child slot"),
    ],
)
def test_bad_inputs_are_named(
    node_inputs_shape, children_shape, mask_shape, message
):
    layer = TreeLSTM(UNITS, cell="nary_tree_lstm")
    node_inputs = np.zeros(node_inputs_shape, "float32")
    children = np.full(children_shape, -1, "int32")
    arguments = [node_inputs, children]
    if mask_shape is not None:
        arguments.append(np.ones(mask_shape, bool))
    with pytest.raises(ValueError, match=message):
        layer(*arguments)


def test_float_children_are_refused():
    layer = TreeLSTM(UNITS)
    with pytest.raises(ValueError, match="integer `children`.*float32"):
        layer(np.zeros((2, 5, 3), "float32"), np.zeros((2, 5, 2), "float32"))


def test_a_tree_cell_is_a_tree_cell():
    for cell_class in TREE_CELLS.values():
        assert issubclass(cell_class, TreeCell)
