"""The private Keras symbols rnnzoo needs, wrapped in one place.

Keras 3 exports no public equivalent of these, and rnnzoo's layers cannot
do without them:

* `DropoutRNNCell`: `keras.layers.RNN` creates per-sequence dropout masks
  only for cells that derive from it (`isinstance` check), so rnnzoo's cells
  must derive from it to get Keras's dropout behaviour.
* `rnn`: the backend's time loop (masking, `go_backwards`, `unroll`, nested
  outputs, XLA-compatible `while_loop`) that `keras.layers.RNN` runs;
  `keras.ops.scan` has no masking or `zero_output_for_mask`.
* `get_keras_mask`: the mask Keras attaches to a tensor (from
  `Embedding(mask_zero=True)` or `Masking`), read by layers that take
  several inputs.
* `set_keras_mask`: attaches a mask to a tensor computed outside a layer
  (the CRF tagger's Viterbi tags, scored by Keras's masked metrics).

Every other module imports them from here, never from `keras.src`. When a
Keras upgrade moves one, importing rnnzoo fails here with an error naming
the symbol, and `tests/layers/test_keras_internals.py` names it too.
"""

import importlib

# (module, name) of every private symbol this module exports.
PRIVATE_SYMBOLS = {
    "DropoutRNNCell": (
        "keras.src.layers.rnn.dropout_rnn_cell",
        "DropoutRNNCell",
    ),
    "rnn": ("keras.src.backend", "rnn"),
    "get_keras_mask": ("keras.src.backend", "get_keras_mask"),
    "set_keras_mask": ("keras.src.backend", "set_keras_mask"),
}


def load_private_symbol(name: str):
    """Returns the private Keras symbol exported here as `name`.

    Raises:
        ImportError: This Keras no longer has the symbol where rnnzoo looks.
    """
    module_name, attribute = PRIVATE_SYMBOLS[name]
    try:
        return getattr(importlib.import_module(module_name), attribute)
    except (ImportError, AttributeError) as error:
        import keras

        raise ImportError(
            f"rnnzoo needs the private Keras symbol `{module_name}."
            f"{attribute}`, which Keras {keras.__version__} does not have "
            "there; update `rnnzoo/layers/keras_internals.py`"
        ) from error


DropoutRNNCell = load_private_symbol("DropoutRNNCell")
rnn = load_private_symbol("rnn")
get_keras_mask = load_private_symbol("get_keras_mask")
set_keras_mask = load_private_symbol("set_keras_mask")
