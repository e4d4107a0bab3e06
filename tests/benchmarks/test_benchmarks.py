"""The benchmark suite runs and writes its files; timings are not checked.

Speed targets are never asserted here: they depend on the machine and its
load, and the suite reports them itself.
"""

import csv

import keras
import numpy as np
import pytest
import tensorflow as tf

from benchmarks import decoding_bench
from benchmarks import rendering
from benchmarks import run
from benchmarks import timing
from benchmarks.candidates import RNNZOO_LAYERS
from benchmarks.textbook import textbook_layer
from rnnzoo.layers import get_recurrent_layer

# The TensorFlow suite (`tf.function`, TensorFlow's allocator and threads);
# `test_jax_bench.py` tests the JAX one.
pytestmark = pytest.mark.tensorflow_only("the TensorFlow benchmark suite")


def test_quick_run_writes_markdown_and_csv(tmp_path):
    markdown_path, csv_path = run.main(
        [
            "--quick",
            "--jit-compile",
            "off",
            "--output-dir",
            str(tmp_path),
            "--machine",
            "test-machine",
        ]
    )
    assert markdown_path == str(tmp_path / "test-machine.md")
    assert csv_path == str(tmp_path / "test-machine.csv")

    with open(csv_path, newline="") as file:
        reader = csv.DictReader(file)
        assert reader.fieldnames == rendering.CSV_COLUMNS
        rows = list(reader)
    layers = {r["name"]: r for r in rows if r["benchmark"] == "layers"}
    expected = {"keras.LSTM", "keras.GRU", *RNNZOO_LAYERS}
    expected |= {f"textbook/{name}" for name in RNNZOO_LAYERS}
    assert expected <= set(layers)
    assert any(name.startswith("matmul/") for name in layers)
    for name in RNNZOO_LAYERS:
        row = layers[name]
        assert row["size"] == "tiny" and row["jit_compile"] == "False"
        for column in (
            "train_ms",
            "forward_ms",
            "train_vs_lstm",
            "forward_vs_lstm",
            "textbook_vs_train",
            "train_vs_matmul",
            "forward_vs_matmul",
            "peak_memory_mb",
            "memory_vs_lstm",
        ):
            assert float(row[column]) > 0, (name, column)
    assert float(layers["keras.LSTM"]["train_vs_lstm"]) == 1.0

    decoding = [r for r in rows if r["benchmark"] == "decoding"]
    strategies = {r["kind"] for r in decoding}
    assert strategies == {"greedy", "beam"}
    for model in ("LanguageModel", "Seq2Seq"):
        assert f"{model} beam5/rnnzoo XLA" in {r["name"] for r in decoding}
    for row in decoding:
        assert float(row["tokens_per_second"]) > 0
        assert float(row["speedup_vs_python_eager"]) > 0

    text = open(markdown_path).read()
    assert "## Targets:" in text
    assert "| layer | kind | train ms | train × LSTM |" in text
    assert "## Decoding" in text
    assert "### LanguageModel" in text and "### Seq2Seq" in text
    for name in RNNZOO_LAYERS:
        assert f"| {name} | rnnzoo |" in text


def test_interleaved_times_rotate_and_pair_rounds():
    calls = []
    functions = {name: (lambda name=name: calls.append(name)) for name in "abc"}
    times = timing.interleaved_times(functions, repeats=3, warmup=0)
    assert calls == list("abc" + "bca" + "cab")
    assert {name: len(t) for name, t in times.items()} == {
        "a": 3,
        "b": 3,
        "c": 3,
    }
    assert timing.paired_ratio([2.0, 4.0, 9.0], [1.0, 4.0, 3.0]) == 2.0
    with pytest.raises(ValueError, match="repeats"):
        timing.interleaved_times(functions, repeats=0)


def _textbook_weights(name, layer):
    """The rnnzoo layer's weights, in the order the textbook cell has them."""
    cell = layer.cell
    count = cell.kernel.shape[-1] // cell.units
    kernels = np.split(keras.ops.convert_to_numpy(cell.kernel), count, -1)
    biases = [None] * count  # The NAS cell has none by default.
    if cell.bias is not None:
        biases = np.split(keras.ops.convert_to_numpy(cell.bias), count)
    if name == "skip_rnn":
        recurrent = [keras.ops.convert_to_numpy(cell.recurrent_kernel)]
    else:
        recurrent = np.split(
            keras.ops.convert_to_numpy(cell.recurrent_kernel), count, -1
        )
    weights = []
    for kernel, recurrent_kernel, bias in zip(kernels, recurrent, biases):
        weights += [kernel, recurrent_kernel]
        if bias is not None:
            weights.append(bias)
    if name == "peephole_lstm":
        weights += [
            cell.input_peephole,
            cell.forget_peephole,
            cell.output_peephole,
        ]
    if name == "skip_rnn":
        weights.append(cell.skip_kernel)
    if name == "layer_norm_lstm":
        for norm in (cell.kernel_norm, cell.recurrent_norm, cell.state_norm):
            weights += norm.weights
    if name == "layer_norm_simple_rnn":
        weights += cell.layernorm.weights
    return [keras.ops.convert_to_numpy(w) for w in weights]


@pytest.mark.parametrize("name", RNNZOO_LAYERS)
def test_textbook_cells_compute_the_rnnzoo_equations(name, rng):
    """The textbook baseline is the same cell, only written differently."""
    x = rng.normal(size=(3, 7, 4)).astype("float32")
    layer = get_recurrent_layer(name, 5, return_sequences=True)
    layer(x)
    layer.set_weights(
        [rng.normal(scale=0.5, size=w.shape) for w in layer.get_weights()]
    )
    textbook = textbook_layer(name, 5, return_sequences=True)
    textbook(x)
    textbook.set_weights(_textbook_weights(name, layer))
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(textbook(x)),
        keras.ops.convert_to_numpy(layer(x)),
        atol=1e-5,
    )


def test_model_steps_feed_back_the_argmax_of_every_step():
    vocab_size, steps = 7, 5

    def step_fn(tokens, state):
        # The best next token is the previous one plus one.
        logits = tf.one_hot((tokens + 1) % vocab_size, vocab_size)
        return logits, state + 1

    tokens = decoding_bench.model_steps(
        step_fn, tf.zeros((2,)), tf.constant([0, 4]), steps
    )
    np.testing.assert_array_equal(tokens, [5, 9 % vocab_size])
