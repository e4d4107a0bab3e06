"""The zoo's results tables, generated from the configs alone.

    python -m rnnzoo.zoo.results            # print the tables
    python -m rnnzoo.zoo.results --write    # results/README.md + README.md
    python -m rnnzoo.zoo.results --check    # exit 1 if either is stale

One table per task, one row per published weight: the metric the config's
`reference` names, our measured value, the reference value and its source,
how far we are from it, the parameter count, the training epochs and time,
the cell and the archive size; on `results/README.md`, then each run's
notes (its entry's `description`: how it was chosen and trained).
Everything comes from the `weights:` entries that `rnnzoo.zoo.publish`
writes and from the configs' `reference:`.
"""

import argparse
import math
import sys
from pathlib import Path

from rnnzoo.tasks import get_task
from rnnzoo.zoo import registry
from rnnzoo.zoo.comparisons import comparison_tables

REPOSITORY = Path(__file__).resolve().parents[2]
README = REPOSITORY / "README.md"
RESULTS_README = REPOSITORY / "results" / "README.md"
START_MARKER = "<!-- zoo-results:start -->"
END_MARKER = "<!-- zoo-results:end -->"

# A reference names a metric as the literature does; the runs report it
# under the trainer's key.
METRIC_KEYS = {
    "negative_log_likelihood": "nll_per_step",
    "validation_loss": "loss",
}
LOWER_IS_BETTER = {
    "perplexity",
    "negative_log_likelihood",
    "nll_per_step",
    "loss",
    "validation_loss",
}
# The metric shown for a model whose config cites no reference.
FALLBACK_METRICS = ("exact_match", "accuracy", "bleu", "perplexity", "loss")
# Shown beside the main metric when a run reports them.
OTHER_METRICS = (
    "accuracy",
    "binary_accuracy",
    "bleu",
    "exact_match",
    "perplexity",
)
# Numbers below 10 are printed with this many significant digits.
SIGNIFICANT_DIGITS = 4


def headline_metric(config: dict, entry: dict) -> tuple[str, str]:
    """The metric a weights entry is judged by, as its row shows it.

    The metric the config's `reference` names, else the first of
    `FALLBACK_METRICS` the entry reports.

    Args:
        config: The zoo config.
        entry: One of its `weights:` entries.

    Returns:
        `(name, key)`: the metric's name as the table prints it (e.g.
        `"negative_log_likelihood"`) and its key in the entry's (and
        `rnnzoo.evaluate`'s) metrics (`"nll_per_step"`).
    """
    reference = config.get("reference") or {}
    metrics = entry["metrics"]
    if "metric" in reference:
        name = reference["metric"]
        return name, name if name in metrics else METRIC_KEYS.get(name, name)
    for name in FALLBACK_METRICS:
        if name in metrics:
            return name, name
    name = sorted(metrics)[0]
    return name, name


def _metric_of(config: dict, entry: dict) -> tuple[str, float | None]:
    """The metric a row shows and its value."""
    name, key = headline_metric(config, entry)
    return name, entry["metrics"].get(key)


def _decoding_note(config: dict, metric: str) -> str:
    """` (beam 5)` after a generation metric measured with a default
    decoding other than greedy, `, unknown words copied` added with
    `replace_unknown`; else nothing."""
    decoding = dict(config.get("decoding") or {})
    strategy = decoding.pop("strategy", "greedy")
    copied = ", unknown words copied" if decoding.get("replace_unknown") else ""
    if metric not in ("bleu", "exact_match"):
        return ""
    if strategy == "beam":
        return f" (beam {decoding.get('beam_width', 4)}{copied})"
    if strategy == "greedy":
        return f" (greedy{copied})" if copied else ""
    return f" ({strategy}{copied})"


def compare(metric: str, ours: float | None, reference) -> str:
    """How `ours` stands against `reference`, in words and percent."""
    if ours is None or not isinstance(reference, (int, float)):
        return "no reference"
    lower_is_better = metric in LOWER_IS_BETTER
    better = ours <= reference if lower_is_better else ours >= reference
    gap = abs(ours - reference) / abs(reference) * 100
    if better:
        return f"meets it ({gap:.1f}% better)" if gap >= 0.05 else "meets it"
    direction = "higher" if lower_is_better else "lower"
    # A miss is never shown as 0.0%: a small gap keeps its first digit.
    shown = f"{gap:.1f}" if gap >= 0.05 else f"{gap:.1g}"
    return f"**falls short** ({shown}% {direction})"


def rounding(value: float) -> tuple[str, float]:
    """How the tables print a number: the text, and the unit of its last
    digit.

    Integers (and whole numbers from 10 up) print whole; other numbers
    from 10 up print with one decimal, smaller ones with
    `SIGNIFICANT_DIGITS` significant digits (trailing zeros dropped).

    Args:
        value: The number.

    Returns:
        `(text, unit)`: e.g. `("0.9216", 1e-4)` for 0.921622,
        `("114.7", 0.1)` for 114.701698.

    Example:

    >>> rounding(7.214415)
    ('7.214', 0.001)
    """
    if isinstance(value, int) or (
        float(value).is_integer() and abs(value) >= 10
    ):
        return f"{int(value):,}", 1
    if abs(value) >= 10:
        return f"{value:.1f}", 0.1
    text = f"{value:.{SIGNIFICANT_DIGITS}g}"
    exponent = math.floor(math.log10(abs(value))) if value else 0
    return text, 10.0 ** (exponent - SIGNIFICANT_DIGITS + 1)


def _number(value) -> str:
    return "-" if value is None else rounding(value)[0]


def _cell(config: dict) -> str:
    arguments = config["architecture"]["arguments"]
    cell = arguments.get("cell", "-")
    parts = [f"`{cell}`"]
    if arguments.get("units"):
        layers = arguments.get("num_layers", 1)
        size = (
            f"{layers}x{arguments['units']}"
            if layers > 1
            else str(arguments["units"])
        )
        parts.append(size)
    if arguments.get("bidirectional"):
        parts.append("bidirectional")
    if arguments.get("character_vocab_size"):
        parts.append("+ character CNN")
    if arguments.get("crf"):
        parts.append("+ CRF")
    if isinstance(arguments.get("backbone"), str):
        parts.append(f"on `{arguments['backbone']}`")
    if arguments.get("dropout"):
        parts.append(f"dropout {arguments['dropout']}")
    return " ".join(parts)


def rows_by_task() -> dict:
    """`{task: [(name, config, entry)]}` over every published weight."""
    tasks = {}
    for name in registry.list_models():
        config = registry.get_config(name)
        for entry in config.get("weights", []):
            tasks.setdefault(config["task"], []).append((name, config, entry))
    return tasks


def results_tables() -> str:
    """The Markdown tables, one per task, with the references' sources."""
    sections = []
    header = (
        "| model | cell | data (split) | metric | ours | reference "
        "| vs reference | also measured | parameters | epochs "
        "| training time | archive |\n"
        "|---|---|---|---|---|---|---|---|---|---|---|---|"
    )
    by_title = {
        get_task(task).title: rows for task, rows in rows_by_task().items()
    }
    for title, rows in sorted(by_title.items()):
        lines = [f"### {title}", "", header]
        sources = []
        for name, config, entry in rows:
            reference = config.get("reference") or {}
            metric, ours = _metric_of(config, entry)
            value = reference.get("value")
            if reference.get("source"):
                text = " ".join(str(reference["source"]).split())
                if reference.get("note"):
                    text += ". " + " ".join(str(reference["note"]).split())
                sources.append(f"`{name}`: {text}")
            also = ", ".join(
                f"{key} {_number(entry['metrics'][key])}"
                for key in OTHER_METRICS
                if key in entry["metrics"]
                and METRIC_KEYS.get(metric, metric) != key
            )
            minutes = entry.get("training_time_minutes")
            size = entry.get("size_bytes")
            lines.append(
                f"| `{name}.{entry['tag']}` | {_cell(config)} "
                f"| {entry['dataset']} ({entry.get('split', 'test')}) "
                f"| {metric}{_decoding_note(config, metric)} "
                f"| {_number(ours)} | {_number(value)} "
                f"| {compare(metric, ours, value)} | {also or '-'} "
                f"| {_number(entry.get('parameters'))} "
                f"| {_number(entry.get('epochs'))} "
                f"| {'-' if minutes is None else f'{minutes:.1f} min'} "
                f"| {'-' if size is None else f'{size / 2**20:.2f} MB'} |"
            )
        if sources:
            lines += ["", "References: " + "; ".join(sources) + "."]
        sections.append("\n".join(lines))
    if not sections:
        return "No published weights yet."
    hardware = sorted(
        {
            entry.get("hardware", "unknown hardware")
            for rows in rows_by_task().values()
            for _, _, entry in rows
        }
    )
    note = (
        "Measured by `rnnzoo train` on the test split (the validation "
        "split where a dataset has no test split); hyperparameters chosen "
        f"on validation only. Trained on {', '.join(hardware)}."
    )
    unpublished = [
        f"`{name}`"
        for name in registry.list_models()
        if not registry.get_config(name).get("weights")
    ]
    if unpublished:
        sections.append(
            "Zoo models without published weights yet: "
            + ", ".join(unpublished)
            + "."
        )
    return note + "\n\n" + "\n\n".join(sections)


def run_notes() -> str:
    """How each published weight was chosen and trained: the
    `description` of its `weights:` entry, one paragraph per weight (the
    config's own `description` says what the model is)."""
    notes = [
        f"- `{name}.{entry['tag']}`: "
        + " ".join(str(entry["description"]).split())
        for rows in rows_by_task().values()
        for name, _, entry in rows
        if entry.get("description")
    ]
    return "\n".join(sorted(notes))


def results_page() -> str:
    """The whole of `results/README.md`: the tables, then the runs'
    notes."""
    notes = run_notes()
    comparisons = comparison_tables()
    return (
        "# Results of the pretrained zoo\n\n"
        "Generated by `python -m rnnzoo.zoo.results --write` from the "
        "`weights:` and `reference:` of `zoo_configs/*.yaml`; do not edit "
        "by hand.\n\n"
        + results_tables()
        + (
            "\n\n## Same recipe, other cells\n\n" + comparisons
            if comparisons
            else ""
        )
        + ("\n\n## Notes on the runs\n\n" + notes if notes else "")
        + "\n"
    )


def replace_section(text: str, table: str) -> str:
    """`text` with the part between the markers replaced by `table`."""
    start, end = text.find(START_MARKER), text.find(END_MARKER)
    if start < 0 or end < start:
        raise ValueError(
            f"Expected the markers {START_MARKER} and {END_MARKER}, in that "
            "order, in the README"
        )
    return text[: start + len(START_MARKER)] + "\n" + table + "\n" + text[end:]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rnnzoo.zoo.results",
        description="The zoo's results tables, from the configs.",
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", action="store_true")
    group.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    tables = results_tables()
    if not (args.write or args.check):
        print(tables)
        return 0
    readme = replace_section(README.read_text(encoding="utf-8"), tables)
    page = results_page()
    if args.check:
        stale = [
            str(path)
            for path, text in ((README, readme), (RESULTS_README, page))
            if not path.exists() or path.read_text(encoding="utf-8") != text
        ]
        if stale:
            print(
                f"Stale: {', '.join(stale)}; run python -m "
                "rnnzoo.zoo.results --write",
                file=sys.stderr,
            )
            return 1
        return 0
    README.write_text(readme, encoding="utf-8")
    RESULTS_README.parent.mkdir(exist_ok=True)
    RESULTS_README.write_text(page, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
