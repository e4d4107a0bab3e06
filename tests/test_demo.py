"""The README's first command, `python -m rnnzoo.demo`, in miniature."""

import pytest

from rnnzoo import demo
from rnnzoo.zoo import hub

SMALL_RUN = ["--cells", "gru", "--epochs", "1", "--samples", "64"]


@pytest.fixture
def fresh_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RNNZOO_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("RNNZOO_WEIGHTS_URL", raising=False)
    monkeypatch.setenv("RNNZOO_OFFLINE", "1")  # Offline it must be.


@pytest.mark.skipif(
    not (hub.checkout_hub() / f"{demo.TRANSLATOR}.tar.gz").is_file(),
    reason="no hub/ in this checkout",
)
def test_demo_shows_the_zoo_then_the_adding_problem(fresh_cache, capsys):
    demo.main([*SMALL_RUN, "--length", "5"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("The zoo at work: two published models")
    assert lines[2] == (
        "    two dogs play in the snow . -> zwei hunde spielen im schnee ."
    )
    assert lines[4] == "    I/PRON love/VERB this/DET movie/NOUN ./PUNCT"
    assert lines[6].startswith("Adding problem, 5 steps")
    assert lines[-1].split()[0] == "gru"


def test_demo_skips_the_zoo_when_asked_or_without_weights(
    fresh_cache, tmp_path, monkeypatch, capsys
):
    demo.main([*SMALL_RUN, "--length", "5", "--no-zoo"])
    assert capsys.readouterr().out.startswith("Adding problem")

    # An install without hub/ and an empty cache: a note, no download.
    monkeypatch.setattr(hub, "checkout_hub", lambda: tmp_path / "no_hub")
    demo.main([*SMALL_RUN, "--length", "5"])
    out = capsys.readouterr().out
    assert out.startswith("The zoo: skipped")
    assert "rnnzoo download NAME.TAG" in out
    assert "Adding problem" in out
