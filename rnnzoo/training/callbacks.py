"""The callbacks no library has: stop on a non-finite loss with the step
named, reset the carried states of truncated BPTT, and remember how a run
ended so that starting it again does the right thing. The rest (checkpoints,
CSV and TensorBoard logs, early stopping, the progress bar) are Keras's."""

import csv
import json
import math
from pathlib import Path

import keras


class NonFiniteLossError(RuntimeError):
    """The training loss became NaN or infinite."""


class TerminateOnNonFiniteLoss(keras.callbacks.Callback):
    """Raises `NonFiniteLossError` as soon as the loss is NaN or infinite.

    Keras's `TerminateOnNaN` only stops training quietly; this raises, so a
    script or the `rnnzoo train` command fails with a message that names
    the epoch and step (both counted from 1), and the last checkpoint (from
    the end of the previous epoch) stays untouched.

    Example:

    >>> callback = TerminateOnNonFiniteLoss()
    >>> callback.on_epoch_begin(0)
    >>> try:
    ...     callback.on_train_batch_end(2, {"loss": float("nan")})
    ... except NonFiniteLossError as error:
    ...     print(str(error)[:48])
    The training loss became nan at epoch 1, step 3;
    """

    def __init__(self):
        super().__init__()
        self.epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None:
            return
        loss = float(loss)
        if not math.isfinite(loss):
            raise NonFiniteLossError(
                f"The training loss became {loss} at epoch {self.epoch + 1}, "
                f"step {batch + 1}; training stopped. Check the data for NaN "
                "or inf values, lower the learning rate or clip gradients "
                "(training.clipnorm)."
            )


class ResetStates(keras.callbacks.Callback):
    """Zeroes a stateful model's carried states at the start of every epoch
    and of every evaluation (stateful truncated BPTT: each pass over a text
    starts from zero states).

    The model must have `reset_state()` (e.g. `rnnzoo.models.LanguageModel`).
    """

    def on_epoch_begin(self, epoch, logs=None):
        self.model.reset_state()

    def on_test_begin(self, logs=None):
        self.model.reset_state()


RUN_STATE_FILE = "run_state.json"


def read_run_state(directory) -> dict:
    """What `RunState` recorded in `directory`, or `{}`."""
    path = Path(directory) / RUN_STATE_FILE
    return json.loads(path.read_text()) if path.exists() else {}


class RunState(keras.callbacks.Callback):
    """Records in `directory/run_state.json` how many epochs are complete
    and whether training ended by early stopping, so that a finished run
    started again trains no further (`BackupAndRestore` alone would resume
    an early-stopped run)."""

    def __init__(self, directory):
        super().__init__()
        self.directory = Path(directory)
        self.epochs_completed = None

    def on_epoch_end(self, epoch, logs=None):
        self.epochs_completed = epoch + 1

    def on_train_end(self, logs=None):
        state = read_run_state(self.directory)
        if self.epochs_completed is not None:
            state = {
                "epochs_completed": self.epochs_completed,
                "stopped_early": bool(self.model.stop_training),
            }
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / RUN_STATE_FILE
        path.write_text(json.dumps(state))


def completed_epochs(backup_dir) -> int:
    """Epochs complete in the `BackupAndRestore` checkpoint of `backup_dir`
    (0 when there is none)."""
    path = Path(backup_dir) / "training_metadata.json"
    if not path.exists():
        return 0
    return int(json.loads(path.read_text()).get("epoch", 0))


def trim_csv_log(path, epochs: int) -> None:
    """Keeps only the rows of epochs `0..epochs-1` in a `CSVLogger` file.

    A run killed after logging an epoch but before its checkpoint repeats
    that epoch when resumed; trimming first keeps one row per epoch.
    """
    path = Path(path)
    if not path.exists():
        return
    with path.open(newline="") as file:
        rows = list(csv.reader(file))
    if not rows:
        return
    header, body = rows[0], rows[1:]
    kept = [row for row in body if row and int(row[0]) < epochs]
    if len(kept) == len(body):
        return
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(header)
        writer.writerows(kept)


def read_csv_log(path) -> dict:
    """A `CSVLogger` file as `{column: [values]}` (floats, `epoch` ints;
    `None` where the logger wrote `NA`; columns that are all `NA`, such
    as `val_*` without a validation split, left out)."""
    path = Path(path)
    if not path.exists():
        return {}
    with path.open(newline="") as file:
        rows = list(csv.DictReader(file))
    history = {}
    for row in rows:
        for key, value in row.items():
            if value == "NA":
                number = None
            else:
                number = int(value) if key == "epoch" else float(value)
            history.setdefault(key, []).append(number)
    return {
        key: values
        for key, values in history.items()
        if any(value is not None for value in values)
    }
