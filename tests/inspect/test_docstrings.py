"""The `>>>` examples in rnnzoo.inspect's docstrings run and are right."""

import doctest
import importlib

import keras
import numpy as np
import pytest

from rnnzoo.inspect import gradient_flow
from rnnzoo.layers import get_recurrent_layer
from rnnzoo.models import SequenceClassifier
from rnnzoo.models import SequenceRegressor

MODULES = ["attention_plots", "gradients", "plots", "saliency", "training"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"rnnzoo.inspect.{name}")
    globs = {
        **vars(module),
        "np": np,
        "keras": keras,
        "gradient_flow": gradient_flow,
        "get_recurrent_layer": get_recurrent_layer,
        "SequenceClassifier": SequenceClassifier,
        "SequenceRegressor": SequenceRegressor,
    }
    result = doctest.testmod(
        module, globs=globs, optionflags=doctest.NORMALIZE_WHITESPACE
    )
    assert result.attempted > 0
    assert result.failed == 0
