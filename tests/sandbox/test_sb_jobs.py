"""The job clock in both modes, job failures, and the status endpoint.

Time-mode tests never sleep: the sandbox runs at a tiny speed and the control plane's
`advance` moves its clock forward, so every assertion is deterministic.
"""

from __future__ import annotations

import pytest
import requests
from sandbox_api import ALIAS, Api, rels, server_body

from clc_notebook.sandbox.clock import JobClock


@pytest.fixture
def slow_sandbox(new_sandbox):
    # speed 0.001: a build takes 5000 s of sandbox time; nothing moves unless the clock is advanced.
    # Its own sandbox: the clock offset that `advance` adds would outlive the shared one's reset.
    return new_sandbox(mode="time", speed=0.001)


def _advance(sb, seconds):
    r = requests.put(f"{sb.url}/sandbox/clock", json={"advance": seconds})
    assert r.status_code == 200


def test_time_mode_statuses_follow_the_scaled_clock(slow_sandbox):
    api = Api(slow_sandbox)
    r = api.post(f"/v2/servers/{ALIAS}", json=server_body())
    links = rels(r.json())
    assert api.get(links["status"]["href"]).json() == {"status": "notStarted"}
    _advance(slow_sandbox, 1000)  # 1 s at speed 1: past the first 10 % of 5 s
    assert api.get(links["status"]["href"]).json() == {"status": "executing"}
    assert api.get(links["self"]["href"]).json()["status"] == "underConstruction"
    _advance(slow_sandbox, 4000)
    # In time mode the server becomes active when its time is up, whether or not the job is read.
    assert api.get(links["self"]["href"]).json()["status"] == "active"
    assert api.get(links["status"]["href"]).json() == {"status": "succeeded"}


def test_time_mode_power_operation_takes_two_seconds(slow_sandbox):
    api = Api(slow_sandbox)
    r = api.post(f"/v2/servers/{ALIAS}", json=server_body())
    _advance(slow_sandbox, 5000)
    sid = api.get(rels(r.json())["self"]["href"]).json()["id"]
    [item] = api.post(f"/v2/operations/{ALIAS}/servers/powerOff", json=[sid]).json()
    _advance(slow_sandbox, 1900)
    assert api.get(item["links"][0]["href"]).json()["status"] == "executing"
    _advance(slow_sandbox, 100)
    assert api.get(item["links"][0]["href"]).json()["status"] == "succeeded"
    assert api.get(f"/v2/servers/{ALIAS}/{sid}").json()["details"]["powerState"] == "stopped"


def test_speed_divides_durations(sandbox, api):
    sandbox.set_clock(mode="time", speed=1000.0)
    r = api.post(f"/v2/servers/{ALIAS}", json=server_body())
    seen = api.wait(rels(r.json())["status"]["href"], limit=100000)
    assert seen[-1] == "succeeded"


def test_polls_mode_one_step_per_read(api):
    r = api.post(f"/v2/servers/{ALIAS}", json=server_body())
    href = rels(r.json())["status"]["href"]
    assert [api.get(href).json()["status"] for _ in range(5)] == [
        "notStarted",
        "executing",
        "succeeded",
        "succeeded",
        "succeeded",
    ]


def test_polls_per_step(sandbox, api):
    r = requests.put(f"{sandbox.url}/sandbox/clock", json={"polls_per_step": 3})
    assert r.json() == {"mode": "polls", "speed": 1.0, "polls_per_step": 3, "resumed_rate": None}
    href = rels(api.post(f"/v2/servers/{ALIAS}", json=server_body()).json())["status"]["href"]
    assert [api.get(href).json()["status"] for _ in range(7)] == ["notStarted"] * 3 + ["executing"] * 3 + ["succeeded"]


def test_time_mode_a_resumed_job_goes_executing_resumed_executing(new_sandbox):
    # production's jobs sometimes did; here a share `resumed_rate` of the jobs does (all of them at 1)
    sb = new_sandbox(mode="time", speed=0.001, resumed_rate=1.0)
    api = Api(sb)
    href = rels(api.post(f"/v2/servers/{ALIAS}", json=server_body()).json())["status"]["href"]
    seen = [api.get(href).json()["status"]]
    for seconds in (1000, 1000, 1500, 1500):  # 20 %, 40 %, 70 %, 100 % of the 5 s build
        _advance(sb, seconds)
        seen.append(api.get(href).json()["status"])
    assert seen == ["notStarted", "executing", "resumed", "executing", "succeeded"]


def test_polls_mode_resumed_only_when_asked(sandbox, api):
    def statuses() -> list[str]:
        return api.wait(rels(api.post(f"/v2/servers/{ALIAS}", json=server_body()).json())["status"]["href"])

    assert sandbox.set_clock()["resumed_rate"] is None and statuses() == ["notStarted", "executing", "succeeded"]
    r = requests.put(f"{sandbox.url}/sandbox/clock", json={"resumed_rate": 1})
    assert r.status_code == 200 and r.json()["resumed_rate"] == 1.0
    assert statuses() == ["notStarted", "executing", "resumed", "executing", "succeeded"]
    r = requests.put(f"{sandbox.url}/sandbox/clock", json={"resumed_rate": None})  # back to the default
    assert r.json()["resumed_rate"] is None and statuses() == ["notStarted", "executing", "succeeded"]


def test_which_jobs_resume_is_seeded_and_the_time_mode_default_is_modest():
    def resuming(clock: JobClock) -> list[bool]:
        return [clock.resumes(f"wa1-{n}") for n in range(100001, 102001)]

    time_mode = resuming(JobClock(mode="time", seed=7))
    assert time_mode == resuming(JobClock(mode="time", seed=7))  # reproducible
    assert time_mode != resuming(JobClock(mode="time", seed=8))
    assert 0.07 < sum(time_mode) / len(time_mode) < 0.13  # DEFAULT_RESUMED_RATE = 0.1
    assert not any(resuming(JobClock(mode="polls", seed=7)))
    assert 0.45 < sum(resuming(JobClock(mode="polls", seed=7, resumed_rate=0.5))) / 2000 < 0.55


def test_a_job_nobody_reads_does_not_move(api):
    first = api.post(f"/v2/servers/{ALIAS}", json=server_body())
    second = api.post(f"/v2/servers/{ALIAS}", json=server_body())
    api.wait(rels(second.json())["status"]["href"])
    assert api.get(rels(first.json())["self"]["href"]).json()["status"] == "underConstruction"
    assert api.get(rels(first.json())["status"]["href"]).json() == {"status": "notStarted"}


def test_failed_build_removes_the_server(sandbox, api):
    sandbox.set_faults({"job_failure_rate": 1.0})
    r = api.post(f"/v2/servers/{ALIAS}", json=server_body())
    links = rels(r.json())
    assert api.wait(links["status"]["href"]) == ["notStarted", "executing", "failed"]
    gone = api.get(links["self"]["href"])
    assert gone.status_code == 404 and gone.content == b""
    assert api.get(links["status"]["href"]).json() == {"status": "failed"}


def test_failed_power_operation_leaves_the_power_state(sandbox, api):
    sid = api.create_server()["id"]
    sandbox.set_faults({"job_failure_rate": 1.0})
    [item] = api.post(f"/v2/operations/{ALIAS}/servers/powerOff", json=[sid]).json()
    assert api.wait(item["links"][0]["href"])[-1] == "failed"
    assert api.get(f"/v2/servers/{ALIAS}/{sid}").json()["details"]["powerState"] == "started"


def test_failed_delete_brings_the_server_back(sandbox, api):
    sid = api.create_server()["id"]
    sandbox.set_faults({"job_failure_rate": 1.0})
    r = api.delete(f"/v2/servers/{ALIAS}/{sid}")
    assert api.wait(r.json()["links"][0]["href"])[-1] == "failed"
    assert api.get(f"/v2/servers/{ALIAS}/{sid}").json()["status"] == "active"


def test_job_failure_rate_is_seeded(sandbox, api):
    def outcomes():
        sandbox.reset()
        sandbox.set_faults({"seed": 7, "job_failure_rate": 0.5})
        out = []
        for _ in range(12):
            r = api.post(f"/v2/servers/{ALIAS}", json=server_body())
            out.append(api.wait(rels(r.json())["status"]["href"])[-1])
        return out

    first = outcomes()
    assert set(first) == {"succeeded", "failed"}
    assert outcomes() == first


def test_unknown_status_id_is_404(api):
    for job in ("wa1-1", "nonsense", "WA1-999999999"):
        r = api.get(f"/v2/operations/{ALIAS}/status/{job}")
        assert r.status_code == 404 and r.json()["message"]


def test_status_id_in_any_case(api):
    r = api.post(f"/v2/servers/{ALIAS}", json=server_body())
    job = rels(r.json())["status"]["id"]
    assert api.get(f"/v2/operations/{ALIAS}/status/{job.upper()}").json() == {"status": "notStarted"}


def test_switching_to_time_mode_finishes_old_jobs(sandbox, api):
    r = api.post(f"/v2/servers/{ALIAS}", json=server_body())
    sandbox.set_clock(mode="time", speed=1e6)
    assert api.get(rels(r.json())["self"]["href"]).json()["status"] == "active"


@pytest.mark.parametrize(
    "payload",
    [
        {"mode": "warp"},
        {"speed": 0},
        {"speed": "fast"},
        {"polls_per_step": 0},
        {"polls_per_step": 1.5},
        {"resumed_rate": 1.5},
        {"resumed_rate": "often"},
        {"advance": -1},
        {"colour": 1},
        [1],
    ],
)
def test_bad_clock_settings_are_400(sandbox, payload):
    r = requests.put(f"{sandbox.url}/sandbox/clock", json=payload)
    assert r.status_code == 400 and r.json()["message"]
    assert requests.get(f"{sandbox.url}/sandbox/clock").json() == {
        "mode": "polls",
        "speed": 1.0,
        "polls_per_step": 1,
        "resumed_rate": None,
    }


def test_time_mode_every_call_settles_what_is_due_first(slow_sandbox):
    """A group whose delete job's time is up is gone for every call, not only for the ones that used to
    settle due jobs first (PATCH, defaults and archive used to act on the deleted group)."""
    api = Api(slow_sandbox)
    root = api.group()
    default = next(g["id"] for g in root["groups"] if g["name"] == "Default Group")
    made = api.post(f"/v2/groups/{ALIAS}", json={"name": "Doomed", "parentGroupId": default}).json()
    assert api.delete(f"/v2/groups/{ALIAS}/{made['id']}").status_code == 202
    _advance(slow_sandbox, 2000)  # the 2 s delete is due; nobody has read its job
    patch = [{"op": "set", "member": "description", "value": "still here?"}]
    assert api.patch(f"/v2/groups/{ALIAS}/{made['id']}", json=patch).status_code == 404
    assert api.get(f"/v2/groups/{ALIAS}/{made['id']}/defaults").status_code == 404
    assert api.post(f"/v2/groups/{ALIAS}/{made['id']}/archive").status_code == 404
