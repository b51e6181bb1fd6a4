"""What a reader meets first when a notebook is opened, before anything has run."""

from __future__ import annotations

import json

from nbtest_support import NOTEBOOKS


def cells(name: str) -> list[dict]:
    return json.loads((NOTEBOOKS / name).read_text())["cells"]


def source(cell: dict) -> str:
    return "".join(cell["source"])


def test_notebook_01_reaches_step_1_before_any_long_code():
    notebook = cells("01-create-and-configure-a-server.ipynb")
    step_1 = next(i for i, c in enumerate(notebook) if source(c).startswith("## 1. "))
    assert step_1 <= 2, "the introduction and the connect cell come first, then step 1"
    for cell in notebook[:step_1]:
        if cell["cell_type"] == "code":
            assert len(source(cell).splitlines()) <= 10, "a long helper before step 1 belongs in a module"
    assert (NOTEBOOKS / "plain_http.py").exists()  # the HTTP helper the steps use, next to the notebook


def test_notebook_02_says_to_run_the_cells_before_its_first_widget():
    notebook = cells("02-build-servers-with-widgets.ipynb")
    first_widget = next(i for i, c in enumerate(notebook) if "LoginForm(" in source(c) and c["cell_type"] == "code")
    before = " ".join(source(c) for c in notebook[:first_widget] if c["cell_type"] == "markdown")
    assert "Run the cells" in before and "LoginForm(not connected)" in before
