"""Fault injection and the control plane (/sandbox/...)."""

from __future__ import annotations

import pytest
import requests
from sandbox_api import ALIAS, rels, server_body

from clc_notebook.sandbox import Sandbox


def _put_faults(sandbox, config):
    r = requests.put(f"{sandbox.url}/sandbox/faults", json=config)
    assert r.status_code == 200, r.text
    return r.json()


def test_health(sandbox):
    r = requests.get(f"{sandbox.url}/sandbox/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ok" and body["mode"] == "polls" and body["speed"] == 1.0 and body["version"]


def test_error_rule_answers_status_with_retry_after(sandbox, api):
    _put_faults(sandbox, {"errors": [{"rate": 1.0, "status": 503}]})
    r = api.get(f"/v2/datacenters/{ALIAS}")
    assert r.status_code == 503 and r.headers["retry-after"] == "0" and r.json()["message"]
    assert requests.get(f"{sandbox.url}/sandbox/health").status_code == 200  # never the control plane
    _put_faults(sandbox, {"errors": [{"rate": 1.0, "status": 500}]})
    r = api.get(f"/v2/datacenters/{ALIAS}")
    assert r.status_code == 500 and "retry-after" not in r.headers
    assert _put_faults(sandbox, {}) == {}
    assert api.get(f"/v2/datacenters/{ALIAS}").status_code == 200


def test_error_rule_narrowed_by_method_and_path(sandbox, api):
    _put_faults(sandbox, {"errors": [{"rate": 1.0, "status": 429, "methods": ["POST"], "path": "^/v2/servers/"}]})
    assert api.get(f"/v2/datacenters/{ALIAS}").status_code == 200
    assert api.post(f"/v2/groups/{ALIAS}", json={}).status_code == 400
    r = api.post(f"/v2/servers/{ALIAS}", json=server_body())
    assert r.status_code == 429 and r.headers["retry-after"] == "0"
    assert api.all_servers() == []  # the request was not handled


def test_error_rates_are_seeded_and_repeatable(sandbox, api):
    def run():
        _put_faults(sandbox, {"seed": 42, "errors": [{"rate": 0.5, "status": 503}]})
        return [api.get(f"/v2/datacenters/{ALIAS}").status_code for _ in range(30)]

    first = run()
    assert set(first) == {200, 503}
    assert run() == first


def test_drop_closes_the_connection_without_an_answer(sandbox, api):
    _put_faults(sandbox, {"drops": [{"rate": 1.0, "methods": ["POST"], "path": "^/v2/servers/"}]})
    with pytest.raises(requests.exceptions.RequestException):
        api.post(f"/v2/servers/{ALIAS}", json=server_body())
    _put_faults(sandbox, {})
    assert api.all_servers() == []  # dropped before handling: nothing happened


def test_drop_after_handling_keeps_the_effect(sandbox, api):
    _put_faults(sandbox, {"drops": [{"rate": 1.0, "methods": ["POST"], "path": "^/v2/servers/", "after": True}]})
    with pytest.raises(requests.exceptions.RequestException):
        api.post(f"/v2/servers/{ALIAS}", json=server_body())
    _put_faults(sandbox, {})
    assert [s["name"] for s in api.all_servers()] == ["WA1ALIASWEB01"]  # the create happened, its answer was lost


def test_latency_and_spikes_are_accepted_and_reported(sandbox, api):
    config = {"latency_ms": 1, "spikes": {"rate": 0.5, "ms": 2}, "job_failure_rate": 0.25}
    assert _put_faults(sandbox, config) == config
    assert requests.get(f"{sandbox.url}/sandbox/faults").json() == config
    assert api.get(f"/v2/datacenters/{ALIAS}").status_code == 200


@pytest.mark.parametrize(
    "config",
    [
        {"errors": [{"rate": 2}]},
        {"errors": [{"rate": 0.1, "status": 200}]},
        {"errors": {"rate": 1}},
        {"drops": [{"rate": 0.1, "methods": ["FETCH"]}]},
        {"drops": [{"rate": 0.1, "path": "("}]},
        {"latency_ms": -1},
        {"spikes": {"rate": 0.1, "ms": "x"}},
        {"job_failure_rate": 1.5},
        {"seed": "x"},
        {"colour": "red"},
        [1],
        {"errors": [{"rate": 0.1, "bogus": 1}]},
    ],
)
def test_bad_fault_config_is_400_and_keeps_the_old_one(sandbox, config):
    _put_faults(sandbox, {"latency_ms": 1})
    r = requests.put(f"{sandbox.url}/sandbox/faults", json=config)
    assert r.status_code == 400 and r.json()["message"].startswith("Invalid fault config")
    assert requests.get(f"{sandbox.url}/sandbox/faults").json() == {"latency_ms": 1}


def test_set_faults_in_process_rejects_bad_config(sandbox):
    with pytest.raises(ValueError, match="job_failure_rate"):
        sandbox.set_faults({"job_failure_rate": 3})


def test_reset_returns_to_the_seeded_account_and_keeps_tokens(sandbox, api):
    api.create_server()
    r = requests.post(f"{sandbox.url}/sandbox/reset")
    assert r.status_code == 200
    assert api.all_servers() == []
    assert api.create_server()["name"] == "WA1ALIASWEB01"


def test_reset_with_sizes_builds_a_synthetic_account(sandbox, api):
    r = requests.post(f"{sandbox.url}/sandbox/reset", json={"servers": 30, "groups": 6, "datacenters": 4})
    assert r.status_code == 200 and r.json()["servers"] == 30
    dcs = api.get(f"/v2/datacenters/{ALIAS}?groupLinks=true").json()
    assert len(dcs) == 4
    total = sum(api.group(rels(dc)["group"]["id"])["serversCount"] for dc in dcs)
    assert total == 30
    assert len(api.all_servers()) == 8  # 30 servers over 4 data centers: WA1 gets 8
    assert all(s["status"] == "active" and s["details"]["powerState"] == "started" for s in api.all_servers())


@pytest.mark.parametrize("payload", [{"servers": -1}, {"datacenters": 0}, {"groups": "x"}, [1]])
def test_bad_reset_is_400(sandbox, payload):
    r = requests.post(f"{sandbox.url}/sandbox/reset", json=payload)
    assert r.status_code == 400


def test_control_plane_can_be_switched_off():
    with Sandbox(mode="polls", control_plane=False) as sb:
        for method, path in (("GET", "/sandbox/health"), ("POST", "/sandbox/reset"), ("PUT", "/sandbox/faults")):
            assert requests.request(method, sb.url + path).status_code == 404
        assert (
            requests.post(
                f"{sb.url}/v2/authentication/login", json={"username": sb.username, "password": sb.password}
            ).status_code
            == 200
        )


def test_faults_given_at_construction():
    with Sandbox(mode="polls", faults={"errors": [{"rate": 1.0, "status": 503}]}) as sb:
        r = requests.post(f"{sb.url}/v2/authentication/login", json={"username": sb.username, "password": sb.password})
        assert r.status_code == 503


def test_job_ledger(sandbox, api):
    server = api.create_server()
    [item] = api.post(f"/v2/operations/{ALIAS}/servers/reboot", json=[server["id"]]).json()
    ledger = requests.get(f"{sandbox.url}/sandbox/jobs").json()
    assert [(j["kind"], j["target"], j["settled"]) for j in ledger] == [
        ("create", server["id"], True),
        ("reboot", server["id"], False),
    ]
    assert ledger[1]["id"] == item["links"][0]["id"] and ledger[1]["outcome"] == "succeeded"
    assert sandbox.jobs() == ledger
