"""Finding the parts of a model that the diagnostics probe (its recurrent
layers, its embedding, its output layer), and swapping an attribute of a
layer for the length of one computation."""

import contextlib

import keras
import numpy as np
from keras import ops

from rnnzoo.validation import check_choice

DIRECTIONS = ("forward", "backward")


def _children(layer):
    if isinstance(layer, keras.Model):
        return list(layer.layers)
    return list(getattr(layer, "_layers", []))


def walk_layers(root):
    """Yields `root` and its nested layers, depth first, in order."""
    seen = set()
    stack = [root]
    while stack:
        layer = stack.pop()
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        yield layer
        stack.extend(reversed(_children(layer)))


def _recurrent_part(layer, direction):
    """The `keras.layers.RNN` that `layer` is or wraps, or `None`."""
    if isinstance(layer, keras.layers.Bidirectional):
        if direction == "forward":
            return layer.forward_layer
        return layer.backward_layer
    if isinstance(layer, keras.layers.RNN):
        return layer
    return None


def find_recurrent_layer(root, layer=None, direction="forward"):
    """Returns the `keras.layers.RNN` of `root` to probe.

    Args:
        root: A model or layer.
        layer: `None` for the first recurrent layer found depth first (a
            `keras.layers.RNN`, including Keras's LSTM/GRU/SimpleRNN and
            rnnzoo's layers, or one direction of a `Bidirectional`), or a
            layer instance, or the name of a layer inside `root`.
        direction: Which half of a `Bidirectional` layer to probe.
    """
    check_choice("direction", direction, DIRECTIONS)
    if isinstance(layer, keras.layers.Layer):
        found = _recurrent_part(layer, direction)
        if found is None:
            raise ValueError(
                "`layer` must be a recurrent layer (a `keras.layers.RNN` "
                "or a `keras.layers.Bidirectional`), got "
                f"layer={type(layer).__name__}({layer.name!r})"
            )
        return found
    if layer is not None and not isinstance(layer, str):
        raise ValueError(
            "`layer` must be None, a layer or a layer name, got "
            f"layer={layer!r}"
        )
    names = []
    for candidate in walk_layers(root):
        found = _recurrent_part(candidate, direction)
        if found is None:
            continue
        names.append(candidate.name)
        if layer is None or layer in (candidate.name, found.name):
            return found
    if layer is None:
        raise ValueError(
            "`model_or_layer` contains no recurrent layer (a "
            "`keras.layers.RNN` such as LSTM, GRU, SimpleRNN or an rnnzoo "
            f"layer), got {type(root).__name__}({root.name!r})"
        )
    raise ValueError(
        f"`layer` must name a recurrent layer of the model, one of {names}, "
        f"got layer={layer!r}"
    )


def find_embedding(model, embedding=None):
    """Returns the model's `keras.layers.Embedding` (the first found depth
    first, the given instance, or the one with the given name), or `None`
    if the model has none and `embedding` is `None`."""
    if isinstance(embedding, keras.layers.Embedding):
        return embedding
    if embedding is not None and not isinstance(embedding, str):
        raise ValueError(
            "`embedding` must be None, a `keras.layers.Embedding` or its "
            f"name, got embedding={embedding!r}"
        )
    names = []
    for layer in walk_layers(model):
        if isinstance(layer, keras.layers.Embedding):
            names.append(layer.name)
            if embedding is None or layer.name == embedding:
                return layer
    if embedding is None:
        return None
    raise ValueError(
        f"`embedding` must name an Embedding layer of the model, one of "
        f"{names}, got embedding={embedding!r}"
    )


def find_masking(model):
    """Returns the model's first `keras.layers.Masking`, or `None`."""
    for layer in walk_layers(model):
        if isinstance(layer, keras.layers.Masking):
            return layer
    return None


def output_layer(model):
    """The layer that produces the model's first output (looking inside a
    nested model that produces it), or `None` for a model without a
    functional graph."""
    layer = model
    while isinstance(layer, keras.Model):
        try:
            outputs = layer.outputs
        except (AttributeError, ValueError):
            return None
        history = (
            getattr(outputs[0], "_keras_history", None) if outputs else None
        )
        if history is None:
            return None
        layer = history.operation
    return layer


@contextlib.contextmanager
def replaced_attribute(target, name, value):
    """Sets `target.name = value` on the instance until the block ends.

    Keras layers track what is assigned to them; the swap bypasses that, so
    the layer's weights and config are untouched.
    """
    had_own = name in vars(target)
    previous = vars(target).get(name)
    object.__setattr__(target, name, value)
    try:
        yield
    finally:
        if had_own:
            object.__setattr__(target, name, previous)
        else:
            object.__delattr__(target, name)


def batch_size_of(inputs) -> int:
    """The leading dimension of the first array in `inputs`."""
    first = keras.tree.flatten(inputs)[0]
    return int(keras.ops.shape(first)[0])


def check_output_is_first_state(layer, output, first_state, tool):
    """Raises unless the cell of `layer` returns, as its output, the first
    entries of its first state: `tool` (the diagnostic's name, for the
    message) reads the hidden state there."""
    units = int(output.shape[-1])
    if first_state.shape[-1] < units or not np.allclose(
        ops.convert_to_numpy(output),
        ops.convert_to_numpy(first_state[:, :units]),
    ):
        raise ValueError(
            f"The cell of layer '{layer.name}' "
            f"({type(layer.cell).__name__}) does not return its hidden "
            "state as the first entries of its first state; "
            f"`{tool}` supports cells that do (every cell of the "
            "rnnzoo registry, Keras's SimpleRNN, LSTM and GRU)"
        )
