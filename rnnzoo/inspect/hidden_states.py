"""Hidden states and gate activations of a recurrent layer at every step,
and the units whose activity follows a signal of the input (Karpathy,
Johnson & Fei-Fei 2015, "Visualizing and understanding recurrent
networks": units that track quotes or the position in a line)."""

import dataclasses

import keras
import numpy as np
from keras import ops

from rnnzoo.inspect._gates import gate_activations
from rnnzoo.inspect._gates import has_cell_state
from rnnzoo.inspect._model_parts import check_output_is_first_state
from rnnzoo.inspect._model_parts import find_recurrent_layer
from rnnzoo.inspect._model_parts import replaced_attribute
from rnnzoo.inspect._sequences import prepare_sequences
from rnnzoo.inspect._sequences import stateless
from rnnzoo.models.raw_inputs import describe


@dataclasses.dataclass
class HiddenStates:
    """What `hidden_states` recorded in one recurrent layer.

    Arrays are `(T, units)` for one sequence and `(batch, T, units)` for a
    batch, in input order (step `t` of the backward half of a
    `Bidirectional` layer is the state after it read position `t`, coming
    from the end), NaN at padded (masked) steps.

    Attributes:
        states: The hidden state (the output) `h_t` after every step.
        cell_states: An LSTM's cell state `c_t` (Keras's LSTM, the peephole
            and the coupled LSTM), else `None`.
        gates: The gate activations of every step by name: `"input"`,
            `"forget"`, `"output"` and `"candidate"` for the LSTMs (the
            coupled LSTM's input gate is `1 - forget`), `"update"`,
            `"reset"` and `"candidate"` for a GRU, `"forget"` and
            `"candidate"` for an MGU; `{}` for cells without gates.
        tokens: The tokens of every step (a list, or one per sequence), or
            `None` for feature inputs.
        lengths: The real steps of the sequence (an int) or of each.
        layer_name: The probed layer's name.
        direction: `"forward"` or `"backward"`.
    """

    states: np.ndarray
    cell_states: np.ndarray | None
    gates: dict
    tokens: list | None
    lengths: np.ndarray | int
    layer_name: str
    direction: str

    @property
    def components(self) -> list[str]:
        """The names `values` takes: `"hidden"`, `"cell"` (LSTMs) and the
        gates."""
        cell = ["cell"] if self.cell_states is not None else []
        return ["hidden", *cell, *self.gates]

    def values(self, component: str = "hidden") -> np.ndarray:
        """The hidden states, the cell states or one gate, by name (see
        `components`)."""
        if component == "hidden":
            return self.states
        if component == "cell" and self.cell_states is not None:
            return self.cell_states
        if component in self.gates:
            return self.gates[component]
        raise ValueError(
            f"`component` must be one of {self.components} for layer "
            f"'{self.layer_name}', got component={component!r}"
        )


class _RecordedCall:
    """Stands in for an `RNN`'s `inner_loop`: records what the layer's
    loop receives (its input sequence, initial states and mask) and runs
    the loop, so the model computes as always."""

    def __init__(self, layer):
        self.layer = layer
        self.run = layer.inner_loop
        self.calls = []

    def __call__(self, sequences, initial_state, mask, training=False):
        self.calls.append((sequences, list(initial_state), mask))
        return self.run(sequences, initial_state, mask, training=training)


def _step_through(layer, sequences, initial_state, mask):
    """Runs the layer's cell over the sequence in its reading order;
    returns the sequence (in that order), the states before and after
    every step, as lists of `(batch, T, width)` tensors, the mask and the
    number of units."""
    if any(keras.tree.is_nested(state) for state in initial_state):
        raise ValueError(
            f"Layer '{layer.name}' has nested states (stacked cells); "
            "`hidden_states` needs a cell with a flat list of states"
        )
    if isinstance(mask, (list, tuple)):
        mask = mask[0]
    if layer.go_backwards:
        sequences = ops.flip(sequences, axis=1)
        mask = None if mask is None else ops.flip(mask, axis=1)
    mask = None if mask is None else ops.cast(mask, "bool")
    states = list(initial_state)
    before, after = [], []
    for t in range(int(sequences.shape[1])):
        output, new_states = layer.cell(sequences[:, t], states, training=False)
        new_states = list(keras.tree.flatten(new_states))
        if t == 0:
            check_output_is_first_state(
                layer, output, new_states[0], "hidden_states"
            )
            units = int(output.shape[-1])
        if mask is not None:
            new_states = [
                ops.where(mask[:, t : t + 1], new, old)
                for new, old in zip(new_states, states)
            ]
        before.append(states)
        after.append(new_states)
        states = new_states

    def stacked(steps):
        return [ops.stack(parts, axis=1) for parts in zip(*steps)]

    return sequences, stacked(before), stacked(after), mask, units


def hidden_states(
    model_or_layer,
    inputs,
    layer=None,
    *,
    direction: str = "forward",
) -> HiddenStates:
    """Every step's hidden state (and cell state, and gate activations) in
    one recurrent layer of a model.

    The model runs once in inference mode (a stateful one from zero
    states, its carried states left as they were) while the layer's input
    sequence is recorded; the layer's cell then runs over it step by step,
    as the layer does, keeping every state. The gates of Keras's LSTM and
    GRU and of rnnzoo's peephole LSTM, coupled LSTM and MGU follow from
    the cell's weights, the input and the states before each step.

    Args:
        model_or_layer: A `keras.Model` (a published model takes raw text)
            or a recurrent layer (a `keras.layers.RNN`, Keras's LSTM, GRU
            or SimpleRNN, an rnnzoo layer, or a `Bidirectional`).
        inputs: One sequence (a string, token ids `(T,)` or features `(T,
            features)`) or a batch (a list of strings, ids `(batch, T)`
            padded on the right with 0, features `(batch, T, features)`).
            A layer takes features.
        layer: The recurrent layer to probe, an instance or a name;
            default the first one found depth first (for rnnzoo's models
            the first layer of the recurrent stack).
        direction: For a `Bidirectional` layer, `"forward"` (default) or
            `"backward"`.

    Returns:
        A `HiddenStates` with `states` `(T, units)` for one sequence or
        `(batch, T, units)` for a batch, and the gates likewise.

    Example:

    >>> model = SequenceClassifier(num_classes=2, vocab_size=10, units=4)
    >>> result = hidden_states(model, np.array([3, 7, 2]))
    >>> result.states.shape, result.cell_states.shape, sorted(result.gates)
    ((3, 4), (3, 4), ['candidate', 'forget', 'input', 'output'])
    """
    if isinstance(model_or_layer, keras.Model):
        sequences = prepare_sequences(model_or_layer, inputs)
        runner, batch = sequences.model, sequences.inputs
        single, tokens = sequences.single, sequences.tokens
        lengths = sequences.lengths
    elif isinstance(model_or_layer, keras.layers.Layer):
        runner, batch, single = model_or_layer, _features(inputs), False
        if batch.ndim == 2:
            batch, single = batch[None], True
        tokens, lengths = None, np.full(len(batch), batch.shape[1])
    else:
        raise ValueError(
            "`model_or_layer` must be a keras.Model or a recurrent layer, "
            f"got model_or_layer={model_or_layer!r}"
        )
    recurrent = find_recurrent_layer(runner, layer, direction)
    record = _RecordedCall(recurrent)
    with stateless(runner), replaced_attribute(recurrent, "inner_loop", record):
        runner(batch, training=False)
    if len(record.calls) != 1:
        raise ValueError(
            f"Layer '{recurrent.name}' ran {len(record.calls)} times when "
            "the model was called on `inputs`; `hidden_states` probes a "
            "layer that runs once"
        )
    sequences_in, before, after, mask, units = _step_through(
        recurrent, *record.calls[0]
    )
    cell = recurrent.cell
    arrays = {"states": after[0][..., :units]}
    if has_cell_state(cell):
        arrays["cell_states"] = after[1]
    gates = gate_activations(cell, sequences_in, before)
    arrays.update({f"gate:{name}": value for name, value in gates.items()})
    mask = None if mask is None else ops.convert_to_numpy(mask)
    results = {}
    for name, value in arrays.items():
        value = np.asarray(ops.convert_to_numpy(value), dtype="float64")
        if mask is not None:
            value = np.where(mask[..., None], value, np.nan)
        if recurrent.go_backwards:
            value = value[:, ::-1]
        results[name] = value[0] if single else value
    if tokens is not None:
        tokens = tokens[0] if single else tokens
    lengths = lengths.astype(int)
    return HiddenStates(
        states=results["states"],
        cell_states=results.get("cell_states"),
        gates={
            name[len("gate:") :]: value
            for name, value in results.items()
            if name.startswith("gate:")
        },
        tokens=tokens,
        lengths=int(lengths[0]) if single else lengths,
        layer_name=recurrent.name,
        direction=direction,
    )


def _features(inputs):
    values = np.asarray(ops.convert_to_numpy(inputs))
    if values.dtype.kind not in "fiu" or values.ndim not in (2, 3):
        raise ValueError(
            "A recurrent layer takes features (T, features) or (batch, T, "
            f"features), got `inputs` as {describe(values)}"
        )
    return values.astype("float32")
