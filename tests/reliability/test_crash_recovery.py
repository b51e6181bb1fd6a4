"""Crash: a sandbox with `--state FILE` in its own process is SIGKILLed with 20 builds and a group
delete in flight; restarted on the same file, it still has every acknowledged server, group and job,
the jobs finish, numbering continues, and SQLite's integrity check passes."""

from __future__ import annotations

import sqlite3
import time

from sandbox_api import Api, status_id, walk_groups

from .support import SandboxProcess, record_figure, scale

BUILDS = 20


def wait_final(api: Api, job_ids: list[str], limit_s: float = 60) -> dict[str, str]:
    """Poll (time mode) until every job is final; return {job id: status}."""
    deadline = time.monotonic() + limit_s
    final: dict[str, str] = {}
    while time.monotonic() < deadline and len(final) < len(job_ids):
        for job in job_ids:
            if job not in final:
                status = api.ok_json("GET", f"/v2/operations/{api.alias}/status/{job}")["status"]
                if status in ("succeeded", "failed"):
                    final[job] = status
        time.sleep(0.2)
    missing = sorted(set(job_ids) - set(final))
    assert not missing, f"jobs not finished {limit_s}s after restart: {missing}"
    return final


def integrity(path) -> str:
    with sqlite3.connect(path) as db:
        return db.execute("PRAGMA integrity_check").fetchone()[0]


def crash_once(tmp_path, round_no: int) -> dict:
    state = tmp_path / f"crash-{round_no}.sqlite"
    first = SandboxProcess("--state", str(state), "--mode", "time", "--speed", "1").start()
    try:
        api = Api(first)
        default = next(g["id"] for g in walk_groups(api.group(api.root_group("WA1"))) if g["name"] == "Default Group")
        doomed = api.ok_json("POST", f"/v2/groups/{api.alias}", json={"name": "Doomed", "parentGroupId": default})["id"]
        doomed_child = api.ok_json(
            "POST", f"/v2/groups/{api.alias}", json={"name": "Doomed child", "parentGroupId": doomed}
        )["id"]
        kept = api.ok_json("POST", f"/v2/groups/{api.alias}", json={"name": "Kept", "parentGroupId": default})["id"]
        # a built server inside the group to delete (the delete cascades): build it at high speed
        assert api.request("PUT", "/sandbox/clock", json={"speed": 200}).status_code == 200
        doomed_build = api.post_server("doom", doomed_child)
        assert api.wait_job(status_id(doomed_build)) == "succeeded"
        doomed_server = api.server_by_uuid(doomed_build)["id"]
        assert api.request("PUT", "/sandbox/clock", json={"speed": 1}).status_code == 200
        builds = [api.post_server("crash", kept if i % 2 else default, description=f"build {i}") for i in range(BUILDS)]
        group_delete = api.ok_json("DELETE", f"/v2/groups/{api.alias}/{doomed}")
        jobs = [status_id(b) for b in builds] + [status_id(group_delete)]
        # a build takes 5 s at speed 1: the last one must still be running when the process dies
        in_flight = api.ok_json("GET", f"/v2/operations/{api.alias}/status/{jobs[-2]}")["status"]
        assert in_flight in ("notStarted", "executing"), in_flight
    finally:
        first.kill()
    assert integrity(state) == "ok"

    second = SandboxProcess("--state", str(state), "--mode", "time", "--speed", "1").start()
    try:
        api = Api(second)
        for accepted in builds:  # every acknowledged server is there (building or built)
            assert api.server_by_uuid(accepted)["status"] in ("underConstruction", "active")
        assert api.group(kept)["name"] == "Kept"
        final = wait_final(api, jobs)
        assert set(final.values()) == {"succeeded"}, final
        servers = [api.server_by_uuid(b) for b in builds]
        assert {s["status"] for s in servers} == {"active"}
        names = sorted(int(s["name"][len("WA1ALIASCRASH") :]) for s in servers)
        assert names == list(range(1, BUILDS + 1)), names
        for gone in (doomed, doomed_child):  # the group delete finished after the restart
            assert api.get(f"/v2/groups/{api.alias}/{gone}").status_code == 404
        assert api.get(f"/v2/servers/{api.alias}/{doomed_server}").status_code == 404  # cascaded
        # counters survived: no job id or server number is handed out twice
        after = api.post_server("crash", default)
        assert status_id(after) not in jobs
        newest = api.server_by_uuid(after)["name"]
        assert newest == f"WA1ALIASCRASH{BUILDS + 1}", newest
    finally:
        out, err = second.stop()
    assert integrity(state) == "ok"
    assert "database is locked" not in err + out
    assert "Traceback" not in err, err[-2000:]  # nothing unexpected was logged by the restarted sandbox
    return {"builds_in_flight": BUILDS, "jobs_checked": len(jobs)}


def test_sigkill_with_jobs_in_flight_loses_nothing(tmp_path):
    rounds = scale(1, 5)
    for n in range(rounds):
        figures = crash_once(tmp_path, n)
    record_figure(
        "crash",
        rounds=rounds,
        **figures,
        result="all acknowledged servers, groups, jobs present; jobs finished; integrity_check ok",
    )


def test_clock_advance_survives_a_restart(tmp_path):
    """`PUT /sandbox/clock {"advance": s}` moves the sandbox's "now"; jobs are stamped with it. After a
    restart on the same state file the jobs must not be stamped in the future (stuck notStarted)."""
    state = tmp_path / "advance.sqlite"
    first = SandboxProcess("--state", str(state), "--mode", "time", "--speed", "10").start()
    try:
        api = Api(first)
        assert api.request("PUT", "/sandbox/clock", json={"advance": 3600}).status_code == 200
        default = next(g["id"] for g in walk_groups(api.group(api.root_group("WA1"))) if g["name"] == "Default Group")
        job = status_id(api.post_server("adv", default))
    finally:
        first.kill()
    second = SandboxProcess("--state", str(state), "--mode", "time", "--speed", "10").start()
    try:
        api = Api(second)
        final = wait_final(api, [job], limit_s=4)  # a build takes 0.5 s at speed 10
        assert final[job] == "succeeded"
    finally:
        second.stop()


def test_sigkill_under_concurrent_writes_keeps_every_acknowledged_write(tmp_path):
    """Four writers create servers and groups non-stop; SIGKILL lands mid-stream. Everything that was
    answered 2xx before the kill must be there after the restart (the answer follows the commit)."""
    import threading

    state = tmp_path / "writes.sqlite"
    first = SandboxProcess("--state", str(state), "--mode", "polls").start()
    acknowledged_servers, acknowledged_groups, stop = [], [], threading.Event()
    api = Api(first)
    default = next(g["id"] for g in walk_groups(api.group(api.root_group("WA1"))) if g["name"] == "Default Group")

    def writer(n: int) -> None:
        mine = Api(first)
        i = 0
        while not stop.is_set():
            i += 1
            try:
                if i % 3:
                    r = mine.post(
                        f"/v2/servers/{mine.alias}",
                        json={
                            "name": f"w{n}",
                            "groupId": default,
                            "sourceServerId": "RHEL-6-64-TEMPLATE",
                            "cpu": 1,
                            "memoryGB": 1,
                            "type": "standard",
                        },
                        timeout=5,
                    )
                    if r.status_code == 202:
                        acknowledged_servers.append(r.json())
                else:
                    r = mine.post(
                        f"/v2/groups/{mine.alias}", json={"name": f"g{n}-{i}", "parentGroupId": default}, timeout=5
                    )
                    if r.status_code == 201:
                        acknowledged_groups.append(r.json()["id"])
            except Exception:  # the kill cuts connections: those writes were not acknowledged
                return

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    # kill once writes are flowing, not after a fixed time (a loaded 2-core machine writes slower)
    flowing = time.monotonic() + 120
    while len(acknowledged_servers) <= scale(20, 100) and time.monotonic() < flowing:
        time.sleep(0.02)
    first.kill()
    stop.set()
    for t in threads:
        t.join(10)
    assert len(acknowledged_servers) > 20, "precondition: writes were flowing when the process died"
    assert integrity(state) == "ok"

    second = SandboxProcess("--state", str(state), "--mode", "polls").start()
    try:
        api = Api(second)
        servers = {
            s["id"] for g in walk_groups(api.group(api.root_group("WA1"), detailed=True)) for s in g.get("servers", [])
        }
        for accepted in acknowledged_servers:
            assert api.server_by_uuid(accepted)["id"] in servers
        for group in acknowledged_groups:
            assert api.get(f"/v2/groups/{api.alias}/{group}").status_code == 200
        for n in range(4):  # names stay consecutive per prefix: no number lost or reused
            stem = f"WA1ALIASW{n}"
            numbers = sorted(int(s[len(stem) :]) for s in (x.upper() for x in servers) if s.startswith(stem))
            assert numbers == list(range(1, len(numbers) + 1)), (stem, numbers[:5], numbers[-5:])
    finally:
        second.stop()
    record_figure(
        "crash_under_writes",
        acknowledged_servers=len(acknowledged_servers),
        acknowledged_groups=len(acknowledged_groups),
        lost=0,
    )
