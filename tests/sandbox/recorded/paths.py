"""The path grammar of the CLC API v2: which segment of a path is an alias, a data center, a server, ...

One function, `parse`, turns a concrete path (`/v2/servers/ALTD/de1altdweb01/publicIPAddresses/1.2.3.4`)
into a template (`/v2/servers/{ALIAS}/{server}/publicIPAddresses/{ip}`) plus the typed values it held.
Both sides of the replay use it: the extractor to turn recorded paths and link hrefs into patterns, the
harness to turn the sandbox's hrefs into the same patterns, so the two are compared like for like.

The case of a value is part of the pattern (`{alias}` for `altd`, `{ALIAS}` for `ALTD`): production wrote
the alias in lower case in most hrefs and in upper case in a few, and clients compare them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

HEX32 = re.compile(r"^[0-9a-fA-F]{32}$")
IPV4 = re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")

# After `/v2/<collection>/{alias}`: the kinds of the following value segments. A literal word of the
# path (sub-resource) is recognised by SUBRESOURCES below; anything else in a value position is a value.
COLLECTIONS: dict[str, tuple[str, ...]] = {
    "servers": ("server",),
    "groups": ("group",),
    "datacenters": ("dc",),
    "accounts": (),
    "alertPolicies": ("alertPolicy",),
    "antiAffinityPolicies": ("antiAffinityPolicy",),
    "autoscalePolicies": ("autoscalePolicy",),
    "sharedLoadBalancers": ("dc", "loadBalancer"),
    "firewallPolicies": ("dc", "firewallPolicy"),
    "networks": ("dc", "network"),
    "vmImport": ("dc",),
    "invoice": ("year", "month"),
    "billing": (),
    "operations": (),
}

# A literal word, and the kind of the value segment that may follow it (None: no value follows).
SUBRESOURCES: dict[str, str | None] = {
    "publicIPAddresses": "ip",
    "snapshots": "snapshot",
    "pools": "pool",
    "nodes": None,
    "status": "status",
    "servers": "operation",  # /v2/operations/{alias}/servers/{operation}
    "serverPricing": "server",
    "networks": "network",  # a server's secondary networks
    "alertPolicies": "alertPolicy",  # a server's alert policy mappings
    "ipAddresses": None,
    "restore": None,
    "release": None,
    "claim": None,
    "credentials": None,
    "capabilities": None,
    "statistics": None,
    "billing": None,
    "defaults": None,
    "archive": None,
    "customFields": None,
    "deploymentCapabilities": None,
    "bareMetalCapabilities": None,
    "computeLimits": None,
    "networkLimits": None,
    "available": None,
    "cpuAutoscalePolicy": None,
    "antiAffinityPolicy": None,
    "horizontalAutoscalePolicy": None,
    "scheduledActivities": None,
    "upcomingScheduledActivities": None,
    "login": None,
}

# Values that are literal words of the protocol, kept as they are in a template.
LITERAL_KINDS = {"operation"}


@dataclass(frozen=True)
class Slot:
    """One value segment of a path: its kind (`server`, `group`, ...) and the value as written."""

    kind: str
    value: str


@dataclass(frozen=True)
class Parsed:
    """A path split into its template and the values of its slots (in path order)."""

    template: str
    slots: tuple[Slot, ...]
    prefix: str  # "" for a root-relative path, "http://{host}" for an absolute one


def placeholder(kind: str, value: str) -> str:
    """The template segment for a value: `{kind}` in the value's case (`{KIND}` when it is upper case)."""
    if value.isupper():
        return "{" + kind.upper() + "}"
    if value.islower() or not any(c.isalpha() for c in value):
        return "{" + kind + "}"
    return "{" + kind[0].upper() + kind[1:] + "}"


def _value_kind(kind: str, value: str) -> str:
    """Refine a slot's kind from its value (a server addressed by its uuid, a literal `undefined`)."""
    if kind == "server" and HEX32.match(value):
        return "uuid"
    if kind == "status" and HEX32.match(value):
        return "operationId"  # v2-experimental operations are addressed by a hex id
    return kind


def parse(path: str) -> Parsed:
    """Split a path (query string ignored) into a template and typed slots. Never raises.

    An absolute URL keeps its scheme and host out of the template (`prefix`); an unknown path keeps
    its words and replaces only hex ids, IPs and numbers.
    """
    path = path.split("?", 1)[0]
    prefix = ""
    m = re.match(r"^(https?://[^/]+)(/.*)$", path)
    if m:
        prefix, path = "http://{host}", m.group(2)
    segments = path.split("/")
    # segments[0] == "" for an absolute path; segments[1] is the version
    if len(segments) < 3 or not segments[1].lower().startswith("v2"):
        return Parsed(path, (), prefix)
    out = segments[:2]
    slots: list[Slot] = []
    collection = segments[2]
    out.append(collection)
    rest = segments[3:]
    if collection == "authentication":
        out.extend(rest)
        return Parsed("/".join(out), (), prefix)
    pending = list(COLLECTIONS.get(collection, ()))
    if rest:
        slots.append(Slot("alias", rest[0]))
        out.append(placeholder("alias", rest[0]))
        rest = rest[1:]
    for seg in rest:
        if seg == "":  # a trailing slash
            out.append(seg)
            continue
        if seg in SUBRESOURCES:
            out.append(seg)
            follow = SUBRESOURCES[seg]
            pending = [follow] if follow else []
            continue
        kind = _value_kind(pending.pop(0), seg) if pending else _fallback_kind(seg)
        if kind in LITERAL_KINDS or kind == "":
            out.append(seg)
            continue
        slots.append(Slot(kind, seg))
        out.append(placeholder(kind, seg))
    return Parsed("/".join(out), tuple(slots), prefix)


def _fallback_kind(seg: str) -> str:
    if HEX32.match(seg):
        return "id"
    if IPV4.match(seg):
        return "ip"
    if seg.isdigit():
        return "number"
    return ""


def template(path: str) -> str:
    """The template of a path or href, with its prefix (`http://{host}/v2/...` for an absolute one)."""
    parsed = parse(path)
    return parsed.prefix + parsed.template


def family(method: str, path_template: str) -> str:
    """The endpoint family of a request, the unit the replay report counts by.

    Families follow the API reference's chapters, with the sub-resources that are separate features
    (public IPs, snapshots, secondary networks, statistics, policies) as families of their own.
    """
    t = path_template.lower()
    words = [w for w in t.split("/") if w and not w.startswith("{")]
    if not words:
        return "other"
    version, collection, subs = words[0], words[1] if len(words) > 1 else "", words[2:]
    if version == "v2-experimental":
        if collection == "operations":
            return "networks"  # the status of a network claim
        return {"firewallpolicies": "firewall policies", "networks": "networks"}.get(collection, collection)
    if collection == "operations":
        return "jobs" if "status" in subs else "power operations"
    if collection == "servers":
        for word, name in (
            ("publicipaddresses", "public IPs"),
            ("snapshots", "snapshots"),
            ("networks", "secondary networks"),
            ("statistics", "statistics"),
            ("cpuautoscalepolicy", "autoscale policies"),
            ("antiaffinitypolicy", "anti-affinity policies"),
            ("alertpolicies", "alert policies"),
            ("credentials", "servers"),
            ("restore", "servers"),
        ):
            if word in subs:
                return name
        return "servers"
    if collection == "groups":
        if "statistics" in subs:
            return "statistics"
        if "billing" in subs:
            return "billing"
        return "groups"
    return {
        "authentication": "authentication",
        "datacenters": "datacenters",
        "accounts": "custom fields",
        "alertpolicies": "alert policies",
        "antiaffinitypolicies": "anti-affinity policies",
        "autoscalepolicies": "autoscale policies",
        "sharedloadbalancers": "load balancers",
        "invoice": "invoice",
        "billing": "billing",
        "vmimport": "vm import",
    }.get(collection, collection)
