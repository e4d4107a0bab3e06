"""How a task takes its `RecurrentBackbone`: given, or built from the
backbone arguments the task takes flat (and keeps flat in its config, so
that configs, zoo files and presets name them as they always have)."""

import inspect

from rnnzoo.models.backbone import BACKBONE_ARGUMENTS
from rnnzoo.models.backbone import RecurrentBackbone

_BACKBONE_PARAMETERS = inspect.signature(RecurrentBackbone.__init__).parameters


def takes_backbone(
    arguments: tuple = BACKBONE_ARGUMENTS,
    defaults: dict | None = None,
    fixed: dict | None = None,
):
    """Class decorator of a task (or a layer, as `SequenceEncoder`) that
    takes a `RecurrentBackbone`.

    The task's `__init__` takes `backbone=None` and `**kwargs`, and calls
    `task_backbone(type(self), backbone, kwargs)`. The decorator records
    what the task takes and gives `__init__` a signature that lists the
    flat `arguments` (keyword-only, with the task's defaults), so that
    `inspect.signature` (e.g. the tuner's check of a search space) sees
    them as the task's own.

    Args:
        arguments: Names of the `RecurrentBackbone` arguments that the
            task takes flat and keeps in its config.
        defaults: The task's defaults of some of them, where they differ
            from the backbone's (e.g. `{"bidirectional": True}`).
        fixed: Backbone arguments the task always sets itself (e.g.
            `{"return_first_layer": True}`).
    """
    unknown = sorted(set(arguments) - set(_BACKBONE_PARAMETERS))
    if unknown:
        raise ValueError(
            f"Unknown arguments of RecurrentBackbone: {unknown}; expected "
            f"some of {sorted(set(_BACKBONE_PARAMETERS) - {'self'})}"
        )

    def decorate(task_class):
        task_class.backbone_arguments = tuple(arguments)
        task_class.backbone_defaults = dict(defaults or {})
        task_class.backbone_fixed = dict(fixed or {})
        init = task_class.__init__
        init.__signature__ = _task_signature(init, task_class)
        return task_class

    return decorate


def _task_signature(init, task_class) -> inspect.Signature:
    own = inspect.signature(init)
    plain, variable = [], []
    for parameter in own.parameters.values():
        kind = parameter.kind
        (variable if kind == parameter.VAR_KEYWORD else plain).append(parameter)
    flat = [
        _BACKBONE_PARAMETERS[name].replace(
            kind=inspect.Parameter.KEYWORD_ONLY,
            default=task_class.backbone_defaults.get(
                name, _BACKBONE_PARAMETERS[name].default
            ),
        )
        for name in task_class.backbone_arguments
        if name not in own.parameters
    ]
    return own.replace(parameters=plain + flat + variable)


def _default(task_class, name):
    if name in task_class.backbone_fixed:
        return task_class.backbone_fixed[name]
    if name in task_class.backbone_defaults:
        return task_class.backbone_defaults[name]
    return _BACKBONE_PARAMETERS[name].default


def task_backbone(task_class, backbone, kwargs: dict) -> tuple:
    """The backbone of a task, and the flat arguments of its config.

    Args:
        task_class: The task's class, decorated with `takes_backbone`.
        backbone: The `RecurrentBackbone` the task was given, or `None`.
        kwargs: The task's `**kwargs`; the backbone arguments are taken
            out of it, what is left is for `keras.Model`.

    Returns:
        `(backbone, arguments)`: the given backbone, or a new one built
        from the flat arguments (with the task's defaults), and the
        values of every argument of `task_class.backbone_arguments`.
    """
    name = task_class.__name__
    taken = task_class.backbone_arguments
    given = {key: kwargs.pop(key) for key in taken if key in kwargs}
    others = sorted(
        key for key in kwargs if key in _BACKBONE_PARAMETERS and key != "self"
    )
    if others:
        raise ValueError(
            f"{name} does not take the backbone arguments {others}; it "
            f"takes {list(taken)}"
        )
    if backbone is None:
        defaults = {key: _default(task_class, key) for key in taken}
        backbone = RecurrentBackbone(
            **{**defaults, **given, **task_class.backbone_fixed}
        )
    elif not isinstance(backbone, RecurrentBackbone):
        raise ValueError(
            f"`backbone` must be a RecurrentBackbone, got "
            f"backbone={backbone!r}; pass its arguments (e.g. `vocab_size`) "
            "by keyword"
        )
    elif given:
        raise ValueError(
            f"Pass {name} either a `backbone` or the backbone arguments, "
            f"not both: the backbone '{backbone.name}' has its own; got "
            f"backbone and {', '.join(f'{k}={v!r}' for k, v in given.items())}"
        )
    else:
        _check_rebuildable(task_class, backbone)
    config = backbone.get_config()
    return backbone, {key: config[key] for key in taken}


def _check_rebuildable(task_class, backbone) -> None:
    """Raises unless the task's flat config rebuilds `backbone`: every
    argument the task does not take must have the value the task gives
    it."""
    config = backbone.get_config()
    for key in _BACKBONE_PARAMETERS:
        if key in ("self", "kwargs") or key in task_class.backbone_arguments:
            continue
        expected = _default(task_class, key)
        if key == "return_first_layer":
            # One layer is not split (see `RecurrentBackbone`).
            expected = bool(expected) and config["num_layers"] > 1
        if config[key] != expected:
            raise ValueError(
                f"{task_class.__name__} takes a backbone with "
                f"{key}={expected!r}, got the backbone '{backbone.name}' "
                f"with {key}={config[key]!r}"
            )
