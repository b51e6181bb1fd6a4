"""The detailed group read answers from encoded parts it keeps (the last answer for an unchanged store, each
server's representation while its row is unchanged): the answer must always be what a fresh read would
give. Every kind of change a server or a tree can go through is made here, and the tree read right after."""

from __future__ import annotations

import json

import pytest
from sandbox_api import ALIAS, DEFAULT_GROUP, ROOT, rels, status_id, walk_groups

from clc_notebook.sandbox.common import encode, encode_with


def embedded(api, group: str = ROOT) -> dict[str, dict]:
    """Every server embedded in a detailed read of `group`, by id."""
    return {s["id"]: s for g in walk_groups(api.group(group, detailed=True)) for s in g.get("servers", [])}


def assert_tree_matches_server_reads(api, group: str = ROOT) -> dict[str, dict]:
    """The detailed tree embeds exactly what Get Server answers for each server."""
    servers = embedded(api, group)
    for sid, shown in servers.items():
        full = api.ok_json("GET", f"/v2/servers/{ALIAS}/{sid}")
        if full["status"] == "archived":  # as recorded: a listing shows an archived server's power and storage only
            details = {key: full["details"][key] for key in ("powerState", "storageGB")}
            assert shown["details"] == details, sid
            shown, full = {**shown, "details": None}, {**full, "details": None}
        assert shown == full, sid
    return servers


def test_the_answer_is_compact_json_as_every_other_answer(api):
    api.create_server()
    for detailed in (True, False):
        r = api.get(f"/v2/groups/{ALIAS}/{ROOT}", params={"serverDetail": "detailed"} if detailed else None)
        assert r.headers["content-type"] == "application/json; charset=utf-8"
        assert r.content == encode(json.loads(r.content))


def test_encode_with_is_encode_with_parts_spliced_in():
    obj = {"a": 1, "groups": [], "b": 'é"', "servers": [], "links": [{"rel": "x"}], "z": None}
    parts = {"groups": encode([{"id": 1}]), "servers": encode([{"n": [1, 2]}])}
    assert encode_with(obj, parts) == encode({**obj, "groups": [{"id": 1}], "servers": [{"n": [1, 2]}]})
    assert encode_with({}, {}) == b"{}" and encode_with({"groups": []}, parts) == encode({"groups": [{"id": 1}]})


def test_every_change_shows_in_the_next_detailed_read(api):
    """Each step changes something a cached answer holds; the tree read right after must show it."""
    a = api.create_server()["id"]
    b = api.create_server(name="db")["id"]
    assert set(assert_tree_matches_server_reads(api)) == {a, b}

    # a synchronous PATCH (description) and a job's effect (power state)
    ops = [{"op": "set", "member": "description", "value": "changed"}]
    assert api.patch(f"/v2/servers/{ALIAS}/{a}", json=ops).status_code == 204
    assert embedded(api)[a]["description"] == "changed"
    job = status_id(api.ok_json("POST", f"/v2/operations/{ALIAS}/servers/powerOff", json=[a])[0])
    assert embedded(api)[a]["details"]["powerState"] == "started"  # not read to its end yet (polls mode)
    assert api.wait_job(job) == "succeeded"
    assert embedded(api)[a]["details"]["powerState"] == "stopped"

    # an add-on's rows (public IP): the server row itself is unchanged
    ip_job = api.ok_json(
        "POST", f"/v2/servers/{ALIAS}/{b}/publicIPAddresses", json={"ports": [{"protocol": "TCP", "port": 80}]}
    )
    assert api.wait_job(ip_job["id"]) == "succeeded"
    shown = assert_tree_matches_server_reads(api)[b]
    assert any("public" in address for address in shown["details"]["ipAddresses"])
    assert "publicIPAddress" in rels(shown)

    # a change without a modifiedDate stamp (queued for delete), then the delete itself
    deleting = api.delete(f"/v2/servers/{ALIAS}/{b}").json()
    assert embedded(api)[b]["status"] == "queuedForDelete"
    assert api.wait_job(status_id(deleting)) == "succeeded"
    assert b not in embedded(api)

    # the tree itself: a new group, a rename, a move of the server, the counts
    group = api.ok_json("POST", f"/v2/groups/{ALIAS}", json={"name": "Web", "parentGroupId": DEFAULT_GROUP})
    patch = [{"op": "set", "member": "groupId", "value": group["id"]}]
    assert api.patch(f"/v2/servers/{ALIAS}/{a}", json=patch).status_code == 204
    rename = [{"op": "set", "member": "name", "value": "Front"}]
    assert api.patch(f"/v2/groups/{ALIAS}/{group['id']}", json=rename).status_code == 204
    tree = api.group(ROOT, detailed=True)
    front = next(g for g in walk_groups(tree) if g["id"] == group["id"])
    assert front["name"] == "Front" and [s["id"] for s in front["servers"]] == [a] and front["serversCount"] == 1
    assert embedded(api, group["id"]) == {a: embedded(api)[a]}

    # archived: moved and shown without cpu, not counted
    job = status_id(api.ok_json("POST", f"/v2/operations/{ALIAS}/servers/archive", json=[a])[0])
    assert api.wait_job(job) == "succeeded"
    tree = api.group(ROOT, detailed=True)
    assert tree["serversCount"] == 0 and embedded(api)[a]["status"] == "archived"
    assert_tree_matches_server_reads(api)


def test_a_server_built_again_under_the_same_name_is_shown_anew(sb, api):
    """After a reset the same name (and id) comes back with other contents: never the old representation."""
    first = api.create_server(description="first")
    assert embedded(api)[first["id"]]["description"] == "first"
    sb.reset()
    second = api.create_server(description="second", cpu=1)
    assert second["id"] == first["id"]
    shown = assert_tree_matches_server_reads(api)[second["id"]]
    assert shown["description"] == "second" and shown["details"]["cpu"] == 1


@pytest.mark.parametrize("detailed", [True, False])
def test_a_subgroup_read_shows_only_its_subtree(api, detailed):
    inner = api.ok_json("POST", f"/v2/groups/{ALIAS}", json={"name": "Inner", "parentGroupId": DEFAULT_GROUP})
    api.create_server(groupId=inner["id"])
    outside = api.create_server(name="db")["id"]
    tree = api.group(inner["id"], detailed=detailed)
    assert tree["serversCount"] == 1
    shown = [s["id"] for g in walk_groups(tree) for s in g.get("servers", [])]
    links = [link["id"].lower() for g in walk_groups(tree) for link in g["links"] if link["rel"] == "server"]
    assert outside not in shown + links and len(shown if detailed else links) == 1
