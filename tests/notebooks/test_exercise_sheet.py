"""notebooks/06-exercises.ipynb as a trainee gets it: the blank sheet made with the command docs/classroom.md
gives (the cells tagged `solution` removed, outputs cleared) runs without an error and every check answers
with its hint; the committed copy (solutions filled in, checked by nbval) has a check after every task."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import nbformat
from nbclient import NotebookClient
from nbtest_support import CLC_SETTINGS, NOTEBOOKS

SHEET = NOTEBOOKS / "06-exercises.ipynb"
# the command of docs/classroom.md ("Hand out the exercises"), after `jupyter nbconvert`
BLANK_COMMAND = [
    "--to",
    "notebook",
    "--TagRemovePreprocessor.enabled=True",
    "--TagRemovePreprocessor.remove_cell_tags=solution",
    "--ClearOutputPreprocessor.enabled=True",
]


def test_the_command_in_the_docs_is_the_one_tested():
    docs = (NOTEBOOKS.parent / "docs" / "classroom.md").read_text()
    assert " ".join(BLANK_COMMAND) in re.sub(r"\s*\\\n\s*", " ", docs)


def test_every_task_has_its_answer_cells_and_a_check():
    nb = nbformat.read(SHEET, as_version=4)
    tasks = [c for c in nb.cells if c.cell_type == "markdown" and c.source.startswith("## Task ")]
    checks = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith("exercises.check_")]
    answers = [c for c in nb.cells if "solution" in c.metadata.get("tags", [])]
    assert len(tasks) == len(checks) == len(answers) == 7
    for check in checks:  # the committed run passed every check
        (output,) = check.outputs
        assert output["data"]["text/plain"].startswith("PASSED"), check.source


def test_the_blank_sheet_runs_and_every_check_gives_its_hint(tmp_path, monkeypatch):
    for name in CLC_SETTINGS:  # the embedded sandbox, as for nbval
        monkeypatch.delenv(name, raising=False)
    blank = tmp_path / "exercises.ipynb"
    subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", *BLANK_COMMAND, str(SHEET), "--output", str(blank)],
        check=True,
        capture_output=True,
    )
    nb = nbformat.read(blank, as_version=4)
    assert not [c for c in nb.cells if "solution" in c.metadata.get("tags", [])]
    assert not [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    NotebookClient(nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"], json.dumps(outputs)[:2000]
    checks = [c for c in nb.cells if c.cell_type == "code" and c.source.startswith("exercises.check_")]
    assert len(checks) == 7
    for check in checks:
        (output,) = check.outputs
        assert output["data"]["text/plain"].startswith("NOT YET"), (check.source, output)
        assert "Not yet" in output["data"]["text/html"]
