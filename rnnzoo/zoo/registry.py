"""The zoo's registry: named models read from the config files.

Every YAML file in `zoo_configs/` is one zoo model; there is no other list.
`create_model("name")` builds it, `create_model("name.tag",
pretrained=True)` also loads the weights published under that tag.
"""

import difflib
import fnmatch
import importlib.resources
import inspect
import os
import warnings
from pathlib import Path

import numpy as np

from rnnzoo.models.text_input import TextModel
from rnnzoo.tasks import get_task
from rnnzoo.zoo import hub
from rnnzoo.zoo import presets
from rnnzoo.zoo.schema import load_config

_CONFIGS_ENV = "RNNZOO_CONFIGS"
# The architecture arguments that hold a vocabulary size. The data decides
# them (`data.vocabulary_size`, then the adapted vectorizer), so a config
# does not set them (`rnnzoo.zoo.schema` says so).
VOCABULARY_ARGUMENTS = ("vocab_size", "target_vocab_size")


def configs_dir() -> Path:
    """The folder of zoo configs: `RNNZOO_CONFIGS`, else the packaged one."""
    override = os.environ.get(_CONFIGS_ENV)
    if override:
        return Path(override)
    return Path(str(importlib.resources.files("rnnzoo.zoo_configs")))


def _all_configs() -> dict:
    folder = configs_dir()
    configs = {}
    for path in sorted(folder.glob("*.yaml")):
        config = load_config(path)
        configs[config["name"]] = config
    return configs


def _split_name(name):
    if not isinstance(name, str) or not name:
        raise ValueError(
            f"`name` must be a zoo model name such as 'name' or 'name.tag', "
            f"got {name!r}"
        )
    model_name, _, tag = name.partition(".")
    return model_name, tag or None


def get_config(name: str) -> dict:
    """Returns the checked config of the zoo model `name` (tag ignored).

    Raises:
        ValueError: unknown name; the message suggests close matches.
    """
    model_name, _ = _split_name(name)
    configs = _all_configs()
    if model_name not in configs:
        close = difflib.get_close_matches(model_name, configs, n=3)
        hint = f" Did you mean {', '.join(close)}?" if close else ""
        raise ValueError(
            f"Unknown zoo model {model_name!r}.{hint} `rnnzoo.list_models()` "
            "lists them all."
        )
    return configs[model_name]


def weights_entry(config: dict, tag: str | None) -> dict:
    """The published weights of `config` under `tag` (or the default tag)."""
    entries = config.get("weights", [])
    if not entries:
        raise ValueError(
            f"Zoo model {config['name']!r} has no published weights; use "
            "pretrained=False or pass a preset path."
        )
    tag = tag or config.get("default_tag") or entries[0]["tag"]
    for entry in entries:
        if entry["tag"] == tag:
            return entry
    tags = [entry["tag"] for entry in entries]
    raise ValueError(
        f"Zoo model {config['name']!r} has no weights tagged {tag!r}; "
        f"expected one of {tags}"
    )


def list_models(pattern: str = "*", pretrained: bool = False) -> list[str]:
    """Names of the zoo models matching an fnmatch `pattern`.

    Args:
        pattern: Wildcard pattern, e.g. `"*lstm*"`.
        pretrained: If `True`, list `name.tag` for every published set of
            weights instead of the bare names.

    Example:

    >>> rnnzoo.list_models("*tagger*")  # doctest: +SKIP
    ['upos_tagger']
    """
    names = []
    for name, config in _all_configs().items():
        if pretrained:
            names += [
                f"{name}.{entry['tag']}" for entry in config.get("weights", [])
            ]
        else:
            names.append(name)
    return sorted(n for n in names if fnmatch.fnmatch(n, pattern))


def model_info(name: str) -> dict:
    """The config of a zoo model, for display (`rnnzoo info NAME`)."""
    return get_config(name)


def architecture_class(class_name: str) -> type:
    """The class of `rnnzoo.models` a config's `architecture.class` names.

    Raises:
        ValueError: no such class; the message says what was expected.
    """
    from rnnzoo import models

    model_class = getattr(models, class_name, None)
    if not isinstance(model_class, type):
        raise ValueError(
            f"Unknown architecture class {class_name!r}; expected a class of "
            "rnnzoo.models"
        )
    return model_class


def architecture_arguments(class_name: str) -> dict:
    """The constructor arguments of an architecture of `rnnzoo.models`,
    with their defaults (`inspect.Parameter.empty` where required).

    A task decorated with `rnnzoo.models.task_backbone.takes_backbone`
    lists the backbone arguments it takes flat (`cell`, `units`,
    `vocab_size`, ...) among its own, so they are here too.

    Example:

    >>> "units" in architecture_arguments("SequenceClassifier")
    True
    """
    init = architecture_class(class_name).__init__
    parameters = inspect.signature(init).parameters
    return {
        name: parameter.default
        for name, parameter in parameters.items()
        if name != "self"
        and parameter.kind
        not in (parameter.VAR_KEYWORD, parameter.VAR_POSITIONAL)
    }


def vocabulary_arguments(config: dict) -> dict:
    """The vocabulary sizes the architecture of `config` takes from its
    `data.vocabulary_size`: `{"vocab_size": ...}`, and
    `"target_vocab_size"` for a model whose targets have a vocabulary of
    their own (`Seq2Seq`).

    One number sizes every vocabulary; a mapping sizes each feature, the
    task's input feature giving `vocab_size` (its target feature for a
    task whose model reads only its targets, as a captioner) and its target
    feature `target_vocab_size`. Training replaces these with the sizes of
    the adapted vectorizer; they size a model built from the config alone.
    """
    data = config.get("data") or {}
    size = data.get("vocabulary_size")
    if size is None:
        return {}
    accepted = architecture_arguments(config["architecture"]["class"])
    names = [name for name in VOCABULARY_ARGUMENTS if name in accepted]
    if not isinstance(size, dict):
        return dict.fromkeys(names, size)
    preprocessing = data.get("preprocessing") or {}
    inputs, targets = get_task(config["task"]).features
    inputs = preprocessing.get("inputs") or inputs
    targets = preprocessing.get("targets") or targets
    if "target_vocab_size" in names:
        sizes = {
            "vocab_size": size.get(inputs),
            "target_vocab_size": size.get(targets),
        }
    else:
        # The one vocabulary: the inputs' (a tagger's words), else the
        # targets' (a captioner's), else the only one given.
        only = next(iter(size.values())) if len(size) == 1 else None
        sizes = {"vocab_size": size.get(inputs) or size.get(targets) or only}
    return {name: value for name, value in sizes.items() if value is not None}


def build_model(config: dict, **overrides):
    """Builds the architecture a config describes, with `overrides`.

    The vocabulary sizes come from `data.vocabulary_size`
    (`vocabulary_arguments`) unless `overrides` give them.
    """
    architecture = config["architecture"]
    arguments = {
        **vocabulary_arguments(config),
        **architecture["arguments"],
        **overrides,
    }
    return architecture_class(architecture["class"])(**arguments)


def fetch_weights(name: str) -> Path:
    """Downloads (or finds in the cache) the preset archive of `name.tag`."""
    model_name, tag = _split_name(name)
    entry = weights_entry(get_config(model_name), tag)
    return hub.fetch(entry["file"], entry["sha256"])


def create_model(name: str, pretrained=False, **overrides):
    """Creates a zoo model by name, timm style.

    Args:
        name: `"name"` or `"name.tag"`; the tag picks the published weights.
        pretrained: `False` for fresh weights; `True` for the tag's
            published weights (or the config's default tag); or a preset
            folder, archive path, URL or `hf://org/repo` to load instead.
        **overrides: Architecture arguments replacing the config's. With
            pretrained weights, arguments that change the head (e.g. a
            different `num_classes`) keep the pretrained body and
            preprocessor and start the mismatching layers fresh, with a
            `UserWarning` that names their weights.

    Returns:
        A `keras.Model` from `rnnzoo.models`; a pretrained one carries its
        `preprocessor`, so it takes and gives raw data (texts, images).

    Example:

    >>> model = rnnzoo.create_model("sentiment_bilstm")  # doctest: +SKIP
    >>> tagger = rnnzoo.create_model(
    ...     "upos_tagger.ud_en_ewt", pretrained=True)  # doctest: +SKIP
    >>> tagger.tag(["I love this movie ."])  # doctest: +SKIP
    [[('I', 'PRON'), ('love', 'VERB'), ('this', 'DET'), ('movie', 'NOUN'),
      ('.', 'PUNCT')]]
    """
    config = get_config(name)
    if pretrained is False or pretrained is None:
        return build_model(config, **overrides)
    location = fetch_weights(name) if pretrained is True else pretrained
    return load_task(location, **overrides)


def _is_zoo_name(preset) -> bool:
    if not isinstance(preset, str) or "://" in preset or Path(preset).exists():
        return False
    return _split_name(preset)[0] in _all_configs()


def load_task(preset, **overrides):
    """Loads a preset as its task model with the preprocessor attached.

    Args:
        preset: A zoo name `"name.tag"` (its published weights), a preset
            folder, a `.tar.gz` archive of one, a URL or `hf://org/repo`.
        **overrides: Architecture arguments to change (see
            `create_model`).

    Returns:
        The model (the token model behind a `TextModel`), with
        `preprocessor` set where the preset's task has one.
    """
    from rnnzoo.data.vectorizers import Vectorizer
    from rnnzoo.preprocessors import TextClassifierPreprocessor
    from rnnzoo.preprocessors import load_preprocessor

    location = fetch_weights(preset) if _is_zoo_name(preset) else preset
    preset_dir = presets.resolve_preset(location)
    model = presets.load_preset(preset_dir)
    metadata = presets.read_metadata(preset_dir)
    text_layer = None
    if isinstance(model, TextModel):
        model, text_layer = model.model, model.vectorizer
    preprocessor = load_preprocessor(preset_dir, model, metadata)
    if preprocessor is None and text_layer is not None:
        # A user's own `TextModel` preset: its layer is the vocabulary.
        preprocessor = TextClassifierPreprocessor(
            Vectorizer({"text": text_layer})
        )
    if overrides:
        model = _with_overrides(model, overrides)
        if preprocessor is not None and set(overrides) & _HEAD_ARGUMENTS:
            preprocessor.label_names = None  # A new head, new classes.
    model.preprocessor = preprocessor
    return model


# Arguments that give a model new classes or tags: the preset's label
# names no longer apply.
_HEAD_ARGUMENTS = {"num_classes", "num_tags"}


def _with_overrides(pretrained_model, overrides):
    """The same architecture with `overrides`, the pretrained weights kept
    wherever their shapes still fit."""
    model = type(pretrained_model)(
        **{**model_arguments(pretrained_model), **overrides}
    )
    fresh = transfer_weights(pretrained_model, model)
    if fresh:
        arguments = ", ".join(
            f"{key}={value!r}" for key, value in overrides.items()
        )
        change = (
            "gives a fresh head"
            if set(overrides) <= _HEAD_ARGUMENTS
            else "changes the shapes of some weights"
        )
        warnings.warn(
            f"{arguments} {change}: {', '.join(fresh)} start at their "
            "initial values, not the preset's; train them before use.",
            UserWarning,
            # The user's call: create_model or from_preset, then load_task.
            stacklevel=4,
        )
    return model


def model_arguments(model) -> dict:
    """The constructor arguments of a built zoo model: its `get_config()`
    without the arguments every Keras model takes (`name`, `trainable`,
    `dtype`), so that `type(model)(**model_arguments(model))` builds the
    same architecture afresh."""
    config = dict(model.get_config())
    for key in ("name", "trainable", "dtype"):
        config.pop(key, None)
    return config


def transfer_weights(source, target, overlap: bool = False) -> list[str]:
    """Copies the weights of `source` into `target`.

    Both must be the same architecture, built with arguments that change
    only weight shapes (e.g. `num_classes` or `vocab_size`): weights are
    paired in order, so auto-numbered layer names do not matter. A weight
    whose shape matches is copied whole. One whose shape differs stays as
    initialised, or with `overlap=True` gets the slice the two shapes
    share (a grown embedding keeps the rows of its known words).

    Used to keep a pretrained body under a new head (`create_model` with
    overrides) and to grow a vocabulary (`rnnzoo.zoo.fine_tuning`).

    Returns:
        The paths of the target's weights whose shape differs: left as
        initialised, or, with `overlap=True`, initialised outside the
        copied slice.
    """
    if len(source.weights) != len(target.weights):
        raise ValueError(
            "The new model differs in structure from the pretrained one "
            f"({len(source.weights)} pretrained weights, "
            f"{len(target.weights)} in the new model), so the pretrained "
            "weights cannot be kept; use pretrained=False."
        )
    fresh = []
    for old, new in zip(source.weights, target.weights):
        if tuple(old.shape) == tuple(new.shape):
            # A copy: JAX's `fit` donates a model's buffers, so a shared
            # array would be deleted under the other model.
            new.assign(np.array(old.numpy()))
            continue
        fresh.append(new.path)
        if overlap:
            value = np.array(new.numpy())
            shared = tuple(
                slice(0, min(a, b)) for a, b in zip(old.shape, new.shape)
            )
            value[shared] = np.asarray(old.numpy())[shared]
            new.assign(value)
    return fresh
