"""One way to wait: the deadline that holds through slow and failing status reads, the one polling
loop (shared status ids, `resumed`), the one retry rule and its exact attempt counts.

Timing assertions are one-sided and generous against the injected delays (a read that takes 8 s, a
retry budget worth 5 s and more): a wait that ignored its deadline would blow the bound by seconds,
whatever the machine's load. Where possible the number of attempts is counted instead.
"""

from __future__ import annotations

import time

import pytest
import responses

import clc_notebook as clc
from clc_notebook.config import Settings
from clc_notebook.jobs import Schedule, wait_for
from clc_notebook.transport import RETRY_AFTER_CAP, retry_delay, should_retry

SLOW_MS = 8000  # one status read takes this long: far beyond every deadline below


def _create(s, group, name="web"):
    return s.create_server(name=name, group_id=group, template="RHEL-6-64-TEMPLATE", cpu=1, memory_gb=1)


def _status_rows(s, job_id):
    return [row for row in s.history.to_dict("records") if row["path"].endswith(f"/status/{job_id}")]


# -- the deadline --------------------------------------------------------------------------------


def test_deadline_holds_while_status_reads_are_slow_and_the_job_stays_waitable(s, default_group, control):
    job = _create(s, default_group)
    control("PUT", "faults", {"latency_ms": SLOW_MS})
    started = time.monotonic()
    with pytest.raises(clc.JobTimeoutError) as info:
        job.wait(timeout=0.5, poll=0.01)
    took = time.monotonic() - started
    assert 0.45 <= took < 4.0, f"the wait took {took:.2f} s for a 0.5 s deadline (a read takes {SLOW_MS} ms)"
    err = info.value
    assert err.jobs == [job] and "after 0.5 s" in str(err) and "cut short" in str(err)
    assert isinstance(err.__cause__, clc.ClcTimeoutError) and "cut to the deadline" in str(err.__cause__)
    # the read was cut to the time left, and no retry was started past the deadline
    assert [row["attempt"] for row in _status_rows(s, job.id)] == [1]
    control("PUT", "faults", {})
    assert job.wait(timeout=30, poll=0.01).succeeded


def test_deadline_holds_while_status_reads_fail(sb, default_group, control, fast):
    # a budget of 40 retries, each after at least 0.1 s: 4 s and more without the deadline
    options = dict(fast, retries=40, backoff=0.2, backoff_max=0.2)
    with clc.connect(sandbox=sb, **options) as s:
        job = _create(s, default_group)
        # 500: the sandbox sends no Retry-After with it, so the client's own back-off applies
        control("PUT", "faults", {"errors": [{"rate": 1.0, "status": 500, "methods": ["GET"], "path": "/status/"}]})
        started = time.monotonic()
        with pytest.raises(clc.JobTimeoutError) as info:
            job.wait(timeout=1.0, poll=0.01)
        took = time.monotonic() - started
        rows = _status_rows(s, job.id)
    assert took >= 0.95, f"gave up at {took:.2f} s, before the 1 s deadline"
    assert took < 3.0, f"the wait took {took:.2f} s for a 1 s deadline"
    assert isinstance(info.value.__cause__, clc.ServerError) and info.value.__cause__.status == 500
    # one call, its attempts numbered exactly; no more than fit in 1 s with pauses of >= 0.1 s
    assert [row["attempt"] for row in rows] == list(range(1, len(rows) + 1))
    assert 2 <= len(rows) <= 11 and {row["status"] for row in rows} == {500}
    assert job.last_status is None and not job.done  # a failed read is never taken for a status


def test_a_status_read_that_keeps_failing_is_tried_exactly_retries_plus_one_times(s, default_group, control):
    job = _create(s, default_group)
    control("PUT", "faults", {"errors": [{"rate": 1.0, "status": 500, "methods": ["GET"], "path": "/status/"}]})
    with pytest.raises(clc.ServerError):
        job.wait(timeout=30, poll=0.01)
    assert [row["attempt"] for row in _status_rows(s, job.id)] == list(range(1, s.settings.retries + 2))


def test_a_jobset_deadline_bounds_the_whole_wait_and_every_job_stays_waitable(s, default_group, control):
    control("PUT", "clock", {"mode": "polls", "polls_per_step": 10**6})
    jobs = clc.JobSet([_create(s, default_group, f"d{i}") for i in range(3)])
    with pytest.raises(clc.JobTimeoutError) as info:
        jobs.wait(timeout=0.3, poll=0.02)
    assert set(info.value.jobs) == set(jobs) and jobs.report.rounds >= 1
    control("PUT", "clock", {"mode": "polls", "polls_per_step": 1})
    assert jobs.wait(timeout=30, poll=0.01).succeeded


# -- the one loop -------------------------------------------------------------------------------


def test_jobs_sharing_one_status_id_are_read_once_per_round(s, built):
    """A batch operation may answer one status id for all its servers: one read per round serves
    every job of that id, matched by id (the sandbox gives one id per server, so the shared id is
    made here from a real one)."""
    shared = s.reboot(built.id)[0].id
    jobs = clc.JobSet([clc.Job(s, shared, kind="reboot", server_id=sid) for sid in ("wa1aliasa01", "wa1aliasb01")])
    seen = []
    jobs.wait(timeout=30, poll=0.01, progress=lambda job, status, elapsed: seen.append((job.server_id, status)))
    reads = _status_rows(s, shared)
    assert len(reads) == jobs.report.reads == jobs.report.rounds == 3  # notStarted, executing, succeeded
    assert seen == [
        (sid, st) for st in ("notStarted", "executing", "succeeded") for sid in ("wa1aliasa01", "wa1aliasb01")
    ]
    assert jobs.succeeded and all(job.last_status == "succeeded" for job in jobs)


@pytest.fixture
def offline(fast):
    with clc.connect("http://127.0.0.1:9", token="tok-offline-123", alias="ALIAS", location="WA1", **fast) as session:
        yield session


@responses.activate
def test_resumed_counts_as_still_running(offline):
    """Production jobs may go executing -> resumed -> executing before they end (the sandbox does not)."""
    url = "http://127.0.0.1:9/v2/operations/ALIAS/status/wa1-7"
    for status in ("executing", "resumed", "executing", "succeeded"):
        responses.get(url, json={"status": status})
    seen = []
    offline.job("wa1-7").wait(timeout=30, poll=0.01, progress=lambda job, status, elapsed: seen.append(status))
    assert seen == ["executing", "resumed", "executing", "succeeded"]


def test_the_loop_stops_between_reads_when_asked(s, default_group, control):
    import threading

    control("PUT", "clock", {"mode": "polls", "polls_per_step": 10**6})
    job = _create(s, default_group)
    stop = threading.Event()
    report = wait_for([job], schedule=Schedule(0.01), progress=lambda *_: stop.set(), stop=stop)
    assert report.stopped and report.reads == 1 and not job.done


def test_one_back_off_rule_for_the_rounds():
    rule = Schedule.of(Settings())
    intervals = [rule.first]
    for _ in range(5):
        intervals.append(rule.after(intervals[-1]))
    assert intervals == [1.0, 2.0, 4.0, 5.0, 5.0, 5.0]  # the defaults: 1 s, x2, up to 5 s
    assert Schedule.of(Settings(), poll=0.3).after(0.3) == 0.3  # poll= fixes it
    assert Schedule.of(Settings(), ceiling=2.0).after(4.0) == 2.0  # a display caps it lower


# -- the one retry rule -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "method, repeatable, status, sent, extra, expected",
    [
        ("GET", False, 503, None, (), True),
        ("GET", False, 500, None, (), False),  # a 500 may be deterministic ...
        ("GET", False, 500, None, (500,), True),  # ... unless the caller says a retry is worth it
        ("GET", False, None, None, (), True),  # a lost answer to a safe call
        ("POST", False, 503, None, (), True),  # declined: certainly not processed
        ("POST", False, 429, None, (), True),
        ("POST", False, 502, None, (), False),  # may have been processed
        ("POST", False, None, None, (), False),  # a lost answer: reconciled, never re-sent blindly
        ("POST", False, None, False, (), True),  # never left the machine
        ("PATCH", True, 502, None, (), True),  # repeatable
        ("PATCH", True, None, None, (), True),
        ("DELETE", False, 404, None, (404,), False),  # extra statuses only for idempotent calls
    ],
)
def test_retry_rule(method, repeatable, status, sent, extra, expected):
    assert should_retry(method, repeatable=repeatable, status=status, sent=sent, also_retry=extra) is expected


def test_retry_delay_backs_off_with_jitter_and_honours_retry_after():
    settings = Settings(backoff=0.2, backoff_max=1.0)
    for attempt, full in [(1, 0.2), (2, 0.4), (3, 0.8), (4, 1.0), (9, 1.0)]:
        delays = [retry_delay(attempt, settings) for _ in range(50)]
        assert all(full / 2 <= d <= full for d in delays), (attempt, min(delays), max(delays))
    assert retry_delay(1, settings, "3") == 3.0
    assert retry_delay(1, settings, "86400") == RETRY_AFTER_CAP
    assert 0.1 <= retry_delay(1, settings, "Wed, 21 Oct 2015 07:28:00 GMT") <= 0.2  # a date keeps the back-off


def test_a_refused_connection_is_recorded_once_per_attempt(fast):
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"  # closed before use: refused
    s = clc.connect(url=url, token="t" * 40, alias="ALIAS", location="WA1", **dict(fast, retries=3))
    with pytest.raises(clc.TransportError) as info:
        s.datacenters()
    assert info.value.sent is False
    assert list(s.history["attempt"]) == [1, 2, 3, 4] and s.transport.calls == 4
