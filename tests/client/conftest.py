"""Fixtures for the client tests: a real Sandbox over loopback HTTP, reset between tests.

One sandbox in ``polls`` mode serves the whole directory (a job moves one step per status read, so
nothing here waits on a clock); tests that need time mode or a different account start their own.
State and faults are reset through the control plane before each test that uses ``s``.
"""

from __future__ import annotations

import pytest
import requests

import clc_notebook as clc
from clc_notebook.config import ENV_NAMES
from clc_notebook.sandbox import Sandbox

# fast client settings for tests: small back-off, short polls
FAST = dict(backoff=0.0, backoff_max=0.05, poll=0.01, poll_max=0.05, quiet=True)


def call_control(sb, method: str, path: str, json=None):
    """Call the sandbox control plane (outside /v2, no token); returns the parsed answer."""
    resp = requests.request(method, f"{sb.url}/sandbox/{path}", json=json, timeout=30)
    assert resp.status_code < 300, (method, path, resp.status_code, resp.text)
    return resp.json() if resp.content else None


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    """No test sees the developer's CLC_* settings."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="session")
def sandbox():
    with Sandbox(mode="polls") as sb:
        yield sb


@pytest.fixture
def sb(sandbox):
    """The shared sandbox, back to the seeded account with no faults."""
    call_control(sandbox, "PUT", "faults", {})
    call_control(sandbox, "PUT", "clock", {"mode": "polls", "polls_per_step": 1})
    call_control(sandbox, "POST", "reset")
    yield sandbox
    call_control(sandbox, "PUT", "faults", {})


@pytest.fixture
def control(sb):
    """control(method, path, json=None): the reset sandbox's control plane."""
    return lambda method, path, json=None: call_control(sb, method, path, json)


@pytest.fixture
def fast():
    """connect() options that keep tests quick (no back-off sleeps, short polls, no print)."""
    return dict(FAST)


@pytest.fixture
def s(sb):
    """A logged-in Session on the freshly reset shared sandbox."""
    with clc.connect(sandbox=sb, **FAST) as session:
        yield session


@pytest.fixture
def template(s):
    return "RHEL-6-64-TEMPLATE"


@pytest.fixture
def default_group(s):
    groups = s.groups()
    return groups.loc[groups["name"] == "Default Group", "id"].iloc[0]


@pytest.fixture
def network_id():
    return "a933432bd1234e84b6c4fa329e48cb8b"


@pytest.fixture
def built(s, default_group, template):
    """A server built (job succeeded) in the Default Group; returns its Server."""
    job = s.create_server(
        name="web", group_id=default_group, template=template, cpu=1, memory_gb=2, password="Secr3t!Pass"
    )
    job.wait(timeout=30)
    return job.server()
