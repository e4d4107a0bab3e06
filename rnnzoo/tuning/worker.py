"""A worker of a distributed search: the tuner class it runs, which
checks in with the chief while a trial runs and waits politely when the
chief has no trial to give yet (see `rnnzoo.tuning.distributed`)."""

import threading
import time

import grpc

from rnnzoo.tuning.distributed import HEARTBEAT_INTERVAL_S
from rnnzoo.tuning.distributed import IDLE_POLL_S
from rnnzoo.tuning.distributed import SearchRole


def worker_tuner_class(tuner_class: type) -> type:
    """`tuner_class` with a worker's habits: a heartbeat to the chief
    while a trial runs, and a pause before asking again when the chief
    has no trial to give yet."""
    return type(
        f"Worker{tuner_class.__name__}", (_WorkerTuner, tuner_class), {}
    )


# gRPC waits up to two minutes between attempts to reach a server that went
# away; a worker whose chief restarts should be back within seconds, well
# inside the chief's `worker_timeout`.
_RECONNECT_OPTIONS = [
    ("grpc.initial_reconnect_backoff_ms", 500),
    ("grpc.min_reconnect_backoff_ms", 500),
    ("grpc.max_reconnect_backoff_ms", 2000),
]


class _WorkerTuner:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        role = SearchRole.from_environment()
        channel = grpc.insecure_channel(
            role.address, options=_RECONNECT_OPTIONS
        )
        # KerasTuner's client opens its channel with gRPC's defaults.
        self.oracle.stub = type(self.oracle.stub)(channel)

    def pre_create_trial(self):
        if getattr(self, "_waiting_for_trial", False):
            time.sleep(IDLE_POLL_S)
        self._waiting_for_trial = True
        super().pre_create_trial()

    def on_trial_begin(self, trial):
        self._waiting_for_trial = False
        self.trials_run = [*getattr(self, "trials_run", []), trial.trial_id]
        self._heartbeat = _Heartbeat(self.oracle, trial.trial_id)
        super().on_trial_begin(trial)

    def on_trial_end(self, trial):
        self._heartbeat.stop()
        super().on_trial_end(trial)


class _Heartbeat:
    """Asks the chief for one trial every few seconds, from a thread of
    its own, until stopped."""

    def __init__(self, oracle, trial_id, interval=HEARTBEAT_INTERVAL_S):
        self._stopped = threading.Event()
        self._thread = threading.Thread(
            target=self._beat, args=(oracle, trial_id, interval), daemon=True
        )
        self._thread.start()

    def _beat(self, oracle, trial_id, interval):
        while not self._stopped.wait(interval):
            try:
                oracle.get_trial(trial_id)
            except grpc.RpcError:
                pass  # the chief is restarting; the next beat may reach it

    def stop(self):
        self._stopped.set()
