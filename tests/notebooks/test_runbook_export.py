"""An exported runbook replayed by papermill on a fresh sandbox reaches the recorded session's state.

The recorded session mixes the widgets (builds from the form, actions from the panel) and client
calls, with failures in the middle: a call the API refuses, a job that fails, a power operation
refused for one of its servers. None of them may make the replay fail, nor be replayed as if it had
worked. The comparison is the issue's: the same servers by name suffix, cpu, memory, description,
power state and group; the same groups.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from nbtest_support import embedded_sandbox_env

import clc_notebook as clc
from clc_notebook import widgets as clw

pytestmark = pytest.mark.slow  # a papermill run: a kernel and a few dozen requests

TEMPLATE = "RHEL-6-64-TEMPLATE"
SERVER_PASSWORD = "Wm3!runbook-Secret"
FAST = dict(poll=0.01, poll_max=0.05, quiet=True)
SERVER_COLUMNS = ["name", "cpu", "memory_gb", "description", "power_state", "group_path"]


def state(s: clc.Session) -> dict:
    """What the replay must reproduce: servers by name (suffix after DC+alias) and groups by path."""
    servers = s.servers()[SERVER_COLUMNS].copy()
    servers["name"] = servers["name"].str.removeprefix(f"WA1{s.alias}")
    groups = s.groups()[["path", "description"]]
    cross_dc = s.cross_dc_firewall_policies()[["source_cidr", "destination_cidr", "destination_location", "enabled"]]
    return {
        "servers": sorted(map(tuple, servers.astype(str).values.tolist())),
        "groups": sorted(map(tuple, groups.astype(str).values.tolist())),
        "cross_dc_firewall_policies": sorted(map(tuple, cross_dc.astype(str).values.tolist())),
    }


def mixed_session(s: clc.Session, sb) -> None:
    form = clw.ServerBuildForm(s, remember=False, poll=0.02)
    form.set(name="web", description="front end", cpu=2, memory_gb=4, count=2, password=SERVER_PASSWORD)
    form.build().wait(timeout=120)
    web1, web2 = "wa1aliasweb01", "wa1aliasweb02"

    team = s.create_group("Team", "Default Group", description="the web team")
    s.update_server(web2, group_id="Team", description="moved to the team")
    s.update_server(web2, cpu=3, memory_gb=6).wait(timeout=60)

    # failures in the middle: refused at once, a job that fails, one server of two refused
    with pytest.raises(clc.ValidationError):
        s.create_server(name="big", group_id=team.id, template=TEMPLATE, cpu=99, memory_gb=2)
    sb.set_faults({"job_failure_rate": 1.0})
    with pytest.raises(clc.JobFailedError):
        s.reboot([web1]).wait(timeout=60)
    sb.set_faults({})
    actions = clw.ServerActions(s, s.servers(), poll=0.02)
    actions.run("pause", [web1]).wait(timeout=60)
    partly = actions.run("pause", [web1, web2]).wait(timeout=60)  # web1 already paused: refused
    assert [i["server"] for i in partly.not_queued] == [web1]

    db = s.create_server(name="db", group_id=team.id, template=TEMPLATE, cpu=1, memory_gb=2).wait(timeout=60)
    s.add_public_ip(db.server_id, [80]).wait(timeout=60)
    ip = s.public_ips(db.server_id)[0]
    s.update_public_ip(db.server_id, ip, [80, 443]).wait(timeout=60)
    sub = s.create_group("Scratch", team.id)
    s.delete_group(sub.id).wait(timeout=60)
    temp = s.create_server(name="tmp", group_id="Default Group", template=TEMPLATE, cpu=1, memory_gb=1)
    actions.run("delete", [temp.wait(timeout=60).server_id], confirm=True).wait(timeout=60)
    s.power_on([web1]).wait(timeout=60)
    batch = s.power_off([db.server_id, web1])  # as production: every server queued under one status id
    assert len(batch) == 2 and len({job.id for job in batch}) == 1
    batch.wait(timeout=60)
    policy = s.create_cross_dc_firewall_policy("10.20.0.0/16", "10.101.0.0/16", "VA1")
    s.enable_cross_dc_firewall_policy(policy["id"], enabled=False)


def replay(path, fresh, tmp_path, *parameters: str) -> subprocess.CompletedProcess:
    """Run the runbook with papermill on `fresh` as the docs say: url and username as parameters, the
    password in the environment; `parameters` are more ``-p NAME VALUE`` words. Asserts that the
    output notebook (written whether the run passed or failed) holds no password."""
    out = tmp_path / "out.ipynb"
    cmd = [sys.executable, "-m", "papermill", str(path), str(out), "--no-progress-bar", "--log-level", "WARNING"]
    cmd += ["-p", "url", fresh.url, "-p", "username", fresh.username]
    cmd += ["-p", "poll", "0.05", *parameters]  # polls mode moves a job per read: no growing interval
    env = dict(embedded_sandbox_env(), CLC_V2_API_PASSWD=fresh.password)
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert fresh.password not in out.read_text()  # a -p password would be in its injected-parameters cell
    return done


def test_the_runbook_runs_in_another_data_center_by_network_and_policy_names(new_sandbox, tmp_path):
    recorded_sb = new_sandbox()
    account = dict(url=recorded_sb.url, username=recorded_sb.username, password=recorded_sb.password, **FAST)
    with clc.connect(**account) as before:  # the account had the policy before the session
        policy = before.create_anti_affinity_policy("Spread", dc="WA1")
    with clc.connect(**account) as s:
        network_id = s.resolve_network("My Network")
        form = clw.ServerBuildForm(s, remember=False, poll=0.02)
        form.set(name="web", cpu=1, memory_gb=2).build().wait(timeout=60)  # the form's network, by id
        s.create_server(
            name="hs",
            group_id="Default Group",
            template=TEMPLATE,
            cpu=1,
            memory_gb=2,
            server_type="hyperscale",
            network_id=network_id,
            anti_affinity_policy_id=policy["id"],
        ).wait(timeout=60)
        path = s.export_runbook(tmp_path / "runbook.ipynb")
    assert network_id not in path.read_text() and policy["id"] not in path.read_text()

    # another data center, where the account has a network and a policy of those names (other ids)
    fresh = new_sandbox()
    with clc.connect(url=fresh.url, username=fresh.username, password=fresh.password, **FAST) as setup:
        va1_network = setup.networks("VA1").iloc[0]["id"]
        setup.update_network(va1_network, name="My Network", dc="VA1")
        setup.create_anti_affinity_policy("Spread", dc="VA1")
    done = replay(path, fresh, tmp_path, "-p", "dc", "VA1")

    assert done.returncode == 0, done.stderr[-3000:]
    with clc.connect(url=fresh.url, username=fresh.username, password=fresh.password, **FAST) as replayed:
        assert sorted(replayed.servers("VA1")["name"]) == ["VA1ALIASHS01", "VA1ALIASWEB01"]
        on_network = replayed.ip_addresses(va1_network, "VA1", type="claimed")["server"]
        assert {"VA1ALIASHS01", "VA1ALIASWEB01"} <= set(on_network)
        spread = replayed.anti_affinity_policies().set_index("name").loc["Spread"]
        assert spread["location"] == "VA1" and "va1aliashs01" in str(spread["server_ids"]).lower()
        assert replayed.servers("WA1").empty


def public_ip_layout(s: clc.Session, server_id: str) -> list[tuple]:
    """Each public IP of a server as (its ports, which private address it maps onto: the server's
    primary one, or the n-th it claimed), sorted: what a replay must reproduce, whatever the addresses."""
    primary = s.server(server_id).ip
    layout, claimed = [], []
    for ip in s.public_ips(server_id):
        answer = s.public_ip(server_id, ip)
        internal = answer["internalIPAddress"]
        if internal != primary and internal not in claimed:
            claimed.append(internal)
        target = "primary" if internal == primary else f"claimed {claimed.index(internal) + 1}"
        layout.append((sorted(p["port"] for p in answer["ports"]), target))
    return sorted(layout)


def test_public_ips_on_claimed_and_primary_addresses_replay_where_the_addresses_differ(new_sandbox, tmp_path):
    recorded_sb = new_sandbox()
    with clc.connect(url=recorded_sb.url, username=recorded_sb.username, password=recorded_sb.password, **FAST) as s:
        web = s.create_server(name="web", group_id="Default Group", template=TEMPLATE, cpu=1, memory_gb=2)
        web = web.wait(timeout=60).server_id
        s.add_public_ip(web, [80]).wait(timeout=60)  # claims a new private address
        claimed = s.public_ip(web, s.public_ips(web)[0])["internalIPAddress"]
        primary = s.server(web).ip
        s.add_public_ip(web, [443], internal_ip=claimed).wait(timeout=60)  # a second public IP on it
        s.add_public_ip(web, [22], internal_ip=primary).wait(timeout=60)
        wanted = public_ip_layout(s, web)
        path = s.export_runbook(tmp_path / "runbook.ipynb")
    assert wanted == [([22], "primary"), ([80], "claimed 1"), ([443], "claimed 1")]

    # on the fresh account another server takes the addresses the recorded session's server had
    fresh = new_sandbox()
    with clc.connect(url=fresh.url, username=fresh.username, password=fresh.password, **FAST) as other:
        app = other.create_server(name="app", group_id="Default Group", template=TEMPLATE, cpu=1, memory_gb=2)
        app = app.wait(timeout=60).server_id
        other.add_public_ip(app, [80]).wait(timeout=60)
    done = replay(path, fresh, tmp_path)

    assert done.returncode == 0, done.stderr[-3000:]
    with clc.connect(url=fresh.url, username=fresh.username, password=fresh.password, **FAST) as replayed:
        web2 = replayed.servers().set_index("name").loc["WA1ALIASWEB01", "id"]
        assert replayed.server(web2).ip != primary  # the addresses differ here ...
        assert claimed not in replayed.server(web2).row["internal_ips"]
        assert public_ip_layout(replayed, web2) == wanted  # ... and the layout is the same


def test_a_mixed_session_replays_on_a_fresh_sandbox_to_the_same_state(new_sandbox, tmp_path):
    recorded_sb = new_sandbox()
    with clc.connect(url=recorded_sb.url, username=recorded_sb.username, password=recorded_sb.password, **FAST) as s:
        mixed_session(s, recorded_sb)
        path = s.export_runbook(tmp_path / "runbook.ipynb")
        wanted = state(s)
        secrets = {recorded_sb.password, SERVER_PASSWORD, s.transport._token}

    text = path.read_text()
    assert "s.power_off([server_3_id, server_1_id])" in text  # the batch, each server by its own id
    for secret in secrets:
        assert secret not in text
    fresh = new_sandbox()
    done = replay(path, fresh, tmp_path)

    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads((tmp_path / "out.ipynb").read_text())
    printed = "".join("".join(o.get("text", "")) for c in out["cells"] for o in c.get("outputs", []))
    assert "state reached as recorded: 4 server(s), 2 group(s) checked" in printed
    with clc.connect(url=fresh.url, username=fresh.username, password=fresh.password, **FAST) as replayed:
        assert state(replayed) == wanted
    assert len(wanted["servers"]) == 3  # web01, web02, db01: tmp01 was deleted, big never built
    assert sorted((name, power) for name, _, _, _, power, _ in wanted["servers"]) == [
        ("DB01", "stopped"),
        ("WEB01", "stopped"),
        ("WEB02", "paused"),
    ]
    assert [policy[-1] for policy in wanted["cross_dc_firewall_policies"]] == ["False"]  # made, then disabled


def test_the_last_cell_fails_the_run_when_the_state_differs(new_sandbox, tmp_path):
    recorded_sb = new_sandbox()
    with clc.connect(url=recorded_sb.url, username=recorded_sb.username, password=recorded_sb.password, **FAST) as s:
        s.create_server(name="web", group_id="Default Group", template=TEMPLATE, cpu=1, memory_gb=2).wait(timeout=60)
        path = s.export_runbook(tmp_path / "runbook.ipynb")

    # the replay's own server is changed behind its back, between the build and the check: a second
    # kernel cannot do that, so the check cell is edited to expect another cpu count instead
    nb = json.loads(path.read_text())
    nb["cells"][-1]["source"] = nb["cells"][-1]["source"].replace('"cpu": 1', '"cpu": 4')
    path.write_text(json.dumps(nb))
    fresh = new_sandbox()
    done = replay(path, fresh, tmp_path)

    assert done.returncode != 0
    assert "the runbook did not reach the recorded state" in done.stderr
    assert "cpu is 1, expected 4" in done.stderr
