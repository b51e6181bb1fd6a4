"""pytest runs these notebooks with nbval: each one in a fresh kernel, its stored outputs compared.

Collection is switched on here rather than with a global ``--nbval``, so that only the notebooks of
this folder are compared (a notebook elsewhere, e.g. a browser-test fixture, is just a data file).
The nbval options themselves (kernel of this interpreter, sanitize file, cell timeout) are in
pyproject.toml.

The stored outputs were made against the embedded sandbox. A CLC_V2_API_URL (or another CLC_*
setting) exported in the shell would send the notebooks to that endpoint and every comparison
would fail, so the kernels nbval starts get an environment without them.

While nbval runs them, every cell's outputs are also searched for secrets: each kernel records the
bearer tokens its client sends or receives (a start-up script, tests/reliability/secrets_spy.py), and a
cell whose outputs hold one of them, the demo password or a token-shaped text fails. This is the
secrets test of the notebooks as they run, riding on nbval's run instead of running them again.
"""

import os
import sys
import tempfile
from pathlib import Path

import pytest
from nbval.plugin import IPyNbCell, IPyNbFile

from clc_notebook.config import ENV_NAMES as CLC_SETTINGS

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # also when run without tests/
from reliability.secrets_spy import assert_outputs_clean, kernel_spy  # noqa: E402

_spy_file: Path | None = None
_spy_env: dict[str, str] = {}  # set only while nbval starts a notebook's kernel (not for Voila's, etc.)
_tokens_before: dict[str, int] = {}  # notebook -> size of the spy file when its first cell ran
_last_cells: set[str] = set()


def pytest_collect_file(file_path, parent):
    options = parent.config.option
    if file_path.suffix != ".ipynb" or options.nbval or options.nbval_lax:
        return None  # not a notebook, or nbval was asked for explicitly and collects it itself
    sanitize = options.nbval_sanitize_with
    if sanitize and not os.path.isabs(sanitize) and not os.path.exists(sanitize):
        # pyproject.toml names it from the repository root; pytest may run from elsewhere
        options.nbval_sanitize_with = str(parent.config.rootpath / sanitize)
    return IPyNbFile.from_parent(parent, path=file_path)


def pytest_collectstart(collector):
    # Kernels start when a notebook's cells are set up, after its collection: clearing here is in time.
    global _spy_file
    if isinstance(collector, IPyNbFile):
        for name in CLC_SETTINGS:
            os.environ.pop(name, None)
        if _spy_file is None:
            _spy_file, spy_env = kernel_spy(Path(tempfile.mkdtemp(prefix="clc-notebook-spy-")))
            _spy_env.update(spy_env)


def pytest_collection_modifyitems(items):
    cells = [item for item in items if isinstance(item, IPyNbCell)]
    _last_cells.update(
        cell.nodeid for n, cell in enumerate(cells) if n + 1 == len(cells) or cells[n + 1].parent is not cell.parent
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_setup(item):
    # nbval starts a notebook's kernel in the setup of its first cell: only that kernel gets the spy
    if not isinstance(item, IPyNbCell):
        return (yield)
    saved = {name: os.environ.get(name) for name in _spy_env}
    os.environ.update(_spy_env)
    try:
        return (yield)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    spied = isinstance(item, IPyNbCell) and _spy_file is not None
    if spied:
        _tokens_before.setdefault(item.parent.nodeid, _spy_file.stat().st_size)
    result = yield
    if spied:
        notebook = item.parent.nodeid
        tokens = set(_spy_file.read_text().split())
        assert_outputs_clean(item.test_outputs or [], tokens, f"an output of {item.name} of {notebook} (run now)")
        if item.nodeid in _last_cells:
            assert _spy_file.stat().st_size > _tokens_before[notebook], (
                f"{notebook} ran, but its kernel's client used no token: is the spy running?"
            )
    return result
