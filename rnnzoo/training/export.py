"""A trained model as a preset for the hub: weights, config, metadata with
the measured metrics, and the vocabularies the model reads and writes.

The preset folder is `rnnzoo.zoo.presets`'s, plus:

* `assets/rnnzoo_vectorizer/`: the run's `rnnzoo.data.Vectorizer`
  (`vectorizer.json` and one `<feature>.vocabulary.json` per feature), for
  every task with strings, so `rnnzoo.evaluate(preset)` and users turn raw
  text into the model's ids exactly as in training;
* for text classification the model itself is a `TextModel(model,
  text_vectorization)`: it takes raw strings, its vocabulary in the layer's
  own assets;
* `preprocessor.json`: the task's preprocessor (`rnnzoo.preprocessors`),
  which `rnnzoo.create_model(..., pretrained=True)` attaches to the model.

`metadata.json` holds the effective zoo config, the pipeline options, the
test metrics and how the run was trained; `load_trained_preset` reads all
of it back.
"""

import os
import shutil
from pathlib import Path

from rnnzoo.data.vectorizers import Vectorizer
from rnnzoo.models.text_input import TextModel
from rnnzoo.preprocessors import preprocessor_class
from rnnzoo.training.precision import precision_policy
from rnnzoo.zoo import hub
from rnnzoo.zoo import presets

VECTORIZER_DIR = "rnnzoo_vectorizer"


def inference_copy(model):
    """An uncompiled float32 copy of a trained model, outside any
    distribution strategy: the preset carries no optimizer, loss or
    training policy, so it loads anywhere."""
    with precision_policy("float32"):
        copy = type(model).from_config(model.get_config())
    copy.set_weights(model.get_weights())
    return copy


def export_preset(
    model, vectorizer, directory, metadata: dict, text_input: bool = False
) -> Path:
    """Saves a trained model as a preset folder.

    Args:
        model: The trained model (token ids in, for token tasks).
        vectorizer: The run's `Vectorizer`, or `None`.
        directory: The preset folder.
        metadata: Written to `metadata.json` (with the versions and the
            parameter count that `save_preset` adds).
        text_input: Save a `TextModel` that takes raw strings (text
            classification).
    """
    directory = Path(directory)
    saved = inference_copy(model)
    if text_input:
        saved = TextModel(saved, vectorizer.lookups[vectorizer.features[0]])
    metadata = dict(metadata)
    if vectorizer is not None:
        metadata["vectorizer"] = f"{presets.ASSETS_DIR}/{VECTORIZER_DIR}"
    # Written beside, then swapped in: never half a preset, and nothing
    # left over from an earlier export.
    scratch = directory.with_name(directory.name + ".partial")
    shutil.rmtree(scratch, ignore_errors=True)
    presets.save_preset(saved, scratch, metadata)
    if vectorizer is not None:
        vectorizer.save_assets(scratch / presets.ASSETS_DIR / VECTORIZER_DIR)
    preprocessor_type = preprocessor_class(metadata.get("task"))
    if preprocessor_type is not None and (
        vectorizer is not None or not preprocessor_type.needs_vectorizer
    ):
        body = saved.model if text_input else saved
        preprocessor_type.from_model(body, vectorizer, metadata).save(scratch)
    shutil.rmtree(directory, ignore_errors=True)
    os.replace(scratch, directory)
    return directory


def pack(directory, archive) -> tuple[Path, str]:
    """Packs a preset folder into a `.tar.gz`; returns it and its sha256
    (the `file` and `sha256` of a config's `weights` entry)."""
    archive = presets.pack_preset(directory, archive)
    return archive, hub.sha256_of(archive)


def load_trained_preset(path_or_url):
    """Loads a preset written by `rnnzoo.train`.

    Returns:
        `(model, vectorizer, metadata)`: the token model (the model behind
        a `TextModel`), the `Vectorizer` (or `None`) and `metadata.json`.
    """
    directory = presets.resolve_preset(path_or_url)
    model = presets.load_preset(directory)
    metadata = presets.read_metadata(directory)
    vectorizer = None
    if metadata.get("vectorizer"):
        vectorizer = Vectorizer.from_assets(directory / metadata["vectorizer"])
    if isinstance(model, TextModel):
        model = model.model
    return model, vectorizer, metadata
