"""Ratios, target checks and the files that report them, from made-up
measurements: the numbers of a run are the run's, not the tests'."""

import csv
import re
from pathlib import Path

import numpy as np
import pytest

from benchmarks import cores
from benchmarks import decoding_bench
from benchmarks import prose
from benchmarks import ratios
from benchmarks import rendering
from benchmarks import report
from benchmarks import targets
from benchmarks.candidates import SIZES
from benchmarks.candidates import candidates
from benchmarks.candidates import matmul_candidate_for


def test_readme_table_summarises_the_csv(tmp_path):
    results = tmp_path / "results.csv"
    with open(results, "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=rendering.CSV_COLUMNS)
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
    assert targets.recurrent_share(size, family) == pytest.approx(
        2 * recurrent_flops / total
    )


def _row(size, jit_compile, name, kind, family, train_vs_matmul):
    return ratios.LayerRow(
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
    checks = targets.check_targets(rows, [], core_use)
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
    checks = targets.check_targets([], results)
    # Only rnnzoo's decoders are held to the target.
    assert {check.target for check in checks} == {
        "LanguageModel beam5/rnnzoo tf.function: >= 10x the tokens/s of "
        "the Python-loop decoder"
    }
    why = checks[0].why
    assert "ran at 9.5x the tokens/s of the eager loop without XLA" in why
    assert "and 15.0x with it (4.8x and 7.5x the tf.function-step" in why


def test_decoders_are_matched_by_id_not_by_a_piece_of_their_name():
    results = [
        _decoding("beam5/rnnzoo XLA", 120.0),
        _decoding("beam5/python loop, tf.function step", 20.0),
        _decoding("beam5/python loop, eager", 10.0),
        # Another model's loop must not be its baseline.
        _decoding("beam5/python loop, eager", 1.0, model="Seq2Seq"),
    ]
    assert [ratios.decoder_id(r) for r in results] == [
        "rnnzoo_xla",
        "python_loop_step",
        "python_loop_eager",
        "python_loop_eager",
    ]
    speedups = list(ratios.decoding_speedups(results))
    assert speedups[0][1:] == (12.0, 6.0)
    assert speedups[3][1:] == (1.0, None)
    with pytest.raises(ValueError, match="python loop, numba"):
        ratios.decoder_id(_decoding("beam5/python loop, numba", 1.0))


def test_every_passage_the_code_quotes_is_in_the_results_readme():
    source = "".join(
        path.read_text() for path in Path(prose.__file__).parent.glob("*.py")
    )
    quoted = set(re.findall(r'prose\(\s*"([\w-]+)"', source))
    quoted |= set(re.findall(r'"(why-matmul-schedule-[\w-]+)"', source))
    assert quoted and quoted <= set(prose.passages())


def test_a_passage_is_one_line_with_the_fields_of_the_run(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(
        "# Title\n\n<!-- prose:speed -->\nIt ran\n{speedup} as fast.\n"
        "<!-- /prose -->\n"
    )
    assert prose.passages(str(readme)) == {"speed": "It ran {speedup} as fast."}
    with pytest.raises(KeyError, match="prose:no-such-passage"):
        prose.prose("no-such-passage")


def test_results_file_gives_each_missed_target_its_reason_once(tmp_path):
    rows = [
        _row("small", False, "keras.LSTM", "keras", "lstm", 2.0),
        _row("small", False, "mgu", "rnnzoo", "mgu", 2.0),
        _row("small", False, "skip_rnn", "rnnzoo", "skip_rnn", 2.0),
    ]
    checks = targets.check_targets(rows, [])
    missed = [check for check in checks if not check.met]
    # Both layers miss the LSTM target (2x) and the textbook one (1x).
    assert {check.target_id for check in missed} == {
        "train_vs_lstm",
        "textbook_speedup",
    }
    assert all(check.why for check in missed)
    assert all(not check.why for check in checks if check.met)
    path = tmp_path / "test-machine.md"
    rendering.write_markdown(
        path, rows, [], checks, [SIZES["small"]], "run", machine="a CPU"
    )
    text = path.read_text()
    assert text.startswith("# rnnzoo benchmarks: test-machine\n\n")
    assert prose.prose("how-to-read") in text
    assert f"## Targets: 0 of {len(checks)} met" in text
    why = text.split("### Why targets are missed\n\n")[1].split("\n\n")[0]
    assert len(why.splitlines()) == 2
    assert f"* **{targets.TARGETS['train_vs_lstm']}**: " in why
    assert prose.prose("why-train-vs-lstm") in why
