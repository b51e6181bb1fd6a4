"""The instructor's board in a real page, as `make classroom` serves it: dashboard/classroom.py starts a
classroom sandbox (its own process, a state file) and Voila on dashboard/classroom.ipynb logged in as the
roster's instructor; trainees work over plain HTTP; Debian's Chromium sees the grid fill in, who is stuck and
on what error. A screenshot goes to test-artifacts/classroom-board.png. Every wait is on what the page shows."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import requests

LAUNCHER = Path(__file__).resolve().parents[2] / "dashboard" / "classroom.py"  # what make classroom runs
PAGE_TIMEOUT_MS = 150_000


def login(url: str, row: dict) -> requests.Session:
    http = requests.Session()
    r = http.post(f"{url}/v2/authentication/login", json={"username": row["username"], "password": row["password"]})
    http.headers["Authorization"] = f"Bearer {r.json()['bearerToken']}"
    http.alias = r.json()["accountAlias"]  # type: ignore[attr-defined]
    return http


@pytest.mark.browser
@pytest.mark.timeout(420)
def test_make_classroom_serves_a_live_board(classroom_on, browser_page, artifacts):
    url, board_url, folder = classroom_on(LAUNCHER, "--trainees", "3", "--mode", "polls", "--interval", "0.5")
    with open(folder / "roster.csv", newline="") as f:
        trainees = [row for row in csv.DictReader(f) if row["role"] == "trainee"]
    page = browser_page
    page.goto(board_url, timeout=PAGE_TIMEOUT_MS)
    page.wait_for_selector(".clc-classroom-grid", timeout=PAGE_TIMEOUT_MS)
    assert "3 trainees: 0 finished, 0 stuck" in page.inner_text(".clc-classroom-summary")
    assert "import" not in page.inner_text("body")  # Voila shows the board, not the notebook's code
    # trainee01 reads the deployment capabilities; trainee02 sends a create the API refuses
    first = login(url, trainees[0])
    first.get(f"{url}/v2/datacenters/{first.alias}/WA1/deploymentCapabilities").raise_for_status()
    second = login(url, trainees[1])
    assert second.post(f"{url}/v2/servers/{second.alias}", json={"name": "much-too-long"}).status_code == 400
    # the background reads bring both in without a reload
    page.wait_for_function(
        "() => document.querySelectorAll('.clc-classroom-grid td').length > 0"
        " && [...document.querySelectorAll('.clc-classroom-grid td')].filter(td => td.textContent === '\u2713')"
        ".length === 3",
        timeout=PAGE_TIMEOUT_MS,
    )
    page.wait_for_function(
        "() => (document.querySelector('.clc-classroom-stuck') || {}).textContent?.includes('trainee02')",
        timeout=PAGE_TIMEOUT_MS,
    )
    stuck = page.inner_text(".clc-classroom-stuck")
    assert "trainee02 at Capabilities" in stuck  # the first step not done yet
    assert "400 POST /v2/servers/T002" in stuck and "body.name" in stuck
    rows = page.locator(".clc-classroom-grid tr")
    assert rows.count() == 4  # header + 3 trainees
    assert "trainee01" in rows.nth(1).inner_text() and "trainee03" in rows.nth(3).inner_text()
    page.screenshot(path=str(artifacts / "classroom-board.png"), full_page=True)
    for row in trainees:
        assert row["password"] not in page.content()
