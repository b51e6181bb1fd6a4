"""Shared load balancers over HTTP: load balancers, pools and nodes (codes and shapes as recorded: create
answers 200, updates and deletes 204), validation naming the field with nothing half-made, the
requests the Ansible module and the Java/Node SDKs send."""

from __future__ import annotations

import ipaddress
import json

import pytest
from sandbox_api import ALIAS, rels

LBS = f"/v2/sharedLoadBalancers/{ALIAS}"


def _lb(api, dc="WA1", **body):
    r = api.post(f"{LBS}/{dc}", json={"name": "web", "description": "front door", **body})
    assert r.status_code == 200, r.text
    return r.json()


def _pool(api, lb, dc="WA1", **body):
    r = api.post(f"{LBS}/{dc}/{lb['id']}/pools", json={"port": 80, **body})
    assert r.status_code == 200, r.text
    return r.json()


def _listed(api, dc="WA1"):
    r = api.get(f"{LBS}/{dc}")
    assert r.status_code == 200, r.text
    return r.json()


def test_create_answers_200_with_the_new_load_balancer(api):
    lb = _lb(api)
    assert set(lb) == {"id", "name", "description", "ipAddress", "status", "pools", "links"}
    assert len(lb["id"]) == 32 and int(lb["id"], 16) >= 0
    assert (lb["name"], lb["description"], lb["status"], lb["pools"]) == ("web", "front door", "enabled", [])
    assert ipaddress.IPv4Address(lb["ipAddress"]).is_global
    base = f"/v2/sharedLoadBalancers/alias/wa1/{lb['id']}"
    assert lb["links"] == [
        {"rel": "self", "href": base, "verbs": ["GET", "PUT", "DELETE"]},
        {"rel": "pools", "href": f"{base}/pools", "verbs": ["GET", "POST"]},
    ]
    assert api.get(base).json() == lb
    assert _listed(api) == [lb]


def test_load_balancers_belong_to_their_data_center(api):
    one, two = _lb(api, name="one"), _lb(api, name="two", status="DISABLED")
    other = _lb(api, dc="va1", name="east")
    assert [x["id"] for x in _listed(api)] == [one["id"], two["id"]]  # oldest first
    assert two["status"] == "disabled"
    assert [x["id"] for x in _listed(api, "VA1")] == [other["id"]]
    assert len({one["ipAddress"], two["ipAddress"], other["ipAddress"]}) == 3
    assert api.get(f"{LBS}/VA1/{one['id']}").status_code == 404
    assert api.get(f"{LBS}/UC1").json() == []
    r = api.get(f"{LBS}/XX9")
    assert r.status_code == 404 and "message" in r.json()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"description": "no name"}, "body.name"),
        ({"name": "  ", "description": "blank"}, "body.name"),
        ({"name": {"a": 1}, "description": "x"}, "body.name"),
        ({"name": "x", "description": "x", "status": "deleted"}, "body.status"),
        ({"name": "x", "description": ["x"]}, "body.description"),
    ],
)
def test_create_validation_names_the_field_and_creates_nothing(api, body, field):
    r = api.post(f"{LBS}/WA1", json=body)
    assert r.status_code == 400, r.text
    assert field in r.json()["modelState"], r.json()
    assert _listed(api) == []


def test_a_body_that_is_not_an_object_is_refused(api):
    for body in ([], "web", 3):
        r = api.post(f"{LBS}/WA1", json=body)
        assert r.status_code == 400 and "message" in r.json()
    assert _listed(api) == []


def test_ansible_module_requests_work_unmodified(api):
    """clc_loadbalancer.py sends json.dumps(...) bodies with `Application/json`; null members mean 'default'."""
    headers = {"Content-Type": "Application/json"}
    body = json.dumps({"name": "lb-ansible", "description": None, "status": "enabled"})
    r = api.post(f"{LBS}/wa1", data=body, headers=headers)
    assert r.status_code == 200, r.text
    lb = r.json()
    assert lb["description"] == "" and lb["status"] == "enabled"
    pool_body = json.dumps({"port": 443, "method": None, "persistence": None})
    pool = api.post(f"{LBS}/wa1/{lb['id']}/pools", data=pool_body, headers=headers).json()
    assert (pool["port"], pool["method"], pool["persistence"]) == (443, "roundRobin", "standard")
    nodes = [{"ipAddress": "10.20.30.40", "privatePort": 80, "status": "enabled"}]
    r = api.put(f"{LBS}/wa1/{lb['id']}/pools/{pool['id']}/nodes", data=json.dumps(nodes), headers=headers)
    assert r.status_code == 204 and r.content == b""
    # the module compares the nodes it sent with GET nodes by dict equality: same keys, same types
    assert api.get(f"{LBS}/wa1/{lb['id']}/pools/{pool['id']}/nodes").json() == nodes


def test_update_replaces_name_and_description_and_keeps_status_unless_given(api):
    lb = _lb(api, status="disabled")
    r = api.put(f"{LBS}/WA1/{lb['id']}", json={"name": "renamed", "description": "new"})
    assert r.status_code == 204 and r.content == b""
    got = api.get(f"{LBS}/WA1/{lb['id']}").json()
    assert (got["name"], got["description"], got["status"]) == ("renamed", "new", "disabled")
    assert (
        api.put(f"{LBS}/WA1/{lb['id']}", json={"name": "x", "description": "y", "status": "Enabled"}).status_code == 204
    )
    assert api.get(f"{LBS}/WA1/{lb['id']}").json()["status"] == "enabled"
    r = api.put(f"{LBS}/WA1/{lb['id']}", json={"description": "no name", "status": "off"})
    assert r.status_code == 400 and {"body.name", "body.status"} <= set(r.json()["modelState"])
    assert api.get(f"{LBS}/WA1/{lb['id']}").json()["name"] == "x"  # unchanged


def test_delete_removes_the_load_balancer_and_its_pools(api):
    lb = _lb(api)
    pool = _pool(api, lb)
    r = api.delete(f"{LBS}/WA1/{lb['id']}")
    assert r.status_code == 204 and r.content == b""
    assert api.get(f"{LBS}/WA1/{lb['id']}").status_code == 404
    assert api.get(f"{LBS}/WA1/{lb['id']}/pools").status_code == 404
    assert api.get(f"{LBS}/WA1/{lb['id']}/pools/{pool['id']}/nodes").status_code == 404
    assert api.delete(f"{LBS}/WA1/{lb['id']}").status_code == 404
    assert _listed(api) == []


def test_pools_create_list_get_update_delete(api):
    lb = _lb(api)
    web = _pool(api, lb, method="LEASTCONNECTION", persistence="sticky")
    assert set(web) == {"id", "port", "method", "persistence", "nodes", "links"}
    assert (web["port"], web["method"], web["persistence"], web["nodes"]) == (80, "leastConnection", "sticky", [])
    base = f"/v2/sharedLoadBalancers/alias/wa1/{lb['id']}/pools/{web['id']}"
    assert web["links"] == [
        {"rel": "self", "href": base, "verbs": ["GET", "PUT", "DELETE"]},
        {"rel": "nodes", "href": f"{base}/nodes", "verbs": ["GET", "PUT"]},
    ]
    tls = _pool(api, lb, port="443")  # numbers as strings, defaults
    assert (tls["port"], tls["method"], tls["persistence"]) == (443, "roundRobin", "standard")
    assert [p["id"] for p in api.get(rels(lb)["pools"]["href"]).json()] == [web["id"], tls["id"]]
    assert api.get(base).json() == web
    assert [p["id"] for p in api.get(f"{LBS}/WA1/{lb['id']}").json()["pools"]] == [web["id"], tls["id"]]

    # the Java SDK sends port: null; the Node SDK only what changes
    assert api.put(base, json={"port": None, "method": "roundRobin", "persistence": "standard"}).status_code == 204
    assert api.put(base, json={"persistence": "sticky"}).status_code == 204
    got = api.get(base).json()
    assert (got["port"], got["method"], got["persistence"]) == (80, "roundRobin", "sticky")

    assert api.delete(base).status_code == 204
    assert api.get(base).status_code == 404
    assert [p["id"] for p in api.get(f"{LBS}/WA1/{lb['id']}/pools").json()] == [tls["id"]]


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "body.port"),
        ({"port": 8080}, "body.port"),
        ({"port": "eighty"}, "body.port"),
        ({"port": 80, "method": "random"}, "body.method"),
        ({"port": 80, "persistence": 1}, "body.persistence"),
    ],
)
def test_pool_validation_names_the_field_and_creates_nothing(api, body, field):
    lb = _lb(api)
    r = api.post(f"{LBS}/WA1/{lb['id']}/pools", json=body)
    assert r.status_code == 400, r.text
    assert field in r.json()["modelState"]
    assert api.get(f"{LBS}/WA1/{lb['id']}/pools").json() == []


def test_one_pool_per_port(api):
    lb = _lb(api)
    _pool(api, lb)
    r = api.post(f"{LBS}/WA1/{lb['id']}/pools", json={"port": 80})
    assert r.status_code == 400 and "body.port" in r.json()["modelState"]
    assert len(api.get(f"{LBS}/WA1/{lb['id']}/pools").json()) == 1
    r = api.put(f"{LBS}/WA1/{lb['id']}/pools/{_pool(api, lb, port=443)['id']}", json={"method": "fastest"})
    assert r.status_code == 400 and "body.method" in r.json()["modelState"]


def test_nodes_are_replaced_as_a_whole_list(api):
    lb = _lb(api)
    pool = _pool(api, lb)
    nodes_href = rels(pool)["nodes"]["href"]
    assert api.get(nodes_href).json() == []
    sent = [
        {"ipAddress": "10.20.30.40", "privatePort": 8080},
        {"ipAddress": "10.20.30.41", "privatePort": "8081", "status": "Disabled"},
    ]
    assert api.put(nodes_href, json=sent).status_code == 204
    expected = [
        {"status": "enabled", "ipAddress": "10.20.30.40", "privatePort": 8080},
        {"status": "disabled", "ipAddress": "10.20.30.41", "privatePort": 8081},
    ]
    assert api.get(nodes_href).json() == expected
    assert _listed(api)[0]["pools"][0]["nodes"] == expected
    # a node marked deleted leaves the list; [] empties it
    assert api.put(nodes_href, json=[*expected[:1], {**expected[1], "status": "deleted"}]).status_code == 204
    assert api.get(nodes_href).json() == expected[:1]
    assert api.put(nodes_href, json=[]).status_code == 204
    assert api.get(nodes_href).json() == []


def test_node_validation_names_the_item_and_changes_nothing(api):
    lb = _lb(api)
    pool = _pool(api, lb)
    nodes_href = rels(pool)["nodes"]["href"]
    kept = [{"status": "enabled", "ipAddress": "10.20.30.40", "privatePort": 80}]
    assert api.put(nodes_href, json=kept).status_code == 204
    bad = [
        {"ipAddress": "10.20.30.41", "privatePort": 80},
        {"ipAddress": "10.20.30.300", "privatePort": 0, "status": "gone"},
        "10.20.30.42",
        {"privatePort": 80},
    ]
    r = api.put(nodes_href, json=bad)
    assert r.status_code == 400
    assert set(r.json()["modelState"]) == {
        "body[1].ipAddress",
        "body[1].privatePort",
        "body[1].status",
        "body[2]",
        "body[3].ipAddress",
    }
    assert api.get(nodes_href).json() == kept
    for body in ({"ipAddress": "10.0.0.1", "privatePort": 80}, None):
        r = api.put(nodes_href, json=body)
        assert r.status_code == 400 and "message" in r.json()
    assert api.get(nodes_href).json() == kept


def test_unknown_load_balancer_and_pool_are_404(api):
    lb = _lb(api)
    for path in (
        f"{LBS}/WA1/0123456789abcdef0123456789abcdef",
        f"{LBS}/WA1/{lb['id']}/pools/0123456789abcdef0123456789abcdef",
        f"{LBS}/WA1/{lb['id']}/pools/0123456789abcdef0123456789abcdef/nodes",
    ):
        r = api.get(path)
        assert r.status_code == 404 and r.json() == {"message": "The requested resource does not exist."}
        assert api.put(path, json={"name": "x", "description": "y"} if "pools" not in path else []).status_code == 404


def test_ids_and_case(api):
    """Ids and data center are matched in any case; hrefs use the alias and data center in lower case."""
    lb = _lb(api)
    pool = _pool(api, lb)
    r = api.get(f"/v2/SharedLoadBalancers/alias/Wa1/{lb['id'].upper()}/Pools/{pool['id'].upper()}")
    assert r.status_code == 200 and r.json()["id"] == pool["id"]


def test_a_reset_removes_load_balancers_and_a_state_file_keeps_them(api, sb, new_sandbox, tmp_path):
    _lb(api)
    sb.reset()
    assert _listed(api) == []
    from sandbox_api import Api

    state = str(tmp_path / "state.sqlite")
    first = new_sandbox(state=state)
    lb = _lb(Api(first))
    first.stop()
    again = Api(new_sandbox(state=state))
    assert [x["id"] for x in _listed(again)] == [lb["id"]]
