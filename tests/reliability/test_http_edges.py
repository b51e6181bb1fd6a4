"""Bad input at the HTTP level: non-JSON bodies, huge bodies (413), unicode names, path traversal and
injection-looking ids, wrong methods (405 on every route of the real route table), odd query values.
The sandbox never answers 5xx and never changes state for a refused request."""

from __future__ import annotations

import json

import pytest
import requests
from sandbox_api import Api, status_id, walk_groups

from clc_notebook.sandbox import Sandbox

from .support import fill, route_table

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
NOT_JSON = [
    b"{",
    b"not json",
    b"[1, 2",
    b"\xff\xfe\x00\x01",
    b'{"name": "x",}',
    b"{'name': 'x'}",
    b"\x00",
    b"NaN",
    b'{"a": ' * 5000 + b"1" + b"}" * 5000,
    b"[" * 100_000,
]


@pytest.fixture(scope="module")
def edge_world():
    with Sandbox(mode="polls") as sb:
        api = Api(sb)
        roots = [api.root_group(dc) for dc in api.datacenters()]
        default = next(g["id"] for g in walk_groups(api.group(roots[0])) if g["name"] == "Default Group")
        build = api.post_server("edge", default)
        assert api.wait_job(status_id(build)) == "succeeded"
        server = api.server_by_uuid(build)["id"]
        group = api.ok_json("POST", f"/v2/groups/{api.alias}", json={"name": "Edge", "parentGroupId": default})["id"]
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
        yield sb, api, values, roots, default


def body_routes(sb, values):
    for template, methods, _ in route_table(sb):
        for method in sorted(methods & {"POST", "PUT", "PATCH"}):
            yield template, method, fill(template, values)


# The documented body-taking API calls: garbage must be answered 400 exactly.
MAIN_BODY_ROUTES = {
    ("/v2/authentication/login", "POST"),
    ("/v2/servers/{alias}", "POST"),
    ("/v2/servers/{alias}/{server}", "PATCH"),
    ("/v2/groups/{alias}", "POST"),
    ("/v2/groups/{alias}/{group}", "PATCH"),
    ("/v2/operations/{alias}/servers/{op}", "POST"),
    ("/v2/sharedLoadBalancers/{alias}/{dc}", "POST"),
    ("/v2/sharedLoadBalancers/{alias}/{dc}/{loadBalancer}/pools/{pool}/nodes", "PUT"),
    ("/v2-experimental/firewallPolicies/{alias}/{dc}", "POST"),
}


def test_non_json_bodies_are_refused_on_every_body_route(edge_world):
    sb, api, values, roots, _ = edge_world
    before = api.snapshot(roots)
    walked = set()
    for template, method, path in body_routes(sb, values):
        if template in ("/sandbox/reset", "/sandbox/expire-tokens"):
            continue  # these act without a body; their body is optional by contract
        for raw in NOT_JSON:
            r = api.request(method, path, data=raw, headers={"Content-Type": "application/json"})
            assert r.status_code < 500, f"{method} {template} body {raw[:20]!r} -> {r.status_code} {r.text[:200]}"
            if (template, method) in MAIN_BODY_ROUTES:
                assert r.status_code == 400, f"{method} {template} body {raw[:20]!r} -> {r.status_code}"
                assert "message" in r.json()
                walked.add((template, method))
    assert walked == MAIN_BODY_ROUTES
    assert api.snapshot(roots) == before


def test_huge_bodies_are_refused_with_413(edge_world):
    sb, api, values, roots, default = edge_world
    before = api.snapshot(roots)
    huge = json.dumps({"name": "big", "groupId": default, "description": "x" * (3 * 1024 * 1024)}).encode()
    for template, method, path in body_routes(sb, values):
        r = api.request(method, path, data=huge, headers={"Content-Type": "application/json"})
        assert r.status_code == 413, f"{method} {template} with 3 MB -> {r.status_code}"
        assert "too large" in r.json()["message"].lower()

    def chunks():  # no Content-Length: the cap must hold while streaming
        for _ in range(64):
            yield b"[" + b"1," * 50_000 + b"1]"

    r = api.request("POST", f"/v2/servers/{api.alias}", data=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    # just under the cap: a parse, then a field-level 400, not a crash
    near = json.dumps(
        {
            "name": "n" * (900 * 1024),
            "groupId": default,
            "sourceServerId": "RHEL-6-64-TEMPLATE",
            "cpu": 1,
            "memoryGB": 1,
            "type": "standard",
        }
    )
    r = api.post(f"/v2/servers/{api.alias}", data=near, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and "body.name" in r.json()["modelState"]
    assert api.snapshot(roots) == before
    assert api.get(f"/v2/datacenters/{api.alias}").status_code == 200  # still serving


@pytest.mark.parametrize(
    "name",
    [
        "Grüße",
        "日本のサーバー",
        "🚀 launch",
        "مجموعة",
        "e\u0301\u0301",
        "tab\tand  spaces",
        "'; DROP TABLE groups; --",
        "<script>alert(1)</script>",
        "a" * 200,
    ],
)
def test_unicode_and_hostile_group_names_round_trip(edge_world, name):
    _sb, api, _values, _roots, default = edge_world
    created = api.post(
        f"/v2/groups/{api.alias}", json={"name": name, "parentGroupId": default, "description": name[::-1]}
    )
    assert created.status_code == 201, created.text[:200]
    group = api.group(created.json()["id"])
    assert group["name"] == name and group.get("description") == name[::-1]
    assert api.delete(f"/v2/groups/{api.alias}/{group['id']}").status_code == 202


@pytest.mark.parametrize("name", ["wéb", "日本", "🚀", "a\u0000b", "a\nb"])
def test_non_ascii_server_names_are_refused_naming_the_field(edge_world, name):
    _sb, api, _values, roots, default = edge_world
    before = api.snapshot(roots)
    r = api.post(
        f"/v2/servers/{api.alias}",
        json={
            "name": name,
            "groupId": default,
            "sourceServerId": "RHEL-6-64-TEMPLATE",
            "cpu": 1,
            "memoryGB": 1,
            "type": "standard",
        },
    )
    assert r.status_code == 400 and "body.name" in r.json()["modelState"], r.text[:200]
    assert api.snapshot(roots) == before


def test_unicode_description_round_trips_on_a_server(edge_world):
    _sb, api, values, _roots, _ = edge_world
    text = "Ünïcødé 🚀 سيرفر \u200b end"
    r = api.patch(
        f"/v2/servers/{api.alias}/{values['server']}", json=[{"op": "set", "member": "description", "value": text}]
    )
    assert r.status_code == 204, r.text[:200]
    assert api.ok_json("GET", f"/v2/servers/{api.alias}/{values['server']}")["description"] == text


HOSTILE_IDS = [
    "..%2F..%2Fetc%2Fpasswd",
    "%2e%2e",
    "..%5c..%5cwindows",
    "%00",
    "wa1aliasedge01%00.json",
    "' OR '1'='1",
    "1;DROP TABLE servers",
    "*",
    "%25",
    "x" * 5000,
    "%F0%9F%9A%80",
    "..",
    "wa1aliasedge01%2F..%2F..",
    "%C0%AE%C0%AE",
]


@pytest.mark.parametrize("kind", ["servers", "groups", "status"])
def test_path_traversal_and_injection_ids_are_not_found(edge_world, kind):
    sb, api, _values, roots, _ = edge_world
    before = api.snapshot(roots)
    for bad in HOSTILE_IDS:
        path = {
            "servers": f"/v2/servers/{api.alias}/{bad}",
            "groups": f"/v2/groups/{api.alias}/{bad}",
            "status": f"/v2/operations/{api.alias}/status/{bad}",
        }[kind]
        methods = ("GET",) if kind == "status" else ("GET", "DELETE", "PATCH")
        for method in methods:
            # send the path exactly as written (no client-side normalisation of "..")
            session = requests.Session()
            request = requests.Request(
                method,
                sb.url + path,
                json=[{"op": "set", "member": "description", "value": "x"}],
                headers={"Authorization": f"Bearer {api.token}"},
            ).prepare()
            request.url = sb.url + path
            r = session.send(request, timeout=10)
            assert r.status_code in (400, 404), f"{method} {path[:80]} -> {r.status_code} {r.text[:200]}"
    assert api.snapshot(roots) == before


def test_wrong_methods_get_405_on_every_route(edge_world):
    sb, api, values, _roots, _ = edge_world
    table = route_table(sb)
    by_path: dict[str, set] = {}
    for template, _methods, _ in table:
        path = fill(template, values)
        # a path may fit more than one template (`.../{dc}/claim` is also `.../{dc}/{network}`):
        # every method of every route that matches it is allowed
        for _t, methods, route in table:
            if route.path_regex.match(path):
                by_path.setdefault(path, set()).update(methods)
    checked = 0
    for path, allowed in by_path.items():
        for method in set(METHODS) - allowed:
            r = api.request(method, path, json={})
            assert r.status_code == 405, f"{method} {path} -> {r.status_code} (allowed: {sorted(allowed)})"
            assert "Allow" in r.headers or "allow" in r.headers
            checked += 1
    assert checked > 50, checked


def test_odd_query_values_never_break_a_read(edge_world):
    _sb, api, values, roots, _ = edge_world
    odd = ["", "detailed" * 1000, "DETAILED", "true", "%00", "☃", "1e309", "-1", "[]"]
    for value in odd:
        for path, name in [
            (f"/v2/groups/{api.alias}/{roots[0]}", "serverDetail"),
            (f"/v2/servers/{api.alias}/{values['server']}", "uuid"),
            (f"/v2/datacenters/{api.alias}/WA1", "groupLinks"),
        ]:
            r = api.get(path, params={name: value})
            assert r.status_code in (200, 400, 404), (path, name, value, r.status_code)


def test_oversized_headers_and_urls_never_break_the_sandbox(edge_world):
    sb, api, values, _roots, _ = edge_world
    for headers, path, allowed in [
        ({"X-Filler": "a" * 70_000}, f"/v2/datacenters/{api.alias}", (200, 400, 431)),
        ({}, f"/v2/servers/{api.alias}/" + "a" * 70_000, (400, 404, 414)),
        # unknown query parameters are ignored, as the real API did
        ({}, f"/v2/groups/{api.alias}/{values['group']}?" + "&".join(f"p{i}=v" for i in range(5000)), (200,)),
    ]:
        try:
            r = api.get(path, headers=headers)
            assert r.status_code in allowed, (path[:60], r.status_code)
        except requests.ConnectionError:
            pass  # the server may close such a connection: refusing it is the point
    assert api.get(f"/v2/datacenters/{api.alias}").status_code == 200


def test_refused_creates_consume_no_name_number_and_no_job_id(edge_world):
    """Nothing half-made: a refused create leaves no trace, not even a used counter."""
    _sb, api, _values, _roots, default = edge_world
    body = {
        "name": "cnt",
        "groupId": default,
        "sourceServerId": "RHEL-6-64-TEMPLATE",
        "cpu": 1,
        "memoryGB": 1,
        "type": "standard",
    }
    first = api.ok_json("POST", f"/v2/servers/{api.alias}", json=body)
    for broken in (
        {"cpu": 99},
        {"memoryGB": 0},
        {"sourceServerId": "NOPE"},
        {"groupId": "f" * 32},
        {"password": "a;b"},
        {"additionalDisks": [{"sizeGB": 5000, "type": "raw"}]},
    ):
        r = api.post(f"/v2/servers/{api.alias}", json={**body, **broken})
        assert r.status_code == 400, (broken, r.status_code)
    second = api.ok_json("POST", f"/v2/servers/{api.alias}", json=body)
    dc, n1 = status_id(first).rsplit("-", 1)
    assert status_id(second) == f"{dc}-{int(n1) + 1}", (status_id(first), status_id(second))
    assert api.server_by_uuid(second)["name"] == "WA1ALIASCNT02"
