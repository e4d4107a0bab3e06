"""The release check: every published weight, measured again in full.

    python -m rnnzoo.zoo.verify                          # every entry
    python -m rnnzoo.zoo.verify vowels_mgu.japanese_vowels --data-dir DIR
    rnnzoo verify [NAME.TAG ...] [--data-dir DIR]

For each `weights:` entry of the zoo configs, the archive is fetched as a
user gets it (`registry.fetch_weights`, so `RNNZOO_WEIGHTS_URL` picks the
hub), measured by `rnnzoo.evaluate` on the whole split the entry records
(generation metrics, BLEU and exact match, included), and its headline
metric (the one the results table shows, `results.headline_metric`) is
compared with the recorded value. The two must agree to within half a unit
of the last digit the table prints (`results.rounding`): a difference the
table would show fails. The exit status is 1 if any entry fails.
"""

import argparse
import dataclasses
import math
import os
import sys
import time
from collections.abc import Callable

from rnnzoo.zoo import registry
from rnnzoo.zoo import results

DATA_DIR_ENV = "RNNZOO_DATA_DIR"
COLUMNS = ("entry", "metric", "split", "recorded", "measured", "allowed")


def within_rounding(measured: float | None, recorded: float) -> bool:
    """Whether `measured` matches `recorded` as the results table prints it.

    Args:
        measured: The value measured now.
        recorded: The value in the config's `weights:` entry.

    Returns:
        `True` if the two differ by at most half a unit of the last digit
        `results.rounding` keeps of `recorded`.

    Example:

    >>> within_rounding(0.92164, 0.921622)  # printed 0.9216: +-0.00005
    True
    >>> within_rounding(0.9218, 0.921622)
    False
    """
    if measured is None or not math.isfinite(measured):
        return False
    _, unit = results.rounding(recorded)
    # The slack absorbs float error in a difference of exactly half a unit.
    return abs(measured - recorded) <= unit / 2 * (1 + 1e-9)


@dataclasses.dataclass
class Check:
    """The verdict on one published entry.

    Attributes:
        name: The entry, `"name.tag"`.
        metric: The headline metric, as the results table names it.
        split: The split measured.
        recorded: The value recorded in the config.
        measured: The value measured now; `None` if measuring failed.
        seconds: Time spent fetching and measuring.
        error: Why measuring failed, or `None`.
    """

    name: str
    metric: str
    split: str
    recorded: float
    measured: float | None = None
    seconds: float = 0.0
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and within_rounding(
            self.measured, self.recorded
        )

    def failure(self) -> str:
        """One line saying why the entry fails."""
        if self.error is not None:
            return f"{self.name}: could not measure {self.metric}: {self.error}"
        text, unit = results.rounding(self.recorded)
        return (
            f"{self.name}: {self.metric} measured {self.measured:.6g} on the "
            f"full {self.split!r} split, recorded {self.recorded:.6g} (the "
            f"results table prints {text}, allowing +-{unit / 2:.2g})"
        )


def published_entries(names=None) -> list[str]:
    """The `name.tag` of the entries to check.

    Args:
        names: `"name.tag"` (one entry) or `"name"` (each of its entries);
            default every published entry of the zoo.

    Raises:
        ValueError: an unknown model or tag, or a model without weights.
    """
    if not names:
        return registry.list_models(pretrained=True)
    entries = []
    for name in names:
        model_name, _, tag = name.partition(".")
        config = registry.get_config(model_name)
        if tag:
            entries.append(
                f"{model_name}.{registry.weights_entry(config, tag)['tag']}"
            )
            continue
        registry.weights_entry(config, None)  # Raises if none are published.
        entries += [f"{model_name}.{w['tag']}" for w in config["weights"]]
    return entries


def measure_entry(name: str, split: str, data_dir=None) -> dict:
    """Fetches the archive of `name.tag` and measures it on all of `split`.

    Returns:
        `rnnzoo.evaluate`'s metrics, generation metrics included.
    """
    from rnnzoo.training import evaluate

    archive = registry.fetch_weights(name)
    return evaluate(str(archive), data_dir=data_dir, split=split)


def verify_entry(
    name: str, data_dir=None, measure: Callable = measure_entry
) -> Check:
    """Measures one published entry and compares its headline metric.

    Args:
        name: The entry, `"name.tag"`.
        data_dir: Where the datasets' files are.
        measure: `measure(name, split, data_dir) -> metrics`; default
            `measure_entry`.

    Returns:
        A `Check`; an error while measuring (e.g. a missing dataset, or a
        split whose labels are hidden) is its `error`, never a number.
    """
    config = registry.get_config(name)
    entry = registry.weights_entry(config, name.partition(".")[2])
    metric, key = results.headline_metric(config, entry)
    split = entry.get("split", "test")
    check = Check(name, metric, split, entry["metrics"][key])
    started = time.perf_counter()
    try:
        measured = measure(name, split, data_dir)
        if key not in measured:
            raise ValueError(
                f"the evaluation reported no {key!r}; it reported "
                f"{sorted(measured)}"
            )
        check.measured = float(measured[key])
    except Exception as error:  # A release check reports every entry.
        check.error = f"{type(error).__name__}: {error}".splitlines()[0]
    check.seconds = time.perf_counter() - started
    return check


def format_table(checks: list[Check]) -> str:
    """The checks as an aligned text table."""
    rows = [(*COLUMNS, "ok", "seconds")]
    for check in checks:
        _, unit = results.rounding(check.recorded)
        measured = (
            "error" if check.measured is None else f"{check.measured:.6g}"
        )
        rows.append(
            (
                check.name,
                check.metric,
                check.split,
                f"{check.recorded:.6g}",
                measured,
                f"+-{unit / 2:.2g}",
                "yes" if check.ok else "NO",
                f"{check.seconds:.1f}",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(
            cell.ljust(width) for cell, width in zip(row, widths)
        ).rstrip()
        for row in rows
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of `rnnzoo verify` and `python -m rnnzoo.zoo.verify`."""
    parser.add_argument(
        "names",
        nargs="*",
        metavar="NAME.TAG",
        help="entries to check (default: every published entry)",
    )
    parser.add_argument(
        "--data-dir",
        default=os.environ.get(DATA_DIR_ENV),
        help=f"folder of the datasets' files (default ${DATA_DIR_ENV})",
    )


def run(args: argparse.Namespace, measure: Callable = measure_entry) -> int:
    """Checks the entries `args` name, prints the table; returns the exit
    status (1 if any entry fails)."""
    checks = []
    for name in published_entries(args.names):
        print(f"verify: measuring {name} ...", file=sys.stderr, flush=True)
        checks.append(verify_entry(name, args.data_dir, measure))
    print(format_table(checks), flush=True)
    failed = [check for check in checks if not check.ok]
    for check in failed:
        print(f"FAIL {check.failure()}", file=sys.stderr)
    if failed:
        print(
            f"verify: {len(failed)} of {len(checks)} entries differ from "
            "their recorded metric",
            file=sys.stderr,
        )
    return 1 if failed else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rnnzoo.zoo.verify",
        description="Measure published weights on their full split and "
        "compare with the recorded metrics.",
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
