"""Same recipe, other cells: measured comparisons kept in a zoo config.

A zoo entry publishes one cell; how the other cell families do on the same
task is a measured fact too, and the results page shows it. Each row of a
config's `comparisons:` list is a run of the entry's own recipe with only
the cell changed, re-measured by anyone with

    rnnzoo train zoo_configs/NAME.yaml --data-dir ../shared/data --set cell=CELL

and recorded from its run folder with

    python -m rnnzoo.zoo.comparisons RUN_DIR [RUN_DIR ...]

A run records the same split and metrics as a published run; no archive is
kept. `comparisons:` is written at the end of the config with the other
generated keys (`rnnzoo.zoo.publish`).
"""

import argparse
import json
import os
from pathlib import Path

from rnnzoo.zoo import presets


def comparison_entry_from_run(run_dir, hardware: str | None = None) -> dict:
    """The `comparisons:` row of a finished `rnnzoo train` run folder.

    Args:
        run_dir: The run folder (its `preset/metadata.json` holds what the
            run measured and the config it ran).
        hardware: What it was trained on; default the CPU count here.

    Returns:
        `{"cell", "dataset", "split", "metrics", "parameters", "epochs",
        "training_time_minutes", "hardware"}`.

    Raises:
        FileNotFoundError: The folder holds no finished run.
    """
    return _entry_from_metadata(_finished_run(run_dir), hardware)


def _finished_run(run_dir) -> dict:
    """The metadata of a finished run's preset."""
    metadata = presets.read_metadata(Path(run_dir) / "preset")
    if not metadata.get("metrics"):
        raise FileNotFoundError(
            f"Expected a finished run in run_dir={str(run_dir)!r} (with "
            "preset/metadata.json and its metrics); run `rnnzoo train` to "
            "the end first"
        )
    return metadata


def _entry_from_metadata(metadata: dict, hardware: str | None) -> dict:
    config = metadata["config"]
    training = metadata.get("training") or {}
    return {
        "cell": config["architecture"]["arguments"]["cell"],
        "dataset": metadata["dataset"],
        "split": metadata["split"],
        "metrics": {
            key: round(float(value), 6)
            for key, value in metadata["metrics"].items()
        },
        "parameters": int(metadata["parameter_count"]),
        "epochs": int(metadata["epochs"]),
        "training_time_minutes": round(
            float(training.get("training_time_minutes", 0.0)), 1
        ),
        "hardware": hardware or f"{os.cpu_count()} CPU cores",
    }


def _without_cell(arguments: dict) -> dict:
    return {
        key: value
        for key, value in arguments.items()
        if key not in ("cell", "cell_kwargs")
    }


def recipe_differences(config: dict, run_config: dict) -> list[str]:
    """The keys where a run's config differs from the entry's recipe,
    beyond the cell (`architecture.arguments.cell` and its `cell_kwargs`)
    and the generated keys; a comparison must differ in the cell alone."""
    ignored = {"weights", "default_tag", "comparisons", "search_space"}
    differences = []
    for key in sorted(set(config) | set(run_config)):
        if key in ignored:
            continue
        ours, theirs = config.get(key), run_config.get(key)
        if key == "architecture" and ours and theirs:
            ours = {**ours, "arguments": _without_cell(ours["arguments"])}
            theirs = {
                **theirs,
                "arguments": _without_cell(theirs["arguments"]),
            }
        if ours != theirs:
            differences.append(key)
    return differences


def record_comparison(run_dir, config_path=None, hardware=None) -> dict:
    """Puts a run's row into its zoo config's `comparisons:` (replacing
    the row of the same cell).

    Args:
        run_dir: A finished `rnnzoo train` run of the entry's config with
            another cell (`--set cell=...`).
        config_path: The config file; default the zoo's of the run's name.
        hardware: See `comparison_entry_from_run`.

    Returns:
        The row written.

    Raises:
        ValueError: The run's recipe differs from the config's beyond the
            cell (the comparison would not be one).
    """
    # Imported here: the schema imports this module for its checks.
    from rnnzoo.zoo import registry
    from rnnzoo.zoo.publish import write_generated
    from rnnzoo.zoo.schema import load_config

    metadata = _finished_run(run_dir)
    entry = _entry_from_metadata(metadata, hardware)
    name = metadata["name"]
    config_path = Path(config_path or registry.configs_dir() / f"{name}.yaml")
    config = load_config(config_path)
    differences = recipe_differences(config, metadata["config"])
    if differences:
        raise ValueError(
            f"Expected run_dir={str(run_dir)!r} to run the recipe of "
            f"{config_path} with only the cell changed; it differs in "
            f"{', '.join(differences)}"
        )
    rows = [
        row
        for row in config.get("comparisons", [])
        if row["cell"] != entry["cell"]
    ]
    rows.append(entry)
    config["comparisons"] = sorted(rows, key=lambda row: row["cell"])
    write_generated(config_path, config)
    return entry


def comparison_errors(config: dict) -> list[tuple[str, str]]:
    """`(key_path, message)` for each row of `comparisons:` whose cell is
    not registered or appears twice.

    Example:

    >>> comparison_errors({"comparisons": [{"cell": "gru"}, {"cell": "x"}]})
    [('comparisons.1.cell', "expected a registered cell name, got 'x'")]
    """
    from rnnzoo.layers import cell_names
    from rnnzoo.layers import tree_cell_names

    known = set(cell_names()) | set(tree_cell_names())
    errors, seen = [], set()
    for index, row in enumerate(config.get("comparisons", [])):
        where = f"comparisons.{index}.cell"
        if row["cell"] not in known:
            errors.append(
                (where, f"expected a registered cell name, got {row['cell']!r}")
            )
        elif row["cell"] in seen:
            errors.append((where, f"{row['cell']!r} appears twice"))
        seen.add(row["cell"])
    return errors


def versus_published(value, published, lower_is_better: bool) -> str:
    """How a comparison's metric stands against the published cell's.

    Example:

    >>> versus_published(0.946, 0.978, lower_is_better=False)
    '3.3% lower (worse)'
    """
    if value is None or published is None:
        return "-"
    gap = abs(value - published) / abs(published) * 100
    if gap < 0.05:
        return "same"
    better = (value < published) == lower_is_better
    direction = "lower" if value < published else "higher"
    return f"{gap:.1f}% {direction} ({'better' if better else 'worse'})"


def comparison_tables() -> str:
    """The results page's section: per config with `comparisons:`, its
    published weights (default tag) and every other cell measured with
    the same recipe, best first by the entry's headline metric."""
    # Imported here: the schema imports this module for its checks.
    from rnnzoo.zoo import registry
    from rnnzoo.zoo import results

    sections = []
    for name in registry.list_models():
        config = registry.get_config(name)
        rows = config.get("comparisons")
        published = [
            entry
            for entry in config.get("weights", [])
            if entry["tag"] == config.get("default_tag")
        ]
        if not rows or not published:
            continue
        entry = published[0]
        metric, key = results.headline_metric(config, entry)
        cell = config["architecture"]["arguments"]["cell"]
        lower_is_better = metric in results.LOWER_IS_BETTER
        measured = [(f"`{cell}` (published)", entry)] + [
            (f"`{row['cell']}`", row) for row in rows
        ]
        measured.sort(
            key=lambda item: item[1]["metrics"].get(key, float("nan")),
            reverse=not lower_is_better,
        )
        lines = [
            f"### `{name}`: same recipe, other cells",
            "",
            f"Each row: `rnnzoo train zoo_configs/{name}.yaml --data-dir "
            "../shared/data --set cell=CELL`.",
            "",
            f"| cell | data (split) | {metric} | vs `{cell}` | parameters "
            "| epochs | training time |",
            "|---|---|---|---|---|---|---|",
        ]
        ours = entry["metrics"].get(key)
        for label, row in measured:
            value = row["metrics"].get(key)
            versus = (
                "-"
                if row is entry
                else versus_published(value, ours, lower_is_better)
            )
            minutes = row.get("training_time_minutes")
            lines.append(
                f"| {label} | {row['dataset']} ({row['split']}) "
                f"| {results._number(value)} | {versus} "
                f"| {results._number(row.get('parameters'))} "
                f"| {results._number(row.get('epochs'))} "
                f"| {'-' if minutes is None else f'{minutes:.1f} min'} |"
            )
        sections.append("\n".join(lines))
    return "\n\n".join(sections)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rnnzoo.zoo.comparisons",
        description=(
            "Record runs of a zoo recipe with another cell in its config's "
            "`comparisons:`."
        ),
    )
    parser.add_argument("run_dirs", nargs="+", metavar="RUN_DIR")
    parser.add_argument("--config", help="config file (default: the zoo's)")
    parser.add_argument("--hardware", help="e.g. '2 CPU cores'")
    args = parser.parse_args(argv)
    for run_dir in args.run_dirs:
        entry = record_comparison(run_dir, args.config, args.hardware)
        print(json.dumps(entry))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
