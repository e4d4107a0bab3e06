"""The benchmark suite runs and writes its files; timings are not checked.

Speed targets are never asserted here: they depend on the machine and its
load, and the suite reports them itself.
"""

import csv

import keras
import numpy as np
import pytest
import tensorflow as tf

from benchmarks import cores
from benchmarks import decoding_bench
from benchmarks import report
from benchmarks import run
from benchmarks import timing
from benchmarks.candidates import RNNZOO_LAYERS
from benchmarks.candidates import SIZES
from benchmarks.candidates import candidates
from benchmarks.candidates import matmul_candidate_for
from benchmarks.textbook import textbook_layer
from rnnzoo.layers import get_recurrent_layer


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
        assert reader.fieldnames == report.CSV_COLUMNS
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
    gates = {"peephole_lstm": 4, "coupled_lstm": 3, "mgu": 2, "skip_rnn": 1}
    count = gates[name]
    kernels = np.split(keras.ops.convert_to_numpy(cell.kernel), count, -1)
    biases = np.split(keras.ops.convert_to_numpy(cell.bias), count)
    if name == "skip_rnn":
        recurrent = [keras.ops.convert_to_numpy(cell.recurrent_kernel)]
    else:
        recurrent = np.split(
            keras.ops.convert_to_numpy(cell.recurrent_kernel), count, -1
        )
    weights = []
    for kernel, recurrent_kernel, bias in zip(kernels, recurrent, biases):
        weights += [kernel, recurrent_kernel, bias]
    if name == "peephole_lstm":
        weights += [
            cell.input_peephole,
            cell.forget_peephole,
            cell.output_peephole,
        ]
    if name == "skip_rnn":
        weights.append(cell.skip_kernel)
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


def test_readme_table_summarises_the_csv(tmp_path):
    results = tmp_path / "results.csv"
    with open(results, "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=report.CSV_COLUMNS)
        writer.writeheader()
        for size, jit, ratio in [
            ("small", "False", "0.5"),
            ("small", "True", "0.25"),
            ("large", "False", "1.5"),
            ("large", "True", "0.75"),
        ]:
            for name, kind, value in [
                ("keras.LSTM", "keras", "1"),
                ("mgu", "rnnzoo", ratio),
                ("textbook/mgu", "textbook", "9"),
            ]:
                writer.writerow(
                    {
                        "benchmark": "layers",
                        "size": size,
                        "jit_compile": jit,
                        "name": name,
                        "kind": kind,
                        "train_vs_lstm": value,
                        "memory_vs_lstm": "0.6" if kind == "rnnzoo" else "1",
                    }
                )
    readme = tmp_path / "README.md"
    readme.write_text(
        f"intro\n{report.README_START}\nold\n{report.README_END}\nend\n"
    )

    report.write_readme_table(results, readme)

    text = readme.read_text()
    assert text.startswith("intro\n") and text.endswith("end\n")
    assert "old" not in text
    assert "| `mgu` | 0.50 | 0.25 | 1.50 | 0.75 | 0.60 |" in text
    assert "| `keras.LSTM` | 1.00 | 1.00 | 1.00 | 1.00 | 1.00 |" in text
    assert "textbook" not in text


@pytest.mark.parametrize("family", ["lstm", "mgu", "skip_rnn"])
def test_recurrent_share_counts_the_matmuls_of_the_baseline(family):
    size = SIZES["large"]
    model = matmul_candidate_for(family, candidates()).build(size)
    layer = model.layers[-1]
    rows = size.batch * size.steps
    input_flops = 2 * rows * np.prod(layer.kernel.shape)
    recurrent_flops = 2 * rows * np.prod(layer.recurrent_kernel.shape)
    # Forward: X W and H U; backward: X^T dZ, H^T dZ and the chain dZ U^T.
    total = 2 * input_flops + 3 * recurrent_flops
    assert report.recurrent_share(size, family) == pytest.approx(
        2 * recurrent_flops / total
    )


def _row(size, jit_compile, name, kind, family, train_vs_matmul):
    return report.LayerRow(
        size=size,
        jit_compile=jit_compile,
        name=name,
        kind=kind,
        family=family,
        train_ms=1.0,
        forward_ms=1.0,
        train_vs_lstm=2.0,
        forward_vs_lstm=1.0,
        textbook_vs_train=1.0 if kind == "rnnzoo" else None,
        train_vs_matmul=train_vs_matmul,
        forward_vs_matmul=1.0,
    )


def _core_use(kind, jit_compile, one_thread_seconds, all_threads_seconds):
    return cores.CoreUse(
        size="large",
        shape="4x1",
        kind=kind,
        jit_compile=jit_compile,
        flops=10**9,
        one_thread_seconds=one_thread_seconds,
        all_threads_seconds=all_threads_seconds,
    )


def test_missed_target_reasons_quote_the_numbers_of_the_run():
    rows = [
        _row("small", True, "mgu", "rnnzoo", "mgu", 2.0),
        _row("small", True, "textbook/mgu", "textbook", "mgu", 2.7),
        _row("small", True, "textbook/skip_rnn", "textbook", "skip_rnn", 3.6),
        _row("large", True, "peephole_lstm", "rnnzoo", "peephole_lstm", 1.9),
    ]
    core_use = [
        _core_use("step", False, 0.016, 0.016),
        _core_use("whole", False, 0.017, 0.010),
        # With XLA this machine's chain gains from the second core too.
        _core_use("step", True, 0.030, 0.020),
        _core_use("whole", True, 0.016, 0.008),
    ]
    checks = report.check_targets(rows, [], core_use)
    reasons = {check.target: check.why for check in checks if not check.met}

    textbook = reasons["mgu: >= 3.0x faster than the textbook cell"]
    # A third of 2.7x and 3.6x the matmul; one of them below it.
    assert "with XLA, 0.90x-1.20x the same-FLOPs matmul" in textbook
    assert "(1 of 2 at or below 1x)" in textbook

    matmul = reasons[
        "peephole_lstm: training step <= 1.4x the same-FLOPs matmul"
    ]
    assert matmul.startswith("50% of the layer's matmul FLOPs")
    without_xla, with_xla = matmul.split(" With XLA, ")
    # Each setting quotes its own chain, matmul and slowdown.
    assert (
        "Without XLA, the chain ran 1.00x as fast with all threads as with "
        "one, where the one matmul ran 1.70x as fast, and it took 1.60x the "
        "time of that matmul; the executor runs" in without_xla
    )
    assert with_xla.startswith(
        "the chain ran 1.50x as fast with all threads as with one, where "
        "the one matmul ran 2.00x as fast, and it took 2.50x the time of "
        "that matmul; XLA's loop body runs one op at a time"
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


def _decoding(name, tokens_per_second, model="LanguageModel"):
    return decoding_bench.DecodingResult(
        model, name, "beam", [1.0 / tokens_per_second], tokens=1
    )


def test_beam_reason_quotes_the_ceilings_of_the_run():
    steps_only = decoding_bench.MODEL_STEPS_ONLY
    results = [
        _decoding("beam5/rnnzoo tf.function", 70.0),
        _decoding(f"beam5/{steps_only}, tf.function", 95.0),
        _decoding(f"beam5/{steps_only}, XLA", 150.0),
        _decoding("beam5/python loop, eager", 10.0),
        _decoding("beam5/python loop, tf.function step", 20.0),
    ]
    checks = report.check_targets([], results)
    # Only rnnzoo's decoders are held to the target.
    assert {check.target for check in checks} == {
        "LanguageModel beam5/rnnzoo tf.function: >= 10x the tokens/s of "
        "the Python-loop decoder"
    }
    why = checks[0].why
    assert "ran at 9.5x the tokens/s of the eager loop without XLA" in why
    assert "and 15.0x with it (4.8x and 7.5x the tf.function-step" in why
