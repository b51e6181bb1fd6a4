"""ServerActions: operations on picked servers, refusals, confirmation of destructive actions."""

from __future__ import annotations

import pytest
from widget_helpers import POLL, WAIT, make_servers

from clc_notebook.widgets import ConfirmationRequired, ServerActions


def power_states(session) -> dict:
    servers = session.servers()
    return dict(zip(servers["id"], servers["power_state"], strict=True))


def test_reboot_from_a_dataframe_runs_a_job_per_server(session, thread_errors):
    ids = make_servers(session, ["web", "db"])
    actions = ServerActions(session, session.servers(), poll=POLL)
    assert sorted(actions.selector.value) == sorted(ids)

    watch = actions.run("reboot").wait(WAIT)

    assert watch.succeeded and len(watch.jobs) == 2
    assert watch.board.summary.value == "2 of 2 done (2 succeeded)"
    assert all(row.bar.value == row.bar.max for row in watch.board.rows)
    assert "2 job(s) queued" in actions.status.value
    assert not thread_errors


def test_a_batch_answered_with_one_status_id_still_shows_a_row_per_server(session):
    # production (and the sandbox) answer a batch with one status id for every server, in no order
    ids = make_servers(session, ["x", "y", "z"])
    actions = ServerActions(session, ids, poll=POLL)

    watch = actions.run("pause").wait(WAIT)

    assert len({job.id for job in watch.jobs}) == 1 and watch.succeeded
    rows = {row.job.server_id: row for row in watch.board.rows}
    assert sorted(rows) == sorted(ids)  # one row per server, matched by id
    assert all(ids_name in row.name_text.value for ids_name, row in rows.items())
    assert all(row.state == "succeeded" and row.bar.value == row.bar.max for row in rows.values())
    assert watch.board.summary.value == "3 of 3 done (3 succeeded)"
    reads = [r for r in session.history.to_dict("records") if r["path"].endswith(f"/status/{watch.jobs[0].id}")]
    assert len(reads) == 3  # notStarted, executing, succeeded: one read a round serves the three rows
    assert power_states(session) == {sid: "paused" for sid in ids}


def test_button_runs_the_picked_action_on_the_picked_servers(session):
    ids = make_servers(session, ["p1", "p2"])
    actions = ServerActions(session, ids, poll=POLL)
    actions.selector.value = (ids[1],)
    actions.action.value = "pause"

    actions.run_button.click()
    watch = actions.last_watch.wait(WAIT)

    assert watch.succeeded
    assert power_states(session) == {ids[0]: "started", ids[1]: "paused"}


def test_refused_servers_are_listed_with_the_api_message(session):
    ids = make_servers(session, ["on"])
    actions = ServerActions(session, ids, poll=POLL)

    watch = actions.run("power on").wait(WAIT)  # already started: refused for every server

    assert not watch.jobs and not watch.succeeded
    assert watch.not_queued[0]["server"] == ids[0]
    assert "desired state" in watch.board.refusals.value
    assert "1 refused" in actions.status.value
    assert watch.board.summary.value == "0 of 0 done (1 not queued)"


@pytest.mark.parametrize("action", ["delete", "archive", "power_off", "Shut down"])
def test_destructive_actions_from_code_need_confirm_true(session, action):
    ids = make_servers(session, ["keep"])
    actions = ServerActions(session, ids, poll=POLL)
    before = len(session.history)

    with pytest.raises(ConfirmationRequired, match="confirm=True"):
        actions.run(action)

    assert len(session.history) == before  # nothing was sent
    assert power_states(session) == {ids[0]: "started"}


def test_delete_in_the_ui_asks_first_and_cancel_sends_nothing(session):
    ids = make_servers(session, ["gone"])
    actions = ServerActions(session, ids, poll=POLL)
    actions.action.value = "delete"
    before = len(session.history)

    actions.run_button.click()
    assert actions.awaiting_confirmation and ids[0].upper() in actions.confirm_text.value
    assert "cannot be undone" in actions.confirm_text.value
    actions.cancel_button.click()
    assert not actions.awaiting_confirmation and "nothing was sent" in actions.status.value
    assert len(session.history) == before and actions.last_watch is None

    actions.run_button.click()
    actions.confirm_button.click()
    watch = actions.last_watch.wait(WAIT)

    assert watch.succeeded and not actions.awaiting_confirmation
    assert session.servers().empty


def test_confirmed_power_off_from_code(session):
    ids = make_servers(session, ["off"])
    watch = ServerActions(session, ids, poll=POLL).run("powerOff", confirm=True).wait(WAIT)
    assert watch.succeeded and power_states(session) == {ids[0]: "stopped"}


def test_unknown_action_and_empty_pick_are_clear_errors(session):
    ids = make_servers(session, ["x"])
    actions = ServerActions(session, ids, poll=POLL)
    with pytest.raises(ValueError, match="unknown action 'explode'.*reboot"):
        actions.run("explode")
    actions.selector.value = ()
    with pytest.raises(ValueError, match="no server picked"):
        actions.run("reboot")
    actions.run_button.click()  # the same from the button: a message, no exception
    assert "pick at least one server" in actions.status.value
