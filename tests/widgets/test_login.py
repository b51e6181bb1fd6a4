"""LoginForm: connect, show who and where, show errors in the form, never keep the password."""

from __future__ import annotations

import socket

from clc_notebook.config import ENV_NAMES, ENV_PASSWORD, ENV_URL, ENV_USERNAME
from clc_notebook.widgets import LoginForm


def _closed_port() -> int:
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_login_shows_who_and_where_and_hands_over_the_session(sandbox):
    seen = []
    form = LoginForm(url=sandbox.url, username=sandbox.username, on_login=seen.append)
    form.fields["password"].value = sandbox.password

    form.connect_button.click()

    try:
        assert form.session is not None and seen == [form.session]
        assert form.session.alias == "ALIAS"
        text = form.status.value
        assert "Logged in as <b>demouser1</b>" in text and "ALIAS" in text and "WA1" in text
        assert sandbox.url in text
        assert form.fields["password"].value == ""  # not kept in the page's widget state
        assert sandbox.password not in text and sandbox.password not in repr(form)
    finally:
        form.session.close()


def test_bad_credentials_are_shown_in_the_form(sandbox):
    form = LoginForm(url=sandbox.url, username=sandbox.username)
    form.fields["password"].value = "wrong-password"

    form.connect_button.click()  # no exception escapes

    assert form.session is None and form.error is not None
    assert "Could not log in to " + sandbox.url in form.status.value
    assert "recognize the username or password" in form.status.value
    assert "wrong-password" not in form.status.value
    assert form.fields["password"].value == ""


def test_unreachable_url_is_shown_in_the_form():
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    # retries=0 goes to connect(): the client's default retries take many seconds to give up.
    form = LoginForm(url=f"http://127.0.0.1:{port}", username="someone", retries=0)
    form.fields["password"].value = "pw"

    assert form.connect() is None

    assert f"Could not log in to http://127.0.0.1:{port}" in form.status.value
    assert "cannot connect" in form.status.value
    assert form.session is None


def test_empty_url_logs_in_to_the_embedded_sandbox(monkeypatch):
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv(ENV_USERNAME, "someone")  # configured credentials do not matter here
    monkeypatch.setenv(ENV_PASSWORD, "not-used")
    form = LoginForm(url="")
    assert form.fields["username"].value == "someone"

    session = form.connect()

    try:
        assert session is not None and session.backend == "embedded sandbox"
        assert "embedded sandbox" in form.status.value and "Logged in as <b>demouser1</b>" in form.status.value
        assert "the username typed was not used" in form.status.value
        assert "not-used" not in form.status.value
    finally:
        session.close()


def test_rerunning_the_cell_keeps_url_and_username_but_never_the_password(monkeypatch):
    monkeypatch.delenv(ENV_URL, raising=False)
    first = LoginForm()
    first.fields["url"].value = "http://127.0.0.1:9"
    first.fields["username"].value = "alice"
    first.fields["password"].value = "typed-but-not-sent"

    again = LoginForm()  # the same cell run again

    assert again.fields["url"].value == "http://127.0.0.1:9" and again.fields["username"].value == "alice"
    assert again.fields["password"].value == ""
    assert LoginForm(url="").fields["url"].value == ""  # an argument still wins


def test_a_typed_url_is_used_even_when_the_form_has_sandbox_options(sandbox):
    """Notebook 02 makes its form with sandbox options; a URL typed into it must still be the one used."""
    form = LoginForm(sandbox={"mode": "polls"})
    form.fields["url"].value = sandbox.url
    form.fields["username"].value = sandbox.username
    form.fields["password"].value = sandbox.password

    session = form.connect()

    try:
        assert session is not None and session.sandbox is None
        assert session.url == sandbox.url and session.backend == sandbox.url
        assert f"on {sandbox.url}" in form.status.value
    finally:
        session.close()


def test_a_typed_url_that_does_not_answer_shows_the_connection_error():
    port = _closed_port()
    form = LoginForm(sandbox={"mode": "polls"}, retries=0)
    form.fields["url"].value = f"http://127.0.0.1:{port}"
    form.fields["username"].value = "demouser1"
    form.fields["password"].value = "mypassword"

    assert form.connect() is None  # not a quiet login to the embedded sandbox

    text = form.status.value
    assert f"Could not log in to http://127.0.0.1:{port}" in text
    assert "cannot connect" in text and "Connection refused" in text
    assert form.session is None and form.error is not None and "mypassword" not in text
