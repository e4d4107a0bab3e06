"""The guide `docs/coming_from_tfa.md` as a user runs it: its port of a
TensorFlow Addons sequence-to-sequence script, executed as written."""

import re

import numpy as np

from tests.training import helpers

GUIDE = helpers.REPOSITORY / "docs" / "coming_from_tfa.md"


def test_the_seq2seq_port_runs_and_learns_to_reverse():
    text = GUIDE.read_text()
    found = re.search(
        r"<!-- tested: seq2seq port -->\n```python\n(.*?)```", text, re.DOTALL
    )
    assert found, f"no tested block in {GUIDE}"
    namespace = {}
    exec(compile(found.group(1), str(GUIDE), "exec"), namespace)
    result, source = namespace["result"], namespace["source"]
    tokens = np.asarray(result.tokens)
    assert tokens.shape[0] == 4
    # The reversed source, then the end token: mostly right after 10 epochs.
    expected = source[:4, ::-1]
    accuracy = np.mean(tokens[:, :6] == expected)
    assert accuracy > 0.8, (tokens, expected)
