"""Secondary NICs: add and remove (v2-experimental operations), the rules (at most three, one address
per network, not the primary one), `details.secondaryIPAddresses` and the network's claimed addresses."""

from __future__ import annotations

import ipaddress

import pytest
from sandbox_api import ALIAS, NETWORK, claim_network, rels, server_body

NETS = f"/v2-experimental/networks/{ALIAS}"


@pytest.fixture
def server(api) -> dict:
    return api.create_server()


def nics(api, server: dict) -> str:
    return f"/v2/servers/{ALIAS}/{server['id']}/networks"


def secondary(api, server: dict) -> list[dict]:
    return api.ok_json("GET", f"/v2/servers/{ALIAS}/{server['id']}")["details"]["secondaryIPAddresses"]


def add(api, server: dict, network_id: str, **more) -> dict:
    r = api.post(nics(api, server), json={"networkId": network_id, **more})
    assert r.status_code == 202, r.text
    return r.json()


def test_a_nic_is_added_by_an_operation_and_shown_when_it_succeeded(api, sb, server):
    assert secondary(api, server) == []
    net = claim_network(api)
    accepted = add(api, server, net["id"])
    assert list(accepted) == ["operationId", "uri"]
    assert accepted["uri"] == f"/v2-experimental/operations/ALIAS/status/{accepted['operationId']}"
    assert sb.jobs()[-1]["kind"] == "addSecondaryNic" and sb.jobs()[-1]["target"] == server["id"]
    assert secondary(api, server) == []  # not before the operation ends
    assert api.wait(accepted["uri"]) == ["queued", "running", "succeeded"]
    assert api.ok_json("GET", accepted["uri"]) == {"status": "succeeded"}  # as recorded: the status only
    (nic,) = secondary(api, server)
    assert ipaddress.IPv4Address(nic["internal"]) in ipaddress.IPv4Network(net["cidr"])
    claimed = api.ok_json("GET", f"{NETS}/WA1/{net['id']}", params={"ipAddresses": "claimed"})["ipAddresses"]
    assert claimed == [
        {"address": nic["internal"], "claimed": True, "primary": False, "server": server["name"], "type": "private"}
    ]
    # the primary address is untouched
    assert (
        api.ok_json("GET", f"/v2/servers/{ALIAS}/{server['id']}")["details"]["ipAddresses"]
        == server["details"]["ipAddresses"]
    )


def test_an_address_can_be_chosen_if_it_is_a_free_host_of_the_network(api, server):
    net = claim_network(api)
    other = api.create_server(networkId=net["id"])
    taken = other["details"]["ipAddresses"][0]["internal"]
    for ip, why in (
        (taken, "in use"),
        ("172.16.0.1", "gateway"),
        ("172.16.0.255", "not a host"),
        ("10.20.0.9", "not a host"),
        ("172.16.0", "IPv4"),
    ):
        r = api.post(nics(api, server), json={"networkId": net["id"], "ipAddress": ip})
        assert r.status_code == 400, ip
        assert why in r.json()["modelState"]["body.ipAddress"][0], (ip, r.json())
    assert api.wait(add(api, server, net["id"], ipAddress="172.16.0.77")["uri"])[-1] == "succeeded"
    assert secondary(api, server) == [{"internal": "172.16.0.77"}]


def test_an_empty_address_means_the_next_free_one(api, server):
    """clc-sdk's AddNIC sends `ipAddress: ""` when none is chosen."""
    net = claim_network(api)
    first = api.create_server(networkId=net["id"])["details"]["ipAddresses"][0]["internal"]
    assert api.wait(add(api, server, net["id"], ipAddress="")["uri"])[-1] == "succeeded"
    (nic,) = secondary(api, server)
    assert nic["internal"] != first
    # the next server on that network gets yet another address
    third = api.create_server(networkId=net["id"])["details"]["ipAddresses"][0]["internal"]
    assert len({first, nic["internal"], third}) == 3


def test_network_rules_name_the_field_and_add_nothing(api, sb, server):
    net = claim_network(api)
    va1 = claim_network(api, "VA1")
    jobs = len(sb.jobs())
    for body, reason in (
        ({}, "required"),
        ({"networkId": "0" * 32}, "does not exist"),
        ({"networkId": va1["id"]}, "does not exist"),  # not in the server's data center
        ({"networkId": NETWORK}, "primary"),
    ):
        r = api.post(nics(api, server), json=body)
        assert r.status_code == 400, body
        assert reason in r.json()["modelState"]["body.networkId"][0], (body, r.json())
    assert api.post(nics(api, server), json=["networkId"]).status_code == 400
    assert len(sb.jobs()) == jobs and secondary(api, server) == []
    add(api, server, net["id"])  # pending: a second one on the same network is refused already
    r = api.post(nics(api, server), json={"networkId": net["id"]})
    assert r.status_code == 400 and "already" in r.json()["modelState"]["body.networkId"][0]


def test_at_most_three_secondary_nics(api, server):
    networks = [claim_network(api) for _ in range(4)]
    for net in networks[:3]:
        assert api.wait(add(api, server, net["id"])["uri"])[-1] == "succeeded"
    r = api.post(nics(api, server), json={"networkId": networks[3]["id"]})
    assert r.status_code == 400 and "at most 3" in r.json()["modelState"]["body.networkId"][0]
    assert len(secondary(api, server)) == 3


def test_a_server_must_be_active(api):
    net = claim_network(api)
    accepted = api.ok_json("POST", f"/v2/servers/{ALIAS}", json=server_body(name="busy"))
    building = api.server_by_uuid(accepted)
    r = api.post(nics(api, building), json={"networkId": net["id"]})
    assert r.status_code == 400 and "active" in r.json()["message"]
    assert api.post(f"/v2/servers/{ALIAS}/nosuchserver/networks", json={"networkId": net["id"]}).status_code == 404


def test_remove_is_an_operation_and_frees_the_address(api, sb, server):
    net = claim_network(api)
    assert api.wait(add(api, server, net["id"], ipAddress="172.16.0.40")["uri"])[-1] == "succeeded"
    r = api.delete(f"{nics(api, server)}/{net['id'].upper()}")
    assert r.status_code == 202
    uri = r.json()["uri"]
    assert sb.jobs()[-1]["kind"] == "removeSecondaryNic"
    assert secondary(api, server) == [{"internal": "172.16.0.40"}]  # still there while it runs
    assert api.delete(f"{nics(api, server)}/{net['id']}").status_code == 400  # already being removed
    assert api.wait(uri)[-1] == "succeeded"
    assert secondary(api, server) == []
    free = api.ok_json("GET", f"{NETS}/WA1/{net['id']}/ipAddresses", params={"type": "free"})
    assert "172.16.0.40" in {a["address"] for a in free}
    r = api.delete(f"{nics(api, server)}/{net['id']}")
    assert r.status_code == 404
    assert api.post(f"{NETS}/WA1/{net['id']}/release").status_code == 204


def test_failed_operations_leave_things_as_they_were(api, sb, server):
    net = claim_network(api)
    sb.set_faults({"job_failure_rate": 1.0})
    assert api.wait(add(api, server, net["id"], ipAddress="172.16.0.41")["uri"])[-1] == "failed"
    assert secondary(api, server) == []
    assert api.ok_json("GET", f"{NETS}/WA1/{net['id']}/ipAddresses", params={"type": "claimed"}) == []
    sb.set_faults({})
    assert api.wait(add(api, server, net["id"])["uri"])[-1] == "succeeded"
    sb.set_faults({"job_failure_rate": 1.0})
    r = api.delete(f"{nics(api, server)}/{net['id']}")
    assert api.wait(r.json()["uri"])[-1] == "failed"
    assert len(secondary(api, server)) == 1


def test_a_nic_holds_its_network_until_its_server_goes(api, server):
    net = claim_network(api)
    assert api.wait(add(api, server, net["id"])["uri"])[-1] == "succeeded"
    r = api.post(f"{NETS}/WA1/{net['id']}/release")
    assert r.status_code == 400 and server["name"] in r.json()["message"]
    accepted = api.ok_json("DELETE", f"/v2/servers/{ALIAS}/{server['id']}")
    assert api.wait(rels(accepted)["status"]["href"])[-1] == "succeeded"
    assert api.ok_json("GET", f"{NETS}/WA1/{net['id']}/ipAddresses", params={"type": "claimed"}) == []
    assert api.post(f"{NETS}/WA1/{net['id']}/release").status_code == 204


def test_group_listings_show_secondary_addresses(api, server):
    net = claim_network(api)
    assert api.wait(add(api, server, net["id"])["uri"])[-1] == "succeeded"
    listed = {s["id"]: s for s in api.all_servers()}
    assert listed[server["id"]]["details"]["secondaryIPAddresses"] == secondary(api, server)
    assert len(secondary(api, server)) == 1
