"""A sandbox whose clock starts at a given moment (`Sandbox(clock_start=...)`, `--clock-start`), and
`Sandbox.set_clock(advance=...)`: what makes statistics and costs the same on every run of a notebook.

The clock keeps running after its start, so "now" is checked within an hour of the expected moment:
these tests never depend on how fast the machine is."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sandbox_api import ALIAS, DEFAULT_GROUP, Api

from clc_notebook.sandbox import Sandbox
from clc_notebook.sandbox.__main__ import main

START = "2024-06-10T08:00:00Z"
T0 = datetime(2024, 6, 10, 8, tzinfo=timezone.utc).timestamp()
HOUR, DAY = 3600.0, 86400.0


def _epoch(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc).timestamp()


def _now(api: Api) -> float:
    """The sandbox's "now", as its billing answer dates it."""
    return _epoch(api.ok_json("GET", f"/v2/groups/{ALIAS}/{DEFAULT_GROUP}/billing")["date"])


def test_the_account_starts_at_the_clock_start_and_time_runs_from_there(new_sandbox):
    sb = new_sandbox(clock_start=START)
    api = Api(sb)
    created = _epoch(api.ok_json("GET", f"/v2/groups/{ALIAS}/{DEFAULT_GROUP}")["changeInfo"]["createdDate"])
    assert T0 <= created < T0 + HOUR
    assert T0 <= _now(api) < T0 + HOUR


@pytest.mark.parametrize("start", ["2024-06-10T08:00:00", "2024-06-10T10:00:00+02:00", datetime(2024, 6, 10, 8)])
def test_a_start_without_offset_is_utc_and_an_offset_is_honoured(new_sandbox, start):
    assert T0 <= _now(Api(new_sandbox(clock_start=start))) < T0 + HOUR


@pytest.mark.parametrize("start", ["2024-13-01", "yesterday", "0204-06-10T08:00:00Z", "2100-01-01T00:00:00Z", 5, ""])
def test_a_bad_clock_start_is_refused_naming_the_option(start):
    with pytest.raises(ValueError, match=r"^clock_start: .*2000 and 2099"):
        Sandbox(clock_start=start)


def test_set_clock_advance_moves_now_forward_as_the_control_plane_does(new_sandbox):
    sb = new_sandbox(clock_start=START)
    api = Api(sb)
    assert sb.set_clock(advance=DAY) == {"mode": "polls", "speed": 1.0, "polls_per_step": 1, "resumed_rate": None}
    assert T0 + DAY <= _now(api) < T0 + DAY + HOUR
    for bad in (-1, "1", True, float("nan")):
        with pytest.raises(ValueError, match="^advance: "):
            sb.set_clock(advance=bad)
    assert T0 + DAY <= _now(api) < T0 + DAY + HOUR  # a refused advance moved nothing


def test_a_restart_on_the_same_state_keeps_its_clock_whatever_clock_start_says(tmp_path):
    state = str(tmp_path / "clock.sqlite")
    with Sandbox(mode="polls", state=state, clock_start=START) as sb:
        pass
    with Sandbox(mode="polls", state=state) as sb:  # the start is kept in the state, advanced or not
        assert T0 <= _now(Api(sb)) < T0 + HOUR
        sb.set_clock(advance=DAY)
    # as with the account's sizes, a start applies to a new state only
    with Sandbox(mode="polls", state=state, clock_start="2030-01-01T00:00:00Z") as sb:
        assert T0 + DAY <= _now(Api(sb)) < T0 + DAY + HOUR
    with Sandbox(mode="polls", state=state) as sb:
        assert T0 + DAY <= _now(Api(sb)) < T0 + DAY + HOUR


def test_cli_clock_start_reaches_the_sandbox_and_a_bad_one_is_refused(capsys):
    assert main(["--port", "0", "--clock-start", "someday"]) == 2
    err = capsys.readouterr().err
    assert "clock_start: " in err and "Traceback" not in err


def test_month_to_date_counts_the_hours_the_server_existed_this_month(new_sandbox):
    """A server built two days ago has cost two days, not the ten days the month has run."""
    sb = new_sandbox(clock_start=START)  # 10 June: 224 hours into the month
    api = Api(sb)
    server = api.create_server()
    sb.set_clock(advance=2 * DAY)
    costs = api.ok_json("GET", f"/v2/groups/{ALIAS}/{DEFAULT_GROUP}/billing")["groups"][DEFAULT_GROUP]["servers"]
    hourly, to_date = costs[server["id"]]["currentHour"], costs[server["id"]]["monthToDate"]
    assert hourly * 48 - 0.01 <= to_date <= hourly * 49 + 0.01, (hourly, to_date)
