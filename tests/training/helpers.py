"""Running trainers in processes of their own, for the multi-process tests."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]
RUN_TRAINING = Path(__file__).with_name("run_training.py")


def environment(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k != "TF_CONFIG"}
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    env.update(extra)
    return env


def start_training(config, data_dir, output_dir, *options, env=None):
    """Starts `run_training.py` (see there) in a new process."""
    command = [
        sys.executable,
        str(RUN_TRAINING),
        str(config),
        str(data_dir),
        str(output_dir),
        *map(str, options),
    ]
    return subprocess.Popen(
        command,
        cwd=REPOSITORY,
        env=env or environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process, timeout) -> dict:
    """Waits for `process`; returns the JSON summary of its last line."""
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired as error:
        process.kill()
        stdout, stderr = process.communicate()
        raise AssertionError(
            f"Timed out after {timeout} s:\n{stderr[-3000:]}"
        ) from error
    assert process.returncode == 0, stderr[-3000:]
    return json.loads(stdout.strip().splitlines()[-1])


def free_ports(count: int) -> list[int]:
    """Ports free on 127.0.0.1 (held open together, so all distinct)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def tf_config(ports, index) -> str:
    return json.dumps(
        {
            "cluster": {"worker": [f"127.0.0.1:{port}" for port in ports]},
            "task": {"type": "worker", "index": index},
        }
    )
