"""The training recipe of a zoo config: the config itself (by name, path
or dict, with overrides), the optimizer with global-norm clipping, the
learning-rate schedule, and the loss and metrics the model compiles with."""

import copy
import inspect
from pathlib import Path

import keras

from rnnzoo.tasks import get_task
from rnnzoo.training import optimizers
from rnnzoo.training.optimizers import DEFAULT_CLIPNORM
from rnnzoo.zoo import registry
from rnnzoo.zoo.schema import load_config
from rnnzoo.zoo.schema import validate_config

TRAINING_KEYS = (
    "optimizer",
    "learning_rate",
    "clipnorm",
    "epochs",
    "batch_size",
    "loss",
    "metrics",
    "early_stopping_patience",
    "scheduled_sampling",
)
SCHEDULES = ("constant", "cosine", "linear")


def resolve_config(config_or_name) -> dict:
    """A copy of a config given as a dict, a YAML path or a zoo name."""
    if isinstance(config_or_name, dict):
        return validate_config(copy.deepcopy(config_or_name))
    path = Path(str(config_or_name))
    if path.suffix in (".yaml", ".yml") and path.is_file():
        return load_config(path)
    return copy.deepcopy(registry.get_config(str(config_or_name)))


def apply_overrides(config: dict, overrides: dict) -> tuple[dict, dict]:
    """Puts `overrides` into the config: `training` keys (`epochs`,
    `batch_size`, `learning_rate`, ...) into `training`, the others into
    the architecture's arguments. Another `cell` drops the config's
    `cell_kwargs` (options of the old cell) unless they are overridden too.
    Returns the config and the architecture overrides."""
    architecture = {}
    for key, value in overrides.items():
        if key in TRAINING_KEYS:
            if value is not None:
                config["training"][key] = value
        else:
            architecture[key] = value
    arguments = config["architecture"]["arguments"]
    new_cell = architecture.get("cell", arguments.get("cell"))
    if new_cell != arguments.get("cell") and "cell_kwargs" not in architecture:
        arguments.pop("cell_kwargs", None)
    arguments.update(architecture)
    validate_config(config, source=f"<{config['name']} with overrides>")
    return config, architecture


def count_batches(dataset) -> int:
    """Batches in one pass over `dataset` (counted when unknown)."""
    cardinality = int(dataset.cardinality())
    if cardinality >= 0:
        return cardinality
    return sum(1 for _ in dataset)


def learning_rate_schedule(schedule, learning_rate: float, total_steps):
    """The optimizer's `learning_rate`: a float or a Keras schedule.

    Args:
        schedule: `None` or `"constant"`; `"cosine"` (cosine decay to 0
            over the whole run); `"linear"` (linear decay to 0); or a
            serialized `keras.optimizers.schedules` object,
            `{"class_name": "ExponentialDecay", "config": {...}}`, whose
            `initial_learning_rate` defaults to `learning_rate` and
            `decay_steps` to the run's total steps.
        learning_rate: The config's learning rate.
        total_steps: Callable giving the run's total training steps.
    """
    schedules = keras.optimizers.schedules
    if schedule in (None, "constant"):
        return learning_rate
    if schedule == "cosine":
        return schedules.CosineDecay(learning_rate, total_steps())
    if schedule == "linear":
        return schedules.PolynomialDecay(
            learning_rate, total_steps(), end_learning_rate=0.0, power=1.0
        )
    if isinstance(schedule, dict) and "class_name" in schedule:
        name = schedule["class_name"]
        schedule_class = getattr(
            schedules, name, None
        ) or keras.saving.get_registered_object(name)
        if schedule_class is None:
            raise ValueError(
                f"Unknown learning-rate schedule {name!r}: expected a class "
                "of keras.optimizers.schedules or a registered one"
            )
        config = dict(schedule.get("config") or {})
        accepted = inspect.signature(schedule_class.__init__).parameters
        if "initial_learning_rate" in accepted:
            config.setdefault("initial_learning_rate", learning_rate)
        if "decay_steps" in accepted and "decay_steps" not in config:
            config["decay_steps"] = total_steps()
        return schedule_class.from_config(config)
    raise ValueError(
        f"`schedule` must be one of {list(SCHEDULES)} or a serialized "
        f"keras.optimizers.schedules object, got schedule={schedule!r}"
    )


def make_optimizer(training: dict, learning_rate):
    """The config's optimizer, clipping the gradient by its global norm
    (`training.clipnorm`, default `DEFAULT_CLIPNORM`; 0 turns it off)."""
    return optimizers.make_optimizer(
        training["optimizer"],
        learning_rate,
        training.get("clipnorm", DEFAULT_CLIPNORM),
    )


def compile_model(model, task, training: dict, optimizer, jit_compile):
    """Compiles `model` with its task's loss and metrics (see
    `rnnzoo.tasks.TaskShape.compile_arguments`; `task` a name or a task),
    `training.loss` and `training.metrics` when the config names them,
    `optimizer` and `jit_compile`; and sets `training.scheduled_sampling`
    (see `rnnzoo.models.scheduled_sampling`) when the config has it."""
    arguments = get_task(task).compile_arguments(model)
    if training.get("loss"):
        arguments["loss"] = training["loss"]
    extra = list(training.get("metrics") or [])
    if extra and isinstance(arguments["metrics"], list):
        names = {getattr(m, "name", m) for m in arguments["metrics"]}
        arguments["metrics"] += [m for m in extra if m not in names]
    model.compile(optimizer=optimizer, jit_compile=jit_compile, **arguments)
    scheduled_sampling = training.get("scheduled_sampling")
    if scheduled_sampling is not None:
        if not hasattr(model, "set_scheduled_sampling"):
            raise ValueError(
                "`training.scheduled_sampling` needs an encoder-decoder model "
                f"(Seq2Seq, ImageCaptioner), got {type(model).__name__}"
            )
        model.set_scheduled_sampling(scheduled_sampling)
