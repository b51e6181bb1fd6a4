"""Anti-affinity policies: list, create (201 + Location), get, rename, delete; hyperscale servers created
in a policy (`antiAffinityPolicyId`) and moved through their `antiAffinityPolicyMapping` link."""

from __future__ import annotations

import re

import pytest
from sandbox_api import ALIAS, ROOT, rels, server_body, walk_groups

POLICIES = f"/v2/antiAffinityPolicies/{ALIAS}"
HYPERSCALE = {"type": "hyperscale", "storageType": "hyperscale"}


def create(api, name: str = "Web spread", location: str = "WA1") -> dict:
    r = api.post(POLICIES, json={"name": name, "location": location})
    assert r.status_code == 201, r.text
    return r.json()


@pytest.fixture
def policy(api) -> dict:
    return create(api)


def test_an_empty_account_lists_no_policy(api):
    assert api.ok_json("GET", POLICIES) == {
        "items": [],
        "links": [{"rel": "self", "href": "/v2/antiAffinityPolicies/alias", "verbs": ["GET", "POST"]}],
    }


def test_create_answers_201_with_location_and_the_policy(api):
    r = api.post(POLICIES, json={"name": "Web spread", "location": "wa1"})
    assert r.status_code == 201
    body = r.json()
    assert re.fullmatch(r"[0-9a-f]{32}", body["id"])
    assert r.headers["Location"] == f"/v2/antiAffinityPolicies/alias/{body['id']}"
    assert body == {
        "id": body["id"],
        "name": "Web spread",
        "location": "WA1",
        "links": [
            {"rel": "self", "href": f"/v2/antiAffinityPolicies/alias/{body['id']}", "verbs": ["GET", "DELETE", "PUT"]},
            {"rel": "location", "href": "/v2/datacenters/alias/WA1", "id": "WA1", "name": "WA1 - US West (Seattle)"},
        ],
    }
    assert api.ok_json("GET", r.headers["Location"]) == body
    assert api.ok_json("GET", POLICIES)["items"] == [body]


def test_create_takes_a_form_body_as_clc_sdk_sends_it(api):
    r = api.post(POLICIES, data={"name": "Form made", "location": "VA1"})
    assert r.status_code == 201 and r.json()["location"] == "VA1"


def test_bad_policies_name_every_field_and_create_nothing(api, policy):
    for body, fields in (
        ({}, {"body.name", "body.location"}),
        ({"name": "x", "location": "XX9"}, {"body.location"}),
        ({"name": "", "location": "WA1"}, {"body.name"}),
        ({"name": "WEB SPREAD", "location": "VA1"}, {"body.name"}),  # taken, in any case
        ({"name": "y" * 101, "location": "WA1"}, {"body.name"}),
    ):
        r = api.post(POLICIES, json=body)
        assert r.status_code == 400, body
        assert set(r.json()["modelState"]) == fields, (body, r.json())
    assert api.post(POLICIES, json=["name"]).status_code == 400
    assert [p["id"] for p in api.ok_json("GET", POLICIES)["items"]] == [policy["id"]]


def test_rename_answers_the_policy_and_keeps_its_location(api, policy):
    path = f"{POLICIES}/{policy['id']}"
    r = api.put(path, json={"name": "Renamed", "location": None})  # the Java SDK sends location: null
    assert r.status_code == 200
    assert r.json() == {**policy, "name": "Renamed"}
    assert api.ok_json("GET", path)["name"] == "Renamed"
    assert api.put(path, json={"name": "Renamed"}).status_code == 200  # its own name is not "taken"
    other = create(api, "Other")
    r = api.put(f"{POLICIES}/{other['id']}", json={"name": "renamed"})
    assert r.status_code == 400 and "body.name" in r.json()["modelState"]
    r = api.put(path, json={})
    assert r.status_code == 400 and "body.name" in r.json()["modelState"]
    assert api.put(f"{POLICIES}/{'0' * 32}", json={"name": "x"}).status_code == 404


def test_delete_answers_204_then_404(api, policy):
    path = f"{POLICIES}/{policy['id']}"
    r = api.delete(path)
    assert r.status_code == 204 and r.content == b""
    assert api.get(path).status_code == 404
    assert api.delete(path).status_code == 404
    assert api.ok_json("GET", POLICIES)["items"] == []


def test_a_hyperscale_server_created_in_a_policy_shows_it_both_ways(api, policy):
    server = api.create_server(name="hs", antiAffinityPolicyId=policy["id"], **HYPERSCALE)
    assert server["details"]["antiAffinityPolicy"] == {
        "id": policy["id"],
        "name": "Web spread",
        "links": [{"rel": "self", "href": f"/v2/antiAffinityPolicies/alias/{policy['id']}"}],
    }
    got = api.ok_json("GET", f"{POLICIES}/{policy['id']}")
    assert rels(got)["server"] == {
        "rel": "server",
        "href": f"/v2/servers/alias/{server['id']}",
        "id": server["id"],
        "name": server["name"],
    }
    # a server without a policy has no such member
    plain = api.create_server(name="plain")
    assert "antiAffinityPolicy" not in plain["details"]


def test_policy_ids_at_create_time_are_checked_and_nothing_is_made(api, policy):
    va1 = create(api, "East", "VA1")
    before = api.snapshot([ROOT])
    for fields, reason in (
        ({"antiAffinityPolicyId": policy["id"]}, "hyperscale"),  # a standard server
        ({"antiAffinityPolicyId": "0" * 32, **HYPERSCALE}, "does not exist"),
        ({"antiAffinityPolicyId": va1["id"], **HYPERSCALE}, "VA1"),  # a policy of another data center
    ):
        r = api.post(f"/v2/servers/{ALIAS}", json=server_body(**fields))
        assert r.status_code == 400, fields
        assert reason in r.json()["modelState"]["body.antiAffinityPolicyId"][0], (fields, r.json())
    assert api.snapshot([ROOT]) == before
    # null (what the Java SDK sends for "none") is no policy
    r = api.post(f"/v2/servers/{ALIAS}", json={**server_body(), "antiAffinityPolicyId": None})
    assert r.status_code == 202


def test_a_policy_with_servers_cannot_be_deleted_until_they_go(api, policy):
    server = api.create_server(name="hs", antiAffinityPolicyId=policy["id"], **HYPERSCALE)
    r = api.delete(f"{POLICIES}/{policy['id']}")
    assert r.status_code == 400 and "servers" in r.json()["message"]
    accepted = api.ok_json("DELETE", f"/v2/servers/{ALIAS}/{server['id']}")
    assert api.wait(rels(accepted)["status"]["href"])[-1] == "succeeded"
    assert "server" not in rels(api.ok_json("GET", f"{POLICIES}/{policy['id']}"))
    assert api.delete(f"{POLICIES}/{policy['id']}").status_code == 204


def test_a_failed_build_leaves_the_policy_empty(api, sb, policy):
    sb.set_faults({"job_failure_rate": 1.0})
    accepted = api.ok_json(
        "POST", f"/v2/servers/{ALIAS}", json=server_body(antiAffinityPolicyId=policy["id"], **HYPERSCALE)
    )
    assert api.wait(rels(accepted)["status"]["href"])[-1] == "failed"
    assert "server" not in rels(api.ok_json("GET", f"{POLICIES}/{policy['id']}"))


def test_a_servers_policy_is_read_set_and_cleared_through_its_mapping_link(api, policy):
    server = api.create_server(name="hs", **HYPERSCALE)
    mapping = rels(server)["antiAffinityPolicyMapping"]["href"]
    assert api.get(mapping).status_code == 404  # none yet
    r = api.put(mapping, json={"id": policy["id"]})
    assert r.status_code == 200
    assert r.json()["id"] == policy["id"] and r.json()["name"] == "Web spread"
    assert api.ok_json("GET", mapping)["id"] == policy["id"]
    assert (
        api.ok_json("GET", f"/v2/servers/{ALIAS}/{server['id']}")["details"]["antiAffinityPolicy"]["id"] == policy["id"]
    )
    other = create(api, "Other")
    assert api.put(mapping, json={"id": other["id"]}).status_code == 200  # moved
    assert "server" not in rels(api.ok_json("GET", f"{POLICIES}/{policy['id']}"))
    r = api.delete(mapping, json={})  # the Ansible module sends {}
    assert r.status_code == 204
    r = api.get(mapping)
    assert r.status_code == 404 and r.content == b""
    assert api.delete(mapping).status_code == 204  # nothing to clear: still done
    assert "antiAffinityPolicy" not in api.ok_json("GET", f"/v2/servers/{ALIAS}/{server['id']}")["details"]


def test_the_mapping_refuses_standard_servers_and_bad_ids(api, policy):
    server = api.create_server(name="std")
    mapping = f"/v2/servers/{ALIAS}/{server['id']}/antiAffinityPolicy"
    for body, reason in (({"id": policy["id"]}, "hyperscale"), ({}, "required"), ({"id": "0" * 32}, "does not exist")):
        r = api.put(mapping, json=body)
        assert r.status_code == 400, body
        assert reason in r.json()["modelState"]["body.id"][0]
    assert api.get(mapping).status_code == 404


def test_the_default_groups_of_every_data_center_accept_policy_servers(api):
    """A policy of VA1 takes a hyperscale server of VA1's Default Group."""
    east = create(api, "East", "VA1")
    default = next(g["id"] for g in walk_groups(api.group(api.root_group("VA1"))) if g["name"] == "Default Group")
    server = api.create_server(name="e", groupId=default, networkId=None, antiAffinityPolicyId=east["id"], **HYPERSCALE)
    assert server["locationId"] == "VA1" and server["details"]["antiAffinityPolicy"]["id"] == east["id"]
