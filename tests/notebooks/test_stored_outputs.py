"""What the committed notebooks may contain: outputs of one clean top-to-bottom run, and nothing
secret or specific to the machine that ran them. (nbval checks that the outputs are still right.)"""
from __future__ import annotations

import getpass
import json
import re
import socket

import nbformat
import pytest

from nbtest_support import NOTEBOOKS

NOTEBOOK_PATHS = sorted(NOTEBOOKS.glob("*.ipynb"))

# A bearer token shown whole (the notebooks show 6 characters and "…"); the sandbox's demo password.
SECRETS = [re.compile(r"Bearer [A-Za-z0-9._\-]{12,}"), re.compile(r'"bearerToken": "[^"…]{12,}"'),
           re.compile(r"mypassword")]
MACHINE = [re.compile(r"(?<![\w.])/(?:home|root|tmp|work|Users|var)/"), re.compile(r"127\.0\.0\.1:\d+"),
           re.compile(r"localhost:\d+")]


def _outputs_text(nb) -> str:
    """Every text a notebook stores as output (streams, and each MIME type of displayed data)."""
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", ""))
            parts += [v if isinstance(v, str) else json.dumps(v) for v in out.get("data", {}).values()]
    return "\n".join(parts)


def test_the_notebooks_are_the_tutorials_and_the_exercise_sheet():
    assert [p.name[:3] for p in NOTEBOOK_PATHS] == ["01-", "02-", "03-", "04-", "05-", "06-"]


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=lambda p: p.name[:2])
def test_stored_outputs_come_from_one_clean_run(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1)), "re-run it top to bottom"
    assert not [o for c in code for o in c.outputs if o.output_type == "error"]
    assert nb.metadata["kernelspec"]["name"] == "python3"
    # run-specific noise that nbconvert adds unless told not to (see README, "Tests")
    assert "widgets" not in nb.metadata, "stored widget state holds values of that run"
    assert not [c for c in code if "execution" in c.metadata], "cell timings of that run"


@pytest.mark.parametrize("path", NOTEBOOK_PATHS, ids=lambda p: p.name[:2])
def test_stored_outputs_hold_no_secret_and_nothing_of_this_machine(path):
    text = _outputs_text(nbformat.read(path, as_version=4))
    for pattern in SECRETS + MACHINE:
        assert not pattern.search(text), f"{path.name}: {pattern.pattern!r} matches {pattern.search(text).group(0)!r}"
    for word in (getpass.getuser(), socket.gethostname()):
        # short names ("root", "vm") also occur as ordinary words ("root group", "vmImport")
        if len(word) >= 5:
            assert word not in text, f"{path.name} mentions {word!r} (user or host of the machine that ran it)"
