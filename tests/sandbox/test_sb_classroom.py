"""Classroom mode over HTTP: the roster, one account per trainee and nothing shared, the control plane kept
for the instructor, progress through the tutorial's nine steps, resets, and the class kept by `--state`."""

from __future__ import annotations

import base64
import csv
import json
import os
import re
import signal
import sqlite3
import stat
import subprocess
import sys

import pytest
import requests
from sandbox_api import (
    ALIAS,
    DEFAULT_GROUP,
    NETWORK,
    ROOT,
    TEMPLATE,
    Api,
    claim_network,
    read_roster,
    rels,
    status_id,
    walk_groups,
)

from clc_notebook.sandbox import Sandbox
from clc_notebook.sandbox.classroom import STEPS

TRAINEES = 3  # the shared `classroom` fixture's (tests/conftest.py)


def by_name(rows: list[dict]) -> dict[str, dict]:
    return {row["username"]: row for row in rows}


def seat(roster: dict[str, dict], role: str, n: int = 0) -> dict:
    return [row for row in roster.values() if row["role"] == role][n]


def login(sb, row: dict) -> Api:
    return Api(sb, row["username"], row["password"])


@pytest.fixture
def room(classroom):
    """The shared classroom sandbox (reset), its roster by username, the instructor's `Api`."""
    return classroom.sb, by_name(classroom.seats), classroom.control()


def board(instructor: Api) -> dict:
    """GET /sandbox/classroom's trainees by username."""
    r = instructor.get("/sandbox/classroom")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["steps"] == list(STEPS)
    return {t["username"]: t for t in body["trainees"]}


def done_steps(instructor: Api, username: str) -> list[str]:
    return [step for step, done in board(instructor)[username]["steps"].items() if done]


# --- the roster -------------------------------------------------------------------------------------------


def test_roster_lists_the_instructor_and_each_trainee_with_a_random_password(room):
    sb, roster, _ = room
    with open(sb.roster, newline="") as f:
        assert next(csv.reader(f)) == ["role", "username", "password", "alias"]
    roles = [row["role"] for row in roster.values()]
    assert roles.count("instructor") == 1 and roles.count("trainee") == TRAINEES
    aliases = [row["alias"] for row in roster.values()]
    passwords = [row["password"] for row in roster.values()]
    assert len(set(aliases)) == len(aliases) and ALIAS not in aliases
    assert len(set(passwords)) == len(passwords) and "mypassword" not in passwords
    assert all(len(p) >= 16 and re.fullmatch(r"[A-Za-z0-9]+", p) for p in passwords)
    assert stat.S_IMODE(os.stat(sb.roster).st_mode) == 0o600  # the passwords are only there
    for row in roster.values():
        api = login(sb, row)
        assert (api.alias, api.location) == (row["alias"], "WA1")


def test_a_second_class_gets_other_passwords(tmp_path):
    with Sandbox(mode="polls", trainees=1, roster=str(tmp_path / "a.csv")):
        first = by_name(read_roster(tmp_path / "a.csv"))
    with Sandbox(mode="polls", trainees=1, roster=str(tmp_path / "b.csv")):
        second = by_name(read_roster(tmp_path / "b.csv"))
    assert first.keys() == second.keys()
    assert all(first[u]["password"] != second[u]["password"] for u in first)


@pytest.mark.parametrize(
    "options, field",
    [
        ({"trainees": -1, "roster": "r.csv"}, "trainees"),
        ({"trainees": 1000, "roster": "r.csv"}, "trainees"),
        ({"trainees": True, "roster": "r.csv"}, "trainees"),
        ({"trainees": "3", "roster": "r.csv"}, "trainees"),
        ({"trainees": 2}, "roster"),
    ],
)
def test_bad_classroom_options_name_the_option(options, field):
    with pytest.raises(ValueError, match=field):
        Sandbox(**options)


def test_a_roster_without_a_class_is_refused_and_an_unwritable_roster_named(tmp_path):
    with pytest.raises(ValueError, match="trainees"):
        Sandbox(roster=str(tmp_path / "r.csv")).start()
    with pytest.raises(ValueError, match="roster"):
        Sandbox(trainees=1, roster=str(tmp_path / "missing-dir" / "r.csv")).start()


# --- one account per trainee ------------------------------------------------------------------------------


def test_each_trainee_has_a_copy_of_the_tutorial_account_with_its_own_ids(room):
    sb, roster, _ = room
    seen_ids: set[str] = set()
    tutorial = Api(sb)
    tutorial_tree = tutorial.group(ROOT)
    for row in [seat(roster, "trainee", n) for n in range(TRAINEES)]:
        api = login(sb, row)
        assert [d for d in api.datacenters()] == tutorial.datacenters()
        caps = api.ok_json("GET", f"/v2/datacenters/{api.alias}/WA1/deploymentCapabilities")
        (network,) = caps["deployableNetworks"]
        assert network["name"] == "My Network" and network["accountID"] == api.alias and network["networkId"] != NETWORK
        assert TEMPLATE in [t["name"] for t in caps["templates"]]
        root = api.root_group("WA1")
        tree = api.group(root)
        assert [(g["name"], g["type"]) for g in walk_groups(tree)] == [
            (g["name"], g["type"]) for g in walk_groups(tutorial_tree)
        ]
        ids = {g["id"] for g in walk_groups(tree)} | {network["networkId"]}
        assert not ids & seen_ids and ROOT not in ids
        seen_ids |= ids
    # the tutorial's account keeps the tutorial's ids
    assert tutorial.root_group("WA1") == ROOT
    assert DEFAULT_GROUP in {g["id"] for g in walk_groups(tutorial_tree)}


def default_group(api: Api) -> str:
    return next(g["id"] for g in walk_groups(api.group(api.root_group("WA1"))) if g["name"] == "Default Group")


def network_of(api: Api) -> str:
    caps = api.ok_json("GET", f"/v2/datacenters/{api.alias}/WA1/deploymentCapabilities")
    return caps["deployableNetworks"][0]["networkId"]


def test_trainees_see_only_their_own_account(room):
    sb, roster, _ = room
    a, b = (login(sb, seat(roster, "trainee", n)) for n in (0, 1))
    a_default, b_default = default_group(a), default_group(b)
    server_a = a.create_server(groupId=a_default, networkId=network_of(a))
    server_b = b.create_server(groupId=b_default, networkId=network_of(b))
    # same request, each in its own account: own name prefix, own network (same first address)
    assert server_a["name"] == f"WA1{a.alias}WEB01" and server_b["name"] == f"WA1{b.alias}WEB01"
    assert server_a["details"]["ipAddresses"][0]["internal"] == "10.20.30.40"
    assert server_b["details"]["ipAddresses"][0]["internal"] == "10.20.30.40"
    # another alias in the path: 403, whatever the route
    for path in (
        f"/v2/servers/{a.alias}/{server_a['id']}",
        f"/v2/groups/{a.alias}/{a_default}",
        f"/v2/datacenters/{a.alias}/WA1",
        f"/v2/accounts/{a.alias}",
    ):
        assert b.get(path).status_code == 403, path
    assert b.post(f"/v2/operations/{a.alias}/servers/reboot", json=[server_a["id"]]).status_code == 403
    # the other account's ids under one's own alias: not found, not usable
    assert b.get(f"/v2/servers/{b.alias}/{server_a['id']}").status_code == 404
    assert b.get(f"/v2/groups/{b.alias}/{a_default}").status_code == 404
    refused = b.post(f"/v2/servers/{b.alias}", json={**_body(b_default), "networkId": network_of(a)})
    assert refused.status_code == 400 and "body.networkId" in refused.json()["modelState"]
    refused = b.post(f"/v2/servers/{b.alias}", json=_body(a_default))
    assert refused.status_code == 400 and "body.groupId" in refused.json()["modelState"]
    (item,) = b.ok_json("POST", f"/v2/operations/{b.alias}/servers/reboot", json=[server_a["id"]])
    assert item["isQueued"] is False
    # a job of A read by B under B's alias: not found
    job = status_id(a.ok_json("POST", f"/v2/operations/{a.alias}/servers/reboot", json=[server_a["id"]])[0])
    assert b.get(f"/v2/operations/{b.alias}/status/{job}").status_code == 404
    # archiving goes to the account's own Archive group
    archived = status_id(b.ok_json("POST", f"/v2/operations/{b.alias}/servers/archive", json=[server_b["id"]])[0])
    assert b.wait_job(archived) == "succeeded"
    b_archive = next(g for g in walk_groups(b.group(b.root_group("WA1"))) if g["type"] == "archive")
    assert b.ok_json("GET", f"/v2/servers/{b.alias}/{server_b['id']}")["groupId"] == b_archive["id"]
    # nothing of the trainees shows in the tutorial's account
    assert Api(sb).all_servers() == []


def test_every_api_route_answers_403_to_another_trainee(room):
    """The whole live route table, with trainee B's token on trainee A's alias and A's real ids."""
    from reliability.support import fill, route_table

    sb, roster, _ = room
    a, b = (login(sb, seat(roster, "trainee", n)) for n in (0, 1))
    server = a.create_server(groupId=default_group(a), networkId=network_of(a))
    values = {"alias": a.alias, "dc": "WA1", "group": default_group(a), "server": server["id"], "op": "reboot"}
    values |= {"job": "wa1-100001", "snapshot": "1", "ip": "10.0.0.1"}
    walked = 0
    for template, methods, _ in route_table(sb):
        if "{alias}" not in template:
            continue
        for method in sorted(methods):
            r = b.request(method, fill(template, values), json=[])  # a well-formed body: no 400 before the 403
            assert r.status_code == 403, (method, template, r.status_code)
            walked += 1
    assert walked > 25
    assert a.ok_json("GET", f"/v2/servers/{a.alias}/{server['id']}")["description"] == server["description"]


def test_networks_and_policies_are_per_account(room):
    """v2-experimental networks: each account lists only its own (seeded and claimed) and has its own VLAN
    pool; seeded policies exist for every account."""
    sb, roster, _ = room
    a, b = (login(sb, seat(roster, "trainee", n)) for n in (0, 1))
    tutorial = Api(sb)
    nets = "/v2-experimental/networks"
    (a_net,) = a.ok_json("GET", f"{nets}/{a.alias}/WA1")
    (b_net,) = b.ok_json("GET", f"{nets}/{b.alias}/WA1")
    assert a_net["id"] == network_of(a) and b_net["id"] == network_of(b) and a_net["id"] != b_net["id"]
    assert a_net["name"] == b_net["name"] == "My Network" and a_net["vlan"] == b_net["vlan"]
    assert [n["id"] for n in tutorial.ok_json("GET", f"{nets}/{ALIAS}/WA1")] == [NETWORK]
    assert b.get(f"{nets}/{b.alias}/WA1/{a_net['id']}").status_code == 404
    claimed = claim_network(a)
    assert claimed["vlan"] == claim_network(b)["vlan"] == 300  # each account its own pool
    assert claimed["id"] not in {n["id"] for n in b.ok_json("GET", f"{nets}/{b.alias}/WA1")}
    assert b.get(f"{nets}/{b.alias}/WA1/{claimed['id']}").status_code == 404
    assert b.post(f"{nets}/{b.alias}/WA1/{claimed['id']}/release").status_code == 404
    for api in (a, b):
        assert len(api.ok_json("GET", f"/v2/autoscalePolicies/{api.alias}")) == 3


PORTS = {"ports": [{"protocol": "TCP", "port": 80}]}


def claimed_ips_of(sb, alias: str) -> list[tuple[str, str]]:
    """The account's rows of `public_ips` and `claimed_ips` as (table, address)."""
    with sb.store.transaction() as db:
        return [
            (table, r[0])
            for table in ("public_ips", "claimed_ips")
            for r in db.execute(
                f"SELECT t.ip FROM {table} t JOIN servers s ON s.id = t.server_id WHERE s.alias=? ORDER BY t.ip",
                (alias,),
            )
        ]


def test_trainees_claim_the_same_private_address_each_on_their_own_network(room):
    """Every trainee's "My Network" is a copy of the tutorial's: a public IP added without
    internalIPAddress claims 10.20.30.41 on each. In time mode the jobs settle at the start of whoever's
    next request, so a clash between two accounts would fail every request of the class."""
    sb, roster, instructor = room
    a, b, c = (login(sb, seat(roster, "trainee", n)) for n in range(3))
    servers = {api.alias: api.create_server(groupId=default_group(api), networkId=network_of(api)) for api in (a, b)}
    assert instructor.put("/sandbox/clock", json={"mode": "time", "speed": 1.0}).status_code == 200
    jobs = {}
    for api in (a, b):
        accepted = api.ok_json(
            "POST", f"/v2/servers/{api.alias}/{servers[api.alias]['id']}/publicIPAddresses", json=PORTS
        )
        jobs[api.alias] = status_id(accepted)
    assert instructor.put("/sandbox/clock", json={"advance": 3600}).status_code == 200  # both jobs are due
    assert c.get(f"/v2/datacenters/{c.alias}").status_code == 200  # settles them (a third trainee's request)
    for api in (a, b):
        assert api.ok_json("GET", f"/v2/operations/{api.alias}/status/{jobs[api.alias]}")["status"] == "succeeded"
        own, mapped = api.ok_json("GET", f"/v2/servers/{api.alias}/{servers[api.alias]['id']}")["details"][
            "ipAddresses"
        ]
        assert (own["internal"], mapped["internal"]) == ("10.20.30.40", "10.20.30.41") and mapped["public"]
        held = api.ok_json(
            "GET",
            f"/v2-experimental/networks/{api.alias}/WA1/{network_of(api)}/ipAddresses",
            params={"type": "claimed"},
        )
        assert {x["address"] for x in held if x["type"] == "private"} == {"10.20.30.40", "10.20.30.41"}
    # one trainee's reset drops that account's public IPs and claimed addresses, not the other's
    b_rows = claimed_ips_of(sb, b.alias)
    assert [t for t, _ in b_rows] == ["public_ips", "claimed_ips"] and claimed_ips_of(sb, a.alias) != []
    assert instructor.post(f"/sandbox/classroom/{a.username}/reset").status_code == 200
    assert claimed_ips_of(sb, a.alias) == [] and claimed_ips_of(sb, b.alias) == b_rows
    with sb.store.transaction() as db:  # nothing left hanging on a server that no longer exists
        for table in ("public_ips", "claimed_ips"):
            orphans = f"SELECT COUNT(*) FROM {table} WHERE server_id NOT IN (SELECT id FROM servers)"
            assert db.execute(orphans).fetchone()[0] == 0, table


def test_a_server_without_a_network_claims_on_its_own_accounts_network(room):
    """The fallback for a server row without network_id (none is built so today; an older row may be):
    the first network of its data center among its own account's, never another account's copy."""
    sb, roster, _ = room
    a = login(sb, seat(roster, "trainee", 1))
    tutorial = Api(sb)
    server = a.create_server(groupId=default_group(a), networkId=network_of(a))
    with sb.store.transaction() as db:
        db.execute("UPDATE servers SET network_id=NULL WHERE id=?", (server["id"],))
    held = "/v2-experimental/networks/{}/WA1/{}/ipAddresses"
    tutorial_before = tutorial.ok_json("GET", held.format(ALIAS, NETWORK), params={"type": "claimed"})
    accepted = a.ok_json("POST", f"/v2/servers/{a.alias}/{server['id']}/publicIPAddresses", json=PORTS)
    assert a.wait(accepted["href"])[-1] == "succeeded"
    mine = a.ok_json("GET", held.format(a.alias, network_of(a)), params={"type": "claimed"})
    assert [(x["address"], x["server"]) for x in mine] == [("10.20.30.41", server["name"])]
    assert tutorial.ok_json("GET", held.format(ALIAS, NETWORK), params={"type": "claimed"}) == tutorial_before


def _body(group_id: str) -> dict:
    return {"name": "web", "groupId": group_id, "sourceServerId": TEMPLATE, "cpu": 1, "memoryGB": 1, "type": "standard"}


# --- the control plane is the instructor's --------------------------------------------------------------


def control_routes(sb) -> list[tuple[str, str]]:
    from reliability.support import starlette_app
    from starlette.routing import Route

    out = []
    for r in starlette_app(sb).routes:
        if isinstance(r, Route) and r.path.startswith("/sandbox/"):
            out += [(m, r.path) for m in sorted(r.methods or ()) if m != "HEAD"]
    return out


def test_the_whole_control_plane_needs_the_instructors_token(room):
    sb, roster, instructor = room
    trainee = login(sb, seat(roster, "trainee"))
    demo = Api(sb)
    routes = control_routes(sb)
    assert {p for _, p in routes} >= {
        "/sandbox/health",
        "/sandbox/reset",
        "/sandbox/faults",
        "/sandbox/clock",
        "/sandbox/expire-tokens",
        "/sandbox/jobs",
        "/sandbox/classroom",
        "/sandbox/classroom/{username}/reset",
    }
    for method, template in routes:
        path = template.replace("{username}", trainee.username)
        assert requests.request(method, sb.url + path, timeout=30).status_code == 401, (method, path)
        for bad in ("Bearer nonsense", "Basic abc"):
            r = requests.request(method, sb.url + path, headers={"Authorization": bad}, timeout=30)
            assert r.status_code == 401, (method, path, bad)
        assert trainee.request(method, path).status_code == 403, (method, path)
        assert demo.request(method, path).status_code == 403, (method, path)
    # the instructor's token opens it (read-only calls here; the others have tests of their own)
    assert instructor.get("/sandbox/health").json()["status"] == "ok"
    assert instructor.get("/sandbox/faults").status_code == 200
    assert instructor.get("/sandbox/clock").json()["mode"] == "polls"
    # the API itself is unchanged for everyone
    assert trainee.get(f"/v2/datacenters/{trainee.alias}").status_code == 200


def test_a_sandbox_without_a_class_has_no_classroom_routes(api):
    assert api.get("/sandbox/classroom").status_code == 404
    assert requests.get(api.url + "/sandbox/health", timeout=30).status_code == 200  # control plane stays open


# --- progress, step by step over plain HTTP ---------------------------------------------------------------


def tutorial_over_http(sb, row: dict, slash: bool = False):
    """The tutorial's requests over plain `requests`, yielding each step's name once it is done; with
    `slash`, every path ends with "/" (as the official Node SDK sends some; production answered alike)."""
    http = requests.Session()

    def url(path: str) -> str:
        base, _, query = path.partition("?")
        return sb.url + base + ("/" if slash else "") + (f"?{query}" if query else "")

    r = http.post(url("/v2/authentication/login"), json={"username": row["username"], "password": row["password"]})
    body = r.json()
    alias, dc = body["accountAlias"], body["locationAlias"]
    http.headers["Authorization"] = f"Bearer {body['bearerToken']}"
    yield "login"
    caps = http.get(url(f"/v2/datacenters/{alias}/{dc}/deploymentCapabilities")).json()
    network = caps["deployableNetworks"][0]["networkId"]
    yield "capabilities"
    datacenter = http.get(url(f"/v2/datacenters/{alias}/{dc}"), params={"groupLinks": "true"}).json()
    root = rels(datacenter)["group"]["id"]
    yield "datacenter"
    tree = http.get(url(f"/v2/groups/{alias}/{root}")).json()
    default = next(g["id"] for g in tree["groups"] if g["name"] == "Default Group")
    yield "groups"
    created = http.post(
        url(f"/v2/servers/{alias}"),
        json={**_body(default), "networkId": network, "description": "My web server"},
    ).json()
    links = rels(created)
    yield "create_server"
    for _ in range(10):  # polls mode: notStarted, executing, succeeded
        if http.get(url(links["status"]["href"])).json()["status"] == "succeeded":
            break
    yield "build_status"
    server = http.get(url(links["self"]["href"])).json()
    yield "server_by_uuid"
    ops = [{"op": "set", "member": "description", "value": "A very important server"}]
    assert http.patch(url(f"/v2/servers/{alias}/{server['id']}"), json=ops).status_code == 204
    yield "update_description"
    queued = http.post(url(f"/v2/operations/{alias}/servers/reboot"), json=[server["id"]]).json()
    for _ in range(10):
        if http.get(url(rels(queued[0])["status"]["href"])).json()["status"] == "succeeded":
            break
    yield "reboot"


@pytest.mark.parametrize("slash", [False, True], ids=["paths", "trailing-slashes"])
def test_each_step_counts_when_the_trainees_own_requests_did_it(room, slash):
    sb, roster, instructor = room
    row = seat(roster, "trainee", 1)
    assert done_steps(instructor, row["username"]) == []
    reached = []
    for step in tutorial_over_http(sb, row, slash):
        reached.append(step)
        assert done_steps(instructor, row["username"]) == reached, step
    me = board(instructor)[row["username"]]
    assert me["finished"] and me["done"] == len(STEPS) and me["current"] is None and not me["stuck"]
    assert all(me["step_times"][step] for step in STEPS) and me["servers"] == 1 and me["last_error"] is None
    # the others did nothing
    others = [t for name, t in board(instructor).items() if name != row["username"]]
    assert all(t["done"] == 0 and t["servers"] == 0 and t["current"] == "login" for t in others)


def test_steps_need_the_tutorials_way_of_doing_them(room):
    """Near misses do not count: a data center read without groupLinks, a non-root group, a server read by
    id, another PATCH member, a reboot queued but not read to its end, the same calls on the demo account."""
    sb, roster, instructor = room
    row = seat(roster, "trainee")
    api = login(sb, row)
    a = api.alias
    default = default_group(api)  # reads WA1 with groupLinks and the root group
    assert done_steps(instructor, row["username"]) == ["login", "datacenter", "groups"]
    # an account reset forgets the progress; the account's ids stay (they are derived from its alias)
    assert instructor.post(f"/sandbox/classroom/{row['username']}/reset").status_code == 200
    assert done_steps(instructor, row["username"]) == []
    assert api.get(f"/v2/datacenters/{a}/WA1").status_code == 200
    assert api.get(f"/v2/datacenters/{a}/WA1", params={"groupLinks": "false"}).status_code == 200
    assert api.get(f"/v2/groups/{a}/{default}").status_code == 200
    created = api.post_server("web", default)
    assert done_steps(instructor, row["username"]) == ["create_server"]
    sid = api.server_by_uuid(created)["id"]
    assert api.get(f"/v2/servers/{a}/{sid}").status_code == 200
    assert done_steps(instructor, row["username"]) == ["create_server", "server_by_uuid"]
    assert api.wait_job(status_id(created)) == "succeeded"
    patch = [{"op": "set", "member": "groupId", "value": default}]
    assert api.patch(f"/v2/servers/{a}/{sid}", json=patch).status_code == 204
    api.ok_json("POST", f"/v2/operations/{a}/servers/reboot", json=[sid])  # queued, never read
    demo = Api(sb)  # the same calls on the demo account count for nobody
    demo.ok_json("GET", f"/v2/datacenters/{ALIAS}/WA1/deploymentCapabilities")
    demo.ok_json("GET", f"/v2/groups/{ALIAS}/{ROOT}")
    assert done_steps(instructor, row["username"]) == ["create_server", "build_status", "server_by_uuid"]


@pytest.mark.parametrize(
    "patch",
    [
        {"op": "set", "member": "description", "value": "mine"},  # one operation alone, accepted as an array of one
        [{"op": "set", "member": "customFields", "value": []}, {"OP": "SET", "Member": "Description", "Value": "mine"}],
    ],
)
def test_any_patch_the_sandbox_accepts_as_setting_the_description_ticks_the_step(room, patch):
    sb, roster, instructor = room
    api = login(sb, seat(roster, "trainee"))
    server = api.create_server(groupId=default_group(api), networkId=network_of(api))
    assert "update_description" not in done_steps(instructor, api.username)
    assert api.patch(f"/v2/servers/{api.alias}/{server['id']}", json=patch).status_code == 204
    assert api.ok_json("GET", f"/v2/servers/{api.alias}/{server['id']}")["description"] == "mine"
    assert "update_description" in done_steps(instructor, api.username)


def step_time(instructor: Api, username: str, step: str) -> str | None:
    return board(instructor)[username]["step_times"][step]


def test_a_reboot_of_two_servers_under_one_status_id_ticks_reboot_once_when_read_to_its_end(room):
    """Production answered a batch with one job for all its servers: the step waits for that job's end
    (not for the answer, nor a status read before the end), and later reads keep the time it was reached."""
    sb, roster, instructor = room
    api = login(sb, seat(roster, "trainee"))
    group, network = default_group(api), network_of(api)
    ids = [api.create_server(name=name, groupId=group, networkId=network)["id"] for name in ("web", "db")]
    items = api.ok_json("POST", f"/v2/operations/{api.alias}/servers/reboot", json=ids)
    assert sorted(i["server"].lower() for i in items) == sorted(ids) and all(i["isQueued"] for i in items)
    (href,) = {rels(i)["status"]["href"] for i in items}  # one status link for both servers
    for expected in ("notStarted", "executing"):
        assert api.ok_json("GET", href)["status"] == expected
        assert "reboot" not in done_steps(instructor, api.username)
    assert api.ok_json("GET", href)["status"] == "succeeded"
    reached = step_time(instructor, api.username, "reboot")
    assert reached is not None
    assert instructor.put("/sandbox/clock", json={"advance": 120}).status_code == 200
    for _ in range(2):  # the same job read again, for either server: the step stays as it was reached
        assert api.ok_json("GET", href)["status"] == "succeeded"
    assert step_time(instructor, api.username, "reboot") == reached
    assert board(instructor)[api.username]["last_error"] is None


def read_to_the_end(api: Api, instructor: Api, href: str, step: str) -> list[str]:
    """Read a job's status until it ends; after each read, `step` is done only once the job succeeded.
    Returns the statuses read."""
    statuses: list[str] = []
    while not statuses or statuses[-1] not in ("succeeded", "failed"):
        statuses.append(api.ok_json("GET", href)["status"])
        assert (step in done_steps(instructor, api.username)) == (statuses[-1] == "succeeded"), (step, statuses)
    return statuses


def test_a_resumed_job_has_not_ended(room):
    """Production's jobs sometimes read `resumed` between two `executing`s (the sandbox's resumed_rate):
    neither build_status nor reboot counts until the job is read to its end, and `resumed` is no error."""
    sb, roster, instructor = room
    api = login(sb, seat(roster, "trainee", 2))
    assert instructor.put("/sandbox/clock", json={"resumed_rate": 1}).status_code == 200  # every job resumes
    resumed = ["notStarted", "executing", "resumed", "executing", "succeeded"]
    accepted = api.post_server("web", default_group(api), networkId=network_of(api))
    assert read_to_the_end(api, instructor, rels(accepted)["status"]["href"], "build_status") == resumed
    server_id = api.server_by_uuid(accepted)["id"]
    (item,) = api.ok_json("POST", f"/v2/operations/{api.alias}/servers/reboot", json=[server_id])
    assert read_to_the_end(api, instructor, rels(item)["status"]["href"], "reboot") == resumed
    me = board(instructor)[api.username]
    assert me["last_error"] is None and not me["stuck"]


def jwt_claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_each_seats_bearer_token_names_its_roster_username_and_alias(room):
    sb, roster, _ = room
    for row in (seat(roster, "instructor"), seat(roster, "trainee"), seat(roster, "trainee", 2)):
        api = login(sb, row)
        claims = jwt_claims(api.token)
        assert claims["unique_name"] == row["username"] == api.username
        assert claims["urn:tier3:account-alias"] == row["alias"] == api.alias
        assert claims["urn:tier3:location-alias"] == "WA1"
    trainees = {jwt_claims(login(sb, seat(roster, "trainee", n)).token)["unique_name"] for n in range(TRAINEES)}
    assert len(trainees) == TRAINEES


def test_the_last_error_shows_and_marks_the_trainee_stuck_until_the_next_step(room):
    sb, roster, instructor = room
    row = seat(roster, "trainee", 2)
    bad = requests.post(
        f"{sb.url}/v2/authentication/login", json={"username": row["username"], "password": "wrong"}, timeout=30
    )
    assert bad.status_code == 400
    me = board(instructor)[row["username"]]
    assert me["stuck"] and me["current"] == "login" and me["last_error"]["status"] == 400
    assert me["last_error"]["request"] == "POST /v2/authentication/login"
    assert "didn't recognize" in me["last_error"]["message"] and "wrong" not in str(me)
    api = login(sb, row)
    assert not board(instructor)[row["username"]]["stuck"]  # a step since the error
    r = api.post(f"/v2/servers/{api.alias}", json={**_body(default_group(api)), "name": "much-too-long"})
    assert r.status_code == 400
    me = board(instructor)[row["username"]]
    assert me["stuck"] and me["current"] == "capabilities"
    assert me["last_error"]["request"] == f"POST /v2/servers/{api.alias}"
    assert "body.name" in me["last_error"]["message"] and me["last_error"]["at"]
    assert me["requests"] >= 5 and me["idle_seconds"] is not None and me["last_seen"]


def test_resetting_one_trainee_leaves_the_others_and_keeps_tokens(room):
    sb, roster, instructor = room
    a, b = (login(sb, seat(roster, "trainee", n)) for n in (0, 1))
    a.create_server(groupId=default_group(a), networkId=network_of(a))
    b.create_server(groupId=default_group(b), networkId=network_of(b))
    r = instructor.post(f"/sandbox/classroom/{a.username}/reset")
    assert r.status_code == 200 and r.json() == {"status": "reset", "username": a.username, "alias": a.alias}
    assert a.all_servers(a.root_group("WA1")) == []  # the old token still works
    assert len(b.all_servers(b.root_group("WA1"))) == 1
    rows = board(instructor)
    assert rows[b.username]["servers"] == 1 and rows[b.username]["done"] > 0
    assert rows[a.username]["servers"] == 0
    # the account starts over as new: the same name and address again
    again = a.create_server(groupId=default_group(a), networkId=network_of(a))
    assert again["name"] == f"WA1{a.alias}WEB01" and again["details"]["ipAddresses"][0]["internal"] == "10.20.30.40"
    assert instructor.post("/sandbox/classroom/nobody/reset").status_code == 404
    assert b.post(f"/sandbox/classroom/{a.username}/reset").status_code == 403


def test_resetting_one_trainee_drops_everything_of_that_account_only(room):
    """Every resource's rows of the account go (load balancers with their pools, firewall policies, claimed
    networks, a renamed seeded network comes back as seeded), nothing of the other accounts, and nothing
    is left hanging."""
    sb, roster, instructor = room
    a, b = (login(sb, seat(roster, "trainee", n)) for n in (0, 1))
    for api in (a, b):
        lb = api.ok_json("POST", f"/v2/sharedLoadBalancers/{api.alias}/WA1", json={"name": "web", "description": "x"})
        api.ok_json("POST", f"/v2/sharedLoadBalancers/{api.alias}/WA1/{lb['id']}/pools", json={"port": 80})
        policy = {"source": ["10.20.0.0/24"], "destination": ["10.20.1.0/24"], "ports": ["tcp/80"]}
        assert api.post(f"/v2-experimental/firewallPolicies/{api.alias}/WA1", json=policy).status_code < 300
        claim_network(api)
        seeded = f"/v2-experimental/networks/{api.alias}/WA1/{network_of(api)}"
        assert api.put(seeded, json={"name": "renamed", "description": "mine"}).status_code == 204
    assert instructor.post(f"/sandbox/classroom/{a.username}/reset").status_code == 200
    (fresh,) = a.ok_json("GET", f"/v2-experimental/networks/{a.alias}/WA1")
    assert (fresh["name"], fresh["description"]) == ("My Network", "vlan_200_10.20.0")
    assert len(b.ok_json("GET", f"/v2-experimental/networks/{b.alias}/WA1")) == 2
    assert a.ok_json("GET", f"/v2/sharedLoadBalancers/{a.alias}/WA1") == []
    assert a.ok_json("GET", f"/v2-experimental/firewallPolicies/{a.alias}/WA1") == []
    (kept,) = b.ok_json("GET", f"/v2/sharedLoadBalancers/{b.alias}/WA1")
    assert len(kept["pools"]) == 1
    assert len(b.ok_json("GET", f"/v2-experimental/firewallPolicies/{b.alias}/WA1")) == 1
    with sb.store.transaction() as db:  # no pool of a load balancer that no longer exists
        for orphans in (
            "SELECT COUNT(*) FROM lb_pools WHERE lb_id NOT IN (SELECT id FROM load_balancers)",
            "SELECT COUNT(*) FROM network_details WHERE id NOT IN (SELECT id FROM networks)",
        ):
            assert db.execute(orphans).fetchone()[0] == 0, orphans


def test_a_whole_reset_keeps_the_class_and_forgets_progress(room):
    sb, roster, instructor = room
    row = seat(roster, "trainee")
    api = login(sb, row)
    api.create_server(groupId=default_group(api), networkId=network_of(api))
    assert instructor.post("/sandbox/reset").status_code == 200
    assert all(t["done"] == 0 and t["servers"] == 0 for t in board(instructor).values())
    again = login(sb, row)  # the roster's passwords still work
    assert again.alias == row["alias"] and again.all_servers(again.root_group("WA1")) == []


# --- the class survives a restart on its state file --------------------------------------------------------


def test_restarting_on_the_state_file_keeps_accounts_passwords_and_progress(tmp_path):
    state, first, second = (str(tmp_path / n) for n in ("class.sqlite", "first.csv", "second.csv"))
    with Sandbox(mode="polls", trainees=2, roster=first, state=state) as sb:
        roster = by_name(read_roster(first))
        assert stat.S_IMODE(os.stat(state).st_mode) == 0o600  # it holds the passwords too
        row = seat(roster, "trainee", 1)
        steps = list(tutorial_over_http(sb, row))
        instructor = login(sb, seat(roster, "instructor"))
        api = login(sb, seat(roster, "trainee"))
        assert api.post(f"/v2/servers/{api.alias}", json={"name": ""}).status_code == 400
        before = board(instructor)
    with Sandbox(mode="polls", trainees=2, roster=second, state=state) as sb:
        assert by_name(read_roster(second)) == roster  # same accounts, same passwords
        instructor = login(sb, seat(roster, "instructor"))
        after = board(instructor)
        assert after[row["username"]]["steps"] == before[row["username"]]["steps"] == dict.fromkeys(steps, True)
        assert after[row["username"]]["servers"] == 1
        assert after[api.username]["last_error"] == before[api.username]["last_error"] is not None
    # without --trainees, a state file holding a class is still a class: the control plane stays closed
    with Sandbox(mode="polls", state=state) as sb:
        assert requests.get(sb.url + "/sandbox/health", timeout=30).status_code == 401
        assert login(sb, row).alias == row["alias"]
    # fewer trainees than the file holds: refused, naming the option; more: added, the others kept
    with pytest.raises(ValueError, match="trainees"):
        Sandbox(mode="polls", trainees=1, roster=second, state=state).start()
    with Sandbox(mode="polls", trainees=3, roster=second, state=state) as sb:
        grown = by_name(read_roster(second))
        assert {u: r for u, r in grown.items() if u in roster} == roster and len(grown) == len(roster) + 1
        assert login(sb, seat(grown, "trainee", 2)).alias == "T003"


def add_public_ip(api: Api, server_id: str) -> list[dict]:
    """Add a public IP without internalIPAddress (polls mode: read to its end); returns the server's
    `details.ipAddresses` afterwards."""
    accepted = api.ok_json("POST", f"/v2/servers/{api.alias}/{server_id}/publicIPAddresses", json=PORTS)
    assert api.wait(accepted["href"])[-1] == "succeeded"
    return api.ok_json("GET", f"/v2/servers/{api.alias}/{server_id}")["details"]["ipAddresses"]


def test_a_state_file_whose_claimed_addresses_were_unique_across_accounts_is_migrated(tmp_path):
    """Before, `claimed_ips` was keyed by the address alone; such a file opens with its rows kept, and
    another trainee can then claim the same address on its own network."""
    state, roster = str(tmp_path / "class.sqlite"), str(tmp_path / "roster.csv")
    with Sandbox(mode="polls", trainees=2, roster=roster, state=state) as sb:
        rows = by_name(read_roster(roster))
        a = login(sb, seat(rows, "trainee"))
        server_a = a.create_server(groupId=default_group(a), networkId=network_of(a))
        before = add_public_ip(a, server_a["id"])
    with sqlite3.connect(state) as db:  # the table as the older sandbox defined it
        db.executescript(
            "CREATE TABLE older (ip TEXT PRIMARY KEY, server_id TEXT NOT NULL, position INTEGER NOT NULL);"
            "INSERT INTO older SELECT ip, server_id, position FROM claimed_ips;"
            "DROP TABLE claimed_ips; ALTER TABLE older RENAME TO claimed_ips;"
        )
    with Sandbox(mode="polls", trainees=2, roster=roster, state=state) as sb:
        a, b = login(sb, seat(rows, "trainee")), login(sb, seat(rows, "trainee", 1))
        assert a.ok_json("GET", f"/v2/servers/{a.alias}/{server_a['id']}")["details"]["ipAddresses"] == before
        server_b = b.create_server(groupId=default_group(b), networkId=network_of(b))
        assert [x["internal"] for x in add_public_ip(b, server_b["id"])] == ["10.20.30.40", "10.20.30.41"]
        with sb.store.transaction() as db:
            kept = db.execute("SELECT network_id, ip FROM claimed_ips ORDER BY position").fetchall()
        assert [tuple(r) for r in kept] == [(network_of(a), "10.20.30.41"), (network_of(b), "10.20.30.41")]


def test_cli_classroom_writes_the_roster_and_never_prints_a_password(tmp_path):
    roster, state = tmp_path / "roster.csv", tmp_path / "class.sqlite"
    args = ["--port", "0", "--mode", "polls", "--trainees", "2", "--roster", str(roster), "--state", str(state)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "clc_notebook.sandbox", *args], stderr=subprocess.PIPE, text=True, cwd=tmp_path
    )
    lines = []
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            if "classroom of" in line:
                break
        url = re.search(r"on (http://127\.0\.0\.1:\d+)", "".join(lines)).group(1)
        rows = by_name(read_roster(roster))
        api = Api(url, seat(rows, "trainee")["username"], seat(rows, "trainee")["password"])
        api.get(f"/v2/datacenters/{api.alias}")
        requests.post(f"{url}/v2/authentication/login", json={"username": api.username, "password": "nope"})
    finally:
        proc.send_signal(signal.SIGTERM)
        rest = proc.communicate(timeout=30)[1]
    output = "".join(lines) + rest
    assert proc.returncode == 0, output
    assert "classroom of 2 trainees" in output and str(roster) in output
    for row in rows.values():
        assert row["password"] not in output
