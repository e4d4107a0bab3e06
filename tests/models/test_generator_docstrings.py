"""The `>>>` examples in the docstrings of the generating architectures
and their parts run and are right."""

import doctest
import importlib

import keras
import numpy as np
import pytest
from keras import ops

MODULES = [
    "captioner",
    "decoder",
    "generation",
    "image_encoder",
    "language_model",
    "language_model_generation",
    "seq2seq",
    "sequence_encoder",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"rnnzoo.models.{name}")
    globs = {**vars(module), "np": np, "keras": keras, "ops": ops}
    result = doctest.testmod(
        module, globs=globs, optionflags=doctest.NORMALIZE_WHITESPACE
    )
    assert result.attempted > 0
    assert result.failed == 0
