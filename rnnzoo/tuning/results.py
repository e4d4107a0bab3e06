"""What a search leaves: the best trials as a table, and the winner
exported as a ready-to-use config and the preset it builds."""

from pathlib import Path

import keras_tuner
import yaml

from rnnzoo.tasks import get_task
from rnnzoo.training import export
from rnnzoo.tuning.hypermodel import HyperModel
from rnnzoo.zoo import registry
from rnnzoo.zoo.schema import load_config

# KerasTuner's own bookkeeping values in a Hyperband trial.
_TUNER_PREFIX = "tuner/"


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
