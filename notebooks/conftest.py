"""pytest runs these notebooks with nbval: each one in a fresh kernel, its stored outputs compared.

Collection is switched on here rather than with a global ``--nbval``, so that only the notebooks of
this folder are compared (a notebook elsewhere, e.g. a browser-test fixture, is just a data file).
The nbval options themselves (kernel of this interpreter, sanitize file, cell timeout) are in
pyproject.toml.

The stored outputs were made against the embedded sandbox. A CLC_V2_API_URL (or another CLC_*
setting) exported in the shell would send the notebooks to that endpoint and every comparison
would fail, so the kernels nbval starts get an environment without them.
"""

import os

from nbval.plugin import IPyNbFile

from clc_notebook.config import ENV_NAMES as CLC_SETTINGS


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
    if isinstance(collector, IPyNbFile):
        for name in CLC_SETTINGS:
            os.environ.pop(name, None)
