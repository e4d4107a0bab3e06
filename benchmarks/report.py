"""Turns timings into ratios, checks the targets, writes Markdown and CSV."""

import csv
import dataclasses
import os
import platform

from benchmarks import timing
from benchmarks.candidates import matmul_candidate_for
from benchmarks.layers_bench import BASELINE

# The targets of the benchmark issue; a missed target is reported with its
# reason, never relaxed.
MAX_TRAIN_VS_LSTM = 1.0
MIN_SPEEDUP_VS_TEXTBOOK_SMALL = 3.0
MAX_TRAIN_VS_MATMUL_LARGE = 1.4
MAX_MEMORY_VS_LSTM = 1.2
MIN_BEAM_SPEEDUP = 10.0

CSV_COLUMNS = [
    "benchmark",
    "size",
    "jit_compile",
    "name",
    "kind",
    "family",
    "train_ms",
    "forward_ms",
    "train_vs_lstm",
    "forward_vs_lstm",
    "textbook_vs_train",
    "train_vs_matmul",
    "forward_vs_matmul",
    "peak_memory_mb",
    "memory_vs_lstm",
    "tokens_per_second",
    "speedup_vs_python_eager",
    "speedup_vs_python_step",
]


@dataclasses.dataclass
class LayerRow:
    """One candidate in one setting, with its ratios (`None`: no such
    ratio)."""

    size: str
    jit_compile: bool
    name: str
    kind: str
    family: str
    train_ms: float
    forward_ms: float
    train_vs_lstm: float
    forward_vs_lstm: float
    textbook_vs_train: float | None
    train_vs_matmul: float | None
    forward_vs_matmul: float | None
    peak_memory_mb: float | None = None
    memory_vs_lstm: float | None = None


def layer_rows(timings, all_candidates, memory=None) -> list[LayerRow]:
    """Rows for one `(size, jit_compile)` from `time_candidates` results.

    Args:
        timings: Name to `Timings`, all of one size and setting.
        all_candidates: The candidates that were timed.
        memory: Optional name to peak bytes of a training step.
    """
    baseline = timings[BASELINE]
    memory = memory or {}
    rows = []
    for name, timed in timings.items():
        candidate = timed.candidate
        textbook = timings.get(f"textbook/{candidate.family}")
        textbook_vs_train = None
        if candidate.kind == "rnnzoo" and textbook is not None:
            textbook_vs_train = timing.paired_ratio(textbook.train, timed.train)
        train_vs_matmul = forward_vs_matmul = None
        if candidate.kind != "matmul":
            matmul = timings[
                matmul_candidate_for(candidate.family, all_candidates).name
            ]
            train_vs_matmul = timing.paired_ratio(timed.train, matmul.train)
            forward_vs_matmul = timing.paired_ratio(
                timed.forward, matmul.forward
            )
        peak = memory.get(name)
        rows.append(
            LayerRow(
                size=timed.size.name,
                jit_compile=timed.jit_compile,
                name=name,
                kind=candidate.kind,
                family=candidate.family,
                train_ms=1000 * timing.median(timed.train),
                forward_ms=1000 * timing.median(timed.forward),
                train_vs_lstm=timing.paired_ratio(timed.train, baseline.train),
                forward_vs_lstm=timing.paired_ratio(
                    timed.forward, baseline.forward
                ),
                textbook_vs_train=textbook_vs_train,
                train_vs_matmul=train_vs_matmul,
                forward_vs_matmul=forward_vs_matmul,
                peak_memory_mb=None if peak is None else peak / 2**20,
                memory_vs_lstm=(
                    None
                    if peak is None or not memory.get(BASELINE)
                    else peak / memory[BASELINE]
                ),
            )
        )
    return rows


@dataclasses.dataclass
class TargetCheck:
    target: str
    setting: str
    value: str
    met: bool
    why: str = ""


def _setting(row) -> str:
    return f"{row.size}, jit_compile={row.jit_compile}"


def check_targets(rows, decoding_results, decoding_reference=None):
    """Every target, once per layer and setting it applies to."""
    checks = []
    by_setting = {}
    for row in rows:
        by_setting.setdefault((row.size, row.jit_compile), {})[row.name] = row
    for (size, _), table in by_setting.items():
        for row in table.values():
            if row.kind != "rnnzoo":
                continue
            checks.append(
                TargetCheck(
                    f"{row.name}: training step <= {MAX_TRAIN_VS_LSTM}x "
                    "keras.layers.LSTM",
                    _setting(row),
                    f"{row.train_vs_lstm:.2f}x",
                    row.train_vs_lstm <= MAX_TRAIN_VS_LSTM,
                    why=(
                        "Without XLA, every elementwise op of a step is a "
                        "kernel of its own in TensorFlow's executor, tens of "
                        "microseconds each on this CPU. The peephole LSTM has "
                        "the LSTM's four gate blocks and matmul FLOPs plus "
                        "about twice its elementwise ops per step (three "
                        "peephole products, their gradients and the "
                        "peephole-weight gradients), and it pays for each; "
                        "with `jit_compile=True` XLA fuses them and the layer "
                        "is faster than the LSTM. The other families have "
                        "fewer gate blocks and stay below the LSTM."
                    ),
                )
            )
            if size == "small" and row.textbook_vs_train is not None:
                textbook = table[f"textbook/{row.family}"]
                checks.append(
                    TargetCheck(
                        f"{row.name}: >= {MIN_SPEEDUP_VS_TEXTBOOK_SMALL}x "
                        "faster than the textbook cell",
                        _setting(row),
                        f"{row.textbook_vs_train:.2f}x",
                        row.textbook_vs_train >= MIN_SPEEDUP_VS_TEXTBOOK_SMALL,
                        why=(
                            "On CPU `keras.layers.LSTM` runs the same generic "
                            "per-step loop as the textbook cells (cuDNN is "
                            "GPU-only), so they are nowhere near 3-25x "
                            "slower than it (e.g. the textbook "
                            f"{row.family} cell: "
                            f"{textbook.train_vs_lstm:.2f}x keras LSTM at "
                            f"{_setting(row)}); "
                            f"{MIN_SPEEDUP_VS_TEXTBOOK_SMALL:g}x faster than "
                            "that would be "
                            f"{textbook.train_vs_lstm / 3:.2f}x keras LSTM. "
                            "At this size a step is a few tiny ops whose "
                            "cost is the per-op overhead of TensorFlow's "
                            "executor (or of XLA's CPU loop), which the "
                            "fused loop reduces but cannot remove."
                        ),
                    )
                )
            if size == "large" and row.train_vs_matmul is not None:
                checks.append(
                    TargetCheck(
                        f"{row.name}: training step <= "
                        f"{MAX_TRAIN_VS_MATMUL_LARGE}x the same-FLOPs matmul",
                        _setting(row),
                        f"{row.train_vs_matmul:.2f}x",
                        row.train_vs_matmul <= MAX_TRAIN_VS_MATMUL_LARGE,
                        why=(
                            "Half of the layer's matmul FLOPs are the "
                            "per-step recurrent matmuls (forward h U and "
                            "backward dz U^T), which depend on the previous "
                            "step: they run one after another on "
                            "(batch x units) operands, far below the "
                            "efficiency of the baseline's single large "
                            "matmuls on this CPU, and each step adds its "
                            "gate arithmetic and loop overhead."
                        ),
                    )
                )
            if row.memory_vs_lstm is not None:
                checks.append(
                    TargetCheck(
                        f"{row.name}: peak memory <= {MAX_MEMORY_VS_LSTM}x "
                        "keras.layers.LSTM",
                        _setting(row),
                        f"{row.memory_vs_lstm:.2f}x",
                        row.memory_vs_lstm <= MAX_MEMORY_VS_LSTM,
                        why=(
                            "The rnnzoo layers project the inputs of all "
                            "steps in one matmul before the loop (that is "
                            "much of their speed), so a training step holds "
                            "the projected inputs, timesteps x batch x gate "
                            "blocks x units, and later their gradient (a "
                            "TensorArray of steps and its stacked copy) "
                            "whole, where keras.layers.LSTM projects one "
                            "step at a time. With four or three gate blocks "
                            "(peephole, coupled LSTM) these are the largest "
                            "tensors of the step. Under `jit_compile=True` "
                            "XLA plans the buffers of the whole step, and "
                            "the difference disappears."
                        ),
                    )
                )
    for result in decoding_results:
        if result.strategy != "beam" or "rnnzoo" not in result.name:
            continue
        for reference in decoding_results:
            if (
                reference.model == result.model
                and reference.strategy == "beam"
                and "python loop" in reference.name
            ):
                speedup = result.tokens_per_second / (
                    reference.tokens_per_second
                )
                checks.append(
                    TargetCheck(
                        f"{result.model} {result.name}: >= "
                        f"{MIN_BEAM_SPEEDUP:g}x the tokens/s of the "
                        "Python-loop decoder",
                        f"against {reference.name}",
                        f"{speedup:.1f}x",
                        speedup >= MIN_BEAM_SPEEDUP,
                        why=(
                            "Both sides run the same model step on batch x "
                            "beam rows; a compiled decoder removes only the "
                            "Python loop's per-token overhead (an eager "
                            "model call, or a `tf.function` call, plus the "
                            "NumPy top-k). What stays is the model step on "
                            "batch x beam rows and the search's own work on "
                            "batch x beam x vocabulary scores (a log-softmax "
                            "and a top-k per step). Measured in isolation "
                            "on the language model (batch 16, beam 5, "
                            "vocabulary 1000): its 64 steps alone take about "
                            "44 ms without XLA and 39 ms with it, the search "
                            "with a constant step function in place of the "
                            "model about 25 ms and 7 ms, the whole decode "
                            "about 78 ms and 48 ms. Without XLA the search "
                            "is a few dozen small ops per step, each paying "
                            "the executor's per-op cost; with XLA they fuse. "
                            "The Seq2Seq step (Bahdanau attention over the "
                            "source for every beam) costs more still. "
                            "Against a loop that already calls a compiled "
                            "step, the possible gain is small by "
                            "construction."
                        ),
                    )
                )
    return checks


def machine_name() -> str:
    """`cpu-<n>core`: the number of CPU cores TensorFlow may use."""
    return f"cpu-{os.cpu_count()}core"


def machine_description() -> str:
    import keras
    import tensorflow as tf

    processor = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    processor = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (
        f"{processor}, {os.cpu_count()} cores, {platform.system()} "
        f"{platform.release()}; Python {platform.python_version()}, "
        f"TensorFlow {tf.__version__}, Keras {keras.__version__}"
    )


def _fmt(value, digits=2, suffix=""):
    if value is None:
        return ""
    return f"{value:.{digits}f}{suffix}"


def _csv_value(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return value


def write_csv(path, rows, decoding_results):
    with open(path, "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for row in rows:
            values = dataclasses.asdict(row)
            values["benchmark"] = "layers"
            writer.writerow({k: _csv_value(values.get(k)) for k in CSV_COLUMNS})
        for result, eager, step in _decoding_speedups(decoding_results):
            writer.writerow(
                {
                    "benchmark": "decoding",
                    "name": f"{result.model} {result.name}",
                    "kind": result.strategy,
                    "tokens_per_second": _csv_value(result.tokens_per_second),
                    "speedup_vs_python_eager": _csv_value(eager),
                    "speedup_vs_python_step": _csv_value(step),
                }
            )


def _decoding_speedups(decoding_results):
    """`(result, speedup vs eager loop, speedup vs tf.function-step loop)`
    for every decoder, against the loop of the same strategy."""
    loops = {}
    for result in decoding_results:
        key = (result.model, result.strategy)
        if "python loop, eager" in result.name:
            loops[key + ("eager",)] = result.tokens_per_second
        elif "python loop, tf.function step" in result.name:
            loops[key + ("step",)] = result.tokens_per_second
    for result in decoding_results:
        key = (result.model, result.strategy)
        eager = loops.get(key + ("eager",))
        step = loops.get(key + ("step",))
        yield (
            result,
            None if eager is None else result.tokens_per_second / eager,
            None if step is None else result.tokens_per_second / step,
        )


LAYER_HEADER = (
    "| layer | kind | train ms | train × LSTM | forward ms | forward × "
    "LSTM | textbook ÷ layer | train × matmul | forward × matmul | peak "
    "MB | memory × LSTM |\n"
    "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n"
)


def _layer_table(rows):
    lines = [LAYER_HEADER]
    for row in rows:
        lines.append(
            f"| {row.name} | {row.kind} | {row.train_ms:.1f} | "
            f"{row.train_vs_lstm:.2f} | {row.forward_ms:.1f} | "
            f"{row.forward_vs_lstm:.2f} | {_fmt(row.textbook_vs_train)} | "
            f"{_fmt(row.train_vs_matmul)} | {_fmt(row.forward_vs_matmul)} | "
            f"{_fmt(row.peak_memory_mb, 1)} | {_fmt(row.memory_vs_lstm)} |\n"
        )
    return "".join(lines)


def write_markdown(
    path,
    rows,
    decoding_results,
    checks,
    sizes,
    settings,
    decoding_setups=(),
    notes=(),
):
    machine = machine_description()
    out = [
        f"# rnnzoo benchmarks: {os.path.splitext(os.path.basename(path))[0]}"
        "\n\n",
        f"Machine: {machine}.\n\n",
        f"Run: `{settings}`.\n\n",
        "Every number comes from one process run. Times are medians over "
        "interleaved rounds (every candidate once per round, in rotating "
        "order); a ratio `A × B` is the median over rounds of A's time "
        "divided by B's time in the same round, so load that slows a round "
        "cancels out. Ratios below 1 are faster than the reference. "
        "*textbook ÷ layer* is how many times faster the rnnzoo layer is "
        "than the textbook cell of its family; *× matmul* compares with "
        "plain matmuls of the layer's matmul FLOPs (`matmul/GxR`: G gate "
        "blocks, R state blocks fed back), the limit of the machine. Peak "
        "memory is the training step's peak from TensorFlow's BFC "
        "allocator, measured in a separate process "
        "(see `benchmarks/memory.py`).\n\n",
    ]
    for note in notes:
        out.append(f"{note}\n\n")
    met = sum(check.met for check in checks)
    out.append(f"## Targets: {met} of {len(checks)} met\n\n")
    out.append("| target | setting | result | met |\n|---|---|--:|:-:|\n")
    for check in checks:
        out.append(
            f"| {check.target} | {check.setting} | {check.value} | "
            f"{'yes' if check.met else '**no**'} |\n"
        )
    missed_reasons = {}
    for check in checks:
        if not check.met and check.why:
            key = check.target.split(": ", 1)[1]
            missed_reasons.setdefault(key, check.why)
    if missed_reasons:
        out.append("\n### Why targets are missed\n\n")
        for target, why in missed_reasons.items():
            out.append(f"* **{target}**: {why}\n")
    out.append("\n")
    for size in sizes:
        for jit_compile in (False, True):
            selected = [
                r
                for r in rows
                if r.size == size.name and r.jit_compile is jit_compile
            ]
            if not selected:
                continue
            out.append(
                f"## {size.name} ({size.describe()}), "
                f"jit_compile={jit_compile}\n\n"
            )
            out.append(_layer_table(selected))
            out.append("\n")
    if decoding_results:
        out.append(
            "## Decoding\n\nGreedy and beam search (width 5) through "
            "`model.decoding_step`, the step function `generate` decodes "
            "from; tokens/s counts batch x tokens per sequence.\n\n"
        )
        speedups = list(_decoding_speedups(decoding_results))
        for setup in decoding_setups:
            out.append(
                f"### {setup.name}\n\n{setup.description}; batch "
                f"{setup.batch}, {setup.max_length} tokens per sequence."
                "\n\n| decoder | tokens/s | × Python loop (eager) | × "
                "Python loop (tf.function step) |\n|---|--:|--:|--:|\n"
            )
            for result, eager, step in speedups:
                if result.model != setup.name:
                    continue
                out.append(
                    f"| {result.name} | {result.tokens_per_second:,.0f} | "
                    f"{_fmt(eager, 1)} | {_fmt(step, 1)} |\n"
                )
            out.append("\n")
    with open(path, "w") as file:
        file.write("".join(out))


README_START = "<!-- benchmark-table:start -->"
README_END = "<!-- benchmark-table:end -->"
_README_SETTINGS = [
    ("small", "False"),
    ("small", "True"),
    ("large", "False"),
    ("large", "True"),
]


def readme_table(csv_path) -> str:
    """The README's summary of a results CSV: every recurrent layer's
    training step and peak memory relative to `keras.layers.LSTM`, per size
    and `jit_compile` setting."""
    with open(csv_path, newline="") as file:
        rows = [
            row
            for row in csv.DictReader(file)
            if row["benchmark"] == "layers"
            and row["kind"] in ("keras", "rnnzoo")
        ]
    cells = {
        (row["name"], row["size"], row["jit_compile"]): row for row in rows
    }
    names = list(dict.fromkeys(row["name"] for row in rows))
    header = ["layer"]
    for size, jit in _README_SETTINGS:
        xla = ", XLA" if jit == "True" else ""
        header.append(f"train × LSTM ({size}{xla})")
    header.append("memory × LSTM (large)")
    lines = [
        "| " + " | ".join(header) + " |",
        "|---" + "|--:" * (len(header) - 1) + "|",
    ]
    for name in names:
        values = [
            cells.get((name, size, jit), {}).get("train_vs_lstm", "")
            for size, jit in _README_SETTINGS
        ]
        memory = cells.get((name, "large", "False"), {}).get(
            "memory_vs_lstm", ""
        )
        formatted = [_fmt(float(v)) if v else "" for v in [*values, memory]]
        lines.append("| " + " | ".join([f"`{name}`", *formatted]) + " |")
    return "\n".join(lines)


def write_readme_table(csv_path, readme_path="README.md") -> None:
    """Replaces the table between the README's benchmark markers."""
    with open(readme_path) as file:
        text = file.read()
    start, end = text.index(README_START), text.index(README_END)
    text = (
        text[: start + len(README_START)]
        + "\n"
        + readme_table(csv_path)
        + "\n"
        + text[end:]
    )
    with open(readme_path, "w") as file:
        file.write(text)


def main(argv=None):
    import argparse

    parser = argparse.ArgumentParser(
        description="Write a results CSV's summary table into the README."
    )
    parser.add_argument(
        "csv", nargs="?", default="benchmarks/results/cpu-2core.csv"
    )
    parser.add_argument("--readme", default="README.md")
    args = parser.parse_args(argv)
    write_readme_table(args.csv, args.readme)


if __name__ == "__main__":
    main()
