"""Every Session method against a real sandbox over HTTP (polls mode: jobs move per status read)."""

import re

import pytest

import clc_notebook as clc
from clc_notebook import frames


def test_login_fills_alias_location_and_roles(s):
    assert (s.alias, s.location, s.username) == ("ALIAS", "WA1", "demouser1")
    assert s.roles, "the login answer's roles are kept"
    assert s.transport.authenticated


def test_bad_password_is_an_authentication_error(sb):
    with pytest.raises(clc.AuthenticationError) as info:
        clc.connect(sb.url, sb.username, "wrong-password", quiet=True)
    err = info.value
    assert err.status == 400
    assert "demouser1" in str(err) and "/v2/authentication/login" in str(err)
    assert "wrong-password" not in str(err) and "wrong-password" not in repr(err)


def test_datacenters(s):
    df = s.datacenters()
    assert list(df.columns) == [c for c, _ in frames.DATACENTERS]
    wa1 = df.set_index("id").loc["WA1"]
    assert wa1["name"] == "WA1 - US West (Seattle)"
    assert wa1["root_group_name"] == "WA1 Hardware"
    assert re.fullmatch(r"[0-9a-f]{32}", wa1["root_group_id"])
    assert isinstance(df.attrs["raw"], list)


def test_capabilities_of_the_default_datacenter(s, network_id):
    caps = s.capabilities()
    assert caps.datacenter == "WA1"
    assert {"RHEL-6-64-TEMPLATE", "WIN2012R2DTC-64"} <= set(caps.templates["name"])
    assert list(caps.templates.columns) == [c for c, _ in frames.TEMPLATES]
    net = caps.networks.set_index("network_id").loc[network_id]
    assert net["name"] == "My Network"
    assert caps.raw["templates"] and "deployableNetworks" in caps.raw
    win = caps.templates.set_index("name").loc["WIN2012R2DTC-64"]
    assert win["storage_gb"] > 0 and "c" in [p.lower() for p in win["reserved_drive_paths"]]


def test_capabilities_of_an_unknown_datacenter_is_not_found(s):
    with pytest.raises(clc.NotFoundError) as info:
        s.capabilities("ZZ9")
    assert "ZZ9" in str(info.value)


def test_groups_tree_has_paths_depths_and_parents(s):
    df = s.groups("WA1")
    root = df[df["depth"] == 0]
    assert list(root["name"]) == ["WA1 Hardware"] and root["parent_id"].isna().all()
    row = df.set_index("path").loc["WA1 Hardware/Default Group"]
    assert row["depth"] == 1 and row["parent_id"] == root["id"].iloc[0]
    assert {"WA1 Hardware/Archive", "WA1 Hardware/Templates"} <= set(df["path"])
    assert set(df.loc[df["name"] == "Archive", "type"]) == {"archive"}
    assert df["location"].eq("WA1").all()


def test_groups_of_the_whole_account_cover_every_datacenter(s):
    every = s.groups()
    dcs = set(s.datacenters()["id"])
    assert set(every["location"]) == dcs
    assert (every["depth"] == 0).sum() == len(dcs)


def test_group_create_get_update_delete(s, default_group):
    made = s.create_group("batch", default_group, description="nightly jobs")
    assert isinstance(made, clc.Group) and made.name == "batch"
    assert made.parent_id == default_group
    assert s.update_group(made.id, name="batch2", description="renamed") is None
    fetched = s.group(made.id)
    assert (fetched["name"], fetched["description"]) == ("batch2", "renamed")
    assert "WA1 Hardware/Default Group/batch2" in set(s.groups("WA1")["path"])
    job = s.delete_group(made.id)
    assert job.wait(timeout=30).succeeded
    with pytest.raises(clc.NotFoundError):
        s.group(made.id)


def test_update_group_rejects_unknown_members_before_sending(s, default_group):
    calls = len(s.history)
    with pytest.raises(clc.ValidationError) as info:
        s.update_group(default_group, colour="blue")
    assert info.value.status is None and "colour" in str(info.value)
    assert info.value.fields == ["colour"]
    assert len(s.history) == calls


def test_create_wait_and_read_a_server(s, default_group, template, network_id):
    job = s.create_server(
        name="web",
        group_id=default_group,
        template=template,
        network_id=network_id,
        cpu=2,
        memory_gb=4,
        password="Secr3t!Pass",
        description="web node",
    )
    assert job.kind == "create" and re.fullmatch(r"wa1-\d+", job.id)
    assert job.last_status is None and not job.done
    seen = []
    job.wait(timeout=30, progress=lambda j, st, el: seen.append(st))
    assert job.succeeded and seen[-1] == "succeeded" and seen[0] == "notStarted"
    server = job.server()
    assert isinstance(server, clc.Server)
    assert re.fullmatch(r"WA1ALIASWEB\d{2,}", server.name) and server.id == server.name.lower()
    assert job.server_id == server.id
    assert server.status == "active" and server.power_state == "started"
    assert server["details"]["memoryMB"] == 4096 and server["details"]["cpu"] == 2
    assert server["description"] == "web node"
    assert s.server(server.id.upper())["id"] == server.id  # ids are case-insensitive
    uuid = job.self_href.split("?")[0].rsplit("/", 1)[1]
    assert s.server(uuid)["id"] == server.id


def test_servers_of_a_group_a_datacenter_and_the_account(s, built, default_group):
    for df in (s.servers(group=default_group), s.servers("WA1"), s.servers()):
        assert list(df.columns) == [c for c, _ in frames.SERVERS]
        row = df.set_index("id").loc[built.id]
        assert row["memory_gb"] == 2.0 and row["memory_mb"] == 2048 and row["cpu"] == 1
        assert row["group_id"] == default_group and row["group_name"] == "Default Group"
        assert row["status"] == "active" and row["power_state"] == "started"
        assert re.fullmatch(r"\d+\.\d+\.\d+\.\d+", row["ip"])
        assert row["location"] == "WA1"
    assert s.servers()["group_path"].str.startswith("WA1 Hardware").any()


def test_account_inventory_costs_requests_per_datacenter_not_per_server(s, built, sb):
    before = len(s.history)
    s.servers()
    cost_small = len(s.history) - before
    for i in range(3):
        s.create_server(
            name=f"db{i}", group_id=built["groupId"], template="RHEL-6-64-TEMPLATE", cpu=1, memory_gb=1
        ).wait(timeout=30)
    before = len(s.history)
    df = s.servers()
    paths = list(s.history["path"].iloc[before:])
    assert len(df) >= 4
    dcs = len(s.datacenters())
    assert len(paths) == cost_small == 1 + dcs
    assert sum("serverDetail=detailed" in p for p in paths) == dcs


def test_server_not_found_names_the_server(s):
    with pytest.raises(clc.NotFoundError) as info:
        s.server("wa1aliasnope01")
    err = info.value
    assert err.status == 404 and "wa1aliasnope01" in str(err)
    assert repr(err).startswith("NotFoundError(status=404")


def test_update_server_sync_members_return_none(s, built):
    assert s.update_server(built.id, description="renamed") is None
    assert s.server(built.id)["description"] == "renamed"


def test_update_server_async_members_return_a_job(s, built):
    job = s.update_server(built.id, cpu=2, memory_gb=8)
    assert isinstance(job, clc.Job) and job.kind == "update" and job.server_id == built.id
    job.wait(timeout=30)
    details = s.server(built.id)["details"]
    assert (details["cpu"], details["memoryMB"]) == (2, 8192)


def test_update_server_password_reads_the_current_one(s, built):
    job = s.update_server(built.id, password="N3w!Passw0rd")
    job.wait(timeout=30)
    assert s.credentials(built.id).password == "N3w!Passw0rd"


def test_delete_server(s, built):
    job = s.delete_server(built.id)
    assert job.kind == "delete" and job.server_id == built.id
    job.wait(timeout=30)
    with pytest.raises(clc.NotFoundError):
        s.server(built.id)
    assert built.id not in set(s.servers()["id"])


@pytest.mark.parametrize(
    "method, expect",
    [
        ("power_off", "stopped"),
        ("pause", "paused"),
        ("reboot", "started"),
        ("reset", "started"),
        ("shut_down", "stopped"),
    ],
)
def test_power_operations(s, built, method, expect):
    jobs = getattr(s, method)(built.id)
    assert isinstance(jobs, clc.JobSet) and len(jobs) == 1 and not jobs.not_queued
    assert jobs[0].kind == method and jobs[0].server_id == built.id
    jobs.wait(timeout=30)
    assert s.server(built.id).power_state == expect


def test_power_on_after_power_off_and_maintenance(s, built):
    s.power_off([built.id]).wait(timeout=30)
    s.power("powerOn", built.id).wait(timeout=30)
    assert s.server(built.id).power_state == "started"
    s.start_maintenance(built.id).wait(timeout=30)
    assert s.server(built.id)["details"]["inMaintenanceMode"] is True
    s.stop_maintenance(built.id).wait(timeout=30)
    assert s.server(built.id)["details"]["inMaintenanceMode"] is False


def test_archive(s, built):
    s.archive(built).wait(timeout=30)
    assert s.server(built.id).status == "archived"


def test_power_accepts_a_dataframe_and_polls_many_jobs_in_one_loop(s, default_group, template):
    jobs = [
        s.create_server(name=f"n{i}", group_id=default_group, template=template, cpu=1, memory_gb=1) for i in range(3)
    ]
    clc.JobSet(jobs).wait(timeout=30)
    df = s.servers(group=default_group)
    reboots = s.reboot(df)
    assert len(reboots) == len(df) == 3
    order = []
    reboots.wait(timeout=30, progress=lambda j, st, el: order.append(j.server_id))
    # one read per unfinished job per round: the first round visits every job once, in order
    assert order[:3] == [j.server_id for j in reboots]
    summary = reboots.summary()
    assert list(summary.columns) == [c for c, _ in frames.JOBS]
    assert summary["status"].eq("succeeded").all()


def test_unknown_power_operation_is_refused_before_sending(s):
    with pytest.raises(clc.ValidationError) as info:
        s.power("explode", ["x"])
    assert "explode" in str(info.value) and "power_on" in str(info.value)
    with pytest.raises(clc.ValidationError):
        s.reboot([])


def test_credentials(s, built):
    creds = s.credentials(built.id)
    assert creds.username in ("root", "administrator", "Administrator")
    assert creds.password == "Secr3t!Pass"
    assert "Secr3t!Pass" not in repr(creds) and "Secr3t!Pass" not in str(creds)


def test_public_ip_cycle(s, built):
    job = s.add_public_ip(built.id, ports=[80, ("tcp", 8080, 8081)], source_restrictions=["70.100.60.140/32"])
    job.wait(timeout=30)
    ips = s.public_ips(built.id)
    assert len(ips) == 1
    ip = ips[0]
    detail = s.public_ip(built.id, ip)
    ports = {(p["protocol"].upper(), p["port"], p.get("portTo")) for p in detail["ports"]}
    assert ("TCP", 80, None) in ports and ("TCP", 8080, 8081) in ports
    assert s.servers(group=built["groupId"]).set_index("id").loc[built.id, "public_ip"] == ip
    s.update_public_ip(built.id, ip, ports=[443]).wait(timeout=30)
    assert [p["port"] for p in s.public_ip(built.id, ip)["ports"]] == [443]
    s.delete_public_ip(built.id, ip).wait(timeout=30)
    assert s.public_ips(built.id) == []


def test_custom_fields_frame(s):
    df = s.custom_fields()
    assert list(df.columns) == [c for c, _ in frames.CUSTOM_FIELDS]
    assert str(df["is_required"].dtype) == "boolean"


def test_job_by_status_id(s, built):
    job = s.reboot(built.id)[0]
    again = s.job(job.id)
    assert again.status() in ("notStarted", "executing", "succeeded")
    again.wait(timeout=30)
    assert again.succeeded and again.id == job.id


def test_request_escape_hatch(s):
    data = s.request("GET", "/v2/datacenters/{alias}/WA1", params={"groupLinks": "true"})
    assert data["name"] == "WA1 - US West (Seattle)"
    assert s.history["path"].iloc[-1] == "/v2/datacenters/ALIAS/WA1?groupLinks=true"


def test_history_records_every_call(s):
    s.datacenters()
    h = s.history
    assert list(h.columns) == [c for c, _ in frames.HISTORY]
    assert h["method"].iloc[0] == "POST" and h["path"].iloc[0] == "/v2/authentication/login"
    last = h.iloc[-1]
    assert (last["method"], last["status"]) == ("GET", 200) and last["ms"] >= 0
    assert str(h["time"].dtype) == "datetime64[ns, UTC]"


def test_session_repr_and_html(s, built):
    assert repr(s) == "<Session demouser1@ALIAS WA1 via embedded sandbox>"
    html = s._repr_html_()
    assert "demouser1" in html and "ALIAS" in html and "WA1" in html
    server_html = built._repr_html_()
    assert built.name in server_html and "started" in server_html
    job = s.reboot(built.id)[0]
    assert job.id in job._repr_html_() and "not read yet" in job._repr_html_()
    job.wait(timeout=30)
    assert "succeeded" in job._repr_html_()


def test_closed_session_says_so(sb):
    session = clc.connect(sandbox=sb, quiet=True)
    session.close()
    assert repr(session).endswith("closed>")
    assert sb.url  # a sandbox passed in is not stopped by the session
    with clc.connect(sandbox=sb, quiet=True) as again:
        assert "WA1" in set(again.datacenters()["id"])


def test_datacenter_and_root_group_id(s):
    dc = s.datacenter("wa1")
    assert dc["name"] == "WA1 - US West (Seattle)"
    root = s.root_group_id()
    assert root == s.datacenters().set_index("id").loc["WA1", "root_group_id"]
    assert s.group(root)["name"] == "WA1 Hardware"
    with pytest.raises(clc.NotFoundError):
        s.datacenter("ZZ9")


def test_group_and_capabilities_displays(s, default_group):
    group = s.group(default_group)
    assert repr(group).startswith("<Group 'Default Group'")
    assert "Default Group" in group._repr_html_()
    assert list(group.frame()["name"])[0] == "Default Group"
    caps = s.capabilities()
    assert repr(caps).startswith("<Capabilities WA1:") and "RHEL-6-64-TEMPLATE" in caps._repr_html_()
    assert "RHEL-6-64-TEMPLATE" in caps.template_names


def test_jobset_repr_and_html(s, built):
    jobs = s.reboot([built.id, "wa1aliasnope01"])
    assert repr(jobs) == "<JobSet reboot 0/1 done, 1 not queued>"
    jobs.wait(timeout=30, raise_on_failure=False)
    assert repr(jobs) == "<JobSet reboot 1/1 done, 1 not queued>"
    assert "notQueued" in jobs._repr_html_()
