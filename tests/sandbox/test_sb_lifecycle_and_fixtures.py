"""The in-process Sandbox (start/stop, threads, options) and the fixtures it seeds."""

from __future__ import annotations

import threading

import pytest
import requests
from sandbox_api import ALIAS, DEFAULT_GROUP, Api, rels, server_body

from clc_notebook.sandbox import Sandbox


def _threads() -> set:
    return {t for t in threading.enumerate() if t.name.startswith("clc-sandbox")}


def test_start_stop_leaves_no_thread_and_closes_the_port():
    before = set(threading.enumerate())
    sb = Sandbox(mode="polls").start()
    url = sb.url
    assert url.startswith("http://127.0.0.1:") and not url.endswith("/")
    assert requests.get(f"{url}/sandbox/health").json()["status"] == "ok"
    Api(sb).create_server()  # exercise the worker threads too
    sb.stop()
    assert set(threading.enumerate()) <= before
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"{url}/sandbox/health", timeout=2)
    sb.stop()  # stopping twice is harmless


def test_context_manager_exposes_the_credentials():
    before = _threads()
    with Sandbox() as sb:
        assert (sb.username, sb.password, sb.alias, sb.location) == ("demouser1", "mypassword", "ALIAS", "WA1")
        assert sb.running and _threads() - before
        assert "mypassword" not in repr(sb) and sb.url in repr(sb)
    assert _threads() <= before


def test_url_before_start_is_a_clear_error():
    with pytest.raises(RuntimeError, match="not running"):
        _ = Sandbox().url


def test_two_sandboxes_are_independent():
    with Sandbox(mode="polls") as a, Sandbox(mode="polls") as b:
        assert a.url != b.url
        Api(a).create_server()
        assert Api(b).all_servers() == [] and len(Api(a).all_servers()) == 1


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"host": "0.0.0.0"}, "host"),
        ({"port": -1}, "port"),
        ({"port": 70000}, "port"),
        ({"mode": "warp"}, "mode"),
        ({"speed": 0}, "speed"),
        ({"polls_per_step": 0}, "polls_per_step"),
        ({"token_ttl": 0}, "token_ttl"),
        ({"datacenters": 0}, "datacenters"),
        ({"servers": -5}, "servers"),
        ({"faults": {"latency_ms": -1}}, "latency_ms"),
    ],
)
def test_bad_options_raise_value_error_naming_the_field(kwargs, field):
    with pytest.raises(ValueError, match=field):
        Sandbox(**kwargs)


def test_busy_port_is_a_clear_error():
    with Sandbox() as first:
        with pytest.raises(RuntimeError, match="cannot listen"):
            Sandbox(port=first.port).start()
        assert requests.get(f"{first.url}/sandbox/health").status_code == 200


def test_remote_binding_needs_allow_remote():
    Sandbox(host="0.0.0.0", allow_remote=True)  # constructing is allowed; nothing is bound yet


def test_seeded_account_has_three_datacenters_with_their_groups():
    with Sandbox(mode="polls") as sb:
        api = Api(sb)
        dcs = api.get(f"/v2/datacenters/{ALIAS}?groupLinks=true").json()
        assert [d["id"] for d in dcs] == ["wa1", "va1", "uc1"]
        for dc in dcs:
            root = api.group(rels(dc)["group"]["id"])
            assert root["name"] == f"{dc['id'].upper()} Hardware"
            assert [g["name"] for g in root["groups"]] == ["Archive", "Default Group", "Templates"]


def test_synthetic_account_of_a_thousand_servers():
    with Sandbox(mode="polls", servers=1000, groups=30, datacenters=5) as sb:
        api = Api(sb)
        dcs = api.get(f"/v2/datacenters/{ALIAS}?groupLinks=true").json()
        assert len(dcs) == 5
        trees = [api.group(rels(dc)["group"]["id"], detailed=True) for dc in dcs]
        assert sum(t["serversCount"] for t in trees) == 1000

        def walk(g, depth=0):
            yield g, depth
            for child in g["groups"]:
                yield from walk(child, depth + 1)

        groups = [(g, d) for t in trees for g, d in walk(t)]
        assert sum(1 for g, _ in groups if g["name"].startswith("Group ")) == 30
        assert max(d for _, d in groups) >= 2  # some synthetic groups are nested
        servers = [s for g, _ in groups for s in g.get("servers", [])]
        assert len(servers) == 1000 and len({s["id"] for s in servers}) == 1000
        assert len({s["details"]["ipAddresses"][0]["internal"] for s in servers}) == 1000
        # Generated names continue the per-prefix counter.
        assert api.create_server(name="srv")["name"] == "WA1ALIASSRV201"


def test_many_datacenters_get_generated_ids():
    with Sandbox(mode="polls", datacenters=15) as sb:
        ids = [d["id"] for d in Api(sb).get(f"/v2/datacenters/{ALIAS}").json()]
        assert len(ids) == len(set(ids)) == 15
        assert all(len(i) == 3 and i[:2].isalpha() and i[2].isdigit() for i in ids)


def test_unusable_state_file_is_a_clear_error(tmp_path):
    before = set(threading.enumerate())
    with pytest.raises(ValueError, match="state"):
        Sandbox(state=str(tmp_path / "missing" / "dir" / "x.sqlite")).start()
    bad = tmp_path / "bad.sqlite"
    bad.write_text("this is not a database " * 100)
    with pytest.raises(ValueError, match="not a database"):
        Sandbox(state=str(bad)).start()
    assert set(threading.enumerate()) <= before


def test_new_ids_are_repeatable_across_fresh_sandboxes_and_unique_across_restarts(tmp_path):
    def first_ids(sb):
        api = Api(sb)
        r = api.post(f"/v2/servers/{ALIAS}", json=server_body())
        group = api.post(f"/v2/groups/{ALIAS}", json={"name": "g", "parentGroupId": DEFAULT_GROUP}).json()
        return rels(r.json())["self"]["id"], group["id"]

    with Sandbox(mode="polls") as a, Sandbox(mode="polls") as b:
        assert first_ids(a) == first_ids(b)
    state = str(tmp_path / "ids.sqlite")
    with Sandbox(mode="polls", state=state) as sb:
        before = first_ids(sb)
    with Sandbox(mode="polls", state=state) as sb:
        after = first_ids(sb)
    assert not set(before) & set(after)
