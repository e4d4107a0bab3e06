"""The format of a zoo config file, and its check on load.

A zoo config is one YAML file in `zoo_configs/`, the single source of truth
for one zoo model. `load_config(path)` reads it and checks it against
`CONFIG_SCHEMA`: an unknown key, a value of the wrong type or a missing field
raises a `ConfigError` that names the file and the key path, e.g.
`zoo_configs/x.yaml: training.learning_rate: expected a number, got 'fast'`;
so does an architecture argument that the architecture's class does not
take, or a vocabulary size given twice (`architecture.arguments.vocab_size`
beside `data.vocabulary_size`).
"""

import numbers
from pathlib import Path

import yaml

from rnnzoo.decoding.strategies import STRATEGY_OPTIONS
from rnnzoo.decoding.strategies import decoding_options
from rnnzoo.tasks import task_names
from rnnzoo.zoo.schema_training import training_errors


class ConfigError(ValueError):
    """A zoo config file does not follow the schema."""


class Mapping:
    """A mapping with named fields.

    Args:
        fields: `{key: spec}` for the known keys.
        required: Keys that must be present.
        values: Spec of every value when the keys are free (e.g. metrics);
            then `fields` is empty and any key is accepted.
    """

    def __init__(self, fields=None, required=(), values=None):
        self.fields = fields or {}
        self.required = tuple(required)
        self.values = values

    description = "a mapping"


class ListOf:
    """A list whose items all follow `item`."""

    def __init__(self, item):
        self.item = item

    description = "a list"


class Scalar:
    """A leaf value checked by a predicate."""

    def __init__(self, description, predicate):
        self.description = description
        self.predicate = predicate


STRING = Scalar("a string", lambda v: isinstance(v, str))
INTEGER = Scalar(
    "an integer", lambda v: isinstance(v, int) and not isinstance(v, bool)
)
NUMBER = Scalar(
    "a number",
    lambda v: isinstance(v, numbers.Real) and not isinstance(v, bool),
)
BOOLEAN = Scalar("a boolean", lambda v: isinstance(v, bool))
ANY = Scalar("any value", lambda v: True)
SHA256 = Scalar(
    "a 64-character hexadecimal sha256",
    lambda v: (
        isinstance(v, str)
        and len(v) == 64
        and all(c in "0123456789abcdef" for c in v)
    ),
)

# What a config's model does: a registered task (`rnnzoo.tasks`).
TASK = Scalar(
    f"a task name, one of: {', '.join(task_names())}",
    lambda v: isinstance(v, str) and v in task_names(),
)


def _is_decoding(value) -> bool:
    if not isinstance(value, dict):
        return False
    options = dict(value)
    strategy = options.pop("strategy", None)
    if strategy not in STRATEGY_OPTIONS:
        return False
    # A text-level option of every strategy (`Seq2Seq.translate`).
    if not isinstance(options.pop("replace_unknown", False), bool):
        return False
    if not set(options) <= set(STRATEGY_OPTIONS[strategy]):
        return False
    try:
        decoding_options(strategy, **options)
    except ValueError:
        return False
    return True


# A model's default decoding: a strategy of `rnnzoo.decoding` and the
# options it takes, with valid values.
DECODING = Scalar(
    "a mapping of `strategy` and its options: "
    + "; ".join(
        f"{strategy}: {', '.join(options) or 'no options'}"
        for strategy, options in STRATEGY_OPTIONS.items()
    )
    + "; and for a translator `replace_unknown` (a bool)",
    _is_decoding,
)

# A learning-rate schedule: a name (`rnnzoo.training.recipe`) or a
# serialized `keras.optimizers.schedules` object.
SCHEDULE = Scalar(
    "a schedule name or a serialized Keras schedule",
    lambda v: isinstance(v, str) or (isinstance(v, dict) and "class_name" in v),
)

# One size for every text feature, or one per feature: `{en: 6000, de: 8000}`.
VOCABULARY_SIZE = Scalar(
    "an integer or a mapping of feature names to integers",
    lambda v: (
        INTEGER.predicate(v)
        or (
            isinstance(v, dict)
            and all(
                isinstance(k, str) and INTEGER.predicate(n)
                for k, n in v.items()
            )
        )
    ),
)

# A search-space entry: one KerasTuner hyperparameter.
HYPERPARAMETER = Mapping(
    {
        "type": STRING,  # choice | int | float | boolean | fixed
        "values": ListOf(ANY),
        "min": NUMBER,
        "max": NUMBER,
        "step": NUMBER,
        "sampling": STRING,
        "default": ANY,
        "value": ANY,
        "parent": STRING,
        "parent_values": ListOf(ANY),
    },
    required=("type",),
)

WEIGHTS_ENTRY = Mapping(
    {
        "tag": STRING,
        "file": STRING,
        "sha256": SHA256,
        "dataset": STRING,
        "metrics": Mapping(values=NUMBER),
        "license": STRING,
        "paper": STRING,
        # The run's notes: how it was chosen and trained (what was tried
        # on validation, early stopping, the machine). The config's own
        # `description` says what the model is; the results page shows
        # these.
        "description": STRING,
        "training_time_minutes": NUMBER,
        # What the results table shows beside the metrics, so that it is
        # generated from the configs alone.
        "split": STRING,  # the split `metrics` were measured on
        "parameters": INTEGER,
        "epochs": INTEGER,
        "hardware": STRING,
        "size_bytes": INTEGER,
    },
    required=("tag", "file", "sha256", "dataset", "metrics", "license"),
)

# A run of the entry's recipe with another cell (`rnnzoo.zoo.comparisons`).
COMPARISON_ENTRY = Mapping(
    {
        "cell": STRING,
        "dataset": STRING,
        "split": STRING,
        "metrics": Mapping(values=NUMBER),
        "parameters": INTEGER,
        "epochs": INTEGER,
        "training_time_minutes": NUMBER,
        "hardware": STRING,
    },
    required=("cell", "dataset", "split", "metrics"),
)

CONFIG_SCHEMA = Mapping(
    {
        "name": STRING,
        "task": TASK,
        "description": STRING,
        "architecture": Mapping(
            {"class": STRING, "arguments": Mapping(values=ANY)},
            required=("class", "arguments"),
        ),
        "data": Mapping(
            {
                "dataset": STRING,
                "preprocessing": Mapping(values=ANY),
                "vocabulary_size": VOCABULARY_SIZE,
                "sequence_length": INTEGER,
                "buckets": ListOf(INTEGER),
                "validation_fraction": NUMBER,
                # Skip-gram vectors for the token embedding, trained on
                # training text (`rnnzoo.data.word_vectors`).
                "word_vectors": Mapping(values=ANY),
            },
            required=("dataset",),
        ),
        "training": Mapping(
            {
                "optimizer": STRING,
                "learning_rate": NUMBER,
                "clipnorm": NUMBER,
                "epochs": INTEGER,
                "batch_size": INTEGER,
                "loss": STRING,
                "metrics": ListOf(STRING),
                "early_stopping_patience": INTEGER,
                "schedule": SCHEDULE,
                # Whether to XLA-compile the train step (default: as the
                # strategy suits, see `rnnzoo.training.strategies`); false
                # where compiling costs more than it saves.
                "jit_compile": BOOLEAN,
                # A `rnnzoo.models.ScheduledSampling` recipe, checked by
                # `rnnzoo.zoo.schema_training`.
                "scheduled_sampling": Mapping(values=ANY),
            },
            required=("optimizer", "learning_rate", "epochs", "batch_size"),
        ),
        # The model's default decoding: what its text calls use unless
        # told otherwise, and what its generation metrics are measured with.
        "decoding": DECODING,
        "search_space": Mapping(values=HYPERPARAMETER),
        "comparisons": ListOf(COMPARISON_ENTRY),
        "weights": ListOf(WEIGHTS_ENTRY),
        "default_tag": STRING,
        "reference": Mapping(values=ANY),
    },
    required=(
        "name",
        "task",
        "description",
        "architecture",
        "data",
        "training",
    ),
)


def _describe(value):
    return (
        repr(value)
        if isinstance(value, str)
        else (f"{type(value).__name__} {value!r}")
    )


def check(value, spec, path, errors):
    """Appends `(key_path, message)` for every mismatch of `value`."""
    where = ".".join(path) or "<top level>"
    if isinstance(spec, Scalar):
        if not spec.predicate(value):
            errors.append(
                (where, f"expected {spec.description}, got {_describe(value)}")
            )
    elif isinstance(spec, ListOf):
        if not isinstance(value, list):
            errors.append((where, f"expected a list, got {_describe(value)}"))
            return
        for index, item in enumerate(value):
            check(
                item,
                spec.item,
                [*path[:-1], f"{path[-1]}[{index}]"]
                if path
                else [f"[{index}]"],
                errors,
            )
    elif isinstance(spec, Mapping):
        if not isinstance(value, dict):
            errors.append(
                (where, f"expected a mapping, got {_describe(value)}")
            )
            return
        for key in spec.required:
            if key not in value:
                errors.append(
                    (".".join([*path, key]), "missing required field")
                )
        for key, item in value.items():
            if spec.values is not None:
                check(item, spec.values, [*path, str(key)], errors)
            elif key in spec.fields:
                check(item, spec.fields[key], [*path, str(key)], errors)
            else:
                known = ", ".join(sorted(spec.fields))
                errors.append(
                    (
                        ".".join([*path, str(key)]),
                        f"unknown key; expected one of: {known}",
                    )
                )


def argument_errors(config) -> list[tuple[str, str]]:
    """`(key_path, message)` for every problem of `architecture.arguments`.

    Every key must be an argument of `architecture.class` (the backbone
    arguments a task takes flat included), and a config whose
    `data.vocabulary_size` decides the vocabulary sizes must not repeat
    them as `vocab_size` or `target_vocab_size`: one number, one name.
    """
    # Imported here: the registry reads its configs through this module.
    from rnnzoo.zoo import registry

    architecture = config["architecture"]
    try:
        accepted = registry.architecture_arguments(architecture["class"])
    except ValueError as error:
        return [("architecture.class", str(error))]
    errors = []
    for key in architecture["arguments"]:
        where = f"architecture.arguments.{key}"
        if key not in accepted:
            errors.append(
                (
                    where,
                    f"not an argument of {architecture['class']}; expected "
                    f"one of: {', '.join(sorted(accepted))}",
                )
            )
        elif (
            key in registry.VOCABULARY_ARGUMENTS
            and config["data"].get("vocabulary_size") is not None
        ):
            errors.append(
                (
                    where,
                    "the data decides the vocabulary size: keep "
                    f"data.vocabulary_size and remove {where}",
                )
            )
    return errors


def _word_vector_errors(config):
    """The problems of `data.word_vectors` (`rnnzoo.data.word_vectors`)."""
    settings = config["data"].get("word_vectors")
    if settings is None:
        return []
    # Imported here: it reads datasets, which only these configs need.
    from rnnzoo.data.word_vectors import word_vector_settings

    try:
        word_vector_settings(settings)
    except ValueError as error:
        return [("data.word_vectors", str(error))]
    return []


def validate_config(config, source="<config>"):
    """Raises `ConfigError` unless `config` follows `CONFIG_SCHEMA`.

    Beyond the types, checks what ties the fields together: weight tags are
    unique and `default_tag` names one of them, and the architecture's
    arguments are its class's (`argument_errors`).
    """
    errors = []
    check(config, CONFIG_SCHEMA, [], errors)
    if not errors:
        tags = [entry["tag"] for entry in config.get("weights", [])]
        if len(tags) != len(set(tags)):
            errors.append(("weights", f"tags must be unique, got {tags}"))
        default_tag = config.get("default_tag")
        if default_tag is not None and default_tag not in tags:
            errors.append(
                ("default_tag", f"expected one of {tags}, got {default_tag!r}")
            )
        if "." in config["name"]:
            errors.append(
                ("name", f"must not contain '.', got {config['name']!r}")
            )
        errors += argument_errors(config)
        errors += training_errors(config)
        errors += _word_vector_errors(config)
        # Imported here: `python -m rnnzoo.zoo.comparisons` must not find
        # its module imported before it runs.
        from rnnzoo.zoo.comparisons import comparison_errors

        errors += comparison_errors(config)
    if errors:
        raise ConfigError(
            "\n".join(
                f"{source}: {where}: {message}" for where, message in errors
            )
        )
    return config


def load_config(path):
    """Reads and checks one zoo config file.

    Args:
        path: Path of a YAML file.

    Returns:
        The config as a dict.

    Raises:
        ConfigError: The file is not valid YAML or breaks the schema; the
            message names the file and the key path.
    """
    path = Path(path)
    try:
        config = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        raise ConfigError(f"{path}: not valid YAML: {error}") from error
    validate_config(config, source=str(path))
    if path.stem != config["name"]:
        raise ConfigError(
            f"{path}: name: expected the file's stem {path.stem!r}, got "
            f"{config['name']!r}"
        )
    return config
