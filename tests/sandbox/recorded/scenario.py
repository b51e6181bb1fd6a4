"""Turn one recording (a cassette, a test folder) into a corpus scenario (used by extract.py only).

A scenario keeps, per interaction, the request with every identifier replaced by a numbered, typed
placeholder (`{server#2}`, `{GROUP#1}` when the SDK wrote it in upper case), the recorded status, the
shape of the answer (shapes.py) and its *binds*: the places in the answer where an identifier a later
request uses first appeared (`[["links", {"rel": "status"}, "id"], "{status#1}"]`), so the harness can
learn the sandbox's identifier at the same place.

`entities` holds what the recordings say about each identifier the harness may have to create before
it can send a request (a server's data center, group, power state, ...): facts, never copies.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from .paths import HEX32, family, parse, template
from .readers import NO_BODY, Raw, Recording
from .shapes import Shape, shape

# Slot kinds that are literal values of a request, not identifiers to map.
LITERAL_SLOTS = {"year", "month", "number", "operation"}
SECRET_KEYS = re.compile(r"password|^current$|secret|token", re.I)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.I)
JSON_TYPE = "application/json; charset=utf-8"  # the usual answer type: only others are kept
DOC_NET = "203.0.113.10"  # a documentation address (RFC 5737) standing in for a recorded public one

# What a server was before an operation that production accepted on it.
PRIOR_STATE: dict[str, dict[str, Any]] = {
    "powerOn": {"powerState": "stopped"},
    "powerOff": {"powerState": "started"},
    "shutDown": {"powerState": "started"},
    "reboot": {"powerState": "started"},
    "reset": {"powerState": "started"},
    "pause": {"powerState": "started"},
    "startMaintenance": {"maintenance": False},
    "stopMaintenance": {"maintenance": True},
    "archive": {"status": "active"},
    "restore": {"status": "archived"},
    "createSnapshot": {"snapshots": 0},
    "snapshot": {"snapshots": 1},  # deleting or reverting to one
}


def _raw_operation(raw: Raw) -> tuple[str | None, set[str]]:
    """The state-changing operation of a recorded request and the server ids it targets (lower case)."""
    words = raw.path.split("?")[0].split("/")
    if "/operations/" in raw.path and words[-1] in PRIOR_STATE:
        body = raw.body if isinstance(raw.body, list) else (raw.body or {}).get("serverIds", [])
        return words[-1], {str(x).lower() for x in body} if isinstance(body, list) else set()
    if raw.path.startswith("/v2/servers/") and len(words) > 5 and words[-1] == "restore" and words[5] == "restore":
        return "restore", {words[4].lower()}
    return None, set()


def _contradicts(answer: Any, prior: dict[str, Any]) -> bool:
    """Whether a recorded server answer shows a state other than an operation's precondition."""
    if not isinstance(answer, dict):
        return False
    details = answer.get("details") or {}
    seen = {
        "status": answer.get("status"),
        "powerState": details.get("powerState"),
        "maintenance": details.get("inMaintenanceMode"),
        "snapshots": len(details.get("snapshots", [])),
    }
    return any(seen[k] is not None and seen[k] != v for k, v in prior.items())


def reads_after_operations(raws: list[Raw]) -> list[Raw]:
    """WireMock order repaired: a read of a server placed before an operation on it, that shows the
    state the operation produced (not its precondition), moves after the operation and its status reads.
    """
    out = list(raws)
    for raw in raws:
        op, targets = _raw_operation(raw)
        if op is None:
            continue
        at = out.index(raw)
        early = [
            r
            for r in out[:at]
            if r.method == "GET"
            and r.path.split("?")[0].split("/")[-1].lower() in targets
            and _contradicts(r.answer, PRIOR_STATE[op])
        ]
        for r in early:
            out.remove(r)
        at = out.index(raw) + 1
        while at < len(out) and "/status/" in out[at].path:
            at += 1
        out[at:at] = early
    return out


# Nested lists whose length is a fact of the protocol (one entry per private IP, with its public IP).
COUNTED_LISTS = (("details", "ipAddresses"),)


def _counted_lists(answer: Any) -> dict[str, int]:
    """`{"details.ipAddresses": 2}` for an answer that has such a list."""
    out = {}
    for path in COUNTED_LISTS:
        value = answer
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, list):
            out[".".join(path)] = len(value)
    return out


def _claimed_ips(addresses: Any) -> int:
    """How many private addresses a server had besides its first one on the same network (a /24):
    those production claimed for public IPs (a secondary network adapter's are on another network)."""
    internal = [str(a.get("internal")) for a in addresses or [] if isinstance(a, dict) and a.get("internal")]
    if not internal:
        return 0
    net = internal[0].rsplit(".", 1)[0]
    return sum(1 for ip in internal[1:] if ip.rsplit(".", 1)[0] == net)


def _operation_of(req: dict[str, Any]) -> tuple[str | None, str]:
    """The state-changing operation of a request (a key of PRIOR_STATE) and the text naming its targets."""
    path = req["path"]
    words = path.split("/")
    if "/operations/" in path and words[-1] in PRIOR_STATE:
        return words[-1], json.dumps(req.get("body")).lower()
    if path.startswith("/v2/servers/") and len(words) > 5:
        target = words[4].lower()
        if words[-1] == "restore" and words[5] == "restore":
            return "restore", target
        if words[5] == "snapshots" and req["method"] in ("DELETE", "POST"):
            return "snapshot", target
    return None, ""


# Body keys whose (string) values are identifiers of a kind.
BODY_KEYS = {
    "groupId": "group",
    "parentGroupId": "group",
    "targetGroupId": "group",
    "networkId": "network",
    "serverIds": "server",
    "antiAffinityPolicyId": "antiAffinityPolicy",
    "cpuAutoscalePolicyId": "autoscalePolicy",
    "loadBalancerId": "loadBalancer",
    "poolId": "pool",
    "internalIPAddress": "ip",
    "location": "dc",
}


# A server's policy links: the kind of the `{"id": ...}` their PUT / POST bodies carry.
POLICY_LINKS = {
    "/cpuAutoscalePolicy": "autoscalePolicy",
    "/antiAffinityPolicy": "antiAffinityPolicy",
    "/alertPolicies": "alertPolicy",
}
# Kinds whose facts (name, data center, ...) are read from the objects answers show, for set-up.
SET_UP_FROM_ANSWERS = {"antiAffinityPolicy", "alertPolicy", "autoscalePolicy", "network"}


class Entities:
    """The identifiers of one scenario: value -> placeholder, and the facts about each."""

    def __init__(self) -> None:
        self.by_value: dict[tuple[str, str], str] = {}
        self.kind_of_value: dict[str, str] = {}
        self.counts: dict[str, int] = {}
        self.facts: dict[str, dict[str, Any]] = {}

    @staticmethod
    def key(kind: str, value: str) -> tuple[str, str]:
        return (kind, value.lower())

    def add(self, kind: str, value: str) -> str:
        """The placeholder name (`server#2`) of a value, registering it on first sight."""
        k = self.key(kind, value)
        if k not in self.by_value:
            self.counts[kind] = self.counts.get(kind, 0) + 1
            name = f"{kind}#{self.counts[kind]}"
            self.by_value[k] = name
            self.kind_of_value.setdefault(value.lower(), kind)
            self.facts[name] = {"id": value.upper()} if kind == "dc" else {}
        return self.by_value[k]

    def find(self, value: str) -> str | None:
        """The placeholder name of a known value of any kind, or None."""
        kind = self.kind_of_value.get(value.lower())
        return self.by_value[self.key(kind, value)] if kind else None

    def ref(self, kind: str, value: str) -> str:
        """`{server#2}` (or `{SERVER#2}` for an upper-case value) for a value, registering it."""
        name = self.add(kind, value)
        return "{" + (name.upper() if value.isupper() else name) + "}"


def _looks_like_server(value: str, alias: str) -> bool:
    """Server ids are `<dc><alias><name><nn>`; template names are not."""
    v = value.lower()
    return len(v) > 3 + len(alias) and v[3 : 3 + len(alias)] == alias.lower()


def _scrub_ip(value: str) -> str:
    """A private address stays; a public one becomes a documentation address (mask kept)."""
    addr, _, mask = value.partition("/")
    try:
        if ipaddress.ip_address(addr).is_private:
            return value
    except ValueError:
        return value
    return DOC_NET + ("/" + mask if mask else "")


class ScenarioBuilder:
    """Builds the corpus form of one Recording (see the module docstring)."""

    def __init__(self, recording: Recording, reliable_order: bool, alias: str = "ALTD"):
        self.rec = recording
        self.reliable_order = reliable_order  # a cassette's order is the recorded one; WireMock's is rebuilt
        self.alias = alias
        self.ent = Entities()
        self.first_use: dict[str, int] = {}  # placeholder name -> index of its first request
        self.described_at: dict[str, int] = {}  # server placeholder name -> index of the answer describing it
        self._index = 0  # the interaction whose answer is being learnt from
        self._adjusted: set[str] = set()
        self._id_kind: str | None = None  # the kind of an `id` in the body of the request being read

    # --- requests --------------------------------------------------------------------------------

    def _path(self, raw: Raw, index: int) -> tuple[str, dict[str, str]]:
        """The request path with numbered placeholders, and its query (ids in it mapped too)."""
        path, _, query = raw.path.partition("?")
        parsed = parse(path)
        slots = iter(parsed.slots)
        out = []
        for seg in parsed.template.split("/"):
            if not (seg.startswith("{") and seg.endswith("}")):
                out.append(seg)
                continue
            slot = next(slots)
            if slot.kind == "alias":
                out.append(seg)
            elif slot.kind in LITERAL_SLOTS or slot.value == "undefined":
                out.append(slot.value)
            else:
                ref = self.ent.ref(slot.kind, slot.value)
                self._use(ref, index)
                out.append(ref)
        query_out = {}
        for k, v in parse_qsl(query, keep_blank_values=True):
            name = self.ent.find(v) if HEX32.match(v) else None
            query_out[k] = "{" + name + "}" if name else v
        return "/".join(out), query_out

    def _use(self, placeholder: str, index: int) -> None:
        name = placeholder.strip("{}").lower()
        self.first_use.setdefault(name, index)

    def _body(self, value: Any, index: int, key: str | None = None, member: str | None = None) -> Any:
        """The request body with identifiers as placeholders and secrets, e-mails, public IPs replaced."""
        if isinstance(value, dict):
            member = value.get("member") if isinstance(value.get("member"), str) else member
            return {k: self._body(v, index, k, member if k == "value" else None) for k, v in value.items()}
        if isinstance(value, list):
            return [self._body(v, index, key, member) for v in value]
        if not isinstance(value, str):
            return value
        if key and SECRET_KEYS.search(key) or member == "password":
            return "<password>"
        if key == "username":
            return "<username>"
        if EMAIL.match(value):
            return "<email>"
        if key and key.lower().endswith("account") and value.lower() == self.alias.lower():
            return "{ALIAS}" if value.isupper() else "{alias}"  # the account itself (destinationAccount)
        kind = self._body_kind(key, member, value)
        if kind:
            ref = self.ent.ref(kind, value)
            self._use(ref, index)
            return ref
        if re.match(r"^\d{1,3}(\.\d{1,3}){3}(/\d+)?$", value):
            return _scrub_ip(value)
        return value

    def _body_kind(self, key: str | None, member: str | None, value: str) -> str | None:
        if member in ("groupId", "parentGroupId") and key == "value":
            return "group"
        if key in BODY_KEYS:
            kind = BODY_KEYS[key]
            if kind == "ip" or kind == "dc":
                return kind
            return kind if (HEX32.match(value) or kind == "server") else None
        if key == "sourceServerId":
            return "server" if _looks_like_server(value, self.alias) else None
        if key in (None, "id", "serverId") and _looks_like_server(value, self.alias):
            return "server"  # operation bodies: a bare list of ids, or servers[].id
        if key == "ipAddress" and self.ent.find(value):
            return "ip"
        if key == "id" and HEX32.match(value):
            return self.ent.kind_of_value.get(value.lower(), self._id_kind or "customField")
        if HEX32.match(value):
            return self.ent.kind_of_value.get(value.lower(), "id")
        return None

    # --- answers ---------------------------------------------------------------------------------

    def _binds(self, answer: Any, index: int, family: str) -> list[list[Any]]:
        """Addressable places in an answer holding an identifier a request uses at or after `index`."""
        out: list[list[Any]] = []

        def wanted(name: str) -> bool:
            used = self.first_use.get(name.lower(), -1)  # first_use keys are lower case (_use)
            return used > index or (family == "power operations" and name.startswith("status#"))

        def walk(value: Any, path: list[Any]) -> None:
            if isinstance(value, dict):
                for k, v in value.items():
                    walk(v, [*path, k])
            elif isinstance(value, list):
                rels = [x.get("rel") for x in value if isinstance(x, dict)]
                for i, item in enumerate(value):
                    if not isinstance(item, dict):
                        continue
                    selector: dict[str, Any] | None = None
                    if "rel" in item and rels.count(item["rel"]) == 1:
                        selector = {"rel": item["rel"]}
                    elif isinstance(item.get("server"), str) and self.ent.find(item["server"]):
                        selector = {"server": "{" + str(self.ent.find(item["server"])) + "}"}
                    elif len(value) == 1:
                        selector = {"#": i}
                    if selector is not None:
                        walk(item, [*path, selector])
            elif isinstance(value, str) and len(value) > 2:
                name = self.ent.find(value)
                if name and not name.startswith(("snapshot#", "dc#")) and wanted(name):
                    out.append([path, "{" + name + "}"])
                elif name is None and value.startswith(("/v2", "http")):
                    # an identifier only an href shows (a firewall policy's create answer): its slot
                    for k, slot in enumerate(parse(value).slots):
                        found = self.ent.find(slot.value)
                        if found and not found.startswith(("snapshot#", "dc#")) and wanted(found):
                            out.append([[*path, {"slot": k}], "{" + found + "}"])

        walk(answer, [])
        return out

    # --- facts -----------------------------------------------------------------------------------

    def _learn_request(self, raw: Raw) -> None:
        """Record facts a request itself tells (whatever its answer): networks renamed, released or
        used as a secondary NIC are the account's own; a NIC the scenario removes, the server had."""
        parsed = parse(raw.path.split("?")[0])
        slots = {s.kind: s.value for s in parsed.slots}
        if "network" in slots and "server" in slots and raw.method == "DELETE" and self.ent.find(slots["server"]):
            # a secondary NIC the scenario removes: the server had it on one of the account's networks
            nic = self._ref("network", slots["network"])
            self._fact("network", slots["network"], claimed=True)
            server = self.ent.facts[self.ent.add("server", slots["server"])]
            server.setdefault("secondaryNetworks", [])
            if nic not in server["secondaryNetworks"]:
                server["secondaryNetworks"].append(nic)
        if raw.method == "POST" and parsed.template.endswith("/networks") and isinstance(raw.body, dict):
            added = raw.body.get("networkId")
            if isinstance(added, str) and self.ent.find(added):
                self._fact("network", added, claimed=True)  # a secondary network: not the server's own
        if "network" in slots and "dc" in slots and self.ent.find(slots["network"]):
            owned = raw.method != "GET"  # renamed or released: one of the account's own (claimed) networks
            self._fact("network", slots["network"], dc=self._dc(slots["dc"]), **({"claimed": True} if owned else {}))

    def _learn(self, raw: Raw) -> None:
        """Record facts about identifiers from one recorded answer (first description wins)."""
        answer = raw.answer
        path = raw.path.split("?")[0]
        parsed = parse(path)
        slots = {s.kind: s.value for s in parsed.slots}
        if "deploymentCapabilities" in path and isinstance(answer, dict):
            for net in answer.get("deployableNetworks", []):
                if isinstance(net, dict) and net.get("networkId") and self.ent.find(net["networkId"]):
                    self._fact("network", net["networkId"], dc=self._dc(slots.get("dc")))
        if parsed.template.endswith("/customFields") and isinstance(answer, list):
            for f in answer:
                if isinstance(f, dict) and isinstance(f.get("id"), str) and self.ent.find(f["id"]):
                    self._fact("customField", f["id"], type=f.get("type"))
        if "uuid" in slots and isinstance(answer, dict) and isinstance(answer.get("id"), str):
            self._fact("uuid", slots["uuid"], server=self._ref("server", answer["id"]))
        if "snapshot" in slots and "server" in slots:
            self._fact("snapshot", slots["snapshot"], server=self._ref("server", slots["server"]))
        if "/datacenters/" in path and "dc" in slots:
            links = answer.get("links", []) if isinstance(answer, dict) else []
            for link in links:
                if isinstance(link, dict) and link.get("rel") == "group" and link.get("id"):
                    self._fact("group", link["id"], dc=self._dc(slots["dc"]), role="root")
        if parsed.template.startswith("/v2/sharedLoadBalancers/"):
            self._balancer_facts(answer, slots)
        self._walk_objects(answer)

    def _balancer_facts(self, answer: Any, slots: dict[str, str]) -> None:
        """Load balancers and pools an answer shows (a list, one balancer, a pool list, one pool)."""
        items = answer if isinstance(answer, list) else [answer]
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("id"), str):
                continue
            if "pools" in item:  # a load balancer
                dc = self._dc(slots.get("dc"))
                self._fact("loadBalancer", item["id"], dc=dc, name=item.get("name"), status=item.get("status"))
                described = self.ent.find(item["id"]) is not None
                if described and item.get("description") is not None:
                    self._fact("loadBalancer", item["id"], description=item.get("description"))
                for pool in item.get("pools") or []:
                    if isinstance(pool, dict) and described:
                        self._pool_facts(pool, self._ref("loadBalancer", item["id"]))
            elif "port" in item and "loadBalancer" in slots and self.ent.find(slots["loadBalancer"]):
                self._pool_facts(item, self._ref("loadBalancer", slots["loadBalancer"]))

    def _pool_facts(self, pool: dict, balancer: str) -> None:
        if not isinstance(pool.get("id"), str):
            return
        nodes = [[n.get("privatePort"), n.get("status")] for n in pool.get("nodes") or [] if isinstance(n, dict)]
        self._fact(
            "pool",
            pool["id"],
            loadBalancer=balancer,
            port=pool.get("port"),
            method=pool.get("method"),
            persistence=pool.get("persistence"),
            nodes=nodes,
        )

    def _walk_objects(self, value: Any) -> None:
        if isinstance(value, list):
            for v in value:
                self._walk_objects(v)
            return
        if not isinstance(value, dict):
            return
        oid = value.get("id")
        if isinstance(oid, str) and "locationId" in value:
            if "groupId" in value or "details" in value or "isTemplate" in value:
                self._server_facts(value)
            elif "groups" in value or value.get("type") in ("default", "archive", "templates"):
                self._group_facts(value)
        elif isinstance(oid, str):
            self._policy_facts(value)
        for v in value.values():
            self._walk_objects(v)

    def _policy_facts(self, obj: dict) -> None:
        """A policy or network the answer shows (known by its self link): what set-up recreates it from."""
        self_link = next((x for x in obj.get("links") or [] if isinstance(x, dict) and x.get("rel") == "self"), None)
        slots = parse(str(self_link.get("href", ""))).slots if self_link else ()
        if not slots or slots[-1].kind not in SET_UP_FROM_ANSWERS or slots[-1].value.lower() != obj["id"].lower():
            return
        kind = slots[-1].kind
        dc = next((x.value for x in slots if x.kind == "dc"), None) or obj.get("location")
        facts: dict[str, Any] = {"dc": self._dc(dc), "name": obj.get("name")}
        if kind == "alertPolicy":
            triggers = [t for t in obj.get("triggers") or [] if isinstance(t, dict)]
            facts["triggers"] = [{k: t.get(k) for k in ("metric", "duration", "threshold")} for t in triggers]
            recipients = [
                r for a in obj.get("actions") or [] for r in ((a.get("settings") or {}).get("recipients") or [])
            ]
            facts["recipients"] = len(recipients)
        self._fact(kind, obj["id"], **facts)

    def _dc(self, value: str | None) -> str | None:
        if not value:
            return None
        return "{" + self.ent.add("dc", value) + "}"

    def _ref(self, kind: str, value: str) -> str:
        return "{" + self.ent.add(kind, value) + "}"

    def _fact(self, kind: str, value: str, **facts: Any) -> None:
        if self.ent.find(value) is None and kind not in ("server", "group", "dc", "uuid", "ip"):
            return
        name = self.ent.add(kind, value)
        known = self.ent.facts[name]
        for k, v in facts.items():
            if v is not None:
                known.setdefault(k, v)

    def _server_facts(self, s: dict) -> None:
        if not self.ent.find(s["id"]) and not any(
            self.ent.find(str(ip.get("internal", ""))) or self.ent.find(str(ip.get("public", "")))
            for ip in (s.get("details") or {}).get("ipAddresses", [])
            if isinstance(ip, dict)
        ):
            return  # a server no request of this scenario uses
        details = s.get("details") or {}
        server = self._ref("server", s["id"])
        facts: dict[str, Any] = {
            "dc": self._dc(s.get("locationId")),
            "status": s.get("status"),
            "os": s.get("os"),
            "type": s.get("type"),
            "storageType": s.get("storageType"),
            "isTemplate": s.get("isTemplate"),
            "managedOS": s.get("isManagedOS"),
            "powerState": details.get("powerState"),
            "maintenance": details.get("inMaintenanceMode"),
            "cpu": details.get("cpu"),
            "memoryMB": details.get("memoryMB"),
            "snapshots": len(details.get("snapshots", [])) if "snapshots" in details else None,
            "publicIPs": sum(1 for ip in details.get("ipAddresses", []) if isinstance(ip, dict) and "public" in ip)
            if "ipAddresses" in details
            else None,
            "claimedIPs": _claimed_ips(details.get("ipAddresses")) if "ipAddresses" in details else None,
            "disks": [[d.get("id"), d.get("sizeGB")] for d in details["disks"] if isinstance(d, dict)]
            if isinstance(details.get("disks"), list) and details["disks"]
            else None,
        }
        for key, kind in (("antiAffinityPolicy", "antiAffinityPolicy"), ("cpuAutoscalePolicy", "autoscalePolicy")):
            policy = details.get(key)
            if isinstance(policy, dict) and isinstance(policy.get("id"), str):
                facts[kind] = self._ref(kind, policy["id"])
        alerts = [a["id"] for a in details.get("alertPolicies") or [] if isinstance(a, dict) and a.get("id")]
        if alerts:
            facts["alertPolicies"] = [self._ref("alertPolicy", a) for a in alerts]
        if isinstance(s.get("groupId"), str):
            facts["group"] = self._ref("group", s["groupId"])
            self._fact("group", s["groupId"], dc=facts["dc"])  # a server's group is in its data center
        if self.ent.add("server", s["id"]) in self.described_at:
            # the policies it had when first described (one set later in the scenario is not set up)
            for kind in ("antiAffinityPolicy", "autoscalePolicy", "alertPolicies"):
                facts.pop(kind, None)
        self._fact("server", s["id"], **facts)
        known = self.ent.facts[self.ent.add("server", s["id"])]
        if known.get("status") in ("archived", "queuedForRestore") and s.get("status") == "active":
            # back from the archive: the power state it had when it was archived (restore keeps it)
            known.setdefault("powerBeforeArchive", details.get("powerState"))
        self.described_at.setdefault(self.ent.add("server", s["id"]), self._index)
        for ip in details.get("ipAddresses", []):
            if not isinstance(ip, dict):
                continue
            if ip.get("internal") and self.ent.find(ip["internal"]):
                self._fact("ip", ip["internal"], server=server, public=False)
            if ip.get("public") and self.ent.find(ip["public"]):
                self._fact("ip", ip["public"], server=server, public=True)
        for link in s.get("links", []):
            if isinstance(link, dict) and isinstance(link.get("href"), str):
                for slot in parse(link["href"]).slots:
                    if slot.kind == "uuid" and self.ent.find(slot.value):
                        self._fact("uuid", slot.value, server=server)

    def _prior_states(self, requests: list[dict[str, Any]]) -> None:
        """The state a server had before the first operation on it, where the recording describes it
        only afterwards: the operation's precondition (`powerOff` -> it was started).

        In a cassette (recorded order) only a description that comes after the operation is
        corrected; in WireMock mappings the order is reconstructed, so the precondition always wins.
        """
        for i, req in enumerate(requests):
            op, targets = _operation_of(req)
            if op is None:
                continue
            for name, at in self.described_at.items():
                if name in self._adjusted or "{" + name + "}" not in targets:
                    continue
                if at > i or not self.reliable_order:
                    self._adjusted.add(name)
                    self.ent.facts[name].update(PRIOR_STATE[op])

    def _group_facts(self, g: dict) -> None:
        parent = None
        for link in g.get("links", []):
            if isinstance(link, dict) and link.get("rel") == "parentGroup" and link.get("id"):
                parent = link["id"]
        if not self.ent.find(g["id"]):
            return
        facts: dict[str, Any] = {"dc": self._dc(g.get("locationId")), "type": g.get("type"), "name": g.get("name")}
        facts["described"] = "description" in g  # whether production showed a description key
        if parent:
            facts["parent"] = self._ref("group", parent)
        else:
            facts["role"] = "root"
        self._fact("group", g["id"], **facts)

    # --- the whole scenario ----------------------------------------------------------------------

    def build(self, store: Callable[[Shape], str]) -> dict:
        """The scenario's corpus form; `store(shape)` keeps an answer shape and returns its key."""
        raws = self.rec.interactions if self.reliable_order else reads_after_operations(self.rec.interactions)
        requests = [self._request(raw, i) for i, raw in enumerate(raws)]
        known = -1
        while known != len(self.ent.facts):  # facts name new ids (a parent group): learn about them too
            known = len(self.ent.facts)
            for i, raw in enumerate(raws):
                self._learn_request(raw)
                if raw.answer is not NO_BODY:
                    self._index = i
                    self._learn(raw)
        self._prior_states(requests)
        interactions = []
        for i, (raw, req) in enumerate(zip(raws, requests, strict=True)):
            item: dict[str, Any] = {"at": raw.at, **{k: v for k, v in req.items() if k != "family"}}
            item["status"] = raw.status
            if raw.answer is NO_BODY:
                item["answer"] = None
            else:
                item["answer"] = store(shape(raw.answer))
                if isinstance(raw.answer, list):
                    item["items"] = len(raw.answer)
                counts = _counted_lists(raw.answer)
                if counts:
                    item["counts"] = counts
                binds = self._binds(raw.answer, i, req["family"])
                if binds:
                    item["binds"] = binds
                if req["family"] == "power operations" and isinstance(raw.answer, list):
                    item["order"] = [
                        self._ref("server", x["server"]) for x in raw.answer if isinstance(x, dict) and "server" in x
                    ]
            headers = {}
            if "location" in raw.headers:
                headers["Location"] = template(raw.headers["location"])
            if raw.headers.get("content-type", JSON_TYPE) != JSON_TYPE:
                headers["Content-Type"] = raw.headers["content-type"]
            if headers:
                item["headers"] = headers
            interactions.append(item)
        entities = {"{" + name + "}": facts for name, facts in self.ent.facts.items() if facts}
        out: dict[str, Any] = {"source": self.rec.source}
        if self.rec.also:
            out["also"] = self.rec.also
        out["entities"] = entities
        out["interactions"] = interactions
        return out

    def _request(self, raw: Raw, index: int) -> dict[str, Any]:
        path, query = self._path(raw, index)
        req: dict[str, Any] = {"method": raw.method, "path": path}
        if query:
            req["query"] = query
        if raw.body not in (None, ""):
            # `{"id": ...}` sent to a server's policy link is that policy's id
            self._id_kind = next((k for end, k in POLICY_LINKS.items() if path.endswith(end)), None)
            req["body"] = self._body(raw.body, index)
            self._id_kind = None
        req["family"] = family(raw.method, path)
        return req
