"""The `>>>` examples in rnnzoo.data's docstrings run and are right."""

import doctest
import importlib

import keras
import numpy as np
import pytest
import tensorflow as tf

MODULES = [
    "captions",
    "conllu",
    "examples",
    "language_modelling",
    "music",
    "registry",
    "sst_trees",
    "task_data",
    "time_series",
    "vectorizers",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"rnnzoo.data.{name}")
    globs = {**vars(module), "np": np, "tf": tf, "keras": keras}
    result = doctest.testmod(
        module, globs=globs, optionflags=doctest.NORMALIZE_WHITESPACE
    )
    assert result.attempted > 0
    assert result.failed == 0
