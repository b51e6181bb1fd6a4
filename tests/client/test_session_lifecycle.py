"""A closed session says so; connect() refuses contradictory settings instead of ignoring one."""

from __future__ import annotations

import pytest

import clc_notebook as clc


@pytest.mark.parametrize("owned", [True, False], ids=["embedded-sandbox-it-started", "remote-url"])
def test_a_closed_session_refuses_every_call_saying_it_is_closed(sb, owned):
    if owned:  # the embedded case: its sandbox stops with it (today: "connection refused")
        session = clc.connect(sandbox={"mode": "polls"}, quiet=True)
    else:  # the remote case: the URL still answers (today: it went on working)
        session = clc.connect(url=sb.url, username=sb.username, password=sb.password, quiet=True)
    job = session.reboot  # a bound method kept from before
    session.close()
    for call in (session.datacenters, lambda: session.servers(), lambda: job(["x"]), session.login):
        with pytest.raises(clc.ClcError) as caught:
            call()
        assert "session" in str(caught.value) and "is closed" in str(caught.value)
        assert "clc_notebook.connect()" in str(caught.value)
    # what is already known stays readable
    assert repr(session).endswith("closed>") and "closed" in session._repr_html_()
    assert isinstance(session.calls, int) and len(session.history) == session.calls


@pytest.mark.parametrize(
    "account",
    [
        {"url": "http://127.0.0.1:9"},
        {"url": "http://127.0.0.1:9", "username": "u", "password": "secret-pw-1"},
        {"username": "u", "password": "secret-pw-1"},
        {"token": "tok-1234567", "alias": "ACME"},
    ],
)
def test_an_account_and_sandbox_together_is_refused_naming_what_to_drop(account):
    with pytest.raises(clc.ConfigurationError) as caught:
        clc.connect(sandbox={"mode": "polls"}, quiet=True, **account)
    text = str(caught.value)
    assert "sandbox=" in text and "Drop sandbox=" in text
    for name in account:
        assert f"{name}=" in text
    assert "secret-pw-1" not in text and "tok-1234567" not in text
