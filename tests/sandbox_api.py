"""A raw HTTP view of a sandbox for every test directory: plain `requests`, logged in, no client code.

Tests that put the sandbox itself under test talk to it through `Api`, so a bug in the client cannot
hide a bug in the sandbox. Also here, once: the ids of the tutorial's seeded account, the tutorial's
Create Server body, `reset_sandbox` (the one way back to a known state, used by tests/conftest.py),
and small helpers over API answers (links by rel, group trees, job ids).

Importable as `sandbox_api` from any test directory: tests/conftest.py puts tests/ on sys.path
(pytest's rootdir-based conftest import), the same way for tests/sandbox, client, widgets, notebooks
and the `reliability` package.
"""

from __future__ import annotations

import csv
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import requests

from clc_notebook.sandbox import Sandbox
from clc_notebook.sandbox.fixtures import PASSWORD, USERNAME

# --- the tutorial's seeded account (WA1) -----------------------------------------------------------
ALIAS = "ALIAS"
ROOT = "890312348ddfe311b05f00505682315a"
DEFAULT_GROUP = "8a03fcae8ddfe311b05f005056812345"
ARCHIVE_GROUP = "8b03fcae8ddfe311b05f005056812345"
TEMPLATES_GROUP = "8d03fcae8ddfe311b05f005056812345"
NETWORK = "a933432bd1234e84b6c4fa329e48cb8b"
TEMPLATE = "RHEL-6-64-TEMPLATE"
FINAL = ("succeeded", "failed")


def reset_sandbox(sb: Sandbox) -> None:
    """Put a running in-process sandbox back into the known state every test starts from.

    Seeded account (3 data centers, no synthetic servers or groups), no faults (the fault RNG reseeded),
    `polls` mode with one status read per step at speed 1 (no `resumed`). Tokens issued before stay valid (only
    `expire_tokens` revokes them); a clock advanced with `advance` keeps its offset.
    """
    sb.set_faults({})
    sb.set_clock(mode="polls", speed=1.0, polls_per_step=1, resumed_rate="default")
    sb.reset(servers=0, groups=0, datacenters=3)


def call_control(sb: Any, method: str, path: str, json: Any = None) -> Any:
    """Call the sandbox's control plane (`/sandbox/<path>`, no token); returns the parsed answer.

    Asserts the answer is a success (the status and body are in the failure message).
    """
    resp = requests.request(method, f"{sb.url}/sandbox/{path}", json=json, timeout=30)
    assert resp.status_code < 300, (method, path, resp.status_code, resp.text)
    return resp.json() if resp.content else None


def server_body(**overrides: Any) -> dict:
    """A valid Create Server body (the tutorial's), with `overrides` applied (None removes a key)."""
    body = {
        "name": "web",
        "description": "My web server",
        "groupId": DEFAULT_GROUP,
        "sourceServerId": TEMPLATE,
        "isManagedOS": False,
        "networkId": NETWORK,
        "password": "P@ssw0rd1",
        "cpu": 2,
        "memoryGB": 4,
        "type": "standard",
        "storageType": "standard",
    }
    for key, value in overrides.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return body


class Api:
    """A `requests.Session` logged in to one sandbox (as the seeded demo user unless told otherwise).

    `Api(sandbox)` takes an in-process `Sandbox`, anything else with a `url` (a sandbox process), or a
    base URL string; `username`/`password` default to the target's own, else to the demo account's.
    After `login()`: `token`, `alias` and `location` are the login answer's.
    """

    def __init__(self, target: Any, username: str | None = None, password: str | None = None, timeout: float = 30):
        self.url = (target if isinstance(target, str) else target.url).rstrip("/")
        self.username = username or getattr(target, "username", USERNAME)
        self.password = password or getattr(target, "password", PASSWORD)
        self.timeout = timeout
        self.http = requests.Session()
        self.token = self.alias = self.location = ""
        self.login()

    def login(self) -> str:
        """Log in again; remember and return the new token (asserts the login succeeded)."""
        r = self.http.post(
            f"{self.url}/v2/authentication/login",
            json={"username": self.username, "password": self.password},
            timeout=self.timeout,
        )
        assert r.status_code == 200, (r.status_code, r.text)
        body = r.json()
        self.token, self.alias, self.location = body["bearerToken"], body["accountAlias"], body["locationAlias"]
        return self.token

    # --- raw requests -------------------------------------------------------------------------------

    def request(self, method: str, path: str, *, token: str | bool | None = True, **kw: Any) -> requests.Response:
        """One request to `url + path`; returns the response whatever its status.

        `token=True` sends our bearer token, a string sends that one, None/False sends none; an
        `Authorization` header passed in `headers` wins over both.
        """
        headers = dict(kw.pop("headers", None) or {})
        if token:
            headers.setdefault("Authorization", f"Bearer {self.token if token is True else token}")
        kw.setdefault("timeout", self.timeout)
        return self.http.request(method, self.url + path, headers=headers, **kw)

    def get(self, path: str, **kw: Any) -> requests.Response:
        return self.request("GET", path, **kw)

    def post(self, path: str, **kw: Any) -> requests.Response:
        return self.request("POST", path, **kw)

    def patch(self, path: str, **kw: Any) -> requests.Response:
        return self.request("PATCH", path, **kw)

    def put(self, path: str, **kw: Any) -> requests.Response:
        return self.request("PUT", path, **kw)

    def delete(self, path: str, **kw: Any) -> requests.Response:
        return self.request("DELETE", path, **kw)

    def ok_json(self, method: str, path: str, **kw: Any) -> Any:
        """The parsed body of a request that must succeed (asserts a 2xx answer)."""
        r = self.request(method, path, **kw)
        assert r.status_code < 300, (method, path, r.status_code, r.text[:500])
        return r.json() if r.content else None

    # --- jobs ---------------------------------------------------------------------------------------

    def wait(self, status_href: str, limit: int = 50, pause: float = 0.0) -> list[str]:
        """Read a status link until the job ends (`pause` s between reads); returns every status seen.

        In polls mode each read moves the job one step, so no pause is needed; asserts it ended
        within `limit` reads.
        """
        seen: list[str] = []
        for _ in range(limit):
            r = self.get(status_href)
            assert r.status_code == 200, r.text
            seen.append(r.json()["status"])
            if seen[-1] in FINAL:
                return seen
            time.sleep(pause)
        raise AssertionError(f"job did not finish after {limit} reads: {seen[-5:]}")

    def wait_job(self, job_id: str, limit: int = 400) -> str:
        """Read job `job_id`'s status until it is final; returns that final status."""
        return self.wait(f"/v2/operations/{self.alias}/status/{job_id}", limit, pause=0.005)[-1]

    # --- servers ------------------------------------------------------------------------------------

    def create_server(self, wait: bool = True, **overrides: Any) -> dict:
        """Create a server from the tutorial body + `overrides` (see `server_body`); by default wait
        for the build. Returns the Get Server body (read after the build when waiting)."""
        r = self.post(f"/v2/servers/{self.alias}", json=server_body(**overrides))
        assert r.status_code == 202, r.text
        links = rels(r.json())
        if wait:
            assert self.wait(links["status"]["href"])[-1] == "succeeded"
        got = self.get(links["self"]["href"])
        assert got.status_code == 200
        return got.json()

    def post_server(self, name: str, group_id: str, **fields: Any) -> dict:
        """Send a minimal Create Server request (1 CPU, 1 GB, the RHEL template) plus `fields`, without
        waiting; returns the accepted answer (its links name the server and the build job)."""
        body = {
            "name": name,
            "groupId": group_id,
            "sourceServerId": TEMPLATE,
            "cpu": 1,
            "memoryGB": 1,
            "type": "standard",
            "storageType": "standard",
            **fields,
        }
        return self.ok_json("POST", f"/v2/servers/{self.alias}", json=body)

    def server_by_uuid(self, accepted: dict) -> dict:
        """The Get Server body of the server an accepted Create Server answer names."""
        return self.ok_json("GET", next(link["href"] for link in accepted["links"] if link["rel"] == "self"))

    # --- the account's groups -----------------------------------------------------------------------

    def datacenters(self) -> list[str]:
        """Upper-case ids of the account's data centers."""
        return [d["id"].upper() for d in self.ok_json("GET", f"/v2/datacenters/{self.alias}")]

    def root_group(self, dc: str) -> str:
        """The id of data center `dc`'s root (hardware) group."""
        body = self.ok_json("GET", f"/v2/datacenters/{self.alias}/{dc}", params={"groupLinks": "true"})
        return next(link["id"] for link in body["links"] if link["rel"] == "group")

    def group(self, group_id: str = ROOT, detailed: bool = False) -> dict:
        """Get Group (its subtree); `detailed` embeds each server's full body. Asserts a 200 answer."""
        r = self.get(f"/v2/groups/{self.alias}/{group_id}", params={"serverDetail": "detailed"} if detailed else None)
        assert r.status_code == 200, (group_id, r.status_code, r.text[:500])
        return r.json()

    def snapshot(self, roots: list[str]) -> list:
        """The account's visible state: each root's detailed group tree (servers embedded), then the
        load balancers, firewall policies and networks of each of those data centers, then the
        account's anti-affinity and alert policies."""
        trees = [self.group(g, detailed=True) for g in roots]
        return trees + [self.network_services(tree["locationId"]) for tree in trees] + [self.policies()]

    def policies(self) -> dict:
        """The account's anti-affinity and alert policies."""
        return {
            "antiAffinity": self.ok_json("GET", f"/v2/antiAffinityPolicies/{self.alias}"),
            "alert": self.ok_json("GET", f"/v2/alertPolicies/{self.alias}"),
        }

    def network_services(self, dc: str) -> dict:
        """A data center's load balancers and firewall policies (without the policies' provisioning
        status, which reading them moves along)."""
        a = self.alias
        policies = self.ok_json("GET", f"/v2-experimental/firewallPolicies/{a}/{dc}")
        cross = self.ok_json("GET", f"/v2-experimental/crossDcFirewallPolicies/{a}/{dc}")
        return {
            "loadBalancers": self.ok_json("GET", f"/v2/sharedLoadBalancers/{a}/{dc}"),
            "firewallPolicies": [{k: v for k, v in p.items() if k != "status"} for p in policies + cross],
            "networks": self.ok_json("GET", f"/v2-experimental/networks/{a}/{dc}"),
        }

    def network_service_ids(self, dc: str = "WA1") -> dict[str, str]:
        """Create one load balancer with one pool, one firewall policy and one cross-data-center policy
        in `dc`; their ids under the route table's path parameter names."""
        a = self.alias
        lb = self.ok_json("POST", f"/v2/sharedLoadBalancers/{a}/{dc}", json={"name": "lb", "description": "walk"})
        pool = self.ok_json("POST", f"/v2/sharedLoadBalancers/{a}/{dc}/{lb['id']}/pools", json={"port": 80})
        nets = {"source": ["10.0.0.0/24"], "destination": ["10.0.1.0/24"]}
        policy = self.ok_json("POST", f"/v2-experimental/firewallPolicies/{a}/{dc}", json=nets)
        other = next(d for d in self.datacenters() if d != dc.upper())
        cross = self.ok_json(
            "POST",
            f"/v2-experimental/crossDcFirewallPolicies/{a}/{dc}",
            json={
                "destinationAccountId": a,
                "destinationLocationId": other,
                "destinationCidr": "10.1.0.0/24",
                "sourceCidr": "10.0.0.0/24",
                "enabled": True,
            },
        )
        return {
            "loadBalancer": lb["id"],
            "pool": pool["id"],
            "firewallPolicy": policy["links"][0]["href"].rsplit("/", 1)[1],
            "crossDcFirewallPolicy": cross["id"],
        }

    def all_servers(self, root: str = ROOT) -> list[dict]:
        """Every server under `root` (by default WA1's), detailed, depth first."""
        return servers_in([self.group(root, detailed=True)])

    # --- names kept for tests written before the two Api classes were merged ---------------------
    # (tests/reliability/support.py had call/a/tree); new tests use request/alias/group.

    def call(self, method: str, path: str, **kw: Any) -> requests.Response:
        return self.request(method, path, **kw)

    @property
    def a(self) -> str:
        return self.alias

    def tree(self, group_id: str, detailed: bool = True) -> dict:
        return self.group(group_id, detailed=detailed)


# --- helpers over API answers -----------------------------------------------------------------------


def rels(obj: dict) -> dict:
    """Links of an entity keyed by rel (the last one wins for repeated rels)."""
    return {link["rel"]: link for link in obj.get("links", [])}


def status_id(accepted: dict) -> str:
    """The job id in a Create/Delete-server answer (shape B) or a bare status link (shape A)."""
    if accepted.get("rel") == "status":
        return accepted["id"]
    return next(link["id"] for link in accepted["links"] if link["rel"] == "status")


def walk_groups(tree: dict) -> Iterator[dict]:
    """Every group of a tree, depth first, the root included."""
    yield tree
    for child in tree.get("groups", []):
        yield from walk_groups(child)


def servers_in(trees: list[dict]) -> list[dict]:
    """Every server embedded in group trees (e.g. an `Api.snapshot`), depth first."""
    return [s for tree in trees for g in walk_groups(tree) for s in g.get("servers", [])]


# --- v2-experimental networks -------------------------------------------------------------------------


def claim_network(api: Api, dc: str = "WA1") -> dict:
    """Claim a network in `dc` and wait for the operation; returns the new network (Get Network's body)."""
    accepted = api.ok_json("POST", f"/v2-experimental/networks/{api.alias}/{dc}/claim")
    assert api.wait(accepted["uri"])[-1] == "succeeded"
    done = api.ok_json("GET", accepted["uri"])
    href = next(link["href"] for link in done["summary"]["links"] if link["rel"] == "network")
    return api.ok_json("GET", href)


# --- a classroom sandbox ------------------------------------------------------------------------------


def read_roster(path: str | Path) -> list[dict]:
    """The rows of a classroom roster CSV (role, username, password, alias), in file order."""
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


class Classroom:
    """A classroom sandbox (`Sandbox(trainees=N, roster=...)`) and its roster, over raw HTTP."""

    def __init__(self, sb: Any) -> None:
        self.sb = sb
        self.url = sb.url
        self.seats = read_roster(sb.roster)
        self.instructor = next(row for row in self.seats if row["role"] == "instructor")
        self.trainees = [row for row in self.seats if row["role"] == "trainee"]

    def api(self, row: dict) -> Api:
        """An `Api` logged in as one seat of the roster."""
        return Api(self.sb, row["username"], row["password"])

    def control(self) -> Api:
        """The instructor's `Api` (the control plane of a classroom needs the instructor's token)."""
        return self.api(self.instructor)

    def reset(self) -> None:
        """Every account seeded again, progress forgotten, no faults, polls mode (the instructor's calls)."""
        api = self.control()
        for method, path, body in (
            ("PUT", "/sandbox/faults", {}),
            ("PUT", "/sandbox/clock", {"mode": "polls", "speed": 1.0, "polls_per_step": 1}),
            ("POST", "/sandbox/reset", None),
        ):
            r = api.request(method, path, json=body)
            assert r.status_code == 200, (path, r.status_code, r.text)

    def board(self) -> dict[str, dict]:
        """GET /sandbox/classroom's trainees by username."""
        return {t["username"]: t for t in self.control().ok_json("GET", "/sandbox/classroom")["trainees"]}

    def steps_done(self, username: str) -> list[str]:
        return [step for step, done in self.board()[username]["steps"].items() if done]
