"""Fixtures for the notebook tests.

nbval itself (the stored-output comparison of every notebook) is configured in pyproject.toml;
the tests here cover what nbval cannot: the runbook's exit status under papermill, and Binder's files.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nbtest_support import embedded_sandbox_env


@pytest.fixture
def run_papermill(tmp_path):
    """Run a notebook with papermill in a subprocess (as a scheduler would) and return the finished process.

    Call it as ``run_papermill(notebook, {"name": value, ...})``; the executed copy is written to
    ``tmp_path / "out.ipynb"`` and the kernel's working directory is ``tmp_path``.
    """

    def run(notebook: Path, parameters: dict, *, timeout: float = 240) -> subprocess.CompletedProcess:
        out = tmp_path / "out.ipynb"
        cmd = [sys.executable, "-m", "papermill", str(notebook), str(out),
               "--cwd", str(tmp_path), "--no-progress-bar", "--log-level", "WARNING"]
        for name, value in parameters.items():
            # -y takes YAML, so booleans, numbers, dicts and strings keep their types.
            cmd += ["-y", _yaml_line(name, value)]
        return subprocess.run(cmd, env=embedded_sandbox_env(), capture_output=True, text=True,
                              timeout=timeout, cwd=tmp_path)

    return run


def _yaml_line(name: str, value) -> str:
    # JSON is valid YAML flow syntax, and unambiguous for strings such as "on" or "no".
    return f"{name}: {json.dumps(value)}"
