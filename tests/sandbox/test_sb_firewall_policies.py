"""Firewall policies over HTTP (v2-experimental): intra-data-center policies (JSON and the form bodies the
Ansible module sends through the Python SDK, absolute hrefs as recorded, pending then active) and
cross-data-center policies (as documented); validation naming the field, nothing half-made."""

from __future__ import annotations

import re

import pytest
from sandbox_api import ALIAS, call_control

FW = f"/v2-experimental/firewallPolicies/{ALIAS}"
XDC = f"/v2-experimental/crossDcFirewallPolicies/{ALIAS}"
GOOD = {"source": ["10.20.0.0/24"], "destination": ["10.20.1.0/24"], "ports": ["tcp/80", "icmp"]}


def _create(api, dc="WA1", **body):
    r = api.post(f"{FW}/{dc}", json={**GOOD, **body})
    assert r.status_code == 201, r.text
    return r


def _policy_id(created) -> str:
    return created.json()["links"][0]["href"].rsplit("/", 1)[1]


def _listed(api, dc="WA1", **params):
    r = api.get(f"{FW}/{dc}", params=params or None)
    assert r.status_code == 200, r.text
    return r.json()


def test_create_answers_201_with_an_absolute_self_link_and_location(api, sb):
    r = _create(api, enabled=False)
    body = r.json()
    href = body["links"][0]["href"]
    assert body == {"links": [{"rel": "self", "href": href, "verbs": ["GET", "PUT", "DELETE"]}]}
    assert r.headers["location"] == href
    assert re.fullmatch(re.escape(sb.url) + r"/v2-experimental/firewallPolicies/alias/wa1/[0-9a-f]{32}", href), href
    got = api.http.get(href, headers={"Authorization": f"Bearer {api.token}"}).json()
    assert set(got) == {"id", "status", "enabled", "source", "destination", "destinationAccount", "ports", "links"}
    assert got["id"] == _policy_id(r) and got["links"] == body["links"]
    assert (got["enabled"], got["source"], got["destination"], got["ports"]) == (
        False,
        GOOD["source"],
        GOOD["destination"],
        GOOD["ports"],
    )
    assert got["destinationAccount"] == "alias"  # the caller's own account, in lower case


def test_a_new_policy_is_pending_then_active(api):
    """Polls mode: the first read of a policy (a list counting too) sees it pending, the next active."""
    pid = _policy_id(_create(api))
    assert _listed(api)[0]["status"] == "pending"
    assert api.get(f"{FW}/WA1/{pid}").json()["status"] == "active"
    assert _listed(api)[0]["status"] == "active"
    other = _policy_id(_create(api))
    assert api.get(f"{FW}/WA1/{other}").json()["status"] == "pending"
    assert [p["status"] for p in _listed(api)] == ["active", "active"]


def test_in_time_mode_a_policy_is_active_after_two_seconds(new_sandbox):
    from sandbox_api import Api

    sb = new_sandbox(mode="time")
    api = Api(sb)
    pid = _policy_id(_create(api))
    assert api.get(f"{FW}/WA1/{pid}").json()["status"] == "pending"
    call_control(sb, "PUT", "clock", {"advance": 2.5})
    assert api.get(f"{FW}/WA1/{pid}").json()["status"] == "active"


def test_defaults_duplicates_kept_and_ports_in_lower_case(api):
    pid = _policy_id(
        api.post(f"{FW}/WA1", json={"source": ["10.1.1.5/32", "10.1.1.5/32"], "destination": ["10.2.0.0/16"]})
    )
    got = api.get(f"{FW}/WA1/{pid}").json()
    assert (got["source"], got["ports"], got["enabled"]) == (["10.1.1.5/32", "10.1.1.5/32"], ["any"], True)
    pid = _policy_id(_create(api, ports=["TCP/1-600", "Any"], destinationAccount="ALIAS"))
    got = api.get(f"{FW}/WA1/{pid}").json()
    assert (got["ports"], got["destinationAccount"]) == (["tcp/1-600", "any"], "alias")


def test_form_bodies_as_the_ansible_module_sends_them(api):
    """clc_firewall_policy.py: the Python SDK form-encodes a dict; a list of one arrives as one value."""
    r = api.post(
        f"{FW}/wa1",
        data={
            "destinationAccount": "alias",
            "source": "10.128.216.0/24",
            "destination": "10.128.216.0/24",
            "ports": "Any",
        },
    )
    assert r.status_code == 201, r.text
    pid = _policy_id(r)
    got = api.get(f"{FW}/WA1/{pid}").json()
    assert (got["source"], got["destination"], got["ports"]) == (["10.128.216.0/24"], ["10.128.216.0/24"], ["any"])
    # the module's update sends its whole parameter dict, snake_case keys and all
    update = {
        "source_account_alias": "ALIAS",
        "destination_account_alias": "alias",
        "location": "WA1",
        "firewall_policy_id": pid,
        "ports": ["tcp/22", "tcp/443"],
        "source": ["10.1.0.0/16", "10.2.0.0/16"],
        "destination": "10.3.0.0/16",
        "wait": "True",
        "state": "present",
        "enabled": "False",
    }
    r = api.put(f"{FW}/wa1/{pid}", data=update)
    assert r.status_code == 204 and r.content == b""
    got = api.get(f"{FW}/WA1/{pid}").json()
    assert (got["source"], got["destination"], got["ports"], got["enabled"]) == (
        ["10.1.0.0/16", "10.2.0.0/16"],
        ["10.3.0.0/16"],
        ["tcp/22", "tcp/443"],
        False,
    )


def test_update_changes_only_what_is_sent(api):
    pid = _policy_id(_create(api))
    before = api.get(f"{FW}/WA1/{pid}").json()
    # the Java SDK sends destinationAccount: null
    r = api.put(f"{FW}/WA1/{pid}", json={"enabled": False, "destinationAccount": None, "ports": ["udp/8080"]})
    assert r.status_code == 204
    after = api.get(f"{FW}/WA1/{pid}").json()
    assert after == {**before, "enabled": False, "ports": ["udp/8080"], "status": after["status"]}
    r = api.put(f"{FW}/WA1/{pid}", json={"source": [], "ports": ["tcp/99999"], "enabled": "sometimes"})
    assert r.status_code == 400
    assert set(r.json()["modelState"]) == {"body.source", "body.ports[0]", "body.enabled"}
    assert api.get(f"{FW}/WA1/{pid}").json()["ports"] == ["udp/8080"]


@pytest.mark.parametrize(
    "body, fields",
    [
        ({"destination": ["10.0.0.0/8"]}, {"body.source"}),
        ({"source": "10.0.0.0/8"}, {"body.destination"}),
        ({**GOOD, "source": ["10.0.0.1"]}, {"body.source[0]"}),
        ({**GOOD, "destination": [{"cidr": "10.0.0.0/8"}]}, {"body.destination"}),
        ({**GOOD, "ports": ["http", "tcp/0", "udp/9-2", "tcp/1-70000"]}, {f"body.ports[{i}]" for i in range(4)}),
        ({**GOOD, "ports": []}, {"body.ports"}),
        ({**GOOD, "destinationAccount": "NOPE"}, {"body.destinationAccount"}),
        ({**GOOD, "destinationAccount": "a b"}, {"body.destinationAccount"}),
        ({**GOOD, "enabled": "yes please"}, {"body.enabled"}),
    ],
)
def test_create_validation_names_every_bad_field_and_creates_nothing(api, body, fields):
    r = api.post(f"{FW}/WA1", json=body)
    assert r.status_code == 400, r.text
    assert set(r.json()["modelState"]) == fields
    assert _listed(api) == []


def test_list_filters_by_destination_account_and_data_center(api):
    one = _policy_id(_create(api))
    other_dc = _policy_id(_create(api, dc="VA1"))
    assert [p["id"] for p in _listed(api)] == [one]
    assert [p["id"] for p in _listed(api, destinationAccount="ALIAS")] == [one]
    assert _listed(api, destinationAccount="someone") == []
    assert [p["id"] for p in _listed(api, "va1")] == [other_dc]
    assert api.get(f"{FW}/VA1/{one}").status_code == 404
    assert api.get(f"{FW}/XX9").status_code == 404


def test_delete_answers_204_then_404(api):
    pid = _policy_id(_create(api))
    r = api.delete(f"{FW}/WA1/{pid}")
    assert r.status_code == 204 and r.content == b""
    assert api.get(f"{FW}/WA1/{pid}").json() == {"message": "The requested resource does not exist."}
    assert api.delete(f"{FW}/WA1/{pid}").status_code == 404
    assert _listed(api) == []


# --- cross-data-center policies ---------------------------------------------------------------------

XGOOD = {
    "destinationAccountId": "alias",
    "destinationLocationId": "UC1",
    "destinationCidr": "10.1.1.0/24",
    "enabled": True,
    "sourceCidr": "10.2.2.0/24",
}


def test_cross_dc_create_get_list_update_delete(api):
    r = api.post(f"{XDC}/VA1", json=XGOOD)
    assert r.status_code == 201, r.text
    created = r.json()
    pid = created["id"]
    href = f"/v2-experimental/crossDcFirewallPolicies/alias/va1/{pid}"
    assert r.headers["location"] == href
    assert created == {
        "id": pid,
        "status": "pending",
        "enabled": True,
        "sourceCidr": "10.2.2.0/24",
        "sourceAccount": "alias",
        "sourceLocation": "va1",
        "destinationCidr": "10.1.1.0/24",
        "destinationAccount": "alias",
        "destinationLocation": "uc1",
        "links": [{"rel": "self", "href": href, "verbs": ["GET", "PUT", "DELETE"]}],
    }
    assert api.get(href).json()["status"] == "active"  # the create answer was its first read
    assert [p["id"] for p in api.get(f"{XDC}/va1", params={"destinationAccountId": "ALIAS"}).json()] == [pid]
    assert api.get(f"{XDC}/va1", params={"destinationAccountId": "other"}).json() == []
    assert api.get(f"{XDC}/WA1").json() == []

    assert api.put(href, params={"enabled": "false"}).status_code == 204
    assert api.get(href).json()["enabled"] is False
    r = api.put(href)
    assert r.status_code == 400 and set(r.json()["modelState"]) == {"enabled"}
    r = api.put(href, params={"enabled": "perhaps"})
    assert r.status_code == 400 and set(r.json()["modelState"]) == {"enabled"}
    assert api.get(href).json()["enabled"] is False

    assert api.delete(href).status_code == 204
    assert api.get(href).status_code == 404


@pytest.mark.parametrize(
    "change, field",
    [
        ({"destinationLocationId": "VA1"}, "body.destinationLocationId"),  # the source data center itself
        ({"destinationLocationId": "ZZ1"}, "body.destinationLocationId"),
        ({"destinationLocationId": None}, "body.destinationLocationId"),
        ({"destinationAccountId": "nobody"}, "body.destinationAccountId"),
        ({"destinationCidr": "10.1.1.1"}, "body.destinationCidr"),
        ({"sourceCidr": None}, "body.sourceCidr"),
        ({"enabled": None}, "body.enabled"),
    ],
)
def test_cross_dc_validation_names_the_field_and_creates_nothing(api, change, field):
    body = {k: v for k, v in {**XGOOD, **change}.items() if v is not None}
    r = api.post(f"{XDC}/VA1", json=body)
    assert r.status_code == 400, r.text
    assert field in r.json()["modelState"]
    assert api.get(f"{XDC}/VA1").json() == []
