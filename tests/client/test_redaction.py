"""Passwords and tokens never show: not in reprs, strs, HTML, logs, history or exception texts."""

import logging

import pytest

import clc_notebook as clc

SERVER_PASSWORD = "Xy9!ServerPass"
NEW_PASSWORD = "Zq7!RotatedPass"


def test_no_secret_anywhere(sb, caplog, capsys, control, fast):
    caplog.set_level(logging.DEBUG)  # every logger, urllib3 included
    texts = []
    s = clc.connect(sandbox=sb, **dict(fast, quiet=False))
    tokens = {s.transport._token}
    group = s.groups("WA1").set_index("name").loc["Default Group", "id"]
    job = s.create_server(
        name="sec", group_id=group, template="RHEL-6-64-TEMPLATE", cpu=1, memory_gb=1, password=SERVER_PASSWORD
    )
    job.wait(timeout=30, progress=True)
    server = job.server()
    creds = s.credentials(server.id)
    assert creds.password == SERVER_PASSWORD
    s.update_server(server.id, password=NEW_PASSWORD).wait(timeout=30)
    control("POST", "expire-tokens")  # forces a second login: a second token
    s.datacenters()
    tokens.add(s.transport._token)
    errors = []
    for call in (
        lambda: clc.connect(sb.url, sb.username, "not-" + sb.password, quiet=True),
        lambda: s.create_server(
            name="bad", group_id=group, template="RHEL-6-64-TEMPLATE", cpu=99, memory_gb=1, password=SERVER_PASSWORD
        ),
        lambda: s.server("wa1aliasnope01"),
        lambda: s.request("GET", "/v2/datacenters/OTHR"),
    ):
        with pytest.raises(clc.ClcError) as info:
            call()
        errors.append(info.value)
    texts += [
        repr(s),
        str(s),
        s._repr_html_(),
        s.describe(),
        repr(s.settings),
        repr(s.transport),
        repr(job),
        job._repr_html_(),
        repr(server),
        server._repr_html_(),
        repr(creds),
        str(creds),
        s.history.to_string(),
        repr(s.history.to_dict()),
        caplog.text,
        capsys.readouterr().out,
    ]
    for err in errors:
        texts += [str(err), repr(err), repr(getattr(err, "body", None)), repr(getattr(err, "model_state", None))]
    s.close()
    secrets = {sb.password, "not-" + sb.password, SERVER_PASSWORD, NEW_PASSWORD} | tokens
    assert all(tokens) and len(tokens) == 2
    for text in texts:
        for secret in secrets:
            assert secret not in text, (secret[:3], text[:300])
    assert "/v2/authentication/login" in s.history.to_string()


def test_secret_query_parameters_are_masked_in_history(s):
    with pytest.raises(clc.ApiError):
        s.request("GET", "/v2/servers/{alias}/nope", params={"password": "Qq1!Leaky"})
    assert "Qq1!Leaky" not in s.history.to_string()
    assert "password=%2A%2A%2A" in s.history["path"].iloc[-1]
