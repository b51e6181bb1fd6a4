"""The repository stands alone: every link in its docs and notebooks points at a file inside it."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from nbtest_support import REPO_ROOT

LINK = re.compile(r"\]\(([^)\s]+)\)")  # markdown [text](target)
SKIPPED_DIRS = {".git", ".venv", "test-artifacts", "node_modules", ".pytest_cache"}


def documents() -> list[Path]:
    found = []
    for path in sorted(REPO_ROOT.rglob("*")):
        if path.suffix in (".md", ".ipynb") and not SKIPPED_DIRS & set(path.relative_to(REPO_ROOT).parts):
            found.append(path)
    return found


def markdown_of(path: Path) -> str:
    if path.suffix == ".md":
        return path.read_text()
    cells = json.loads(path.read_text())["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")


@pytest.mark.parametrize("path", documents(), ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_every_relative_link_stays_inside_the_repository_and_exists(path):
    text = markdown_of(path)
    for target in LINK.findall(text):
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue  # a web address or an anchor on the same page
        resolved = (path.parent / target.split("#", 1)[0]).resolve()
        assert resolved.is_relative_to(REPO_ROOT), f"{path.name}: {target} leaves the repository"
        assert resolved.exists(), f"{path.name}: {target} does not exist"
    assert "clc-api-v2.md" not in text and "../shared" not in text, f"{path.name} refers to a file outside the repository"


def test_the_api_notes_cover_what_the_client_calls():
    notes = (REPO_ROOT / "docs" / "api.md").read_text()
    for call in (
        "POST /v2/authentication/login",
        "GET /v2/datacenters/{alias}",
        "deploymentCapabilities",
        "GET /v2/groups/{alias}/{id}",
        "POST /v2/servers/{alias}",
        "PATCH /v2/servers/{alias}/{id}",
        "POST /v2/operations/{alias}/servers/{operation}",
        "GET /v2/operations/{alias}/status/{id}",
        "GET /v2/accounts/{alias}/customFields",
        "GET /v2-experimental/networks/{alias}/{dc}",
        "POST .../{dc}/claim",
        "GET /v2-experimental/operations/{alias}/status/{operationId}",
        "POST /v2/servers/{alias}/{id}/networks",
        "/v2/antiAffinityPolicies/{alias}",
        "/v2/alertPolicies/{alias}",
        "POST /v2/servers/{alias}/{id}/alertPolicies",
    ):
        assert call in notes, call
