import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

# Test files that take most of the JAX run's time on 2 CPU cores (JAX runs
# these small models op by op, each op compiled on first use; measured
# with `--durations`, about 13 of the 25 CPU-minutes of the four packages
# on JAX, against about 20 minutes for the whole TensorFlow run): marked
# `jax_slow`, which CI's JAX run leaves out (`-m "not slow and not
# jax_slow"`) so that both runs fit in its time. On TensorFlow they run with
# every other test; on JAX, `KERAS_BACKEND=jax pytest -m jax_slow` runs
# them. A single heavy test can also carry `@pytest.mark.jax_slow`.
SLOW_ON_JAX = (
    "tests/layers/test_monotonic_attention_decoder.py",
    "tests/layers/test_recurrent_layers.py",
    "tests/layers/test_tree_cells.py",
    "tests/models/test_architectures.py",
    "tests/models/test_captioner.py",
    "tests/models/test_characters.py",
    "tests/models/test_language_model.py",
    "tests/models/test_learning.py",
    "tests/models/test_scheduled_sampling.py",
    "tests/models/test_seq2seq.py",
    "tests/models/test_tagger_crf.py",
    "tests/models/test_tree_classifier.py",
    "tests/zoo/test_predict.py",
    "tests/zoo/test_text_call_edges.py",
    "tests/zoo/test_verify.py",
)


def pytest_collection_modifyitems(config, items):
    """Marks the files of `SLOW_ON_JAX` `jax_slow`; skips
    `@pytest.mark.tensorflow_only` tests on any other backend.

    The marker's own reason, `@pytest.mark.tensorflow_only("tf.distribute")`,
    names what ties the test to TensorFlow; the skip message adds the backend.
    """
    for item in items:
        if item.nodeid.split("::")[0] in SLOW_ON_JAX:
            item.add_marker(pytest.mark.jax_slow)
    backend = keras.backend.backend()
    if backend == "tensorflow":
        return
    for item in items:
        marker = item.get_closest_marker("tensorflow_only")
        if marker is None:
            continue
        why = marker.args[0] if marker.args else marker.kwargs.get("reason")
        because = f": {why}" if why else ""
        item.add_marker(
            pytest.mark.skip(
                reason=f"TensorFlow-only{because}; backend is {backend}"
            )
        )


@pytest.fixture(autouse=True)
def _seed_and_float32_policy():
    """Every test starts seeded and in float32, whatever the last one did."""
    keras.utils.set_random_seed(1234)
    keras.config.set_dtype_policy("float32")
    yield
    keras.config.set_dtype_policy("float32")


@pytest.fixture
def rng():
    return np.random.default_rng(0)
