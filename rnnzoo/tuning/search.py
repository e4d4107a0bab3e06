"""Running a search: a tuner by name, the search on a config's data, the
best trials as a table, and the winner exported as a preset and a config.

A search's folder holds

```
trials/<name>/          KerasTuner's project: one folder per trial
preset/                 the best model (rnnzoo.training.export's preset)
<name>_tuned.yaml       the best hyperparameters as a ready-to-use config
```
"""

import contextlib
import dataclasses
from pathlib import Path

import keras
import keras_tuner

from rnnzoo.training import config_data
from rnnzoo.training.trainer import resolve_config
from rnnzoo.tuning import chief
from rnnzoo.tuning import data as search_data_module
from rnnzoo.tuning import distributed
from rnnzoo.tuning import worker
from rnnzoo.tuning.hypermodel import HyperModel
from rnnzoo.tuning.results import active_values
from rnnzoo.tuning.results import best_trials_table
from rnnzoo.tuning.results import export_best

TUNERS = {
    "random": keras_tuner.RandomSearch,
    "bayesian": keras_tuner.BayesianOptimization,
    "hyperband": keras_tuner.Hyperband,
}


def make_objective(objective: str):
    """A KerasTuner objective from `"val_loss"` or `"name:min|max"`."""
    name, _, direction = objective.partition(":")
    if not direction:
        return name
    if direction not in ("min", "max"):
        raise ValueError(
            "An objective is 'metric' or 'metric:min' / 'metric:max', got "
            f"objective={objective!r}"
        )
    return keras_tuner.Objective(name, direction=direction)


def make_tuner(
    kind: str,
    hypermodel: keras_tuner.HyperModel,
    *,
    objective: str = "val_loss",
    max_trials: int = 10,
    max_epochs: int = 10,
    directory=None,
    project_name: str | None = None,
    seed: int | None = None,
    overwrite: bool = False,
    distribution_strategy=None,
    role: distributed.SearchRole | None = None,
    **kwargs,
) -> keras_tuner.Tuner:
    """Creates a KerasTuner tuner by name.

    Args:
        kind: `"random"` (`RandomSearch`), `"bayesian"`
            (`BayesianOptimization`) or `"hyperband"` (`Hyperband`).
        hypermodel: What to tune, e.g. `HyperModel("upos_tagger")`.
        objective: The metric to optimize, `"val_loss"` by default;
            `"metric:max"` for a metric KerasTuner cannot tell the
            direction of.
        max_trials: Trials at most. Hyperband's own schedule decides its
            number of trials; `max_trials` caps it.
        max_epochs: Hyperband's longest training (unused by the others,
            which train for the `epochs` given to `search`).
        directory: Parent folder of the tuner's project.
        project_name: The project's folder; default the hypermodel's name.
        seed: Seed of the tuner's sampling.
        overwrite: Start afresh instead of resuming the project.
        distribution_strategy: A `tf.distribute.Strategy` each trial
            builds and trains under.
        role: The process's part in a distributed search (a worker gets
            the tuner class with a heartbeat, see
            `rnnzoo.tuning.distributed`); build the tuner inside
            `distributed.role_environment(role)`.
        **kwargs: Further arguments of the tuner class.

    Example:

    >>> hypermodel = HyperModel("vowels_mgu")
    >>> tuner = make_tuner("bayesian", hypermodel,  # doctest: +SKIP
    ...                    max_trials=20, directory="tuning")
    """
    if kind not in TUNERS:
        raise ValueError(
            f"`tuner` must be one of {sorted(TUNERS)}, got tuner={kind!r}"
        )
    common = dict(
        objective=make_objective(objective),
        directory=directory,
        project_name=project_name or hypermodel.name,
        seed=seed,
        overwrite=overwrite,
        distribution_strategy=distribution_strategy,
        **kwargs,
    )
    tuner_class = TUNERS[kind]
    if role is not None and not role.is_chief:
        tuner_class = worker.worker_tuner_class(tuner_class)
    if kind == "hyperband":
        tuner = tuner_class(hypermodel, max_epochs=max_epochs, **common)
        tuner.oracle.max_trials = max_trials
        return tuner
    return tuner_class(hypermodel, max_trials=max_trials, **common)


@dataclasses.dataclass
class SearchResult:
    """What `run_search` returns.

    On a worker of a distributed search, which leaves the results to the
    chief, only `tuner`, `hypermodel` and `trials_run` are set.

    Attributes:
        tuner: The tuner, its trials in `tuner.oracle`.
        hypermodel: The `HyperModel` searched.
        best_hyperparameters: The best trial's active values.
        table: The best trials, as `best_trials_table` renders them.
        preset_dir: The best model's preset.
        config_path: The best config's YAML file.
        trials_run: The ids of the trials this process trained.
    """

    tuner: keras_tuner.Tuner
    hypermodel: HyperModel
    best_hyperparameters: dict | None = None
    table: str | None = None
    preset_dir: Path | None = None
    config_path: Path | None = None
    trials_run: list = dataclasses.field(default_factory=list)


def run_search(
    name_or_config,
    *,
    tuner: str = "random",
    max_trials: int = 10,
    epochs: int | None = None,
    data_dir=None,
    output_dir=None,
    train_data=None,
    validation_data=None,
    objective: str = "val_loss",
    seed: int = 0,
    overwrite: bool = False,
    distribution_strategy=None,
    num_trials_shown: int = 5,
    compile_options: dict | None = None,
    verbose=1,
    role: distributed.SearchRole | None = None,
    callbacks=None,
    **fixed,
) -> SearchResult:
    """Searches a zoo model's hyperparameters on its config's data.

    Args:
        name_or_config: A zoo model name, a config YAML file or a dict.
        tuner: `"random"`, `"bayesian"` or `"hyperband"`.
        max_trials: Trials at most.
        epochs: Epochs per trial (Hyperband's `max_epochs`); default the
            config's `training.epochs`.
        data_dir: Where the dataset's local files are.
        output_dir: Where the trials, the preset and the config go;
            default `tuning/<name>`. The same folder resumes a search
            (unless `overwrite`).
        train_data: Training batches to use instead of the config's
            dataset (then pass `validation_data`, and the architecture
            arguments the data decides, such as `vocab_size`, in `fixed`).
        validation_data: Batches scoring the trials.
        objective: See `make_tuner`.
        seed: Seed of the weights, the data's shuffles and the sampling.
        overwrite: Start afresh instead of resuming a search in
            `output_dir`.
        distribution_strategy: A `tf.distribute.Strategy` for the trials.
        num_trials_shown: Rows of the table.
        compile_options: Further arguments of `model.compile` (see
            `HyperModel`).
        verbose: Keras verbosity during the trials.
        role: This process's part in a distributed search:
            `SearchRole.chief(port)` serves the search to the workers
            (it trains nothing) and exports the winner when it ends;
            `SearchRole.worker(name, "host:port")` trains the trials the
            chief hands out. Default: the role the KerasTuner environment
            variables name, else a search in this process alone. Every
            process needs the same `output_dir` (see
            `rnnzoo.tuning.distributed`).
        callbacks: Keras callbacks for every trial's `fit`.
        **fixed: Values not to tune (see `HyperModel`).

    Returns:
        A `SearchResult`.

    Example:

    >>> result = run_search("vowels_mgu", max_trials=10,  # doctest: +SKIP
    ...                     epochs=20, output_dir="tuning/vowels")
    >>> print(result.table)  # doctest: +SKIP
    """
    config = resolve_config(name_or_config)
    task = config_data.task_of(config)
    role = role or distributed.SearchRole.from_environment()
    _check_role(role, overwrite)
    vectorizer = None
    keras.utils.set_random_seed(seed)
    task_data = None
    if train_data is None:
        task_data = search_data_module.search_data(config, data_dir, seed=seed)
        vectorizer = task_data.vectorizer
        fixed = {**task.data_arguments(task_data, config), **fixed}
    elif validation_data is None:
        raise ValueError(
            "`validation_data` scores the trials: pass it with `train_data`"
        )
    hypermodel = HyperModel(
        name_or_config, compile_options=compile_options, **fixed
    )
    if task_data is not None:
        train_data, validation_data = search_data_module.adapt(
            task, task_data, hypermodel.build(keras_tuner.HyperParameters())
        )
    epochs = epochs or config["training"]["epochs"]
    output_dir = Path(output_dir or Path("tuning") / config["name"])
    with _environment_of(role):
        search_tuner = make_tuner(
            tuner,
            hypermodel,
            objective=objective,
            max_trials=max_trials,
            max_epochs=epochs,
            directory=str(output_dir / "trials"),
            seed=seed,
            overwrite=overwrite,
            distribution_strategy=distribution_strategy,
            role=role,
        )
        if role is not None and role.is_chief:
            chief.serve_as_chief(search_tuner, role.worker_timeout)
        else:
            search_tuner.search(
                train_data,
                validation_data=validation_data,
                epochs=epochs,
                verbose=verbose,
                callbacks=list(callbacks or []),
            )
    trials_run = getattr(search_tuner, "trials_run", [])
    if role is not None and not role.is_chief:
        return SearchResult(search_tuner, hypermodel, trials_run=trials_run)
    best = search_tuner.get_best_hyperparameters(1)
    if not best:
        raise RuntimeError(
            f"The search of {config['name']} completed no trial; see the "
            f"trial logs in {output_dir / 'trials'}"
        )
    preset_dir, config_path = export_best(
        search_tuner, hypermodel, output_dir, vectorizer, task
    )
    return SearchResult(
        tuner=search_tuner,
        hypermodel=hypermodel,
        best_hyperparameters=active_values(best[0]),
        table=best_trials_table(search_tuner, num_trials_shown),
        preset_dir=preset_dir,
        config_path=config_path,
        trials_run=trials_run,
    )


def _check_role(role, overwrite):
    """Fails fast, before any data is read: a worker without a chief, a
    chief whose port is taken, a worker told to wipe the shared folder."""
    if role is None:
        return
    if role.is_chief:
        distributed.check_port_free(role.host, role.port)
        return
    if overwrite:
        raise ValueError(
            "`overwrite` would delete the shared search folder under the "
            "chief: only the chief (or a single-process search) may start "
            "afresh"
        )
    distributed.wait_for_chief(role.address, role.connect_timeout)


def _environment_of(role):
    if role is None:
        return contextlib.nullcontext()
    return distributed.role_environment(role)
