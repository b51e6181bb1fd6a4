"""The change record (recording.py) and the runbook written from it (runbook.py), without running it:
papermill replays are in tests/notebooks/test_runbook_export.py."""

from __future__ import annotations

import json

import pytest
from sandbox_api import TEMPLATE

import clc_notebook as clc
from clc_notebook import widgets as clw
from clc_notebook.recording import SECRET, log_of
from clc_notebook.runbook import check_state

SERVER_PASSWORD = "Kp4!record-Secret"


def _cells(path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def _code(path) -> str:
    return "\n".join(c["source"] for c in _cells(path) if c["cell_type"] == "code")


def _build(s, name="web", **more) -> str:
    return (
        s.create_server(name=name, group_id="Default Group", template=TEMPLATE, cpu=1, memory_gb=2, **more)
        .wait(timeout=60)
        .server_id
    )


def test_only_the_outermost_change_call_is_recorded_and_reads_are_not(s):
    server_id = _build(s, password=SERVER_PASSWORD)
    s.servers()
    s.reboot([server_id]).wait(timeout=60)  # reboot() calls power(): one change
    with pytest.raises(clc.ValidationError):
        s.update_server(server_id, cpu=99)

    changes = list(log_of(s))
    assert [c.method for c in changes] == ["create_server", "reboot", "update_server"]
    assert changes[0].arguments["password"] is SECRET
    assert SERVER_PASSWORD not in repr(changes)
    assert changes[1].arguments == {"server_ids": [server_id]}
    assert changes[1].outcome == "succeeded" and not changes[1].failed
    assert changes[2].failed and changes[2].outcome.startswith("raised ValidationError")


def test_the_runbook_keeps_ids_in_variables_and_names_as_parameters(s, tmp_path):
    group = s.create_group("Team", "Default Group", description="the web team")
    server_id = _build(s)
    s.update_server(server_id, group_id=group.id, description="moved")
    s.pause([server_id]).wait(timeout=60)
    path = s.export_runbook(tmp_path / "runbook.ipynb")

    cells = _cells(path)
    first_code = next(c for c in cells if c["cell_type"] == "code")
    assert first_code["metadata"]["tags"] == ["parameters"]
    for line in ("url = None", "username = None", "password = None", 'dc = "WA1"'):
        assert line in first_code["source"]
    assert 'server_1_name = "web"' in first_code["source"]
    assert 'group_1_name = "Team"' in first_code["source"]
    assert 'group_2 = "Default Group"' in first_code["source"]  # the account's group, by its name
    code = _code(path)
    # ids the session got from the API are never copied: what created them names them at run time
    assert server_id not in code and group.id not in code
    assert "server_1_id = s.create_server(" in code and ".wait(timeout=timeout, poll=poll).server_id" in code
    assert "group_1_id = s.create_group(name=group_1_name, parent_id=group_2_id" in code
    assert 's.update_server(server_1_id, group_id=group_1_id, description="moved")' in code
    assert "s.pause([server_1_id]).wait(timeout=timeout, poll=poll)" in code
    assert cells[-1]["source"].startswith("from clc_notebook.runbook import check_state")
    assert '"power_state": "paused"' in cells[-1]["source"]


def test_a_power_operation_is_replayed_per_server_id_on_the_servers_it_changed(s, tmp_path):
    first, second = _build(s, "web"), _build(s, "db")
    s.pause([second]).wait(timeout=60)
    jobs = s.pause([first, second])  # the second is refused: already paused
    assert [i["server"] for i in jobs.not_queued] == [second]
    jobs.wait(timeout=60, raise_on_failure=False)
    path = s.export_runbook(tmp_path / "runbook.ipynb")

    code = _code(path)
    assert code.count("s.pause([server_2_id]).wait(timeout=timeout, poll=poll)") == 1  # the first pause of the second
    assert "s.pause([server_1_id]).wait(timeout=timeout, poll=poll)" in code  # the refused one left out
    notes = [c["source"] for c in _cells(path) if c["cell_type"] == "markdown"]
    assert any(f"left out for {second}" in note for note in notes)


def test_a_failed_change_is_a_note_not_a_step(s, sb, tmp_path):
    server_id = _build(s)
    sb.set_faults({"job_failure_rate": 1.0})
    with pytest.raises(clc.JobFailedError):
        s.reboot([server_id]).wait(timeout=60)
    sb.set_faults({})
    with pytest.raises(clc.ValidationError):
        s.create_server(name="bad", group_id="Default Group", template=TEMPLATE, cpu=99, memory_gb=2)
    path = s.export_runbook(tmp_path / "runbook.ipynb")

    code = _code(path)
    assert "reboot" not in code and "bad" not in code
    notes = "\n".join(c["source"] for c in _cells(path) if c["cell_type"] == "markdown")
    assert "Not replayed: `s.reboot(" in notes and "its job failed" in notes
    assert "Not replayed: `s.create_server(" in notes and "raised ValidationError" in notes


def test_export_waits_for_jobs_still_running(s, tmp_path):
    job = s.create_server(name="web", group_id="Default Group", template=TEMPLATE, cpu=1, memory_gb=2)
    assert not job.done
    path = s.export_runbook(tmp_path / "runbook.ipynb")
    assert job.succeeded
    assert "server_1_id = s.create_server(" in _code(path)


def test_check_state_names_each_difference(s):
    server_id = _build(s)
    check_state(s, servers={server_id: {"name": "web", "cpu": 1, "memory_gb": 2, "power_state": "started"}})
    with pytest.raises(AssertionError) as caught:
        check_state(
            s,
            servers={server_id: {"name": "db", "cpu": 2}, "wa1aliasnope01": {"cpu": 1}},
            groups={"0" * 32: {"name": "Team"}},
        )
    text = str(caught.value)
    assert f"server {server_id}: name 'WA1ALIASWEB01' does not end in DBNN" in text
    assert f"server {server_id}: cpu is 1, expected 2" in text
    assert "server wa1aliasnope01: not found" in text
    assert f"group {'0' * 32}: not found" in text


def test_a_new_group_named_by_its_new_name_is_its_variable(s, tmp_path):
    group = s.create_group("Team", "Default Group")
    s.update_group(group.id, name="Crew")
    s.create_server(name="web", group_id="Crew", template=TEMPLATE, cpu=1, memory_gb=2).wait(timeout=60)
    cells = [c["source"] for c in _cells(s.export_runbook(tmp_path / "runbook.ipynb")) if c["cell_type"] == "code"]
    assert 's.update_group(group_1_id, name="Crew")' in cells
    build = next(c for c in cells if "s.create_server(" in c)
    assert "group_id=group_1_id" in build and "Crew" not in build


def test_an_account_network_and_policy_are_parameters_by_name_resolved_in_dc(s, sb, tmp_path):
    with clc.connect(sandbox=sb, quiet=True) as other:  # the account had the policy before the session
        policy = other.create_anti_affinity_policy("Spread", dc="WA1")
    network_id = s.resolve_network("My Network")
    form = clw.ServerBuildForm(s, remember=False, poll=0.01)
    form.set(name="web", cpu=1, memory_gb=2).build().wait(timeout=60)  # the form gives the network's id
    assert list(log_of(s))[0].arguments["network_id"] == network_id
    _build(s, "hs", server_type="hyperscale", network="My Network", anti_affinity_policy_id=policy["id"])
    s.update_anti_affinity_policy(policy["id"], name="Spread out")  # named by its name before, in the runbook
    path = s.export_runbook(tmp_path / "runbook.ipynb")

    cells = [c["source"] for c in _cells(path) if c["cell_type"] == "code"]
    assert 'network_1 = "My Network"  # a network of the account: its name in dc' in cells[0]
    assert 'anti_affinity_policy_1 = "Spread"  # an anti-affinity policy of the account: its name' in cells[0]
    assert "network_1_id = s.resolve_network(network_1, dc)" in cells[1]
    assert "anti_affinity_policy_1_id = s.resolve_anti_affinity_policy(anti_affinity_policy_1)" in cells[1]
    code = "\n".join(cells)
    assert network_id not in code and policy["id"] not in code  # no id of this account is copied
    assert "network_id=network_1_id" in cells[2]
    assert "network=network_1_id" in cells[3] and "anti_affinity_policy_id=anti_affinity_policy_1_id" in cells[3]
    assert 's.update_anti_affinity_policy(policy=anti_affinity_policy_1_id, name="Spread out")' in cells


def test_a_network_in_another_data_center_is_resolved_there(s, tmp_path):
    va1 = s.networks("VA1").iloc[0]
    group = s.resolve_group("Default Group", "VA1")
    s.create_server(name="web", group_id=group, template=TEMPLATE, cpu=1, memory_gb=2, network_id=va1["id"]).wait(
        timeout=60
    )
    cells = [c["source"] for c in _cells(s.export_runbook(tmp_path / "runbook.ipynb")) if c["cell_type"] == "code"]
    assert f'network_1 = "{va1["name"]}"  # a network of the account: its name in VA1' in cells[0]
    assert 'network_1_id = s.resolve_network(network_1, "VA1")' in cells[1]
    assert va1["id"] not in "\n".join(cells)


def test_a_private_address_is_read_at_run_time_not_copied(s, tmp_path):
    server_id = _build(s)
    s.add_public_ip(server_id, [80]).wait(timeout=60)  # claims a new private address on the server
    claimed = s.public_ip(server_id, s.public_ips(server_id)[0])["internalIPAddress"]
    primary = s.server(server_id).ip
    assert claimed != primary
    s.add_public_ip(server_id, [443], internal_ip=claimed).wait(timeout=60)
    s.add_public_ip(server_id, [22], internal_ip=primary).wait(timeout=60)
    cells = [c["source"] for c in _cells(s.export_runbook(tmp_path / "runbook.ipynb")) if c["cell_type"] == "code"]

    code = "\n".join(cells)
    assert claimed not in code and primary not in code
    assert 'public_ip_1_internal = s.public_ip(server_1_id, public_ip_1)["internalIPAddress"]' in cells[3]
    assert "s.add_public_ip(server_1_id, ports=[443], internal_ip=public_ip_1_internal)" in cells[4]
    assert "s.add_public_ip(server_1_id, ports=[22], internal_ip=s.server(server_1_id).ip)" in cells[5]
    assert "public_ip_2_internal" not in code and "public_ip_3_internal" not in code  # no later add names them


def test_the_address_a_removed_public_ip_claimed_is_still_told(s, tmp_path):
    server_id = _build(s)
    s.add_public_ip(server_id, [80]).wait(timeout=60)
    ip = s.public_ips(server_id)[0]
    claimed = s.public_ip(server_id, ip)["internalIPAddress"]
    s.delete_public_ip(server_id, ip).wait(timeout=60)  # the private address stays the server's
    s.add_public_ip(server_id, [443], internal_ip=claimed).wait(timeout=60)
    code = _code(s.export_runbook(tmp_path / "runbook.ipynb"))
    assert claimed not in code
    assert "s.add_public_ip(server_1_id, ports=[443], internal_ip=public_ip_1_internal)" in code


def test_the_runbook_says_to_give_the_password_in_the_environment_not_as_a_parameter(s, tmp_path):
    _build(s)
    cells = _cells(s.export_runbook(tmp_path / "runbook.ipynb"))
    title, parameters = cells[0]["source"], cells[1]["source"]
    assert "read -rs CLC_V2_API_PASSWD && export CLC_V2_API_PASSWD" in title
    assert "papermill runbook.ipynb out.ipynb -p url URL -p username USER\n" in title
    assert "Do not pass `-p password`" in title and "stored in `out.ipynb`" in title
    assert "-p password PASSWORD" not in title
    assert "# and set CLC_V2_API_PASSWD: papermill writes a -p value into its output notebook." in parameters


def test_enabling_a_cross_dc_firewall_policy_is_a_change_replayed_on_its_variable(s, tmp_path):
    policy = s.create_cross_dc_firewall_policy("10.20.0.0/16", "10.101.0.0/16", "VA1")
    s.enable_cross_dc_firewall_policy(policy["id"], enabled=False)
    assert [c.method for c in log_of(s)] == ["create_cross_dc_firewall_policy", "enable_cross_dc_firewall_policy"]
    code = _code(s.export_runbook(tmp_path / "runbook.ipynb"))
    assert policy["id"] not in code
    assert "cross_dc_firewall_policy_1_id = s.create_cross_dc_firewall_policy(" in code
    assert "s.enable_cross_dc_firewall_policy(policy=cross_dc_firewall_policy_1_id, enabled=False)" in code


def test_a_raw_request_that_is_not_a_get_is_a_note_not_a_step(s, tmp_path):
    s.request("GET", "/v2/accounts/{alias}")  # a read: not recorded
    root = s.root_group_id()
    s.request("POST", "/v2/groups/{alias}", json={"name": "Raw", "parentGroupId": root})
    assert [c.method for c in log_of(s)] == ["request"]
    path = s.export_runbook(tmp_path / "runbook.ipynb")
    cells = _cells(path)
    assert "Raw" not in _code(path)
    notes = [c["source"] for c in cells if c["cell_type"] == "markdown"]
    assert any(
        note.startswith("**1.** Not replayed: raw request `s.request(")
        and '"POST"' in note
        and "/v2/groups/{alias}" in note
        for note in notes
    )
    assert "1 not replayed (a note says why)" in cells[0]["source"]
