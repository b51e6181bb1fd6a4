"""Groups: tree, detailed mode, create (201 + Location), PATCH, delete (cascade), defaults, billing, archive."""

from __future__ import annotations

import pytest
from sandbox_api import ALIAS, ARCHIVE_GROUP, DEFAULT_GROUP, ROOT, TEMPLATES_GROUP, rels


def _create(api, name="Web", parent=DEFAULT_GROUP, **more):
    r = api.post(f"/v2/groups/{ALIAS}", json={"name": name, "parentGroupId": parent, **more})
    assert r.status_code == 201, r.text
    return r.json()


def test_root_group_links_and_system_children(api):
    root = api.group(ROOT)
    assert root["description"] == "WA1 Hardware" and root["status"] == "active"
    links = rels(root)
    assert "parentGroup" not in links and "archiveGroupAction" not in links
    assert links["self"]["verbs"] == ["GET", "PATCH"]
    assert {"createGroup", "createServer", "defaults", "billing", "statistics"} <= set(links)
    archive, default, templates = root["groups"]
    assert [rel for rel in rels(archive)] == ["self", "parentGroup", "defaults", "billing"]
    assert rels(archive)["self"]["verbs"] == ["GET", "PATCH"]
    assert rels(templates)["parentGroup"]["id"] == ROOT
    assert rels(default)["self"]["verbs"] == ["GET", "PATCH", "DELETE"]
    # production listed the archive action without verbs
    assert rels(default)["archiveGroupAction"] == {
        "rel": "archiveGroupAction",
        "href": f"/v2/groups/alias/{DEFAULT_GROUP}/archive",
    }
    assert set(root["changeInfo"]) == {"createdBy", "createdDate", "modifiedBy", "modifiedDate"}
    assert root["customFields"] == []


def test_subtree_is_recursive_sorted_and_counts_servers(api):
    b = _create(api, "beta")
    a = _create(api, "Alpha")
    inner = _create(api, "inner", parent=b["id"])
    api.create_server(groupId=inner["id"])
    api.create_server(groupId=DEFAULT_GROUP)
    root = api.group(ROOT)
    default = root["groups"][1]
    assert [g["name"] for g in default["groups"]] == ["Alpha", "beta"]
    assert default["groups"][1]["groups"][0]["id"] == inner["id"]
    assert root["serversCount"] == 2 and default["serversCount"] == 2
    assert default["groups"][1]["serversCount"] == 1 and default["groups"][0]["serversCount"] == 0
    assert a["groups"] == []
    # Non-detailed mode: one server link per direct server, id upper-case, href lower-case.
    server_links = [link for link in default["links"] if link["rel"] == "server"]
    assert server_links == [{"rel": "server", "href": "/v2/servers/alias/wa1aliasweb02", "id": "WA1ALIASWEB02"}]
    assert "servers" not in default


def test_detailed_mode_embeds_full_servers_without_server_links(api):
    api.create_server()
    root = api.group(ROOT, detailed=True)
    default = root["groups"][1]
    assert root["servers"] == []
    [server] = default["servers"]
    assert server["id"] == "wa1aliasweb01" and server["details"]["cpu"] == 2
    assert all(link["rel"] != "server" for link in default["links"])


def test_archived_servers_are_not_counted(api):
    server = api.create_server()
    r = api.post(f"/v2/operations/{ALIAS}/servers/archive", json=[server["id"]])
    api.wait(r.json()[0]["links"][0]["href"])
    root = api.group(ROOT, detailed=True)
    assert root["serversCount"] == 0
    archive = root["groups"][0]
    assert archive["serversCount"] == 0 and [s["id"] for s in archive["servers"]] == [server["id"]]


def test_detailed_listing_shows_archived_servers_with_power_state_and_storage_only(api):
    server = api.create_server()
    ip = api.post(f"/v2/servers/{ALIAS}/{server['id']}/publicIPAddresses", json={"ports": [{"protocol": "TCP"}]})
    api.wait(ip.json()["href"])
    r = api.post(f"/v2/operations/{ALIAS}/servers/archive", json=[server["id"]])
    api.wait(r.json()[0]["links"][0]["href"])
    [listed] = api.group(ARCHIVE_GROUP, detailed=True)["servers"]
    assert listed["status"] == "archived" and listed["details"] == {"powerState": "stopped", "storageGB": 17}
    assert [link["rel"] for link in listed["links"]] == ["self", "group", "account", "billing", "restore", "delete"]
    # Get Server itself still has the full details and its public IP link (as production's did)
    got = api.get(f"/v2/servers/{ALIAS}/{server['id']}").json()
    assert got["details"]["diskCount"] == 3 and "publicIPAddress" in rels(got)


def test_unknown_group_is_404_with_message(api):
    r = api.get(f"/v2/groups/{ALIAS}/{'f' * 32}")
    assert r.status_code == 404 and r.json() == {"message": "The requested resource does not exist."}


def test_create_group_201_location_and_shape(api):
    r = api.post(f"/v2/groups/{ALIAS}", json={"name": "batch", "parentGroupId": DEFAULT_GROUP})
    assert r.status_code == 201
    body = r.json()
    assert r.headers["location"] == f"/v2/groups/alias/{body['id']}"
    assert "description" not in body and "serversCount" not in body and body["groups"] == []
    assert body["locationId"] == "WA1" and body["type"] == "default" and body["status"] == "active"
    assert rels(body)["parentGroup"]["id"] == DEFAULT_GROUP
    assert api.group(body["id"])["name"] == "batch"


def test_create_group_form_encoded_as_the_python_sdk_sends_it(api):
    r = api.post(
        f"/v2/groups/{ALIAS}", data={"name": "formed", "description": "by form", "parentGroupId": DEFAULT_GROUP}
    )
    assert r.status_code == 201 and r.json()["description"] == "by form"


def test_create_group_with_custom_fields(api):
    body = _create(api, customFields=[{"id": "856812f0ec374641862b2662761f9d70", "value": "me"}])
    assert body["customFields"][0]["displayValue"] == "me"


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"parentGroupId": DEFAULT_GROUP}, "body.name"),
        ({"name": "  ", "parentGroupId": DEFAULT_GROUP}, "body.name"),
        ({"name": "x"}, "body.parentGroupId"),
        ({"name": "x", "parentGroupId": "f" * 32}, "body.parentGroupId"),
        ({"name": "x", "parentGroupId": ARCHIVE_GROUP}, "body.parentGroupId"),
        ({"name": "x", "parentGroupId": DEFAULT_GROUP, "customFields": [{"id": "nope"}]}, "body.customFields[0].id"),
    ],
)
def test_create_group_validation(api, payload, field):
    before = api.group(ROOT)
    r = api.post(f"/v2/groups/{ALIAS}", json=payload)
    assert r.status_code == 400 and field in r.json()["modelState"], r.text
    assert api.group(ROOT) == before


def test_patch_group_members(api):
    g = _create(api)
    other = _create(api, "Other")
    r = api.patch(
        f"/v2/groups/{ALIAS}/{g['id']}",
        json=[
            {"op": "set", "member": "name", "value": "Web Tier"},
            {"op": "set", "member": "description", "value": "front-end servers"},
            {"op": "set", "member": "parentGroupId", "value": other["id"]},
            {
                "op": "set",
                "member": "customFields",
                "value": [{"id": "22f002123e3b46d9a8b38ecd4c6df7f9", "value": "silver"}],
            },
        ],
    )
    assert r.status_code == 204 and r.content == b""
    got = api.group(g["id"])
    assert (got["name"], got["description"]) == ("Web Tier", "front-end servers")
    assert rels(got)["parentGroup"]["id"] == other["id"]
    assert got["customFields"][0]["displayValue"] == "Silver"


@pytest.mark.parametrize(
    "member, value, field",
    [
        ("name", "", "body.name"),
        ("parentGroupId", "f" * 32, "body.parentGroupId"),
        ("parentGroupId", ARCHIVE_GROUP, "body.parentGroupId"),
        ("colour", "red", "body[0].member"),
    ],
)
def test_patch_group_validation(api, member, value, field):
    g = _create(api)
    r = api.patch(f"/v2/groups/{ALIAS}/{g['id']}", json=[{"op": "set", "member": member, "value": value}])
    assert r.status_code == 400 and field in r.json()["modelState"], r.text
    assert api.group(g["id"])["name"] == "Web"


def test_group_cannot_move_under_its_own_descendant(api):
    g = _create(api)
    child = _create(api, "child", parent=g["id"])
    r = api.patch(
        f"/v2/groups/{ALIAS}/{g['id']}", json=[{"op": "set", "member": "parentGroupId", "value": child["id"]}]
    )
    assert r.status_code == 400 and "body.parentGroupId" in r.json()["modelState"]


def test_group_in_another_datacenter_is_not_a_valid_parent(api):
    va1_root = rels(api.get(f"/v2/datacenters/{ALIAS}/va1?groupLinks=true").json())["group"]["id"]
    g = _create(api)
    r = api.patch(f"/v2/groups/{ALIAS}/{g['id']}", json=[{"op": "set", "member": "parentGroupId", "value": va1_root}])
    assert r.status_code == 400


def test_delete_group_cascades_when_the_job_ends(api):
    g = _create(api)
    child = _create(api, "child", parent=g["id"])
    server = api.create_server(groupId=child["id"])
    r = api.delete(f"/v2/groups/{ALIAS}/{g['id']}")
    assert r.status_code == 202
    link = r.json()
    assert link["rel"] == "status" and link["href"] == f"/v2/operations/alias/status/{link['id']}"
    assert api.get(f"/v2/groups/{ALIAS}/{child['id']}").status_code == 200  # still there while queued
    assert api.wait(link["href"])[-1] == "succeeded"
    for gid in (g["id"], child["id"]):
        assert api.get(f"/v2/groups/{ALIAS}/{gid}").status_code == 404
    assert api.get(f"/v2/servers/{ALIAS}/{server['id']}").status_code == 404


@pytest.mark.parametrize("gid", [ROOT, ARCHIVE_GROUP, TEMPLATES_GROUP, DEFAULT_GROUP])
def test_permanent_groups_cannot_be_deleted(api, gid):
    r = api.delete(f"/v2/groups/{ALIAS}/{gid}")
    assert r.status_code == 400 and r.json()["message"]
    assert api.get(f"/v2/groups/{ALIAS}/{gid}").status_code == 200


def test_defaults_get_post_and_inheritance(api):
    empty = api.get(f"/v2/groups/{ALIAS}/{DEFAULT_GROUP}/defaults").json()
    assert empty["cpu"] == {"inherited": False} and empty["primaryDns"]["inherited"] is True
    r = api.post(
        f"/v2/groups/{ALIAS}/{DEFAULT_GROUP}/defaults",
        json={"cpu": "2", "memoryGB": 4, "templateName": "centos-6-64-template", "primaryDns": "10.0.0.2"},
    )
    assert r.status_code == 200
    assert r.json()["cpu"] == {"value": 2, "inherited": False}
    assert r.json()["templateName"] == {"value": "CENTOS-6-64-TEMPLATE", "inherited": False}
    child = _create(api)
    inherited = api.get(f"/v2/groups/{ALIAS}/{child['id']}/defaults").json()
    assert inherited["cpu"] == {"value": 2, "inherited": True}
    assert inherited["networkId"] == {"inherited": False}


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"cpu": 17}, "body.cpu"),
        ({"memoryGB": 0}, "body.memoryGB"),
        ({"networkId": "nope"}, "body.networkId"),
        ({"primaryDns": "x"}, "body.primaryDns"),
        ({"templateName": "NOPE"}, "body.templateName"),
    ],
)
def test_defaults_validation(api, payload, field):
    r = api.post(f"/v2/groups/{ALIAS}/{DEFAULT_GROUP}/defaults", json=payload)
    assert r.status_code == 400 and field in r.json()["modelState"]
    assert api.get(f"/v2/groups/{ALIAS}/{DEFAULT_GROUP}/defaults").json()["cpu"] == {"inherited": False}


def test_billing_is_keyed_by_group_then_server(api):
    g = _create(api)
    server = api.create_server(groupId=g["id"])
    r = api.get(f"/v2/groups/{ALIAS}/{DEFAULT_GROUP}/billing")
    assert r.status_code == 200
    body = r.json()
    assert list(body["groups"])[:2] == [DEFAULT_GROUP, g["id"]]
    costs = body["groups"][g["id"]]["servers"][server["id"]]
    assert set(costs) == {"templateCost", "archiveCost", "monthlyEstimate", "monthToDate", "currentHour"}
    assert costs["monthlyEstimate"] > 0 and costs["currentHour"] > 0
    assert body["groups"][DEFAULT_GROUP] == {"name": "Default Group", "servers": {}}


def test_archive_group_moves_its_servers_to_archive(api):
    g = _create(api)
    server = api.create_server(groupId=g["id"])
    r = api.post(f"/v2/groups/{ALIAS}/{g['id']}/archive")
    assert r.status_code == 202 and r.json()["rel"] == "status"
    api.wait(r.json()["href"])
    got = api.get(f"/v2/servers/{ALIAS}/{server['id']}").json()
    assert got["status"] == "archived" and got["groupId"] == ARCHIVE_GROUP
