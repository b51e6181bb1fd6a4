"""Create Server validation (clc-api-v2.md §9.4): one bad value per rule -> 400, the field named, nothing made."""

from __future__ import annotations

import pytest
from sandbox_api import ALIAS, ARCHIVE_GROUP, TEMPLATES_GROUP, server_body

FUTURE = "2999-01-01T00:00:00Z"

CASES = [
    # (overrides, modelState key)
    ({"name": None}, "body.name"),
    ({"name": ""}, "body.name"),
    ({"name": "web_1"}, "body.name"),  # charset
    ({"name": "wéb"}, "body.name"),
    ({"name": "web.1"}, "body.name"),
    ({"name": "web\n"}, "body.name"),  # a trailing newline (a "$" anchor alone would accept it)
    ({"name": "toolong"}, "body.name"),  # ALIAS (5) + 7 > 10
    ({"cpu": 0}, "body.cpu"),
    ({"cpu": 17}, "body.cpu"),
    ({"cpu": "two"}, "body.cpu"),
    ({"cpu": 2.5}, "body.cpu"),
    ({"cpu": True}, "body.cpu"),
    ({"cpu": None}, "body.cpu"),
    ({"memoryGB": 0}, "body.memoryGB"),
    ({"memoryGB": 129}, "body.memoryGB"),
    ({"memoryGB": "lots"}, "body.memoryGB"),
    ({"memoryGB": None}, "body.memoryGB"),
    ({"type": "huge"}, "body.type"),
    ({"type": "bareMetal"}, "body.type"),
    ({"storageType": "fast"}, "body.storageType"),
    ({"type": "hyperscale", "storageType": "standard"}, "body.storageType"),
    ({"type": "standard", "storageType": "hyperscale"}, "body.storageType"),
    ({"groupId": None}, "body.groupId"),
    ({"groupId": "0123456789abcdef0123456789abcdef"}, "body.groupId"),
    ({"groupId": ARCHIVE_GROUP}, "body.groupId"),
    ({"groupId": TEMPLATES_GROUP}, "body.groupId"),
    ({"sourceServerId": None}, "body.sourceServerId"),
    ({"sourceServerId": "NO-SUCH-TEMPLATE"}, "body.sourceServerId"),
    ({"networkId": "ffffffffffffffffffffffffffffffff"}, "body.networkId"),
    ({"ipAddress": "10.20.300.1"}, "body.ipAddress"),
    ({"ipAddress": "192.168.1.10"}, "body.ipAddress"),  # not in the network
    ({"password": 'pa"ss'}, "body.password"),
    ({"password": "pa'ss"}, "body.password"),
    ({"password": "pa;ss"}, "body.password"),
    ({"password": "pa^ss"}, "body.password"),
    ({"password": "pa&ss"}, "body.password"),
    ({"password": "pa<ss"}, "body.password"),
    ({"password": "pa>ss"}, "body.password"),
    ({"password": "pa|ss"}, "body.password"),
    ({"password": "pa`ss"}, "body.password"),
    ({"isManagedBackup": True}, "body.isManagedBackup"),  # needs isManagedOS
    ({"isManagedOS": "maybe"}, "body.isManagedOS"),
    ({"isManagedOS": True, "sourceServerId": "UBUNTU-14-64-TEMPLATE"}, "body.isManagedOS"),  # not offered
    ({"primaryDns": "dns.example"}, "body.primaryDns"),
    ({"additionalDisks": [{"sizeGB": 1025, "type": "raw"}]}, "body.additionalDisks[0].sizeGB"),
    ({"additionalDisks": [{"sizeGB": 0, "type": "raw"}]}, "body.additionalDisks[0].sizeGB"),
    ({"additionalDisks": [{"sizeGB": 10, "type": "ssd"}]}, "body.additionalDisks[0].type"),
    ({"additionalDisks": [{"sizeGB": 10, "type": "partitioned"}]}, "body.additionalDisks[0].path"),
    ({"additionalDisks": [{"sizeGB": 10, "type": "partitioned", "path": "/boot"}]}, "body.additionalDisks[0].path"),
    ({"additionalDisks": [{"sizeGB": 1024, "type": "raw"}] * 4}, "body.additionalDisks"),  # > 4 TB total
    ({"additionalDisks": "big"}, "body.additionalDisks"),
    (
        {"type": "hyperscale", "storageType": "hyperscale", "additionalDisks": [{"sizeGB": 1024, "type": "raw"}]},
        "body.additionalDisks",
    ),  # > 1 TB for hyperscale
    ({"customFields": [{"id": "0000", "value": "x"}]}, "body.customFields[0].id"),
    ({"customFields": [{"id": "22f002123e3b46d9a8b38ecd4c6df7f9", "value": "bronze"}]}, "body.customFields[0].value"),
    ({"ttl": "2001-01-01T00:00:00Z"}, "body.ttl"),
    ({"ttl": "tomorrow"}, "body.ttl"),
    ({"sourceServerId": "wa1aliasnone01", "sourceServerPassword": "x"}, "body.sourceServerId"),
]


def _server_count(api) -> int:
    return len(api.all_servers())


@pytest.mark.parametrize("overrides, field", CASES, ids=[f"{i}-{c[1]}" for i, c in enumerate(CASES)])
def test_bad_value_is_400_naming_the_field_and_creates_nothing(api, overrides, field):
    r = api.post(f"/v2/servers/{ALIAS}", json=server_body(**overrides))
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["message"] and field in body["modelState"], body
    assert all(isinstance(m, str) and m for msgs in body["modelState"].values() for m in msgs)
    assert _server_count(api) == 0
    # Nothing was consumed either: the next good create still gets the first number.
    assert api.create_server(wait=False)["name"] == "WA1ALIASWEB01"


def test_every_bad_field_is_reported_at_once(api):
    r = api.post(f"/v2/servers/{ALIAS}", json=server_body(cpu=99, memoryGB=0, name="bad_name"))
    assert {"body.cpu", "body.memoryGB", "body.name"} <= set(r.json()["modelState"])


@pytest.mark.parametrize(
    "overrides",
    [
        {"name": "a"},
        {"name": "abcde"},
        {"name": "A-1"},
        {"cpu": 1},
        {"cpu": 16},
        {"memoryGB": 1},
        {"memoryGB": 128},
        {"cpu": "16", "memoryGB": "128"},
        {"type": "hyperscale", "storageType": "hyperscale"},
        {"storageType": "premium"},
        {"storageType": None},
        {"type": None},
        {"additionalDisks": [{"sizeGB": 1024, "type": "raw"}, {"sizeGB": "5", "type": "partitioned", "path": "/data"}]},
        {"additionalDisks": [{"diskId": None, "path": None, "type": "raw", "sizeGB": 10}]},
        {"password": "Sup3r!Secret#"},
        {"isManagedOS": "true", "isManagedBackup": "true"},
        {"customFields": [{"id": "22f002123e3b46d9a8b38ecd4c6df7f9", "value": "gold"}]},
        {"ttl": FUTURE},
        {"networkId": None},
        {"ipAddress": "10.20.99.99"},
        {"managedOS": True, "diskId": None},
    ],
)
def test_boundary_and_lenient_values_are_accepted(api, overrides):
    r = api.post(f"/v2/servers/{ALIAS}", json=server_body(**overrides))
    assert r.status_code == 202, r.text


def test_option_custom_field_shows_its_label(api):
    server = api.create_server(customFields=[{"id": "22f002123e3b46d9a8b38ecd4c6df7f9", "value": "gold"}])
    assert server["details"]["customFields"] == [
        {"id": "22f002123e3b46d9a8b38ecd4c6df7f9", "name": "Tier", "value": "gold", "displayValue": "Gold"}
    ]


def test_additional_disks_are_attached_after_template_disks(api):
    server = api.create_server(additionalDisks=[{"sizeGB": 10, "type": "raw"}])
    assert [(d["id"], d["sizeGB"]) for d in server["details"]["disks"]] == [
        ("0:0", 1),
        ("0:1", 2),
        ("0:2", 14),
        ("0:3", 10),
    ]
    assert server["details"]["storageGB"] == 27


def test_explicit_ip_address_is_used(api):
    server = api.create_server(ipAddress="10.20.99.99")
    assert server["details"]["ipAddresses"] == [{"internal": "10.20.99.99"}]


def test_managed_server_is_flagged(api):
    server = api.create_server(isManagedOS=True)
    assert server["isManagedOS"] is True and "isManagedBackup" not in server
    assert "isManagedOS" not in api.create_server(name="b")
