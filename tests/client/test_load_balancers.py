"""Client: shared load balancers, pools and nodes against the sandbox (frames with fixed columns,
names and ports as references, nodes from servers, errors naming the field, lost answers)."""

from __future__ import annotations

import pandas as pd
import pytest

import clc_notebook as clc
from clc_notebook import frames
from clc_notebook.endpoints import SCHEMAS, load_balancers

DROP_FIRST = {"seed": 1}  # random.Random(1) draws 0.134, 0.847, ...: at rate 0.5 only the first drops


def _dtypes(df: pd.DataFrame) -> list[tuple[str, str]]:
    return [(c, str(t)) for c, t in df.dtypes.items()]


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_every_endpoint_frame_has_its_schema_also_when_empty(name):
    """Every family's frames (clc_notebook.endpoints.SCHEMAS), as test_frames.py pins the core ones."""
    schema = SCHEMAS[name]
    df = frames.frame(schema, {})
    assert df.empty and _dtypes(df) == [(c, t) for c, t in schema]
    assert all(c == c.lower() and " " not in c for c, _ in schema), "snake_case"


def test_listing_is_empty_with_the_columns_then_shows_each_data_center(s):
    empty = s.load_balancers()
    assert empty.empty and _dtypes(empty) == [(c, t) for c, t in load_balancers.LOAD_BALANCERS]
    web = s.create_load_balancer("web", "front door")
    east = s.create_load_balancer("east", dc="va1", status="disabled")
    everywhere = s.load_balancers()
    assert list(everywhere["name"]) == ["web", "east"]
    assert list(everywhere["location"]) == ["WA1", "VA1"]
    assert list(everywhere["status"]) == ["enabled", "disabled"]
    assert everywhere["ip_address"].tolist() == [web["ipAddress"], east["ipAddress"]]
    assert everywhere.attrs["raw"]["WA1"][0]["id"] == web["id"]
    assert _dtypes(everywhere) == _dtypes(empty)
    assert list(s.load_balancers("WA1")["id"]) == [web["id"]]


def test_pools_and_nodes_from_servers(s, built):
    s.create_load_balancer("web", "front door")
    pool = s.create_load_balancer_pool("web", 80, method="leastConnection")
    tls = s.create_load_balancer_pool("web", 443)
    pools = s.load_balancer_pools("web")
    assert list(pools["port"]) == [80, 443] and list(pools["id"]) == [pool["id"], tls["id"]]
    assert list(pools["method"]) == ["leastConnection", "roundRobin"]
    assert list(pools["load_balancer_name"]) == ["web", "web"]

    s.set_load_balancer_nodes("web", 80, servers=[built.id], port=8080)
    nodes = s.load_balancer_nodes("web")
    assert nodes[["ip_address", "private_port", "status", "server_id", "port"]].values.tolist() == [
        [built.ip, 8080, "enabled", built.id, 80]
    ]
    assert s.load_balancers().loc[0, "node_count"] == 1 and s.load_balancers().loc[0, "ports"] == "80, 443"
    # explicit nodes: (ip, port) pairs or dicts with either spelling; the pool by its id
    s.set_load_balancer_nodes("web", tls["id"], [("10.20.30.99", 443), {"ip_address": built.ip, "private_port": 8443}])
    only_tls = s.load_balancer_nodes("web", pool=443)
    assert list(only_tls["ip_address"]) == ["10.20.30.99", built.ip]
    assert list(only_tls["server_id"].astype(object).fillna("-")) == ["-", built.id]
    s.set_load_balancer_nodes("web", 443, [])
    assert s.load_balancer_nodes("web", pool=443).empty

    s.update_load_balancer_pool("web", 80, persistence="sticky")
    assert s.load_balancer_pools("web").loc[0, "persistence"] == "sticky"
    s.delete_load_balancer_pool("web", 443)
    assert list(s.load_balancer_pools("web")["port"]) == [80]


def test_update_keeps_what_is_not_given_and_delete_removes(s):
    lb = s.create_load_balancer("web", "front door")
    s.update_load_balancer("web", name="www")
    got = s.load_balancer(lb["id"])
    assert (got["name"], got["description"], got["status"]) == ("www", "front door", "enabled")
    s.update_load_balancer("www", status="disabled", description="closed")
    got = s.load_balancer("www")
    assert (got["description"], got["status"]) == ("closed", "disabled")
    s.delete_load_balancer("www")
    assert s.load_balancers().empty
    with pytest.raises(clc.NotFoundError) as err:
        s.load_balancer(lb["id"])
    assert err.value.status == 404


def test_names_and_ports_that_fit_nothing_or_several(s):
    s.create_load_balancer("web")
    with pytest.raises(clc.NotFoundError, match="no load balancer named 'api'.*there are: web"):
        s.load_balancer("api")
    s.create_load_balancer("web")
    with pytest.raises(clc.ValidationError, match="2 load balancers in data center WA1 are called 'web'"):
        s.load_balancer("web")
    lb = s.load_balancers().iloc[0]
    with pytest.raises(clc.NotFoundError, match="no pool on port 80"):
        s.delete_load_balancer_pool(lb["id"], 80)
    with pytest.raises(clc.ValidationError) as err:
        s.set_load_balancer_nodes(lb["id"], "eighty", [])
    assert "pool" in err.value.model_state


def test_bad_arguments_are_refused_before_sending_and_the_api_names_its_fields(s):
    lb = s.create_load_balancer("web")
    s.create_load_balancer_pool(lb, 80)  # a record works as the reference
    calls = s.calls
    for nodes, field in [
        ([("10.0.0.1", 0)], "nodes[0].privatePort"),
        ([{"ipAddress": "10.0.0.1", "privatePort": 80}, {"privatePort": 80}], "nodes[1].ipAddress"),
        (["10.0.0.1"], "nodes[0]"),
    ]:
        with pytest.raises(clc.ValidationError) as err:
            s.set_load_balancer_nodes(lb, 80, nodes)
        assert field in err.value.model_state and err.value.status is None
    with pytest.raises(clc.ValidationError):
        s.set_load_balancer_nodes(lb, 80, [("10.0.0.1", 80)], servers=["x"])
    assert s.calls == calls  # refused before anything was sent
    with pytest.raises(clc.ValidationError) as err:
        s.create_load_balancer_pool(lb, 8080)
    assert err.value.status == 400 and "body.port" in err.value.model_state
    with pytest.raises(clc.ValidationError) as err:
        s.create_load_balancer("", dc="WA1")
    assert "body.name" in err.value.model_state
    with pytest.raises(clc.NotFoundError):
        s.load_balancers("XX9")


def test_a_lost_create_answer_finds_the_load_balancer_instead_of_making_two(s, control):
    control(
        "PUT", "faults", {"drops": [{"rate": 1.0, "methods": ["POST"], "path": "sharedLoadBalancers", "after": True}]}
    )
    lb = s.create_load_balancer("web", "once")
    control("PUT", "faults", {})
    assert lb["name"] == "web" and list(s.load_balancers()["id"]) == [lb["id"]]
    posts = s.history[(s.history["method"] == "POST") & s.history["path"].str.contains("sharedLoadBalancers")]
    assert len(posts) == 1, "not re-sent"


def test_a_lost_delete_answer_is_checked_by_a_second_delete(s, control):
    s.create_load_balancer("web")
    control(
        "PUT",
        "faults",
        dict(DROP_FIRST, drops=[{"rate": 0.5, "methods": ["DELETE"], "path": "sharedLoadBalancers", "after": True}]),
    )
    s.delete_load_balancer("web")
    control("PUT", "faults", {})
    deletes = s.history[s.history["method"] == "DELETE"]
    assert list(deletes["status"].astype("object").fillna("lost")) == ["lost", 404]
    assert s.load_balancers().empty
