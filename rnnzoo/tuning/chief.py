"""The chief of a distributed search: KerasTuner's oracle server, with
liveness tracking, no early stop, resumption after a restart and a
progress line per trial (see `rnnzoo.tuning.distributed`)."""

import json
import threading
import time
from collections.abc import Callable
from pathlib import Path

import keras_tuner

from rnnzoo.tuning.distributed import DEFAULT_WORKER_TIMEOUT_S
from rnnzoo.tuning.distributed import HEARTBEAT_INTERVAL_S
from rnnzoo.tuning.distributed import RETRIES_PER_TRIAL

_RUNNING = keras_tuner.engine.trial.TrialStatus.RUNNING
_IDLE = keras_tuner.engine.trial.TrialStatus.IDLE
_STOPPED = keras_tuner.engine.trial.TrialStatus.STOPPED
_INVALID = keras_tuner.engine.trial.TrialStatus.INVALID
_COMPLETED = keras_tuner.engine.trial.TrialStatus.COMPLETED


def serve_as_chief(
    tuner: keras_tuner.Tuner,
    worker_timeout: float = DEFAULT_WORKER_TIMEOUT_S,
    report: Callable[[str], None] = print,
) -> None:
    """Serves `tuner`'s oracle to the workers until the search is over.

    The oracle gains liveness tracking (see the module docstring) and
    reports each trial's start and end with the search's progress through
    `report`. Call it with the KerasTuner variables of the chief set (see
    `role_environment`).
    """
    oracle = tuner.oracle
    oracle.__class__ = type(
        f"Chief{type(oracle).__name__}", (_ChiefOracle, type(oracle)), {}
    )
    # The progress lines replace KerasTuner's display, which also cannot
    # end a trial that began before a restart.
    oracle.verbose = 0
    oracle.start_watching(worker_timeout, report)
    oracle.reattach_running_trials(Path(tuner.project_dir) / "oracle.json")
    oracle.max_retries_per_trial = max(
        oracle.max_retries_per_trial, RETRIES_PER_TRIAL
    )
    try:
        tuner.search()
    finally:
        oracle.stop_watching()
    report(oracle.progress("search finished"))


class _ChiefOracle:
    """The chief's side of the liveness protocol, mixed into the oracle
    class of the tuner in use (`serve_as_chief`)."""

    def start_watching(self, worker_timeout, report):
        self._worker_timeout = worker_timeout
        self._report = report
        self._last_seen = {}
        self._trial_workers = {}
        self._watching = threading.Event()
        self._watcher = threading.Thread(target=self._watch, daemon=True)
        self._watcher.start()

    def stop_watching(self):
        self._watching.set()

    def reattach_running_trials(self, oracle_file: Path):
        """Gives the trials a previous chief had handed out back to their
        workers, which KerasTuner's reload queued for a fresh start; the
        workers that died meanwhile time out like any other."""
        if not oracle_file.is_file():
            return
        running = json.loads(oracle_file.read_text())["ongoing_trials"]
        now = time.monotonic()
        for tuner_id, trial_id in running.items():
            if trial_id in self._retry_queue and trial_id in self.trials:
                self._retry_queue.remove(trial_id)
                trial = self.trials[trial_id]
                trial.status = _RUNNING
                self.ongoing_trials[tuner_id] = trial
                self._last_seen[tuner_id] = now
                self._trial_workers[trial_id] = (tuner_id, "running")
                self._report(
                    f"[chief] trial {trial_id} was running on {tuner_id} "
                    "before the restart: waiting for it"
                )

    def _seen(self, tuner_id):
        self._last_seen[tuner_id] = time.monotonic()

    def _seen_in(self, trial_id):
        for tuner_id, trial in self.ongoing_trials.items():
            if trial.trial_id == trial_id:
                self._seen(tuner_id)

    @keras_tuner.synchronized
    def create_trial(self, tuner_id):
        self._seen(tuner_id)
        others_running = tuner_id not in self.ongoing_trials and bool(
            self.ongoing_trials
        )
        trial = super().create_trial(tuner_id)
        if others_running and trial.status == _STOPPED:
            # A running trial may still fail and need a worker: the asking
            # one waits instead of leaving.
            self.tuner_ids.add(tuner_id)
            trial.status = _IDLE
        return self._announce(tuner_id, trial)

    def _announce(self, tuner_id, trial):
        if trial.status == _RUNNING and self._trial_workers.get(
            trial.trial_id
        ) != (tuner_id, "running"):
            self._trial_workers[trial.trial_id] = (tuner_id, "running")
            self._report(
                self.progress(f"trial {trial.trial_id} started on {tuner_id}")
            )
        return trial

    @keras_tuner.synchronized
    def update_trial(self, trial_id, metrics, step=0):
        self._seen_in(trial_id)
        return super().update_trial(trial_id, metrics, step=step)

    @keras_tuner.synchronized
    def get_trial(self, trial_id):
        self._seen_in(trial_id)
        return super().get_trial(trial_id)

    @keras_tuner.synchronized
    def end_trial(self, trial):
        self._seen_in(trial.trial_id)
        worker, _ = self._trial_workers.get(trial.trial_id, ("?", None))
        if trial.trial_id in self._retry_queue:
            # A worker presumed dead finished after all: its result stands.
            self._retry_queue.remove(trial.trial_id)
        super().end_trial(trial)
        ended = self.trials[trial.trial_id]
        self._trial_workers[trial.trial_id] = (worker, ended.status)
        self._report(
            self.progress(
                f"trial {trial.trial_id} {ended.status.lower()} on {worker}"
            )
        )

    def progress(self, event: str) -> str:
        """One line: the event, the trials done / running / to go, and the
        best score so far."""
        done = sum(trial.status == _COMPLETED for trial in self.trials.values())
        failed = sum(trial.status == "FAILED" for trial in self.trials.values())
        running = len(self.ongoing_trials)
        to_go = max(self.max_trials - done - failed - running, 0)
        line = (
            f"[chief] {event}; trials: {done} done, {running} running, "
            f"{to_go} to go"
        )
        if failed:
            line += f", {failed} failed"
        best = self.get_best_trials(1)
        if best and best[0].score is not None:
            line += (
                f"; best {self.objective.name} {best[0].score:.4g} "
                f"(trial {best[0].trial_id})"
            )
        return line

    def _watch(self):
        interval = min(HEARTBEAT_INTERVAL_S, self._worker_timeout / 4)
        while not self._watching.wait(interval):
            self._drop_silent_workers()

    @keras_tuner.synchronized
    def _drop_silent_workers(self):
        now = time.monotonic()
        for tuner_id, seen in list(self._last_seen.items()):
            silent = now - seen
            if silent <= self._worker_timeout:
                continue
            del self._last_seen[tuner_id]
            self.tuner_ids.discard(tuner_id)
            trial = self.ongoing_trials.get(tuner_id)
            if trial is None:
                self._report(
                    f"[chief] worker {tuner_id} silent for {silent:.0f} s: "
                    "no longer waited for"
                )
                continue
            self._report(
                f"[chief] worker {tuner_id} silent for {silent:.0f} s: "
                f"presumed dead; trial {trial.trial_id} goes back for a retry"
            )
            lost = keras_tuner.engine.trial.Trial(
                trial.hyperparameters, trial_id=trial.trial_id, status=_INVALID
            )
            lost.message = f"worker {tuner_id} stopped answering"
            self.end_trial(lost)
