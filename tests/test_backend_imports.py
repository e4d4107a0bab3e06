"""`rnnzoo.layers`, `rnnzoo.models` and `rnnzoo.decoding` import no
TensorFlow on the JAX and PyTorch backends, and `import rnnzoo` loads the
TensorFlow-only parts (training, the zoo) on first use.

Each check runs in a fresh interpreter with `KERAS_BACKEND` set, where
TensorFlow is made unimportable as if it were not installed: `None` in
`sys.modules["tensorflow"]` makes `import tensorflow` raise and
`importlib.util.find_spec("tensorflow")` answer `None` (PyTorch probes
for it that way, so a meta-path finder that raises would break PyTorch
itself, not us).
"""

import importlib.util
import json
import os
import subprocess
import sys
import textwrap

import pytest

BLOCK_TENSORFLOW = textwrap.dedent(
    """
    import sys

    sys.modules["tensorflow"] = None


    def tensorflow_loaded():
        return any(
            module is not None
            for name, module in sys.modules.items()
            if name.split(".")[0] == "tensorflow"
        )
    """
)

IMPORT_WITHOUT_TENSORFLOW = textwrap.dedent(
    """
    import json
    import sys

    import rnnzoo.decoding
    import rnnzoo.layers
    import rnnzoo.models
    import rnnzoo

    report = {
        "backend": __import__("keras").backend.backend(),
        "tensorflow_loaded": tensorflow_loaded(),
        "public": [
            hasattr(rnnzoo.models, "Seq2Seq"),
            hasattr(rnnzoo.layers, "PeepholeLSTMCell"),
            hasattr(rnnzoo.decoding, "beam_search"),
            hasattr(rnnzoo, "__version__"),
        ],
    }
    try:
        rnnzoo.train
    except ImportError as error:
        report["train_error"] = str(error)
    print(json.dumps(report))
    """
)

LAZY_IMPORT = textwrap.dedent(
    """
    import json
    import sys

    import rnnzoo

    lazy = ("rnnzoo.training", "rnnzoo.zoo")
    before = sorted(name for name in lazy if name in sys.modules)
    train = rnnzoo.train
    training = sys.modules["rnnzoo.training"]
    print(json.dumps({
        "before": before,
        "train_is_training_train": train is training.train,
        "listed": "train" in dir(rnnzoo),
    }))
    """
)


def run_python(source: str, backend: str) -> dict:
    """Runs `source` in a fresh interpreter on `backend`; its JSON report."""
    environment = {**os.environ, "KERAS_BACKEND": backend}
    completed = subprocess.run(
        [sys.executable, "-c", source],
        capture_output=True,
        text=True,
        env=environment,
        timeout=600,
        cwd=os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return json.loads(completed.stdout.strip().splitlines()[-1])


def require_backend(backend: str) -> None:
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"the {backend} backend needs `{backend}`, not installed")


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_layers_models_and_decoding_import_no_tensorflow(backend):
    require_backend(backend)
    report = run_python(BLOCK_TENSORFLOW + IMPORT_WITHOUT_TENSORFLOW, backend)
    assert report["backend"] == backend
    assert report["tensorflow_loaded"] is False
    assert all(report["public"])
    # `rnnzoo.train` needs TensorFlow: asking for it imports it, here
    # blocked, and the error says so.
    assert "tensorflow" in report["train_error"]


def test_import_rnnzoo_loads_training_on_first_use():
    require_backend("jax")
    report = run_python(LAZY_IMPORT, "jax")
    assert report == {
        "before": [],
        "train_is_training_train": True,
        "listed": True,
    }
