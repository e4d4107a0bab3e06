"""`hidden_states`: the states equal the layer's own output sequence, and
the gates and cell states equal a NumPy recurrence written from each
cell's equations."""

import keras
import numpy as np
import pytest

from rnnzoo.inspect import hidden_states
from rnnzoo.layers import cell_names
from rnnzoo.models import LanguageModel
from rnnzoo.models import SequenceClassifier
from tests.inspect import gate_reference

VOCAB_SIZE = 12
IDS = np.array(
    [[3, 7, 1, 9, 4, 11, 2], [5, 5, 8, 0, 0, 0, 0], [10, 2, 6, 3, 1, 0, 0]],
    "int32",
)
MASK = IDS != 0


def randomize(layer, rng, scale=0.6):
    """Random weights everywhere (zero biases would hide bias bugs)."""
    for weight in layer.weights:
        weight.assign(rng.normal(scale=scale, size=weight.shape))


def classifier(cell, rng, bidirectional=False, **cell_kwargs):
    model = SequenceClassifier(
        num_classes=2,
        cell=cell,
        units=4,
        vocab_size=VOCAB_SIZE,
        embedding_dim=3,
        bidirectional=bidirectional,
        cell_kwargs=cell_kwargs or None,
    )
    randomize(model, rng)
    return model


def embedded(model):
    return np.asarray(model.get_layer("token_embedding").embeddings)[IDS]


def first_layer(model):
    return model.get_layer("recurrent_stack").recurrent_layers[0]


def assert_on_real_steps(actual, expected, atol=2e-6):
    """Equal at the real steps, NaN at the padded ones."""
    assert actual.shape == expected.shape
    np.testing.assert_allclose(actual[MASK], expected[MASK], atol=atol)
    assert np.all(np.isnan(actual[~MASK]))


CELL_CASES = {
    "simple": ("simple", {}),
    "lstm": ("lstm", {}),
    "gru": ("gru", {}),
    "peephole_lstm": ("peephole_lstm", {}),
    "coupled_lstm": ("coupled_lstm", {}),
    "coupled_lstm-peepholes": ("coupled_lstm", {"use_peepholes": True}),
    "mgu": ("mgu", {}),
    "skip_rnn": ("skip_rnn", {"skip": 3}),
    "layer_norm_lstm": ("layer_norm_lstm", {}),
    "layer_norm_simple_rnn": ("layer_norm_simple_rnn", {}),
    "esn": ("esn", {"connectivity": 0.5}),
    "nas": ("nas", {"use_bias": True}),
}


def test_every_registered_cell_is_a_case():
    assert {name for name, _ in CELL_CASES.values()} == set(cell_names())


@pytest.mark.parametrize("case", CELL_CASES)
def test_states_equal_the_layer_output_sequence(case, rng):
    cell, options = CELL_CASES[case]
    model = classifier(cell, rng, **options)
    layer = first_layer(model)
    outputs = np.asarray(layer(embedded(model), mask=MASK)[0])
    result = hidden_states(model, IDS)
    assert result.layer_name == layer.name
    assert_on_real_steps(result.states, outputs)
    assert result.lengths.tolist() == [7, 3, 5]


@pytest.mark.parametrize("cell", ["lstm", "mgu", "skip_rnn"])
def test_bidirectional_halves_in_input_order(cell, rng):
    options = {"skip": 2} if cell == "skip_rnn" else {}
    model = classifier(cell, rng, bidirectional=True, **options)
    outputs = np.asarray(first_layer(model)(embedded(model), mask=MASK)[0])
    forward = hidden_states(model, IDS)
    backward = hidden_states(model, IDS, direction="backward")
    assert backward.direction == "backward"
    assert_on_real_steps(forward.states, outputs[..., :4])
    assert_on_real_steps(backward.states, outputs[..., 4:])
    # The backward half has read the whole sequence at its first step.
    assert not np.allclose(forward.states[:, 0], backward.states[:, 0])


def reference(case, model):
    """The NumPy recurrence of the first layer's cell on the embedded ids."""
    layer = first_layer(model)
    cell = layer.cell
    x = embedded(model).astype("float64")
    weights = [
        np.asarray(cell.kernel, "float64"),
        np.asarray(cell.recurrent_kernel, "float64"),
        np.asarray(cell.bias, "float64"),
    ]
    if case == "lstm":
        return gate_reference.lstm(x, *weights, mask=MASK)
    if case.startswith("gru"):
        return gate_reference.gru(x, *weights, cell.reset_after, mask=MASK)
    if case == "peephole_lstm":
        peepholes = [
            np.asarray(getattr(cell, f"{gate}_peephole"), "float64")
            for gate in ("input", "forget", "output")
        ]
        return gate_reference.peephole_lstm(x, *weights, peepholes, MASK)
    if case == "coupled_lstm":
        return gate_reference.coupled_lstm(x, *weights, mask=MASK)
    return gate_reference.mgu(x, *weights, mask=MASK)


GATED_CASES = {
    "lstm": ("lstm", {}),
    "gru": ("gru", {}),
    "gru-reset_before": ("gru", {"reset_after": False}),
    "peephole_lstm": ("peephole_lstm", {}),
    "coupled_lstm": ("coupled_lstm", {}),
    "mgu": ("mgu", {}),
}


@pytest.mark.parametrize("case", GATED_CASES)
def test_gates_and_cell_states_match_numpy(case, rng):
    cell, options = GATED_CASES[case]
    model = classifier(cell, rng, **options)
    states, gates = reference(case, model)
    result = hidden_states(model, IDS)
    assert_on_real_steps(result.states, states["h"])
    if "c" in states:
        assert_on_real_steps(result.cell_states, states["c"])
    else:
        assert result.cell_states is None
    assert sorted(result.gates) == sorted(gates)
    for name, values in gates.items():
        assert_on_real_steps(result.gates[name], values)
        # Gates are not saturated here: the comparison means something.
        assert 0.05 < np.abs(values[MASK]).mean() < 0.95
    assert result.components == [
        "hidden",
        *(["cell"] if "c" in states else []),
        *result.gates,
    ]
    np.testing.assert_array_equal(
        result.values("forget" if "forget" in gates else "update"),
        result.gates["forget" if "forget" in gates else "update"],
    )


def test_cells_without_gates_have_none(rng):
    for cell in ("simple", "skip_rnn"):
        result = hidden_states(classifier(cell, rng), IDS)
        assert result.gates == {} and result.cell_states is None
        assert result.components == ["hidden"]


def test_a_bare_layer_and_one_sequence(rng):
    layer = keras.layers.LSTM(3, return_sequences=True, return_state=True)
    x = rng.normal(size=(6, 2)).astype("float32")
    layer.build((None, 6, 2))
    randomize(layer, rng)
    outputs, _, c_last = (np.asarray(v) for v in layer(x[None]))
    result = hidden_states(layer, x)
    assert result.states.shape == (6, 3) and result.tokens is None
    np.testing.assert_allclose(result.states, outputs[0], atol=2e-6)
    np.testing.assert_allclose(result.cell_states[-1], c_last[0], atol=2e-6)
    assert result.lengths == 6


def test_a_stateful_language_model_reads_text_from_zero_states(rng):
    vocabulary = ["", "[UNK]", "a", "b", " ", "\n"]
    model = LanguageModel(
        vocab_size=len(vocabulary),
        cell="coupled_lstm",
        units=4,
        stateful=True,
        batch_size=2,
        vocabulary=vocabulary,
        separator="",
    )
    randomize(model, rng)
    stack_layer = model.get_layer("recurrent_stack").recurrent_layers[0]
    carried = rng.normal(size=(2, 4)).astype("float32")
    for state in stack_layer.states:
        state.assign(carried)
    ids = np.array([2, 3, 4, 2, 5, 3], "int32")
    result = hidden_states(model, ids)
    assert result.tokens == ["a", "b", " ", "a", "\n", "b"]
    # A stateless twin with the same weights, from zero states.
    twin = LanguageModel(
        vocab_size=len(vocabulary), cell="coupled_lstm", units=4
    )
    twin.set_weights(model.get_weights())
    twin_layer = twin.get_layer("recurrent_stack").recurrent_layers[0]
    embedded_ids = np.asarray(twin.get_layer("token_embedding").embeddings)
    expected = np.asarray(twin_layer(embedded_ids[ids][None])[0])[0]
    np.testing.assert_allclose(result.states, expected, atol=2e-6)
    for state in stack_layer.states:
        np.testing.assert_array_equal(np.asarray(state), carried)


def test_arguments_are_checked(rng):
    model = classifier("gru", rng)
    with pytest.raises(ValueError, match="`direction` must be one of"):
        hidden_states(model, IDS, direction="both")
    with pytest.raises(ValueError, match="`layer` must name a recurrent"):
        hidden_states(model, IDS, layer="dense")
    with pytest.raises(ValueError, match="has no preprocessor"):
        hidden_states(model, ["a text"])
    with pytest.raises(ValueError, match="`component` must be one of"):
        hidden_states(model, IDS).values("cell")
    with pytest.raises(ValueError, match="must be token ids"):
        hidden_states(model, np.ones((2, 3, 4), "float32"))
    with pytest.raises(ValueError, match="keras.Model or a recurrent"):
        hidden_states("model", IDS)
