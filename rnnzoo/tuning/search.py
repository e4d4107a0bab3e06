"""Running a search: a tuner by name, the search on a config's data, the
best trials as a table, and the winner exported as a preset and a config.

A search's folder holds

```
trials/<name>/          KerasTuner's project: one folder per trial
preset/                 the best model (rnnzoo.training.export's preset)
<name>_tuned.yaml       the best hyperparameters as a ready-to-use config
```
"""

import dataclasses
from pathlib import Path

import keras
import keras_tuner
import yaml

from rnnzoo.tasks import get_task
from rnnzoo.training import config_data
from rnnzoo.training import export
from rnnzoo.training.trainer import resolve_config
from rnnzoo.tuning import data as search_data_module
from rnnzoo.tuning.hypermodel import HyperModel
from rnnzoo.zoo import registry
from rnnzoo.zoo.schema import load_config

TUNERS = {
    "random": keras_tuner.RandomSearch,
    "bayesian": keras_tuner.BayesianOptimization,
    "hyperband": keras_tuner.Hyperband,
}
# KerasTuner's own bookkeeping values in a Hyperband trial.
_TUNER_PREFIX = "tuner/"


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
    if kind == "hyperband":
        tuner = keras_tuner.Hyperband(
            hypermodel, max_epochs=max_epochs, **common
        )
        tuner.oracle.max_trials = max_trials
        return tuner
    return TUNERS[kind](hypermodel, max_trials=max_trials, **common)


def _score(trial):
    return "-" if trial.score is None else f"{trial.score:.4g}"


def _table_entry(value):
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def best_trials_table(tuner: keras_tuner.Tuner, num_trials: int = 5) -> str:
    """The best trials as a Markdown table: rank, trial id, score, and one
    column per hyperparameter (`-` where a trial leaves it inactive)."""
    trials = tuner.oracle.get_best_trials(num_trials)
    names = [
        item.name
        for item in tuner.oracle.get_space().space
        if not item.name.startswith(_TUNER_PREFIX)
    ]
    names = list(dict.fromkeys(names))
    objective = tuner.oracle.objective
    header = ["rank", "trial", getattr(objective, "name", str(objective))]
    rows = [header + names, ["---"] * (len(header) + len(names))]
    for rank, trial in enumerate(trials, start=1):
        values = trial.hyperparameters.values
        rows.append(
            [str(rank), trial.trial_id, _score(trial)]
            + [_table_entry(values[n]) if n in values else "-" for n in names]
        )
    return "\n".join("| " + " | ".join(row) + " |" for row in rows)


def active_values(hyperparameters) -> dict:
    """The values of a trial's active hyperparameters, KerasTuner's own
    bookkeeping (`tuner/epochs`, ...) left out."""
    return {
        name: value
        for name, value in hyperparameters.values.items()
        if not name.startswith(_TUNER_PREFIX)
    }


def write_config(config: dict, directory) -> Path:
    """Writes a config as `<directory>/<name>.yaml` and checks that it
    loads as a zoo config."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{config['name']}.yaml"
    path.write_text(
        yaml.safe_dump(config, sort_keys=False, allow_unicode=True),
        encoding="utf-8",
    )
    load_config(path)
    return path


def export_best(
    tuner: keras_tuner.Tuner,
    hypermodel: HyperModel,
    output_dir,
    vectorizer=None,
    task=None,
) -> tuple[Path, Path]:
    """Exports the best trial: its hyperparameters as a ready-to-use
    config, and the model that config builds, with the trial's weights, as
    a preset (uncompiled, like a zoo model from `create_model`).

    Args:
        tuner: A tuner whose search has run.
        hypermodel: The tuner's hypermodel.
        output_dir: Gets `preset/` and `<name>_tuned.yaml`.
        vectorizer: The data's `rnnzoo.data.Vectorizer`, saved with the
            preset (and, for text classification, put in front of the
            model so it takes raw strings).
        task: The config's task (a name or an `rnnzoo.tasks.TaskShape`);
            default the config's `task`.

    Returns:
        `(preset_dir, config_path)`.
    """
    output_dir = Path(output_dir)
    best_trial = tuner.oracle.get_best_trials(1)[0]
    best = best_trial.hyperparameters
    config = hypermodel.tuned_config(best)
    config_path = write_config(config, output_dir)
    # The preset is the tuned config's model, uncompiled, with the best
    # trial's weights: what the config builds is what the preset holds.
    # The tuned config leaves vocabulary sizes to its data: the trials'
    # model had the sizes of the adapted vectorizer.
    sizes = {
        name: value
        for name, value in hypermodel.fixed.items()
        if name in registry.VOCABULARY_ARGUMENTS
    }
    model = registry.build_model(config, **sizes)
    model.set_weights(tuner.get_best_models(1)[0].get_weights())
    task = get_task(task or config["task"])
    metadata = {
        "name": config["name"],
        "tuned_from": hypermodel.name,
        "task": task.name,
        "dataset": config["data"]["dataset"],
        "hyperparameters": active_values(best),
        "objective": tuner.oracle.objective.name,
        "score": best_trial.score,
        "config": config,
    }
    preset_dir = export.export_preset(
        model,
        vectorizer,
        output_dir / "preset",
        metadata,
        text_input=vectorizer is not None and task.text_input,
    )
    return preset_dir, config_path


@dataclasses.dataclass
class SearchResult:
    """What `run_search` returns.

    Attributes:
        tuner: The tuner, its trials in `tuner.oracle`.
        hypermodel: The `HyperModel` searched.
        best_hyperparameters: The best trial's active values.
        table: The best trials, as `best_trials_table` renders them.
        preset_dir: The best model's preset.
        config_path: The best config's YAML file.
    """

    tuner: keras_tuner.Tuner
    hypermodel: HyperModel
    best_hyperparameters: dict
    table: str
    preset_dir: Path
    config_path: Path


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
    )
    search_tuner.search(
        train_data,
        validation_data=validation_data,
        epochs=epochs,
        verbose=verbose,
    )
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
    )
