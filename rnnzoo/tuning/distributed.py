"""A search spread over processes and machines: KerasTuner's distributed
mode, with the fault handling it lacks.

KerasTuner runs one chief process that holds the oracle (the search's
state) and serves it over gRPC, and any number of workers that ask it for
trials and train them. Each process learns its role from three
environment variables, which `rnnzoo tune` sets from its options and also
honours when they are set by hand:

* `KERASTUNER_TUNER_ID`: `chief` for the chief, a distinct name per worker;
* `KERASTUNER_ORACLE_IP`: the address the chief listens on (the workers:
  the address they reach it at);
* `KERASTUNER_ORACLE_PORT`: the chief's port.

Every process must see the same search folder (one machine, or a network
folder mounted at the same path everywhere): the workers write the trials'
weights there and the chief exports the best one from it.

This module holds a process's role and the checks before it starts;
`rnnzoo.tuning.chief` and `rnnzoo.tuning.worker` hold what rnnzoo adds to
KerasTuner's protocol, without changing it:

* Liveness. A worker in a trial asks the chief for that trial every few
  seconds (a read-only call), so the chief sees it alive. A worker silent
  for `worker_timeout` seconds is presumed dead: its trial goes back for a
  retry (the chief's oracle allows one), and the search no longer waits
  for it to say goodbye.
* No early stop. KerasTuner tells a worker to stop as soon as every trial
  has been handed out, so a trial lost with its worker would never be run
  again; the chief keeps idle workers waiting until no trial is running.
* Restarts. A chief restarted on the same folder keeps the finished trials
  and gives the trials that were running back to the workers that were
  running them, if they are still alive, instead of starting them again.
* Fail fast. A worker whose chief does not answer within
  `connect_timeout` seconds stops with an error naming the address.
"""

import dataclasses
import os
import socket
from contextlib import contextmanager

import grpc

from rnnzoo.validation import check_int
from rnnzoo.validation import check_positive_number

TUNER_ID = "KERASTUNER_TUNER_ID"
ORACLE_IP = "KERASTUNER_ORACLE_IP"
ORACLE_PORT = "KERASTUNER_ORACLE_PORT"
ENVIRONMENT_VARIABLES = (TUNER_ID, ORACLE_IP, ORACLE_PORT)
CHIEF_ID = "chief"
DEFAULT_WORKER_TIMEOUT_S = 60.0
DEFAULT_CONNECT_TIMEOUT_S = 60.0
HEARTBEAT_INTERVAL_S = 5.0
# How long an idle worker waits before asking the chief again.
IDLE_POLL_S = 2.0
# A killed worker's trial is run once more before it counts as failed.
RETRIES_PER_TRIAL = 1


class ChiefUnreachableError(ConnectionError):
    """A worker found no chief at the address it was given."""


@dataclasses.dataclass(frozen=True)
class SearchRole:
    """One process's part in a distributed search.

    Build it with `SearchRole.chief(port)` or
    `SearchRole.worker(worker_id, "host:port")`, or read it from the
    KerasTuner environment variables with `SearchRole.from_environment()`.

    Attributes:
        tuner_id: `"chief"`, or the worker's name.
        host: The chief's listening address (chief) or the address the
            worker reaches the chief at.
        port: The chief's port.
        worker_timeout: Chief only: seconds of silence after which a
            worker is presumed dead and its trial retried.
        connect_timeout: Worker only: seconds to wait for the chief to
            answer before giving up with `ChiefUnreachableError`.

    Example:

    >>> SearchRole.worker("gpu-box-1", "10.0.0.5:8470").address
    '10.0.0.5:8470'
    >>> SearchRole.chief(8470).environment()["KERASTUNER_TUNER_ID"]
    'chief'
    """

    tuner_id: str
    host: str
    port: int
    worker_timeout: float = DEFAULT_WORKER_TIMEOUT_S
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_S

    def __post_init__(self):
        if not isinstance(self.tuner_id, str) or not self.tuner_id:
            raise ValueError(
                "A worker needs a non-empty name (`--worker ID`), got "
                f"{self.tuner_id!r}"
            )
        if CHIEF_ID in self.tuner_id and self.tuner_id != CHIEF_ID:
            # KerasTuner treats any id containing "chief" as the chief.
            raise ValueError(
                f"A worker's name must not contain {CHIEF_ID!r}, got "
                f"{self.tuner_id!r}"
            )
        check_int("port", self.port, low=1, high=65535)
        check_positive_number(
            "worker_timeout", self.worker_timeout, unit="seconds"
        )
        check_positive_number(
            "connect_timeout", self.connect_timeout, unit="seconds"
        )

    @classmethod
    def chief(
        cls,
        port: int,
        host: str = "0.0.0.0",
        worker_timeout: float = DEFAULT_WORKER_TIMEOUT_S,
    ) -> "SearchRole":
        """The chief, listening on `host:port` (every interface by
        default)."""
        return cls(CHIEF_ID, host, port, worker_timeout=worker_timeout)

    @classmethod
    def worker(
        cls,
        worker_id: str,
        chief_address: str,
        connect_timeout: float = DEFAULT_CONNECT_TIMEOUT_S,
    ) -> "SearchRole":
        """A worker named `worker_id` that reaches the chief at
        `chief_address` (`"host:port"`)."""
        host, port = parse_address(chief_address)
        return cls(worker_id, host, port, connect_timeout=connect_timeout)

    @classmethod
    def from_environment(cls, environ=None) -> "SearchRole | None":
        """The role the KerasTuner environment variables name, or `None`
        when `KERASTUNER_ORACLE_IP` is unset (a single-process search)."""
        environ = os.environ if environ is None else environ
        if ORACLE_IP not in environ:
            return None
        missing = [
            name for name in (TUNER_ID, ORACLE_PORT) if not environ.get(name)
        ]
        if missing:
            raise ValueError(
                f"{ORACLE_IP} is set, so the search is distributed, but "
                f"{' and '.join(missing)} is not: set all of "
                f"{', '.join(ENVIRONMENT_VARIABLES)}"
            )
        port = environ[ORACLE_PORT]
        if not port.isdigit():
            raise ValueError(
                f"{ORACLE_PORT} must be a port number, got {port!r}"
            )
        return cls(environ[TUNER_ID], environ[ORACLE_IP], int(port))

    @property
    def is_chief(self) -> bool:
        return self.tuner_id == CHIEF_ID

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    def environment(self) -> dict:
        """The KerasTuner environment variables of this role."""
        return {
            TUNER_ID: self.tuner_id,
            ORACLE_IP: self.host,
            ORACLE_PORT: str(self.port),
        }


def parse_address(address: str) -> tuple[str, int]:
    """`"host:port"` as `(host, port)`, with a clear error otherwise."""
    host, separator, port = str(address).rpartition(":")
    if not separator or not host or not port.isdigit():
        raise ValueError(
            "The chief's address must be HOST:PORT (e.g. 10.0.0.5:8470), "
            f"got {address!r}"
        )
    return host, int(port)


@contextmanager
def role_environment(role: SearchRole):
    """Sets the KerasTuner variables of `role` for the duration of the
    block (KerasTuner reads them when a tuner is built and searches), and
    restores the caller's afterwards."""
    saved = {name: os.environ.get(name) for name in ENVIRONMENT_VARIABLES}
    os.environ.update(role.environment())
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def check_port_free(host: str, port: int) -> None:
    """Fails with a clear error when `host:port` is taken (gRPC would
    otherwise serve nothing, or share the port, without a word)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # Lingering connections of a chief that died are no obstacle; a
        # live listener is.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise OSError(
                f"The chief cannot listen on {host}:{port}: {error.strerror}; "
                "choose another --port"
            ) from error


def wait_for_chief(address: str, timeout: float) -> None:
    """Returns once a gRPC server answers at `address`; raises
    `ChiefUnreachableError` after `timeout` seconds without one."""
    channel = grpc.insecure_channel(address)
    try:
        grpc.channel_ready_future(channel).result(timeout=timeout)
    except grpc.FutureTimeoutError:
        raise ChiefUnreachableError(
            f"No tuning chief answered at {address} within {timeout:g} s: "
            "start it first (`rnnzoo tune CONFIG --chief --port PORT`) and "
            "check the address and the firewall"
        ) from None
    finally:
        channel.close()
