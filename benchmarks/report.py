"""Turns timings into ratios, checks the targets, writes Markdown and CSV."""

import csv
import dataclasses
import os
import platform

from benchmarks import timing
from benchmarks.candidates import MATMUL_SHAPES
from benchmarks.candidates import SIZES
from benchmarks.candidates import matmul_candidate_for
from benchmarks.decoding_bench import MODEL_STEPS_ONLY
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


def _span(values, digits=2, suffix="x") -> str:
    """`"<low><suffix>-<high><suffix>"`, or one value when they round
    alike."""
    low = f"{min(values):.{digits}f}{suffix}"
    high = f"{max(values):.{digits}f}{suffix}"
    return low if low == high else f"{low}-{high}"


def textbook_target_reason(by_setting) -> str:
    """Why the textbook target is missed, with what it asks in this run: a
    training step a third of the textbook cell's, as a multiple of the
    same-FLOPs matmul."""
    asked = {}
    for (size, jit_compile), table in by_setting.items():
        for row in table.values():
            if (
                size == "small"
                and row.kind == "textbook"
                and row.train_vs_matmul is not None
            ):
                asked.setdefault(jit_compile, []).append(
                    row.train_vs_matmul / MIN_SPEEDUP_VS_TEXTBOOK_SMALL
                )
    parts = []
    for jit_compile, label in ((True, "with XLA"), (False, "without it")):
        values = asked.get(jit_compile)
        if not values:
            continue
        below = sum(value <= 1.0 for value in values)
        parts.append(
            f"{label}, {_span(values)} the same-FLOPs matmul"
            + (f" ({below} of {len(values)} at or below 1x)" if below else "")
        )
    asked_text = ""
    if parts:
        asked_text = (
            f" A step {MIN_SPEEDUP_VS_TEXTBOOK_SMALL:g}x faster than the "
            "textbook cell's would take, in this run, "
            + "; ".join(parts)
            + ". That matmul is the machine's limit for those FLOPs: at or "
            "below 1x the target asks for a training step faster than the "
            "plain matmuls it contains, and above it for less than the "
            f"{MAX_TRAIN_VS_MATMUL_LARGE:g}x that the large size, where "
            "matmuls dominate, asks."
        )
    return (
        "On CPU `keras.layers.LSTM` runs the same generic per-step loop as "
        "the textbook cells (cuDNN is GPU-only), so they are nowhere near "
        "3-25x slower than it." + asked_text + " At this size a step is a "
        "few tiny ops whose cost is the per-op overhead of TensorFlow's "
        "executor (or of XLA's CPU loop), which the fused loop reduces but "
        "cannot remove."
    )


def recurrent_share(size, family) -> float:
    """The share of the recurrent chain (forward `h U`, backward `dz U^T`)
    in the matmul FLOPs of the family's `MatmulBaseline` (`X W`, `H U`,
    `X^T dZ`, `H^T dZ`, `dZ U^T`): `2 R units / (2 features + 3 R units)`,
    `R` the state blocks fed back."""
    _, recurrent_inputs = MATMUL_SHAPES[family]
    chain = 2 * recurrent_inputs * size.units
    return chain / (2 * size.features + 3 * recurrent_inputs * size.units)


# What keeps a layer's chain from the baseline's speed, by `jit_compile`.
_CHAIN_SCHEDULE = {
    False: (
        "the executor runs the rest of the step on the other core, beside "
        "the chain, but every op on the chain's path (its gate arithmetic "
        "too) pays the executor's per-op cost"
    ),
    True: (
        "XLA's loop body runs one op at a time, so nothing runs beside the "
        "chain, and the rest of the step waits for it"
    ),
}


def matmul_target_reason(rows, core_use) -> str:
    """Why the large-size matmul target is missed, with the measurements of
    `benchmarks.cores` when they were made, one sentence per `jit_compile`
    setting: how much the chain and the one matmul gain from all threads
    differs from machine to machine and between the two settings."""
    size = SIZES["large"]
    shares = [
        recurrent_share(size, row.family)
        for row in rows
        if row.size == "large" and row.kind == "rnnzoo"
    ]
    share = (
        "About half"
        if not shares
        else (_span([100 * s for s in shares], 0, "%"))
    )
    reason = (
        f"{share} of the layer's matmul FLOPs are its recurrent matmuls "
        "(forward h U, backward dz U^T): a chain in which every step waits "
        "for the previous one, on (batch x units) operands."
    )
    chains = [u for u in core_use if u.size == "large" and u.kind == "step"]
    wholes = {
        (u.shape, u.jit_compile): u
        for u in core_use
        if u.size == "large" and u.kind == "whole"
    }
    if not chains:
        return reason + (
            " It runs far below the efficiency of the baseline's large "
            "matmuls, and each step adds its gate arithmetic and loop "
            "overhead."
        )
    reason += (
        " `benchmarks.cores` timed that chain and the same FLOPs as one "
        "matmul, with one thread and with all (*Cores*, below)."
    )
    for jit_compile, label in ((False, "Without XLA"), (True, "With XLA")):
        setting = [c for c in chains if c.jit_compile == jit_compile]
        if not setting:
            continue
        whole = [wholes[(c.shape, c.jit_compile)] for c in setting]
        slowdowns = [
            chain.all_threads_seconds / one.all_threads_seconds
            for chain, one in zip(setting, whole)
        ]
        reason += (
            f" {label}, the chain ran {_span([c.speedup for c in setting])} "
            "as fast with all threads as with one, where the one matmul ran "
            f"{_span([w.speedup for w in whole])} as fast, and it took "
            f"{_span(slowdowns)} the time of that matmul; "
            f"{_CHAIN_SCHEDULE[jit_compile]}."
        )
    return reason


def beam_target_reason(decoding_results) -> str:
    """Why the beam-search target is missed, with the ceilings of the run:
    the model's steps alone against the Python loops."""
    loops, ceilings = {}, {}
    for result in decoding_results:
        if result.strategy != "beam":
            continue
        if "python loop" in result.name:
            loops[(result.model, "eager" in result.name)] = result
        elif MODEL_STEPS_ONLY in result.name:
            ceilings[(result.model, "XLA" in result.name)] = result
    spans = {}
    for (model, xla), ceiling in ceilings.items():
        for eager in (True, False):
            loop = loops.get((model, eager))
            if loop is not None:
                spans.setdefault((xla, eager), []).append(
                    ceiling.tokens_per_second / loop.tokens_per_second
                )
    reason = (
        "Both sides run the same model step on batch x beam rows; a "
        "compiled decoder removes only the Python loop's per-token overhead "
        "(an eager model call, or a `tf.function` call, plus the NumPy "
        "top-k)."
    )
    if all((xla, True) in spans for xla in (False, True)):
        against_step = ""
        if all((xla, False) in spans for xla in (False, True)):
            against_step = (
                f" ({_span(spans[(False, False)], 1)} and "
                f"{_span(spans[(True, False)], 1)} the tf.function-step "
                "loop's)"
            )
        reason += (
            " The model's steps alone, on the same rows and with no search "
            f"at all (the *{MODEL_STEPS_ONLY}* rows), ran at "
            f"{_span(spans[(False, True)], 1)} the tokens/s of the eager "
            f"loop without XLA and {_span(spans[(True, True)], 1)} with it"
            + against_step
            + ": no decoder can go faster than its model. "
        )
    else:
        reason += " "
    return reason + (
        "The search's own work (a log-softmax and a top-k over batch x "
        "beam x vocabulary scores per step) takes the rest: without XLA "
        "it is a few dozen small ops per step, each paying the executor's "
        "per-op cost; with XLA they fuse."
    )


def check_targets(rows, decoding_results, core_use=()):
    """Every target, once per layer and setting it applies to.

    Args:
        rows: The `LayerRow`s of every setting.
        decoding_results: The `DecodingResult`s.
        core_use: The `CoreUse`s of `benchmarks.cores`, if it ran; the
            reasons of missed targets cite them.
    """
    checks = []
    by_setting = {}
    for row in rows:
        by_setting.setdefault((row.size, row.jit_compile), {})[row.name] = row
    textbook_reason = textbook_target_reason(by_setting)
    matmul_reason = matmul_target_reason(rows, core_use)
    beam_reason = beam_target_reason(decoding_results)
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
                        "with `jit_compile=True` XLA fuses them. The other "
                        "families have fewer gate blocks than the LSTM."
                    ),
                )
            )
            if size == "small" and row.textbook_vs_train is not None:
                checks.append(
                    TargetCheck(
                        f"{row.name}: >= {MIN_SPEEDUP_VS_TEXTBOOK_SMALL}x "
                        "faster than the textbook cell",
                        _setting(row),
                        f"{row.textbook_vs_train:.2f}x",
                        row.textbook_vs_train >= MIN_SPEEDUP_VS_TEXTBOOK_SMALL,
                        why=textbook_reason,
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
                        why=matmul_reason,
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
                            "A training step keeps, for every step, what "
                            "the fused loop's hand-written gradient needs "
                            "(the tensors `fused_forward_step` saves, e.g. "
                            "the peephole LSTM's four gates, both cell "
                            "states and the fed-back state: seven (batch, "
                            "units) tensors a step) until the backward loop "
                            "frees them; the projected inputs and their "
                            "gradient exist a few steps at a time, so these "
                            "saved tensors are the step's largest buffers. "
                            "Under `jit_compile=True` XLA plans the buffers "
                            "of the whole step itself."
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
                        why=beam_reason,
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
    core_use=(),
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
    if core_use:
        out.append(_core_use_section(core_use))
    with open(path, "w") as file:
        file.write("".join(out))


def _core_use_section(core_use) -> str:
    out = [
        "## Cores\n\nFrom `benchmarks/cores.py`: the matmul of one "
        "recurrent step (`(batch, R x units)` by `(R x units, G x units)`, "
        "`GxR` as in `matmul/GxR`) run as a chain over the steps, and the "
        "same FLOPs as one matmul, each with one thread and with all of "
        "them (separate processes).\n\n"
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
