"""KerasTuner hypermodels for zoo models, built from a config's search
space."""

import contextlib
import copy
from pathlib import Path

import keras_tuner

from rnnzoo.training.trainer import make_optimizer
from rnnzoo.tuning import space as space_module
from rnnzoo.tuning.space import ARGUMENT
from rnnzoo.tuning.space import CELL_OPTION
from rnnzoo.tuning.space import TRAINING
from rnnzoo.tuning.space import TRAINING_KEYS
from rnnzoo.zoo import registry
from rnnzoo.zoo.schema import load_config
from rnnzoo.zoo.schema import validate_config

_FIXED_TYPE = keras_tuner.engine.hyperparameters.Fixed


def resolve_config(name_or_config) -> tuple[dict, str]:
    """Returns `(config, source)` for a zoo model name, a YAML file or a
    config dict; `source` names the file in error messages."""
    if isinstance(name_or_config, dict):
        config = copy.deepcopy(name_or_config)
        source = f"<config {config.get('name', '?')}>"
        validate_config(config, source)
        return config, source
    location = str(name_or_config)
    if location.endswith((".yaml", ".yml")) or Path(location).is_file():
        return load_config(location), location
    config = registry.get_config(location)
    return config, str(registry.configs_dir() / f"{config['name']}.yaml")


class HyperModel(keras_tuner.HyperModel):
    """A zoo model whose config's `search_space` KerasTuner explores.

    `build(hp)` declares one named hyperparameter per search-space key
    (`cell` as an `hp.Choice` over registry names, `units`, `num_layers`,
    `bidirectional`, `dropout`, `embedding_dim`, `pooling`,
    `learning_rate`, cell options such as `skip`), each defaulting to the
    config's own value, and returns the compiled model: the config's
    optimizer with the tuned learning rate and the config's `clipnorm` as
    `global_clipnorm`, `loss="auto"`, `metrics="auto"`. With default
    hyperparameters it builds the config's model.

    Cell options only some cells take are conditional: `skip` (or any key
    declared with `parent`/`parent_values`) is declared under
    `hp.conditional_scope("cell", ["skip_rnn"])` when `cell` is tuned,
    plainly when the cell is fixed to `"skip_rnn"`, and left out of
    `cell_kwargs` whenever it is inactive.

    Args:
        name_or_config: A zoo model name, a config YAML file, or a config
            dict.
        compile_options: Further arguments of `model.compile`, e.g.
            `{"jit_compile": False}` or `{"steps_per_execution": 8}`.
        **fixed: Values that are not tuned: architecture arguments (e.g.
            `vocab_size=50`, `units=16`, `cell_kwargs={...}`),
            `learning_rate`, or search-space keys. Hyperparameters
            pre-filled as `hp.Fixed` are not tuned either.

    Example:

    >>> hypermodel = HyperModel("upos_tagger", vocab_size=1000)
    >>> tuner = keras_tuner.RandomSearch(  # doctest: +SKIP
    ...     hypermodel, objective="val_loss", max_trials=10)
    >>> tuner.search(train, validation_data=validation,  # doctest: +SKIP
    ...              epochs=3)
    """

    def __init__(
        self, name_or_config, *, compile_options: dict | None = None, **fixed
    ):
        config, source = resolve_config(name_or_config)
        super().__init__(name=config["name"])
        self.config = config
        self.source = source
        self.parameters = space_module.in_dependency_order(
            space_module.search_parameters(config, source)
        )
        signature = registry.architecture_arguments(
            config["architecture"]["class"]
        )
        known = set(signature) | set(TRAINING_KEYS)
        known |= {parameter.name for parameter in self.parameters}
        unknown = sorted(set(fixed) - known)
        if unknown:
            raise ValueError(
                f"Cannot fix {unknown} for {config['name']!r}: expected "
                f"arguments of {config['architecture']['class']}, "
                f"{list(TRAINING_KEYS)} or search-space keys, got "
                f"{sorted(fixed)}"
            )
        self.fixed = dict(fixed)
        self.compile_options = dict(compile_options or {})

    @property
    def tuned_names(self) -> list[str]:
        """The search-space keys this hypermodel tunes (not `fixed`)."""
        return [p.name for p in self.parameters if p.name not in self.fixed]

    def _static_value(self, name, values):
        if name in values:
            return values[name]
        if name in self.fixed:
            return self.fixed[name]
        return space_module.config_value(self.config, name, ARGUMENT)

    def declare(self, hp) -> dict:
        """Declares the tuned hyperparameters on `hp`.

        Returns:
            `{key: value}` for every search-space key: its value in `hp`,
            its `fixed` value, or `None` when it is inactive.
        """
        values, scopes = {}, {}
        for parameter in self.parameters:
            name = parameter.name
            if name in self.fixed:
                values[name] = self.fixed[name]
                continue
            prefilled = [
                item
                for item in hp.space
                if item.name == name and isinstance(item, _FIXED_TYPE)
            ]
            if parameter.kind != "fixed" and prefilled:
                values[name] = prefilled[0].value
                continue
            conditions = []
            if parameter.parent is not None:
                if parameter.parent in scopes:
                    conditions = [
                        *scopes[parameter.parent],
                        (parameter.parent, parameter.parent_values),
                    ]
                elif (
                    self._static_value(parameter.parent, values)
                    not in parameter.parent_values
                ):
                    values[name] = None
                    continue
            with contextlib.ExitStack() as stack:
                for parent, parent_values in conditions:
                    stack.enter_context(
                        hp.conditional_scope(parent, list(parent_values))
                    )
                values[name] = parameter.declare(hp)
            scopes[name] = conditions
        return values

    def resolve(self, values: dict) -> tuple[dict, dict]:
        """The architecture arguments and training settings for `values`
        (as `declare` returns them)."""
        arguments = copy.deepcopy(self.config["architecture"]["arguments"])
        training = dict(self.config["training"])
        for name, value in self.fixed.items():
            if name in TRAINING_KEYS:
                training[name] = value
            elif name not in values:
                arguments[name] = value
        had_cell_kwargs = "cell_kwargs" in arguments
        cell_kwargs = dict(arguments.get("cell_kwargs") or {})
        for parameter in self.parameters:
            value = values.get(parameter.name)
            if parameter.target == CELL_OPTION:
                if value is None:
                    cell_kwargs.pop(parameter.name, None)
                else:
                    cell_kwargs[parameter.name] = value
            elif value is None:
                continue
            elif parameter.target == ARGUMENT:
                arguments[parameter.name] = value
            elif parameter.target == TRAINING:
                training[parameter.name] = value
        if cell_kwargs or had_cell_kwargs:
            arguments["cell_kwargs"] = cell_kwargs or None
        return arguments, training

    def build(self, hp):
        """Builds and compiles the model for the hyperparameters `hp`."""
        arguments, training = self.resolve(self.declare(hp))
        # The resolved arguments replace the config's; its data still
        # sizes the vocabularies the arguments leave open.
        architecture = {**self.config["architecture"], "arguments": {}}
        model = registry.build_model(
            {**self.config, "architecture": architecture}, **arguments
        )
        model.compile(
            optimizer=make_optimizer(training, training["learning_rate"]),
            loss="auto",
            metrics="auto",
            **self.compile_options,
        )
        return model

    def tuned_config(self, hp, name: str | None = None) -> dict:
        """The config with the values of `hp` written in: a ready-to-use zoo
        config, named `name` (default `<name>_tuned`).

        Tuned and fixed values go into `architecture.arguments` (cell
        options into its `cell_kwargs`) and `training`; the search space
        stays, its defaults set to the new values; the published weights
        of the original are dropped.
        """
        values = self.declare(_copy_hyperparameters(hp))
        arguments, training = self.resolve(values)
        config = copy.deepcopy(self.config)
        config["name"] = name or f"{self.config['name']}_tuned"
        config["description"] = (
            f"{self.config['description'].rstrip()} Hyperparameters tuned "
            f"with `rnnzoo tune` from {self.config['name']}."
        )
        # The data decides the vocabulary sizes (`data.vocabulary_size`).
        for name in registry.VOCABULARY_ARGUMENTS:
            arguments.pop(name, None)
        config["architecture"]["arguments"] = _plain(arguments)
        config["training"] = _plain(training)
        for key in ("weights", "default_tag"):
            config.pop(key, None)
        for parameter in self.parameters:
            entry = config["search_space"][parameter.name]
            value = values.get(parameter.name)
            if value is not None and parameter.kind != "fixed":
                entry["default"] = _plain(value)
            if parameter.kind == "fixed" and value is not None:
                entry["value"] = _plain(value)
        validate_config(config, f"<tuned config {config['name']}>")
        return config


def _copy_hyperparameters(hp):
    """A copy of `hp` (or of a `{name: value}` dict) to declare on."""
    if isinstance(hp, dict):
        copied = keras_tuner.HyperParameters()
        copied.values.update(hp)
        return copied
    return hp.copy()


def _plain(value):
    """Python types for YAML, floats without binary noise (0.1 * 3)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        return float(f"{value:.10g}")
    if hasattr(value, "item"):
        return _plain(value.item())
    return value
