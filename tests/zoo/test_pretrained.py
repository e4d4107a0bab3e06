"""Every published weight, tested as users get it (timm's golden tests).

For each entry of a config's `weights:` list (so a new entry is tested the
moment it is added):

* the archive in `hub/` hashes to the config's sha256, and the generated
  `hub/manifest.json` agrees;
* it downloads from a loopback HTTP server serving `hub/` into a fresh
  cache, and reproduces the metrics recorded for a fixed slice of its test
  split (read from `../shared/data`, skipped when that folder is absent);
  the slice metrics include the generation metrics (BLEU, exact match)
  of translators and captioners, scored on the split's first
  `SLICE_EXAMPLES` examples;
* its outputs on fixed inputs match golden values: log-probabilities (or
  logits), compared relatively, so that a model whose probabilities are
  all tiny cannot pass by outputting zeros; and one perturbed weight makes
  them fail.

The recorded values live in `pretrained_golden.json`, written once per
archive by this file itself:

    python tests/zoo/test_pretrained.py --record [--force]

which records entries that are new or whose archive changed (`--force`:
every entry). They check the published artifact against itself, so they
are exact up to float round-off (`RTOL`); how good a model is, is the
config's `metrics`, which `python -m rnnzoo.zoo.verify` measures again on
the whole split.
"""

import argparse
import json
from pathlib import Path

import numpy as np
import pytest

import rnnzoo
from rnnzoo.layers import cell_names
from rnnzoo.layers import tree_cell_names
from rnnzoo.models.text_input import TextModel
from rnnzoo.preprocessors import TextClassifierPreprocessor
from rnnzoo.training import evaluate
from rnnzoo.zoo import hub
from rnnzoo.zoo import publish
from rnnzoo.zoo import registry
from rnnzoo.zoo import results

REPOSITORY = Path(__file__).resolve().parents[2]
HUB_DIR = REPOSITORY / "hub"
DATA_DIR = REPOSITORY.parent / "shared" / "data"
GOLDEN_FILE = Path(__file__).with_name("pretrained_golden.json")
# Batches of the test split in the slice: small, to keep the file fast.
SLICE_BATCHES = 2
# Examples of the test split whose generations (BLEU, exact match) are
# scored, for translators and captioners.
SLICE_EXAMPLES = 64
GOLDEN_COUNT = 8
RTOL = 1e-4
# Absolute slack of the slice metrics.
ATOL = 1e-5
# Absolute slack of the golden outputs: log-probabilities are far from
# zero (the test checks it), so the comparison is relative.
GOLDEN_ATOL = 1e-6
# The golden outputs were recorded on TensorFlow; on every backend (CI also
# runs this file on JAX) they must also agree to this absolute difference.
GOLDEN_MAX_ABS = 1e-4
# Probabilities are clipped to this before their log.
MIN_PROBABILITY = 1e-30
# A model's output activations that make its outputs probabilities.
PROBABILITY_ACTIVATIONS = ("softmax", "sigmoid", "auto")
# Fixed inputs of models that take raw strings.
GOLDEN_SENTENCES = [
    "a gripping , funny and moving film .",
    "dull , far too long and never once surprising .",
]


def published_weights():
    """`(name, entry)` for every weights entry of every config."""
    return [
        (name, entry)
        for name in registry.list_models()
        for entry in registry.get_config(name).get("weights", [])
    ]


WEIGHTS = published_weights()
IDS = [f"{name}.{entry['tag']}" for name, entry in WEIGHTS]


def read_golden() -> dict:
    if not GOLDEN_FILE.exists():
        return {}
    return json.loads(GOLDEN_FILE.read_text())


def golden_of(name, entry) -> dict:
    key = f"{name}.{entry['tag']}"
    golden = read_golden().get(key)
    if golden is None or golden["sha256"] != entry["sha256"]:
        pytest.fail(
            f"No golden values for {key} with sha256 {entry['sha256']}: run "
            "`python tests/zoo/test_pretrained.py --record` once after "
            "publishing it."
        )
    return golden


def slice_metrics(name, entry) -> dict:
    """The metrics of the downloaded preset on the test split's first
    `SLICE_BATCHES` batches, and its generation metrics (BLEU, exact
    match) on the split's first `SLICE_EXAMPLES` examples."""
    archive = registry.fetch_weights(f"{name}.{entry['tag']}")
    return evaluate(
        str(archive),
        data_dir=str(DATA_DIR),
        split=entry.get("split", "test"),
        max_batches=SLICE_BATCHES,
        max_examples=SLICE_EXAMPLES,
    )


def golden_inputs(model):
    """Fixed inputs: two sentences for a model of raw strings, else the
    model's own seeded `example_inputs`."""
    if isinstance(model, TextModel) or isinstance(
        model.preprocessor, TextClassifierPreprocessor
    ):
        return list(GOLDEN_SENTENCES)
    if hasattr(model, "reset_state"):
        # A stateful model carries states between calls: start from zero.
        model.reset_state()
    return model.example_inputs(batch_size=2, sequence_length=8, seed=0)


def outputs_probabilities(model) -> bool:
    """Whether `model` outputs probabilities (a softmax or sigmoid head)
    rather than logits or values."""
    body = model.model if isinstance(model, TextModel) else model
    if hasattr(body, "output_activation"):
        return body.output_activation in PROBABILITY_ACTIVATIONS
    return getattr(body, "activation", None) in PROBABILITY_ACTIVATIONS


def golden_outputs(model) -> np.ndarray:
    """Up to `GOLDEN_COUNT` numbers spread over the model's first output:
    log-probabilities (clipped at `MIN_PROBABILITY`) for a model of
    probabilities, else its outputs (logits) as they are."""
    inputs = golden_inputs(model)
    first = next(iter(inputs.values())) if isinstance(inputs, dict) else inputs
    # One batch: a stateful model takes exactly its own batch size.
    outputs = model.predict(inputs, batch_size=len(first), verbose=0)
    if isinstance(outputs, dict):
        outputs = outputs[sorted(outputs)[0]]
    if isinstance(outputs, (list, tuple)):
        outputs = outputs[0]
    flat = np.asarray(outputs, dtype="float64").ravel()
    if outputs_probabilities(model):
        flat = np.log(np.clip(flat, MIN_PROBABILITY, None))
    indices = np.linspace(0, flat.size - 1, GOLDEN_COUNT).astype(int)
    return flat[np.unique(indices)]


def golden_mismatch(model, golden) -> float:
    """The largest relative difference between `model`'s golden outputs and
    the recorded `golden` ones. A value near zero (a logit of a borderline
    input, e.g. -4e-4) is compared relative to a thousandth of the largest
    one instead, where float32 round-off across backends is no longer
    relatively large."""
    golden = np.asarray(golden, dtype="float64")
    scale = np.maximum(np.abs(golden), 1e-3 * np.max(np.abs(golden)))
    return float(np.max(np.abs(golden_outputs(model) - golden) / scale))


def perturb_first_kernel(model, delta: float = 0.1) -> str:
    """Adds `delta` with a seeded random sign to every entry of the
    model's first kernel; returns the kernel's path. (A uniform shift
    would vanish under layer normalisation, which subtracts the mean of
    each gate's pre-activations.)"""
    kernel = next(w for w in model.weights if w.path.endswith("kernel"))
    signs = np.random.default_rng(0).choice([-1.0, 1.0], size=kernel.shape)
    kernel.assign(np.asarray(kernel.numpy()) + delta * signs)
    return kernel.path


def test_every_published_entry_has_an_archive_in_the_manifest():
    manifest = json.loads((HUB_DIR / publish.MANIFEST_FILE).read_text())
    listed = {item["file"]: item for item in manifest["files"]}
    for name, entry in WEIGHTS:
        item = listed.get(entry["file"])
        assert item is not None, f"{entry['file']} missing from the manifest"
        assert item["sha256"] == entry["sha256"]
        assert item["model"] == f"{name}.{entry['tag']}"


def test_the_zoo_measures_every_rnnzoo_cell_family():
    """Each of rnnzoo's cell families (Keras's own aside) is the cell of
    a published entry or measured with an entry's recipe (`comparisons:`,
    where a family is weaker on the task)."""
    configs = [registry.get_config(name) for name in registry.list_models()]
    published = {
        registry.get_config(name)["architecture"]["arguments"].get("cell")
        for name, _ in WEIGHTS
    }
    compared = {
        row["cell"]
        for config in configs
        for row in config.get("comparisons", [])
    }
    families = set(cell_names(keras_cells=False)) | set(tree_cell_names())
    missing = sorted(families - published - compared)
    assert not missing, f"neither published nor compared: {missing}"
    assert {"peephole_lstm", "coupled_lstm", "mgu", "skip_rnn"} <= published


@pytest.mark.parametrize("name, entry", WEIGHTS, ids=IDS)
def test_archive_hash_matches_config(name, entry):
    path = HUB_DIR / entry["file"]
    assert path.exists(), f"expected the archive {path}"
    assert hub.sha256_of(path) == entry["sha256"]
    assert path.stat().st_size == entry.get("size_bytes", path.stat().st_size)
    assert path.stat().st_size < 20 * 2**20, "archives must stay under 20 MB"


@pytest.mark.tensorflow_only(
    "rnnzoo.evaluate's tf.data pipelines call Keras preprocessing layers"
)
@pytest.mark.parametrize("name, entry", WEIGHTS, ids=IDS)
def test_downloaded_model_reproduces_its_slice_metrics(hub_server, name, entry):
    if not DATA_DIR.is_dir():
        pytest.skip(
            f"the shared data folder is missing: expected {DATA_DIR} (the "
            "real datasets, beside the repository)"
        )
    golden = golden_of(name, entry)
    measured = slice_metrics(name, entry)
    for metric, value in golden["slice_metrics"].items():
        np.testing.assert_allclose(
            measured[metric], value, rtol=RTOL, atol=ATOL, err_msg=metric
        )


@pytest.mark.parametrize("name, entry", WEIGHTS, ids=IDS)
def test_slice_metrics_include_the_headline_metric(name, entry):
    """The slice checks what the results table shows, BLEU and exact
    match of generative models included."""
    golden = golden_of(name, entry)
    _, key = results.headline_metric(registry.get_config(name), entry)
    assert key in golden["slice_metrics"], f"{key} not in the slice metrics"
    assert golden["slice_examples"] == SLICE_EXAMPLES


@pytest.mark.parametrize("name, entry", WEIGHTS, ids=IDS)
def test_downloaded_model_matches_golden_outputs(hub_server, name, entry):
    golden = np.asarray(golden_of(name, entry)["outputs"])
    # Values far from zero, or a relative comparison would test nothing.
    assert np.min(np.abs(golden)) > 100 * GOLDEN_ATOL, golden
    model = rnnzoo.create_model(f"{name}.{entry['tag']}", pretrained=True)
    outputs = golden_outputs(model)
    np.testing.assert_allclose(outputs, golden, rtol=RTOL, atol=GOLDEN_ATOL)
    assert np.max(np.abs(outputs - golden)) <= GOLDEN_MAX_ABS


@pytest.mark.parametrize("name, entry", WEIGHTS, ids=IDS)
def test_golden_outputs_catch_a_perturbed_weight(hub_server, name, entry):
    golden = golden_of(name, entry)["outputs"]
    model = rnnzoo.create_model(f"{name}.{entry['tag']}", pretrained=True)
    assert golden_mismatch(model, golden) <= RTOL
    path = perturb_first_kernel(model, 0.1)
    mismatch = golden_mismatch(model, golden)
    # Far beyond the tolerance: the golden comparison fails (the smallest
    # change among the published models, sentiment_skip_rnn's, is ~1e-2).
    assert mismatch > 10 * RTOL, f"{path} + 0.1 changed them by {mismatch}"


def record(force: bool = False) -> None:
    """Records the slice metrics and golden outputs of every published
    archive that has none yet (or another sha256), from the hub folder."""
    import os

    golden = read_golden()
    os.environ["RNNZOO_WEIGHTS_URL"] = str(HUB_DIR)
    for name, entry in WEIGHTS:
        key = f"{name}.{entry['tag']}"
        known = golden.get(key)
        if known and known["sha256"] == entry["sha256"] and not force:
            continue
        model = rnnzoo.create_model(key, pretrained=True)
        golden[key] = {
            "sha256": entry["sha256"],
            "slice_batches": SLICE_BATCHES,
            "slice_examples": SLICE_EXAMPLES,
            "slice_metrics": slice_metrics(name, entry),
            "outputs_are": (
                "log-probabilities"
                if outputs_probabilities(model)
                else "values"
            ),
            "outputs": golden_outputs(model).tolist(),
        }
        print(f"recorded {key}: {golden[key]['slice_metrics']}")
    golden = {key: golden[key] for key in sorted(golden) if key in IDS}
    GOLDEN_FILE.write_text(json.dumps(golden, indent=2) + "\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=record.__doc__)
    parser.add_argument("--record", action="store_true", required=True)
    parser.add_argument("--force", action="store_true")
    record(force=parser.parse_args().force)
