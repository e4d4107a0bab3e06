"""The README's search-space table is the one the configs generate."""

import pytest

import rnnzoo
from rnnzoo.tuning import docs


@pytest.fixture
def packaged_zoo(monkeypatch):
    monkeypatch.delenv("RNNZOO_CONFIGS", raising=False)


def test_readme_holds_exactly_the_generated_table(packaged_zoo):
    text = docs.README.read_text(encoding="utf-8")
    assert text.count(docs.START_MARKER) == 1
    assert text.count(docs.END_MARKER) == 1
    assert docs.section_of(text) == docs.search_space_table(), (
        "README.md's search-space table is stale: run "
        "python -m rnnzoo.tuning.docs --write"
    )


def test_the_table_has_a_row_per_hyperparameter(packaged_zoo):
    rows = docs.search_space_table().splitlines()[2:]
    expected = sum(
        len(rnnzoo.model_info(name).get("search_space") or {})
        for name in rnnzoo.list_models()
    )
    assert len(rows) == expected
    for name in rnnzoo.list_models():
        assert sum(row.startswith(f"| `{name}` |") for row in rows) == 1


def test_a_condition_on_a_tuned_parent_is_shown(tiny_zoo):
    (skip_row,) = [
        row
        for row in docs.search_space_table(["tiny_skip"]).splitlines()
        if "`skip`" in row
    ]
    assert skip_row.endswith("| `cell` in skip_rnn |")
    assert "`cell_kwargs`" in skip_row


def test_write_and_check_refresh_a_stale_table(packaged_zoo, tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(
        f"# x\n\n{docs.START_MARKER}\nold\n{docs.END_MARKER}\n\nafter\n"
    )
    assert docs.main(["--check", "--readme", str(readme)]) == 1
    assert docs.main(["--write", "--readme", str(readme)]) == 0
    assert docs.main(["--check", "--readme", str(readme)]) == 0
    text = readme.read_text()
    assert text.startswith("# x\n\n") and text.endswith("\n\nafter\n")
    assert docs.section_of(text) == docs.search_space_table()


def test_missing_markers_are_an_error():
    with pytest.raises(ValueError, match="Expected the markers"):
        docs.replace_section("no markers here", "| table |")
