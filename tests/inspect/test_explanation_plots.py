"""The explanation plots: each returns a figure of the requested size
that shows the values and tokens it was given."""

import matplotlib.image
import numpy as np
import pytest
from matplotlib.figure import Figure

from rnnzoo.inspect import HiddenStates
from rnnzoo.inspect import SemanticAccumulation
from rnnzoo.inspect import hidden_states
from rnnzoo.inspect import plot_hidden_states
from rnnzoo.inspect import plot_semantic_accumulation
from rnnzoo.inspect import semantic_accumulation
from rnnzoo.models import SequenceClassifier

DPI = 50


def check_png(figure, tmp_path, name):
    assert isinstance(figure, Figure)
    path = tmp_path / f"{name}.png"
    figure.savefig(path)
    pixels = matplotlib.image.imread(path)
    width, height = figure.get_size_inches()
    assert pixels.shape[:2] == (round(height * DPI), round(width * DPI))
    assert pixels[..., :3].std() > 0.01


def tick_texts(labels):
    return [label.get_text() for label in labels]


def test_semantic_accumulation_under_the_tokens(tmp_path):
    model = SequenceClassifier(num_classes=3, vocab_size=9, units=4)
    ids = np.array([[3, 1, 4, 1, 5], [2, 6, 0, 0, 0]], "int32")
    accumulation = semantic_accumulation(model, ids)
    path = tmp_path / "lisa.svg"
    figure = plot_semantic_accumulation(
        accumulation, index=1, path=path, figsize=(5, 3), dpi=DPI
    )
    assert path.exists() and "<svg" in path.read_text()[:2000]
    axes = figure.axes[0]
    assert tick_texts(axes.get_xticklabels()) == ["2", "6"]
    assert len(axes.lines) == 3
    np.testing.assert_allclose(
        axes.lines[2].get_ydata(), accumulation.probabilities[1, :2, 2]
    )
    check_png(figure, tmp_path, "lisa")
    only = plot_semantic_accumulation(accumulation, classes=["1"], dpi=DPI)
    assert [line.get_label() for line in only.axes[0].lines] == ["1"]
    with pytest.raises(ValueError, match="`classes` must name"):
        plot_semantic_accumulation(accumulation, classes=["positive"])
    with pytest.raises(ValueError, match="must be a SemanticAccumulation"):
        plot_semantic_accumulation(accumulation.probabilities)


def test_characters_are_shown_visibly():
    accumulation = SemanticAccumulation(
        probabilities=np.array([[0.4, 0.6], [0.3, 0.7], [0.8, 0.2]]),
        lengths=3,
        tokens=["a", " ", "\n"],
        class_names=["no", "yes"],
    )
    figure = plot_semantic_accumulation(accumulation)
    labels = tick_texts(figure.axes[0].get_xticklabels())
    assert labels == ["a", "␣", "↵"]


def test_hidden_states_heat_map(tmp_path):
    model = SequenceClassifier(num_classes=2, vocab_size=9, units=5)
    ids = np.array([[3, 1, 4, 1, 5, 0], [2, 6, 5, 3, 5, 8]], "int32")
    states = hidden_states(model, ids)
    figure = plot_hidden_states(states, units=[4, 0], figsize=(6, 2.5), dpi=DPI)
    axes = figure.axes[0]
    assert tick_texts(axes.get_yticklabels()) == ["unit 4", "unit 0"]
    assert tick_texts(axes.get_xticklabels()) == ["3", "1", "4", "1", "5"]
    image = axes.images[0]
    np.testing.assert_allclose(
        image.get_array(), states.states[0, :5][:, [4, 0]].T
    )
    low, high = image.get_clim()
    assert high > 0 and low == -high
    check_png(figure, tmp_path, "states")
    gates = plot_hidden_states(states, component="forget", index=1)
    assert gates.axes[0].images[0].get_clim() == (0.0, 1.0)
    assert len(tick_texts(gates.axes[0].get_xticklabels())) == 6


def test_hidden_states_of_an_array_and_long_sequences():
    values = np.tanh(np.random.default_rng(0).normal(size=(300, 3)))
    figure = plot_hidden_states(values)
    labels = tick_texts(figure.axes[0].get_xticklabels())
    assert labels[:3] == ["0", "3", "6"] and len(labels) == 100
    with pytest.raises(ValueError, match="`units` must be unit indices"):
        plot_hidden_states(values, units=[3])
    with pytest.raises(ValueError, match="`component` must be one of"):
        states = HiddenStates(
            states=values,
            cell_states=None,
            gates={},
            tokens=None,
            lengths=300,
            layer_name="rnn",
            direction="forward",
        )
        plot_hidden_states(states, component="cell")
