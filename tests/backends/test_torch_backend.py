"""rnnzoo on the PyTorch backend, in a fresh process (see also
`test_cross_backend.py`, whose torch cases compare every cell family, a
`Seq2Seq` and the decoding strategies with TensorFlow).

PyTorch is not a dependency: these tests skip, saying so, where it is not
installed (`pip install torch`).
"""

import importlib.util
import subprocess
import sys

import pytest

from tests.backends.conftest import REPOSITORY
from tests.backends.conftest import backend_environment

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("torch") is None,
    reason="PyTorch is not installed (pip install torch)",
)

# Trains a small model of rnnzoo cells with `fit` on torch: a fixed batch
# whose target (the mean of the first feature over the steps) a recurrent
# layer can learn; prints the loss before and after.
TRAINING = """
import keras
import numpy as np
import rnnzoo
from rnnzoo import layers
assert keras.backend.backend() == "torch", keras.backend.backend()
rng = np.random.default_rng(0)
x = rng.normal(size=(32, 6, 3)).astype("float32")
y = x[:, :, :1].mean(axis=1)
keras.utils.set_random_seed(0)
model = keras.Sequential([
    keras.Input((6, 3)),
    layers.get_recurrent_layer("peephole_lstm", 8, return_sequences=True),
    layers.get_recurrent_layer("mgu", 8),
    keras.layers.Dense(1),
])
model.compile(keras.optimizers.Adam(0.02), "mse")
before = model.evaluate(x, y, verbose=0)
model.fit(x, y, batch_size=32, epochs=25, verbose=0)
print("losses", before, model.evaluate(x, y, verbose=0))
"""


def test_a_model_of_rnnzoo_cells_trains_on_torch():
    process = subprocess.run(
        [sys.executable, "-c", TRAINING],
        cwd=REPOSITORY,
        env=backend_environment("torch"),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert process.returncode == 0, process.stderr[-4000:]
    line = next(
        line
        for line in process.stdout.splitlines()
        if line.startswith("losses")
    )
    before, after = map(float, line.split()[1:])
    # The target's variance is 1/6: a model that learned nothing stays
    # near it; one that learned the mean is far below.
    assert before > 0.05
    assert after < 0.2 * before, (before, after)
