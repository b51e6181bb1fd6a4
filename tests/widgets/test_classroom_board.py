"""ClassroomBoard headless: real ipywidgets, a real classroom sandbox over loopback HTTP, the instructor's
session. The grid shows each trainee's steps, who is stuck and on what; the background thread picks up
what trainees do without any call; a trainee's session sees the refusal on the board, nothing raised."""

from __future__ import annotations

import html
import re
import time

import pytest
from widget_helpers import WAIT

import clc_notebook as clc
from clc_notebook.widgets import ClassroomBoard


@pytest.fixture
def instructor(classroom):
    row = classroom.instructor
    s = clc.connect(url=classroom.url, username=row["username"], password=row["password"], quiet=True)
    yield s
    s.close()


def until(condition, timeout: float = WAIT) -> None:
    """Wait for a condition another thread makes true (a ceiling, never a measured time)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.02)


def text(widget) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", widget.value))


def test_the_grid_shows_each_trainees_steps_and_who_is_stuck(classroom, instructor, thread_errors):
    first, second, third = classroom.trainees
    api = classroom.api(first)  # login
    api.get(f"/v2/datacenters/{api.alias}/WA1/deploymentCapabilities")  # capabilities
    stuck = classroom.api(second)
    assert stuck.post(f"/v2/servers/{stuck.alias}", json={"name": "much-too-long"}).status_code == 400
    board = ClassroomBoard(instructor, start=False)
    assert board.error is None and not board.running
    table = board.table
    assert list(table.index) == [t["username"] for t in classroom.trainees]
    assert table.loc[first["username"], ["login", "capabilities", "datacenter"]].tolist() == [True, True, False]
    assert table.loc[first["username"], "current"] == "datacenter" and not table.loc[first["username"], "stuck"]
    assert table.loc[third["username"], "done"] == 0
    assert board.stuck == [second["username"]]
    assert "body.name" in table.loc[second["username"], "last_error"]
    grid = text(board.grid)
    for row in classroom.trainees:
        assert row["username"] in grid and row["alias"] in grid
    for label in ("Log in", "Capabilities", "Data center", "Groups", "Create server", "Build done", "Reboot"):
        assert label in grid
    assert board.grid.value.count("&#10003;") == 3  # three steps done in the whole class (1 + 2 + 0)
    assert "3 trainees: 0 finished, 1 stuck" in text(board.summary)
    stuck_text = text(board.stuck_list)
    assert second["username"] in stuck_text and "400 POST /v2/servers/" in stuck_text and "body.name" in stuck_text
    assert "password" not in repr(board).lower() and repr(board) == "ClassroomBoard(3 trainees, 1 stuck, stopped)"
    assert not thread_errors


def test_the_background_thread_follows_the_class_until_stopped(classroom, instructor, thread_errors):
    board = ClassroomBoard(instructor, interval=0.05)
    try:
        assert board.running and board.table["done"].sum() == 0
        row = classroom.trainees[2]
        api = classroom.api(row)
        until(lambda: board.table.loc[row["username"], "login"])
        api.get(f"/v2/datacenters/{api.alias}/WA1", params={"groupLinks": "true"})
        until(lambda: board.table.loc[row["username"], "datacenter"])
        assert "&#10003;" in board.grid.value
    finally:
        board.stop()
    assert not board.running
    assert not thread_errors


def test_a_trainee_session_sees_the_refusal_on_the_board(classroom, thread_errors):
    row = classroom.trainees[0]
    with clc.connect(url=classroom.url, username=row["username"], password=row["password"], quiet=True) as s:
        board = ClassroomBoard(s, start=False)
        assert board.refresh() is None and board.data is None
        assert "403" in text(board.summary) and "instructor" in text(board.summary)
        assert board.table.empty and board.stuck == []
    assert not thread_errors


def test_a_sandbox_without_a_class_and_bad_arguments(session):
    board = ClassroomBoard(session, start=False)
    assert board.data is None and "404" in text(board.summary)
    with pytest.raises(ValueError, match="interval"):
        ClassroomBoard(session, interval=0)
    with pytest.raises(TypeError, match="ClassroomBoard needs a logged-in Session"):
        ClassroomBoard(None)
