"""The registry of recurrent cells by name, shared by every architecture,
zoo config and hypermodel."""

import keras

from rnnzoo.layers.coupled_lstm import CoupledLSTM
from rnnzoo.layers.coupled_lstm import CoupledLSTMCell
from rnnzoo.layers.mgu import MGU
from rnnzoo.layers.mgu import MGUCell
from rnnzoo.layers.peephole_lstm import PeepholeLSTM
from rnnzoo.layers.peephole_lstm import PeepholeLSTMCell
from rnnzoo.layers.skip_rnn import SkipRNN
from rnnzoo.layers.skip_rnn import SkipRNNCell

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
}


def cell_names() -> list[str]:
    """Returns the registered cell names, sorted."""
    return sorted(_CELLS)


def register_cell(name: str, cell_class, layer_class, override=False):
    """Adds a cell family to the registry under `name`.

    Args:
        name: The registry name, e.g. `"my_lstm"`.
        cell_class: The one-step cell class, usable in `keras.layers.RNN`.
        layer_class: The sequence layer class, taking `units` first.
        override: Whether an existing name may be replaced.
    """
    if name in _CELLS and not override:
        raise ValueError(
            f"A cell named {name!r} is already registered; pass "
            "`override=True` to replace it."
        )
    _CELLS[name] = (cell_class, layer_class)


def _lookup(name):
    if name not in _CELLS:
        raise ValueError(
            f"Unknown cell name {name!r}; expected one of {cell_names()}"
        )
    return _CELLS[name]


def get_cell(name: str, units: int, /, **kwargs):
    """Creates the one-step cell registered as `name`.

    Args:
        name: A registry name: `"simple"`, `"lstm"`, `"gru"`,
            `"peephole_lstm"`, `"coupled_lstm"`, `"mgu"`, `"skip_rnn"`, or one
            added with `register_cell`.
        units: Dimensionality of the output space.
        **kwargs: Arguments of the cell class.

    Returns:
        A new cell, for `keras.layers.RNN` or a wrapper such as an attention
        decoder.

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
        `"peephole_lstm"` and so on.

    Example:

    >>> layer = get_recurrent_layer("skip_rnn", 8, skip=4,
    ...                             return_sequences=True)
    >>> tuple(layer(np.zeros((2, 12, 3), "float32")).shape)
    (2, 12, 8)
    """
    _, layer_class = _lookup(name)
    return layer_class(units, **kwargs)
