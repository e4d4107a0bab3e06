"""The `>>>` examples in rnnzoo.preprocessors' docstrings run and are
right. Every module of the package is found, so a new one is covered."""

import doctest
import importlib
import pkgutil

import keras
import numpy as np
import pytest
import tensorflow as tf

import rnnzoo.preprocessors

MODULES = sorted(
    info.name for info in pkgutil.iter_modules(rnnzoo.preprocessors.__path__)
)
# Modules whose examples are the documentation: losing them is a failure,
# not a quietly smaller test.
WITH_EXAMPLES = {"images", "music", "text"}


def test_every_module_is_found():
    assert WITH_EXAMPLES <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"rnnzoo.preprocessors.{name}")
    globs = {**vars(module), "np": np, "tf": tf, "keras": keras}
    result = doctest.testmod(
        module, globs=globs, optionflags=doctest.NORMALIZE_WHITESPACE
    )
    if name in WITH_EXAMPLES:
        assert result.attempted > 0
    assert result.failed == 0
