"""A search spread over processes on 127.0.0.1: a chief and two workers
finishing a search, a worker killed mid-trial, a chief killed and started
again, and a worker with no chief to reach."""

import copy
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rnnzoo import cli
from rnnzoo.tuning import distributed
from rnnzoo.tuning.distributed import SearchRole
from rnnzoo.zoo import presets
from tests.training import helpers
from tests.tuning.conftest import TINY_SENTIMENT
from tests.tuning.conftest import write_configs
from tests.tuning.conftest import write_sst2

SEARCH_PROCESS = Path(__file__).with_name("search_process.py")
# A continuous learning rate: every trial has values of its own.
WIDE_SENTIMENT = copy.deepcopy(TINY_SENTIMENT)
WIDE_SENTIMENT["search_space"]["learning_rate"] = {
    "type": "float",
    "min": 0.001,
    "max": 0.1,
    "sampling": "log",
}
WORKER_TIMEOUT_S = 12


class Search:
    """The processes of one search, their output in files."""

    def __init__(self, root: Path):
        self.root = root
        self.configs = write_configs(root / "configs", WIDE_SENTIMENT)
        self.data = write_sst2(root / "data")
        self.output = root / "search"
        self.port = helpers.free_ports(1)[0]
        self.processes = {}

    def start(self, name, *role, batch_delay=0.0):
        log = self.root / f"{name}.log"
        command = [
            sys.executable,
            str(SEARCH_PROCESS),
            str(batch_delay),
            "tune",
            "tiny_sentiment",
            "--data-dir",
            str(self.data),
            "--output",
            str(self.output),
            "--max-trials",
            "4",
            "--quiet",
            *map(str, role),
        ]
        env = {
            k: v
            for k, v in helpers.environment().items()
            if k not in distributed.ENVIRONMENT_VARIABLES
        }
        env["RNNZOO_CONFIGS"] = str(self.configs)
        with open(log, "w") as stream:
            process = subprocess.Popen(
                command,
                cwd=helpers.REPOSITORY,
                env=env,
                stdout=stream,
                stderr=subprocess.STDOUT,
                text=True,
            )
        self.processes[name] = (process, log)
        return process

    def start_chief(self, name="chief"):
        return self.start(
            name,
            "--chief",
            "--host",
            "127.0.0.1",
            "--port",
            self.port,
            "--worker-timeout",
            WORKER_TIMEOUT_S,
        )

    def start_worker(self, name, batch_delay=0.0):
        return self.start(
            name,
            "--worker",
            name,
            "--chief-address",
            f"127.0.0.1:{self.port}",
            batch_delay=batch_delay,
        )

    def log(self, name) -> str:
        return self.processes[name][1].read_text()

    def wait_for(self, name, text, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log(name):
                return
            if self.processes[name][0].poll() is not None:
                break
            time.sleep(0.2)
        self.stop()
        raise AssertionError(f"No {text!r} from {name}:\n{self.log(name)}")

    def finish(self, name, timeout):
        process, _ = self.processes[name]
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.stop()
            raise AssertionError(
                f"{name} still running after {timeout} s:\n{self.log(name)}"
            ) from None
        assert process.returncode == 0, self.log(name)[-4000:]
        return self.log(name)

    def stop(self):
        for process, _ in self.processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()

    def trials(self) -> dict:
        """The chief's record of each trial: `trial_id -> trial.json`."""
        project = self.output / "trials" / "tiny_sentiment"
        return {
            path.parent.name: json.loads(path.read_text())
            for path in project.glob("trial_*/trial.json")
        }

    def run_counts(self) -> dict:
        project = self.output / "trials" / "tiny_sentiment"
        return json.loads((project / "oracle.json").read_text())["run_times"]

    def check_finished_search(self):
        trials = self.trials()
        assert sorted(trials) == ["trial_0", "trial_1", "trial_2", "trial_3"]
        assert {t["status"] for t in trials.values()} == {"COMPLETED"}
        rates = {
            t["hyperparameters"]["values"]["learning_rate"]
            for t in trials.values()
        }
        assert len(rates) == 4  # four distinct trials
        model = presets.load_preset(self.output / "preset")
        scores = model.predict(["the film was good"], verbose=0)
        assert scores.shape == (1, 1)
        assert (self.output / "tiny_sentiment_tuned.yaml").is_file()


@pytest.fixture
def search(tmp_path):
    search = Search(tmp_path)
    yield search
    search.stop()


# About a minute: three processes start TensorFlow on two cores.
def test_a_chief_and_two_workers_finish_the_search(search):
    search.start_chief()
    search.start_worker("w1")
    search.start_worker("w2")
    chief = search.finish("chief", timeout=300)
    for worker in ("w1", "w2"):
        assert "done; trials run:" in search.finish(worker, timeout=60)
    search.check_finished_search()
    assert "best preset:" in chief
    # Progress: each trial's start and end, with the counts and the best.
    assert chief.count("started on w") == 4
    assert "trials: 4 done, 0 running, 0 to go; best val_loss" in chief
    assert set(search.run_counts().values()) == {1}


@pytest.mark.slow
def test_a_worker_killed_mid_trial_does_not_stop_the_search(search):
    search.start_chief()
    # The victim starts first and trains slowly, so the kill lands
    # inside its trial; the survivor starts once the victim holds one.
    search.start_worker("victim", batch_delay=5.0)
    search.wait_for("chief", "started on victim", timeout=240)
    search.start_worker("survivor")
    time.sleep(3)
    search.processes["victim"][0].send_signal(signal.SIGKILL)
    chief = search.finish("chief", timeout=300)
    search.finish("survivor", timeout=60)
    assert "worker victim silent for" in chief and "presumed dead" in chief
    search.check_finished_search()
    # The lost trial ran twice (killed, then retried); the others once.
    assert sorted(search.run_counts().values()) == [1, 1, 1, 2]


@pytest.mark.slow
def test_a_restarted_chief_resumes_without_repeating_trials(search):
    search.start_chief("chief")
    search.start_worker("w1", batch_delay=1.0)
    search.wait_for("chief", "trial 1 started on w1", timeout=240)
    search.processes["chief"][0].send_signal(signal.SIGKILL)
    search.processes["chief"][0].wait()
    search.start_chief("chief_again")
    again = search.finish("chief_again", timeout=300)
    search.finish("w1", timeout=60)
    assert "trial 1 was running on w1 before the restart" in again
    search.check_finished_search()
    # Trial 0 finished before the restart and trial 1 across it: none
    # was started again.
    assert set(search.run_counts().values()) == {1}


def test_a_worker_without_a_chief_stops_with_the_address(
    tiny_zoo, tmp_path, capsys
):
    tiny_zoo(TINY_SENTIMENT)
    port = helpers.free_ports(1)[0]
    started = time.monotonic()
    status = cli.main(
        [
            "tune",
            "tiny_sentiment",
            "--data-dir",
            str(tmp_path / "no-data-needed"),
            "--worker",
            "w1",
            "--chief-address",
            f"127.0.0.1:{port}",
            "--connect-timeout",
            "2",
        ]
    )
    assert status == 1
    assert time.monotonic() - started < 30
    error = capsys.readouterr().err
    assert f"No tuning chief answered at 127.0.0.1:{port} within 2 s" in error


def test_a_chief_refuses_a_port_in_use(tiny_zoo, capsys):
    tiny_zoo(TINY_SENTIMENT)
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        status = cli.main(
            [
                "tune",
                "tiny_sentiment",
                "--chief",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
            ]
        )
    assert status == 1
    assert f"cannot listen on 127.0.0.1:{port}" in capsys.readouterr().err


@pytest.mark.parametrize(
    "options, message",
    [
        (["--chief"], "--chief needs --port"),
        (["--worker", "w1"], "--worker needs --chief-address"),
        (["--chief", "--port", "1", "--worker", "w"], "exclude each other"),
        (["--port", "8470"], "--port belongs to a --chief / --worker"),
        (["--worker", "w", "--chief-address", "nohost"], "HOST:PORT"),
        (["--worker", "chief2", "--chief-address", "h:1"], "must not contain"),
        (["--chief", "--port", "70000"], "`port` must be an integer in"),
    ],
)
def test_role_options_are_checked(tiny_zoo, capsys, options, message):
    assert cli.main(["tune", "vowels_mgu", *options]) == 1
    assert message in capsys.readouterr().err


def test_the_role_comes_from_the_kerastuner_variables():
    assert SearchRole.from_environment({}) is None
    role = SearchRole.from_environment(
        {
            "KERASTUNER_TUNER_ID": "w3",
            "KERASTUNER_ORACLE_IP": "10.0.0.5",
            "KERASTUNER_ORACLE_PORT": "8470",
        }
    )
    assert role == SearchRole.worker("w3", "10.0.0.5:8470")
    assert not role.is_chief and role.environment() == {
        "KERASTUNER_TUNER_ID": "w3",
        "KERASTUNER_ORACLE_IP": "10.0.0.5",
        "KERASTUNER_ORACLE_PORT": "8470",
    }
    with pytest.raises(ValueError, match="KERASTUNER_ORACLE_PORT is not"):
        SearchRole.from_environment(
            {"KERASTUNER_ORACLE_IP": "h", "KERASTUNER_TUNER_ID": "w"}
        )


def test_role_environment_is_restored(monkeypatch):
    monkeypatch.setenv("KERASTUNER_TUNER_ID", "mine")
    monkeypatch.delenv("KERASTUNER_ORACLE_IP", raising=False)
    with distributed.role_environment(SearchRole.chief(8470)):
        assert os.environ["KERASTUNER_TUNER_ID"] == "chief"
        assert os.environ["KERASTUNER_ORACLE_IP"] == "0.0.0.0"
    assert os.environ["KERASTUNER_TUNER_ID"] == "mine"
    assert "KERASTUNER_ORACLE_IP" not in os.environ
