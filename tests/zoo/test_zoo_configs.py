"""Every config in zoo_configs/ is valid and builds a working model, like
timm's tests over its whole registry."""

import numpy as np
import pytest

import rnnzoo
from rnnzoo.zoo import registry


def test_the_zoo_is_not_empty():
    assert len(rnnzoo.list_models()) >= 4


def test_every_config_file_loads():
    folder = registry.configs_dir()
    names = sorted(path.stem for path in folder.glob("*.yaml"))
    assert names == rnnzoo.list_models()


def sample_inputs(model, batch=2, steps=6):
    rng = np.random.default_rng(0)
    arguments = model.get_config()
    if arguments.get("vocab_size"):
        return rng.integers(1, arguments["vocab_size"], size=(batch, steps))
    return rng.normal(size=(batch, steps, arguments["input_dim"])).astype(
        "float32"
    )


@pytest.mark.parametrize("name", rnnzoo.list_models())
def test_every_zoo_model_builds_and_runs(name):
    # Small overrides keep the test fast; the architecture stays the
    # config's own.
    overrides = {"units": 8}
    config = rnnzoo.model_info(name)
    if "vocab_size" in config["architecture"]["arguments"]:
        overrides["vocab_size"] = 50
    model = rnnzoo.create_model(name, **overrides)
    outputs = model.predict(sample_inputs(model), verbose=0)
    first = outputs[0] if isinstance(outputs, (list, tuple)) else outputs
    assert np.all(np.isfinite(first))
    assert first.shape[0] == 2


def test_list_models_wildcards_and_pretrained():
    assert rnnzoo.list_models("*tagger*") == ["upos_tagger"]
    pretrained = rnnzoo.list_models(pretrained=True)
    for entry in pretrained:
        name, tag = entry.split(".", 1)
        assert tag in [w["tag"] for w in rnnzoo.model_info(name)["weights"]]
