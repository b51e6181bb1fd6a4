"""Secrets: the password and every bearer token issued never appear in stored notebook outputs,
`session.history`, log output (client and sandbox), reprs, or exception texts."""

from __future__ import annotations

import json
import logging

import pytest
from sandbox_api import read_roster

import clc_notebook as clc
from clc_notebook.sandbox import Sandbox

from .secrets_spy import DEMO_PASSWORD, TOKEN_SHAPES, SecretSpy, assert_no_secret, assert_outputs_clean, output_texts
from .support import REPO

SERVER_PASSWORD = "Xq7!build-Secret"


def notebook_texts() -> list[tuple[str, str]]:
    """(file, text) of every stored output of the notebooks under notebooks/ and test-artifacts/."""
    found = []
    for base in (REPO / "notebooks", REPO / "test-artifacts"):
        for path in sorted(base.rglob("*.ipynb")) if base.exists() else []:
            if ".ipynb_checkpoints" in path.parts:
                continue
            nb = json.loads(path.read_text())
            outputs = [output for cell in nb.get("cells", []) for output in cell.get("outputs", [])]
            found += [(str(path.relative_to(REPO)), text) for text in output_texts(outputs)]
    return found


def test_stored_notebook_outputs_hold_no_password_or_token():
    texts = notebook_texts()
    assert texts, "no stored notebook outputs found to search"
    for where, text in texts:
        assert DEMO_PASSWORD not in text, f"the demo password is in an output of {where}"
        for shape in TOKEN_SHAPES:
            assert not shape.search(text), f"something shaped like a bearer token is in an output of {where}"


def test_client_keeps_secrets_out_of_history_logs_reprs_and_errors(caplog, capsys, monkeypatch):
    caplog.set_level(logging.DEBUG)
    spy = SecretSpy(monkeypatch)
    spy.passwords.add(SERVER_PASSWORD)
    texts: list[str] = []
    with Sandbox(mode="polls", log_requests=True) as sb:
        s = clc.connect(url=sb.url, username=sb.username, password=sb.password, quiet=True)
        groups = s.groups("WA1")
        group_id = groups.loc[groups["name"] == "Default Group", "id"].iloc[0]
        job = s.create_server(
            name="sec", group_id=group_id, template="RHEL-6-64-TEMPLATE", cpu=1, memory_gb=1, password=SERVER_PASSWORD
        )
        job.wait(timeout=60, poll=0.01, progress=True)
        server = job.server()
        texts += [repr(job), str(job), repr(server), str(server)]
        texts += [getattr(server, "_repr_html_", lambda: "")(), getattr(job, "_repr_html_", lambda: "")()]
        creds = s.credentials(server["id"])
        assert creds.password == SERVER_PASSWORD  # the caller may read it on purpose...
        texts += [repr(creds), str(creds), getattr(creds, "_repr_html_", lambda: "")()]  # ...but no display shows it
        new_password = "Zz9!changed-Secret"
        spy.passwords.add(new_password)
        update = s.update_server(server["id"], password=new_password)
        if update is not None:
            update.wait(timeout=60, poll=0.01)
            texts.append(repr(update))

        # error paths: every exception text and repr
        problems = []
        with pytest.raises(clc.ValidationError) as bad:
            s.create_server(
                name="sec",
                group_id=group_id,
                template="RHEL-6-64-TEMPLATE",
                cpu=99,
                memory_gb=1,
                password=SERVER_PASSWORD,
            )
        problems.append(bad.value)
        with pytest.raises(clc.NotFoundError) as missing:
            s.server("wa1aliasnope01")
        problems.append(missing.value)
        with pytest.raises(clc.AuthenticationError) as refused:
            clc.connect(url=sb.url, username=sb.username, password="wrong-" + DEMO_PASSWORD, quiet=True)
        spy.passwords.add("wrong-" + DEMO_PASSWORD)
        problems.append(refused.value)
        sb.expire_tokens()
        expired_token = sorted(spy.tokens)[0]
        s.datacenters()  # re-login on 401, transparently
        token_only = clc.connect(url=sb.url, token=expired_token, alias=s.alias, quiet=True)
        with pytest.raises(clc.AuthenticationError) as expired:
            token_only.datacenters()  # an expired token and no password: a clear error
        problems.append(expired.value)
        for exc in problems:
            texts += [
                str(exc),
                repr(exc),
                json.dumps(getattr(exc, "body", None), default=str),
                json.dumps(getattr(exc, "model_state", None), default=str),
            ]
            assert str(exc).strip()
        spy.collect_sessions([s, token_only])
        s.close()
        token_only.close()

    assert len(spy.tokens) >= 2, "expected at least two tokens (login, re-login)"
    spy.check_texts(texts, "reprs and exception texts")
    out = capsys.readouterr()
    assert_no_secret(spy.secrets, caplog.text, "log output (client and sandbox)")
    assert_no_secret(spy.secrets, out.out + out.err, "console output")


def test_classroom_passwords_appear_only_in_the_roster(tmp_path, caplog, capsys, monkeypatch):
    """The roster is the only place a class's passwords are written: not the sandbox's log, not any answer
    (the instructor's board included), not a repr, not the client's history or the board widget."""
    from clc_notebook.widgets import ClassroomBoard

    caplog.set_level(logging.DEBUG)
    spy = SecretSpy(monkeypatch)
    roster = tmp_path / "roster.csv"
    texts: list[str] = []
    with Sandbox(mode="polls", trainees=2, roster=str(roster), log_requests=True) as sb:
        rows = read_roster(roster)
        passwords = {row["password"] for row in rows}
        assert passwords and all(row["password"] in roster.read_text() for row in rows)
        sessions = [
            clc.connect(url=sb.url, username=row["username"], password=row["password"], quiet=True) for row in rows
        ]
        instructor, trainee = sessions[0], sessions[1]
        with pytest.raises(clc.AuthenticationError) as refused:  # a typo of the real password
            clc.connect(url=sb.url, username=rows[1]["username"], password=rows[1]["password"] + "x", quiet=True)
        spy.passwords.add(rows[1]["password"] + "x")
        groups = trainee.groups(trainee.location)
        group = groups.loc[groups["name"] == "Default Group", "id"].iloc[0]
        trainee.create_server(name="web", group_id=group, template="RHEL-6-64-TEMPLATE", cpu=1, memory_gb=1).wait(
            timeout=60, poll=0.01
        )
        board = ClassroomBoard(instructor, start=False)
        report = instructor.request("GET", "/sandbox/classroom")
        texts += [json.dumps(report), board.summary.value, board.grid.value, board.stuck_list.value]
        texts += [board.table.to_csv(), repr(board), repr(sb), repr(sb.classroom.seats), repr(sb.classroom)]
        texts += [str(refused.value), repr(refused.value), json.dumps(sb.jobs(), default=str)]
        texts += [json.dumps(instructor.request("GET", "/sandbox/health"))]
        spy.collect_sessions(sessions)
        for s in sessions:
            s.close()
    assert passwords <= spy.passwords  # every roster password went over the wire, so it was searched for
    spy.check_texts(texts, "classroom answers, widgets and reprs")
    out = capsys.readouterr()
    assert_no_secret(spy.secrets, caplog.text, "log output (client and sandbox)")
    assert_no_secret(spy.secrets, out.out + out.err, "console output")


# The notebooks' outputs as they are produced (not only as stored) are searched while nbval runs them:
# notebooks/conftest.py gives their kernels the token spy of secrets_spy.py and checks every cell.


def test_the_notebook_output_check_finds_a_token_the_kernel_used():
    """The check notebooks/conftest.py applies to each cell fails on a spied token, the demo password
    and a token-shaped text, and passes clean outputs."""
    token = "tok-" + "x" * 30
    clean = [{"output_type": "stream", "name": "stdout", "text": "Logged in as demouser1 (Bearer ***)"}]
    assert_outputs_clean(clean, {token}, "a clean cell")
    for leaked in (f"token {token}", f"password {DEMO_PASSWORD}", "Authorization: Bearer " + "a" * 40):
        with pytest.raises(AssertionError):
            assert_outputs_clean([{"output_type": "stream", "name": "stdout", "text": leaked}], {token}, "a cell")


def test_code_echo_curl_change_record_and_runbook_hold_no_password_or_token(monkeypatch, tmp_path):
    """What turns a session into code (the widgets' code, s.curl(), the change record, an exported
    runbook) carries no password and no token: a typed server password, the login password, a new
    server password, and every token the session used."""
    from clc_notebook import widgets as clw
    from clc_notebook.recording import log_of

    spy = SecretSpy(monkeypatch)
    new_password = "Yy8!changed-Secret"
    spy.passwords.update({SERVER_PASSWORD, new_password})
    with Sandbox(mode="polls") as sb:
        s = clc.connect(url=sb.url, username=sb.username, password=sb.password, quiet=True, poll=0.01)
        form = clw.ServerBuildForm(s, poll=0.02, remember=False)
        form.set(name="sec", cpu=1, memory_gb=1, password=SERVER_PASSWORD).build().wait(timeout=60)
        s.update_server("wa1aliassec01", password=new_password).wait(timeout=60)
        sb.expire_tokens()
        actions = clw.ServerActions(s, s.servers(), poll=0.02)
        actions.run("pause").wait(timeout=60)  # after a re-login: a second token
        with pytest.raises(clc.ValidationError):
            s.create_server(
                name="sec",
                group_id="Default Group",
                template="RHEL-6-64-TEMPLATE",
                cpu=99,
                memory_gb=1,
                password=SERVER_PASSWORD,
            )
        runbook = s.export_runbook(tmp_path / "runbook.ipynb").read_text()
        texts = [form.code, form.code_section.view.value, actions.code, actions.code_section.view.value]
        texts += s.curl()
        texts += [repr(list(log_of(s))), json.dumps([c.arguments for c in log_of(s)], default=repr)]
        texts += [str(c.error) for c in log_of(s)]
        texts.append(runbook)
        spy.collect_sessions([s])
        s.close()

    assert len(spy.tokens) >= 2, "expected at least two tokens (login, re-login)"
    assert "s.create_server(" in form.code and "s.pause(" in actions.code and "create_server" in runbook
    spy.check_texts(texts, "code echo, curl, change record or runbook")
    for text in texts:
        for shape in TOKEN_SHAPES:
            assert not shape.search(text), "something shaped like a bearer token is in the exported code"
