"""The sandbox side of a replay: recorded identifiers mapped onto sandbox ones, and the set-up that
creates, on a fresh sandbox, what a scenario found already existing in the recorded account.

A placeholder (`{server#2}`) is bound to a sandbox value in one of two ways:

- *learnt*: the recorded answer that introduced it has a bind at some place (`links[rel=status].id`);
  the sandbox's answer holds the sandbox's identifier at the same place;
- *provisioned*: the scenario used it before any answer introduced it (the recorded account had it),
  so it is created (servers, groups, public IPs, snapshots) or looked up (data centers, their root and
  system groups, networks, custom fields) from the recorded facts about it, through the public API.

Set-up runs with the sandbox clock in `time` mode at a very high speed, so every job it starts is done
by the next request whatever the machine's speed; the replay itself runs in `polls` mode.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import requests

from clc_notebook.sandbox import Sandbox

from .corpus import Scenario

JOB_HREF = re.compile(r"(?:https?://[^/\"]+)?(/v2(?:-experimental)?/operations/[^/\"]+/status/([A-Za-z0-9-]+))")
PLACEHOLDER = re.compile(r"\{([A-Za-z]+)(#\d+)?\}")
REPLAY_PASSWORD = "Replay-pass-2015"  # valid for the sandbox's password rule
DUMMY_ID = "00000000000000000000000000000000"
ABSENT_SERVER = "wa1aliasnone99"  # a server id of the right form that no sandbox server has
SETUP_SPEED = 1_000_000.0  # time mode speed during set-up: a 5 s build takes 5 microseconds
PROVISIONED_KINDS = {
    "dc",
    "group",
    "server",
    "uuid",
    "ip",
    "snapshot",
    "network",
    "customField",
    "loadBalancer",
    "pool",
    "antiAffinityPolicy",
    "alertPolicy",
    "autoscalePolicy",
    "firewallPolicy",
}
# found (or, for a network the scenario renames or releases, claimed) when first used, never made up front
LOOKUP_KINDS = {"dc", "uuid", "ip", "snapshot", "network", "customField", "autoscalePolicy"}


class SetupError(Exception):
    """Set-up could not create or find what a placeholder stands for."""


class SandboxApi:
    """A logged-in `requests.Session` on the sandbox (plain HTTP over the loopback socket)."""

    def __init__(self, sandbox: Sandbox):
        self.sb = sandbox
        self.url = sandbox.url
        self.http = requests.Session()
        self.http.trust_env = False  # loopback only: no proxy or netrc look-ups (they cost a ms a request)
        r = self.http.post(
            f"{self.url}/v2/authentication/login", json={"username": sandbox.username, "password": sandbox.password}
        )
        r.raise_for_status()
        self.http.headers["Authorization"] = "Bearer " + r.json()["bearerToken"]
        self.alias = r.json()["accountAlias"]

    def send(self, method: str, path: str, params: dict | None = None, json: Any = None, **kw: Any):
        """One request as the replay sends it: no redirect followed, the raw response returned."""
        kw.setdefault("allow_redirects", False)
        return self.http.request(method, self.url + path, params=params, json=json, timeout=30, **kw)

    def call(self, method: str, path: str, json: Any = None, params: dict | None = None) -> Any:
        """A set-up request that must succeed; returns the JSON answer (None for no body)."""
        r = self.send(method, path, params=params, json=json)
        if r.status_code >= 300:
            raise SetupError(f"{method} {path} answered {r.status_code}: {r.text[:200]}")
        return r.json() if r.content else None


@dataclass
class World:
    """Placeholder -> sandbox value for one scenario, and the set-up that fills it."""

    api: SandboxApi
    scenario: Scenario
    existing: set[str] = field(default_factory=set)  # placeholder names the recorded account already had
    absent: set[str] = field(default_factory=set)  # placeholder names production answered 404 for
    created: set[str] = field(default_factory=set)  # placeholder names the scenario's own requests created
    values: dict[str, str] = field(default_factory=dict)  # "server#2" -> "wa1aliassrv01"
    failed: dict[str, str] = field(default_factory=dict)  # placeholder -> why set-up could not make it
    options: dict[str, list[str]] = field(default_factory=dict)  # custom field placeholder -> option keys
    finished: set[str] = field(default_factory=set)  # sandbox jobs read until final
    jobs: dict[str, str] = field(default_factory=dict)  # every sandbox job an answer linked to -> its status path
    # Lookups of the seeded account (data centers, root and system groups, capabilities, custom
    # fields). A reset re-seeds the same account with the same ids, so the replayer shares this
    # cache between the scenarios it runs.
    cache: dict[tuple[str, str], Any] = field(default_factory=dict)

    # --- names ---------------------------------------------------------------------------------

    @staticmethod
    def key(placeholder: str) -> str:
        """`{SERVER#2}` -> `server#2` (the case of a placeholder is the case to write the value in)."""
        name = placeholder.strip("{}")
        kind, _, number = name.partition("#")
        return _kind(kind) + "#" + number

    def facts(self, name: str) -> dict[str, Any]:
        return self.scenario.entities.get("{" + name + "}", {})

    def value(self, placeholder: str) -> str | None:
        """The sandbox value of a placeholder written in the placeholder's case, or None if unbound."""
        v = self.values.get(self.key(placeholder))
        if v is None:
            return None
        inner = placeholder.strip("{}").split("#")[0]
        return v.upper() if inner.isupper() else v

    def bind(self, placeholder: str, value: str) -> str | None:
        """Bind a placeholder; returns the value it was already bound to when that differs, else None."""
        k = self.key(placeholder)
        old = self.values.get(k)
        if old is None:
            self.values[k] = value.lower()
            return None
        return None if old.lower() == value.lower() else old

    def reverse(self, value: str) -> str | None:
        """The placeholder name bound to a sandbox value, if any."""
        for k, v in self.values.items():
            if v.lower() == value.lower():
                return k
        return None

    # --- rendering a recorded request -------------------------------------------------------------

    def render_path(self, path: str, unresolved: list[str]) -> str:
        """The recorded path with the sandbox's values in place of the placeholders."""
        return PLACEHOLDER.sub(lambda m: self._resolve(m.group(0), unresolved), path)

    def render(self, value: Any, unresolved: list[str]) -> Any:
        """A recorded body or query with sandbox values, passwords and names filled in."""
        if isinstance(value, dict):
            if set(value) == {"id", "value"} and str(value["id"]).lower().startswith("{customfield#"):
                return self.render_custom_field(value, unresolved)
            return {k: self.render(v, unresolved) for k, v in value.items()}
        if isinstance(value, list):
            return [self.render(v, unresolved) for v in value]
        if not isinstance(value, str):
            return value
        if value == "<password>":
            # every server the replay builds has this password, so a clone's sourceServerPassword fits too
            return REPLAY_PASSWORD
        if value == "<username>":
            return self.api.sb.username
        if value == "<email>":
            return "replay@example.com"
        if PLACEHOLDER.fullmatch(value):
            return self._resolve(value, unresolved)
        return value

    def render_custom_field(self, item: dict, unresolved: list[str]) -> dict:
        """`{id, value}` of a custom field: an option field takes one of the sandbox field's options."""
        out = {"id": self.render(item["id"], unresolved), "value": self.render(item["value"], unresolved)}
        options = self.options.get(self.key(str(item.get("id", ""))))
        if options and "value" in out and str(out["value"]) not in options:
            out["value"] = options[0]
        return out

    def _resolve(self, placeholder: str, unresolved: list[str]) -> str:
        inner = placeholder.strip("{}")
        if "#" not in inner:  # {alias} / {ALIAS}
            return self.api.alias.upper() if inner.isupper() else self.api.alias.lower()
        name = self.key(placeholder)
        if name in self.absent and name not in self.values:
            return ABSENT_SERVER if name.startswith("server#") else DUMMY_ID
        lookup = name.split("#")[0] in LOOKUP_KINDS
        if name not in self.values and name not in self.failed and (name in self.existing or lookup):
            self._provision_one(name)
        v = self.value(placeholder)
        if v is None:
            unresolved.append(name)
            return DUMMY_ID
        return v

    # --- set-up ------------------------------------------------------------------------------------

    def provision(self, existing: list[str]) -> None:
        """Create or find everything in `existing` (placeholder names), dependencies first; servers
        the recording saw under construction last, in polls mode, where an unread build stays so."""
        building = [n for n in existing if self._building(n)]
        self.api.sb.set_clock(mode="time", speed=SETUP_SPEED)
        try:
            for name in existing:
                if name not in building and name not in self.values and name not in self.failed:
                    self._provision_one(name)
        finally:
            self.api.sb.set_clock(mode="polls", speed=1.0, polls_per_step=1)
        for name in building:
            if name not in self.values and name not in self.failed:
                self._provision_one(name)
        for name in existing:  # a delete production had under way: queued, never read, so it stays so
            if name in self.values and self._status(name) == "queuedForDelete":
                sid = self.values[name]
                self.note_jobs(json.dumps(self.api.call("DELETE", f"/v2/servers/{self.api.alias}/{sid}")))

    def _status(self, name: str) -> str | None:
        return self.facts(name).get("status") if name.startswith("server#") else None

    def _building(self, name: str) -> bool:
        return self._status(name) == "underConstruction"

    def _provision_one(self, name: str) -> None:
        kind = name.split("#")[0]
        if kind not in PROVISIONED_KINDS:
            self.failed[name] = f"the sandbox harness cannot create a {kind}"
            return
        if name in self.created and name not in self.existing:
            self.failed[name] = "created by a request of the scenario whose answer did not introduce it here"
            return
        # creating things needs the fast clock; a lookup in the middle of a replay must not touch it
        switch = kind not in LOOKUP_KINDS and not self._building(name) and self.api.sb.set_clock()["mode"] != "time"
        if switch:
            self.api.sb.set_clock(mode="time", speed=SETUP_SPEED)
        try:
            value = getattr(self, "_make_" + kind)(name, self.facts(name))
            self.values[name] = value.lower()
        except SetupError as e:
            self.failed[name] = str(e)
        finally:
            if switch:
                self.api.sb.set_clock(mode="polls", speed=1.0, polls_per_step=1)

    def _need(self, placeholder: str | None, what: str) -> str:
        """The sandbox value of a placeholder a fact refers to, set up if need be."""
        if not placeholder:
            raise SetupError(f"the recordings do not say which {what}")
        name = self.key(placeholder)
        if name not in self.values and name not in self.failed:
            self._provision_one(name)
        if name not in self.values:
            raise SetupError(f"{what} {placeholder}: {self.failed.get(name)}")
        return self.values[name]

    def note_jobs(self, text: str) -> None:
        """Remember the sandbox jobs an answer links to (status links)."""
        for path, job in JOB_HREF.findall(text):
            self.jobs.setdefault(job.lower(), path)

    def pending_jobs(self) -> list[str]:
        return [j for j in self.jobs if j not in self.finished]

    def _make_dc(self, name: str, facts: dict) -> str:
        if ("dcs", "") not in self.cache:
            found = self.api.call("GET", f"/v2/datacenters/{self.api.alias}")
            self.cache["dcs", ""] = [d["id"].lower() for d in found]
        dcs = self.cache["dcs", ""]
        wanted = str(facts.get("id", "")).lower()
        taken = {v for k, v in self.values.items() if k.startswith("dc#")}
        if wanted in dcs and wanted not in taken:
            return wanted
        # prefer a data center the scenario does not name, so that one stays free for its own
        free = [d for d in dcs if d not in taken and d not in self._recorded_dcs()]
        free += [d for d in dcs if d not in taken and d not in free]
        if not free:
            raise SetupError(f"no free sandbox data center for {wanted}")
        return free[0]

    def _recorded_dcs(self) -> set[str]:
        return {str(f.get("id", "")).lower() for k, f in self.scenario.entities.items() if k.startswith("{dc#")}

    def _root_group(self, dc: str) -> dict:
        """The root group of a data center with its system groups (looked up once)."""
        if ("root", dc) not in self.cache:
            info = self.api.call("GET", f"/v2/datacenters/{self.api.alias}/{dc}", params={"groupLinks": "true"})
            root = next((x for x in info["links"] if x["rel"] == "group"), None)
            if root is None:
                raise SetupError(f"data center {dc} has no root group link")
            self.cache["root", dc] = self.api.call("GET", f"/v2/groups/{self.api.alias}/{root['id']}")
        return self.cache["root", dc]

    def _capabilities(self, dc: str) -> dict:
        if ("caps", dc) not in self.cache:
            path = f"/v2/datacenters/{self.api.alias}/{dc}/deploymentCapabilities"
            self.cache["caps", dc] = self.api.call("GET", path)
        return self.cache["caps", dc]

    def _dc_of(self, facts: dict) -> str:
        """The sandbox data center of an entity: its own, else the scenario's first, else the home one."""
        if facts.get("dc"):
            return self._need(facts["dc"], "data center")
        first = next((k for k in self.scenario.entities if k.startswith("{dc#")), None)
        return self._need(first, "data center") if first else self.api.sb.location.lower()

    def _system_group(self, dc: str, kind: str) -> str:
        """The id of a data center's root group (`root`) or of its Archive/Templates/Default Group."""
        root = self._root_group(dc)
        if kind == "root":
            return root["id"]
        for g in root["groups"]:
            if g["type"] == kind or g["name"] == kind:
                return g["id"]
        raise SetupError(f"data center {dc} has no {kind} group")

    def _make_group(self, name: str, facts: dict) -> str:
        dc = self._dc_of(facts)
        if facts.get("role") == "root":
            return self._system_group(dc, "root")
        parent_facts = self.facts(self.key(facts["parent"])) if facts.get("parent") else {}
        if parent_facts.get("role") == "root" or not facts.get("parent"):
            if facts.get("type") in ("archive", "templates"):
                return self._system_group(dc, facts["type"])
            if facts.get("name") == "Default Group":
                return self._system_group(dc, "Default Group")
        parent = self._need(facts["parent"], "parent group") if facts.get("parent") else self._system_group(dc, "root")
        body = {"name": str(facts.get("name") or "Replayed group")[:50], "parentGroupId": parent}
        if facts.get("described"):
            body["description"] = "Replayed group"
        return self.api.call("POST", f"/v2/groups/{self.api.alias}", json=body)["id"]

    def _template_for(self, dc: str, os_code: str | None) -> str:
        templates = self._capabilities(dc).get("templates", [])
        for t in templates:
            if os_code and t.get("osType", "").lower() == os_code.lower():
                return t["name"]
        linux = [t for t in templates if "WIN" not in t["name"]]
        if not (linux or templates):
            raise SetupError(f"data center {dc} has no templates")
        return (linux or templates)[0]["name"]

    def sandbox_template(self, body: dict) -> str | None:
        """The sandbox template standing in for the recorded one of a server create body (sandbox
        group id filled in), if its data center lacks that one (see `stand_in_template`); None when the
        body names a template the sandbox has. The caller knows the recorded body named a template, not
        a server to clone."""
        wanted = body.get("sourceServerId")
        if not isinstance(wanted, str) or not isinstance(body.get("groupId"), str):
            return None
        try:
            dc = self.api.call("GET", f"/v2/groups/{self.api.alias}/{body['groupId']}")["locationId"].lower()
        except SetupError:
            return None
        return stand_in_template(wanted, self._capabilities(dc).get("templates", []), body)

    def _make_server(self, name: str, facts: dict) -> str:
        if facts.get("isTemplate"):
            raise SetupError("the recorded server is a template (the sandbox lists templates, not template servers)")
        dc = self._dc_of(facts)
        group_facts = self.facts(self.key(facts["group"])) if facts.get("group") else {}
        if group_facts.get("type") == "archive" or not facts.get("group"):
            group = self._system_group(dc, "Default Group")  # archived below, as production did
        else:
            group = self._need(facts.get("group"), "group")
        body: dict[str, Any] = {
            "name": "rec",
            "groupId": group,
            "sourceServerId": self._template_for(dc, facts.get("os")),
            "cpu": max(1, int(facts.get("cpu") or 1)),
            "memoryGB": max(1, int((facts.get("memoryMB") or 1024) // 1024)),
            "type": "hyperscale" if facts.get("type") == "hyperscale" else "standard",
            "storageType": facts.get("storageType") or "standard",
            "password": REPLAY_PASSWORD,
        }
        if facts.get("managedOS"):
            body["isManagedOS"] = True
        building = self._building(name)  # created in polls mode, its build never read: stays so
        created = self.api.call("POST", f"/v2/servers/{self.api.alias}", json=body)
        if building:  # production finished it in its own time: a later read may finish it here too
            self.note_jobs(json.dumps(created))
        uuid = next(x["id"] for x in created["links"] if x["rel"] == "self")
        server = self.api.call("GET", f"/v2/servers/{self.api.alias}/{uuid}", params={"uuid": "True"})
        sid = server["id"]
        if not building:
            self._bring_to_state(sid, facts)
        for uuid_name, uuid_facts in self.scenario.entities.items():
            if uuid_facts.get("server") == "{" + name + "}" and uuid_name.startswith("{uuid#"):
                self.values.setdefault(self.key(uuid_name), uuid.lower())
        return sid

    def _operation(self, op: str, body: Any) -> None:
        items = self.api.call("POST", f"/v2/operations/{self.api.alias}/servers/{op}", json=body)
        refused = [x for x in items if not x.get("isQueued")]
        if refused:
            raise SetupError(f"{op} refused: {refused[0].get('errorMessage')}")

    def _bring_to_state(self, sid: str, facts: dict) -> None:
        # No waiting: every request first settles the jobs whose (very short) time is up.
        self._disks(sid, facts.get("disks") or [])
        self._public_ips(sid, int(facts.get("publicIPs") or 0), int(facts.get("claimedIPs") or 0))
        self._policies(sid, facts)
        for ref in facts.get("secondaryNetworks") or []:
            network = self._need(ref, "secondary network")
            accepted = self.api.call(
                "POST", f"/v2/servers/{self.api.alias}/{sid}/networks", json={"networkId": network}
            )
            self._finish_operation(accepted)
        if facts.get("snapshots"):
            self._operation("createSnapshot", {"snapshotExpirationDays": 5, "serverIds": [sid]})
        if facts.get("maintenance"):
            self._operation("startMaintenance", [sid])
        power = facts.get("powerState")
        if facts.get("status") == "archived":  # what a restore brings back
            power = facts.get("powerBeforeArchive") or "started"
        if power == "stopped":
            self._operation("powerOff", [sid])
        elif power == "paused":
            self._operation("pause", [sid])
        if facts.get("status") == "archived":
            self._operation("archive", [sid])

    def _disks(self, sid: str, wanted: list[list[Any]]) -> None:
        """Give a server the disks the recorded one had (ids and sizes): the template's, grown where
        the recorded ones were bigger, and extra ones; units the recorded server no longer had are
        added and removed again, as disk units are never reused."""
        path = f"/v2/servers/{self.api.alias}/{sid}"
        have = {d["id"]: d["sizeGB"] for d in self.api.call("GET", path)["details"]["disks"]}
        want = {str(i): int(size) for i, size in wanted if i and size}
        if not want or want == have:
            return
        top = max(int(i.split(":")[1]) for i in want)
        units = [f"0:{u}" for u in range(1 + max(int(i.split(":")[1]) for i in have), top + 1) if u != 7]
        disks = [{"diskId": i, "sizeGB": max(size, want.get(i, size))} for i, size in have.items() if i in want]
        grown = [*disks, *({"sizeGB": want.get(u, 1), "type": "raw"} for u in units)]
        self.api.call("PATCH", path, json=[{"op": "set", "member": "disks", "value": grown}])
        if set(units) - set(want):  # units the recorded server had lost: remove them again
            kept = [{"diskId": i, "sizeGB": size} for i, size in want.items()]
            self.api.call("PATCH", path, json=[{"op": "set", "member": "disks", "value": kept}])

    def _policies(self, sid: str, facts: dict) -> None:
        """The policies the recorded server followed (through its policy links)."""
        base = f"/v2/servers/{self.api.alias}/{sid}"
        if facts.get("antiAffinityPolicy"):
            policy = self._need(facts["antiAffinityPolicy"], "anti-affinity policy")
            self.api.call("PUT", f"{base}/antiAffinityPolicy", json={"id": policy})
        if facts.get("autoscalePolicy"):
            policy = self._need(facts["autoscalePolicy"], "autoscale policy")
            self.api.call("PUT", f"{base}/cpuAutoscalePolicy", json={"id": policy})
        for ref in facts.get("alertPolicies") or []:
            self.api.call("POST", f"{base}/alertPolicies", json={"id": self._need(ref, "alert policy")})

    def _public_ips(self, sid: str, publics: int, claimed: int) -> None:
        """Give a server `publics` public IPs and `claimed` private addresses besides its own, as the
        recorded one had: a public IP added without `internalIPAddress` claims a new private address
        (which stays when the public IP goes); the rest map onto the server's own address."""
        base = f"/v2/servers/{self.api.alias}/{sid}/publicIPAddresses"
        ports = {"ports": [{"protocol": "TCP", "port": 80}]}
        bare = max(0, claimed - publics)  # claimed addresses without a public IP any more
        for _ in range(bare):
            self.api.call("POST", base, json=ports)
        if bare:
            for ip in self._addresses(sid, "public"):
                self.api.call("DELETE", f"{base}/{ip}")
        own = self._addresses(sid, "internal")[0] if publics > claimed else None
        for i in range(publics):
            self.api.call("POST", base, json=ports if i < claimed else {**ports, "internalIPAddress": own})

    def _addresses(self, sid: str, key: str) -> list[str]:
        server = self.api.call("GET", f"/v2/servers/{self.api.alias}/{sid}")
        return [x[key] for x in server.get("details", {}).get("ipAddresses", []) if key in x]

    def _server_json(self, placeholder: str) -> dict:
        sid = self._need(placeholder, "server")
        return self.api.call("GET", f"/v2/servers/{self.api.alias}/{sid}")

    def _make_uuid(self, name: str, facts: dict) -> str:
        server = self._server_json(facts.get("server") or "")
        for link in server.get("links", []):
            m = re.search(r"/v2/servers/[^/]+/([0-9a-f]{32})/", link.get("href", ""))
            if m:
                return m.group(1)
        raise SetupError("the sandbox server has no link that shows its uuid")

    def _make_ip(self, name: str, facts: dict) -> str:
        server = self._server_json(facts.get("server") or "")
        ips = server.get("details", {}).get("ipAddresses", [])
        key = "public" if facts.get("public") else "internal"
        found = [x[key] for x in ips if key in x]
        if not found:
            raise SetupError(f"the sandbox server has no {key} IP address")
        return found[0]

    def _make_snapshot(self, name: str, facts: dict) -> str:
        server = self._server_json(facts.get("server") or "")
        snaps = server.get("details", {}).get("snapshots", [])
        if not snaps:
            raise SetupError("the sandbox server has no snapshot")
        return snaps[0]["links"][0]["href"].rstrip("/").rsplit("/", 1)[-1]

    def _make_network(self, name: str, facts: dict) -> str:
        """The data center's first deployable network; a network the scenario renames or releases was
        one the account had claimed: a new one is claimed for it."""
        dc = self._dc_of(facts)
        if facts.get("claimed"):
            return self._claim_network(dc)
        nets = self._capabilities(dc).get("deployableNetworks", [])
        if not nets:
            raise SetupError(f"data center {dc} has no network")
        return nets[0]["networkId"]

    def _finish_operation(self, accepted: dict) -> dict:
        """Read a v2-experimental operation (`{operationId, uri}`) until it ends; returns its status."""
        status_path = re.sub(r"^https?://[^/]+", "", accepted["uri"])
        status: dict = {}
        for _ in range(20):  # polls mode (a lookup during the replay): each read moves it a step
            status = self.api.call("GET", status_path)
            if status.get("status") in ("succeeded", "failed"):
                break
        return status

    def _claim_network(self, dc: str) -> str:
        accepted = self.api.call("POST", f"/v2-experimental/networks/{self.api.alias}/{dc}/claim", json={})
        status = self._finish_operation(accepted)
        links = (status.get("summary") or {}).get("links") or []
        network = next((x["id"] for x in links if x.get("rel") == "network" and x.get("id")), None)
        if network is None:
            raise SetupError(f"claiming a network in {dc} ended {status.get('status')}")
        self.cache.pop(("caps", dc), None)  # its deployable networks changed
        return network

    def _make_antiAffinityPolicy(self, name: str, facts: dict) -> str:
        body = {"name": str(facts.get("name") or "Replayed policy"), "location": self._dc_of(facts)}
        return self.api.call("POST", f"/v2/antiAffinityPolicies/{self.api.alias}", json=body)["id"]

    def _make_firewallPolicy(self, name: str, facts: dict) -> str:
        """A policy the account had (in a WireMock folder: one its create mapping does not keep, as
        identical requests share a mapping): any policy of the data center, between private addresses."""
        body = {"source": ["10.0.0.1/32"], "destination": ["10.0.0.2/32"], "ports": ["tcp/80"]}
        dc = self._dc_of(facts)
        answer = self.api.call("POST", f"/v2-experimental/firewallPolicies/{self.api.alias}/{dc}", json=body)
        return answer["links"][0]["href"].rstrip("/").rsplit("/", 1)[-1]

    def _make_alertPolicy(self, name: str, facts: dict) -> str:
        triggers = [t for t in facts.get("triggers") or [] if t.get("metric")]
        recipients = ["replay@example.com"] * max(1, int(facts.get("recipients") or 1))
        body = {
            "name": str(facts.get("name") or "Replayed policy"),
            "actions": [{"action": "email", "settings": {"recipients": recipients}}],
            "triggers": triggers or [{"metric": "cpu", "duration": "00:05:00", "threshold": 80}],
        }
        return self.api.call("POST", f"/v2/alertPolicies/{self.api.alias}", json=body)["id"]

    def _make_autoscalePolicy(self, name: str, facts: dict) -> str:
        """Autoscale policies cannot be made through the API: one of the account's, by name if it can."""
        if ("autoscale", "") not in self.cache:
            self.cache["autoscale", ""] = self.api.call("GET", f"/v2/autoscalePolicies/{self.api.alias}")
        found = self.cache["autoscale", ""]
        items = found.get("items", []) if isinstance(found, dict) else found
        used = set(self.values.values())
        free = [p for p in items if p["id"].lower() not in used]
        named = [p for p in free if p.get("name") == facts.get("name")]
        if not (named or free):
            raise SetupError("no free autoscale policy in the account")
        return (named or free)[0]["id"]

    def _make_loadBalancer(self, name: str, facts: dict) -> str:
        dc = self._dc_of(facts)
        body = {
            "name": str(facts.get("name") or "Replayed balancer")[:50],
            "description": str(facts.get("description") or "Replayed balancer"),
            "status": facts.get("status") or "enabled",
        }
        return self.api.call("POST", f"/v2/sharedLoadBalancers/{self.api.alias}/{dc}", json=body)["id"]

    def _make_pool(self, name: str, facts: dict) -> str:
        balancer = self._need(facts.get("loadBalancer"), "load balancer")
        dc = self._dc_of(self.facts(self.key(facts["loadBalancer"])))
        base = f"/v2/sharedLoadBalancers/{self.api.alias}/{dc}/{balancer}/pools"
        taken = {p["port"] for p in self.api.call("GET", base)}
        port = facts.get("port") if facts.get("port") not in taken else next(p for p in (80, 443) if p not in taken)
        body = {"port": port, "method": facts.get("method") or "roundRobin"}
        if facts.get("persistence"):
            body["persistence"] = facts["persistence"]
        pool = self.api.call("POST", base, json=body)["id"]
        nodes = [
            {"ipAddress": f"10.99.0.{10 + i}", "privatePort": port or 80, "status": status or "enabled"}
            for i, (port, status) in enumerate(facts.get("nodes") or [])
        ]
        if nodes:
            self.api.call("PUT", f"{base}/{pool}/nodes", json=nodes)
        return pool

    def _make_customField(self, name: str, facts: dict) -> str:
        if ("fields", "") not in self.cache:
            self.cache["fields", ""] = self.api.call("GET", f"/v2/accounts/{self.api.alias}/customFields")
        fields = self.cache["fields", ""]
        used = set(self.values.values())
        for f in fields:
            if f.get("type") == facts.get("type") and f["id"].lower() not in used:
                self.options[name] = [str(o.get("name")) for o in f.get("options", [])]
                return f["id"]
        raise SetupError(f"no free custom field of type {facts.get('type')}")


def stand_in_template(wanted: str, templates: list[dict], body: dict) -> str | None:
    """A set-up rule: a recorded template the sandbox's data center lacks (`templates`, as deployment
    capabilities list them) is replaced by one that offers every capability the create `body` uses
    (`managedOS` for `isManagedOS`, `hyperscale` for that type), of the same OS family (the name's first
    word, `RHEL`) if one is. None when the sandbox has `wanted`, or no template fits (the sandbox's
    refusal is then compared)."""
    if any(t["name"].lower() == wanted.lower() for t in templates):
        return None
    needs = {"managedOS"} if body.get("isManagedOS") else set()
    needs |= {"hyperscale"} if body.get("type") == "hyperscale" else set()
    fit = [t["name"] for t in templates if needs <= set(t.get("capabilities") or [])]
    family = wanted.split("-")[0].lower()
    same = [n for n in fit if n.split("-")[0].lower() == family]
    return (same or fit or [None])[0]


def _kind(kind: str) -> str:
    """The kind as the extractor wrote it, from any case of it (`LOADBALANCER` -> `loadBalancer`)."""
    lower = kind.lower()
    for known in (
        "alias",
        "dc",
        "group",
        "server",
        "uuid",
        "status",
        "ip",
        "snapshot",
        "network",
        "customField",
        "loadBalancer",
        "pool",
        "alertPolicy",
        "antiAffinityPolicy",
        "autoscalePolicy",
        "firewallPolicy",
        "operationId",
        "id",
    ):
        if known.lower() == lower:
            return known
    return kind
