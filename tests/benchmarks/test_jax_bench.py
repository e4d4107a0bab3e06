"""The JAX benchmarks run and write their files; timings are not checked.

`benchmarks.lax_lstm`, the hand-written reference, must compute Keras's LSTM
(else the ratios to it compare different things); the suite must run
without TensorFlow.
"""

import csv
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

jax = pytest.importorskip("jax")

from benchmarks.lax_lstm import lstm_last_output  # noqa: E402
from benchmarks.lax_lstm import lstm_parameters  # noqa: E402

REPOSITORY = os.path.dirname(os.path.dirname(os.path.dirname(__file__)))


def test_lax_lstm_computes_keras_lstm():
    """Same weights, same last output as `keras.layers.LSTM` (any
    backend: the comparison is in NumPy)."""
    parameters = lstm_parameters(features=3, units=4, seed=1)
    # Random biases make every gate's bias count.
    rng = np.random.default_rng(0)
    parameters["bias"] = jax.numpy.asarray(rng.normal(size=16), "float32")
    inputs = rng.normal(size=(2, 5, 3)).astype("float32")
    layer = keras.layers.LSTM(4)
    layer.build((None, 5, 3))
    layer.set_weights(
        [
            np.asarray(parameters[name])
            for name in ("kernel", "recurrent_kernel", "bias")
        ]
    )
    np.testing.assert_allclose(
        np.asarray(lstm_last_output(parameters, jax.numpy.asarray(inputs))),
        keras.ops.convert_to_numpy(layer(inputs)),
        rtol=1e-5,
        atol=1e-6,
    )


# Runs the suite as `python -m benchmarks.run --backend jax` does, with
# every `tensorflow` import failing as if it were not installed.
WITHOUT_TENSORFLOW = textwrap.dedent(
    """
    import importlib.abc, importlib.machinery, runpy, sys

    class Missing(importlib.abc.Loader):
        def create_module(self, spec):
            raise ModuleNotFoundError(spec.name, name=spec.name)

        def exec_module(self, module):
            pass

    class NoTensorFlow(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name.split(".")[0] == "tensorflow":
                return importlib.machinery.ModuleSpec(name, Missing())
            return None

    sys.meta_path.insert(0, NoTensorFlow())
    sys.argv = ["benchmarks.run", *sys.argv[1:]]
    runpy.run_module("benchmarks.run", run_name="__main__")
    assert "tensorflow" not in sys.modules
    """
)


@pytest.mark.slow
def test_quick_jax_run_needs_no_tensorflow(tmp_path):
    environment = {**os.environ, "PYTHONPATH": REPOSITORY}
    environment.pop("KERAS_BACKEND", None)
    subprocess.run(
        [
            sys.executable,
            "-c",
            WITHOUT_TENSORFLOW,
            "--backend",
            "jax",
            "--quick",
            "--output-dir",
            str(tmp_path),
            "--machine",
            "test-machine",
        ],
        check=True,
        cwd=REPOSITORY,
        env=environment,
        timeout=600,
    )
    with open(tmp_path / "test-machine-jax.csv", newline="") as file:
        rows = list(csv.DictReader(file))
    from benchmarks.candidates import RNNZOO_LAYERS

    candidates = {row["candidate"] for row in rows}
    assert {"keras/lstm", "lax.scan/lstm", *RNNZOO_LAYERS} <= candidates
    fused = {row["candidate"] for row in rows if row["fused"] == "True"}
    assert {"peephole_lstm", "coupled_lstm", "mgu", "skip_rnn"} <= fused
    for row in rows:
        assert float(row["median_ms"]) > 0
        assert float(row["ratio_keras/lstm"]) > 0
    markdown = (tmp_path / "test-machine-jax.md").read_text()
    assert "## Targets" in markdown and "lax.scan/lstm" in markdown
