"""Lost answers, one at a time and deterministically: the sandbox applies a request and then drops
the connection (fault `drops` with `after: true`, rate 0.5, seed 1: the first matching request is
dropped, the next ones are not). The client must end up knowing what happened: a create is
reconciled (no duplicate), a delete still hands back its job, a power operation says it may have
been applied. `sandbox_jobs` reads the sandbox's own job ledger to prove nothing runs unknown."""

from __future__ import annotations

import pytest

import clc_notebook as clc
from clc_notebook.sandbox import Sandbox

from .support import sandbox_jobs as ledger

DROP_FIRST = {"seed": 1}  # random.Random(1): 0.134, 0.847, 0.764 -> drop, keep, keep at rate 0.5


def drop_first(method: str, path: str) -> dict:
    return {**DROP_FIRST, "drops": [{"rate": 0.5, "methods": [method], "path": path, "after": True}]}


def sandbox_jobs(sb: Sandbox, kind: str | None = None, target: str | None = None) -> list[dict]:
    """Jobs of the sandbox's ledger, narrowed by kind and target."""
    return [
        r
        for r in ledger(sb)
        if (kind is None or r["kind"] == kind) and (target is None or str(r["target"]).lower() == target.lower())
    ]


def lost_answers(s: clc.Session) -> int:
    return sum(1 for row in s.history.to_dict("records") if row.get("error"))


@pytest.fixture
def session(new_sandbox):
    # time mode: a create reconciled after a lost answer has no status id, and in polls mode only
    # status reads move a job, so its server would stay underConstruction for ever
    sb = new_sandbox(mode="time", speed=50)
    s = clc.connect(url=sb.url, username=sb.username, password=sb.password, quiet=True)
    groups = s.groups("WA1")
    s.default_group = groups.loc[groups["name"] == "Default Group", "id"].iloc[0]
    yield sb, s
    s.close()


def build(s: clc.Session, name: str) -> str:
    job = s.create_server(name=name, group_id=s.default_group, template="RHEL-6-64-TEMPLATE", cpu=1, memory_gb=1)
    job.wait(timeout=60, poll=0.01)
    return job.server()["id"]


def test_lost_create_answer_is_reconciled_without_duplicate(session):
    sb, s = session
    sb.set_faults(drop_first("POST", r"^/v2/servers/[^/]+$"))
    job = s.create_server(name="lost", group_id=s.default_group, template="RHEL-6-64-TEMPLATE", cpu=1, memory_gb=1)
    assert lost_answers(s) >= 1, "precondition: the create's answer was dropped"
    sb.set_faults({})
    job.wait(timeout=60, poll=0.01)
    assert job.succeeded
    servers = s.servers(dc="WA1")
    assert sorted(n for n in servers["name"] if n.startswith("WA1ALIASLOST")) == ["WA1ALIASLOST01"]
    assert len(sandbox_jobs(sb, kind="create", target=job.server_id)) == 1


def test_lost_delete_answer_still_gives_the_delete_job(session):
    sb, s = session
    server_id = build(s, "del")
    sb.set_faults(drop_first("DELETE", r"^/v2/servers/"))
    try:
        job = s.delete_server(server_id)
    finally:
        sb.set_faults({})
    assert lost_answers(s) >= 1, "precondition: the delete's answer was dropped"
    job.wait(timeout=60, poll=0.01)
    assert job.succeeded
    with pytest.raises(clc.NotFoundError):
        s.server(server_id)
    ledger = sandbox_jobs(sb, kind="delete", target=server_id)
    assert [j["id"] for j in ledger] == [job.id] or (job.id is None and len(ledger) == 1), ledger


def test_lost_power_operation_answer_is_reported_as_maybe_applied(session):
    sb, s = session
    server_id = build(s, "pwr")
    sb.set_faults(drop_first("POST", r"^/v2/operations/"))
    error = None
    try:
        s.reboot([server_id]).wait(timeout=60, poll=0.01)
    except clc.ClcError as exc:
        error = exc
    finally:
        sb.set_faults({})
    assert lost_answers(s) >= 1, "precondition: the operation's answer was dropped"
    assert len(sandbox_jobs(sb, kind="reboot", target=server_id)) == 1  # never re-sent blindly
    if error is not None:  # (a client that recovers the job by itself would pass too)
        assert isinstance(error, clc.TransportError), repr(error)
        assert "may have been applied" in str(error)


def test_lost_async_patch_answer_leaves_no_unknown_job(session):
    sb, s = session
    server_id = build(s, "pat")
    sb.set_faults(drop_first("PATCH", r"^/v2/servers/"))
    try:
        job = s.update_server(server_id, cpu=2)
    finally:
        sb.set_faults({})
    assert lost_answers(s) >= 1, "precondition: the PATCH's answer was dropped"
    job.wait(timeout=60, poll=0.01)
    assert s.server(server_id)["details"]["cpu"] == 2
    ledger = [j["id"] for j in sandbox_jobs(sb, target=server_id) if j["kind"] not in ("create",)]
    if job.id is None:  # followed through the server: then exactly one job may exist (no re-send)
        assert len(ledger) == 1, f"a followed PATCH was also re-sent: jobs {ledger}"
    else:
        unknown = [j for j in ledger if j != job.id]
        assert not unknown, f"jobs the client never learned of after a re-sent PATCH: {unknown} (it holds {job.id})"


def drop_first_before(method: str, path: str) -> dict:
    """The first matching request is cut before the sandbox handles it (nothing applied)."""
    return {**DROP_FIRST, "drops": [{"rate": 0.5, "methods": [method], "path": path, "after": False}]}


@pytest.mark.parametrize("kind", ["update", "delete"])
def test_request_lost_before_processing_does_not_leave_a_job_waiting_for_nothing(session, kind):
    """The client cannot tell a request cut before processing from an answer lost after it; either
    way the Job it returns must end (or raise a non-timeout ClcError) instead of waiting out its
    deadline for a change that will never come."""
    sb, s = session
    server_id = build(s, kind[:3])
    sb.set_faults(drop_first_before("PATCH" if kind == "update" else "DELETE", r"^/v2/servers/"))
    try:
        job = s.update_server(server_id, cpu=2) if kind == "update" else s.delete_server(server_id)
    except clc.TransportError as exc:  # an honest "no answer" is fine too
        assert str(exc).strip()
        return
    finally:
        sb.set_faults({})
    assert lost_answers(s) >= 1, "precondition: the request was cut"
    try:
        job.wait(timeout=4, poll=0.05)
    except clc.JobTimeoutError as exc:
        pytest.fail(f"{kind}: the job waited out its deadline for a request that never ran: {exc}")
    except clc.ClcError:
        return
    if kind == "update":
        assert s.server(server_id)["details"]["cpu"] == 2
    else:
        with pytest.raises(clc.NotFoundError):
            s.server(server_id)


@pytest.mark.parametrize("kind", ["update", "delete"])
def test_followed_job_that_failed_is_reported_not_waited_out(session, kind):
    """Answer lost after the sandbox queued a job that then fails: the Job the client follows must
    end failed (JobFailedError or another ClcError), not run into its deadline."""
    sb, s = session
    server_id = build(s, kind[:3] + "f")
    faults = drop_first("PATCH" if kind == "update" else "DELETE", r"^/v2/servers/")
    sb.set_faults({**faults, "job_failure_rate": 1.0})
    try:
        job = s.update_server(server_id, cpu=2) if kind == "update" else s.delete_server(server_id)
    except clc.TransportError:
        sb.set_faults({})
        return
    sb.set_faults({})
    assert lost_answers(s) >= 1, "precondition: the answer was dropped"
    with pytest.raises(clc.ClcError) as caught:
        job.wait(timeout=4, poll=0.05)
    assert not isinstance(caught.value, clc.JobTimeoutError), (
        f"{kind}: a failed job was waited out to the deadline: {caught.value}"
    )


def test_create_cut_before_processing_is_not_mistaken_for_an_earlier_same_name_server(session):
    """Two creates with the same name, the second cut before the sandbox saw it: the client must not
    hand back the first server as if it were the second (a silent lost create)."""
    sb, s = session
    first = s.create_server(name="twin", group_id=s.default_group, template="RHEL-6-64-TEMPLATE", cpu=1, memory_gb=1)
    first.wait(timeout=30, poll=0.01)
    sb.set_faults(drop_first_before("POST", r"^/v2/servers/[^/]+$"))
    try:
        second = s.create_server(
            name="twin", group_id=s.default_group, template="RHEL-6-64-TEMPLATE", cpu=1, memory_gb=1
        )
    except clc.TransportError:
        second = None  # an honest "not created" is fine
    finally:
        sb.set_faults({})
    assert lost_answers(s) >= 1, "precondition: the second create was cut"
    twins = sorted(n for n in s.servers(dc="WA1")["name"] if n.startswith("WA1ALIASTWIN"))
    if second is not None:
        second.wait(timeout=30, poll=0.01)
        assert second.server()["id"] != first.server()["id"], (
            f"the second create returned the first server; servers: {twins}"
        )
        assert twins == ["WA1ALIASTWIN01", "WA1ALIASTWIN02"], twins
