"""Settings resolution: explicit arguments, then the environment, else the embedded sandbox."""

import pytest

import clc_notebook as clc
from clc_notebook.config import resolve


def test_nothing_configured_means_the_embedded_sandbox():
    assert resolve(env={}) is None


def test_environment_is_used_field_by_field():
    env = {
        "CLC_V2_API_URL": "http://127.0.0.1:9/",
        "CLC_V2_API_USERNAME": "u",
        "CLC_V2_API_PASSWD": "p4ssword",
        "CLC_LOCATION": "ca1",
    }
    settings = resolve(env=env)
    assert settings.url == "http://127.0.0.1:9"
    assert (settings.username, settings.password, settings.location) == ("u", "p4ssword", "CA1")
    # an argument wins over the environment, the rest still comes from it
    settings = resolve(username="other", password="pw-arg1", env=env)
    assert (settings.username, settings.password, settings.url) == ("other", "pw-arg1", "http://127.0.0.1:9")


def test_token_with_alias_is_enough_and_alias_is_upper_cased():
    settings = resolve(token="tok-123456", env={"CLC_ACCT_ALIAS": "acme"})
    assert settings.alias == "ACME" and settings.token == "tok-123456"
    assert not settings.has_credentials
    assert settings.url == "https://api.ctl.io"


@pytest.mark.parametrize(
    "kwargs, env, words",
    [
        (dict(username="u"), {}, ["password", "CLC_V2_API_PASSWD"]),
        (dict(password="secretpw"), {}, ["username", "CLC_V2_API_USERNAME"]),
        (dict(token="tok-123456"), {}, ["alias", "CLC_ACCT_ALIAS"]),
        (dict(url="http://127.0.0.1:9"), {}, ["credentials", "CLC_V2_API_USERNAME"]),
        (dict(url="ftp://x", username="u", password="secretpw"), {}, ["http://"]),
        (dict(username="u", password="secretpw", timeout=-1), {}, ["timeout"]),
        (dict(username="u", password="secretpw", retrys=3), {}, ["retrys"]),
        (dict(username="u", password="secretpw", timeout=object()), {}, ["timeout"]),
        (dict(username="u", password="secretpw", retries="3"), {}, ["retries", "whole number"]),
        (dict(username="u", password="secretpw", poll=-1), {}, ["poll", "> 0"]),
        (dict(username="u", password="secretpw", poll_backoff=0.5), {}, ["poll_backoff", ">= 1"]),
    ],
)
def test_incomplete_settings_name_what_is_missing(kwargs, env, words):
    with pytest.raises(clc.ConfigurationError) as info:
        resolve(env=env, **kwargs)
    for word in words:
        assert word in str(info.value)
    assert "secretpw" not in str(info.value)


def test_settings_repr_hides_secrets():
    settings = resolve(username="u", password="hunter2222", token="tok-abcdef", alias="a", env={})
    assert "hunter2222" not in repr(settings) and "tok-abcdef" not in repr(settings)


def test_connect_without_configuration_starts_and_stops_an_embedded_sandbox(capsys):
    session = clc.connect(sandbox={"mode": "polls"})
    try:
        line = capsys.readouterr().out.strip()
        assert line == ("clc_notebook: embedded sandbox, logged in as demouser1 (account ALIAS, data center WA1)")
        assert session.backend == "embedded sandbox"
        assert session.sandbox is not None and session.url == session.sandbox.url
        assert session.url.startswith("http://127.0.0.1:")
        assert "WA1" in set(session.datacenters()["id"])
    finally:
        session.close()
    with pytest.raises(clc.TransportError) as info:
        clc.connect(session.url, "demouser1", "mypassword", quiet=True, retries=0)
    assert info.value.sent is False  # the embedded sandbox was stopped by close()


def test_connect_with_environment(sb, monkeypatch, capsys):
    monkeypatch.setenv("CLC_V2_API_URL", sb.url)
    monkeypatch.setenv("CLC_V2_API_USERNAME", sb.username)
    monkeypatch.setenv("CLC_V2_API_PASSWD", sb.password)
    with clc.connect() as session:
        assert session.sandbox is None and session.backend == sb.url
        assert session.alias == "ALIAS" and session.location == "WA1"
    assert capsys.readouterr().out.strip() == (
        f"clc_notebook: {sb.url}, logged in as demouser1 (account ALIAS, data center WA1)"
    )


def test_connect_with_a_token_from_another_session(s, sb, capsys):
    token = s.transport._token
    with clc.connect(sb.url, token=token, alias="alias", location="wa1") as other:
        assert capsys.readouterr().out.strip().endswith("using a bearer token (account ALIAS, data center WA1)")
        assert "WA1" in set(other.datacenters()["id"])
        assert token not in repr(other)


def test_two_sessions_on_two_backends_side_by_side(s):
    with clc.connect(sandbox={"mode": "polls"}, quiet=True) as other:
        assert other.url != s.url
        assert set(other.groups()["name"]) == set(s.groups()["name"])
        mine = len(s.history)
        other_calls = len(other.history)
        other.datacenters()
        assert len(other.history) == other_calls + 1
        # each session records only its own calls
        assert len(s.history) == mine
    assert not s.closed and "WA1" in set(s.datacenters()["id"])


def test_tls_is_verified_by_default_and_can_be_pointed_at_a_bundle():
    from clc_notebook.transport import Transport

    assert Transport(resolve(username="u", password="secretpw", env={})).http.verify is True
    custom = resolve(username="u", password="secretpw", verify="/etc/ssl/certs/ca.pem", env={})
    assert Transport(custom).http.verify == "/etc/ssl/certs/ca.pem"


@pytest.mark.parametrize(
    "typo, suggestion", [("retrys", "retries"), ("timout", "timeout"), ("pol", "poll"), ("backof_max", "backoff_max")]
)
def test_an_unknown_setting_suggests_the_close_one(typo, suggestion):
    with pytest.raises(clc.ConfigurationError) as caught:
        resolve(username="u", password="secretpw", env={}, **{typo: 3})
    assert f"{typo!r} (did you mean {suggestion!r}?)" in str(caught.value)


def test_an_unknown_setting_with_no_close_one_lists_the_settings():
    with pytest.raises(clc.ConfigurationError) as caught:
        clc.connect(sandbox={"mode": "polls"}, quiet=True, colour="blue")
    text = str(caught.value)
    assert "'colour'" in text and "did you mean" not in text
    assert "the settings are: backoff, backoff_max, poll, poll_backoff, poll_max, retries, timeout, verify" in text


def test_the_environment_names_are_spelled_in_config_only():
    """The documented names (README, docs/client.md), pinned once; everything else imports them."""
    from pathlib import Path

    from clc_notebook import config

    assert config.ENV_NAMES == (
        "CLC_V2_API_URL",
        "CLC_V2_API_USERNAME",
        "CLC_V2_API_PASSWD",
        "CLC_V2_API_TOKEN",
        "CLC_ACCT_ALIAS",
        "CLC_LOCATION",
    )
    root = Path(config.__file__).resolve().parents[1]
    spelled = [
        str(path.relative_to(root))
        for folder in ("clc_notebook", "tests", "notebooks")
        for path in (root / folder).rglob("*.py")
        if path != Path(config.__file__).resolve()
        and path != Path(__file__).resolve()
        and any(f'"{name}"' in path.read_text() for name in config.ENV_NAMES)
    ]
    assert spelled == [], f"these modules spell an environment variable name instead of importing it: {spelled}"
