"""clc_notebook.exercises: on an account where a task was not done, its check fails with a hint that says
what is missing; with a wrong answer, a hint naming it; once done, it passes. Over HTTP, on a trainee's
own account of the classroom sandbox (and without any session at all)."""

from __future__ import annotations

import pytest

import clc_notebook as clc
from clc_notebook import exercises as ex


@pytest.fixture
def trainee(classroom):
    row = classroom.trainees[2]
    s = clc.connect(url=classroom.url, username=row["username"], password=row["password"], quiet=True)
    yield s
    s.close()


def default_group(s) -> str:
    groups = s.groups(s.location)
    return groups.loc[groups["name"] == "Default Group", "id"].iloc[0]


def assert_hint(check: ex.Check, *words: str) -> None:
    assert not check and not check.passed, check
    for word in words:
        assert word in check.message, (word, check)
    assert repr(check).startswith("NOT YET") and "Not yet" in check._repr_html_()


def test_every_check_gives_its_hint_on_an_account_where_nothing_was_done(trainee):
    s = trainee
    assert_hint(ex.check_capabilities(s, None, None), "Set NETWORK_ID and TEMPLATE", "s.capabilities()")
    assert_hint(ex.check_group(s, None), "Set DEFAULT_GROUP", "Default Group")
    assert_hint(ex.check_server(s), f"No server named WA1{s.alias}WEBNN yet", "s.create_server")
    assert_hint(ex.check_uuid(s, None), "Set UUID", "self_href")
    assert_hint(ex.check_description(s), "no 'web' server yet", "task 4")
    assert_hint(ex.check_reboot(s, None), "Set REBOOT", "s.reboot")


def test_every_check_without_a_session_says_to_log_in_first(trainee):
    for check in (
        ex.check_login(None),
        ex.check_capabilities(None, "x", "y"),
        ex.check_group(None, "x"),
        ex.check_server(None),
        ex.check_uuid(None, "x"),
        ex.check_description(None),
        ex.check_reboot(None, None),
    ):
        assert_hint(check, "no open session", "clc.connect")
    trainee.close()
    assert_hint(ex.check_login(trainee), "no open session")


def test_wrong_answers_get_a_hint_naming_them(trainee, classroom):
    s = trainee
    other = classroom.api(classroom.trainees[0])
    other_network = other.ok_json("GET", f"/v2/datacenters/{other.alias}/WA1/deploymentCapabilities")
    network = s.capabilities().networks["network_id"].iloc[0]
    assert_hint(
        ex.check_capabilities(s, other_network["deployableNetworks"][0]["networkId"], "RHEL-6-64-TEMPLATE"),
        "is not a network of WA1",
    )
    assert_hint(ex.check_capabilities(s, network, "NOPE"), "'NOPE' is not a template")
    assert_hint(ex.check_capabilities(s, network, "WIN2012R2DTC-64"), "the tutorial builds from RHEL-6-64-TEMPLATE")
    groups = s.groups(s.location)
    archive = groups.loc[groups["name"] == "Archive", "id"].iloc[0]
    assert_hint(ex.check_group(s, archive), "'Archive', not 'Default Group'")
    assert_hint(ex.check_group(s, "0" * 32), "is not a group of WA1")
    assert_hint(ex.check_uuid(s, "not-a-uuid"), "is not a uuid")
    # a server of the wrong size, then still under construction
    job = s.create_server(name="web", group_id=default_group(s), template="RHEL-6-64-TEMPLATE", cpu=1, memory_gb=1)
    assert_hint(ex.check_server(s), "underConstruction", "wait")
    job.wait(timeout=60, poll=0.01)
    assert_hint(ex.check_server(s), "has 1 CPU(s) and 1 GB", "asks for 2 and 4 GB")
    assert_hint(ex.check_description(s), "set 'A very important server'")
    assert_hint(ex.check_uuid(s, "0" * 32), "No server of your account has the uuid")
    reboot = s.reboot([job.server_id])
    assert_hint(ex.check_reboot(s, reboot), "wait for it")


def test_each_check_passes_once_its_task_is_done(trainee):
    s = trainee
    assert ex.check_login(s).passed
    caps = s.capabilities()
    network = caps.networks["network_id"].iloc[0]
    assert ex.check_capabilities(s, network, "RHEL-6-64-TEMPLATE")
    group = default_group(s)
    assert ex.check_group(s, group)
    job = s.create_server(
        name="web", group_id=group, template="RHEL-6-64-TEMPLATE", network_id=network, cpu=2, memory_gb=4
    )
    job.wait(timeout=60, poll=0.01)
    assert ex.check_server(s)
    uuid = job.self_href.split("/")[-1].split("?")[0]
    assert ex.check_uuid(s, uuid)
    s.update_server(job.server_id, description="A very important server")
    assert ex.check_description(s)
    reboot = s.reboot([job.server_id]).wait(timeout=60, poll=0.01)
    passed = ex.check_reboot(s, reboot)
    assert passed and "PASSED" in repr(passed) and "Passed" in passed._repr_html_()
