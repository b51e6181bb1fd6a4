"""Which of the sandbox's API routes the replay reaches, and the ones no recording reaches.

A replayed interaction counts for the route of the sandbox's route table (`API_ROUTES`, read from the
resources' `@route`s) that answered it, found the way the sandbox's router finds it: path words in any
case, a trailing slash ignored, a literal word preferred to a value (`.../claim` before `.../{network}`).
"""

from __future__ import annotations

import re

from clc_notebook.sandbox.routes import API_ROUTES

# Routes no recording of either SDK repository reaches; each is covered by the HTTP tests of
# tests/sandbox/test_sb_*.py instead. Listed in docs/sandbox.md ("Replaying recorded production
# traffic"); the replay test fails when a route is missing here without recordings, or is listed
# here and gains some.
UNRECORDED_ROUTES: tuple[str, ...] = (
    "GET /v2/accounts/{alias}",
    "GET /v2/datacenters/{alias}/{dc}",
    "GET /v2/datacenters/{alias}/{dc}/bareMetalCapabilities",
    "GET /v2/datacenters/{alias}/{dc}/computeLimits",
    "GET /v2/datacenters/{alias}/{dc}/networkLimits",
    "POST /v2/groups/{alias}/{group}/archive",
    "GET /v2/groups/{alias}/{group}/defaults",
    "POST /v2/groups/{alias}/{group}/defaults",
    "GET /v2/servers/{alias}/{server}/capabilities",
    "GET /v2/billing/{alias}/serverPricing/{server}",
    "GET /v2/sharedLoadBalancers/{alias}/{dc}/{loadBalancer}",
    "GET /v2/sharedLoadBalancers/{alias}/{dc}/{loadBalancer}/pools/{pool}",
    "GET /v2-experimental/crossDcFirewallPolicies/{alias}/{dc}",
    "POST /v2-experimental/crossDcFirewallPolicies/{alias}/{dc}",
    "GET /v2-experimental/crossDcFirewallPolicies/{alias}/{dc}/{crossDcFirewallPolicy}",
    "PUT /v2-experimental/crossDcFirewallPolicies/{alias}/{dc}/{crossDcFirewallPolicy}",
    "DELETE /v2-experimental/crossDcFirewallPolicies/{alias}/{dc}/{crossDcFirewallPolicy}",
    "GET /v2-experimental/networks/{alias}/{dc}/{network}/ipAddresses",
    "GET /v2/servers/{alias}/{server}/antiAffinityPolicy",
    "PUT /v2/servers/{alias}/{server}/antiAffinityPolicy",
    "DELETE /v2/servers/{alias}/{server}/antiAffinityPolicy",
    "POST /v2/servers/{alias}/{server}/alertPolicies",
    "DELETE /v2/servers/{alias}/{server}/alertPolicies/{policy}",
)

ROUTES: tuple[str, ...] = tuple(f"{m} {spec.path}" for spec in API_ROUTES for m in spec.methods)


def _pattern(path: str) -> re.Pattern[str]:
    parts = [r"[^/]+" if p.startswith("{") else re.escape(p) for p in path.split("/")]
    return re.compile("/".join(parts), re.IGNORECASE)


_MATCHERS = [
    (route, _pattern(route.split(" ", 1)[1]), sum(1 for p in route.split("/") if p and "{" not in p))
    for route in ROUTES
]


def route_of(method: str, path: str) -> str | None:
    """The route (`GET /v2/servers/{alias}/{server}`) that serves `method path`, or None."""
    path = path.split("?", 1)[0].rstrip("/") or "/"
    found = [
        (literal, route)
        for route, pattern, literal in _MATCHERS
        if route.split(" ", 1)[0] == method.upper() and pattern.fullmatch(path)
    ]
    return max(found)[1] if found else None
