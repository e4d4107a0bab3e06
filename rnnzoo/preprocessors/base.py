"""The base of the preprocessors, their registry by task, and how they
travel in a preset.

A preprocessor turns a task's raw inputs (texts, images) into the model's
tensors and the model's outputs back into raw outputs (strings, label
names). It holds the run's `rnnzoo.data.Vectorizer` (the vocabularies) and
a few plain options. In a preset it is `preprocessor.json` (its class and
options) beside the vectorizer's assets in `assets/rnnzoo_vectorizer/`.
Presets written before preprocessors existed have no `preprocessor.json`:
their preprocessor is derived from the task and dataset in
`metadata.json`, the vectorizer and the model's config.
"""

import json
from pathlib import Path

import numpy as np

from rnnzoo.data.vectorizers import Vectorizer
from rnnzoo.models.raw_inputs import describe

PREPROCESSOR_FILE = "preprocessor.json"
VECTORIZER_DIR = Path("assets") / "rnnzoo_vectorizer"

_BY_TASK = {}
_BY_NAME = {}


def register_preprocessor(task: str):
    """Class decorator: the preprocessor of the presets of `task` (a
    task name of `rnnzoo.tasks`)."""

    def register(cls):
        _BY_TASK[task] = cls
        _BY_NAME[cls.__name__] = cls
        cls.task = task
        return cls

    return register


def preprocessor_class(task: str):
    """The preprocessor class registered for `task`, or `None`."""
    return _BY_TASK.get(task)


class Preprocessor:
    """Base of rnnzoo's preprocessors.

    A subclass implements `model_inputs(raw)` and, where it has its own
    options, `get_config()`; `from_model` derives it for a preset that
    predates `preprocessor.json`.

    Args:
        vectorizer: The run's `rnnzoo.data.Vectorizer`, or `None` for
            numeric inputs.
        label_names: Names of the classes (index = class id), or `None`.
    """

    task = None
    #: Whether the preprocessor works only with the run's vectorizer.
    needs_vectorizer = True

    def __init__(self, vectorizer=None, label_names=None):
        self.vectorizer = vectorizer
        self.label_names = None if label_names is None else list(label_names)

    def model_inputs(self, raw):
        """The model's tensors for a batch of raw inputs."""
        raise ValueError(
            f"This {self.task} model reads numbers, not raw text: pass "
            f"its input arrays, got {describe(raw)}."
        )

    def label_ids(self, labels) -> np.ndarray:
        """Class ids of a batch of label names (for `fit(texts, labels)`)."""
        if not self.label_names:
            raise ValueError(
                "`y` holds strings, but this model has no label names to "
                "map them to class ids; pass integer class ids, or set "
                "`model.preprocessor.label_names` first."
            )
        ids = []
        for label in np.asarray(labels, dtype=object).reshape(-1).tolist():
            label = label.decode() if isinstance(label, bytes) else label
            if label not in self.label_names:
                raise ValueError(
                    f"Unknown label {label!r} in `y`: expected one of "
                    f"{self.label_names}"
                )
            ids.append(self.label_names.index(label))
        return np.asarray(ids, dtype="int32")

    def label_name(self, class_id: int):
        """The name of a class id, or the id itself without names."""
        if self.label_names and 0 <= class_id < len(self.label_names):
            return self.label_names[class_id]
        return int(class_id)

    def get_config(self) -> dict:
        """The options of `from_config` (the vectorizer is an asset)."""
        return {"label_names": self.label_names}

    @classmethod
    def from_config(cls, config: dict, vectorizer=None):
        return cls(vectorizer=vectorizer, **config)

    @classmethod
    def from_model(cls, model, vectorizer, metadata: dict):
        """Derives the preprocessor of a preset without
        `preprocessor.json` from its model, vectorizer and metadata."""
        return cls(
            vectorizer=vectorizer, label_names=dataset_label_names(metadata)
        )

    def save(self, directory) -> None:
        """Writes `preprocessor.json` (and the vectorizer's assets, unless
        the preset has them already) into a preset folder."""
        directory = Path(directory)
        record = {
            "class_name": type(self).__name__,
            "config": self.get_config(),
        }
        (directory / PREPROCESSOR_FILE).write_text(json.dumps(record, indent=2))
        vectorizer_dir = directory / VECTORIZER_DIR
        if self.vectorizer is not None and not vectorizer_dir.exists():
            self.vectorizer.save_assets(vectorizer_dir)

    def __repr__(self):
        return f"{type(self).__name__}({self.vectorizer!r})"


def dataset_label_names(metadata: dict):
    """The label names of the preset's dataset, from the data registry."""
    from rnnzoo.data.registry import DATASETS

    info = DATASETS.get(metadata.get("dataset"))
    return getattr(info, "label_names", None)


def load_preprocessor(preset_dir, model, metadata: dict):
    """The preprocessor of a preset folder, or `None` where its task has
    none (e.g. a model trained from a config without a vectorizer).

    Args:
        preset_dir: The preset folder.
        model: The preset's model (its config tells image shapes, ...).
        metadata: The preset's `metadata.json`.
    """
    preset_dir = Path(preset_dir)
    vectorizer_dir = preset_dir / VECTORIZER_DIR
    vectorizer = (
        Vectorizer.from_assets(vectorizer_dir)
        if (vectorizer_dir / "vectorizer.json").exists()
        else None
    )
    record_path = preset_dir / PREPROCESSOR_FILE
    if record_path.exists():
        record = json.loads(record_path.read_text())
        cls = _BY_NAME.get(record.get("class_name"))
        if cls is None:
            raise ValueError(
                f"{record_path} names the preprocessor "
                f"{record.get('class_name')!r}, which this rnnzoo does not "
                f"know (known: {sorted(_BY_NAME)}); upgrade rnnzoo."
            )
        return cls.from_config(record.get("config") or {}, vectorizer)
    cls = _BY_TASK.get(metadata.get("task"))
    if cls is None or (vectorizer is None and cls.needs_vectorizer):
        return None
    return cls.from_model(model, vectorizer, metadata)


def check_vectorizer(preprocessor, features=()):
    """Raises unless the preprocessor has a vectorizer with `features`."""
    vectorizer = preprocessor.vectorizer
    missing = [
        f for f in features if vectorizer is None or f not in vectorizer.lookups
    ]
    if missing:
        raise ValueError(
            f"{type(preprocessor).__name__} needs a vectorizer with the "
            f"features {list(features)}, got "
            f"{describe(vectorizer) if vectorizer is None else vectorizer!r}"
        )
