"""Property tests over request bodies (hypothesis): the sandbox never answers 5xx, rejects invalid
input with 400 and a modelState naming the field, and changes nothing when it rejects a request.

Each endpoint gets three kinds of generated case:
- valid: a body the reference says is fine (keys in random case, numbers sometimes as strings) -> 2xx;
- broken: a valid body with exactly one field made invalid by a documented rule -> 400 naming it;
- arbitrary: known keys with arbitrary JSON values, or any JSON at all -> no 5xx, and if rejected,
  the account's state (every data center's tree, servers embedded) is byte-for-byte unchanged.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sandbox_api import Api, status_id, walk_groups

from clc_notebook.sandbox import Sandbox

from .conftest import PROFILE
from .support import fill, record_figure, route_table, scale

NO_SUCH_GROUP = "f" * 32
ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


# --- the world the generated requests act on -------------------------------------------------------
class World:
    """A polls-mode sandbox with a few active servers and a small group tree; placeholders such as
    "@group" in generated bodies are replaced by real ids of this world before sending."""

    def __init__(self, sb: Sandbox):
        self.sb = sb
        self.accepted = 0
        self.stats: dict[str, Counter] = {}
        self.build()

    def build(self) -> None:
        api = self.api = Api(self.sb)
        self.roots = [api.root_group(dc) for dc in api.datacenters()]
        wa1_root = api.root_group("WA1")
        other_root = next(r for r in self.roots if r != wa1_root)
        by_name = {g["name"]: g["id"] for g in walk_groups(api.group(wa1_root))}
        other = {g["name"]: g["id"] for g in walk_groups(api.group(other_root))}
        default = by_name["Default Group"]
        parent = api.ok_json("POST", f"/v2/groups/{api.alias}", json={"name": "Parent G", "parentGroupId": default})[
            "id"
        ]
        child = api.ok_json("POST", f"/v2/groups/{api.alias}", json={"name": "Child G", "parentGroupId": parent})["id"]
        servers = []
        for _ in range(2):
            accepted = api.post_server("prop", default)
            assert api.wait_job(status_id(accepted)) == "succeeded"
            servers.append(api.server_by_uuid(accepted)["id"])
        self.ids = {
            "@root": wa1_root,
            "@group": default,
            "@archive": by_name["Archive"],
            "@templates": by_name["Templates"],
            "@parent": parent,
            "@child": child,
            "@otherdc": other["Default Group"],
            "@nosuchgroup": NO_SUCH_GROUP,
            "@server1": servers[0],
            "@server2": servers[1],
            "@SERVER1": servers[0].upper(),
        }
        self.network_ids = api.network_service_ids("WA1")  # a load balancer, a pool, firewall policies
        self.state = api.snapshot(self.roots)

    def resolve(self, value):
        """Replace placeholders (recursively) with this world's ids."""
        if isinstance(value, str) and value in self.ids:
            return self.ids[value]
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        return value

    def settle(self, response) -> None:
        """Drive jobs an accepted request queued to their end, so the next case starts from rest."""
        if not response.content:
            return
        try:
            body = response.json()
        except ValueError:
            return
        items = body if isinstance(body, list) else [body]
        for item in items:
            if not isinstance(item, dict):
                continue
            links = [item] if item.get("rel") == "status" else item.get("links", [])
            for link in links:
                if isinstance(link, dict) and link.get("rel") == "status":
                    self.api.wait_job(link["id"])

    def check(self, endpoint: str, case: Case, response) -> None:
        """The properties every answer must have; updates the remembered state."""
        counts = self.stats.setdefault(endpoint, Counter())
        counts["cases"] += 1
        counts[f"{case.kind}:{response.status_code}"] += 1
        sent = f"{case.method} {case.path} body={case.shown()}"
        assert response.status_code < 500, f"{sent} -> {response.status_code} {response.text[:300]}"
        if response.status_code >= 400:
            assert response.status_code == 400 or response.status_code in case.other_rejections, (
                f"{sent} -> unexpected {response.status_code} {response.text[:300]}"
            )
            if response.status_code == 400 and response.content:
                body = response.json()
                assert isinstance(body, (dict, list)), f"{sent} -> 400 body {body!r}"
        if case.kind == "valid":
            assert response.status_code in case.ok, f"valid {sent} -> {response.status_code} {response.text[:300]}"
        if case.kind == "broken":
            assert response.status_code == 400, (
                f"invalid {case.field} accepted: {sent} -> {response.status_code} {response.text[:300]}"
            )
            model_state = response.json().get("modelState") or {}
            assert any(case.field.lower() in key.lower() for key in model_state), (
                f"{sent} -> 400 without modelState naming {case.field!r}: {response.text[:300]}"
            )
        after = self.api.snapshot(self.roots)
        if response.status_code >= 400:
            assert after == self.state, f"state changed after rejected {sent} -> {response.status_code}"
        else:
            self.accepted += 1
            self.settle(response)
            after = self.api.snapshot(self.roots)
        self.state = after
        if self.accepted >= 40:  # keep trees (and snapshot reads) small
            self.sb.reset()
            self.accepted = 0
            self.build()


@dataclass
class Case:
    kind: str  # "valid" | "broken" | "arbitrary"
    method: str
    path: str  # may hold placeholders ("{server}"), filled by the test
    body: object = None
    field: str = ""  # for "broken": the field the modelState must name
    ok: tuple = (200, 201, 202, 204)
    other_rejections: tuple = ()  # rejections other than 400 that are right for this case
    form: bool = False  # send as application/x-www-form-urlencoded

    def shown(self) -> str:
        text = json.dumps(self.body, ensure_ascii=True, default=str)
        return text if len(text) < 300 else text[:297] + "..."


def send(world: World, case: Case):
    path = case.path.format(alias=world.api.alias, **{k[1:]: v for k, v in world.ids.items() if k[1:].islower()})
    body = world.resolve(case.body)
    if case.form:
        return world.api.request(case.method, path, data=body)
    return world.api.request(case.method, path, json=body)


@pytest.fixture(scope="module")
def shared_world():
    with Sandbox(mode="polls") as sb:
        w = World(sb)
        yield w
        record_figure("bad_input", **{name: dict(counts) for name, counts in w.stats.items()})


@pytest.fixture
def world(shared_world):
    """The shared world, back at its starting point for each endpoint's test."""
    shared_world.sb.reset()
    shared_world.accepted = 0
    shared_world.build()
    return shared_world


# --- generic strategies ------------------------------------------------------------------------
json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(10**30), 10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=40)
)
placeholders = st.sampled_from(
    [
        "@group",
        "@root",
        "@archive",
        "@templates",
        "@parent",
        "@child",
        "@otherdc",
        "@nosuchgroup",
        "@server1",
        "@server2",
        "@SERVER1",
    ]
)
json_values = st.recursive(
    json_scalars | placeholders,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


def key_case(key: str):
    """The key as written, or in another case (the API binds keys case-insensitively)."""
    return st.sampled_from([key, key.lower(), key.upper(), key[0].upper() + key[1:]])


def int_or_string(lo: int, hi: int):
    return st.integers(lo, hi).flatmap(lambda n: st.sampled_from([n, str(n)]))


def assemble(fields: dict):
    """A strategy of dicts from {key: value strategy}, each key in a random case."""
    return st.fixed_dictionaries({k: st.tuples(key_case(k), v) for k, v in fields.items()}).map(
        lambda d: {k2: v for k2, v in d.values()}
    )


def with_optional(required: dict, optional: dict):
    return (
        st.tuples(
            assemble(required),
            st.dictionaries(st.sampled_from(sorted(optional)), st.just(None), max_size=len(optional)),
        )
        .flatmap(lambda t: st.tuples(st.just(t[0]), assemble({k: optional[k] for k in t[1]})))
        .map(lambda t: {**t[0], **t[1]})
    )


def break_one(valid: dict, broken_values: dict, removable: tuple = ()):
    """Cases where exactly one field of a valid body is invalid (or a required one is missing)."""
    choices = [(f, "replace") for f in broken_values] + [(f, "remove") for f in removable]

    def build(pair):
        fld, how = pair
        if how == "remove":
            return st.just((fld, {k: v for k, v in valid.items() if k.lower() != fld.lower()}))
        return broken_values[fld].map(
            lambda bad: (fld, {**{k: v for k, v in valid.items() if k.lower() != fld.lower()}, fld: bad})
        )

    return st.sampled_from(choices).flatmap(build)


# --- create server -----------------------------------------------------------------------------
server_name = st.text(ALNUM, min_size=1, max_size=1).flatmap(
    lambda first: st.text(ALNUM + "-", max_size=4).map(lambda rest: first + rest)
)
create_required = {
    "name": server_name,
    "groupId": st.just("@group"),
    "sourceServerId": st.sampled_from(["RHEL-6-64-TEMPLATE", "WIN2012R2DTC-64"]),
    "cpu": int_or_string(1, 16),
    "memoryGB": int_or_string(1, 128),
    "type": st.sampled_from(["standard", "Standard"]),
}
create_optional = {
    "storageType": st.sampled_from(["standard", "premium"]),
    "description": st.text(max_size=60),
    "networkId": st.just("a933432bd1234e84b6c4fa329e48cb8b"),
    "isManagedOS": st.booleans(),
    "additionalDisks": st.lists(
        st.fixed_dictionaries({"sizeGB": st.integers(1, 1024), "type": st.just("raw")}), max_size=2
    ),
}
create_broken = {
    "name": st.sampled_from(["", "toolong", "abcdef", "a b", "a_b", "wé", "a/b", "a.b", "a;b"]),
    "groupId": st.sampled_from(["@nosuchgroup", "", "../../etc", "x" * 300]),
    "sourceServerId": st.sampled_from(["NO-SUCH-TEMPLATE", ""]),
    "cpu": st.sampled_from([0, 17, -1, "abc", 2.5, "", [], {}, 10**20, True]),
    "memoryGB": st.sampled_from([0, 129, -1, "x", 1.5, [], {}, 10**20]),
    "type": st.sampled_from(["tiny", "x" * 50, 5]),
    "storageType": st.sampled_from(["gold", 7]),
    "additionalDisks": st.sampled_from(
        [
            [{"sizeGB": 2000, "type": "raw"}],
            [{"sizeGB": 10, "type": "weird"}],
            [{"sizeGB": -1, "type": "raw"}],
            "not-a-list",
        ]
    ),
    "ipAddress": st.sampled_from(["999.1.1.1", "not-an-ip"]),
    "password": st.sampled_from(["abc;def12", "abc<def12", "abc'def12", 'abc"def12']),
    "ttl": st.sampled_from(["not-a-date", "2001-01-01T00:00:00Z"]),
}
CREATE = "/v2/servers/{alias}"


@st.composite
def create_server_cases(draw):
    kind = draw(st.sampled_from(["valid", "broken", "broken", "arbitrary", "arbitrary"]))
    if kind == "valid":
        return Case("valid", "POST", CREATE, draw(with_optional(create_required, create_optional)), ok=(202,))
    if kind == "broken":
        base = {k: draw(v) for k, v in create_required.items()}
        base["type"] = "standard"
        fld, body = draw(break_one(base, create_broken, removable=("name", "groupId", "sourceServerId")))
        return Case("broken", "POST", CREATE, body, field=fld)
    known = (
        list(create_required) + list(create_optional) + ["ipAddress", "ttl", "isManagedBackup", "sourceServerPassword"]
    )
    body = draw(st.dictionaries(st.sampled_from(known).flatmap(key_case), json_values, max_size=10) | json_values)
    return Case("arbitrary", "POST", CREATE, body)


@settings(settings.get_profile(PROFILE))
@given(case=create_server_cases())
def test_create_server_bodies(world, case):
    world.check("create_server", case, send(world, case))


# --- PATCH server ------------------------------------------------------------------------------
def op(member, value):
    return {"op": "set", "member": member, "value": value}


patch_server_valid_ops = st.one_of(
    st.text(max_size=80).map(lambda v: op("description", v)),
    st.sampled_from(["@group", "@parent", "@child"]).map(lambda v: op("groupId", v)),
    int_or_string(1, 16).map(lambda v: op("cpu", v)),
    int_or_string(1, 128).map(lambda v: op("memory", v)),
)
patch_server_broken_ops = {
    "cpu": st.sampled_from([0, 17, "x", None, 2.5, {}]).map(lambda v: op("cpu", v)),
    "memory": st.sampled_from([0, 129, "x", None, []]).map(lambda v: op("memory", v)),
    "groupId": st.sampled_from(["@nosuchgroup", "@archive", "@templates", "@otherdc", ""]).map(
        lambda v: op("groupId", v)
    ),
    "description": st.sampled_from([{"x": 1}, [1, 2]]).map(lambda v: op("description", v)),
}
SERVER_PATH = "/v2/servers/{alias}/{server1}"


@st.composite
def patch_server_cases(draw):
    kind = draw(st.sampled_from(["valid", "broken", "broken", "arbitrary", "arbitrary"]))
    ops = draw(st.lists(patch_server_valid_ops, min_size=1, max_size=3, unique_by=lambda o: o["member"]))
    if kind == "valid":
        return Case("valid", "PATCH", SERVER_PATH, ops, ok=(202, 204))
    if kind == "broken":
        fld = draw(st.sampled_from(sorted(patch_server_broken_ops)))
        bad = draw(patch_server_broken_ops[fld])
        ops = [o for o in ops if o["member"] != fld]
        ops.insert(draw(st.integers(0, len(ops))), bad)
        return Case("broken", "PATCH", SERVER_PATH, ops, field=fld)
    members = st.sampled_from(["cpu", "memory", "description", "groupId", "customFields", "disks", "password", "name"])
    arbitrary_op = st.fixed_dictionaries(
        {
            "op": st.sampled_from(["set", "add", "remove", "", "SET"]) | json_scalars,
            "member": members | json_scalars,
            "value": json_values,
        }
    )
    body = draw(st.lists(arbitrary_op | json_values, max_size=4) | json_values)
    return Case("arbitrary", "PATCH", SERVER_PATH, body)


@settings(settings.get_profile(PROFILE))
@given(case=patch_server_cases())
def test_patch_server_bodies(world, case):
    world.check("patch_server", case, send(world, case))


# --- PATCH group -------------------------------------------------------------------------------
group_name = st.text(st.characters(categories=["L", "N", "Zs", "Pd", "Pc"]), min_size=1, max_size=40).filter(
    lambda s: s.strip() == s and s != ""
)
patch_group_valid_ops = st.one_of(
    group_name.map(lambda v: op("name", v)),
    st.text(max_size=80).map(lambda v: op("description", v)),
    st.sampled_from(["@group", "@root"]).map(lambda v: op("parentGroupId", v)),
)
patch_group_broken_ops = {
    "name": st.sampled_from(["", None, {}, []]).map(lambda v: op("name", v)),
    # a group cannot become its own parent or move under its own descendant
    "parentGroupId": st.sampled_from(["@nosuchgroup", "@parent", "@child", ""]).map(lambda v: op("parentGroupId", v)),
}
GROUP_PATH = "/v2/groups/{alias}/{parent}"


@st.composite
def patch_group_cases(draw):
    kind = draw(st.sampled_from(["valid", "broken", "broken", "arbitrary", "arbitrary"]))
    ops = draw(st.lists(patch_group_valid_ops, min_size=1, max_size=3, unique_by=lambda o: o["member"]))
    if kind == "valid":
        return Case("valid", "PATCH", GROUP_PATH, ops, ok=(204,))
    if kind == "broken":
        fld = draw(st.sampled_from(sorted(patch_group_broken_ops)))
        ops = [o for o in ops if o["member"] != fld]
        ops.insert(draw(st.integers(0, len(ops))), draw(patch_group_broken_ops[fld]))
        return Case("broken", "PATCH", GROUP_PATH, ops, field=fld)
    members = st.sampled_from(["name", "description", "parentGroupId", "customFields", "groupId"])
    arbitrary_op = st.fixed_dictionaries(
        {
            "op": st.sampled_from(["set", "add", ""]) | json_scalars,
            "member": members | json_scalars,
            "value": json_values,
        }
    )
    body = draw(st.lists(arbitrary_op | json_values, max_size=4) | json_values)
    return Case("arbitrary", "PATCH", GROUP_PATH, body)


@settings(settings.get_profile(PROFILE))
@given(case=patch_group_cases())
def test_patch_group_bodies(world, case):
    world.check("patch_group", case, send(world, case))


# --- create group ------------------------------------------------------------------------------
GROUPS = "/v2/groups/{alias}"
create_group_required = {
    "name": group_name,
    "parentGroupId": st.sampled_from(["@group", "@parent", "@root", "@otherdc"]),
}
create_group_optional = {"description": st.text(max_size=60)}
create_group_broken = {
    "name": st.sampled_from(["", None, {}, [1]]),
    "parentGroupId": st.sampled_from(["@nosuchgroup", "", None, ["@group"]]),
}


@st.composite
def create_group_cases(draw):
    kind = draw(st.sampled_from(["valid", "broken", "broken", "arbitrary", "arbitrary"]))
    if kind == "valid":
        body = draw(with_optional(create_group_required, create_group_optional))
        # the Python SDK sends this body form-encoded; the API accepted both
        return Case("valid", "POST", GROUPS, body, ok=(201,), form=draw(st.booleans()))
    if kind == "broken":
        base = {k: draw(v) for k, v in create_group_required.items()}
        fld, body = draw(break_one(base, create_group_broken, removable=("name", "parentGroupId")))
        return Case("broken", "POST", GROUPS, body, field=fld)
    known = ["name", "parentGroupId", "description", "customFields", "id", "type"]
    body = draw(st.dictionaries(st.sampled_from(known).flatmap(key_case), json_values, max_size=5) | json_values)
    return Case("arbitrary", "POST", GROUPS, body)


@settings(settings.get_profile(PROFILE))
@given(case=create_group_cases())
def test_create_group_bodies(world, case):
    world.check("create_group", case, send(world, case))


# --- power operations --------------------------------------------------------------------------
OPERATIONS = [
    "powerOn",
    "powerOff",
    "shutDown",
    "reboot",
    "reset",
    "pause",
    "startMaintenance",
    "stopMaintenance",
    "archive",
]
server_refs = st.sampled_from(["@server1", "@server2", "@SERVER1", "WA1ALIASNOPE01", "nosuch"])


@st.composite
def power_cases(draw):
    kind = draw(st.sampled_from(["valid", "broken", "arbitrary", "arbitrary"]))
    operation = draw(
        st.sampled_from(OPERATIONS + ["explode", "POWERON"])
        if kind == "arbitrary"
        else st.sampled_from([o for o in OPERATIONS if o != "archive"])
    )
    path = f"/v2/operations/{{alias}}/servers/{operation}"
    if kind == "valid":
        ids = draw(st.lists(server_refs, min_size=1, max_size=4))
        return Case("valid", "POST", path, ids, ok=(200,))
    if kind == "broken":
        # documented body is a bare array of ids; an object or a scalar is not one
        body = draw(st.sampled_from([{"serverIds": "@server1"}, "@server1", 42, None, {"x": []}]))
        return Case("broken-shape", "POST", path, body)
    body = draw(st.lists(server_refs | json_values, max_size=5) | json_values)
    return Case("arbitrary", "POST", path, body, other_rejections=(404,))


@settings(settings.get_profile(PROFILE))
@given(case=power_cases())
def test_power_operation_bodies(world, case):
    response = send(world, case)
    if case.kind == "valid":
        # per-item results (200), or the same array under 400 when nothing could be queued
        assert response.status_code in (200, 400), (case.path, case.body, response.status_code, response.text[:300])
        items = response.json()
        assert isinstance(items, list) and len(items) == len(case.body), (case.body, items)
        sent = [str(world.resolve(ref)).lower() for ref in case.body]
        assert [item["server"] for item in items] == sent
        for item in items:
            assert item["isQueued"] or item.get("errorMessage"), item
        if response.status_code == 400:
            case = Case("arbitrary", case.method, case.path, case.body)  # state must then be unchanged
    if case.kind == "broken-shape":
        assert response.status_code == 400, (case.path, case.body, response.status_code, response.text[:300])
        assert "message" in response.json()
    world.check("power_operation", case, response)


# --- every other body-taking API route -----------------------------------------------------------
def api_body_routes(sb) -> list[tuple[str, str]]:
    """(method, template) of every body-taking API route (/v2 and /v2-experimental) of the running sandbox."""
    return sorted(
        (m, t)
        for t, methods, _ in route_table(sb)
        if t.startswith(("/v2/", "/v2-experimental/"))
        for m in methods & {"POST", "PUT", "PATCH"}
    )


@settings(settings.get_profile(PROFILE), max_examples=scale(150, 1000))
@given(data=st.data())
def test_every_body_route_survives_arbitrary_json(world, data):
    method, template = data.draw(st.sampled_from(api_body_routes(world.sb)), label="route")
    body = data.draw(json_values | st.dictionaries(st.text(max_size=12), json_values, max_size=6), label="body")
    values = {
        **world.network_ids,
        "alias": world.api.alias,
        "dc": "WA1",
        "group": world.ids["@parent"],
        "server": world.ids["@server1"],
        "op": data.draw(
            st.sampled_from(OPERATIONS + ["createSnapshot", "setMaintenance", "executePackage"]), label="op"
        ),
        "snapshot": "1",
        "ip": "10.0.0.1",
        "job": "wa1-1",
        "network": "a933432bd1234e84b6c4fa329e48cb8b",  # WA1's network (the world's servers are on it)
    }
    path = fill(template, values)
    case = Case("arbitrary", method, path, body, other_rejections=(404,))
    world.check(f"any:{method} {template}", case, world.api.request(method, path, json=world.resolve(body)))
