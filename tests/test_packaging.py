"""An installed rnnzoo (not an editable one) holds every subpackage:
`pyproject.toml` lists packages by hand, so a new one must be added."""

from pathlib import Path

import tomllib

REPOSITORY = Path(__file__).resolve().parents[1]


def test_every_subpackage_is_installed():
    settings = tomllib.loads((REPOSITORY / "pyproject.toml").read_text())
    listed = set(settings["tool"]["setuptools"]["packages"])
    found = {
        ".".join(init.parent.relative_to(REPOSITORY).parts)
        for init in (REPOSITORY / "rnnzoo").rglob("__init__.py")
    }
    assert found <= listed, f"not installed: {sorted(found - listed)}"
    assert "rnnzoo.zoo_configs" in listed
