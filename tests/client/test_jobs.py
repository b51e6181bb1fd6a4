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


# -- batches as production answered them: one status id per request, items in no given order -------


def _servers(s, group, names):
    builds = clc.JobSet([_create(s, group, name=name) for name in names]).wait(timeout=30)
    return [job.server_id for job in builds]


def _status_reads(s, job_id):
    return [row for row in s.history.to_dict("records") if row["path"].endswith(f"/status/{job_id}")]


def test_a_batch_is_one_job_matched_to_its_servers_by_id(s, default_group):
    ids = _servers(s, default_group, ["a", "b", "c"])
    jobs = s.power_off(ids[::-1])
    # the sandbox answers as production did: one status id for the request, the items in another
    # order than the request's (tests/sandbox/test_sb_operations.py); each job is the server the
    # answer names, never the one at its position, and the JobSet lists them as they were asked for
    assert len({job.id for job in jobs}) == 1
    assert [job.server_id for job in jobs] == ids[::-1]
    assert all(job.name == f"power_off {job.server_id}" for job in jobs)
    jobs.wait(timeout=30)
    assert len(_status_reads(s, jobs[0].id)) == jobs.report.rounds == 3  # one read a round serves the three
    summary = jobs.summary()  # still one row per server
    assert sorted(summary["server_id"]) == sorted(ids) and summary["succeeded"].all()
    assert summary["id"].nunique() == 1 and len(summary) == 3
    states = s.servers().set_index("id")["power_state"]
    assert {states[sid] for sid in ids} == {"stopped"}
    # A refusal is matched by id too. The sandbox never answers two items in the request's order, so
    # pairing by position would give the job to the refused server and the refusal to the queued one.
    s.power_on(ids[0]).wait(timeout=30)
    jobs = s.power_on([ids[0], ids[1]])  # ids[0] is started already: refused; ids[1] is stopped: queued
    assert [job.server_id for job in jobs] == [ids[1]]
    assert [item["server"] for item in jobs.not_queued] == [ids[0]]
    assert "desired state" in jobs.not_queued[0]["errorMessage"]
    jobs.wait(timeout=30, raise_on_failure=False)
    summary = jobs.summary().set_index("server_id")
    assert summary.loc[ids[1], "status"] == "succeeded" and summary.loc[ids[0], "status"] == "notQueued"
    states = s.servers().set_index("id")["power_state"]
    assert (states[ids[0]], states[ids[1]], states[ids[2]]) == ("started", "started", "stopped")


def test_a_failed_batch_job_fails_every_server_it_covers(s, default_group, control):
    ids = _servers(s, default_group, ["f1", "f2"])
    control("PUT", "faults", {"job_failure_rate": 1.0})
    jobs = s.reboot(ids)
    with pytest.raises(clc.JobFailedError) as info:
        jobs.wait(timeout=30)
    assert sorted(job.server_id for job in jobs.failed_jobs) == sorted(ids)
    assert "2 of 2 job(s) failed" in str(info.value) and all(sid in str(info.value) for sid in ids)
    assert not jobs.summary()["succeeded"].any()


def test_a_server_named_twice_is_one_job(s, default_group):
    [sid] = _servers(s, default_group, ["twice"])
    jobs = s.pause([sid, sid.upper()])
    assert [job.server_id for job in jobs] == [sid]
    assert jobs.wait(timeout=30).succeeded


def test_resumed_is_still_running_on_the_sandbox(s, default_group, control):
    # production's jobs went executing -> resumed -> executing; the sandbox does when asked (polls mode)
    control("PUT", "clock", {"resumed_rate": 1.0})
    job = _create(s, default_group, name="res")
    seen = []
    job.wait(timeout=30, poll=0.01, progress=lambda j, status, elapsed: seen.append((status, j.done)))
    assert seen == [
        ("notStarted", False),
        ("executing", False),
        ("resumed", False),
        ("executing", False),
        ("succeeded", True),
    ]
    assert job.succeeded and job.server()["status"] == "active"
