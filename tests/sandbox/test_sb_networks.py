"""Networks (v2-experimental): list, get with addresses, the address list, claim (an operation), update,
release; the claimed network in deployment capabilities and under new servers."""

from __future__ import annotations

import ipaddress
import re
import sqlite3

import requests
from sandbox_api import ALIAS, DEFAULT_GROUP, NETWORK, Api, claim_network, rels, walk_groups

from clc_notebook.sandbox import Sandbox

NETS = f"/v2-experimental/networks/{ALIAS}"


def test_a_data_center_lists_its_network_with_the_recorded_shape(api):
    nets = api.ok_json("GET", f"{NETS}/WA1")
    assert [n["id"] for n in nets] == [NETWORK]
    net = nets[0]
    assert list(net) == ["id", "cidr", "description", "gateway", "name", "netmask", "type", "vlan", "links"]
    assert net["name"] == "My Network" and net["cidr"] == "10.20.0.0/16"
    assert net["gateway"] == "10.20.0.1" and net["netmask"] == "255.255.0.0"
    assert net["type"] == "private" and isinstance(net["vlan"], int)
    base = f"{api.url}/v2-experimental/networks/alias/wa1/{NETWORK}"  # absolute, as documented and recorded
    assert net["links"] == [
        {"rel": "self", "href": base, "verbs": ["GET", "PUT"]},
        {"rel": "ipAddresses", "href": f"{base}/ipAddresses", "verbs": ["GET"]},
        {"rel": "release", "href": f"{base}/release", "verbs": ["POST"]},
    ]
    # every data center has its own; the path's words and ids are matched in any case
    assert len(api.ok_json("GET", "/V2-Experimental/Networks/alias/va1")) == 1


def test_unknown_data_center_or_network_is_404_with_a_message(api):
    for path in (
        f"{NETS}/XX9",
        f"{NETS}/WA1/{'0' * 32}",
        f"{NETS}/VA1/{NETWORK}",
        f"{NETS}/WA1/{'0' * 32}/ipAddresses",
    ):
        r = api.get(path)
        assert r.status_code == 404, path
        assert r.json() == {"message": "The requested resource does not exist."}


def test_get_shows_addresses_only_when_asked(api):
    assert "ipAddresses" not in api.ok_json("GET", f"{NETS}/WA1/{NETWORK}")
    assert "ipAddresses" not in api.ok_json("GET", f"{NETS}/WA1/{NETWORK}", params={"ipAddresses": "none"})
    server = api.create_server()
    claimed = api.ok_json("GET", f"{NETS}/WA1/{NETWORK}", params={"ipAddresses": "CLAIMED"})["ipAddresses"]
    assert claimed == [
        {
            "address": server["details"]["ipAddresses"][0]["internal"],
            "claimed": True,
            "primary": True,
            "server": server["name"],
            "type": "private",
        }
    ]
    r = api.get(f"{NETS}/WA1/{NETWORK}", params={"ipAddresses": "some"})
    assert r.status_code == 400 and "ipAddresses" in r.json()["modelState"]


def test_address_list_filters_claimed_free_and_all(api):
    net = claim_network(api)  # a /24: small enough to list whole
    ip = "172.16.0.50"
    api.create_server(networkId=net["id"], ipAddress=ip)
    path = f"{NETS}/WA1/{net['id']}/ipAddresses"
    claimed = api.ok_json("GET", path, params={"type": "claimed"})
    free = api.ok_json("GET", path, params={"type": "free"})
    everything = api.ok_json("GET", path)  # default: all
    assert [a["address"] for a in claimed] == [ip]
    assert ip not in {a["address"] for a in free}
    assert all(a == {"address": a["address"], "claimed": False, "type": "private"} for a in free)
    # .0, .1 (the gateway) and .255 are never handed out: 253 host addresses
    assert len(free) + len(claimed) == 253 == len(everything)
    addresses = [ipaddress.IPv4Address(a["address"]) for a in everything]
    assert addresses == sorted(addresses)
    assert api.get(path, params={"type": "none"}).status_code == 400


def test_a_public_ip_shows_as_public_mapped_on_the_servers_network(api):
    server = api.create_server()
    r = api.post(
        f"/v2/servers/{ALIAS}/{server['id']}/publicIPAddresses", json={"ports": [{"protocol": "TCP", "port": 80}]}
    )
    assert api.wait(r.json()["href"])[-1] == "succeeded"
    public = next(
        a["public"]
        for a in api.get(f"/v2/servers/{ALIAS}/{server['id']}").json()["details"]["ipAddresses"]
        if "public" in a
    )
    claimed = api.ok_json("GET", f"{NETS}/WA1/{NETWORK}/ipAddresses", params={"type": "claimed"})
    assert claimed[-1] == {
        "address": public,
        "claimed": True,
        "primary": False,
        "server": server["name"],
        "type": "publicMapped",
    }


def test_the_private_address_a_public_ip_claimed_is_taken_on_the_network(api):
    # a public IP added without internalIPAddress claims a new private address (as recorded); it is
    # listed as the server's and is not handed out again, also after the public IP is removed
    server = api.create_server()
    base = f"/v2/servers/{ALIAS}/{server['id']}/publicIPAddresses"
    assert api.wait(api.post(base, json={"ports": [{"protocol": "TCP", "port": 80}]}).json()["href"])[-1] == "succeeded"
    own, mapped = api.get(f"/v2/servers/{ALIAS}/{server['id']}").json()["details"]["ipAddresses"]
    api.wait(api.delete(f"{base}/{mapped['public']}").json()["href"])
    claimed = api.ok_json("GET", f"{NETS}/WA1/{NETWORK}/ipAddresses", params={"type": "claimed"})
    mine = {a["address"]: a for a in claimed if a["server"] == server["name"]}
    assert set(mine) == {own["internal"], mapped["internal"]}
    assert mine[mapped["internal"]] == {
        "address": mapped["internal"],
        "claimed": True,
        "primary": False,
        "server": server["name"],
        "type": "private",
    }
    other = api.create_server(name="next")
    assert other["details"]["ipAddresses"][0]["internal"] not in mine


def test_claim_is_an_operation_whose_status_links_the_new_network(api, sb):
    before = {n["id"] for n in api.ok_json("GET", f"{NETS}/WA1")}
    r = api.post(f"{NETS}/WA1/claim", json={})
    assert r.status_code == 202
    accepted = r.json()
    assert list(accepted) == ["operationId", "uri"] and re.fullmatch(r"[0-9a-f]{32}", accepted["operationId"])
    assert accepted["uri"] == f"/v2-experimental/operations/ALIAS/status/{accepted['operationId']}"
    assert [j["kind"] for j in sb.jobs()] == ["claimNetwork"]
    first = api.ok_json("GET", accepted["uri"])
    assert first["status"] == "queued" and first["requestType"] == "blueprintOperation"
    assert first["summary"] == {"blueprintId": first["summary"]["blueprintId"], "locationId": "WA1"}
    assert first["source"]["userName"] == "demouser1"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", first["source"]["requestedAt"])
    # not there until the operation succeeded
    assert {n["id"] for n in api.ok_json("GET", f"{NETS}/WA1")} == before
    assert api.ok_json("GET", accepted["uri"])["status"] == "running"
    done = api.ok_json("GET", accepted["uri"])
    assert done["status"] == "succeeded"
    (network_link,) = done["summary"]["links"]
    new_id = network_link["id"]
    assert network_link == {"rel": "network", "href": f"/v2-experimental/networks/ALIAS/WA1/{new_id}", "id": new_id}
    net = api.ok_json("GET", network_link["href"])
    assert net["name"] == net["description"] == "vlan_300_172.16.0"
    assert (net["cidr"], net["gateway"], net["netmask"], net["vlan"]) == (
        "172.16.0.0/24",
        "172.16.0.1",
        "255.255.255.0",
        300,
    )
    assert {n["id"] for n in api.ok_json("GET", f"{NETS}/WA1")} == before | {new_id}
    assert api.ok_json("GET", accepted["uri"]) == done  # a finished operation reads the same


def test_a_claimed_network_is_deployable(api):
    net = claim_network(api)
    caps = api.ok_json("GET", f"/v2/datacenters/{ALIAS}/WA1/deploymentCapabilities")
    assert net["id"] in {n["networkId"] for n in caps["deployableNetworks"]}
    server = api.create_server(networkId=net["id"])
    ip = server["details"]["ipAddresses"][0]["internal"]
    assert ipaddress.IPv4Address(ip) in ipaddress.IPv4Network(net["cidr"])
    # a network of another data center is refused, naming the field
    va1 = claim_network(api, "VA1")
    r = api.post(f"/v2/servers/{ALIAS}", json={**_body(), "networkId": va1["id"]})
    assert r.status_code == 400 and "body.networkId" in r.json()["modelState"]


def test_claims_take_the_pool_in_order_until_it_is_empty(api):
    vlans = [claim_network(api, "UC1")["vlan"] for _ in range(6)]
    assert vlans == [300, 301, 302, 303, 304, 305]
    r = api.post(f"{NETS}/UC1/claim")
    assert r.status_code == 400 and "UC1" in r.json()["message"]
    assert len(api.ok_json("GET", f"{NETS}/UC1")) == 7


def test_a_failed_claim_adds_nothing_and_gives_the_vlan_back(api, sb):
    before = api.ok_json("GET", f"{NETS}/WA1")
    sb.set_faults({"job_failure_rate": 1.0})
    accepted = api.ok_json("POST", f"{NETS}/WA1/claim")
    assert api.wait(accepted["uri"])[-1] == "failed"
    failed = api.ok_json("GET", accepted["uri"])
    assert failed["status"] == "failed" and "links" not in failed["summary"]
    assert api.ok_json("GET", f"{NETS}/WA1") == before
    sb.set_faults({})
    assert claim_network(api)["vlan"] == 300


def test_update_renames_and_keeps_an_absent_description(api):
    net = claim_network(api)
    path = f"{NETS}/WA1/{net['id']}"
    r = api.put(path, json={"name": "Web tier", "description": "front servers"})
    assert r.status_code == 204 and r.content == b""
    got = api.ok_json("GET", path)
    assert (got["name"], got["description"]) == ("Web tier", "front servers")
    assert api.put(path, json={"NAME": "Web"}).status_code == 204  # keys in any case; description kept
    got = api.ok_json("GET", path)
    assert (got["name"], got["description"]) == ("Web", "front servers")
    caps = api.ok_json("GET", f"/v2/datacenters/{ALIAS}/WA1/deploymentCapabilities")
    assert {"name": "Web", "networkId": net["id"]}.items() <= next(
        n for n in caps["deployableNetworks"] if n["networkId"] == net["id"]
    ).items()


def test_update_refuses_a_missing_name_and_changes_nothing(api):
    net = claim_network(api)
    path = f"{NETS}/WA1/{net['id']}"
    for body in ({}, {"name": ""}, {"name": "   "}, {"description": "x"}, {"name": "x" * 200}, {"name": ["a"]}):
        r = api.put(path, json=body)
        assert r.status_code == 400, body
        assert "body.name" in r.json()["modelState"], body
    assert api.put(path, json=["name"]).status_code == 400
    assert api.put(path, data=b"{nope", headers={"Content-Type": "application/json"}).status_code == 400
    assert api.ok_json("GET", path) == net
    assert api.put(f"{NETS}/WA1/{'0' * 32}", json={"name": "x"}).status_code == 404


def test_release_gives_the_vlan_back(api):
    net = claim_network(api)
    r = api.post(f"{NETS}/WA1/{net['id']}/release", json={})
    assert r.status_code == 204 and r.content == b""
    assert api.get(f"{NETS}/WA1/{net['id']}").status_code == 404
    caps = api.ok_json("GET", f"/v2/datacenters/{ALIAS}/WA1/deploymentCapabilities")
    assert net["id"] not in {n["networkId"] for n in caps["deployableNetworks"]}
    again = claim_network(api)
    assert again["vlan"] == net["vlan"] and again["cidr"] == net["cidr"] and again["id"] != net["id"]
    r = api.post(f"{NETS}/WA1/{net['id']}/release")
    assert r.status_code == 404 and r.json() == {"message": "The requested resource does not exist."}


def test_release_is_refused_while_a_server_holds_an_address(api):
    net = claim_network(api)
    server = api.create_server(networkId=net["id"])
    r = api.post(f"{NETS}/WA1/{net['id']}/release")
    assert r.status_code == 400 and server["name"] in r.json()["message"]
    assert api.ok_json("GET", f"{NETS}/WA1/{net['id']}") == net
    accepted = api.ok_json("DELETE", f"/v2/servers/{ALIAS}/{server['id']}")
    assert api.wait(rels(accepted)["status"]["href"])[-1] == "succeeded"
    assert api.post(f"{NETS}/WA1/{net['id']}/release").status_code == 204


def test_a_data_center_without_network_refuses_servers_by_field(api):
    va1 = api.ok_json("GET", f"{NETS}/VA1")[0]
    assert api.post(f"{NETS}/VA1/{va1['id']}/release").status_code == 204
    default = next(g["id"] for g in walk_groups(api.group(api.root_group("VA1"))) if g["name"] == "Default Group")
    r = api.post(f"/v2/servers/{ALIAS}", json={**_body(), "groupId": default, "networkId": None})
    assert r.status_code == 400 and "body.networkId" in r.json()["modelState"]
    assert api.ok_json("GET", f"{NETS}/VA1") == []


def test_unknown_operation_is_404(api):
    r = api.get(f"/v2-experimental/operations/{ALIAS}/status/{'0' * 32}")
    assert r.status_code == 404 and "message" in r.json()


def test_time_mode_claims_finish_without_status_reads(new_sandbox):
    sb = new_sandbox(mode="time", speed=1.0)
    api = Api(sb)
    api.ok_json("POST", f"{NETS}/WA1/claim")
    assert len(api.ok_json("GET", f"{NETS}/WA1")) == 1
    assert requests.put(f"{sb.url}/sandbox/clock", json={"advance": 60}, timeout=10).status_code == 200
    # any request after the job's time settles it
    assert len(api.ok_json("GET", f"{NETS}/WA1")) == 2


def test_a_state_file_from_before_networks_gets_them_on_first_use(tmp_path):
    state = str(tmp_path / "old.sqlite")
    with Sandbox(mode="polls", state=state):
        pass
    with sqlite3.connect(state) as db:  # what an older sandbox left: none of this resource's rows
        db.execute("DELETE FROM network_details")
        db.execute("DELETE FROM network_pools")
        db.execute("DELETE FROM meta WHERE key='networks_seeded'")
    with Sandbox(mode="polls", state=state) as sb:
        api = Api(sb)
        assert [n["id"] for n in api.ok_json("GET", f"{NETS}/WA1")] == [NETWORK]
        assert claim_network(api)["vlan"] == 300


def _body() -> dict:
    return {
        "name": "n",
        "groupId": DEFAULT_GROUP,
        "sourceServerId": "RHEL-6-64-TEMPLATE",
        "cpu": 1,
        "memoryGB": 1,
        "type": "standard",
    }
