"""Fixtures for the reliability tests: sandboxes on loopback, soak scaling, hypothesis profiles.

`make test` runs the short forms; `CLC_SOAK=1` (`make soak`) runs the long ones (N=200 workflow runs,
>= 1,000 generated bodies per endpoint, longer load windows).
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

from clc_notebook.sandbox import Sandbox

from .support import SOAK, Api

# Short form: deterministic (the same generated cases on every run) so `make test` cannot flake;
# soak: fresh random cases each time, >= 1,000 per endpoint.
settings.register_profile(
    "reliability-short",
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
settings.register_profile(
    "reliability-soak",
    max_examples=1000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)
PROFILE = "reliability-soak" if SOAK else "reliability-short"


@pytest.fixture
def sandbox():
    """A fresh in-process sandbox in polls mode (jobs move only when their status is read)."""
    with Sandbox(mode="polls") as sb:
        yield sb


@pytest.fixture
def api(sandbox):
    """A raw, logged-in HTTP view of `sandbox`."""
    return Api(sandbox.url, sandbox.username, sandbox.password)
