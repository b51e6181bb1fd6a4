"""A group can be named wherever one is asked for: by id, by a unique name, or by its path.

One resolver (``Session.resolve_group``) serves every method; these tests go through the public
methods against the real sandbox, so a method that skipped the resolver would fail here.
"""

from __future__ import annotations

import pytest

import clc_notebook as clc

PATH = "WA1 Hardware/Default Group"


def test_an_id_is_used_as_it_is_without_a_lookup(s, default_group):
    before = s.calls
    assert s.resolve_group(default_group) == default_group
    assert s.calls == before  # a 32-hex id costs no request


@pytest.mark.parametrize("ref", ["Default Group", PATH, "wa1 hardware / default group", "default group"])
def test_a_name_or_a_path_gives_the_id(s, default_group, ref):
    assert s.resolve_group(ref) == default_group


def test_servers_and_create_server_take_a_name_or_a_path(s, default_group, template):
    job = s.create_server(name="web", group_id="Default Group", template=template, cpu=1, memory_gb=1)
    job.wait(timeout=30)
    server = job.server()
    assert server["groupId"] == default_group
    by_name = s.servers(group="Default Group")
    by_path = s.servers(group=PATH)
    by_id = s.servers(group=default_group)
    assert list(by_name["id"]) == list(by_path["id"]) == list(by_id["id"]) == [server.id]


def test_group_methods_take_names_and_paths(s, default_group):
    made = s.create_group("batch", parent_id="Default Group", description="made by name")
    assert made["name"] == "batch"
    assert s.group(f"{PATH}/batch")["id"] == made.id
    assert s.group("batch")["id"] == made.id
    s.update_group("batch", description="renamed by name", parent_id="WA1 Hardware")
    moved = s.group("batch")
    assert moved["description"] == "renamed by name"
    assert s.resolve_group("WA1 Hardware/batch") == made.id  # moved under the root
    s.delete_group("WA1 Hardware/batch").wait(timeout=30)
    with pytest.raises(clc.NotFoundError):
        s.group(made.id)


def test_update_server_moves_a_server_to_a_group_given_by_name(s, built, default_group):
    other = s.create_group("moved", parent_id=PATH)
    assert s.update_server(built.id, group_id=f"{PATH}/moved") is None
    assert s.server(built.id)["groupId"] == other.id


def test_an_ambiguous_name_lists_each_candidate_with_its_path_and_id(s):
    first = s.create_group("web", parent_id="WA1 Hardware")
    second = s.create_group("web", parent_id=PATH)
    with pytest.raises(clc.ValidationError) as caught:
        s.servers(group="web")
    text = str(caught.value)
    assert "2 groups in data center WA1 are called 'web'" in text
    assert f"WA1 Hardware/web (id {first.id})" in text and f"{PATH}/web (id {second.id})" in text
    assert "path or the id" in text
    assert s.resolve_group(f"{PATH}/web") == second.id  # the path settles it


def test_a_name_found_nowhere_says_so_with_the_groups_there_are(s):
    with pytest.raises(clc.NotFoundError) as caught:
        s.servers(group="Defualt Group")
    text = str(caught.value)
    assert "no group named 'Defualt Group' in data center WA1" in text
    assert PATH in text and "path" in text
    # where the group is an argument of a change, the same text comes as a ValidationError naming it
    with pytest.raises(clc.ValidationError) as caught:
        s.create_server(name="web", group_id="Defualt Group", template="RHEL-6-64-TEMPLATE", cpu=1, memory_gb=1)
    assert caught.value.fields == ["group_id"] and "no group named 'Defualt Group'" in str(caught.value)
    assert s.servers().empty  # nothing was built


def test_a_name_is_looked_up_in_the_data_center_asked(s):
    va1 = s.groups("VA1").set_index("path").loc["VA1 Hardware/Default Group", "id"]
    assert s.resolve_group("Default Group", "VA1") == va1
    assert s.servers(dc="VA1", group="Default Group").empty
    assert s.resolve_group("VA1 Hardware/Default Group") == va1  # a path needs no dc


@pytest.mark.parametrize("bad", [None, "", "   ", 42, ["Default Group"]])
def test_a_value_that_is_no_group_reference_is_refused_naming_the_field(s, bad):
    with pytest.raises(clc.ValidationError) as caught:
        s.create_group("x", parent_id=bad)
    assert "parent_id" in str(caught.value)
