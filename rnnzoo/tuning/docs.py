"""The README's table of every zoo model's search space, generated from
the configs.

    python -m rnnzoo.tuning.docs            # print the table
    python -m rnnzoo.tuning.docs --write    # refresh it in README.md
    python -m rnnzoo.tuning.docs --check    # exit 1 if README.md is stale

The table sits in the README between `START_MARKER` and `END_MARKER`.
"""

import argparse
import sys
from pathlib import Path

from rnnzoo.tuning.space import ARGUMENT
from rnnzoo.tuning.space import CELL_OPTION
from rnnzoo.tuning.space import search_parameters
from rnnzoo.zoo import registry

START_MARKER = "<!-- search-space-table:start -->"
END_MARKER = "<!-- search-space-table:end -->"
README = Path(__file__).resolve().parents[2] / "README.md"


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "-" if value is None else str(value)


def _tunes(parameter) -> str:
    if parameter.target == ARGUMENT:
        return "architecture"
    if parameter.target == CELL_OPTION:
        return "`cell_kwargs`"
    return "training"


def search_space_table(names: list[str] | None = None) -> str:
    """A Markdown table of the search spaces of the zoo models `names`
    (default all, `rnnzoo.list_models()`): one row per hyperparameter,
    with what it tunes, the values searched, the default (the config's
    value) and when it is active."""
    names = registry.list_models() if names is None else names
    rows = [
        "| model | hyperparameter | tunes | searched over | default "
        "| active when |",
        "|---|---|---|---|---|---|",
    ]
    for name in names:
        config = registry.get_config(name)
        parameters = search_parameters(
            config, str(registry.configs_dir() / f"{name}.yaml")
        )
        tuned = {parameter.name for parameter in parameters}
        if not parameters:
            rows.append(f"| `{name}` | (none) | | | | |")
        for index, parameter in enumerate(parameters):
            condition = "always"
            if parameter.parent in tuned:
                values = ", ".join(
                    _value(value) for value in parameter.parent_values
                )
                condition = f"`{parameter.parent}` in {values}"
            rows.append(
                f"| {f'`{name}`' if index == 0 else ''} "
                f"| `{parameter.name}` | {_tunes(parameter)} "
                f"| {parameter.kind}: {parameter.describe()} "
                f"| {_value(parameter.default)} | {condition} |"
            )
    return "\n".join(rows)


def replace_section(text: str, table: str) -> str:
    """`text` with the part between the markers replaced by `table`."""
    start, end = text.find(START_MARKER), text.find(END_MARKER)
    if start < 0 or end < start:
        raise ValueError(
            f"Expected the markers {START_MARKER} and {END_MARKER}, in that "
            "order, in the README"
        )
    return text[: start + len(START_MARKER)] + "\n" + table + "\n" + text[end:]


def section_of(text: str) -> str:
    """The table between the markers of `text`."""
    start, end = text.find(START_MARKER), text.find(END_MARKER)
    if start < 0 or end < start:
        raise ValueError(
            f"Expected the markers {START_MARKER} and {END_MARKER}, in that "
            "order, in the README"
        )
    return text[start + len(START_MARKER) : end].strip("\n")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rnnzoo.tuning.docs",
        description="The README's table of the zoo's search spaces.",
    )
    action = parser.add_mutually_exclusive_group()
    action.add_argument(
        "--write", action="store_true", help="refresh the README's table"
    )
    action.add_argument(
        "--check", action="store_true", help="exit 1 if the table is stale"
    )
    parser.add_argument("--readme", type=Path, default=README)
    args = parser.parse_args(argv)
    table = search_space_table()
    if args.write:
        text = args.readme.read_text(encoding="utf-8")
        args.readme.write_text(replace_section(text, table), encoding="utf-8")
    elif args.check:
        current = section_of(args.readme.read_text(encoding="utf-8"))
        if current != table:
            print(
                f"{args.readme}: the search-space table is stale; run "
                "python -m rnnzoo.tuning.docs --write",
                file=sys.stderr,
            )
            return 1
    else:
        print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
