"""A trainee through the client: the environment a JupyterHub spawner sets from the roster logs in to the
trainee's own account, and the tutorial's workflow done with the client's calls counts every step."""

from __future__ import annotations

import clc_notebook as clc
from clc_notebook.config import ENV_PASSWORD, ENV_URL, ENV_USERNAME


def tutorial_with_the_client(s) -> None:
    """The tutorial's workflow as a trainee writes it with the client (the calls notebook 06 uses)."""
    network = s.capabilities().networks["network_id"].iloc[0]
    groups = s.groups(s.location)
    default = groups.loc[groups["name"] == "Default Group", "id"].iloc[0]
    job = s.create_server(
        name="web", group_id=default, template="RHEL-6-64-TEMPLATE", network_id=network, cpu=2, memory_gb=4
    )
    job.wait(timeout=60, poll=0.01)
    server = s.server(job.self_href.split("/")[-1].split("?")[0])  # by the uuid of the create answer
    s.update_server(server["id"], description="A very important server")
    s.reboot([server["id"]]).wait(timeout=60, poll=0.01)


def test_the_spawner_environment_logs_a_trainee_in_to_their_own_account(classroom, monkeypatch):
    row = classroom.trainees[0]
    monkeypatch.setenv(ENV_URL, classroom.url)
    monkeypatch.setenv(ENV_USERNAME, row["username"])
    monkeypatch.setenv(ENV_PASSWORD, row["password"])
    with clc.connect(quiet=True) as s:
        assert (s.username, s.alias, s.location) == (row["username"], row["alias"], "WA1")
        assert s.sandbox is None  # the class's sandbox, not an embedded one
        assert s.groups(s.location)["name"].tolist()[:1] == ["WA1 Hardware"]
    assert classroom.steps_done(row["username"]) == ["login", "datacenter", "groups"]


def test_the_workflow_through_the_client_counts_every_step(classroom):
    row = classroom.trainees[1]
    with clc.connect(url=classroom.url, username=row["username"], password=row["password"], quiet=True) as s:
        tutorial_with_the_client(s)
    me = classroom.board()[row["username"]]
    assert me["steps"] == dict.fromkeys(me["steps"], True) and me["finished"] and me["servers"] == 1
    assert me["last_error"] is None and not me["stuck"]
    others = [t for name, t in classroom.board().items() if name != row["username"]]
    assert all(t["done"] == 0 for t in others)
