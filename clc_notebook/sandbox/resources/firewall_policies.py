"""Intra-data-center firewall policies (v2-experimental): `/v2-experimental/firewallPolicies/{alias}/{dc}`.

A policy lets traffic from `source` CIDRs to `destination` CIDRs on some `ports` (`any`, `icmp`,
`tcp/80`, `udp/1-600`) of an account (`destinationAccount`, by default the caller's own) in one data
center. Bodies come as JSON or, as the Ansible module sends them through the Python SDK, form-encoded
(a list of one element then arrives as a plain value, so every list member also takes a string).

A new policy is `pending`, then `active` after one step of the job clock (time mode: 2 s at speed 1;
polls mode: its first read, a list counting as a read of each policy it shows, as recorded: a policy
read right after its creation was pending, the next read active). Hrefs are absolute (`http://host/v2-experimental/...`), as
recorded, with the alias and data center in lower case.
"""

from __future__ import annotations

import json
import re
import sqlite3
from typing import Any

from ..clock import DURATIONS
from ..common import Reply, dumps, new_hex_id
from ..context import Context
from ..errors import NotFound, field_error
from ..handling import Call
from ..registry import route
from ..shapes import link
from ..validation import Body, Errors, as_bool, is_cidr
from .datacenters import Datacenters

PORT_RE = re.compile(r"^(any|icmp|(tcp|udp)/(\d{1,5})(?:-(\d{1,5}))?)$")
ALIAS_RE = re.compile(r"^[A-Za-z0-9]{1,10}$")
BASE = "/v2-experimental/firewallPolicies/{alias}/{dc}"


class FirewallPolicies:
    """Firewall policies between networks of one data center."""

    name = "firewall_policies"
    tables = {
        "firewall_policies": "id TEXT PRIMARY KEY, alias TEXT NOT NULL, dc TEXT NOT NULL,"
        " destination_account TEXT NOT NULL, source TEXT NOT NULL, destination TEXT NOT NULL,"
        " ports TEXT NOT NULL, enabled INTEGER NOT NULL, created REAL NOT NULL,"
        " reads INTEGER NOT NULL DEFAULT 0, position INTEGER NOT NULL",
    }

    def __init__(self, ctx: Context, datacenters: Datacenters) -> None:
        self.ctx = ctx
        self.datacenters = datacenters

    def _find(self, db: sqlite3.Connection, alias: str, path: dict[str, str]) -> sqlite3.Row:
        dc = self.datacenters.find(db, path["dc"])["id"]
        row = db.execute(
            "SELECT * FROM firewall_policies WHERE id=? AND alias=? AND dc=?",
            (path["firewallPolicy"].lower(), alias, dc),
        ).fetchone()
        if row is None:
            raise NotFound()
        return row

    def _shown(self, call: Call, db: sqlite3.Connection, rows: list[sqlite3.Row]) -> list[dict]:
        """The representation of policies being read (each read counts for its provisioning status)."""
        out = []
        for row in rows:
            reads = row["reads"] + 1
            db.execute("UPDATE firewall_policies SET reads=? WHERE id=?", (reads, row["id"]))
            out.append(firewall_policy(row, provisioning_status(self.ctx, row["created"], reads), call.base_url))
        return out

    @route("GET", BASE)
    def list_all(self, call: Call) -> list[dict]:
        """The account's policies in a data center, oldest first; `?destinationAccount=` filters them."""
        with self.ctx.call(call) as tx:
            dc = self.datacenters.find(tx.db, call.path["dc"])["id"]
            rows = tx.db.execute(
                "SELECT * FROM firewall_policies WHERE alias=? AND dc=? ORDER BY position", (tx.alias, dc)
            ).fetchall()
            wanted = call.query.get("destinationaccount", "").strip().lower()
            if wanted:
                rows = [r for r in rows if r["destination_account"] == wanted]
            return self._shown(call, tx.db, rows)

    @route("POST", BASE, body=True)
    def create(self, call: Call) -> Reply:
        """Create a policy: 201 + absolute Location + `{links: [self]}`; 400 naming each bad field."""
        with self.ctx.call(call) as tx:
            db = tx.db
            dc = self.datacenters.find(db, call.path["dc"])["id"]
            body = tx.body
            if not body.is_object:
                raise field_error("", "An object {source, destination, ports?, destinationAccount?} is expected.")
            errors = Errors()
            source = cidrs(body, "source", errors, required=True)
            destination = cidrs(body, "destination", errors, required=True)
            ports = _ports(body, errors) if body.has("ports") else ["any"]
            account = account_alias(db, body.get("destinationAccount", tx.alias), "destinationAccount", errors)
            enabled = as_bool(body.get("enabled"), "enabled", errors) if body.has("enabled") else True
            errors.raise_if_any()
            policy_id = new_hex_id(db, "firewallPolicy")
            position = db.execute("SELECT COALESCE(MAX(position), 0) + 1 FROM firewall_policies").fetchone()[0]
            db.execute(
                "INSERT INTO firewall_policies (id, alias, dc, destination_account, source, destination, ports,"
                " enabled, created, position) VALUES (?,?,?,?,?,?,?,?,?,?)",
                (
                    policy_id,
                    tx.alias,
                    dc,
                    account,
                    dumps(source),
                    dumps(destination),
                    dumps(ports),
                    int(bool(enabled)),
                    tx.now(),
                    position,
                ),
            )
            href = policy_href(call.base_url, tx.alias, dc, policy_id)
            return Reply(201, {"links": [_self_link(href)]}, {"Location": href})

    @route("GET", BASE + "/{firewallPolicy}")
    def get(self, call: Call) -> dict:
        """One policy; 404 if unknown (or in another data center)."""
        with self.ctx.call(call) as tx:
            return self._shown(call, tx.db, [self._find(tx.db, tx.alias, call.path)])[0]

    @route("PUT", BASE + "/{firewallPolicy}", body=True)
    def update(self, call: Call) -> Reply:
        """Change `enabled`, `source`, `destination` and/or `ports` (members left out, or null, keep their
        value; the destination account is fixed): 204; 400 naming each bad field, nothing changed."""
        with self.ctx.call(call) as tx:
            row = self._find(tx.db, tx.alias, call.path)
            body = tx.body
            if not body.is_object:
                raise field_error("", "An object {enabled?, source?, destination?, ports?} is expected.")
            errors = Errors()
            changes: dict[str, Any] = {}
            for member, column in (("source", "source"), ("destination", "destination")):
                if body.has(member):
                    changes[column] = dumps(cidrs(body, member, errors, required=True))
            if body.has("ports"):
                changes["ports"] = dumps(_ports(body, errors))
            if body.has("enabled"):
                changes["enabled"] = int(bool(as_bool(body.get("enabled"), "enabled", errors)))
            errors.raise_if_any()
            if changes:
                sets = ", ".join(f"{column}=?" for column in changes)
                tx.db.execute(f"UPDATE firewall_policies SET {sets} WHERE id=?", [*changes.values(), row["id"]])
            return Reply(204)

    @route("DELETE", BASE + "/{firewallPolicy}")
    def delete(self, call: Call) -> Reply:
        """Delete a policy: 204."""
        with self.ctx.call(call) as tx:
            row = self._find(tx.db, tx.alias, call.path)
            tx.db.execute("DELETE FROM firewall_policies WHERE id=?", (row["id"],))
            return Reply(204)


# --- rules (the cross-data-center policies use them too) ----------------------------------------------------


def provisioning_status(ctx: Context, created: float, reads: int) -> str:
    """`pending` or `active` (`reads` counts the reads of the policy, this one included): one step of
    the job clock, as an "other" job takes it (time mode: 2 s at speed 1; polls mode: after
    `polls_per_step` reads)."""
    clock = ctx.clock
    if clock.settings.mode == "polls":
        done = reads > clock.settings.polls_per_step
    else:
        done = clock.is_due(created, DURATIONS["other"])
    return "active" if done else "pending"


def strings(body: Body, member: str, errors: Errors) -> list[str] | None:
    """A member holding a list of strings; a single string (a form field sent once) counts as a list
    of one. Reports a problem and returns None otherwise."""
    value = body.get(member)
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(v, str) for v in items):
        errors.add(member, f"The {member} field must be a list of strings.")
        return None
    return [v.strip() for v in items]


def cidrs(body: Body, member: str, errors: Errors, required: bool = False) -> list[str]:
    """A non-empty list of IPv4 networks in CIDR notation (`10.1.1.0/24`), kept as sent."""
    if not body.has(member):
        if required:
            errors.add(member, f"The {member} field is required.")
        return []
    items = strings(body, member, errors)
    if items is None:
        return []
    if not items:
        errors.add(member, f"The {member} field needs at least one CIDR.")
    for i, item in enumerate(items):
        if not is_cidr(item):
            errors.add(f"{member}[{i}]", f"'{item[:40]}' is not an IPv4 network in CIDR notation (10.1.1.0/24).")
    return items


def _ports(body: Body, errors: Errors) -> list[str]:
    """`any`, `icmp`, `tcp/N`, `udp/N`, `tcp/N-M` or `udp/N-M` (ports 1-65535), in lower case."""
    items = strings(body, "ports", errors)
    if items is None:
        return []
    if not items:
        errors.add("ports", "The ports field needs at least one entry (any, icmp, tcp/80, udp/1-600).")
    out = []
    for i, item in enumerate(items):
        text = item.lower()
        m = PORT_RE.match(text)
        low = int(m.group(3)) if m and m.group(3) else 1
        high = int(m.group(4)) if m and m.group(4) else low
        if not m or not (1 <= low <= high <= 65535):
            errors.add(f"ports[{i}]", f"'{item[:40]}' is not a port: use any, icmp, tcp/80, udp/53 or tcp/1-600.")
        out.append(text)
    return out


def account_alias(db: sqlite3.Connection, value: Any, member: str, errors: Errors) -> str:
    """The lower-case alias of an existing account named by `value`; reports a problem otherwise."""
    text = value if isinstance(value, str) else ""
    if not ALIAS_RE.match(text):
        errors.add(member, f"The {member} must be an account alias (letters and digits).")
        return ""
    if db.execute("SELECT 1 FROM users WHERE lower(alias)=?", (text.lower(),)).fetchone() is None:
        errors.add(member, f"The account '{text}' does not exist.")
    return text.lower()


# --- representations --------------------------------------------------------------------------------------


def policy_href(base_url: str, alias: str, dc: str, policy_id: str) -> str:
    return f"{base_url}/v2-experimental/firewallPolicies/{alias.lower()}/{dc.lower()}/{policy_id}"


def _self_link(href: str) -> dict:
    return link("self", href, verbs=["GET", "PUT", "DELETE"])


def firewall_policy(row: sqlite3.Row, status: str, base_url: str) -> dict:
    """`{id, status, enabled, source, destination, destinationAccount, ports, links}` of one policy."""
    return {
        "id": row["id"],
        "status": status,
        "enabled": bool(row["enabled"]),
        "source": json.loads(row["source"]),
        "destination": json.loads(row["destination"]),
        "destinationAccount": row["destination_account"],
        "ports": json.loads(row["ports"]),
        "links": [_self_link(policy_href(base_url, row["alias"], row["dc"], row["id"]))],
    }
