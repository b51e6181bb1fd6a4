"""Fixtures for the client tests, on the shared sandbox of tests/conftest.py (`sandbox`, `sb`, `control`).

That sandbox runs in ``polls`` mode (a job moves one step per status read, so nothing here waits on a
clock) and is reset before each test that uses it; tests that need time mode or a different account
start their own (`new_sandbox`). Here: no CLC_* environment, fast client settings, a logged-in `s`.
"""

from __future__ import annotations

import pytest
from sandbox_api import NETWORK, TEMPLATE

import clc_notebook as clc
from clc_notebook.config import ENV_NAMES

# fast client settings for tests: small back-off, short polls
FAST = dict(backoff=0.0, backoff_max=0.05, poll=0.01, poll_max=0.05, quiet=True)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch):
    """No test sees the developer's CLC_* settings."""
    for name in ENV_NAMES:
        monkeypatch.delenv(name, raising=False)


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
    return TEMPLATE


@pytest.fixture
def default_group(s):
    groups = s.groups()
    return groups.loc[groups["name"] == "Default Group", "id"].iloc[0]


@pytest.fixture
def network_id():
    return NETWORK


@pytest.fixture
def built(s, default_group, template):
    """A server built (job succeeded) in the Default Group; returns its Server."""
    job = s.create_server(
        name="web", group_id=default_group, template=template, cpu=1, memory_gb=2, password="Secr3t!Pass"
    )
    job.wait(timeout=30)
    return job.server()
