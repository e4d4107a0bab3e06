"""The guide `docs/scaling_out.md` as a user runs it: its two-worker
training example, executed as written in a fresh folder.

Only the ports change (to free ones); the zoo config the example names is
a tiny one of the same name (`RNNZOO_CONFIGS`) and `data/` holds small
SST-2 files, so the commands themselves are the guide's, unedited.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.training import fixtures
from tests.training import helpers

GUIDE = helpers.REPOSITORY / "docs" / "scaling_out.md"


def guide_block(marker: str) -> str:
    """The fenced code block that follows `<!-- tested: MARKER -->`."""
    text = GUIDE.read_text()
    found = re.search(
        rf"<!-- tested: {re.escape(marker)} -->\n```bash\n(.*?)```",
        text,
        re.DOTALL,
    )
    assert found, f"no tested block {marker!r} in {GUIDE}"
    return found.group(1)


def test_the_two_worker_training_example_runs_as_written(tmp_path):
    script = guide_block("two-worker training")
    ports = helpers.free_ports(2)
    script = script.replace("23456", str(ports[0]))
    script = script.replace("23457", str(ports[1]))
    fixtures.write_sst2(tmp_path / "data")
    configs = tmp_path / "configs"
    fixtures.write_config(
        configs, fixtures.classifier_config(name="sentiment_skip_rnn")
    )
    env = helpers.environment(RNNZOO_CONFIGS=str(configs))
    bin_dir = str(Path(sys.executable).parent)
    env["PATH"] = bin_dir + os.pathsep + env.get("PATH", "")
    subprocess.run(
        ["bash", "-c", "set -e\n" + script],
        cwd=tmp_path,
        env=env,
        check=True,
        timeout=500,
    )
    logs = {i: (tmp_path / f"worker{i}.log").read_text() for i in (0, 1)}
    output = tmp_path / "runs" / "two_workers"
    metadata = json.loads((output / "preset" / "metadata.json").read_text())
    assert metadata["epochs"] == 2, logs
    assert metadata["training"]["strategy"] == "CollectiveAllReduceStrategy x2"
    assert (output / "workers" / "worker_1").is_dir()
    for log in logs.values():
        start = [m.start() for m in re.finditer(r"^\{$", log, re.MULTILINE)]
        summary = json.loads(log[start[-1] :])
        assert summary["strategy"] == "CollectiveAllReduceStrategy x2"
