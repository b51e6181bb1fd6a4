"""Batch operations (bare array body, 200 + per-server array), power states, archive, snapshots, public IPs."""

from __future__ import annotations

import pytest
from sandbox_api import ALIAS, ARCHIVE_GROUP, DEFAULT_GROUP, rels

NOT_QUEUED = "The operation cannot be queued because the server cannot be found or it is not in a valid state."
ALREADY = "The server already in desired state."


def _op(api, op, ids):
    r = api.post(f"/v2/operations/{ALIAS}/servers/{op}", json=ids)
    assert r.status_code == 200, r.text
    return r.json()


def _run(api, op, sid) -> dict:
    [item] = _op(api, op, [sid])
    assert item["isQueued"] is True, item
    assert api.wait(item["links"][0]["href"])[-1] == "succeeded"
    return api.get(f"/v2/servers/{ALIAS}/{sid}").json()["details"]


def test_power_cycle_through_every_state(api):
    sid = api.create_server()["id"]
    assert _run(api, "pause", sid)["powerState"] == "paused"
    assert _run(api, "powerOn", sid)["powerState"] == "started"
    assert _run(api, "shutDown", sid)["powerState"] == "stopped"
    assert _run(api, "powerOn", sid)["powerState"] == "started"
    assert _run(api, "powerOff", sid)["powerState"] == "stopped"
    assert _run(api, "powerOn", sid)["powerState"] == "started"
    assert _run(api, "reboot", sid)["powerState"] == "started"
    assert _run(api, "reset", sid)["powerState"] == "started"
    assert _run(api, "pause", sid)["powerState"] == "paused"
    assert _run(api, "powerOff", sid)["powerState"] == "stopped"


def test_reboot_of_a_paused_server_starts_it(api):
    # production queued it (the recordings: a paused server read `started` after the reboot)
    sid = api.create_server()["id"]
    assert _run(api, "pause", sid)["powerState"] == "paused"
    assert _run(api, "reboot", sid)["powerState"] == "started"


def test_power_state_changes_only_when_the_job_ends(api):
    sid = api.create_server()["id"]
    [item] = _op(api, "powerOff", [sid])
    assert api.get(f"/v2/servers/{ALIAS}/{sid}").json()["details"]["powerState"] == "started"
    api.wait(item["links"][0]["href"])
    assert api.get(f"/v2/servers/{ALIAS}/{sid}").json()["details"]["powerState"] == "stopped"


@pytest.mark.parametrize(
    "setup, op, message",
    [
        ([], "powerOn", ALREADY),
        (["powerOff"], "powerOff", ALREADY),
        (["shutDown"], "shutDown", ALREADY),
        (["pause"], "pause", ALREADY),
        (["powerOff"], "reboot", NOT_QUEUED),
        (["powerOff"], "reset", NOT_QUEUED),
        (["powerOff"], "pause", NOT_QUEUED),
        (["pause"], "shutDown", NOT_QUEUED),
        ([], "stopMaintenance", ALREADY),
        (["startMaintenance"], "startMaintenance", ALREADY),
    ],
)
def test_invalid_or_redundant_requests_are_not_queued(api, setup, op, message):
    sid = api.create_server()["id"]
    for step in setup:
        _run(api, step, sid)
    [item] = _op(api, op, [sid.upper()])
    assert item == {"server": sid, "isQueued": False, "errorMessage": message}


def test_maintenance_mode_toggles(api):
    sid = api.create_server()["id"]
    assert _run(api, "startMaintenance", sid)["inMaintenanceMode"] is True
    assert _run(api, "stopMaintenance", sid)["inMaintenanceMode"] is False


def test_set_maintenance_with_string_flags(api):
    sid = api.create_server()["id"]
    r = api.post(
        f"/v2/operations/{ALIAS}/servers/setMaintenance", json={"servers": [{"id": sid, "inMaintenanceMode": "true"}]}
    )
    [item] = r.json()
    api.wait(item["links"][0]["href"])
    assert api.get(f"/v2/servers/{ALIAS}/{sid}").json()["details"]["inMaintenanceMode"] is True


def _by_server(items: list[dict]) -> dict[str, dict]:
    return {item["server"]: item for item in items}


def test_one_item_per_server_with_unknown_and_building_servers(api):
    ready = api.create_server()["id"]
    building = api.create_server(wait=False)["id"]
    items = _by_server(_op(api, "reboot", ["WA1ALIASNOPE01", ready, building]))
    assert set(items) == {"wa1aliasnope01", ready, building}
    assert items["wa1aliasnope01"] == {"server": "wa1aliasnope01", "isQueued": False, "errorMessage": NOT_QUEUED}
    assert items[building] == {"server": building, "isQueued": False, "errorMessage": NOT_QUEUED}
    assert items[ready]["isQueued"] is True and items[ready]["links"][0]["rel"] == "status"
    assert "errorMessage" not in items[ready]


def test_a_batch_is_one_job_shared_by_every_queued_server(sandbox, api):
    # production answered every item of a request with the same status id (recorded 20 of 20 times)
    ids = [api.create_server()["id"] for _ in range(3)]
    items = _op(api, "powerOff", ids)
    links = {item["links"][0]["id"] for item in items}
    assert len(links) == 1 and {item["server"] for item in items} == set(ids)
    [job] = [j for j in sandbox.jobs() if j["id"] in links]
    assert job["kind"] == "powerOff" and sorted(job["targets"]) == sorted(ids)
    # nothing changes until that one job ends; then every server has changed
    assert {api.get(f"/v2/servers/{ALIAS}/{sid}").json()["details"]["powerState"] for sid in ids} == {"started"}
    assert api.wait(items[0]["links"][0]["href"])[-1] == "succeeded"
    assert {api.get(f"/v2/servers/{ALIAS}/{sid}").json()["details"]["powerState"] for sid in ids} == {"stopped"}


def test_a_server_named_twice_is_answered_once(api):
    # recorded: a reboot of 16 ids (8 servers, each twice) was answered with 8 items
    a, b = api.create_server()["id"], api.create_server()["id"]
    items = _op(api, "reboot", [a, b.upper(), a.upper(), b])
    assert sorted(item["server"] for item in items) == sorted([a, b])


def test_answers_are_not_in_request_order_but_reproducible(sandbox, api):
    # recorded: 19 of 20 multi-server answers came in another order than the request's; here the order
    # is drawn from the sandbox's seed (a rerun answers the same), and is never the request's
    def order(op: str, ids: list[str]) -> list[str]:
        return [item["server"] for item in _op(api, op, ids)]

    ids = [api.create_server()["id"] for _ in range(4)]
    first = order("startMaintenance", ids)
    assert sorted(first) == sorted(ids) and first != ids
    assert order("pause", ids[::-1]) != ids[::-1]
    assert order("reboot", ids[:2]) == ids[1::-1]  # two servers: always the other way round
    sandbox.reset(servers=0, groups=0, datacenters=3)
    assert [api.create_server()["id"] for _ in range(4)] == ids
    assert order("startMaintenance", ids) == first  # the same request on the same state: the same order


def test_set_maintenance_is_one_job_for_both_directions(sandbox, api):
    on, off = api.create_server()["id"], api.create_server()["id"]
    _run(api, "startMaintenance", off)
    body = {"servers": [{"id": on, "inMaintenanceMode": True}, {"id": off, "inMaintenanceMode": False}]}
    items = api.post(f"/v2/operations/{ALIAS}/servers/setMaintenance", json=body).json()
    assert len({item["links"][0]["id"] for item in items}) == 1
    api.wait(items[0]["links"][0]["href"])
    assert api.get(f"/v2/servers/{ALIAS}/{on}").json()["details"]["inMaintenanceMode"] is True
    assert api.get(f"/v2/servers/{ALIAS}/{off}").json()["details"]["inMaintenanceMode"] is False


def test_operation_body_must_be_a_bare_array(api):
    r = api.post(f"/v2/operations/{ALIAS}/servers/reboot", json="wa1aliasweb01")
    assert r.status_code == 400 and "modelState" in r.json()
    r = api.post(f"/v2/operations/{ALIAS}/servers/reboot", json=[1, 2])
    assert r.status_code == 400 and "body[0]" in r.json()["modelState"]


def test_unknown_operation_is_404(api):
    assert api.post(f"/v2/operations/{ALIAS}/servers/explode", json=[]).status_code == 404


def test_operation_name_in_any_case(api):
    sid = api.create_server()["id"]
    r = api.post(f"/v2/operations/{ALIAS}/servers/POWEROFF", json=[sid])
    assert r.status_code == 200 and r.json()[0]["isQueued"] is True


def test_archive_moves_to_archive_group(api):
    sid = api.create_server()["id"]
    [item] = _op(api, "archive", [sid])
    api.wait(item["links"][0]["href"])
    server = api.get(f"/v2/servers/{ALIAS}/{sid}").json()
    assert server["status"] == "archived" and server["groupId"] == ARCHIVE_GROUP
    d = server["details"]
    assert (d["cpu"], d["memoryMB"], d["hostName"], d["powerState"]) == (0, 0, "", "stopped")
    assert [link["rel"] for link in server["links"]] == ["self", "group", "account", "billing", "restore", "delete"]
    assert rels(server)["self"]["verbs"] == ["GET", "PATCH"]
    assert _op(api, "archive", [sid])[0]["errorMessage"] == ALREADY
    assert _op(api, "powerOn", [sid])[0]["errorMessage"] == NOT_QUEUED


def test_restore_archived_server(api):
    sid = api.create_server()["id"]
    [item] = _op(api, "archive", [sid])
    api.wait(item["links"][0]["href"])
    r = api.post(f"/v2/servers/{ALIAS}/{sid}/restore", json={"targetGroupId": DEFAULT_GROUP})
    assert r.status_code == 202 and r.json()["rel"] == "status"
    during = api.get(f"/v2/servers/{ALIAS}/{sid}").json()
    assert during["status"] == "queuedForRestore" and set(during["details"]) == {"powerState", "storageGB"}
    api.wait(r.json()["href"])
    after = api.get(f"/v2/servers/{ALIAS}/{sid}").json()
    assert after["status"] == "active" and after["groupId"] == DEFAULT_GROUP
    assert after["details"]["powerState"] == "started"


def test_restore_brings_back_the_power_state_of_before_the_archive(api):
    # recorded: of 8 servers restored together, the 2 that were stopped came back stopped
    sid = api.create_server()["id"]
    _run(api, "powerOff", sid)
    [item] = _op(api, "archive", [sid])
    api.wait(item["links"][0]["href"])
    assert api.get(f"/v2/servers/{ALIAS}/{sid}").json()["details"]["powerState"] == "stopped"
    r = api.post(f"/v2/servers/{ALIAS}/{sid}/restore", json={"targetGroupId": DEFAULT_GROUP})
    api.wait(r.json()["href"])
    after = api.get(f"/v2/servers/{ALIAS}/{sid}").json()
    assert after["status"] == "active" and after["details"]["powerState"] == "stopped"


def test_managed_server_cannot_be_archived(api):
    sid = api.create_server(isManagedOS=True)["id"]
    assert _op(api, "archive", [sid])[0]["errorMessage"] == NOT_QUEUED


def test_create_snapshot_then_delete_and_revert(api):
    sid = api.create_server()["id"]
    r = api.post(
        f"/v2/operations/{ALIAS}/servers/createSnapshot", json={"snapshotExpirationDays": "7", "serverIds": [sid]}
    )
    assert r.status_code == 200
    [item] = r.json()
    api.wait(item["links"][0]["href"])
    [snap] = api.get(f"/v2/servers/{ALIAS}/{sid}").json()["details"]["snapshots"]
    assert len(snap["name"]) == len("2015-06-18.09:19:36")
    links = rels(snap)
    assert links["self"]["href"] == f"/v2/servers/alias/{sid}/snapshots/1"
    assert links["restore"]["href"].endswith("/snapshots/1/restore")
    # One snapshot per server.
    again = api.post(
        f"/v2/operations/{ALIAS}/servers/createSnapshot", json={"snapshotExpirationDays": 1, "serverIds": [sid]}
    ).json()
    assert again[0]["isQueued"] is False
    r = api.post(f"/v2/servers/{ALIAS}/{sid}/snapshots/1/restore", json={})
    assert r.status_code == 200 and r.json()["rel"] == "status"
    r = api.delete(f"/v2/servers/{ALIAS}/{sid}/snapshots/1")
    assert r.status_code == 200
    api.wait(r.json()["href"])
    assert api.get(f"/v2/servers/{ALIAS}/{sid}").json()["details"]["snapshots"] == []
    assert api.delete(f"/v2/servers/{ALIAS}/{sid}/snapshots/1").status_code == 404


def test_create_snapshot_form_encoded_as_the_python_sdk_sends_it(api):
    sid = api.create_server()["id"]
    r = api.post(
        f"/v2/operations/{ALIAS}/servers/createSnapshot", data={"serverIds": sid, "snapshotExpirationDays": "5"}
    )
    assert r.status_code == 200 and r.json()[0]["isQueued"] is True


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"snapshotExpirationDays": 0, "serverIds": ["x"]}, "body.snapshotExpirationDays"),
        ({"snapshotExpirationDays": 11, "serverIds": ["x"]}, "body.snapshotExpirationDays"),
        ({"serverIds": ["x"]}, "body.snapshotExpirationDays"),
        ({"snapshotExpirationDays": 2}, "body.serverIds"),
    ],
)
def test_create_snapshot_validation(api, payload, field):
    r = api.post(f"/v2/operations/{ALIAS}/servers/createSnapshot", json=payload)
    assert r.status_code == 400 and field in r.json()["modelState"]


def test_execute_package_is_queued(api):
    sid = api.create_server()["id"]
    r = api.post(
        f"/v2/operations/{ALIAS}/servers/executePackage",
        json={"servers": [sid], "package": {"packageId": "a" * 32, "parameters": {}}},
    )
    assert r.status_code == 200 and r.json()[0]["isQueued"] is True


def test_public_ip_add_get_update_delete(api):
    sid = api.create_server()["id"]
    primary = api.get(f"/v2/servers/{ALIAS}/{sid}").json()["details"]["ipAddresses"][0]["internal"]
    base = f"/v2/servers/{ALIAS}/{sid}/publicIPAddresses"
    r = api.post(
        base,
        json={
            "ports": [{"protocol": "tcp", "port": "443"}, {"protocol": "TCP", "port": 8080, "portTo": 8081}],
            "sourceRestrictions": [{"cidr": "70.100.60.140/32"}],
        },
    )
    assert r.status_code == 202 and r.json()["rel"] == "status"
    api.wait(r.json()["href"])
    server = api.get(f"/v2/servers/{ALIAS}/{sid}").json()
    # without internalIPAddress, production claimed a new private address for the public IP
    own, entry = server["details"]["ipAddresses"]
    assert own == {"internal": primary} and list(entry) == ["public", "internal"] and entry["internal"] != primary
    ip = entry["public"]
    link = rels(server)["publicIPAddress"]
    assert link["id"] == ip and link["verbs"] == ["GET", "PUT", "DELETE"]
    got = api.get(f"{base}/{ip}")
    assert got.status_code == 200
    assert got.json() == {
        "internalIPAddress": entry["internal"],
        "ports": [{"protocol": "TCP", "port": 443}, {"protocol": "TCP", "port": 8080, "portTo": 8081}],
        "sourceRestrictions": [{"cidr": "70.100.60.140/32"}],
    }
    r = api.put(f"{base}/{ip}", json={"ports": [{"protocol": "UDP", "port": 53}]})
    assert r.status_code == 202
    api.wait(r.json()["href"])
    assert api.get(f"{base}/{ip}").json()["ports"] == [{"protocol": "UDP", "port": 53}]
    r = api.delete(f"{base}/{ip}")
    assert r.status_code == 202
    api.wait(r.json()["href"])
    assert api.get(f"{base}/{ip}").status_code == 404
    # the claimed private address stays the server's (recorded)
    addresses = api.get(f"/v2/servers/{ALIAS}/{sid}").json()["details"]["ipAddresses"]
    assert addresses == [{"internal": primary}, {"internal": entry["internal"]}]


def test_public_ip_on_a_named_private_address_claims_nothing(api):
    sid = api.create_server()["id"]
    primary = api.get(f"/v2/servers/{ALIAS}/{sid}").json()["details"]["ipAddresses"][0]["internal"]
    base = f"/v2/servers/{ALIAS}/{sid}/publicIPAddresses"
    ports = {"ports": [{"protocol": "TCP", "port": 80}]}
    api.wait(api.post(base, json={**ports, "internalIPAddress": primary}).json()["href"])
    [entry] = api.get(f"/v2/servers/{ALIAS}/{sid}").json()["details"]["ipAddresses"]
    assert entry["internal"] == primary and entry["public"]
    api.wait(api.post(base, json=ports).json()["href"])  # a second one, on a new private address
    addresses = api.get(f"/v2/servers/{ALIAS}/{sid}").json()["details"]["ipAddresses"]
    assert len(addresses) == 2 and len({a["internal"] for a in addresses}) == 2


def test_an_archived_server_keeps_its_public_ip_links(api):
    sid = api.create_server()["id"]
    api.wait(
        api.post(
            f"/v2/servers/{ALIAS}/{sid}/publicIPAddresses", json={"ports": [{"protocol": "TCP", "port": 80}]}
        ).json()["href"]
    )
    [item] = _op(api, "archive", [sid])
    api.wait(item["links"][0]["href"])
    server = api.get(f"/v2/servers/{ALIAS}/{sid}").json()
    rel_list = [link["rel"] for link in server["links"]]
    assert rel_list == ["self", "group", "account", "billing", "restore", "delete", "publicIPAddress"]


@pytest.mark.parametrize(
    "payload, field",
    [
        ({}, "body.ports"),
        ({"ports": []}, "body.ports"),
        ({"ports": [{"protocol": "SCTP", "port": 1}]}, "body.ports[0].protocol"),
        ({"ports": [{"protocol": "TCP", "port": 70000}]}, "body.ports[0].port"),
        ({"ports": [{"protocol": "TCP", "port": 90, "portTo": 80}]}, "body.ports[0].portTo"),
        (
            {"ports": [{"protocol": "TCP", "port": 80}], "sourceRestrictions": [{"cidr": "nope"}]},
            "body.sourceRestrictions[0].cidr",
        ),
        ({"ports": [{"protocol": "TCP", "port": 80}], "internalIPAddress": "1.2.3.4"}, "body.internalIPAddress"),
    ],
)
def test_public_ip_validation(api, payload, field):
    sid = api.create_server()["id"]
    r = api.post(f"/v2/servers/{ALIAS}/{sid}/publicIPAddresses", json=payload)
    assert r.status_code == 400 and field in r.json()["modelState"], r.text


def test_custom_fields_list(api):
    r = api.get(f"/v2/accounts/{ALIAS}/customFields")
    assert r.status_code == 200
    fields = {f["name"]: f for f in r.json()}
    assert set(fields["Tier"]) == {"id", "name", "isRequired", "type", "options"}
    assert fields["Tier"]["type"] == "option" and fields["Tier"]["options"][0] == {"name": "gold", "value": "Gold"}
    assert fields["Owner"]["options"] == []


def test_account_capabilities_and_pricing_links_resolve(api):
    server = api.create_server(sourceServerId="WIN2012R2DTC-64")
    links = rels(server)
    account = api.get(links["account"]["href"])
    assert account.status_code == 200 and account.json()["accountAlias"] == "ALIAS"
    assert account.json()["primaryDataCenter"] == "WA1"
    caps = api.get(links["capabilities"]["href"]).json()
    assert caps["reservedDrivePaths"] == ["a", "b", "c", "d"] and caps["addingCpuRequiresReboot"] is False
    price = api.get(links["billing"]["href"]).json()
    assert set(price) == {"cpu", "memoryGB", "storageGB", "managedOS"} and price["cpu"] > 0
    assert api.get(f"/v2/billing/{ALIAS}/serverPricing/wa1aliasnope01").status_code == 404
