"""JobProgress and JobBoard on real jobs; the polling thread's handling of trouble."""

from __future__ import annotations

import time

import pytest
from widget_helpers import POLL, WAIT, Recorder, default_group_id, distinct, make_servers, set_clock

from clc_notebook import JobTimeoutError
from clc_notebook.widgets import JobBoard, JobProgress, JobWatch


def build_job(session, name="row"):
    return session.create_server(
        name=name, group_id=default_group_id(session), template="RHEL-6-64-TEMPLATE", cpu=1, memory_gb=1
    )


def test_job_progress_polls_its_own_job_to_the_end(session, thread_errors):
    row = JobProgress(build_job(session), poll=POLL)

    watch = row.wait(WAIT)

    assert isinstance(watch, JobWatch) and watch.succeeded
    assert row.bar.value == row.bar.max and row.bar.bar_style == "success"
    assert row.status_text.value == "succeeded" and row.status == "succeeded"
    assert row.elapsed_text.value.endswith(" s")
    assert row.job.succeeded  # the client's Job saw the same thing
    assert not thread_errors


def test_job_board_shows_a_row_per_job_and_the_refusals(session):
    ids = make_servers(session, ["a", "b"])
    jobs = session.power_off([ids[0]])
    jobs.wait(timeout=WAIT, poll=0.01)
    # a is stopped, b is started: powering both on is refused for b only.
    jobset = session.power_on(ids)

    board = JobBoard(jobset, poll=POLL, title="power on")
    watch = board.wait(WAIT)

    assert [row.state for row in board.rows] == ["succeeded"]
    assert watch.not_queued and watch.not_queued[0]["server"] == ids[1]
    assert "desired state" in board.refusals.value and ids[1] in board.refusals.value
    assert board.summary.value == "1 of 1 done (1 succeeded, 1 not queued)"
    assert not watch.succeeded  # a refusal is not a success


def test_summary_counts_jobs_as_they_finish(session):
    jobs = [build_job(session, f"s{i}") for i in range(3)]
    board = JobBoard(jobs, poll=POLL, start=False)
    summary = Recorder(board.summary, "value")

    board.start().wait(WAIT)

    seen = distinct(summary.values)
    assert seen[0] == "0 of 3 done" and seen[-1] == "3 of 3 done (3 succeeded)"
    assert all(text.split(" of ")[0].isdigit() for text in seen)


class BrokenJob:
    """A job whose status read raises something that is not a ClcError (the sandbox cannot do this)."""

    name = "broken"
    kind = "reboot"
    done = False
    elapsed = 0.0

    def status(self, *, deadline=None):
        raise RuntimeError("status endpoint exploded")


def test_a_status_that_cannot_be_read_ends_as_unknown_without_a_traceback(capfd, thread_errors):
    capfd.readouterr()
    row = JobProgress(BrokenJob(), poll=0.001)

    watch = row.wait(WAIT)

    assert row.state == "unknown" and row.bar.bar_style == "warning"
    assert "status endpoint exploded" in row.status_text.value
    assert watch.failed_jobs == [row.job] and watch.failed and not watch.succeeded
    assert capfd.readouterr() == ("", "")
    assert not thread_errors


def test_wait_raises_timeout_while_jobs_still_run(session, sandbox):
    set_clock(sandbox, mode="time", speed=0.001)  # a build would now take well over an hour
    try:
        board = JobBoard([build_job(session, "slow")], poll=POLL)
        with pytest.raises(JobTimeoutError, match="still running"):
            board.wait(0.3)
        assert not board.watch.done and board.rows[0].state == "running"
        board.watch.stop()
        board.watch.wait(WAIT)  # stopping ends the watch promptly
    finally:
        set_clock(sandbox, mode="polls", speed=1.0, polls_per_step=1)


def test_repr_is_short_and_stable(session):
    row = JobProgress(build_job(session, "rep"), poll=POLL)
    row.wait(WAIT)
    assert repr(row).startswith("JobProgress('create rep': succeeded,")
    assert repr(row.watch) == "<JobWatch 1 job(s): 1 succeeded>"


def test_closing_a_board_stops_its_polling(session, sandbox, thread_errors):
    set_clock(sandbox, mode="time", speed=0.001)
    try:
        board = JobBoard([build_job(session, "shut")], poll=POLL)
        board.close()
        board.watch.wait(WAIT)  # the thread ends although the job is still running
        assert board.watch.done and board.rows[0].state == "running"
    finally:
        set_clock(sandbox, mode="polls", speed=1.0, polls_per_step=1)
    assert not thread_errors


@pytest.mark.parametrize(
    "options, message",
    [({"poll": 0}, "poll must be"), ({"poll": -1}, "poll must be"), ({"timeout": 0}, "timeout must be")],
)
def test_bad_poll_or_timeout_is_a_clear_error(options, message):
    with pytest.raises(ValueError, match=message):
        JobBoard([BrokenJob()], **options)


def _status_reads(session) -> int:
    return sum("/status/" in path for path in session.history["path"])


def test_the_board_runs_the_clients_one_loop(session):
    jobs = [build_job(session, f"l{i}") for i in range(3)]
    before = _status_reads(session)
    board = JobBoard(jobs, poll=POLL)
    board.wait(WAIT)
    # one read per job per round (polls mode: notStarted, executing, succeeded), as JobSet.wait reads
    assert board.watch.report.rounds == 3 and board.watch.report.reads == 9
    assert _status_reads(session) - before == 9
    assert [row.state for row in board.rows] == ["succeeded"] * 3


def test_a_board_deadline_holds_while_status_reads_are_slow(session, sandbox, thread_errors):
    job = build_job(session, "slow")
    sandbox.set_faults({"latency_ms": 8000})  # one status read now takes 8 s
    try:
        started = time.monotonic()
        board = JobBoard([job], poll=POLL, timeout=0.5)
        with pytest.raises(JobTimeoutError) as info:  # the caller's own, shorter wait: same error type
            board.wait(0.05)
        assert info.value.jobs == [job] and isinstance(info.value, TimeoutError)
        board.wait(WAIT)  # the polling thread ends at its 0.5 s deadline, not after the slow read
        took = time.monotonic() - started
    finally:
        sandbox.set_faults({})
    assert took < 4.0, f"the board's 0.5 s deadline took {took:.2f} s"
    row = board.rows[0]
    assert row.state == "unknown" and "after 0.5 s; stopped watching" in row.status_text.value
    assert not thread_errors
    assert job.wait(timeout=WAIT, poll=0.01).succeeded  # the job itself is still waitable


def test_a_row_whose_status_cannot_be_read_ends_alone(session, sandbox, thread_errors):
    broken, fine = build_job(session, "nope"), build_job(session, "fine")
    sandbox.set_faults({"errors": [{"rate": 1.0, "status": 500, "methods": ["GET"], "path": f"/status/{broken.id}$"}]})
    try:
        board = JobBoard([broken, fine], poll=POLL)
        board.wait(WAIT)
    finally:
        sandbox.set_faults({})
    assert [row.state for row in board.rows] == ["unknown", "succeeded"]
    assert "status unknown" in board.rows[0].status_text.value and "500" in board.rows[0].status_text.value
    assert board.summary.value == "2 of 2 done (1 succeeded, 1 unknown)"
    assert not thread_errors


def test_a_board_on_jobs_that_already_ended_shows_them_without_reading(session):
    jobs = session.power_off(make_servers(session, ["e"]))
    jobs.wait(timeout=WAIT, poll=0.01)
    before = _status_reads(session)
    board = JobBoard(jobs, poll=POLL)
    board.wait(WAIT)
    assert [row.state for row in board.rows] == ["succeeded"] and board.rows[0].bar.value == board.rows[0].bar.max
    assert _status_reads(session) == before
