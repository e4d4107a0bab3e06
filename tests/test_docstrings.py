"""Every `>>>` example in `rnnzoo`'s docstrings runs and is right.

Every module of the package is found by walking it, so a new module's
examples are tested the moment it is added. Examples marked
`# doctest: +SKIP` need published weights or real data and stay skipped.
"""

import doctest
import importlib
import io
import pkgutil

import keras
import keras_tuner
import numpy as np
import pytest
import tensorflow as tf
from keras import ops

import rnnzoo
from rnnzoo.inspect import gradient_flow
from rnnzoo.layers import get_recurrent_layer
from rnnzoo.models import SequenceClassifier
from rnnzoo.models import SequenceRegressor
from rnnzoo.zoo import get_config

MODULES = sorted(
    [rnnzoo.__name__]
    + [info.name for info in pkgutil.walk_packages(rnnzoo.__path__, "rnnzoo.")]
)
# Modules whose examples are the documentation: losing them is a failure,
# not a quietly smaller test.
WITH_EXAMPLES = {
    f"rnnzoo.{name}"
    for name in [
        "data.captions",
        "data.conllu",
        "data.examples",
        "data.language_modelling",
        "data.music",
        "data.registry",
        "data.sst_trees",
        "data.task_data",
        "data.formatting",
        "data.time_series",
        "data.vectorizers",
        "inspect.accumulation",
        "inspect.attention_plots",
        "inspect.explanation_plots",
        "inspect.gradients",
        "inspect.hidden_states",
        "inspect.patterns",
        "inspect.plots",
        "inspect.saliency",
        "inspect.tracking",
        "inspect.training",
        "models.backbone",
        "models.captioner",
        "models.characters",
        "models.decoder",
        "models.encoder",
        "models.generation",
        "models.image_encoder",
        "models.language_model",
        "models.language_model_generation",
        "models.seq2seq",
        "models.sequence_encoder",
        "models.tagger",
        "preprocessors.images",
        "preprocessors.music",
        "preprocessors.text",
        "tasks",
        "tasks.registry",
        "tuning.hypermodel",
        "tuning.search",
        "tuning.space",
        "zoo.results",
        "validation",
        "zoo.verify",
    ]
}
# Names the examples use without importing them.
GLOBALS = {
    "np": np,
    "ops": ops,
    "tf": tf,
    "keras": keras,
    "keras_tuner": keras_tuner,
    "rnnzoo": rnnzoo,
    "gradient_flow": gradient_flow,
    "get_recurrent_layer": get_recurrent_layer,
    "get_config": get_config,
    "SequenceClassifier": SequenceClassifier,
    "SequenceRegressor": SequenceRegressor,
}
OPTIONS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS


def test_every_module_is_found():
    assert WITH_EXAMPLES <= set(MODULES)


@pytest.fixture
def _isolated(tmp_path, monkeypatch):
    """Examples run in a temporary folder, read only the shipped configs
    and never a user's data, cache or network."""
    monkeypatch.chdir(tmp_path)
    for name in ("RNNZOO_CONFIGS", "RNNZOO_DATA_DIR", "RNNZOO_WEIGHTS_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("RNNZOO_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("RNNZOO_OFFLINE", "1")


@pytest.mark.usefixtures("_isolated")
@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    globs = {**vars(module), **GLOBALS}
    tests = doctest.DocTestFinder().find(module, name, globs=globs)
    runner = doctest.DocTestRunner(optionflags=OPTIONS)
    report = io.StringIO()
    for test in sorted(tests, key=lambda test: test.name):
        runner.run(test, out=report.write)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, report.getvalue()
    if name in WITH_EXAMPLES:
        assert result.attempted > 0
