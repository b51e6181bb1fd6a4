"""The README's promises that belong to the notebooks part: a two-command Quickstart, working links."""
from __future__ import annotations

import re

from nbtest_support import NOTEBOOKS, REPO_ROOT

README = (REPO_ROOT / "README.md").read_text()


def test_quickstart_is_exactly_make_lab_and_make_test():
    section = README.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```\n(.*?)```", section, re.S).group(1)
    assert block.split("\n")[:-1] == ["make lab", "make test"]


def test_readme_links_every_notebook_and_only_existing_ones():
    linked = set(re.findall(r"\((notebooks/[^)]+\.ipynb)\)", README))
    on_disk = {f"notebooks/{p.name}" for p in NOTEBOOKS.glob("*.ipynb")}
    assert linked == on_disk
