"""Runs `backend_outputs.py` on other Keras backends, one fresh process per
backend (a process picks its backend when it first imports Keras)."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

SCRIPT = Path(__file__).with_name("backend_outputs.py")
REPOSITORY = SCRIPT.parents[2]
# A backend process should take seconds; this only stops a hung one.
TIMEOUT_SECONDS = 600


def backend_environment(backend: str) -> dict:
    environment = dict(os.environ, KERAS_BACKEND=backend)
    environment.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    # CPU only, on every backend, so that each one computes in float32
    # with the same kernels every run.
    environment.setdefault("JAX_PLATFORMS", "cpu")
    environment.setdefault("CUDA_VISIBLE_DEVICES", "")
    return environment


@pytest.fixture(scope="session")
def outputs_on(tmp_path_factory):
    """`outputs_on(*backends)` -> one `{name: array}` per backend, computed
    by `backend_outputs.py` in one process per backend, run side by side;
    each backend runs once a session."""
    folder = tmp_path_factory.mktemp("backend_outputs")
    computed = {}

    def compute(*backends):
        started = {}
        for backend in backends:
            if backend in computed:
                continue
            path = folder / f"{backend}.npz"
            started[backend] = (
                path,
                subprocess.Popen(
                    [sys.executable, str(SCRIPT), str(path)],
                    cwd=REPOSITORY,
                    env=backend_environment(backend),
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                ),
            )
        for backend, (path, process) in started.items():
            output, _ = process.communicate(timeout=TIMEOUT_SECONDS)
            if process.returncode != 0:
                pytest.fail(
                    f"backend_outputs.py failed on {backend} (exit "
                    f"{process.returncode}):\n{output[-6000:]}"
                )
            with np.load(path) as arrays:
                computed[backend] = dict(arrays)
        return [computed[backend] for backend in backends]

    return compute
