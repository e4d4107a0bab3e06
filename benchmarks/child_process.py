"""Measurements that need a fresh TensorFlow: a benchmark module run as a
child process, which prints its result as one JSON line.

Some settings are fixed when TensorFlow starts (the host allocator of
`benchmarks.memory`, the thread counts of `benchmarks.cores`), so those
measurements run in a process of their own.
"""

import json
import os
import subprocess
import sys

REPOSITORY_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def json_from_child(module: str, arguments, environment=None, what=""):
    """Runs `python -m <module> <arguments>` and returns its last line of
    standard output, read as JSON.

    Args:
        module: The module to run, e.g. `"benchmarks.memory"`.
        arguments: Its command-line arguments, as strings.
        environment: Variables set for the child, beside this process's.
        what: What the child measures, for the error message.

    Raises:
        RuntimeError: The child failed; the message ends with its stderr.
    """
    completed = subprocess.run(
        [sys.executable, "-m", module, *arguments],
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **(environment or {})},
        capture_output=True,
        text=True,
        check=False,
        cwd=REPOSITORY_ROOT,
    )
    if completed.returncode != 0:
        raise RuntimeError(
            f"The {what or module} measurement failed "
            f"({completed.returncode}):\n{completed.stderr[-4000:]}"
        )
    return json.loads(completed.stdout.strip().splitlines()[-1])
