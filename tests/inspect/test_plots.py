"""The plots: each returns a figure and writes PNG and SVG files of the
requested size, from the results of small trained models."""

import keras
import matplotlib.image
import numpy as np
import pytest
from matplotlib.figure import Figure

from rnnzoo.inspect import gradient_flow
from rnnzoo.inspect import plot_attention
from rnnzoo.inspect import plot_attention_on_image
from rnnzoo.inspect import plot_gradient_flow
from rnnzoo.inspect import plot_gradient_norms
from rnnzoo.inspect import plot_saliency
from rnnzoo.inspect import saliency
from rnnzoo.inspect import training_gradient_norms
from rnnzoo.layers import AttentionDecoder
from rnnzoo.layers import get_recurrent_layer
from rnnzoo.models import SequenceRegressor

DPI = 50


def check_images(figure, tmp_path, name):
    """Saves `figure` as PNG and SVG; checks the PNG has figsize × dpi
    pixels and the SVG is an SVG document."""
    assert isinstance(figure, Figure)
    width, height = figure.get_size_inches()
    png, svg = tmp_path / f"{name}.png", tmp_path / f"{name}.svg"
    for path in (png, svg):
        figure.savefig(path)
        assert path.stat().st_size > 0
    pixels = matplotlib.image.imread(png)
    assert pixels.shape[:2] == (round(height * DPI), round(width * DPI))
    # Something was drawn: not a single flat colour.
    assert pixels[..., :3].std() > 0.01
    assert "<svg" in svg.read_text()[:2000]


def test_plot_gradient_flow_of_several_cells(tmp_path, rng):
    x = (0.5 * rng.normal(size=(2, 12, 2))).astype("float32")
    flows = {
        name: gradient_flow(get_recurrent_layer(name, 4), x)
        for name in ("simple", "lstm")
    }
    path = tmp_path / "flow.png"
    figure = plot_gradient_flow(flows, path=path, figsize=(8, 3), dpi=DPI)
    assert path.exists()
    gradient_axes, jacobian_axes = figure.axes
    assert gradient_axes.get_yscale() == "log"
    assert jacobian_axes.get_yscale() == "log"
    assert [t.get_text() for t in gradient_axes.get_legend().get_texts()] == [
        "simple",
        "lstm",
    ]
    np.testing.assert_allclose(
        gradient_axes.lines[1].get_ydata(), flows["lstm"].step_gradient_norms
    )
    check_images(figure, tmp_path, "flow")


def test_plot_gradient_norms_shows_the_clipping(tmp_path, rng):
    model = SequenceRegressor(input_dim=2, units=4, cell="simple")
    model.compile(optimizer="sgd")
    x = rng.normal(size=(16, 6, 2)).astype("float32")
    history = training_gradient_norms(
        model, x, x[:, -1, :1], batch_size=4, global_clipnorm=0.05
    )
    figure = plot_gradient_norms({"clipped": history}, figsize=(5, 3), dpi=DPI)
    (axes,) = figure.axes
    assert len(axes.lines) == 3  # before, applied, threshold
    check_images(figure, tmp_path, "norms")


def copy_task(rng, num_samples, vocab_size=8, length=5):
    """Source ids and a target that repeats them, with 1 as the start
    token of the teacher-forced decoder input."""
    source = rng.integers(2, vocab_size, size=(num_samples, length))
    start = np.ones((num_samples, 1), "int64")
    return (
        source.astype("int32"),
        np.concatenate([start, source[:, :-1]], axis=1).astype("int32"),
        source.astype("int32"),
    )


def test_plot_attention_of_a_trained_attention_decoder(tmp_path, rng):
    source_ids = keras.Input((None,), dtype="int32")
    target_ids = keras.Input((None,), dtype="int32")
    memory = keras.layers.GRU(16, return_sequences=True)(
        keras.layers.Embedding(8, 8, mask_zero=True)(source_ids)
    )
    decoder = AttentionDecoder(
        16, cell="gru", attention="luong", return_alignments=True
    )
    outputs, _, alignments = decoder(
        keras.layers.Embedding(8, 8)(target_ids), memory
    )
    probabilities = keras.layers.Dense(8, activation="softmax")(outputs)
    model = keras.Model([source_ids, target_ids], probabilities)
    model.compile(
        optimizer=keras.optimizers.Adam(0.02),
        loss="sparse_categorical_crossentropy",
        run_eagerly=True,  # a few steps: cheaper than tracing the loops
    )
    source, target_in, target_out = copy_task(rng, 96)
    model.fit(
        [source, target_in], target_out, batch_size=32, epochs=2, verbose=0
    )
    weights = np.asarray(
        keras.Model([source_ids, target_ids], alignments)(
            [source[:2], target_in[:2]]
        )
    )
    assert weights.shape == (2, 5, 5)
    np.testing.assert_allclose(weights.sum(-1), 1.0, rtol=1e-5)

    tokens = [str(t) for t in source[1]]
    figure = plot_attention(
        weights,
        source_tokens=tokens,
        target_tokens=tokens[:4],
        index=1,
        path=tmp_path / "alignment.svg",
        figsize=(4, 3),
        dpi=DPI,
    )
    assert (tmp_path / "alignment.svg").exists()
    image = figure.axes[0].images[0]
    np.testing.assert_allclose(image.get_array(), weights[1, :4])
    assert [t.get_text() for t in figure.axes[0].get_xticklabels()] == tokens
    check_images(figure, tmp_path, "alignment")


def test_plot_attention_on_image_regions(tmp_path, rng):
    image = rng.integers(0, 256, size=(24, 32, 3), dtype=np.uint8)
    weights = rng.dirichlet(np.ones(12), size=(1, 3))
    figure = plot_attention_on_image(
        image,
        weights,
        ["a", "red", "bus"],
        grid_shape=(3, 4),
        columns=2,
        figsize=(4, 4),
        dpi=DPI,
    )
    panels = [axes for axes in figure.axes if axes.images]
    assert [axes.get_title() for axes in panels] == ["a", "red", "bus"]
    np.testing.assert_allclose(
        panels[2].images[1].get_array(), weights[0, 2].reshape(3, 4)
    )
    check_images(figure, tmp_path, "regions")
    with pytest.raises(ValueError, match="`grid_shape` must be"):
        plot_attention_on_image(image, weights, grid_shape=(5, 2))
    with pytest.raises(ValueError, match="`grid_shape` is required"):
        plot_attention_on_image(image, weights)


def test_plot_saliency_of_the_trained_classifier(tmp_path, trained_classifier):
    model, ids, labels, positions = trained_classifier
    rows = np.flatnonzero(labels)[:3]
    scores = saliency(model, ids[rows])
    tokens = [[str(t) for t in row if t != 0] for row in ids[rows]]
    path = tmp_path / "saliency.png"
    figure = plot_saliency(scores, tokens, path=path, figsize=(6, 2.5), dpi=DPI)
    assert path.exists()
    grid = figure.axes[0].images[0].get_array()
    # The strongest cell of each row is the informative token.
    np.testing.assert_array_equal(grid.argmax(axis=1), positions[rows])
    texts = [text.get_text() for text in figure.axes[0].texts]
    assert texts == [token for row in tokens for token in row]
    check_images(figure, tmp_path, "saliency")


def test_plot_arguments_are_checked(tmp_path):
    with pytest.raises(ValueError, match="`path` must end in one of"):
        plot_attention(np.eye(3), path=tmp_path / "alignment.jpeg")
    with pytest.raises(ValueError, match="`source_tokens` has 4 tokens"):
        plot_attention(np.eye(3), source_tokens=list("abcd"))
    with pytest.raises(ValueError, match="`alignments` must have shape"):
        plot_attention(np.ones(3))
    with pytest.raises(ValueError, match="`flows` must be a GradientFlow"):
        plot_gradient_flow([])
    with pytest.raises(ValueError, match="`tokens` must hold one list"):
        plot_saliency(np.ones((2, 3)), ["a", "b", "c"])
