"""The targets each ratio is judged against, and why a missed one is missed.

The targets are those of the benchmark issue. A missed target is reported
with its reason, never relaxed. The reasons are the explanations of
`benchmarks/results/README.md` (see `benchmarks.prose`) with the
measurements of the run that back them filled in.
"""

import dataclasses

from benchmarks.candidates import MATMUL_SHAPES
from benchmarks.candidates import SIZES
from benchmarks.decoding_bench import MODEL_STEPS_ONLY
from benchmarks.prose import prose
from benchmarks.ratios import PYTHON_LOOPS
from benchmarks.ratios import RNNZOO_DECODERS
from benchmarks.ratios import decoder_id

MAX_TRAIN_VS_LSTM = 1.0
MIN_SPEEDUP_VS_TEXTBOOK_SMALL = 3.0
MAX_TRAIN_VS_MATMUL_LARGE = 1.4
MAX_MEMORY_VS_LSTM = 1.2
MIN_BEAM_SPEEDUP = 10.0

# Target id to what the target asks, as the results file states it.
TARGETS = {
    "train_vs_lstm": (
        f"training step <= {MAX_TRAIN_VS_LSTM}x keras.layers.LSTM"
    ),
    "textbook_speedup": (
        f">= {MIN_SPEEDUP_VS_TEXTBOOK_SMALL}x faster than the textbook cell"
    ),
    "train_vs_matmul": (
        f"training step <= {MAX_TRAIN_VS_MATMUL_LARGE}x the same-FLOPs matmul"
    ),
    "memory_vs_lstm": f"peak memory <= {MAX_MEMORY_VS_LSTM}x keras.layers.LSTM",
    "beam_speedup": (
        f">= {MIN_BEAM_SPEEDUP:g}x the tokens/s of the Python-loop decoder"
    ),
}


@dataclasses.dataclass
class TargetCheck:
    """One target checked for one layer or decoder in one setting.

    Attributes:
        target_id: The target, a key of `TARGETS`.
        subject: The layer or decoder checked.
        setting: Where it was checked: a size and `jit_compile` setting,
            or the decoder it was compared with.
        value: The measured ratio, formatted.
        met: Whether the ratio meets the target.
        why: Why the target is missed; empty where it is met.
    """

    target_id: str
    subject: str
    setting: str
    value: str
    met: bool
    why: str = ""

    @property
    def goal(self) -> str:
        """What the target asks."""
        return TARGETS[self.target_id]

    @property
    def target(self) -> str:
        """`"<subject>: <goal>"`, the check's line in the results file."""
        return f"{self.subject}: {self.goal}"


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
    same-FLOPs matmul.

    Args:
        by_setting: `(size, jit_compile)` to name to `LayerRow`.
    """
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
        part = prose(
            "why-textbook-asked-setting", setting=label, span=_span(values)
        )
        below = sum(value <= 1.0 for value in values)
        if below:
            part += " " + prose(
                "why-textbook-asked-below", below=below, count=len(values)
            )
        parts.append(part)
    sentences = [prose("why-textbook")]
    if parts:
        sentences.append(
            prose(
                "why-textbook-asked",
                speedup=f"{MIN_SPEEDUP_VS_TEXTBOOK_SMALL:g}x",
                asked="; ".join(parts),
                matmul_limit=f"{MAX_TRAIN_VS_MATMUL_LARGE:g}x",
            )
        )
    sentences.append(prose("why-textbook-overhead"))
    return " ".join(sentences)


def recurrent_share(size, family) -> float:
    """The share of the recurrent chain (forward `h U`, backward `dz U^T`)
    in the matmul FLOPs of the family's `MatmulBaseline` (`X W`, `H U`,
    `X^T dZ`, `H^T dZ`, `dZ U^T`): `2 R units / (2 features + 3 R units)`,
    `R` the state blocks fed back."""
    _, recurrent_inputs = MATMUL_SHAPES[family]
    chain = 2 * recurrent_inputs * size.units
    return chain / (2 * size.features + 3 * recurrent_inputs * size.units)


def matmul_target_reason(rows, core_use) -> str:
    """Why the large-size matmul target is missed, with the measurements of
    `benchmarks.cores` when they were made, one sentence per `jit_compile`
    setting.

    Args:
        rows: The `LayerRow`s of every setting, the large size's rnnzoo
            layers among them.
        core_use: The `CoreUse`s of `benchmarks.cores`; may be empty.
    """
    size = SIZES["large"]
    shares = [
        100 * recurrent_share(size, row.family)
        for row in rows
        if row.size == "large" and row.kind == "rnnzoo"
    ]
    sentences = [prose("why-matmul-chain", share=_span(shares, 0, "%"))]
    chains = [u for u in core_use if u.size == "large" and u.kind == "step"]
    wholes = {
        (u.shape, u.jit_compile): u
        for u in core_use
        if u.size == "large" and u.kind == "whole"
    }
    if not chains:
        sentences.append(prose("why-matmul-no-cores"))
        return " ".join(sentences)
    sentences.append(prose("why-matmul-cores"))
    for jit_compile, label, schedule in (
        (False, "Without XLA", "why-matmul-schedule-without-xla"),
        (True, "With XLA", "why-matmul-schedule-with-xla"),
    ):
        setting = [c for c in chains if c.jit_compile == jit_compile]
        if not setting:
            continue
        whole = [wholes[(c.shape, c.jit_compile)] for c in setting]
        slowdowns = [
            chain.all_threads_seconds / one.all_threads_seconds
            for chain, one in zip(setting, whole)
        ]
        sentences.append(
            prose(
                "why-matmul-setting",
                setting=label,
                chain_speedup=_span([c.speedup for c in setting]),
                matmul_speedup=_span([w.speedup for w in whole]),
                slowdown=_span(slowdowns),
                schedule=prose(schedule),
            )
        )
    return " ".join(sentences)


def beam_target_reason(decoding_results) -> str:
    """Why the beam-search target is missed, with the ceilings of the run:
    the model's steps alone against the Python loops.

    Args:
        decoding_results: The `DecodingResult`s of the run.
    """
    loops, ceilings = {}, {}
    for result in decoding_results:
        if result.strategy != "beam":
            continue
        decoder = decoder_id(result)
        if decoder in PYTHON_LOOPS:
            loops[(result.model, decoder == "python_loop_eager")] = result
        elif decoder in ("model_steps", "model_steps_xla"):
            ceilings[(result.model, decoder == "model_steps_xla")] = result
    spans = {}
    for (model, xla), ceiling in ceilings.items():
        for eager in (True, False):
            loop = loops.get((model, eager))
            if loop is not None:
                spans.setdefault((xla, eager), []).append(
                    ceiling.tokens_per_second / loop.tokens_per_second
                )
    sentences = [prose("why-beam-overhead")]
    if all((xla, True) in spans for xla in (False, True)):
        against_step = ""
        if all((xla, False) in spans for xla in (False, True)):
            against_step = " " + prose(
                "why-beam-ceiling-step",
                step_without_xla=_span(spans[(False, False)], 1),
                step_with_xla=_span(spans[(True, False)], 1),
            )
        sentences.append(
            prose(
                "why-beam-ceiling",
                steps_only=MODEL_STEPS_ONLY,
                eager_without_xla=_span(spans[(False, True)], 1),
                eager_with_xla=_span(spans[(True, True)], 1),
                against_step=against_step,
            )
        )
    sentences.append(prose("why-beam-search"))
    return " ".join(sentences)


def _layer_checks(by_setting) -> list[TargetCheck]:
    checks = []
    for (size, _), table in by_setting.items():
        for row in table.values():
            if row.kind != "rnnzoo":
                continue
            checks.append(
                TargetCheck(
                    "train_vs_lstm",
                    row.name,
                    _setting(row),
                    f"{row.train_vs_lstm:.2f}x",
                    row.train_vs_lstm <= MAX_TRAIN_VS_LSTM,
                )
            )
            if size == "small" and row.textbook_vs_train is not None:
                checks.append(
                    TargetCheck(
                        "textbook_speedup",
                        row.name,
                        _setting(row),
                        f"{row.textbook_vs_train:.2f}x",
                        row.textbook_vs_train >= MIN_SPEEDUP_VS_TEXTBOOK_SMALL,
                    )
                )
            if size == "large" and row.train_vs_matmul is not None:
                checks.append(
                    TargetCheck(
                        "train_vs_matmul",
                        row.name,
                        _setting(row),
                        f"{row.train_vs_matmul:.2f}x",
                        row.train_vs_matmul <= MAX_TRAIN_VS_MATMUL_LARGE,
                    )
                )
            if row.memory_vs_lstm is not None:
                checks.append(
                    TargetCheck(
                        "memory_vs_lstm",
                        row.name,
                        _setting(row),
                        f"{row.memory_vs_lstm:.2f}x",
                        row.memory_vs_lstm <= MAX_MEMORY_VS_LSTM,
                    )
                )
    return checks


def _decoding_checks(decoding_results) -> list[TargetCheck]:
    beams = [r for r in decoding_results if r.strategy == "beam"]
    checks = []
    for result in beams:
        if decoder_id(result) not in RNNZOO_DECODERS:
            continue
        for reference in beams:
            if (
                reference.model != result.model
                or decoder_id(reference) not in PYTHON_LOOPS
            ):
                continue
            speedup = result.tokens_per_second / reference.tokens_per_second
            checks.append(
                TargetCheck(
                    "beam_speedup",
                    f"{result.model} {result.name}",
                    f"against {reference.name}",
                    f"{speedup:.1f}x",
                    speedup >= MIN_BEAM_SPEEDUP,
                )
            )
    return checks


def check_targets(rows, decoding_results, core_use=()) -> list[TargetCheck]:
    """Every target, once per layer and setting it applies to.

    Args:
        rows: The `LayerRow`s of every setting.
        decoding_results: The `DecodingResult`s.
        core_use: The `CoreUse`s of `benchmarks.cores`, if it ran; the
            reasons of missed targets cite them.

    Returns:
        The checks, each missed one with its reason.
    """
    by_setting = {}
    for row in rows:
        by_setting.setdefault((row.size, row.jit_compile), {})[row.name] = row
    checks = _layer_checks(by_setting) + _decoding_checks(decoding_results)
    reasons = {
        "train_vs_lstm": lambda: prose("why-train-vs-lstm"),
        "textbook_speedup": lambda: textbook_target_reason(by_setting),
        "train_vs_matmul": lambda: matmul_target_reason(rows, core_use),
        "memory_vs_lstm": lambda: prose("why-memory"),
        "beam_speedup": lambda: beam_target_reason(decoding_results),
    }
    # A reason quotes the whole run, so it is written once per target, and
    # only for targets that some check misses.
    missed = [check for check in checks if not check.met]
    for target_id in dict.fromkeys(check.target_id for check in missed):
        why = reasons[target_id]()
        for check in missed:
            if check.target_id == target_id:
                check.why = why
    return checks
