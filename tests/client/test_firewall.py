"""Client: intra- and cross-data-center firewall policies against the sandbox."""

from __future__ import annotations

import pytest

import clc_notebook as clc
from clc_notebook.endpoints import firewall


def _dtypes(df):
    return [(c, str(t)) for c, t in df.dtypes.items()]


def test_create_list_update_delete(s):
    empty = s.firewall_policies()
    assert empty.empty and _dtypes(empty) == [(c, t) for c, t in firewall.FIREWALL_POLICIES]
    policy = s.create_firewall_policy("10.20.0.0/24", ["10.20.1.0/24", "10.20.2.0/24"], ports=["tcp/80", "icmp"])
    assert policy["status"] == "pending" and policy["destinationAccount"] == "alias"
    listed = s.firewall_policies()
    row = listed.iloc[0]
    assert (row["id"], row["location"], row["status"], bool(row["enabled"])) == (policy["id"], "WA1", "active", True)
    assert (row["source"], row["destination"], row["ports"]) == (
        ["10.20.0.0/24"],
        ["10.20.1.0/24", "10.20.2.0/24"],
        ["tcp/80", "icmp"],
    )
    assert _dtypes(listed) == _dtypes(empty)
    s.update_firewall_policy(policy["id"], enabled=False, ports="udp/53")
    got = s.firewall_policy(policy["id"])
    assert (got["enabled"], got["ports"], got["source"]) == (False, ["udp/53"], ["10.20.0.0/24"])
    other = s.create_firewall_policy(["10.30.0.0/24"], "10.30.1.0/24", dc="VA1")
    assert list(s.firewall_policies()["location"]) == ["WA1", "VA1"]
    assert list(s.firewall_policies("va1")["id"]) == [other["id"]]
    assert list(s.firewall_policies("WA1", destination_account="ALIAS")["id"]) == [policy["id"]]
    assert s.firewall_policies(destination_account="nobody").empty
    s.delete_firewall_policy(policy["id"])
    with pytest.raises(clc.NotFoundError):
        s.firewall_policy(policy["id"])
    assert list(s.firewall_policies()["id"]) == [other["id"]]


def test_bad_input_names_the_field(s):
    calls = s.calls
    with pytest.raises(clc.ValidationError) as err:
        s.create_firewall_policy(["10.0.0.0/24"], [10], dc="WA1")
    assert "destination" in err.value.model_state and err.value.status is None
    with pytest.raises(clc.ValidationError):
        s.update_firewall_policy("0123456789abcdef0123456789abcdef")
    assert s.calls == calls  # nothing sent
    with pytest.raises(clc.ValidationError) as err:
        s.create_firewall_policy("10.0.0.1", "10.1.0.0/24", ports=["tcp/0"])
    assert err.value.status == 400
    assert {"body.source[0]", "body.ports[0]"} <= set(err.value.model_state)
    assert s.firewall_policies().empty


def test_a_lost_create_answer_finds_the_policy_instead_of_making_two(s, control):
    control("PUT", "faults", {"drops": [{"rate": 1.0, "methods": ["POST"], "path": "firewallPolicies", "after": True}]})
    policy = s.create_firewall_policy("10.0.0.0/24", "10.1.0.0/24")
    control("PUT", "faults", {})
    assert list(s.firewall_policies()["id"]) == [policy["id"]]


def test_cross_data_center_policies(s):
    empty = s.cross_dc_firewall_policies()
    assert empty.empty and _dtypes(empty) == [(c, t) for c, t in firewall.CROSS_DC_FIREWALL_POLICIES]
    policy = s.create_cross_dc_firewall_policy("10.20.0.0/24", "10.30.0.0/24", destination_dc="va1")
    assert policy["status"] == "pending"
    listed = s.cross_dc_firewall_policies()
    assert listed[["id", "location", "destination_location", "destination_account"]].values.tolist() == [
        [policy["id"], "WA1", "VA1", "alias"]
    ]
    s.enable_cross_dc_firewall_policy(policy["id"], False)
    assert not s.cross_dc_firewall_policies("WA1").loc[0, "enabled"]
    with pytest.raises(clc.ValidationError) as err:
        s.create_cross_dc_firewall_policy("10.20.0.0/24", "10.30.0.0/24", destination_dc="WA1")
    assert "body.destinationLocationId" in err.value.model_state
    s.delete_cross_dc_firewall_policy(policy["id"])
    assert s.cross_dc_firewall_policies().empty
