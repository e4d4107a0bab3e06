"""The README's summary of a results CSV.

    python -m benchmarks.report benchmarks/results/cpu-2core.csv

rewrites the table between the README's benchmark markers: every recurrent
layer's training step and peak memory relative to `keras.layers.LSTM`, per
size and `jit_compile` setting. The results files themselves are written by
`benchmarks.run`: ratios by `benchmarks.ratios`, target checks by
`benchmarks.targets`, Markdown and CSV by `benchmarks.rendering`.
"""

import csv

from benchmarks.rendering import format_ratio

README_START = "<!-- benchmark-table:start -->"
README_END = "<!-- benchmark-table:end -->"
_README_SETTINGS = [
    ("small", "False"),
    ("small", "True"),
    ("large", "False"),
    ("large", "True"),
]


def readme_table(csv_path) -> str:
    """The README's summary of a results CSV.

    Args:
        csv_path: A CSV written by `benchmarks.rendering.write_csv`.

    Returns:
        A Markdown table, one line per Keras and rnnzoo layer (by its
        candidate name), without a trailing newline.
    """
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
        formatted = [
            format_ratio(float(v)) if v else "" for v in [*values, memory]
        ]
        lines.append("| " + " | ".join([f"`{name}`", *formatted]) + " |")
    return "\n".join(lines)


def write_readme_table(csv_path, readme_path="README.md") -> None:
    """Replaces the table between the README's benchmark markers.

    Args:
        csv_path: A CSV written by `benchmarks.rendering.write_csv`.
        readme_path: The Markdown file with `README_START` and
            `README_END` markers.
    """
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


def main(argv=None) -> None:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.report",
        description="Write a results CSV's summary table into the README.",
    )
    parser.add_argument(
        "csv", nargs="?", default="benchmarks/results/cpu-2core.csv"
    )
    parser.add_argument("--readme", default="README.md")
    args = parser.parse_args(argv)
    write_readme_table(args.csv, args.readme)


if __name__ == "__main__":
    main()
