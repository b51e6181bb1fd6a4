"""Job / JobSet: success, failure, deadline, transient 5xx on status reads, progress, refusals."""

import io
import re

import pytest

import clc_notebook as clc
from clc_notebook.jobs import TextProgress


def _create(s, group, name="web"):
    return s.create_server(name=name, group_id=group, template="RHEL-6-64-TEMPLATE", cpu=1, memory_gb=1)


def test_status_reads_move_the_job_in_polls_mode(s, default_group):
    job = _create(s, default_group)
    assert [job.status(), job.status(), job.status()] == ["notStarted", "executing", "succeeded"]
    assert job.done and job.succeeded and not job.failed and job.error is None
    calls = len(s.history)
    assert job.status() == "succeeded" and len(s.history) == calls  # no read once done
    assert job.elapsed >= 0


def test_failed_build_raises_naming_job_and_server(s, sb, default_group, control):
    control("PUT", "faults", {"job_failure_rate": 1.0})
    job = _create(s, default_group, name="doom")
    with pytest.raises(clc.JobFailedError) as info:
        job.wait(timeout=30)
    err = info.value
    assert err.job is job and job.failed
    assert job.id in str(err) and "doom" in str(err)
    assert job.error and job.id in job.error
    # a failed build leaves nothing half-made
    with pytest.raises(clc.NotFoundError):
        job.server()
    assert not s.servers(group=default_group)["name"].str.contains("DOOM").any()


def test_deadline_raises_job_timeout_listing_the_unfinished_jobs(s, sb, default_group, control):
    control("PUT", "clock", {"mode": "polls", "polls_per_step": 1000})
    jobs = clc.JobSet([_create(s, default_group, "slow1"), _create(s, default_group, "slow2")])
    with pytest.raises(clc.JobTimeoutError) as info:
        jobs.wait(timeout=0.05, poll=0.01)
    err = info.value
    assert set(err.jobs) == set(jobs) and isinstance(err, TimeoutError)
    for job in jobs:
        assert job.id in str(err) and not job.done
    assert "0.05 s" in str(err)


def test_timeout_zero_raises_at_once_without_reading_and_the_job_stays_waitable(s, sb, default_group, control):
    job = _create(s, default_group)
    before = len(s.history)
    with pytest.raises(clc.JobTimeoutError) as info:
        job.wait(timeout=0)
    assert len(s.history) == before and job.last_status is None  # no time left: nothing was sent
    assert info.value.jobs == [job]
    assert job.wait(timeout=30).succeeded


def test_transient_500_on_status_reads_is_retried_not_read_as_success(s, sb, default_group, control):
    job = _create(s, default_group)
    control(
        "PUT", "faults", {"seed": 3, "errors": [{"rate": 0.5, "status": 500, "methods": ["GET"], "path": "/status/"}]}
    )
    statuses = []
    job.wait(timeout=30, poll=0.01, progress=lambda j, st, el: statuses.append(st))
    h = s.history
    status_reads = h[h["path"].str.contains("/status/")]
    assert (status_reads["status"] == 500).any(), "the fault fired"
    assert statuses == ["notStarted", "executing", "succeeded"]
    control("PUT", "faults", {})
    assert job.server().status == "active"


def test_status_read_that_always_fails_raises_and_is_never_success(s, sb, default_group, control):
    job = _create(s, default_group)
    control("PUT", "faults", {"errors": [{"rate": 1.0, "status": 500, "methods": ["GET"], "path": "/status/"}]})
    with pytest.raises(clc.ServerError) as info:
        job.wait(timeout=30, poll=0.01)
    assert info.value.status == 500 and job.id in str(info.value)
    assert job.last_status is None and not job.done and not job.succeeded


def test_progress_true_prints_a_stable_text_bar(s, default_group, capsys):
    job = _create(s, default_group)
    job.wait(timeout=30, progress=True)
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "[....................] 0/1 create web: notStarted",
        "[##########..........] 0/1 create web: executing",
        "[####################] 1/1 create web: succeeded",
        "done: 1 succeeded, 0 failed",
    ]
    assert not any("\x1b" in line for line in out)


def test_text_progress_for_several_jobs_counts_the_whole_set():
    class FakeJob:
        def __init__(self, name):
            self.name = name

    a, b = FakeJob("a"), FakeJob("b")
    stream = io.StringIO()
    bar = TextProgress(2, stream=stream, width=4)
    for job, st in [
        (a, "notStarted"),
        (b, "notStarted"),
        (a, "executing"),
        (a, "executing"),
        (a, "succeeded"),
        (b, "failed"),
    ]:
        bar(job, st, 0.0)
    assert stream.getvalue().splitlines() == [
        "[....] 0/2 a: notStarted",
        "[....] 0/2 b: notStarted",
        "[#...] 0/2 a: executing",
        "[##..] 1/2 a: succeeded",
        "[####] 2/2 b: failed",
    ]


def test_progress_callback_gets_job_status_and_elapsed(s, default_group):
    job = _create(s, default_group)
    events = []
    job.wait(timeout=30, progress=lambda j, st, el: events.append((j, st, el)))
    assert [e[1] for e in events] == ["notStarted", "executing", "succeeded"]
    assert all(e[0] is job for e in events)
    elapsed = [e[2] for e in events]
    assert elapsed == sorted(elapsed) and all(isinstance(x, float) for x in elapsed)


def test_jobset_waits_on_many_jobs_in_one_loop(s, default_group):
    jobs = clc.JobSet([_create(s, default_group, f"m{i}") for i in range(5)])
    order = []
    jobs.wait(timeout=30, progress=lambda j, st, el: order.append((j.id, st)))
    # round-robin: every job is read once before any is read twice
    assert [st for _, st in order[:5]] == ["notStarted"] * 5
    assert [jid for jid, _ in order[:5]] == [j.id for j in jobs]
    assert jobs.done and jobs.succeeded
    assert len({j.server_id for j in jobs}) == 5
    assert all(re.fullmatch(r"wa1aliasm\d\d+", j.server_id) for j in jobs)


def test_create_job_finds_the_server_through_a_brief_404(s, sb, default_group, control):
    job = _create(s, default_group)
    job.wait(timeout=30)
    uuid = job.self_href.split("?")[0].rsplit("/", 1)[1]
    control("PUT", "faults", {"seed": 1, "errors": [{"rate": 0.6, "status": 404, "methods": ["GET"], "path": uuid}]})
    job._server = None
    server = job.server()
    h = s.history
    tries = h[h["path"].str.contains(uuid)]
    assert (tries["status"] == 404).any() and tries["status"].iloc[-1] == 200
    assert server.id == job.server_id


def test_power_refused_for_every_server_raises_operation_error(s, built):
    with pytest.raises(clc.OperationError) as info:
        s.power_on(built.id)  # it is already started
    err = info.value
    assert err.operation == "power_on"
    assert err.items and err.items[0]["server"] == built.id
    assert built.id in str(err) and err.items[0]["errorMessage"] in str(err)


def test_power_refused_for_some_servers_is_recorded_then_raised_after_wait(s, built):
    jobs = s.power_off([built.id, "wa1aliasnope01"])
    assert len(jobs) == 1 and jobs.not_queued[0]["server"] == "wa1aliasnope01"
    assert jobs.not_queued[0]["errorMessage"]
    with pytest.raises(clc.OperationError) as info:
        jobs.wait(timeout=30)
    assert "wa1aliasnope01" in str(info.value)
    assert jobs[0].succeeded  # the queued job was waited on first
    summary = jobs.summary()
    assert list(summary["status"]) == ["succeeded", "notQueued"]
    # and without raising:
    again = s.power_on([built.id, "wa1aliasnope01"]).wait(timeout=30, raise_on_failure=False)
    assert again[0].succeeded and not again.succeeded


def test_wait_rejects_bad_arguments(s, built):
    job = s.reboot(built.id)[0]
    with pytest.raises(ValueError):
        job.wait(timeout=-1)
    with pytest.raises(ValueError):
        job.wait(poll=0)
