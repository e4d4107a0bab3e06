"""A zoo config's `search_space`, read into named hyperparameters.

Each key of `search_space` names what it tunes: an argument of the
config's architecture class (`cell`, `units`, `num_layers`, `dropout`,
...), a training setting (`learning_rate`), or an option of the recurrent
cell that goes into `cell_kwargs` (`skip`). `search_parameters(config)`
checks the entries against the config and returns one `SearchParameter`
per key; its default is always the config's own value, so the default
hyperparameters rebuild the config's model.
"""

import dataclasses
import inspect
import math

from rnnzoo.layers import registry
from rnnzoo.zoo.registry import architecture_arguments
from rnnzoo.zoo.schema import ConfigError

KINDS = ("choice", "int", "float", "boolean", "fixed")
SAMPLINGS = ("linear", "log", "reverse_log")

# What a search-space key tunes.
ARGUMENT = "argument"
CELL_OPTION = "cell_option"
TRAINING = "training"

# Training settings a search space may tune, besides architecture
# arguments.
TRAINING_KEYS = ("learning_rate",)

# Integer ranges with at most this many values are enumerated whole by
# `SearchParameter.candidates()`; longer ones by their ends.
_ENUMERATED_RANGE = 8


@dataclasses.dataclass(frozen=True)
class SearchParameter:
    """One hyperparameter of a zoo config's search space.

    Attributes:
        name: The search-space key, also the KerasTuner name.
        kind: `"choice"`, `"int"`, `"float"`, `"boolean"` or `"fixed"`.
        target: What it tunes: `ARGUMENT` (an architecture argument),
            `CELL_OPTION` (a key of `cell_kwargs`) or `TRAINING` (a key of
            the config's `training`).
        default: The config's value, or for a cell option the config
            leaves out, the entry's `default` (`None`: KerasTuner's).
        values: The choices (`"choice"`), or the one value (`"fixed"`).
        min_value: Lower end of an `"int"` or `"float"` range.
        max_value: Upper end, included.
        step: Step of the range, or `None`.
        sampling: `"linear"`, `"log"` or `"reverse_log"`.
        parent: The key this parameter depends on, or `None`.
        parent_values: The values of `parent` for which it is active.
    """

    name: str
    kind: str
    target: str
    default: object = None
    values: tuple = ()
    min_value: float | None = None
    max_value: float | None = None
    step: float | None = None
    sampling: str = "linear"
    parent: str | None = None
    parent_values: tuple = ()

    def declare(self, hp):
        """Registers this parameter on `hp` and returns its value, `None`
        when inactive (inside an open conditional scope)."""
        if self.kind == "choice":
            value = hp.Choice(
                self.name, list(self.values), default=self.default
            )
            if value is not None and isinstance(self.values[0], bool):
                value = bool(value)
            return value
        if self.kind == "boolean":
            return hp.Boolean(self.name, default=bool(self.default))
        if self.kind == "fixed":
            return hp.Fixed(self.name, self.values[0])
        if self.kind == "int":
            return hp.Int(
                self.name,
                int(self.min_value),
                int(self.max_value),
                step=None if self.step is None else int(self.step),
                sampling=self.sampling,
                default=self.default,
            )
        return hp.Float(
            self.name,
            float(self.min_value),
            float(self.max_value),
            step=self.step,
            sampling=self.sampling,
            default=self.default,
        )

    def candidates(self) -> list:
        """Values that cover this parameter's space: every choice, both
        booleans, a short integer range whole, else the ends of a range."""
        if self.kind in ("choice", "fixed"):
            return list(self.values)
        if self.kind == "boolean":
            return [False, True]
        if self.kind == "int":
            step = int(self.step or 1)
            low, high = int(self.min_value), int(self.max_value)
            if self.sampling == "linear" and (
                (high - low) // step < _ENUMERATED_RANGE
            ):
                return list(range(low, high + 1, step))
            return [low, high]
        return [float(self.min_value), float(self.max_value)]

    def describe(self) -> str:
        """The space in a few words, e.g. `64, 128, 256` or
        `0.0001 to 0.01, log`."""
        if self.kind in ("choice", "fixed"):
            return ", ".join(_format(value) for value in self.values)
        if self.kind == "boolean":
            return "true, false"
        words = [
            f"{_format(self.min_value)} to {_format(self.max_value)}",
        ]
        if self.step is not None:
            words.append(f"step {_format(self.step)}")
        if self.sampling != "linear":
            words.append(self.sampling.replace("_", " "))
        return ", ".join(words)


def _format(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "none"
    return str(value)


def config_value(config: dict, name: str, target: str):
    """The value a config gives the search-space key `name` (`None` when
    it gives none): its argument, the class default, its cell option or
    its training setting."""
    arguments = config["architecture"]["arguments"]
    if target == TRAINING:
        return config["training"].get(name)
    if target == CELL_OPTION:
        return (arguments.get("cell_kwargs") or {}).get(name)
    if name in arguments:
        return arguments[name]
    default = architecture_arguments(config["architecture"]["class"])[name]
    return None if default is inspect.Parameter.empty else default


def implicit_condition(name: str):
    """`("cell", cells)` if only some registered cells take option `name`."""
    cells, every = tuple(registry.cells_taking(name)), registry.cell_names()
    return ("cell", cells) if 0 < len(cells) < len(every) else None


def _target(name, entry, config, signature):
    if name in signature:
        return ARGUMENT
    if name in TRAINING_KEYS:
        return TRAINING
    cell_kwargs = config["architecture"]["arguments"].get("cell_kwargs") or {}
    if (
        name in cell_kwargs
        or implicit_condition(name)
        or entry.get("parent") == "cell"
    ):
        return CELL_OPTION
    return None


def _same(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def _where(target, name):
    return {
        ARGUMENT: f"architecture.arguments.{name}",
        CELL_OPTION: f"architecture.arguments.cell_kwargs.{name}",
        TRAINING: f"training.{name}",
    }[target]


def _check_entry(name, entry, value, target, fail):
    """Checks one entry's own fields and that the config's `value` lies in
    its space; `fail(key, message)` raises."""
    kind = entry["type"]
    if kind not in KINDS:
        fail("type", f"expected one of {list(KINDS)}, got {kind!r}")
    if kind == "choice":
        values = entry.get("values")
        if not values:
            fail("values", "a choice needs a non-empty list of values")
        kinds = {type(item) for item in values}
        if len(kinds) > 1 or not kinds <= {int, float, str, bool}:
            fail(
                "values",
                "expected values all of one type (int, float, str or "
                f"bool), got {values!r}",
            )
    if kind in ("int", "float"):
        for key in ("min", "max"):
            if key not in entry:
                fail(key, f"an {kind} range needs `min` and `max`")
        low, high = entry["min"], entry["max"]
        if kind == "int" and not all(
            isinstance(v, int) for v in (low, high, entry.get("step", 1))
        ):
            fail("min", f"an int range needs integer bounds, got {entry!r}")
        if low > high:
            fail("max", f"expected max >= min, got min={low}, max={high}")
        sampling = entry.get("sampling", "linear")
        if sampling not in SAMPLINGS:
            fail("sampling", f"expected one of {SAMPLINGS}, got {sampling!r}")
        if sampling != "linear" and low <= 0:
            fail("min", f"{sampling} sampling needs min > 0, got min={low}")
    if kind == "fixed" and "value" not in entry:
        fail("value", "a fixed entry needs `value`")
    if name == "cell":
        known = registry.cell_names()
        names = entry.get("values", [entry.get("value")])
        if unknown := [cell for cell in names if cell not in known]:
            fail(
                "values" if kind == "choice" else "value",
                f"unknown cell names {unknown}; expected one of {known}",
            )
    if value is None:
        return
    where = _where(target, name)
    if "default" in entry and not _same(entry["default"], value):
        fail(
            "default",
            f"expected the config's value {value!r} ({where}), got "
            f"{entry['default']!r}",
        )
    if kind == "choice" and not any(_same(value, v) for v in entry["values"]):
        fail(
            "values",
            f"the config's value {value!r} ({where}) must be one of the "
            f"choices, got {entry['values']!r}",
        )
    if kind == "fixed" and not _same(value, entry["value"]):
        fail(
            "value",
            f"expected the config's value {value!r} ({where}), got "
            f"{entry['value']!r}",
        )
    if kind == "boolean" and not isinstance(value, bool):
        fail("type", f"the config's value {value!r} ({where}) is no boolean")
    if kind in ("int", "float") and not (entry["min"] <= value <= entry["max"]):
        fail(
            "min",
            f"the config's value {value!r} ({where}) must lie in "
            f"[{entry['min']}, {entry['max']}]",
        )


def search_parameters(config: dict, source: str = "<config>") -> list:
    """Reads and checks a config's `search_space`.

    Args:
        config: A zoo config (as `rnnzoo.zoo.get_config` returns it).
        source: Where it came from, for error messages (its file).

    Returns:
        One `SearchParameter` per key, in the file's order.

    Raises:
        ConfigError: An entry tunes nothing the config knows, names an
            unknown cell, is malformed, or disagrees with the config (a
            `default` other than the config's value, or a config value
            outside the space); the message names the file and the key.

    Example:

    >>> [p.name for p in search_parameters(get_config("upos_tagger"))]
    ['cell', 'units', 'num_layers']
    """
    space = config.get("search_space") or {}
    signature = architecture_arguments(config["architecture"]["class"])
    parameters = []
    for name, entry in space.items():

        def fail(key, message, name=name):
            raise ConfigError(f"{source}: search_space.{name}.{key}: {message}")

        target = _target(name, entry, config, signature)
        if target is None:
            raise ConfigError(
                f"{source}: search_space.{name}: unknown key; expected an "
                f"argument of {config['architecture']['class']} "
                f"({', '.join(sorted(signature))}), one of {TRAINING_KEYS}, "
                "or a cell option set in architecture.arguments.cell_kwargs "
                "or declared with `parent: cell`"
            )
        value = config_value(config, name, target)
        _check_entry(name, entry, value, target, fail)
        parent, parent_values = entry.get("parent"), entry.get("parent_values")
        if (parent is None) != (parent_values is None):
            fail("parent", "`parent` and `parent_values` go together")
        if parent is None and implicit_condition(name):
            parent, parent_values = implicit_condition(name)
        if parent is not None and parent not in space:
            if parent not in signature:
                fail("parent", f"{parent!r} is neither tuned nor an argument")
            fixed_parent = config_value(config, parent, ARGUMENT)
            if fixed_parent not in parent_values:
                fail(
                    "parent",
                    f"never active: {parent!r} is {fixed_parent!r} in "
                    f"architecture.arguments, not one of "
                    f"{list(parent_values)}",
                )
        kind = entry["type"]
        if value is None:
            value = entry.get("default", entry.get("value"))
        parameters.append(
            SearchParameter(
                name=name,
                kind=kind,
                target=target,
                default=value,
                values=tuple(
                    entry.get("values", [])
                    if kind == "choice"
                    else [entry["value"]]
                    if kind == "fixed"
                    else []
                ),
                min_value=entry.get("min"),
                max_value=entry.get("max"),
                step=entry.get("step"),
                sampling=entry.get("sampling", "linear"),
                parent=parent,
                parent_values=tuple(parent_values or ()),
            )
        )
    _check_parents(parameters, source)
    return parameters


def _check_parents(parameters, source):
    """Raises on a cycle of `parent` links."""
    parents = {p.name: p.parent for p in parameters}
    for name in parents:
        seen = [name]
        while parents.get(seen[-1]) in parents:
            seen.append(parents[seen[-1]])
            if seen[-1] in seen[:-1]:
                raise ConfigError(
                    f"{source}: search_space.{name}.parent: a cycle of "
                    f"parents: {' -> '.join(seen)}"
                )


def in_dependency_order(parameters: list) -> list:
    """The parameters with every parent before its children (stable)."""
    names = {p.name for p in parameters}
    ordered, placed = [], set()
    pending = list(parameters)
    while pending:
        for parameter in pending:
            if parameter.parent not in names or parameter.parent in placed:
                ordered.append(parameter)
                placed.add(parameter.name)
                pending.remove(parameter)
                break
    return ordered
