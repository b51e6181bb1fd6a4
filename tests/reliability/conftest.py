"""Reliability-test settings: soak scaling and the hypothesis profiles.

The sandbox fixtures are tests/conftest.py's: the shared, reset `sandbox`/`api`, and `new_sandbox` for
a sandbox of the test's own. Most tests here build their own on purpose (crash and restart, state files,
other options, module-wide worlds, requests left in flight, expired tokens).

`make test` runs the short forms; `CLC_SOAK=1` (`make soak`) runs the long ones (N=200 workflow runs,
>= 1,000 generated bodies per endpoint, longer load windows).
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

from .support import SOAK

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
