"""Alert policies: list, create (201 + Location), get, replace, delete; applied to a server and removed,
shown in its `details.alertPolicies`."""

from __future__ import annotations

import re

import pytest
from sandbox_api import ALIAS, rels

POLICIES = f"/v2/alertPolicies/{ALIAS}"


def body(name: str = "CPU high", metric: str = "cpu", threshold=90, recipients=("ops@example.com",)) -> dict:
    return {
        "name": name,
        "actions": [{"action": "email", "settings": {"recipients": list(recipients)}}],
        "triggers": [{"metric": metric, "duration": "00:05:00", "threshold": threshold}],
    }


@pytest.fixture
def policy(api) -> dict:
    r = api.post(POLICIES, json=body())
    assert r.status_code == 201, r.text
    return r.json()


def test_an_empty_account_lists_no_policy(api):
    assert api.ok_json("GET", POLICIES) == {
        "items": [],
        "links": [{"rel": "self", "href": "/v2/alertPolicies/alias", "verbs": ["GET", "POST"]}],
    }


def test_create_answers_201_with_location_and_the_recorded_shape(api):
    r = api.post(POLICIES, json=body(threshold=90))
    assert r.status_code == 201
    got = r.json()
    assert re.fullmatch(r"[0-9a-f]{32}", got["id"])
    assert r.headers["Location"] == f"/v2/alertPolicies/alias/{got['id']}"
    assert list(got) == ["id", "name", "actions", "links", "triggers"]
    assert got["actions"] == [{"action": "email", "settings": {"recipients": ["ops@example.com"]}}]
    assert got["links"] == [{"rel": "self", "href": r.headers["Location"], "verbs": ["GET", "DELETE", "PUT"]}]
    # the threshold comes back a float whatever was sent, as production answered
    assert got["triggers"] == [{"metric": "cpu", "duration": "00:05:00", "threshold": 90.0}]
    assert isinstance(got["triggers"][0]["threshold"], float)
    assert api.ok_json("GET", r.headers["Location"]) == got
    assert api.ok_json("GET", POLICIES)["items"] == [got]


@pytest.mark.parametrize(
    "change, field",
    [
        ({"name": ""}, "body.name"),
        ({"name": None}, "body.name"),
        ({"actions": []}, "body.actions"),
        ({"actions": None}, "body.actions"),
        ({"actions": {"action": "email"}}, "body.actions"),
        ({"actions": [{"action": "sms", "settings": {"recipients": ["a@b.co"]}}]}, "body.actions[0].action"),
        (
            {"actions": [{"action": "email", "settings": {"recipients": ["not-mail"]}}]},
            "body.actions[0].settings.recipients",
        ),
        ({"actions": [{"action": "email", "settings": {}}]}, "body.actions[0].settings.recipients"),
        ({"actions": [{"action": "email", "settings": {"recipients": []}}]}, "body.actions[0].settings.recipients"),
        ({"triggers": []}, "body.triggers"),
        ({"triggers": [{"metric": "network", "duration": "00:05:00", "threshold": 50}]}, "body.triggers[0].metric"),
        ({"triggers": [{"metric": "cpu", "duration": "00:07:00", "threshold": 50}]}, "body.triggers[0].duration"),
        ({"triggers": [{"metric": "cpu", "duration": "00:05:00", "threshold": 52}]}, "body.triggers[0].threshold"),
        ({"triggers": [{"metric": "cpu", "duration": "00:05:00", "threshold": 100}]}, "body.triggers[0].threshold"),
        ({"triggers": [{"metric": "cpu", "duration": "00:05:00", "threshold": "high"}]}, "body.triggers[0].threshold"),
        ({"triggers": [{"metric": "cpu", "duration": "00:05:00", "threshold": True}]}, "body.triggers[0].threshold"),
    ],
)
def test_a_bad_field_is_named_and_nothing_is_created(api, change, field):
    r = api.post(POLICIES, json={**body(), **change})
    assert r.status_code == 400, change
    assert field in r.json()["modelState"], (change, r.json())
    assert api.ok_json("GET", POLICIES)["items"] == []


def test_every_bad_field_is_reported_at_once(api):
    r = api.post(POLICIES, json={"triggers": [{"metric": "x", "duration": "y", "threshold": 1}]})
    assert set(r.json()["modelState"]) == {
        "body.name",
        "body.actions",
        "body.triggers[0].metric",
        "body.triggers[0].duration",
        "body.triggers[0].threshold",
    }
    assert api.post(POLICIES, json=["name"]).status_code == 400


def test_numbers_and_keys_as_clients_send_them(api):
    """Keys in any case, the threshold as a string (form-minded clients), metrics in any case."""
    r = api.post(
        POLICIES,
        json={
            "NAME": "Disk",
            "Actions": [{"ACTION": "EMAIL", "settings": {"recipients": ["a@b.co"]}}],
            "triggers": [{"Metric": "DISK", "duration": "00:15:00", "threshold": "80.0"}],
        },
    )
    assert r.status_code == 201, r.text
    assert r.json()["triggers"] == [{"metric": "disk", "duration": "00:15:00", "threshold": 80.0}]


def test_put_replaces_the_policy_and_answers_it(api, policy):
    path = f"{POLICIES}/{policy['id']}"
    new = body("Disk full", "disk", 95, ("a@b.co", "c@d.co"))
    r = api.put(path, json={"id": policy["id"], **new})  # the Node SDK sends the id too
    assert r.status_code == 200
    assert r.json()["name"] == "Disk full" and r.json()["triggers"][0]["metric"] == "disk"
    assert r.json()["actions"][0]["settings"]["recipients"] == ["a@b.co", "c@d.co"]
    assert api.ok_json("GET", path) == r.json()
    r = api.put(path, json={"id": "0" * 32, **new})
    assert r.status_code == 400 and "body.id" in r.json()["modelState"]
    r = api.put(path, json={**new, "triggers": []})
    assert r.status_code == 400 and api.ok_json("GET", path)["name"] == "Disk full"
    assert api.put(f"{POLICIES}/{'0' * 32}", json=new).status_code == 404


def test_delete_answers_204_then_404(api, policy):
    path = f"{POLICIES}/{policy['id']}"
    r = api.delete(path)
    assert r.status_code == 204 and r.content == b""
    assert api.get(path).status_code == 404 and api.delete(path).status_code == 404


def test_apply_to_a_server_and_remove(api, policy):
    server = api.create_server()
    assert server["details"]["alertPolicies"] == []
    mappings = rels(server)["alertPolicyMappings"]["href"]
    r = api.post(mappings, json={"id": policy["id"]})
    assert r.status_code == 200
    map_href = f"/v2/servers/alias/{server['id']}/alertPolicies/{policy['id']}"
    assert r.json() == {"id": policy["id"], "links": [{"rel": "self", "href": map_href, "verbs": ["DELETE"]}]}
    assert api.post(mappings, json={"id": policy["id"]}).status_code == 200  # again: still once
    details = api.ok_json("GET", f"/v2/servers/{ALIAS}/{server['id']}")["details"]
    assert details["alertPolicies"] == [
        {
            "id": policy["id"],
            "name": "CPU high",
            "links": [
                {"rel": "self", "href": f"/v2/alertPolicies/alias/{policy['id']}"},
                {"rel": "alertPolicyMap", "href": map_href, "verbs": ["DELETE"]},
            ],
        }
    ]
    r = api.delete(map_href)
    assert r.status_code == 204
    assert api.ok_json("GET", f"/v2/servers/{ALIAS}/{server['id']}")["details"]["alertPolicies"] == []
    assert api.delete(map_href).status_code == 404


def test_apply_refuses_unknown_policies_by_field(api):
    server = api.create_server()
    mappings = f"/v2/servers/{ALIAS}/{server['id']}/alertPolicies"
    for payload in ({}, {"id": "0" * 32}, {"id": ""}):
        r = api.post(mappings, json=payload)
        assert r.status_code == 400 and "body.id" in r.json()["modelState"], payload
    assert api.post(mappings, json=["x"]).status_code == 400
    assert api.post(f"/v2/servers/{ALIAS}/nosuchserver/alertPolicies", json={"id": "0" * 32}).status_code == 404
    assert api.ok_json("GET", f"/v2/servers/{ALIAS}/{server['id']}")["details"]["alertPolicies"] == []


def test_a_deleted_policy_leaves_its_servers(api, policy):
    server = api.create_server()
    api.ok_json("POST", f"/v2/servers/{ALIAS}/{server['id']}/alertPolicies", json={"id": policy["id"]})
    assert api.delete(f"{POLICIES}/{policy['id']}").status_code == 204
    assert api.ok_json("GET", f"/v2/servers/{ALIAS}/{server['id']}")["details"]["alertPolicies"] == []


def test_group_listings_show_applied_policies(api, policy):
    server = api.create_server()
    api.ok_json("POST", f"/v2/servers/{ALIAS}/{server['id']}/alertPolicies", json={"id": policy["id"]})
    listed = {s["id"]: s for s in api.all_servers()}
    assert [p["id"] for p in listed[server["id"]]["details"]["alertPolicies"]] == [policy["id"]]
