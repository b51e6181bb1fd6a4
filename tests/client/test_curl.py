"""s.curl(): one curl command per history row, the token and passwords as shell variables, and the
commands replayed with the real curl binary against a fresh sandbox answer the same statuses."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess

import pytest
import requests
from sandbox_api import TEMPLATE

import clc_notebook as clc

SERVER_PASSWORD = "Qz8!curl-Secret"
NEW_PASSWORD = "Nw5!curl-Changed"


def _tutorial_steps(s: clc.Session) -> None:
    """The tutorial's calls, plus a body with quotes and a server password, a password change, a
    batch power operation (one status id for its servers), a public IP, and a refused request."""
    s.capabilities()
    s.groups("WA1")
    job = s.create_server(
        name="web",
        group_id="Default Group",
        template=TEMPLATE,
        cpu=2,
        memory_gb=4,
        description='Bob\'s "main" $HOME server',  # quotes and a $ the shell must not touch
        password=SERVER_PASSWORD,
    )
    job.wait(timeout=60)
    server_id = job.server_id
    s.update_server(server_id, description="A very important server")
    s.update_server(server_id, password=NEW_PASSWORD).wait(timeout=60)  # sends the current one too
    other = s.create_server(name="db", group_id="Default Group", template=TEMPLATE, cpu=1, memory_gb=2)
    other = other.wait(timeout=60).server_id
    batch = s.reboot([server_id, other])
    assert len({job.id for job in batch}) == 1  # as production: one status id for the batch
    batch.wait(timeout=60)
    s.add_public_ip(server_id, [80, ("udp", 53)]).wait(timeout=60)
    with pytest.raises(clc.NotFoundError):
        s.server("wa1aliasnope01")  # a 404 replays as a 404
    for server in (server_id, other):
        s.delete_server(server).wait(timeout=60)


def _data(command: str) -> str | None:
    words = shlex.split(command)
    return words[words.index("--data") + 1] if "--data" in words else None


def test_one_command_per_history_row_with_variables_for_the_secrets(new_sandbox, fast):
    sb = new_sandbox()
    with clc.connect(url=sb.url, username=sb.username, password=sb.password, **fast) as s:
        _tutorial_steps(s)
        history = s.history
        commands = s.curl()
        token = s.transport._token

    assert len(commands) == len(history) > 10
    for command, row in zip(commands, history.to_dict("records"), strict=True):
        words = shlex.split(command)
        assert words[0] == "curl"
        assert (words[words.index("-X") + 1] if "-X" in words else "GET") == row["method"]
        assert sb.url + row["path"] in words  # the exact URL, query string included
        if row["body"] is not None:
            assert "Content-Type: application/json" in words
    login = commands[0]
    assert "/v2/authentication/login" in login and "Authorization" not in login
    assert '"$CLC_V2_API_PASSWD"' in login  # the shell expands it: the password is never written
    assert json.loads(_data(login)) == {"username": "demouser1", "password": "$CLC_V2_API_PASSWD"}
    assert all('"Authorization: Bearer $CLC_TOKEN"' in c for c in commands[1:])
    create = next(c for c in commands if " -X POST " in c and c.split()[4].endswith("/v2/servers/ALIAS"))
    body = json.loads(_data(create))  # shlex gives back exactly the JSON the client sent, quotes and all
    assert body["description"] == 'Bob\'s "main" $HOME server'
    assert body["password"] == "$CLC_SERVER_PASSWORD"
    patch, change = [c for c in commands if " -X PATCH " in c]
    assert json.loads(_data(patch)) == [{"op": "set", "member": "description", "value": "A very important server"}]
    # a password change: the current password and the new one are two variables
    assert json.loads(_data(change)) == [
        {
            "op": "set",
            "member": "password",
            "value": {"current": "$CLC_SERVER_CURRENT_PASSWORD", "password": "$CLC_SERVER_PASSWORD"},
        }
    ]
    for secret in (sb.password, SERVER_PASSWORD, NEW_PASSWORD, token):
        assert not any(secret in c for c in commands)


def test_the_commands_replayed_with_curl_on_a_fresh_sandbox_answer_the_same_statuses(new_sandbox, fast):
    if shutil.which("curl") is None:
        pytest.fail("the curl binary is missing: `make test` installs it (apt-get install curl)", pytrace=False)
    original = new_sandbox()
    with clc.connect(url=original.url, username=original.username, password=original.password, **fast) as s:
        _tutorial_steps(s)
        statuses = [int(x) for x in s.history["status"]]
        commands = s.curl()

    fresh = new_sandbox()  # the same seeded account, so the same ids, job ids and uuids come back
    token = requests.post(
        fresh.url + "/v2/authentication/login",
        json={"username": fresh.username, "password": fresh.password},
        timeout=30,
    ).json()["bearerToken"]
    env = dict(os.environ, CLC_TOKEN=token, CLC_V2_API_PASSWD=fresh.password, CLC_SERVER_PASSWORD=SERVER_PASSWORD)
    # the password change: the server's current password, and the new one (as a user sets them first)
    change = dict(env, CLC_SERVER_CURRENT_PASSWORD=SERVER_PASSWORD, CLC_SERVER_PASSWORD=NEW_PASSWORD)
    replayed = []
    for command in commands:
        command = command.replace(original.url, fresh.url)
        done = subprocess.run(
            command + " -o /dev/null -w '%{http_code}'",
            shell=True,
            executable="/bin/bash",
            env=change if "$CLC_SERVER_CURRENT_PASSWORD" in command else env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert done.returncode == 0, done.stderr
        replayed.append(int(done.stdout))
    assert replayed == statuses
    assert 404 in replayed and 202 in replayed and 204 in replayed  # the statuses are not all alike
    sent = {c.split()[4].rsplit("/", 1)[-1]: _data(c) for c in commands if " -X POST " in c}
    assert json.loads(sent["reboot"]) == ["wa1aliasweb01", "wa1aliasdb01"]  # the batch, replayed as sent
    assert json.loads(sent["publicIPAddresses"])["ports"] == [
        {"protocol": "TCP", "port": 80},
        {"protocol": "UDP", "port": 53},
    ]
    # the password change was accepted (a wrong current password answers 400)
    assert [replayed[n] for n, c in enumerate(commands) if "$CLC_SERVER_CURRENT_PASSWORD" in c] == [202]


def test_the_url_may_be_left_to_the_shell(s):
    s.datacenters()
    command = s.curl(base_url="$CLC_V2_API_URL")[-1]
    assert s.url not in command
    assert '"$CLC_V2_API_URL"' in command
    # the shell joins the variable and the quoted path into one word
    assert "$CLC_V2_API_URL/v2/datacenters/ALIAS?groupLinks=true" in shlex.split(command)
