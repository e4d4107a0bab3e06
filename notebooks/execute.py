"""Executes the tutorials in place and stores their outputs.

    .venv/bin/python notebooks/execute.py [NAME ...] [--small] [--jobs N]

NAME is a notebook's file name or stem (`03_pretrained`); without one,
every notebook in this folder runs. Each runs top to bottom in a fresh
kernel of this interpreter, in a temporary working folder, two at a time,
and is written back with its outputs only if every cell succeeded.

The stored outputs are those of the full run (`RNNZOO_NOTEBOOK_SMALL`
unset), the tutorials' real results; `--small` stores the small run
instead (for a quick look; the tests run that one). The run is made as
repeatable as it can be: fixed seeds in the notebooks, `PYTHONHASHSEED=0`,
`TF_DETERMINISTIC_OPS=1`, a fresh weights cache filled offline from this
checkout's `hub/` (`RNNZOO_OFFLINE=1`), and no `RNNZOO_WEIGHTS_URL`,
`RNNZOO_CONFIGS` or `RNNZOO_DATA_DIR` from the caller's environment.
Timings (training logs, speed comparisons) still differ from run to run.

Before writing, the outputs are cleaned: TensorFlow's and absl's log lines
are dropped from the output streams, each cell's consecutive stream
outputs are joined into one, and the temporary folders, this checkout's
path and the home folder are cut out of all text; the notebook's
metadata is kept as it was. What cleaning cannot fix (an error, an
absolute path, a memory address, a notebook over 1 MB) is reported, and
`tests/notebooks/test_notebooks.py` checks the stored notebooks the same
way (`stored_output_problems`).
"""

import argparse
import asyncio
import copy
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

NOTEBOOKS_DIR = Path(__file__).resolve().parent
REPOSITORY = NOTEBOOKS_DIR.parent
KERNEL_NAME = "python3"
CELL_TIMEOUT_S = 1800
MAX_NOTEBOOK_BYTES = 1_000_000

# Log lines of TensorFlow, XLA and absl that reach a notebook's streams
# (the kernel forwards what the C++ runtime writes to its file
# descriptors, and TensorFlow's Python logger writes to stdout): noise in
# a tutorial, and different on every machine.
_NOISE = re.compile(
    r"^(?:"
    r"WARNING: All log messages before absl::InitializeLog\(\)"
    r"|[IWEF]\d{4} \d\d:\d\d:\d\d\.\d+ +\d+ \S+:\d+\] "  # absl / glog
    r"|(?:WARNING|INFO|ERROR):(?:tensorflow|absl):"
    r"|.*(?:oneDNN custom operations|cuda drivers|cuDNN factory|cuFFT factory"
    r"|cuBLAS factory|TF-TRT Warning|This TensorFlow binary is optimized"
    r"|To enable the following instructions|rebuild TensorFlow with)"
    r")"
)
_ADDRESS = re.compile(r"\bat 0x[0-9a-f]{6,}\b")


def notebook_paths(names=()) -> list[Path]:
    """The notebooks `names` picks (file names or stems), or all."""
    every = sorted(NOTEBOOKS_DIR.glob("*.ipynb"))
    if not names:
        return every
    by_name = {}
    for path in every:
        by_name[path.stem] = by_name[path.name] = path
    paths = []
    for name in names:
        key = Path(name).name
        if key not in by_name:
            known = ", ".join(path.stem for path in every)
            raise SystemExit(f"No notebook {name!r} here; expected {known}.")
        paths.append(by_name[key])
    return paths


def kernel_environment(root: Path, small: bool) -> dict:
    """The variables to set for the kernels (`None`: unset): a `python3`
    kernelspec for this interpreter first on the Jupyter path, a fresh
    cache in `root`, offline, repeatable."""
    spec_dir = root / "jupyter" / "kernels" / KERNEL_NAME
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [
            sys.executable,
            "-m",
            "ipykernel_launcher",
            "-f",
            "{connection_file}",
        ],
        "display_name": "Python 3 (rnnzoo notebooks)",
        "language": "python",
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    jupyter_path = [str(root / "jupyter"), os.environ.get("JUPYTER_PATH", "")]
    return {
        "JUPYTER_PATH": os.pathsep.join(filter(None, jupyter_path)),
        "RNNZOO_NOTEBOOK_SMALL": "1" if small else None,
        "RNNZOO_HOME": str(root / "rnnzoo_home"),
        "RNNZOO_OFFLINE": "1",
        "RNNZOO_WEIGHTS_URL": None,
        "RNNZOO_CONFIGS": None,
        "RNNZOO_DATA_DIR": None,
        "MPLBACKEND": "Agg",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "TF_DETERMINISTIC_OPS": "1",
        "PYTHONHASHSEED": "0",
        "PYTHONWARNINGS": None,
    }


def _replacements(extra_dirs=()) -> list[tuple[str, str]]:
    """Folder prefixes cut out of stored text, longest first."""
    pairs = [(str(Path(d)) + os.sep, "") for d in extra_dirs]
    pairs.append((str(REPOSITORY) + os.sep, ""))
    home = str(Path.home())
    if home not in ("", os.sep):
        pairs.append((home + os.sep, "~" + os.sep))
    return sorted(pairs, key=lambda pair: -len(pair[0]))


# Where a warning raised by a cell's own code says it came from: the
# kernel's temporary file of that cell, different on every run.
_CELL_FILE = re.compile(r"\S*ipykernel_\d+[/\\]\d+\.py:\d+: ")


def _clean_text(text: str, replacements) -> str:
    text = _CELL_FILE.sub("", text)
    for prefix, replacement in replacements:
        text = text.replace(prefix, replacement)
    return text


def clean_outputs(notebook, extra_dirs=()) -> None:
    """Drops log noise and local folders from the outputs and joins each
    cell's consecutive stream outputs, in place."""
    replacements = _replacements(extra_dirs)
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        kept = []
        for output in cell.outputs:
            if output.output_type == "stream":
                lines = output.text.splitlines(keepends=True)
                lines = [line for line in lines if not _NOISE.match(line)]
                output.text = _clean_text("".join(lines), replacements)
                if not output.text:
                    continue
                previous = kept[-1] if kept else None
                if (
                    previous is not None
                    and previous.output_type == "stream"
                    and previous.name == output.name
                ):
                    previous.text += output.text  # One block per stream.
                    continue
            for mime, value in output.get("data", {}).items():
                if mime.startswith("text/") or mime.endswith("json"):
                    if isinstance(value, str):
                        output.data[mime] = _clean_text(value, replacements)
            if output.output_type == "error":
                output.traceback = [
                    _clean_text(line, replacements) for line in output.traceback
                ]
            kept.append(output)
        cell.outputs = kept


def _output_texts(output):
    if output.output_type == "stream":
        yield output.text
    for mime, value in output.get("data", {}).items():
        if mime.startswith("text/") and isinstance(value, str):
            yield value
    if output.output_type == "error":
        yield from output.traceback


def stored_output_problems(notebook, size_bytes=None) -> list[str]:
    """What is wrong with an executed notebook as stored: empty when it ran
    top to bottom, error-free, with clean, portable outputs."""
    problems = []
    code_cells = [cell for cell in notebook.cells if cell.cell_type == "code"]
    counts = [cell.execution_count for cell in code_cells]
    if counts != list(range(1, len(code_cells) + 1)):
        problems.append(
            f"execution counts {counts}: not one run from top to bottom"
        )
    local_dirs = [str(REPOSITORY), tempfile.gettempdir()]
    if str(Path.home()) not in ("", os.sep):
        local_dirs.append(str(Path.home()))
    for number, cell in enumerate(code_cells, start=1):
        for output in cell.outputs:
            if output.output_type == "error":
                problems.append(f"code cell {number}: an error output")
            if output.output_type == "stream":
                noisy = [
                    line
                    for line in output.text.splitlines()
                    if _NOISE.match(line)
                ]
                if noisy:
                    problems.append(
                        f"code cell {number}: log noise in {output.name}: "
                        f"{noisy[0][:80]!r}"
                    )
            for text in _output_texts(output):
                for folder in local_dirs:
                    if folder + os.sep in text:
                        problems.append(
                            f"code cell {number}: a local path under "
                            f"{folder!r} in its output"
                        )
                if _ADDRESS.search(text):
                    problems.append(
                        f"code cell {number}: a memory address in its output "
                        f"({_ADDRESS.search(text).group()!r})"
                    )
    if size_bytes is not None and size_bytes > MAX_NOTEBOOK_BYTES:
        problems.append(
            f"{size_bytes / 1e6:.2f} MB stored, over "
            f"{MAX_NOTEBOOK_BYTES / 1e6:.0f} MB"
        )
    return problems


async def _execute(paths, root, jobs, timeout):
    import nbclient
    import nbformat

    slots = asyncio.Semaphore(jobs)

    async def execute_one(path):
        notebook = nbformat.read(path, as_version=4)
        metadata = copy.deepcopy(notebook.metadata)
        working_dir = root / "work" / path.stem
        working_dir.mkdir(parents=True)
        async with slots:
            print(f"{path.stem}: running", flush=True)
            start = time.perf_counter()
            client = nbclient.NotebookClient(
                notebook,
                timeout=timeout,
                kernel_name=KERNEL_NAME,
                record_timing=False,
                resources={"metadata": {"path": str(working_dir)}},
            )
            try:
                await client.async_execute()
            except Exception as error:  # Reported; the file is kept.
                return path, error, time.perf_counter() - start
            notebook.metadata = metadata
            clean_outputs(notebook, [working_dir, root])
            return path, notebook, time.perf_counter() - start

    return await asyncio.gather(*(execute_one(path) for path in paths))


def main(argv=None) -> int:
    import nbformat

    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "names", nargs="*", metavar="NAME", help="notebooks (default: all)"
    )
    parser.add_argument(
        "--small",
        action="store_true",
        help="store the small run (RNNZOO_NOTEBOOK_SMALL=1)",
    )
    parser.add_argument(
        "--jobs", type=int, default=2, help="notebooks run at once (2)"
    )
    parser.add_argument(
        "--timeout",
        type=int,
        default=CELL_TIMEOUT_S,
        help=f"seconds per cell ({CELL_TIMEOUT_S})",
    )
    args = parser.parse_args(argv)
    paths = notebook_paths(args.names)

    failed = False
    with tempfile.TemporaryDirectory(prefix="rnnzoo-notebooks-") as tmp:
        root = Path(tmp).resolve()
        for name, value in kernel_environment(root, args.small).items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        results = asyncio.run(
            _execute(paths, root, max(1, args.jobs), args.timeout)
        )
        for path, outcome, seconds in results:
            if isinstance(outcome, Exception):
                failed = True
                print(
                    f"{path.stem}: FAILED after {seconds:.0f} s, not "
                    f"written\n{outcome}",
                    file=sys.stderr,
                )
                continue
            text = nbformat.writes(outcome)
            text += "" if text.endswith("\n") else "\n"
            path.write_text(text, encoding="utf-8")
            size = len(text.encode("utf-8"))
            problems = stored_output_problems(outcome, size)
            print(f"{path.stem}: {seconds:.0f} s, {size / 1e3:.0f} kB")
            for problem in problems:
                failed = True
                print(f"  {problem}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
