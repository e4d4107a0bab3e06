"""The registry of recurrent cells by name, shared by every architecture,
zoo config and hypermodel: the one list of cells that the tests, the
benchmarks, the tuning space and the demo read.

Cells come in two kinds: sequence cells (`cell_names()`), which run over
sequences, and tree cells (`tree_cell_names()`), which run over trees with
`rnnzoo.layers.TreeLSTM`. `get_cell` and `get_recurrent_layer` build
either kind by name.
"""

import keras

from rnnzoo.layers.base import constructor_arguments
from rnnzoo.layers.coupled_lstm import CoupledLSTM
from rnnzoo.layers.coupled_lstm import CoupledLSTMCell
from rnnzoo.layers.esn import ESN
from rnnzoo.layers.esn import ESNCell
from rnnzoo.layers.layer_norm_rnn import LayerNormLSTM
from rnnzoo.layers.layer_norm_rnn import LayerNormLSTMCell
from rnnzoo.layers.layer_norm_rnn import LayerNormSimpleRNN
from rnnzoo.layers.layer_norm_rnn import LayerNormSimpleRNNCell
from rnnzoo.layers.mgu import MGU
from rnnzoo.layers.mgu import MGUCell
from rnnzoo.layers.nas import NAS
from rnnzoo.layers.nas import NASCell
from rnnzoo.layers.peephole_lstm import PeepholeLSTM
from rnnzoo.layers.peephole_lstm import PeepholeLSTMCell
from rnnzoo.layers.skip_rnn import SkipRNN
from rnnzoo.layers.skip_rnn import SkipRNNCell
from rnnzoo.layers.tree_cell_base import TreeCell
from rnnzoo.layers.tree_cells import ChildSumTreeLSTMCell
from rnnzoo.layers.tree_cells import NaryTreeLSTMCell
from rnnzoo.layers.tree_cells import TreeRNNCell
from rnnzoo.layers.tree_layer import TreeLSTM

# name -> (cell class, sequence layer class). Keras's own LSTM and GRU stay
# Keras's, so their cuDNN kernels remain available on GPU.
_CELLS = {
    "simple": (keras.layers.SimpleRNNCell, keras.layers.SimpleRNN),
    "lstm": (keras.layers.LSTMCell, keras.layers.LSTM),
    "gru": (keras.layers.GRUCell, keras.layers.GRU),
    "peephole_lstm": (PeepholeLSTMCell, PeepholeLSTM),
    "coupled_lstm": (CoupledLSTMCell, CoupledLSTM),
    "mgu": (MGUCell, MGU),
    "skip_rnn": (SkipRNNCell, SkipRNN),
    "layer_norm_lstm": (LayerNormLSTMCell, LayerNormLSTM),
    "layer_norm_simple_rnn": (LayerNormSimpleRNNCell, LayerNormSimpleRNN),
    "esn": (ESNCell, ESN),
    "nas": (NASCell, NAS),
}

# The tree cells, name -> (cell class, tree layer class). Kept apart from
# `_CELLS`: `cell_names()` lists sequence cells only. A tree layer class
# takes `units` first and the cell's name as `cell=`.
_TREE_CELLS = {
    "child_sum_tree_lstm": (ChildSumTreeLSTMCell, TreeLSTM),
    "nary_tree_lstm": (NaryTreeLSTMCell, TreeLSTM),
    "tree_rnn": (TreeRNNCell, TreeLSTM),
}


def is_keras_cell(name: str) -> bool:
    """Whether `name` is one of Keras's own cells (`"lstm"`, `"gru"`,
    `"simple"`), as opposed to one of rnnzoo's or a user's."""
    cell_class, _ = _lookup(name)
    return cell_class.__module__.split(".")[0] == "keras"


def cell_names(keras_cells: bool = True) -> list[str]:
    """Returns the registered cell names, sorted.

    Args:
        keras_cells: Whether to include Keras's own cells (see
            `is_keras_cell`). Default `True`.

    Example:

    >>> "lstm" in cell_names(), "lstm" in cell_names(keras_cells=False)
    (True, False)
    """
    return sorted(
        name for name in _CELLS if keras_cells or not is_keras_cell(name)
    )


def tree_cell_names() -> list[str]:
    """Returns the registered tree-cell names, sorted (see `TreeLSTM`).

    Example:

    >>> tree_cell_names()[:2]
    ['child_sum_tree_lstm', 'nary_tree_lstm']
    >>> "child_sum_tree_lstm" in cell_names()
    False
    """
    return sorted(_TREE_CELLS)


def tree_cell_class(name: str):
    """The class of the tree cell registered as `name`.

    Raises:
        ValueError: No tree cell is registered as `name`.
    """
    if name not in _TREE_CELLS:
        raise ValueError(
            f"Unknown tree-cell name {name!r}; expected one of "
            f"{tree_cell_names()}"
        )
    return _TREE_CELLS[name][0]


def cells_taking(argument: str) -> list[str]:
    """The registered cell names whose cells take `argument`, sorted.

    Example:

    >>> cells_taking("skip")
    ['skip_rnn']
    """
    return [name for name in cell_names() if argument in cell_arguments(name)]


def cell_arguments(name: str) -> set[str]:
    """The names of the arguments the cell registered as `name` accepts.

    Example:

    >>> "skip" in cell_arguments("skip_rnn"), "skip" in cell_arguments("gru")
    (True, False)
    """
    cell_class, _ = _lookup(name)
    return constructor_arguments(cell_class)


def register_cell(name: str, cell_class, layer_class, override=False):
    """Adds a cell family to the registry under `name`.

    A tree cell (a subclass of `rnnzoo.layers.TreeCell`) joins
    `tree_cell_names()`, any other cell `cell_names()`.

    Args:
        name: The registry name, e.g. `"my_lstm"`.
        cell_class: The one-step cell class, usable in `keras.layers.RNN`,
            or a tree cell class.
        layer_class: The sequence layer class, taking `units` first; for a
            tree cell, the tree layer class, taking `units` first and the
            cell's name as `cell=` (e.g. `TreeLSTM`).
        override: Whether an existing name may be replaced.
    """
    if (name in _CELLS or name in _TREE_CELLS) and not override:
        raise ValueError(
            f"A cell named {name!r} is already registered; pass "
            "`override=True` to replace it."
        )
    _CELLS.pop(name, None)
    _TREE_CELLS.pop(name, None)
    is_tree = isinstance(cell_class, type) and issubclass(cell_class, TreeCell)
    registry = _TREE_CELLS if is_tree else _CELLS
    registry[name] = (cell_class, layer_class)


def unregister_cell(name: str):
    """Removes the cell family registered as `name` (e.g. one a test added).

    Raises:
        ValueError: No cell is registered as `name`.
    """
    _lookup(name)
    _CELLS.pop(name, None)
    _TREE_CELLS.pop(name, None)


def _lookup(name):
    if name in _TREE_CELLS:
        return _TREE_CELLS[name]
    if name not in _CELLS:
        raise ValueError(
            f"Unknown cell name {name!r}; expected one of {cell_names()} "
            f"or a tree cell, one of {tree_cell_names()}"
        )
    return _CELLS[name]


def get_cell(name: str, units: int, /, **kwargs):
    """Creates the one-step cell registered as `name`.

    Args:
        name: A registry name, one of `cell_names()` or
            `tree_cell_names()` (including those added with
            `register_cell`).
        units: Dimensionality of the output space.
        **kwargs: Arguments of the cell class.

    Returns:
        A new cell, for `keras.layers.RNN` or a wrapper such as an attention
        decoder; or a tree cell, for `TreeLSTM`.

    Example:

    >>> cell = get_cell("mgu", 16, dropout=0.1)
    >>> tuple(keras.layers.RNN(cell)(np.zeros((2, 5, 3), "float32")).shape)
    (2, 16)
    """
    cell_class, _ = _lookup(name)
    return cell_class(units, **kwargs)


def get_recurrent_layer(name: str, units: int, /, **kwargs):
    """Creates the sequence layer registered as `name`.

    Args:
        name: A registry name (see `get_cell`).
        units: Dimensionality of the output space.
        **kwargs: Arguments of the layer class, e.g. `return_sequences`,
            `dropout` or `skip`.

    Returns:
        A new layer, `keras.layers.LSTM` for `"lstm"`, `PeepholeLSTM` for
        `"peephole_lstm"` and so on; for a tree cell, its tree layer
        running it (`TreeLSTM(units, cell=name, **kwargs)`).

    Example:

    >>> layer = get_recurrent_layer("skip_rnn", 8, skip=4,
    ...                             return_sequences=True)
    >>> tuple(layer(np.zeros((2, 12, 3), "float32")).shape)
    (2, 12, 8)
    """
    _, layer_class = _lookup(name)
    if name in _TREE_CELLS:
        return layer_class(units, cell=name, **kwargs)
    return layer_class(units, **kwargs)
