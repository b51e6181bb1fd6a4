"""Client: anti-affinity and alert policies against the real sandbox: frames with fixed columns,
policies by id or name, hyperscale servers in a policy, alert policies on servers."""

from __future__ import annotations

import pandas as pd
import pytest
from sandbox_api import TEMPLATE

import clc_notebook as clc
from clc_notebook.endpoints.policies import ALERT_POLICIES, ANTI_AFFINITY_POLICIES

HYPERSCALE = dict(server_type="hyperscale", storage_type="hyperscale", cpu=1, memory_gb=1)


def _dtypes(df: pd.DataFrame) -> list[tuple[str, str]]:
    return [(c, str(t)) for c, t in df.dtypes.items()]


def test_anti_affinity_policies_lifecycle(s):
    empty = s.anti_affinity_policies()
    assert empty.empty and _dtypes(empty) == list(ANTI_AFFINITY_POLICIES)
    made = s.create_anti_affinity_policy("Web spread")
    assert made["location"] == "WA1"
    s.create_anti_affinity_policy("East", dc="va1")
    df = s.anti_affinity_policies()
    assert _dtypes(df) == list(ANTI_AFFINITY_POLICIES)
    assert list(df["name"]) == ["Web spread", "East"] and list(df["location"]) == ["WA1", "VA1"]
    assert list(df["server_count"]) == [0, 0] and df.attrs["raw"]["items"][0]["id"] == made["id"]
    assert s.update_anti_affinity_policy("Web spread", "Spread")["name"] == "Spread"
    assert s.resolve_anti_affinity_policy("spread") == made["id"]
    s.delete_anti_affinity_policy(made["id"])
    assert list(s.anti_affinity_policies()["name"]) == ["East"]
    with pytest.raises(clc.NotFoundError) as err:
        s.delete_anti_affinity_policy("Spread")
    assert "East" in str(err.value)
    with pytest.raises(clc.ValidationError) as err:
        s.create_anti_affinity_policy("East")  # taken: the API says so, naming the field
    assert "body.name" in err.value.model_state


def test_a_hyperscale_server_joins_a_policy_by_name(s, default_group):
    policy = s.create_anti_affinity_policy("Web spread")
    job = s.create_server(
        name="hs", group_id=default_group, template=TEMPLATE, anti_affinity_policy_id="Web spread", **HYPERSCALE
    )
    server = job.wait(timeout=30).server()
    assert server["details"]["antiAffinityPolicy"]["id"] == policy["id"]
    row = s.anti_affinity_policies().iloc[0]
    assert row["server_count"] == 1 and list(row["server_ids"]) == [server.id]
    with pytest.raises(clc.ValidationError) as err:
        s.delete_anti_affinity_policy("Web spread")
    assert err.value.status == 400


def test_a_hyperscale_server_gets_hyperscale_storage_unless_told_otherwise(s, default_group):
    """Hyperscale servers only take hyperscale storage (the API refuses anything else), so the client's
    default storage follows the server type, as the API's own default does."""
    hyperscale = s.create_server(
        name="hs", group_id=default_group, template=TEMPLATE, server_type="hyperscale", cpu=1, memory_gb=1
    )
    standard = s.create_server(name="std", group_id=default_group, template=TEMPLATE, cpu=1, memory_gb=1)
    clc.JobSet([hyperscale, standard]).wait(timeout=30)
    assert hyperscale.server()["storageType"] == "hyperscale" and standard.server()["storageType"] == "standard"
    with pytest.raises(clc.ValidationError) as err:  # an explicit mismatch still goes to the API, which says no
        s.create_server(
            name="hs",
            group_id=default_group,
            template=TEMPLATE,
            server_type="hyperscale",
            storage_type="standard",
            cpu=1,
        )
    assert "body.storageType" in err.value.model_state


def test_policy_problems_at_create_time_name_the_field(s, default_group):
    policy = s.create_anti_affinity_policy("Web spread")
    posts = len(s.history[s.history["method"] == "POST"])
    with pytest.raises(clc.ValidationError) as err:
        s.create_server(
            name="hs", group_id=default_group, template=TEMPLATE, anti_affinity_policy_id="Nope", **HYPERSCALE
        )
    assert "anti_affinity_policy_id" in err.value.model_state
    assert len(s.history[s.history["method"] == "POST"]) == posts  # refused before sending
    with pytest.raises(clc.ValidationError) as err:  # the API's rule: hyperscale servers only
        s.create_server(
            name="std",
            group_id=default_group,
            template=TEMPLATE,
            cpu=1,
            memory_gb=1,
            anti_affinity_policy_id=policy["id"],
        )
    assert "body.antiAffinityPolicyId" in err.value.model_state


def test_alert_policies_lifecycle(s):
    empty = s.alert_policies()
    assert empty.empty and _dtypes(empty) == list(ALERT_POLICIES)
    made = s.create_alert_policy("CPU high", "ops@example.com", metric="cpu", threshold=90)
    assert made["triggers"] == [{"metric": "cpu", "duration": "00:05:00", "threshold": 90.0}]
    s.create_alert_policy("Disk", ["a@example.com", "b@example.com"], metric="disk", threshold=80, duration=15)
    df = s.alert_policies()
    assert _dtypes(df) == list(ALERT_POLICIES)
    disk = df.set_index("name").loc["Disk"]
    assert (disk["metric"], disk["duration_minutes"], disk["threshold"]) == ("disk", 15, 80.0)
    assert list(disk["recipients"]) == ["a@example.com", "b@example.com"]
    updated = s.update_alert_policy("CPU high", threshold=80, duration=10)
    assert updated["name"] == "CPU high"  # the rest is kept
    assert updated["actions"][0]["settings"]["recipients"] == ["ops@example.com"]
    assert updated["triggers"] == [{"metric": "cpu", "duration": "00:10:00", "threshold": 80.0}]
    assert s.update_alert_policy(made["id"], name="CPU")["triggers"] == updated["triggers"]
    s.delete_alert_policy("CPU")
    assert list(s.alert_policies()["name"]) == ["Disk"]


def test_alert_policy_arguments_are_checked(s):
    before = s.calls
    for kwargs, field in (
        (dict(metric="network"), "metric"),
        (dict(duration=7), "duration"),
        (dict(recipients=[]), "recipients"),
        (dict(name=" "), "name"),
    ):
        args = {"name": "P", "recipients": ["ops@example.com"], **kwargs}
        with pytest.raises(clc.ValidationError) as err:
            s.create_alert_policy(args.pop("name"), args.pop("recipients"), **args)
        assert field in err.value.model_state and err.value.status is None, kwargs
    assert s.calls == before  # none of them was sent
    with pytest.raises(clc.ValidationError) as err:  # the API's rule, named by the API
        s.create_alert_policy("P", "ops@example.com", threshold=52)
    assert "body.triggers[0].threshold" in err.value.model_state
    s.create_alert_policy("P", "ops@example.com")
    with pytest.raises(clc.ValidationError) as err:
        s.update_alert_policy("P", color="red")
    assert "color" in err.value.model_state


def test_alert_policies_on_servers(s, built):
    s.create_alert_policy("CPU high", "ops@example.com")
    s.apply_alert_policy(built.id, "CPU high")
    s.apply_alert_policy(built.id, "CPU high")  # again: no change
    applied = s.server(built.id)["details"]["alertPolicies"]
    assert [p["name"] for p in applied] == ["CPU high"]
    s.remove_alert_policy(built.id, "CPU high")
    assert s.server(built.id)["details"]["alertPolicies"] == []
    with pytest.raises(clc.NotFoundError):
        s.remove_alert_policy(built.id, "CPU high")
    with pytest.raises(clc.NotFoundError):
        s.apply_alert_policy(built.id, "No such policy")
