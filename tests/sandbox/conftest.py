"""Fixtures for the sandbox tests: one real Sandbox on a loopback port, driven with plain `requests`.

The sandbox is shared by the session (a shared one keeps the suite fast); an autouse fixture puts it
back into a known state before every test: seeded account, `polls` mode with one read per step, no
faults. Helpers live in sandbox_helpers.py (a unique module name: other test folders have a conftest).
"""

from __future__ import annotations

import pytest
from sandbox_helpers import Api

from clc_notebook.sandbox import Sandbox


@pytest.fixture(scope="session")
def sandbox():
    with Sandbox(mode="polls") as sb:
        yield sb


@pytest.fixture(autouse=True)
def _fresh_state(request):
    """Reset the shared sandbox before each test that uses it."""
    if "sandbox" in request.fixturenames:
        sb = request.getfixturevalue("sandbox")
        sb.reset(servers=0, groups=0, datacenters=3)
        sb.set_faults({})
        sb.set_clock(mode="polls", speed=1.0, polls_per_step=1)
    yield


@pytest.fixture
def api(sandbox) -> Api:
    return Api(sandbox)
