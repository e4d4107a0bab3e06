"""A run's folder: the callbacks that write it and how a run started again
resumes from it.

```
history.csv           one row per epoch (CSVLogger, appended on resume)
logs/                 TensorBoard
backup/               BackupAndRestore: weights, optimizer and epoch
best.weights.h5       the best weights so far, with early stopping
run_state.json        epochs complete, whether early stopping ended it
metrics.json          the test metrics
preset/               the preset (see rnnzoo.training.export)
<name>.tar.gz         the preset packed for the hub
```

A run killed and started again with the same folder resumes from the end
of its last complete epoch; a finished run started again trains no
further and exports again. Workers other than the chief of a cluster keep
their checkpoints in `workers/worker_<i>/` and write nothing else.
"""

import importlib.util
import logging
from pathlib import Path

import keras

from rnnzoo.training import callbacks as run_callbacks
from rnnzoo.training.evaluation import stateful

logger = logging.getLogger(__name__)

BEST_WEIGHTS_FILE = "best.weights.h5"
HISTORY_FILE = "history.csv"


def worker_folder(output_dir: Path, worker_index: int) -> Path:
    """Where a worker other than the chief keeps its checkpoints."""
    return Path(output_dir) / "workers" / f"worker_{worker_index}"


def monitor_mode(monitor: str) -> str:
    """`"min"` for a loss, `"max"` for any other metric (accuracy)."""
    return "min" if monitor.endswith("loss") else "max"


def _best_logged(output_dir, key) -> float | None:
    """The best `key` in the run's CSV log so far (the lowest loss, the
    highest of another metric), or `None`."""
    history = run_callbacks.read_csv_log(Path(output_dir) / HISTORY_FILE)
    values = [v for v in history.get(key, []) if v is not None]
    best = min if monitor_mode(key) == "min" else max
    return best(values) if values else None


def restore_best_weights(model, run_dir, patience) -> None:
    """Loads the best weights of an early-stopping run, if any were saved
    (this run or one it resumed)."""
    best = Path(run_dir) / BEST_WEIGHTS_FILE
    if patience and best.exists():
        model.load_weights(str(best))


def _early_stopping(run_dir, output_dir, patience, monitor="val_loss"):
    mode = monitor_mode(monitor)
    return [
        keras.callbacks.EarlyStopping(
            monitor=monitor,
            mode=mode,
            patience=patience,
            restore_best_weights=True,
        ),
        # EarlyStopping keeps the best weights in memory only: a resumed
        # run would restore the last checkpoint and export its weights.
        # The best weights on disk, with the best loss of the epochs
        # already run as the bar, survive a restart.
        keras.callbacks.ModelCheckpoint(
            str(Path(run_dir) / BEST_WEIGHTS_FILE),
            monitor=monitor,
            mode=mode,
            save_best_only=True,
            save_weights_only=True,
            initial_value_threshold=_best_logged(output_dir, monitor),
        ),
    ]


def folder_callbacks(
    run_dir,
    output_dir,
    chief,
    model,
    patience,
    validation,
    monitor="val_loss",
):
    """The callbacks that keep a run's folder: non-finite-loss stop, state
    resets of a stateful model, early stopping with its best weights (by
    `monitor`, the task's `early_stopping_monitor`), CSV and TensorBoard
    logs (chief only), the epoch checkpoint and the run state."""
    items = [run_callbacks.TerminateOnNonFiniteLoss()]
    if stateful(model):
        items.append(run_callbacks.ResetStates())
    if patience and validation is None:
        logger.warning(
            "early_stopping_patience is set but the data has no validation "
            "split: no early stopping."
        )
    elif patience:
        items += _early_stopping(run_dir, output_dir, patience, monitor)
    if chief:
        # Before the checkpoint: an epoch logged but not checkpointed is
        # trimmed from the log on resume (see trim_csv_log).
        items.append(
            keras.callbacks.CSVLogger(
                str(Path(output_dir) / HISTORY_FILE), append=True
            )
        )
    items.append(
        keras.callbacks.BackupAndRestore(
            str(Path(run_dir) / "backup"),
            delete_checkpoint=False,
            double_checkpoint=True,
        )
    )
    items.append(run_callbacks.RunState(run_dir))
    if chief and importlib.util.find_spec("tensorboard") is not None:
        items.append(
            keras.callbacks.TensorBoard(
                str(Path(output_dir) / "logs"), write_graph=False
            )
        )
    elif chief:
        logger.warning("TensorBoard is not installed: no logs/ written.")
    return items


def epochs_to_run(epochs, run_dir, output_dir, chief) -> int:
    """The `epochs` of `fit` for a run that may be resuming: an
    early-stopped run trains no further; the CSV log loses any epoch
    logged after the last checkpoint (it is trained again)."""
    if chief:
        done = run_callbacks.completed_epochs(Path(run_dir) / "backup")
        run_callbacks.trim_csv_log(Path(output_dir) / HISTORY_FILE, done)
    state = run_callbacks.read_run_state(run_dir)
    if state.get("stopped_early"):
        return min(epochs, state["epochs_completed"])
    return epochs


def completed_epochs(run_dir) -> int:
    """Epochs complete in the run's checkpoint."""
    return run_callbacks.completed_epochs(Path(run_dir) / "backup")
