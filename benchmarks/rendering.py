"""Writes a run's results: Markdown tables and a CSV of the same numbers.

The Markdown file states the targets first (every check, then why the
missed ones are missed), then one table per size and `jit_compile`
setting, the decoding tables and the core use. Its explanations are quoted
from `benchmarks/results/README.md` (see `benchmarks.prose`).
"""

import csv
import dataclasses
import os
import platform

from benchmarks.prose import prose
from benchmarks.ratios import decoding_speedups

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


def machine_name() -> str:
    """`cpu-<n>core`: the number of CPU cores TensorFlow may use."""
    return f"cpu-{os.cpu_count()}core"


def machine_description() -> str:
    """The processor, cores, system and library versions of this
    machine."""
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


def format_ratio(value, digits=2, suffix="") -> str:
    """`value` with `digits` decimals, or `""` for `None` (no such
    ratio)."""
    if value is None:
        return ""
    return f"{value:.{digits}f}{suffix}"


def _csv_value(value):
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.6g}"
    return value


def write_csv(path, rows, decoding_results) -> None:
    """Writes every layer row and decoder, one line each, as `CSV_COLUMNS`.

    Args:
        path: The file to write.
        rows: The `LayerRow`s of every setting.
        decoding_results: The `DecodingResult`s.
    """
    with open(path, "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        for row in rows:
            values = dataclasses.asdict(row)
            values["benchmark"] = "layers"
            writer.writerow({k: _csv_value(values.get(k)) for k in CSV_COLUMNS})
        for result, eager, step in decoding_speedups(decoding_results):
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


LAYER_HEADER = (
    "| layer | kind | train ms | train × LSTM | forward ms | forward × "
    "LSTM | textbook ÷ layer | train × matmul | forward × matmul | peak "
    "MB | memory × LSTM |\n"
    "|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n"
)


def _layer_table(rows) -> str:
    lines = [LAYER_HEADER]
    for row in rows:
        lines.append(
            f"| {row.name} | {row.kind} | {row.train_ms:.1f} | "
            f"{row.train_vs_lstm:.2f} | {row.forward_ms:.1f} | "
            f"{row.forward_vs_lstm:.2f} | "
            f"{format_ratio(row.textbook_vs_train)} | "
            f"{format_ratio(row.train_vs_matmul)} | "
            f"{format_ratio(row.forward_vs_matmul)} | "
            f"{format_ratio(row.peak_memory_mb, 1)} | "
            f"{format_ratio(row.memory_vs_lstm)} |\n"
        )
    return "".join(lines)


def _targets_section(checks) -> str:
    met = sum(check.met for check in checks)
    out = [
        f"## Targets: {met} of {len(checks)} met\n\n",
        "| target | setting | result | met |\n|---|---|--:|:-:|\n",
    ]
    for check in checks:
        out.append(
            f"| {check.target} | {check.setting} | {check.value} | "
            f"{'yes' if check.met else '**no**'} |\n"
        )
    # The reason quotes the whole run, so it is given once per target.
    missed = {}
    for check in checks:
        if not check.met and check.why:
            missed.setdefault(check.target_id, check)
    if missed:
        out.append("\n### Why targets are missed\n\n")
        for check in missed.values():
            out.append(f"* **{check.goal}**: {check.why}\n")
    out.append("\n")
    return "".join(out)


def _decoding_section(decoding_results, decoding_setups) -> str:
    out = [f"## Decoding\n\n{prose('decoding')}\n\n"]
    speedups = list(decoding_speedups(decoding_results))
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
                f"{format_ratio(eager, 1)} | {format_ratio(step, 1)} |\n"
            )
        out.append("\n")
    return "".join(out)


def _core_use_section(core_use) -> str:
    out = [
        f"## Cores\n\n{prose('cores')}\n\n"
        "| size | matmul | jit_compile | kind | GFLOP/s, one thread | "
        "GFLOP/s, all threads | all ÷ one |\n|---|---|---|---|--:|--:|--:|\n"
    ]
    for use in core_use:
        kind = "chain of steps" if use.kind == "step" else "one matmul"
        out.append(
            f"| {use.size} | {use.shape} | {use.jit_compile} | {kind} | "
            f"{use.gflops(use.one_thread_seconds):.3g} | "
            f"{use.gflops(use.all_threads_seconds):.3g} | "
            f"{use.speedup:.2f} |\n"
        )
    out.append("\n")
    return "".join(out)


def write_markdown(
    path,
    rows,
    decoding_results,
    checks,
    sizes,
    settings,
    decoding_setups=(),
    notes=(),
    core_use=(),
    machine=None,
) -> None:
    """Writes the results file of a run.

    Args:
        path: The file to write; its name, less `.md`, titles it.
        rows: The `LayerRow`s of every setting.
        decoding_results: The `DecodingResult`s.
        checks: The `TargetCheck`s of `benchmarks.targets.check_targets`.
        sizes: The `Size`s run, in the order of their tables.
        settings: The command of the run, as the reader would repeat it.
        decoding_setups: The `DecodingSetup`s, one table each.
        notes: Paragraphs for the top of the file (a smoke run, a partial
            one).
        core_use: The `CoreUse`s of `benchmarks.cores`, if it ran.
        machine: What ran it; by default `machine_description()`.
    """
    machine = machine or machine_description()
    out = [
        f"# rnnzoo benchmarks: {os.path.splitext(os.path.basename(path))[0]}"
        "\n\n",
        f"Machine: {machine}.\n\n",
        f"Run: `{settings}`.\n\n",
        f"{prose('how-to-read')}\n\n",
    ]
    for note in notes:
        out.append(f"{note}\n\n")
    out.append(_targets_section(checks))
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
        out.append(_decoding_section(decoding_results, decoding_setups))
    if core_use:
        out.append(_core_use_section(core_use))
    with open(path, "w") as file:
        file.write("".join(out))
