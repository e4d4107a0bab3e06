"""rnnzoo: recurrent neural networks for Keras 3, and a zoo of ready models.

`rnnzoo.layers`, `rnnzoo.models` and `rnnzoo.decoding` are written in
`keras.ops` and import no TensorFlow on the JAX and PyTorch backends; they
load with the package, so that their classes are registered for
`keras.saving.load_model`. The parts built on `tf.data` and
`tf.distribute` (`train`, `evaluate`, the zoo, the data pipelines, ...)
load on first use (PEP 562), so `import rnnzoo` works on every backend;
on TensorFlow the optimizers load with the package, for `load_model`.
"""

import importlib

import keras

from rnnzoo import decoding
from rnnzoo import layers
from rnnzoo import models

if keras.backend.backend() == "tensorflow":
    # A model saved after `compile` names rnnzoo's optimizers (registered
    # Keras objects); on TensorFlow, where they run, `import rnnzoo` is
    # enough to load it, as before.
    from rnnzoo.training import optimizers as _optimizers  # noqa: F401

__version__ = "0.1.0"

# Loaded on first access: name -> (module, attribute or None for the module).
_LAZY = {
    "create_model": ("rnnzoo.zoo", "create_model"),
    "evaluate": ("rnnzoo.training", "evaluate"),
    "list_models": ("rnnzoo.zoo", "list_models"),
    "model_info": ("rnnzoo.zoo", "model_info"),
    "train": ("rnnzoo.training", "train"),
    **{
        name: (f"rnnzoo.{name}", None)
        for name in (
            "data",
            "inspect",
            "preprocessors",
            "tasks",
            "training",
            "tuning",
            "zoo",
        )
    },
}

__all__ = ["decoding", "layers", "models", *sorted(_LAZY)]


def __getattr__(name: str):
    if name not in _LAZY:
        raise AttributeError(f"module 'rnnzoo' has no attribute {name!r}")
    module_name, attribute = _LAZY[name]
    module = importlib.import_module(module_name)
    value = module if attribute is None else getattr(module, attribute)
    # Cached, so that `__getattr__` runs once per name.
    globals()[name] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_LAZY))
