"""Code echo: for each widget action, the `code` it shows runs as is (with `s` a session) and does the
same thing on a fresh sandbox: the state reached there equals the state the widget reached here."""

from __future__ import annotations

import getpass

import pytest

import clc_notebook as clc
from clc_notebook import widgets as clw
from clc_notebook.recording import log_of
from clc_notebook.widgets.actions import ACTIONS

TEMPLATE = "RHEL-6-64-TEMPLATE"
SERVER_PASSWORD = "Hv6!echo-Secret"
COLUMNS = ["name", "description", "status", "power_state", "cpu", "memory_gb", "group_path", "in_maintenance_mode"]
POLL = 0.02
# what an action needs first: power on a stopped server, stop the maintenance of one in maintenance
BEFORE = {"power_on": "power_off", "stop_maintenance": "start_maintenance"}


def state(s) -> list[tuple]:
    servers = s.servers()
    return sorted(map(tuple, servers[COLUMNS].astype(str).values.tolist()))


def run_code(code: str, s) -> None:
    """Run the echoed code as a notebook cell would, with `s` bound to the session."""
    exec(compile(code, "<code echo>", "exec"), {"s": s})


@pytest.fixture
def fresh(new_sandbox):
    """A session on a sandbox of its own, in the seeded state the shared one was reset to."""
    sb = new_sandbox()
    with clc.connect(url=sb.url, username=sb.username, password=sb.password, quiet=True, poll=0.01) as s:
        yield s


@pytest.fixture
def no_prompt(monkeypatch):
    """The code reads the server password from the environment; getpass() must not be reached."""
    monkeypatch.setenv("CLC_SERVER_PASSWORD", SERVER_PASSWORD)

    def refuse(prompt=""):
        raise AssertionError("getpass() called although CLC_SERVER_PASSWORD is set")

    monkeypatch.setattr(getpass, "getpass", refuse)


@pytest.mark.parametrize("count", [1, 2])
def test_the_build_code_builds_the_same_servers(session, fresh, no_prompt, count):
    form = clw.ServerBuildForm(session, poll=POLL, remember=False)
    assert form.code == ""
    form.set(name="web", description="from the form", cpu=3, memory_gb=6, count=count, password=SERVER_PASSWORD)
    form.build().wait(timeout=60)

    code = form.code
    assert SERVER_PASSWORD not in code
    assert 'os.environ.get("CLC_SERVER_PASSWORD") or getpass(' in code
    assert 'group_id="WA1 Hardware/Default Group"' in code  # the group by its path, not its id
    assert ("job.wait()" if count == 1 else "JobSet(jobs).wait()") in code
    run_code(code, fresh)
    assert state(fresh) == state(session)
    assert len(state(fresh)) == count
    assert fresh.credentials("wa1aliasweb01").password == SERVER_PASSWORD  # the password the code read


def test_a_build_refused_by_the_rules_sends_nothing_and_keeps_the_last_code(session):
    form = clw.ServerBuildForm(session, poll=POLL, remember=False)
    form.set(name="web").build().wait(timeout=60)
    before = form.code
    form.set(name="this-name-is-far-too-long").build()
    assert form.code == before and "s.create_server(" in before


def test_the_code_is_shown_under_a_collapsed_code_section(session):
    form = clw.ServerBuildForm(session, poll=POLL, remember=False)
    form.set(name="web").build().wait(timeout=60)
    section = form.code_section
    assert section in form.children and section.selected_index is None  # collapsed
    assert section.get_title(0) == "Code"
    assert "clc-code-copy" in section.view.value and "navigator.clipboard.writeText" in section.view.value
    assert "job = s.create_server(" in section.view.value


def _build_on(s, poll=POLL) -> str:
    job = s.create_server(name="web", group_id="Default Group", template=TEMPLATE, cpu=1, memory_gb=2)
    return job.wait(timeout=60, poll=poll).server_id


@pytest.mark.parametrize("action", list(ACTIONS))
def test_each_action_code_does_the_same_thing(session, fresh, action):
    for s in (session, fresh):  # the same starting point on both sandboxes
        server_id = _build_on(s)
        if action in BEFORE:
            getattr(s, BEFORE[action])([server_id]).wait(timeout=60, poll=POLL)
    actions = clw.ServerActions(session, session.servers(), poll=POLL)
    watch = actions.run(action, confirm=True)
    watch.wait(timeout=60)
    assert watch.jobs and not watch.not_queued, watch

    code = actions.code
    assert "wa1aliasweb01" in code and "wait()" in code
    run_code(code, fresh)
    assert state(fresh) == state(session)
    made = list(log_of(fresh))[-1]  # the code made the action's call (a reboot changes nothing visible)
    assert made.method == ACTIONS[action][1] and made.outcome == "succeeded"


def test_the_action_code_names_the_servers_the_api_refused(session, fresh):
    server_id = _build_on(session)
    _build_on(fresh)
    actions = clw.ServerActions(session, session.servers(), poll=POLL)
    actions.run("power_on").wait(timeout=60)  # already on: refused
    assert actions.code.startswith('jobs = s.power_on(["wa1aliasweb01"])\njobs.wait()\n')
    assert f"# the API refused {server_id}: " in actions.code
    with pytest.raises(clc.OperationError):  # the same call, the same refusal
        run_code(actions.code, fresh)
