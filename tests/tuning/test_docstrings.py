"""The `>>>` examples in rnnzoo.tuning's docstrings run and are right."""

import doctest
import importlib

import keras_tuner
import pytest

from rnnzoo.zoo import get_config

MODULES = ["hypermodel", "search", "space"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name, monkeypatch):
    monkeypatch.delenv("RNNZOO_CONFIGS", raising=False)
    module = importlib.import_module(f"rnnzoo.tuning.{name}")
    globs = {
        **vars(module),
        "keras_tuner": keras_tuner,
        "get_config": get_config,
    }
    result = doctest.testmod(
        module, globs=globs, optionflags=doctest.NORMALIZE_WHITESPACE
    )
    assert result.attempted > 0
    assert result.failed == 0
