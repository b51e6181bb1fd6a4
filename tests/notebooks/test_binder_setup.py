"""Binder builds the repository from binder/: these files must give a working notebook environment.

The main test installs binder/requirements.txt into a throwaway venv with pip's real resolver (as
repo2docker does) and checks what JupyterLab on Binder needs: the package, the notebook tools, the
widgets' JupyterLab extension and a python3 kernel of that venv.
"""
from __future__ import annotations

import re
import shutil
import subprocess
import sys
import urllib.parse

import pytest

from nbtest_support import REPO_ROOT

BINDER = REPO_ROOT / "binder"


def _run(cmd, **kw) -> str:
    """Run a command, fail with its output if it fails, return stdout and stderr together."""
    done = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=600, **kw)
    assert done.returncode == 0, f"{cmd[:3]} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout + done.stderr


# Starts the notebooks' kernel (python3) the way JupyterLab does and asks it where it runs.
KERNEL_PROBE = """
from jupyter_client.manager import start_new_kernel
km, kc = start_new_kernel(kernel_name="python3")
try:
    kc.execute_interactive("import sys; print('kernel prefix:', sys.prefix)", timeout=60,
                            output_hook=lambda m: m["content"].get("text") and print(m["content"]["text"], end=""))
finally:
    kc.stop_channels(); km.shutdown_kernel(now=True)
"""


@pytest.fixture
def throwaway_venv(tmp_path):
    """A path for a venv that is deleted after the test (a full lab environment is a few hundred MB)."""
    venv = tmp_path / "binder-venv"
    yield venv
    shutil.rmtree(venv, ignore_errors=True)


@pytest.mark.slow
def test_binder_requirements_install_a_working_lab_environment(throwaway_venv, tmp_path):
    venv = throwaway_venv
    _run([sys.executable, "-m", "venv", venv])
    py, bindir = venv / "bin" / "python", venv / "bin"
    # repo2docker runs pip from the repository root, which is what `-e .` refers to. --no-compile: byte-
    # compiling a lab's few thousand files is most of the install's time and nothing the test checks.
    _run([py, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile",
          "-r", BINDER / "requirements.txt"], cwd=REPO_ROOT)

    imported = _run([py, "-c", "import clc_notebook, ipywidgets, voila, papermill, matplotlib, pandas;"
                     "print(clc_notebook.__file__)"])
    assert imported.strip().startswith(str(REPO_ROOT / "clc_notebook")), "-e . must install this checkout"

    extensions = _run([bindir / "jupyter", "labextension", "list"], cwd=tmp_path)
    assert "@jupyter-widgets/jupyterlab-manager" in extensions, "ipywidgets' lab extension is missing: widgets would not render"

    probe = _run([py, "-c", KERNEL_PROBE], cwd=tmp_path)
    prefix = re.search(r"kernel prefix: (\S+)", probe).group(1)
    assert prefix == str(venv), f"the notebooks' python3 kernel runs in {prefix}, not in the Binder environment"


def test_binder_runtime_matches_the_supported_pythons():
    from packaging.specifiers import SpecifierSet

    runtime = (BINDER / "runtime.txt").read_text().strip()
    match = re.fullmatch(r"python-(\d+\.\d+)", runtime)
    assert match, f"runtime.txt must read python-X.Y, got {runtime!r}"
    # (a regex, not tomllib: the project supports Python 3.10, which has no tomllib)
    requires = re.search(r'^requires-python\s*=\s*"([^"]+)"', (REPO_ROOT / "pyproject.toml").read_text(), re.M).group(1)
    assert SpecifierSet(requires).contains(match.group(1)), f"{runtime} is outside requires-python {requires}"


def test_binder_requirements_install_this_repository():
    lines = [ln.split("#")[0].strip() for ln in (BINDER / "requirements.txt").read_text().splitlines()]
    editable = [ln for ln in lines if ln.startswith("-e")]
    assert editable and re.fullmatch(r"-e \.(\[[a-z,]+\])?", editable[0]), lines


def test_readme_binder_badge_opens_notebook_01_in_jupyterlab():
    readme = (REPO_ROOT / "README.md").read_text()
    links = re.findall(r"\((https://mybinder\.org/v2/gh/[^)\s]+)\)", readme)
    assert links, "README has no Binder link"
    query = urllib.parse.parse_qs(urllib.parse.urlparse(links[0]).query)
    target = query["labpath"][0]
    assert target.startswith("notebooks/01-") and (REPO_ROOT / target).is_file(), target
    assert "badge_logo.svg" in readme
