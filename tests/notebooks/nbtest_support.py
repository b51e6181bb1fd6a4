"""Paths and environment shared by the notebook tests (a module with a unique name, so that the
test files can import it whatever other conftest.py files are loaded)."""
from __future__ import annotations

import os
from pathlib import Path

from clc_notebook.config import ENV_NAMES

REPO_ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = REPO_ROOT / "notebooks"
RUNBOOK = NOTEBOOKS / "04-runbook-reboot-group.ipynb"

# The settings a notebook reads to leave the embedded sandbox (docs/DESIGN.md, "Environment").
CLC_SETTINGS = ENV_NAMES


def embedded_sandbox_env() -> dict[str, str]:
    """The current environment without CLC_* settings, so a notebook run uses the embedded sandbox."""
    return {k: v for k, v in os.environ.items() if k not in CLC_SETTINGS}
