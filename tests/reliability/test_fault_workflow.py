"""Faults: the tutorial workflow (login, capabilities, groups, create, wait, get, update, reboot, wait,
delete) run N times through the client against a sandbox injecting 503s, 500s on status reads,
dropped connections (some after the request took effect), latency spikes, one forced token expiry
and failed jobs.

Every run must either complete or raise a `ClcError` with a readable message; no create may be
applied twice (checked black-box: a probe create after the runs reads each name's counter), and
every job a run was given must end (succeeded or failed) once the faults stop.
"""

from __future__ import annotations

import logging
import re
import time
from collections import Counter

import pytest
from sandbox_api import Api

import clc_notebook as clc
from clc_notebook.sandbox import Sandbox

from .secrets_spy import SecretSpy, assert_no_secret
from .support import record_figure, sandbox_jobs, scale

RUNS = scale(10, 200)
FAULTS = {
    "seed": 6,
    "errors": [
        {"rate": 0.20, "status": 503, "methods": ["GET"], "path": "^/v2/"},
        {"rate": 0.05, "status": 500, "methods": ["GET"], "path": "^/v2/operations/[^/]+/status/"},
    ],
    "drops": [
        {"rate": 0.03, "path": "^/v2/", "after": True},  # handled, answer lost: must be reconciled
        {"rate": 0.02, "path": "^/v2/"},  # cut before it is handled
    ],
    "latency_ms": 2,
    "spikes": {"rate": 0.02, "ms": 250},
    "job_failure_rate": 0.10,
}
WAIT = 10  # seconds; every job takes < 0.3 s here, so reaching this deadline means something hung
# Time mode (a build takes 0.2 s): a create reconciled after a lost answer is followed through its
# server, and in polls mode only status reads move a job, so it could never finish there.
SPEED = 25


def run_workflow(sb: Sandbox, n: int, jobs: list, expire_tokens_midway: bool) -> clc.Session:
    """One pass of the tutorial; returns the session (for the secret search). Raises ClcError."""
    s = clc.connect(url=sb.url, username=sb.username, password=sb.password, timeout=(5, 30), quiet=True)
    run_workflow.sessions.append(s)
    caps = s.capabilities("WA1")
    network = caps.networks.iloc[0]["id"] if "id" in caps.networks else caps.raw["deployableNetworks"][0]["networkId"]
    if expire_tokens_midway:
        sb.expire_tokens()  # the next call gets 401; the client must log in again by itself
        run_workflow.expired_in = s
    groups = s.groups("WA1")
    group_id = groups.loc[groups["name"] == "Default Group", "id"].iloc[0]
    create = s.create_server(
        name=f"r{n:03d}", group_id=group_id, template="RHEL-6-64-TEMPLATE", network_id=network, cpu=1, memory_gb=1
    )
    jobs.append(create)
    create.wait(timeout=WAIT, poll=0.02)
    server = create.server()
    server_id = server["id"]
    s.server(server_id)
    update = s.update_server(server_id, description=f"run {n}", cpu=2)
    if update is not None:
        jobs.append(update)
        update.wait(timeout=WAIT, poll=0.02)
    reboot = s.reboot([server_id])
    jobs.extend(reboot)
    reboot.wait(timeout=WAIT, poll=0.02)
    delete = s.delete_server(server_id)
    jobs.append(delete)
    delete.wait(timeout=WAIT, poll=0.02)
    return s


def count_injected(sb: Sandbox) -> Counter:
    """Count the faults the sandbox injects, by wrapping its (seeded) decisions in place."""
    injected: Counter = Counter()
    decide, job_fails = sb.faults.decide, sb.faults.job_fails

    def counting_decide(method, path):
        delay, error, drop = decide(method, path)
        if delay * 1000 > FAULTS["latency_ms"] + 1:
            injected["latency_spikes"] += 1
        if error is not None:
            injected[f"errors_{error.status}"] += 1
        if drop is not None:
            injected["drops_after_handling" if drop.after else "drops_before_handling"] += 1
        return delay, error, drop

    def counting_job_fails():
        fails = job_fails()
        injected["failed_jobs"] += int(fails)
        return fails

    sb.faults.decide, sb.faults.job_fails = counting_decide, counting_job_fails
    return injected


def samples(errors: list, per_type: int = 3) -> list[str]:
    """A few error texts of each type (what a person running the notebook would read)."""
    seen: dict[str, list[str]] = {}
    for e in errors:
        texts = seen.setdefault(type(e).__name__, [])
        if len(texts) < per_type and str(e) not in texts:
            texts.append(str(e)[:300])
    return [f"{kind}: {text}" for kind, texts in sorted(seen.items()) for text in texts]


SANDBOX_KIND = {"create": "create", "update": "patchServer", "delete": "delete"}


@pytest.mark.timeout(scale(300, 3600))
def test_tutorial_workflow_survives_faults(caplog, capsys, monkeypatch):
    caplog.set_level(logging.DEBUG)
    spy = SecretSpy(monkeypatch)
    outcomes: Counter = Counter()
    errors: list[clc.ClcError] = []
    jobs_by_run: dict[int, list] = {}
    windows: dict[int, tuple] = {}
    error_of: dict[int, clc.ClcError] = {}
    run_workflow.sessions = []
    run_workflow.expired_in = None
    with Sandbox(mode="time", speed=SPEED, seed=6) as sb:
        sb.set_faults(FAULTS)
        injected = count_injected(sb)
        for n in range(RUNS):
            jobs_by_run[n] = []
            started = time.time()
            try:
                run_workflow(sb, n, jobs_by_run[n], expire_tokens_midway=(n == RUNS // 2))
                outcomes["completed"] += 1
            except clc.ClcError as exc:  # anything else fails the test with its traceback
                outcomes[type(exc).__name__] += 1
                errors.append(exc)
                error_of[n] = exc
            windows[n] = (started, time.time())
        sb.set_faults({})
        injected = dict(injected)  # (the probes below run without faults)
        time.sleep(0.5)  # let every job of the runs reach its end in time mode

        api = Api(sb)
        root = api.root_group("WA1")
        default = next(g["id"] for g in api.group(root)["groups"] if g["name"] == "Default Group")

        # duplicates: a probe create per name reads that name's counter (numbers are never reused)
        # duplicates: servers of one run that were built (a create applied twice is a duplicate only
        # if both builds succeeded: a first build that failed is removed by the sandbox, and a client
        # that then finds nothing and sends again does what the user asked). The probe create per
        # name reads that name's counter (numbers are never reused): the creates applied per run.
        ledger = sandbox_jobs(sb)
        last_end = max(end for _, end in windows.values())
        built: Counter = Counter(
            int(str(row["target"])[len("wa1aliasr") :][:3])
            for row in ledger
            if row["kind"] == "create"
            and row["outcome"] == "succeeded"
            and row["created"] <= last_end
            and str(row["target"]).startswith("wa1aliasr")
        )
        duplicates = sorted((n, k) for n, k in built.items() if k > 1)
        lost_acknowledged, applied, applied_twice = [], 0, []
        for n in range(RUNS):
            probe = api.post_server(f"r{n:03d}", default)
            number = int(re.sub(r"^WA1ALIASR\d{3}", "", api.server_by_uuid(probe)["name"].upper()))
            applied += number - 1
            if number > 2:
                applied_twice.append((n, number - 1))
            if jobs_by_run[n] and jobs_by_run[n][0].kind == "create" and number < 2:
                lost_acknowledged.append((n, number - 1))

        # unaccounted jobs: every job the sandbox ran during a run is one the run was handed (by id,
        # or followed through its server after a lost answer), or the run said "may have been applied"
        unaccounted, unfinished, tracked, followed_count, maybe_applied = [], [], 0, 0, 0
        invisible_failed_creates = 0
        for n, jobs in jobs_by_run.items():
            start, end = windows[n]
            known = {j.id for j in jobs if j.id}
            followed = {(SANDBOX_KIND.get(j.kind, j.kind), j.server_id) for j in jobs if j.id is None and j.server_id}
            tracked += len(known)
            followed_count += len(followed)
            exc = error_of.get(n)
            for row in ledger:
                if not start <= row["created"] <= end or row["id"] in known:
                    continue
                if (row["kind"], str(row["target"]).lower()) in followed:
                    continue
                if isinstance(exc, clc.TransportError) and "may have been applied" in str(exc):
                    maybe_applied += 1
                    continue
                if (
                    row["kind"] == "create"
                    and row["outcome"] == "failed"
                    and api.get(f"/v2/servers/{api.alias}/{row['target']}").status_code == 404
                ):
                    # its answer was lost and the failed build removed the server before the client
                    # looked: no API call can show this job (there is no job listing). Counted.
                    invisible_failed_creates += 1
                    continue
                unaccounted.append(
                    (
                        n,
                        row["id"],
                        row["kind"],
                        row["target"],
                        f"{type(exc).__name__}: {exc}"[:200] if exc else "run completed",
                    )
                )
            unfinished += [(n, j.id) for j in jobs if j.id and api.wait_job(j.id) not in ("succeeded", "failed")]

        spy.collect_sessions(run_workflow.sessions)
        spy.check_texts([str(e) for e in errors] + [repr(e) for e in errors], "exception texts")
        every_job = [job for jobs in jobs_by_run.values() for job in jobs]
        spy.check_texts([repr(j) + str(j) + str(j.error) for j in every_job], "job reprs")
        relogins = 0
        if run_workflow.expired_in is not None:  # the forced expiry was met by a 401 and a new login
            rows = run_workflow.expired_in.history.to_dict("records")
            relogins = sum(1 for r in rows if r["status"] == 401)
            assert relogins >= 1 and sum(1 for r in rows if "authentication/login" in r["path"]) >= 2, rows[:6]
        http = Counter()
        for s in run_workflow.sessions:
            for row in s.history.to_dict("records"):
                http["calls"] += row["attempt"] == 1  # one history row per HTTP attempt
                http["attempts"] += 1
                if row.get("status") in (500, 503):
                    http[f"answered_{row['status']}_after_retries"] += 1
                if row.get("error"):
                    http["lost_answers_seen_by_client"] += 1
            s.close()
    out = capsys.readouterr()
    deadline_hits = [e for e in errors if isinstance(e, clc.JobTimeoutError)]
    # (a Job followed through its server after a lost answer ends failed after reconcile.WATCH_LIMIT,
    # it no longer runs into the deadline: every deadline hit is a failure)
    record_figure(
        "faults",
        runs=RUNS,
        outcomes=dict(outcomes),
        duplicates=len(duplicates),
        creates_applied_twice_first_build_failed=len(applied_twice),
        invisible_failed_creates=invisible_failed_creates,
        creates_applied=applied,
        jobs_tracked=tracked,
        jobs_followed_by_server=followed_count,
        jobs_unaccounted=len(unaccounted),
        jobs_reported_maybe_applied=maybe_applied,
        job_failures_reported=sum(isinstance(e, clc.JobFailedError) for e in errors),
        deadline_hits=len(deadline_hits),
        tokens_seen=len(spy.tokens),
        http=dict(http),
        token_expiry_answered_401=relogins,
        faults_injected=injected,
        tokens_expired_by_force=1,
        fault_config=FAULTS,
        error_samples=samples(errors),
        slowest_runs=sorted(
            ((round(w[1] - w[0], 2), n, repr(error_of.get(n))[:200]) for n, w in windows.items()), reverse=True
        )[:5],
    )

    # every error is readable: names what was asked, no traceback as the message
    for exc in errors:
        text = str(exc)
        assert text.strip() and "Traceback" not in text and len(text) < 2000, repr(exc)
    assert_no_secret(spy.secrets, caplog.text + out.out + out.err, "log and console output")
    assert not duplicates, f"servers built more than once (run, builds): {duplicates}"
    # a second create is only right when the first one's build failed (and nobody could see it)
    assert len(applied_twice) <= invisible_failed_creates, (applied_twice, invisible_failed_creates)
    assert not lost_acknowledged, f"acknowledged creates missing from the counter: {lost_acknowledged}"
    assert not unaccounted, f"jobs no run was told about: {unaccounted}"
    assert not unfinished, f"jobs that never ended: {unfinished}"
    # jobs last < 0.3 s at this speed: a run that waits out its deadline was waiting for nothing
    assert not deadline_hits, [repr(e)[:200] for e in deadline_hits]
    assert outcomes["completed"] > 0, outcomes
