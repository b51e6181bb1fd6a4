"""Authorization: a walk over the running sandbox's whole route table (read from its Starlette app,
so a route added later is walked too) with no token, malformed tokens, an expired token, another
account's alias and a valid token. Plus: tokens are random, per-sandbox, and not derived from the
demo password."""

from __future__ import annotations

import math
import time
from collections import Counter
from pathlib import Path

import pytest
import requests
from sandbox_api import Api, status_id, walk_groups

import clc_notebook.sandbox as sandbox_pkg
from clc_notebook.sandbox import Sandbox

from .support import fill, record_figure, route_table

# Routes that need no bearer token by design: login, and the control plane (contract, outside /v2).
PUBLIC = {"/v2/authentication/login"}
OTHER_ALIAS = "OTHR"


def is_public(template: str) -> bool:
    return template in PUBLIC or template.startswith("/sandbox/")


@pytest.fixture(scope="module")
def walk_world():
    """A sandbox with one of everything the routes can name: server, group, job, public IP."""
    with Sandbox(mode="polls") as sb:
        api = Api(sb)
        root = api.root_group("WA1")
        default = next(g["id"] for g in walk_groups(api.group(root)) if g["name"] == "Default Group")
        build = api.post_server("auth", default)
        assert api.wait_job(status_id(build)) == "succeeded"
        server = api.server_by_uuid(build)["id"]
        group = api.ok_json("POST", f"/v2/groups/{api.alias}", json={"name": "Walk", "parentGroupId": default})["id"]
        values = {
            "alias": api.alias,
            "dc": "WA1",
            "group": group,
            "server": server,
            "job": status_id(build),
            "op": "reboot",
            "snapshot": "1",
            "ip": "10.0.0.1",
            **api.network_service_ids("WA1"),
        }
        yield sb, api, values


def calls(sb, values: dict, alias: str | None = None):
    """(template, method, concrete path) for every protected route of the running sandbox."""
    out = []
    for template, methods, _route in route_table(sb):
        if is_public(template):
            continue
        path = fill(template, {**values, **({"alias": alias} if alias else {})})
        out.extend((template, m, path) for m in sorted(methods | ({"HEAD"} if "GET" in methods else set())))
    return out


def test_route_table_is_what_we_walk(walk_world):
    sb, _api, values = walk_world
    table = route_table(sb)
    templates = {t for t, _, _ in table}
    assert "/v2/servers/{alias}/{server}" in templates and "/sandbox/health" in templates
    protected = [t for t in templates if not is_public(t)]
    assert len(protected) >= 20, protected
    # every protected route names an account alias, so the 403 walk below reaches it
    assert all("{alias}" in t for t in protected), [t for t in protected if "{alias}" not in t]
    record_figure(
        "authorization", routes=len(table), protected_routes=len(protected), protected_calls=len(calls(sb, values))
    )


@pytest.mark.parametrize(
    "header",
    [
        None,  # no Authorization header
        "Bearer",  # scheme only
        "Bearer ",  # empty token
        "Basic ZGVtb3VzZXIxOm15cGFzc3dvcmQ=",  # demouser1:mypassword as Basic auth
        "Bearer mypassword",  # the password as a token
        "Bearer demouser1",
        "Token abcdefabcdefabcdefabcdef",
        "Bearer " + "A" * 64,  # right length, random content
        "Bearer ../../etc/passwd",
        "Bearer \u00e9\u00e9\u00e9",  # non-ASCII (sent as latin-1)
    ],
)
def test_every_protected_route_refuses_missing_or_malformed_tokens(walk_world, header):
    sb, api, values = walk_world
    headers = {"Authorization": header.encode("latin-1")} if header is not None else {}
    seen = Counter()
    for template, method, path in calls(sb, values):
        r = requests.request(method, sb.url + path, headers=headers, json=[], timeout=10)
        seen[r.status_code] += 1
        assert r.status_code == 401, f"{method} {template} with {header!r} -> {r.status_code} {r.text[:200]}"
        if method != "HEAD":
            assert "message" in r.json()
    assert seen[401] > 40


def test_a_tampered_token_is_refused(walk_world):
    sb, api, values = walk_world
    good = api.login()
    flipped = good[:-1] + ("A" if good[-1] != "A" else "B")
    for bad in (flipped, good + "x", good[:-1], good.upper() if good != good.upper() else good.lower(), good[::-1]):
        for template, method, path in calls(sb, values)[:8]:
            r = api.request(method, path, token=bad, json=[])
            assert r.status_code == 401, (template, method, r.status_code)
    # a token in the query string is not a token
    r = requests.get(
        sb.url + f"/v2/datacenters/{api.alias}", params={"access_token": good, "bearerToken": good}, timeout=10
    )
    assert r.status_code == 401


def test_every_protected_route_refuses_an_expired_token(walk_world):
    sb, api, values = walk_world
    old = api.login()
    assert requests.post(sb.url + "/sandbox/expire-tokens", timeout=10).status_code == 200
    for template, method, path in calls(sb, values):
        r = api.request(method, path, token=old, json=[])
        assert r.status_code == 401, f"{method} {template} with an expired token -> {r.status_code}"
    api.login()  # a fresh login works again
    assert api.get(f"/v2/datacenters/{api.alias}").status_code == 200


def test_tokens_expire_after_their_ttl():
    with Sandbox(mode="polls", token_ttl=1) as sb:
        api = Api(sb)
        assert api.get(f"/v2/datacenters/{api.alias}").status_code == 200
        time.sleep(1.2)
        r = api.get(f"/v2/datacenters/{api.alias}")
        assert r.status_code == 401, r.status_code


def test_every_protected_route_refuses_another_accounts_alias(walk_world):
    sb, api, values = walk_world
    api.login()
    for alias in (OTHER_ALIAS, OTHER_ALIAS.lower(), "ALIAS2", "ALIA"):
        for template, method, path in calls(sb, values, alias=alias):
            r = api.request(method, path, json=[])
            assert r.status_code == 403, f"{method} {template} for alias {alias} -> {r.status_code} {r.text[:200]}"


def test_every_protected_route_accepts_a_valid_token(walk_world):
    """Run last in this module: it sends DELETEs with real ids."""
    sb, api, values = walk_world
    api.login()
    statuses = Counter()
    ordered = sorted(calls(sb, values), key=lambda c: c[1] == "DELETE")  # destructive calls last
    for template, method, path in ordered:
        r = api.request(method, path, json=[])
        statuses[r.status_code] += 1
        assert r.status_code not in (401, 403), f"{method} {template} with a valid token -> {r.status_code}"
        assert r.status_code < 500, f"{method} {template} -> {r.status_code} {r.text[:200]}"
    assert sum(v for k, v in statuses.items() if k < 300) >= 15, statuses
    # alias case does not matter for the owner
    assert api.get(f"/v2/datacenters/{api.alias.lower()}").status_code == 200


def test_public_routes_need_no_token(walk_world):
    sb, _api, _values = walk_world
    r = requests.post(
        sb.url + "/v2/authentication/login", json={"username": sb.username, "password": sb.password}, timeout=10
    )
    assert r.status_code == 200
    assert requests.get(sb.url + "/sandbox/health", timeout=10).json()["status"] == "ok"


def test_tokens_are_random_long_and_unique():
    with Sandbox(mode="polls") as sb:
        api = Api(sb)
        tokens = [api.login() for _ in range(200)]
    assert len(set(tokens)) == len(tokens)
    alphabet = set("".join(tokens))
    bits = min(len(t) for t in tokens) * math.log2(max(2, len(alphabet)))
    assert bits >= 128, f"about {bits:.0f} bits per token"
    # no shared prefix/suffix structure that would shrink the search space
    assert len({t[:8] for t in tokens}) > 190 and len({t[-8:] for t in tokens}) > 190
    for t in tokens:
        assert "mypassword" not in t and "demouser1" not in t.lower()
    record_figure(
        "tokens",
        logins=len(tokens),
        min_length=min(map(len, tokens)),
        alphabet=len(alphabet),
        estimated_bits=round(bits),
    )


def test_a_token_from_one_sandbox_is_refused_by_another():
    with Sandbox(mode="polls", seed=0) as one, Sandbox(mode="polls", seed=0) as two:
        token = Api(one).token
        r = requests.get(two.url + "/v2/datacenters/ALIAS", headers={"Authorization": f"Bearer {token}"}, timeout=10)
        assert r.status_code == 401


def test_demo_password_is_only_in_the_fixtures():
    """The token logic does not hard-wire the demo account: its password lives in fixtures.py only."""
    root = Path(sandbox_pkg.__file__).parent
    holders = [p.name for p in root.rglob("*.py") if "mypassword" in p.read_text()]
    assert holders == ["fixtures.py"], holders
