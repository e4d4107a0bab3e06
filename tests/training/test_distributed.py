"""Training under several replicas and several processes, and surviving
a kill: MirroredStrategy over two logical CPU devices against the default
strategy, MultiWorkerMirroredStrategy over two worker processes, and a
trainer killed with SIGKILL after its first epoch, started again."""

import json
import signal
import time

import keras
import numpy as np
import pytest

import rnnzoo
from rnnzoo.training import callbacks
from tests.training import fixtures
from tests.training import helpers


@pytest.fixture
def sst2_run(tmp_path):
    """SST-2 files and a tiny classifier config; clipping at 0.1 so that
    it acts, and no shuffling, so that every run sees the same batches."""
    data_dir = fixtures.write_sst2(tmp_path / "data")
    config = fixtures.classifier_config(clipnorm=0.1)
    config["data"]["preprocessing"] = {"shuffle": False}
    path = fixtures.write_config(tmp_path / "configs", config)
    return path, data_dir, tmp_path / "runs"


def test_mirrored_strategy_matches_the_default_loss_curve(sst2_run):
    # Without XLA: TensorFlow cannot compile a step whose variables sit on
    # another logical CPU device (`rnnzoo.train` turns it off there).
    config, data_dir, runs = sst2_run
    process = helpers.start_training(
        config, data_dir, runs, "--logical-cpus", 2, "--compare"
    )
    summary = helpers.finish(process, timeout=500)
    default, mirrored = summary["default"], summary["mirrored"]
    assert mirrored["strategy"] == "MirroredStrategy x2"
    assert len(default["loss"]) == len(mirrored["loss"]) == 3
    np.testing.assert_allclose(mirrored["loss"], default["loss"], rtol=1e-4)
    np.testing.assert_allclose(
        mirrored["val_loss"], default["val_loss"], rtol=1e-4
    )
    assert mirrored["metrics"] == pytest.approx(default["metrics"], rel=1e-4)


# About a minute: three processes start TensorFlow, two of them train.
@pytest.mark.slow
def test_multi_worker_training_finishes_on_both_workers(sst2_run):
    config, data_dir, runs = sst2_run
    ports = helpers.free_ports(2)
    workers = [
        helpers.start_training(
            config,
            data_dir,
            runs / "cluster",
            "--epochs",
            2,
            env=helpers.environment(TF_CONFIG=helpers.tf_config(ports, i)),
        )
        for i in range(2)
    ]
    chief, other = (helpers.finish(worker, timeout=500) for worker in workers)
    for summary in (chief, other):
        assert summary["strategy"] == "CollectiveAllReduceStrategy x2"
        assert summary["epochs"] == 2
    # Epoch metrics are all-reduced: both workers log the same values.
    assert other["history"]["loss"] == pytest.approx(chief["history"]["loss"])
    assert chief["metrics"] == pytest.approx(other["metrics"])
    # Only the chief exports; worker 1 keeps its own checkpoint.
    assert chief["preset"] and not other["preset"]
    metadata = json.loads((runs / "cluster/preset/metadata.json").read_text())
    assert metadata["epochs"] == 2
    assert metadata["training"]["strategy"] == "CollectiveAllReduceStrategy x2"
    worker_backup = runs / "cluster/workers/worker_1/backup"
    assert callbacks.completed_epochs(worker_backup) == 2


class EpochRecorder(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.epochs = []

    def on_epoch_end(self, epoch, logs=None):
        self.epochs.append(epoch)


def _wait_for_epoch(backup, process, epochs, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(
                f"The trainer ended early:\n{process.stderr.read()[-3000:]}"
            )
        try:
            if callbacks.completed_epochs(backup) >= epochs:
                return
        except (ValueError, OSError):
            pass  # the metadata file is being written
        time.sleep(0.05)
    process.kill()
    raise AssertionError(f"No checkpoint of epoch {epochs} in {timeout} s")


def test_a_killed_run_resumes_from_its_last_epoch(sst2_run):
    config, data_dir, runs = sst2_run
    output = runs / "killed"
    # Epochs after the first sleep 1 s per batch: the kill lands mid-epoch.
    process = helpers.start_training(
        config, data_dir, output, "--no-jit", "--batch-delay", 1.0
    )
    _wait_for_epoch(output / "backup", process, 1, timeout=300)
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=60)
    assert process.returncode == -signal.SIGKILL
    assert callbacks.completed_epochs(output / "backup") == 1
    assert not (output / "preset").exists()

    resumed = EpochRecorder()
    result = rnnzoo.train(
        config,
        data_dir=data_dir,
        output_dir=output,
        jit_compile=False,
        verbose=0,
        callbacks=[resumed],
    )
    assert resumed.epochs == [1, 2]  # the finished epoch is not redone
    assert result.epochs == 3
    assert callbacks.completed_epochs(output / "backup") == 3
    assert result.history["epoch"] == [0, 1, 2]  # each epoch logged once
    assert callbacks.read_run_state(output) == {
        "epochs_completed": 3,
        "stopped_early": False,
    }
    metadata = json.loads((output / "preset/metadata.json").read_text())
    assert metadata["epochs"] == 3

    # A finished run started again trains no further.
    again = EpochRecorder()
    repeat = rnnzoo.train(
        config,
        data_dir=data_dir,
        output_dir=output,
        jit_compile=False,
        verbose=0,
        callbacks=[again],
    )
    assert again.epochs == []
    assert repeat.epochs == 3 and repeat.history["epoch"] == [0, 1, 2]
    assert repeat.metrics == pytest.approx(result.metrics)
