"""Vertical autoscale policies: the seeded list, one policy, and a server's policy (set at create time
with `cpuAutoscalePolicyId` or through its `cpuAutoscalePolicyMapping` link)."""

from __future__ import annotations

import pytest
from sandbox_api import ALIAS, ROOT, rels, server_body

POLICIES = f"/v2/autoscalePolicies/{ALIAS}"


@pytest.fixture
def policy(api) -> dict:
    return api.ok_json("GET", POLICIES)[0]


def test_the_account_starts_with_three_policies_as_a_bare_array(api):
    policies = api.ok_json("GET", POLICIES)
    assert [p["name"] for p in policies] == ["Production Database Scale Policy", "Web Tier Burst", "Batch Workers"]
    first = policies[0]
    assert list(first) == [
        "id",
        "name",
        "resourceType",
        "thresholdPeriodMinutes",
        "scaleUpIncrement",
        "range",
        "scaleUpThreshold",
        "scaleDownThreshold",
        "scaleDownWindow",
        "links",
    ]
    assert first["resourceType"] == "cpu" and first["range"] == {"max": 6, "min": 2}
    assert first["scaleDownWindow"] == {"start": "02:00", "end": "04:00"}
    assert first["links"] == [{"rel": "self", "href": f"/v2/autoscalePolicies/alias/{first['id']}"}]
    assert api.ok_json("GET", first["links"][0]["href"]) == first
    assert api.get(f"{POLICIES}/{'0' * 32}").status_code == 404


def test_a_servers_policy_is_set_read_and_cleared(api, policy):
    server = api.create_server()
    mapping = rels(server)["cpuAutoscalePolicyMapping"]["href"]
    assert api.get(mapping).status_code == 404
    r = api.put(mapping, json={"id": policy["id"]})
    assert r.status_code == 200
    expected = {
        "id": policy["id"],
        "links": [{"rel": "self", "href": f"/v2/servers/ALIAS/{server['id']}/cpuAutoscalePolicy"}],
    }
    assert r.json() == expected and api.ok_json("GET", mapping) == expected
    details = api.ok_json("GET", f"/v2/servers/{ALIAS}/{server['id']}")["details"]
    assert details["cpuAutoscalePolicy"] == {"id": policy["id"], "links": [policy["links"][0]]}
    assert api.delete(mapping).status_code == 204
    r = api.get(mapping)
    assert r.status_code == 404 and r.content == b""  # as recorded
    assert api.delete(mapping).status_code == 204  # again: production answered 204 too
    assert "cpuAutoscalePolicy" not in api.ok_json("GET", f"/v2/servers/{ALIAS}/{server['id']}")["details"]


def test_bad_ids_are_named_and_change_nothing(api, policy):
    server = api.create_server()
    mapping = f"/v2/servers/{ALIAS}/{server['id']}/cpuAutoscalePolicy"
    for body in ({}, {"id": "0" * 32}, {"id": ""}):
        r = api.put(mapping, json=body)
        assert r.status_code == 400 and "body.id" in r.json()["modelState"], body
    assert api.get(mapping).status_code == 404
    before = api.snapshot([ROOT])
    r = api.post(f"/v2/servers/{ALIAS}", json=server_body(cpuAutoscalePolicyId="0" * 32))
    assert r.status_code == 400 and "body.cpuAutoscalePolicyId" in r.json()["modelState"]
    assert api.snapshot([ROOT]) == before


def test_a_server_created_with_a_policy_follows_it(api, policy):
    server = api.create_server(cpuAutoscalePolicyId=policy["id"])
    assert server["details"]["cpuAutoscalePolicy"]["id"] == policy["id"]
    assert api.ok_json("GET", f"/v2/servers/{ALIAS}/{server['id']}/cpuAutoscalePolicy")["id"] == policy["id"]
