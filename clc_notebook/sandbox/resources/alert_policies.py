"""Alert policies: list, get, create, replace, delete; applied to servers and removed from them.

A policy e-mails its recipients when a metric (cpu, memory, disk) stays at or above a threshold for a
while. Servers show the policies applied to them in `details.alertPolicies`, each with the
`alertPolicyMap` link that removes it (a servers add-on).
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Sequence
from typing import Any

from ..common import Reply, dumps, new_hex_id
from ..context import Context
from ..errors import NotFound, field_error
from ..handling import Call
from ..registry import route
from ..shapes import link
from ..validation import Body, Errors, as_list, as_str
from .servers import ServerExtras, Servers

METRICS = ("cpu", "memory", "disk")
DURATIONS = ("00:05:00", "00:10:00", "00:15:00")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AlertPolicies:
    """The account's alert policies and the servers they are applied to."""

    name = "alert_policies"
    tables = {
        "alert_policies": "id TEXT PRIMARY KEY, alias TEXT NOT NULL, name TEXT NOT NULL, actions TEXT NOT NULL,"
        " triggers TEXT NOT NULL, position INTEGER NOT NULL",
        "alert_policy_servers": "server_id TEXT NOT NULL, policy_id TEXT NOT NULL, position INTEGER NOT NULL,"
        " PRIMARY KEY (server_id, policy_id)",
    }

    def __init__(self, ctx: Context, servers: Servers) -> None:
        self.ctx = ctx
        self.servers = servers
        servers.add_on(self)

    @staticmethod
    def find(db: sqlite3.Connection, alias: str, policy_id: str) -> sqlite3.Row:
        """The account's alert policy `policy_id`; 404 if it has none such."""
        row = db.execute("SELECT * FROM alert_policies WHERE id=?", (str(policy_id).lower(),)).fetchone()
        if row is None or row["alias"] != alias:
            raise NotFound()
        return row

    # --- as an add-on of servers -----------------------------------------------------------------------

    def server_extras(self, db: sqlite3.Connection, rows: Sequence[sqlite3.Row]) -> dict[str, ServerExtras]:
        """`details.alertPolicies` of the servers with policies applied: `{id, name, links}` each."""
        by_id = {r["id"]: r for r in rows}
        out: dict[str, ServerExtras] = {}
        for m in db.execute(
            "SELECT m.server_id, p.* FROM alert_policy_servers m JOIN alert_policies p ON p.id = m.policy_id"
            " ORDER BY m.position"
        ):
            server = by_id.get(m["server_id"])
            if server is None:
                continue
            extras = out.setdefault(server["id"], ServerExtras(details={"alertPolicies": []}))
            extras.details["alertPolicies"].append(applied(m, server))
        return out

    def server_dropped(self, db: sqlite3.Connection, server_id: str) -> None:
        db.execute("DELETE FROM alert_policy_servers WHERE server_id=?", (server_id,))

    # --- the policies ---------------------------------------------------------------------------------

    @route("GET", "/v2/alertPolicies/{alias}")
    def list_all(self, call: Call) -> dict:
        """`{items, links}`: every alert policy of the account, oldest first."""
        with self.ctx.call(call) as tx:
            rows = tx.db.execute("SELECT * FROM alert_policies WHERE alias=? ORDER BY position", (tx.alias,)).fetchall()
            a = tx.alias.lower()
            return {
                "items": [policy(r) for r in rows],
                "links": [link("self", f"/v2/alertPolicies/{a}", verbs=["GET", "POST"])],
            }

    @route("POST", "/v2/alertPolicies/{alias}", body=True)
    def create(self, call: Call) -> Reply:
        """`{name, actions, triggers}` -> 201 + Location, the new policy; 400 naming every bad field."""
        with self.ctx.call(call) as tx:
            name, actions, triggers = _checked(tx.body)
            policy_id = new_hex_id(tx.db, "alertPolicy")
            position = tx.db.execute("SELECT COALESCE(MAX(position), 0) + 1 FROM alert_policies").fetchone()[0]
            tx.db.execute(
                "INSERT INTO alert_policies VALUES (?,?,?,?,?,?)",
                (policy_id, tx.alias, name, dumps(actions), dumps(triggers), position),
            )
            row = self.find(tx.db, tx.alias, policy_id)
            return Reply(201, policy(row), {"Location": _href(row)})

    @route("GET", "/v2/alertPolicies/{alias}/{policy}")
    def get(self, call: Call) -> dict:
        """One alert policy; 404 if unknown."""
        with self.ctx.call(call) as tx:
            return policy(self.find(tx.db, tx.alias, call.path["policy"]))

    @route("PUT", "/v2/alertPolicies/{alias}/{policy}", body=True)
    def update(self, call: Call) -> dict:
        """Replace a policy's name, actions and triggers (the same rules as create): 200, the policy."""
        with self.ctx.call(call) as tx:
            row = self.find(tx.db, tx.alias, call.path["policy"])
            body = tx.body
            if body.has("id") and str(body.get("id")).lower() != row["id"]:
                raise field_error("id", "The id in the body is not the id in the path.")
            name, actions, triggers = _checked(body)
            tx.db.execute(
                "UPDATE alert_policies SET name=?, actions=?, triggers=? WHERE id=?",
                (name, dumps(actions), dumps(triggers), row["id"]),
            )
            return policy(self.find(tx.db, tx.alias, row["id"]))

    @route("DELETE", "/v2/alertPolicies/{alias}/{policy}")
    def delete(self, call: Call) -> Reply:
        """Delete a policy (servers it was applied to lose it): 204."""
        with self.ctx.call(call) as tx:
            row = self.find(tx.db, tx.alias, call.path["policy"])
            tx.db.execute("DELETE FROM alert_policy_servers WHERE policy_id=?", (row["id"],))
            tx.db.execute("DELETE FROM alert_policies WHERE id=?", (row["id"],))
            return Reply(204)

    # --- applied to servers ---------------------------------------------------------------------------

    @route("POST", "/v2/servers/{alias}/{server}/alertPolicies", body=True)
    def apply(self, call: Call) -> dict:
        """Apply the policy `{id}` to a server: 200 `{id, links: [self (DELETE)]}` (again: the same)."""
        with self.ctx.call(call) as tx:
            server = self.servers.find(tx.db, tx.alias, call.path["server"])
            if not tx.body.is_object:
                raise field_error("", "A JSON object {id} is expected.")
            errors = Errors()
            pid = as_str(tx.body.get("id"), "id", errors, required=True, max_len=64)
            errors.raise_if_any()
            try:
                row = self.find(tx.db, tx.alias, str(pid))
            except NotFound:
                raise field_error("id", f"The alert policy {pid} does not exist.") from None
            position = tx.db.execute("SELECT COALESCE(MAX(position), 0) + 1 FROM alert_policy_servers").fetchone()[0]
            tx.db.execute(
                "INSERT OR IGNORE INTO alert_policy_servers VALUES (?,?,?)", (server["id"], row["id"], position)
            )
            return {"id": row["id"], "links": [link("self", _map_href(server, row["id"]), verbs=["DELETE"])]}

    @route("DELETE", "/v2/servers/{alias}/{server}/alertPolicies/{policy}")
    def remove(self, call: Call) -> Reply:
        """Remove a policy from a server: 204; 404 when it is not applied to it."""
        with self.ctx.call(call) as tx:
            server = self.servers.find(tx.db, tx.alias, call.path["server"])
            gone = tx.db.execute(
                "DELETE FROM alert_policy_servers WHERE server_id=? AND policy_id=?",
                (server["id"], call.path["policy"].lower()),
            ).rowcount
            if not gone:
                raise NotFound()
            return Reply(204)


def _checked(body: Body) -> tuple[str, list[dict], list[dict]]:
    """name, actions and triggers of a create/replace body; 400 naming every bad field."""
    if not body.is_object:
        raise field_error("", "A JSON object {name, actions, triggers} is expected.")
    errors = Errors()
    name = as_str(body.get("name"), "name", errors, required=True, max_len=100)
    if name is not None and not name.strip():
        errors.add("name", "The name field is required.")
    actions = _actions(body.get("actions"), errors)
    triggers = _triggers(body.get("triggers"), errors)
    errors.raise_if_any()
    assert name is not None
    return name, actions, triggers


def _actions(value: Any, errors: Errors) -> list[dict]:
    out: list[dict] = []
    if value is None:
        errors.add("actions", "The actions field is required.")
        return out
    items = as_list(value, "actions", errors)
    if items is not None and not items:
        errors.add("actions", "At least one action is required.")
    for i, item in enumerate(items or []):
        entry, where = Body(item), f"actions[{i}]"
        if not entry.is_object:
            errors.add(where, "Each action must be an object {action, settings: {recipients}}.")
            continue
        if str(entry.get("action", "")).lower() != "email":
            errors.add(f"{where}.action", "The only action is email.")
            continue
        recipients = as_list(Body(entry.get("settings")).get("recipients"), f"{where}.settings.recipients", errors)
        if recipients is None:
            continue
        if not recipients:
            errors.add(f"{where}.settings.recipients", "At least one recipient is required.")
        bad = [r for r in recipients if not isinstance(r, str) or not EMAIL.fullmatch(r)]
        if bad:
            errors.add(f"{where}.settings.recipients", f"Not an e-mail address: {str(bad[0])[:60]}.")
            continue
        out.append({"action": "email", "settings": {"recipients": list(recipients)}})
    return out


def _triggers(value: Any, errors: Errors) -> list[dict]:
    out: list[dict] = []
    if value is None:
        errors.add("triggers", "The triggers field is required.")
        return out
    items = as_list(value, "triggers", errors)
    if items is not None and not items:
        errors.add("triggers", "At least one trigger is required.")
    for i, item in enumerate(items or []):
        entry, where = Body(item), f"triggers[{i}]"
        if not entry.is_object:
            errors.add(where, "Each trigger must be an object {metric, duration, threshold}.")
            continue
        metric = str(entry.get("metric", "")).lower()
        if metric not in METRICS:
            errors.add(f"{where}.metric", f"The metric must be one of {', '.join(METRICS)}.")
        duration = str(entry.get("duration", ""))
        if duration not in DURATIONS:
            errors.add(f"{where}.duration", f"The duration must be one of {', '.join(DURATIONS)}.")
        threshold = _threshold(entry.get("threshold"), f"{where}.threshold", errors)
        if metric in METRICS and duration in DURATIONS and threshold is not None:
            out.append({"metric": metric, "duration": duration, "threshold": threshold})
    return out


def _threshold(value: Any, field: str, errors: Errors) -> float | None:
    """A percentage from 5 to 95, a multiple of 5, as a float (production answered 80.0 to 80)."""
    number: int | float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str):
        try:
            number = float(value) if "." in value else int(value)
        except ValueError:
            number = None
    if number is None or number != number:  # missing, not a number, NaN
        errors.add(field, "The threshold must be a number.")
        return None
    if not 5 <= number <= 95 or number % 5:
        errors.add(field, "The threshold must be between 5.0 and 95.0 and a multiple of 5.0.")
        return None
    return float(number)


def _href(row: sqlite3.Row) -> str:
    return f"/v2/alertPolicies/{row['alias'].lower()}/{row['id']}"


def _map_href(server: sqlite3.Row, policy_id: str) -> str:
    return f"/v2/servers/{server['alias'].lower()}/{server['id']}/alertPolicies/{policy_id}"


# --- representations -----------------------------------------------------------------------------------


def policy(row: sqlite3.Row) -> dict:
    """An alert policy: `{id, name, actions, links: [self], triggers}` (the recorded key order)."""
    return {
        "id": row["id"],
        "name": row["name"],
        "actions": json.loads(row["actions"]),
        "links": [link("self", _href(row), verbs=["GET", "DELETE", "PUT"])],
        "triggers": json.loads(row["triggers"]),
    }


def applied(row: sqlite3.Row, server: sqlite3.Row) -> dict:
    """A policy as a server's `details.alertPolicies` lists it."""
    return {
        "id": row["id"],
        "name": row["name"],
        "links": [link("self", _href(row)), link("alertPolicyMap", _map_href(server, row["id"]), verbs=["DELETE"])],
    }
