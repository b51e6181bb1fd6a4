"""Servers: create, get (id / uuid), PATCH, delete, credentials, name generation."""

from __future__ import annotations

import re

import pytest
from sandbox_api import ALIAS, ARCHIVE_GROUP, DEFAULT_GROUP, ROOT, rels, server_body


def test_create_answers_202_with_lowercased_requested_name_and_links(api):
    r = api.post(f"/v2/servers/{ALIAS}", json=server_body(name="MySQL"))
    assert r.status_code == 202
    assert r.headers["content-type"] == "application/json; charset=utf-8"
    body = r.json()
    assert body["server"] == "mysql" and body["isQueued"] is True and "errorMessage" not in body
    links = rels(body)
    assert re.fullmatch(r"wa1-\d+", links["status"]["id"])
    assert links["status"]["href"] == f"/v2/operations/alias/status/{links['status']['id']}"
    assert re.fullmatch(r"[0-9a-f]{32}", links["self"]["id"])
    assert links["self"]["href"] == f"/v2/servers/ALIAS/{links['self']['id']}?uuid=True"
    assert links["self"]["verbs"] == ["GET"]


def test_create_self_link_echoes_alias_as_written(api):
    r = api.post("/v2/servers/alias", json=server_body())
    assert rels(r.json())["self"]["href"].startswith("/v2/servers/alias/")
    assert rels(r.json())["status"]["href"].startswith("/v2/operations/alias/status/")


def test_job_ids_increase_per_data_center(api):
    ids = []
    for _ in range(3):
        r = api.post(f"/v2/servers/{ALIAS}", json=server_body())
        ids.append(int(rels(r.json())["status"]["id"].split("-")[1]))
    assert ids == [ids[0], ids[0] + 1, ids[0] + 2]


def test_server_under_construction_then_active_with_details(api):
    r = api.post(f"/v2/servers/{ALIAS}", json=server_body(cpu=3, memoryGB=6))
    links = rels(r.json())
    building = api.get(links["self"]["href"]).json()
    assert building["status"] == "underConstruction" and "details" not in building
    assert [link["rel"] for link in building["links"]] == ["self", "group", "account", "billing"]
    assert rels(building)["self"]["verbs"] == ["GET", "PATCH"]
    # Reading the server never advances a polls-mode job.
    for _ in range(5):
        assert api.get(links["self"]["href"]).json()["status"] == "underConstruction"
    assert api.wait(links["status"]["href"]) == ["notStarted", "executing", "succeeded"]
    server = api.get(links["self"]["href"]).json()
    assert server["status"] == "active"
    d = server["details"]
    assert (d["cpu"], d["memoryMB"], d["powerState"], d["inMaintenanceMode"]) == (3, 6144, "started", False)
    assert d["hostName"] == server["id"] == "wa1aliasweb01" and server["name"] == "WA1ALIASWEB01"
    assert d["diskCount"] == 3 and d["storageGB"] == sum(x["sizeGB"] for x in d["disks"]) == 17
    assert [x["id"] for x in d["disks"]] == ["0:0", "0:1", "0:2"]
    assert all(x["partitionPaths"] == [] for x in d["disks"])
    assert d["ipAddresses"][0]["internal"].startswith("10.20.")
    assert server["locationId"] == "WA1" and server["os"] == "redHat6_64Bit" and server["isTemplate"] is False
    assert rels(server)["self"]["verbs"] == ["GET", "PATCH", "DELETE"]
    assert {"credentials", "publicIPAddresses", "statistics", "capabilities"} <= set(rels(server))
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", server["changeInfo"]["createdDate"])


def test_active_server_links_and_details_as_recorded(api):
    accepted = rels(api.post(f"/v2/servers/{ALIAS}", json=server_body()).json())
    uuid = accepted["self"]["id"]
    api.wait(accepted["status"]["href"])
    server = api.get(accepted["self"]["href"]).json()
    sid = server["id"]
    assert [(link["rel"], link.get("verbs", [])) for link in server["links"]] == [
        ("self", ["GET", "PATCH", "DELETE"]),
        ("group", []),
        ("account", []),
        ("billing", []),
        ("statistics", []),
        ("upcomingScheduledActivities", []),
        ("scheduledActivities", ["GET", "POST"]),
        ("publicIPAddresses", ["POST"]),
        ("alertPolicyMappings", ["POST"]),
        ("antiAffinityPolicyMapping", ["PUT", "DELETE"]),
        ("cpuAutoscalePolicyMapping", ["PUT", "DELETE"]),
        ("capabilities", []),
        ("credentials", []),
    ]
    # production named the server by its uuid in both scheduled-activity links
    links = rels(server)
    assert links["upcomingScheduledActivities"]["href"] == f"/v2/servers/alias/{uuid}/upcomingScheduledActivities"
    assert links["scheduledActivities"]["href"] == f"/v2/servers/alias/{uuid}/scheduledActivities"
    assert links["statistics"]["href"] == f"/v2/servers/alias/{sid}/statistics"
    assert list(server["details"]) == [
        "ipAddresses",
        "secondaryIPAddresses",
        "alertPolicies",
        "cpu",
        "diskCount",
        "hostName",
        "inMaintenanceMode",
        "memoryMB",
        "powerState",
        "storageGB",
        "disks",
        "partitions",
        "snapshots",
        "customFields",
    ]
    assert server["details"]["secondaryIPAddresses"] == []


def test_windows_template_builds_one_disk_and_administrator_credentials(api):
    server = api.create_server(sourceServerId="win2012r2dtc-64")
    assert server["details"]["storageGB"] == 60 and server["details"]["diskCount"] == 1
    creds = api.get(f"/v2/servers/{ALIAS}/{server['id']}/credentials").json()
    assert creds["userName"] == "Administrator"


def test_get_by_id_in_any_case_and_by_uuid_in_any_case(api):
    r = api.post(f"/v2/servers/{ALIAS}", json=server_body())
    uuid = rels(r.json())["self"]["id"]
    for flag in ("True", "true", "TRUE"):
        assert api.get(f"/v2/servers/{ALIAS}/{uuid}", params={"uuid": flag}).json()["id"] == "wa1aliasweb01"
    for sid in ("wa1aliasweb01", "WA1ALIASWEB01", "wa1ALIASweb01"):
        got = api.get(f"/v2/servers/alias/{sid}")
        assert got.status_code == 200 and got.json()["id"] == "wa1aliasweb01"
    # Without uuid=true the uuid is not a server id.
    assert api.get(f"/v2/servers/{ALIAS}/{uuid}").status_code == 404


def test_unknown_server_is_404_with_empty_body(api):
    for path in (
        f"/v2/servers/{ALIAS}/wa1aliasnope01",
        f"/v2/servers/{ALIAS}/{'0' * 32}?uuid=true",
        f"/v2/servers/{ALIAS}/wa1aliasnope01/credentials",
        f"/v2/servers/{ALIAS}/wa1aliasnope01/",  # as recorded with a trailing slash too
    ):
        r = api.get(path)
        assert r.status_code == 404 and r.content == b"" and r.headers["content-length"] == "0"


def test_name_counter_01_to_100_per_prefix(api):
    names = []
    for _ in range(100):
        r = api.post(f"/v2/servers/{ALIAS}", json=server_body(name="n"))
        assert r.status_code == 202
        names.append(api.get(rels(r.json())["self"]["href"]).json()["name"])
    assert names[:3] == ["WA1ALIASN01", "WA1ALIASN02", "WA1ALIASN03"]
    assert names[8:10] == ["WA1ALIASN09", "WA1ALIASN10"]
    assert names[98:] == ["WA1ALIASN99", "WA1ALIASN100"]
    # Another prefix has its own counter; the dash survives into the name.
    other = api.create_server(name="db-1", wait=False)
    assert other["name"] == "WA1ALIASDB-101"


def test_name_counter_is_never_reused_after_delete(api):
    first = api.create_server()
    r = api.delete(f"/v2/servers/{ALIAS}/{first['id']}")
    api.wait(rels(r.json())["status"]["href"])
    assert api.get(f"/v2/servers/{ALIAS}/{first['id']}").status_code == 404
    assert api.create_server()["name"] == "WA1ALIASWEB02"


def test_server_in_other_datacenter_gets_that_prefix(api):
    dc = api.get(f"/v2/datacenters/{ALIAS}/VA1?groupLinks=true").json()
    root = api.group(rels(dc)["group"]["id"])
    default = next(g for g in root["groups"] if g["name"] == "Default Group")
    net = api.get(f"/v2/datacenters/{ALIAS}/va1/deploymentCapabilities").json()["deployableNetworks"][0]
    server = api.create_server(groupId=default["id"], networkId=net["networkId"])
    assert server["name"] == "VA1ALIASWEB01" and server["locationId"] == "VA1"
    assert rels(api.post(f"/v2/operations/{ALIAS}/servers/reboot", json=[server["id"]]).json()[0])["status"][
        "id"
    ].startswith("va1-")


def test_patch_sync_members_answer_204(api):
    server = api.create_server()
    group = api.post(f"/v2/groups/{ALIAS}", json={"name": "Web", "parentGroupId": DEFAULT_GROUP}).json()
    r = api.patch(
        f"/v2/servers/{ALIAS}/{server['id']}",
        json=[
            {"op": "set", "member": "description", "value": "front"},
            {"op": "set", "member": "groupId", "value": group["id"]},
            {
                "op": "set",
                "member": "customFields",
                "value": [{"id": "856812f0ec374641862b2662761f9d70", "value": "ops"}],
            },
        ],
    )
    assert r.status_code == 204 and r.content == b""
    got = api.get(f"/v2/servers/{ALIAS}/{server['id']}").json()
    assert got["description"] == "front" and got["groupId"] == group["id"]
    assert got["details"]["customFields"] == [
        {"id": "856812f0ec374641862b2662761f9d70", "name": "Owner", "value": "ops", "displayValue": "ops"}
    ]


def test_patch_async_members_answer_202_and_apply_when_job_ends(api):
    server = api.create_server()
    r = api.patch(
        f"/v2/servers/{ALIAS}/{server['id']}",
        json=[
            {"op": "set", "member": "cpu", "value": "4"},
            {"op": "set", "member": "memory", "value": 8},
            {
                "op": "set",
                "member": "disks",
                "value": [
                    {"diskId": "0:0", "sizeGB": 1},
                    {"diskId": "0:1", "sizeGB": 2},
                    {"diskId": "0:2", "sizeGB": 20},
                    {"path": "/data", "sizeGB": 10, "type": "partitioned"},
                ],
            },
        ],
    )
    assert r.status_code == 202
    body = r.json()
    assert set(body) == {"rel", "href", "id"} and body["rel"] == "status"
    before = api.get(f"/v2/servers/{ALIAS}/{server['id']}").json()["details"]
    assert before["cpu"] == 2  # not applied before the job ends
    api.wait(body["href"])
    d = api.get(f"/v2/servers/{ALIAS}/{server['id']}").json()["details"]
    assert (d["cpu"], d["memoryMB"], d["storageGB"], d["diskCount"]) == (4, 8192, 33, 4)


def test_added_disks_skip_unit_7_and_never_reuse_a_unit(api):
    # recorded disk ids: ... 0:5, 0:6, 0:8 (unit 7 is the SCSI controller's); a removed disk's unit stays free
    raw = {"sizeGB": 1, "type": "raw"}
    server = api.create_server(additionalDisks=[raw] * 5)
    ids = [d["id"] for d in server["details"]["disks"]]
    assert ids == ["0:0", "0:1", "0:2", "0:3", "0:4", "0:5", "0:6", "0:8"]
    kept = [{"diskId": d["id"], "sizeGB": d["sizeGB"]} for d in server["details"]["disks"] if d["id"] != "0:8"]
    r = api.patch(f"/v2/servers/{ALIAS}/{server['id']}", json=[{"op": "set", "member": "disks", "value": [*kept, raw]}])
    assert r.status_code == 202, r.text
    api.wait(r.json()["href"])
    disks = api.get(f"/v2/servers/{ALIAS}/{server['id']}").json()["details"]["disks"]
    assert [d["id"] for d in disks] == [*ids[:-1], "0:9"]


def test_patch_mixed_members_answer_202_and_apply_sync_part_now(api):
    server = api.create_server()
    r = api.patch(
        f"/v2/servers/{ALIAS}/{server['id']}",
        json=[{"op": "set", "member": "description", "value": "now"}, {"op": "set", "member": "cpu", "value": 3}],
    )
    assert r.status_code == 202 and r.json()["rel"] == "status"
    assert api.get(f"/v2/servers/{ALIAS}/{server['id']}").json()["description"] == "now"


def test_patch_password_changes_credentials(api):
    server = api.create_server()
    path = f"/v2/servers/{ALIAS}/{server['id']}"
    r = api.patch(
        path, json=[{"op": "set", "member": "password", "value": {"current": "wrong", "password": "N3w!pass"}}]
    )
    assert r.status_code == 400 and "body.password.current" in r.json()["modelState"]
    r = api.patch(
        path, json=[{"op": "set", "member": "password", "value": {"current": "P@ssw0rd1", "password": "N3w!pass"}}]
    )
    assert r.status_code == 202
    api.wait(r.json()["href"])
    assert api.get(f"{path}/credentials").json() == {"userName": "root", "password": "N3w!pass"}


@pytest.mark.parametrize(
    "ops, field",
    [
        ([{"op": "set", "member": "cpu", "value": 17}], "body.cpu"),
        ([{"op": "set", "member": "cpu", "value": "lots"}], "body.cpu"),
        ([{"op": "set", "member": "memory", "value": 0}], "body.memory"),
        ([{"op": "set", "member": "memory", "value": 129}], "body.memory"),
        ([{"op": "set", "member": "groupId", "value": "f" * 32}], "body.groupId"),
        ([{"op": "set", "member": "groupId", "value": ARCHIVE_GROUP}], "body.groupId"),
        (
            [
                {
                    "op": "set",
                    "member": "disks",
                    "value": [
                        {"diskId": "0:0", "sizeGB": 1},
                        {"diskId": "0:1", "sizeGB": 2},
                        {"diskId": "0:2", "sizeGB": 10},
                    ],
                }
            ],
            "body.disks[2].sizeGB",
        ),
        ([{"op": "set", "member": "disks", "value": [{"diskId": "0:0", "sizeGB": 1}]}], "body.disks"),
        (
            [
                {
                    "op": "set",
                    "member": "disks",
                    "value": [
                        {"diskId": "0:0", "sizeGB": 1},
                        {"diskId": "0:1", "sizeGB": 2},
                        {"diskId": "0:2", "sizeGB": 1025},
                    ],
                }
            ],
            "body.disks[2].sizeGB",
        ),
        ([{"op": "set", "member": "customFields", "value": [{"id": "nope", "value": "x"}]}], "body.customFields[0].id"),
        ([{"op": "set", "member": "colour", "value": "red"}], "body[0].member"),
        ([{"op": "add", "member": "cpu", "value": 2}], "body[0].op"),
    ],
)
def test_patch_validation_names_the_field_and_changes_nothing(api, ops, field):
    server = api.create_server()
    path = f"/v2/servers/{ALIAS}/{server['id']}"
    r = api.patch(path, json=ops + [{"op": "set", "member": "description", "value": "changed"}])
    assert r.status_code == 400
    assert field in r.json()["modelState"], r.json()
    after = api.get(path).json()
    assert after["description"] == server["description"] and after["details"] == server["details"]


def test_patch_cpu_refused_while_a_snapshot_exists(api):
    server = api.create_server()
    r = api.post(
        f"/v2/operations/{ALIAS}/servers/createSnapshot",
        json={"snapshotExpirationDays": 3, "serverIds": [server["id"]]},
    )
    api.wait(r.json()[0]["links"][0]["href"])
    r = api.patch(f"/v2/servers/{ALIAS}/{server['id']}", json=[{"op": "set", "member": "cpu", "value": 4}])
    assert r.status_code == 400 and "" in r.json()["modelState"]


def test_patch_body_must_be_an_array_of_ops(api):
    server = api.create_server()
    r = api.patch(f"/v2/servers/{ALIAS}/{server['id']}", json="description")
    assert r.status_code == 400 and "modelState" in r.json()


def test_delete_server_queued_then_404_empty(api):
    server = api.create_server()
    r = api.delete(f"/v2/servers/{ALIAS}/{server['id'].upper()}")
    assert r.status_code == 202
    body = r.json()
    assert body["server"] == server["id"] and body["isQueued"] is True
    assert [link["rel"] for link in body["links"]] == ["status"]
    during = api.get(f"/v2/servers/{ALIAS}/{server['id']}").json()
    assert during["status"] == "queuedForDelete" and "details" not in during
    assert api.wait(body["links"][0]["href"])[-1] == "succeeded"
    gone = api.get(f"/v2/servers/{ALIAS}/{server['id']}")
    assert gone.status_code == 404 and gone.content == b""
    assert api.delete(f"/v2/servers/{ALIAS}/{server['id']}").status_code == 404


def test_credentials(api):
    server = api.create_server()
    r = api.get(f"/v2/servers/{ALIAS}/{server['id']}/credentials")
    assert r.status_code == 200 and r.json() == {"userName": "root", "password": "P@ssw0rd1"}


def test_password_is_generated_when_omitted(api):
    server = api.create_server(password=None)
    creds = api.get(f"/v2/servers/{ALIAS}/{server['id']}/credentials").json()
    assert len(creds["password"]) >= 8 and not set(creds["password"]) & set("\"';^&<>|`")


def test_group_defaults_fill_cpu_and_memory(api):
    api.post(f"/v2/groups/{ALIAS}/{DEFAULT_GROUP}/defaults", json={"cpu": "3", "memoryGB": "5"})
    server = api.create_server(cpu=None, memoryGB=None)
    assert (server["details"]["cpu"], server["details"]["memoryMB"]) == (3, 5120)


def test_clone_needs_the_source_password(api):
    source = api.create_server()
    r = api.post(f"/v2/servers/{ALIAS}", json=server_body(name="copy", sourceServerId=source["id"]))
    assert r.status_code == 400 and "body.sourceServerPassword" in r.json()["modelState"]
    clone = api.create_server(name="copy", sourceServerId=source["id"].upper(), sourceServerPassword="P@ssw0rd1")
    assert clone["os"] == source["os"] and clone["name"] == "WA1ALIASCOPY01"


def test_servers_in_root_group_are_counted(api):
    api.create_server(groupId=ROOT)
    assert api.group(ROOT)["serversCount"] == 1
