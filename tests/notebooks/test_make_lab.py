"""`make lab` installs what the lab needs and nothing more (the first run is what a newcomer waits for)."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest
from nbtest_support import REPO_ROOT


def dry_run(target: str, tmp_path) -> str:
    """The commands `make TARGET` would run on a fresh clone (no venv yet), without running them."""
    if shutil.which("make") is None:
        pytest.fail("make is missing (apt-get install make)", pytrace=False)
    done = subprocess.run(
        ["make", "-n", "-C", str(REPO_ROOT), target, f"VENV={tmp_path / 'venv'}"],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout


def test_make_lab_installs_the_lab_extra_only(tmp_path):
    commands = dry_run("lab", tmp_path)
    assert "-e '.[lab]'" in commands
    assert "[test]" not in commands  # no pytest, hypothesis, playwright, mypy on the way to the lab
    assert "jupyter lab" in commands


def test_make_test_installs_everything(tmp_path):
    assert "-e '.[test]'" in dry_run("setup", tmp_path)


def extra(name: str) -> str:
    """The requirement lines of one optional-dependencies list in pyproject.toml."""
    text = (REPO_ROOT / "pyproject.toml").read_text()
    found = re.search(rf"^{name} = \[(.*?)^\]", text, re.M | re.S)
    assert found, f"no [{name}] extra in pyproject.toml"
    return found.group(1)


def test_the_lab_extra_has_no_test_tool():
    lab = extra("lab")
    assert "jupyterlab" in lab
    for tool in ("pytest", "hypothesis", "playwright", "nbval", "ruff", "mypy", "responses"):
        assert tool not in lab
    assert "clc_notebook[lab]" in extra("test")  # the test environment is a superset of the lab's
