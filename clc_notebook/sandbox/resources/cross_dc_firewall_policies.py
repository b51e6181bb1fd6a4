"""Cross-data-center firewall policies (v2-experimental): `/v2-experimental/crossDcFirewallPolicies/{alias}/{dc}`.

A policy lets traffic from a `sourceCidr` in the path's data center reach a `destinationCidr` of an
account (`destinationAccountId`) in another data center (`destinationLocationId`). Created `pending`
and provisioned like the intra-data-center policies (resources/firewall_policies.py), whose rules it
shares. Update takes only `?enabled=true|false` (the documented call has no body); hrefs are
root-relative, as documented.
"""

from __future__ import annotations

import sqlite3

from ..common import Reply, new_hex_id
from ..context import Context
from ..errors import NotFound, field_error
from ..handling import Call
from ..registry import route
from ..shapes import link
from ..validation import Errors, as_bool, as_str, is_cidr
from .datacenters import Datacenters
from .firewall_policies import account_alias, provisioning_status

BASE = "/v2-experimental/crossDcFirewallPolicies/{alias}/{dc}"


class CrossDcFirewallPolicies:
    """Firewall policies from one data center to another."""

    name = "cross_dc_firewall_policies"
    tables = {
        "cross_dc_firewall_policies": "id TEXT PRIMARY KEY, alias TEXT NOT NULL, dc TEXT NOT NULL,"
        " source_cidr TEXT NOT NULL, destination_account TEXT NOT NULL, destination_dc TEXT NOT NULL,"
        " destination_cidr TEXT NOT NULL, enabled INTEGER NOT NULL, created REAL NOT NULL,"
        " reads INTEGER NOT NULL DEFAULT 0, position INTEGER NOT NULL",
    }

    def __init__(self, ctx: Context, datacenters: Datacenters) -> None:
        self.ctx = ctx
        self.datacenters = datacenters

    def _find(self, db: sqlite3.Connection, alias: str, path: dict[str, str]) -> sqlite3.Row:
        dc = self.datacenters.find(db, path["dc"])["id"]
        row = db.execute(
            "SELECT * FROM cross_dc_firewall_policies WHERE id=? AND alias=? AND dc=?",
            (path["crossDcFirewallPolicy"].lower(), alias, dc),
        ).fetchone()
        if row is None:
            raise NotFound()
        return row

    def _shown(self, db: sqlite3.Connection, rows: list[sqlite3.Row]) -> list[dict]:
        """The representation of policies being read (each read counts for its provisioning status)."""
        out = []
        for row in rows:
            reads = row["reads"] + 1
            db.execute("UPDATE cross_dc_firewall_policies SET reads=? WHERE id=?", (reads, row["id"]))
            out.append(cross_dc_policy(row, provisioning_status(self.ctx, row["created"], reads)))
        return out

    @route("GET", BASE)
    def list_all(self, call: Call) -> list[dict]:
        """The account's cross-data-center policies from a data center; `?destinationAccountId=` filters."""
        with self.ctx.call(call) as tx:
            dc = self.datacenters.find(tx.db, call.path["dc"])["id"]
            rows = tx.db.execute(
                "SELECT * FROM cross_dc_firewall_policies WHERE alias=? AND dc=? ORDER BY position", (tx.alias, dc)
            ).fetchall()
            wanted = call.query.get("destinationaccountid", "").strip().lower()
            if wanted:
                rows = [r for r in rows if r["destination_account"] == wanted]
            return self._shown(tx.db, rows)

    @route("POST", BASE, body=True)
    def create(self, call: Call) -> Reply:
        """Create a policy: 201 + Location + the policy (`pending`); 400 naming each bad field."""
        with self.ctx.call(call) as tx:
            db, body = tx.db, tx.body
            dc = self.datacenters.find(db, call.path["dc"])["id"]
            if not body.is_object:
                raise field_error(
                    "",
                    "An object {destinationAccountId, destinationLocationId, destinationCidr, sourceCidr, enabled}"
                    " is expected.",
                )
            errors = Errors()
            account = account_alias(db, body.get("destinationAccountId"), "destinationAccountId", errors)
            where = as_str(
                body.get("destinationLocationId"), "destinationLocationId", errors, required=True, max_len=10
            )
            target = db.execute("SELECT id FROM datacenters WHERE id=?", ((where or "").lower(),)).fetchone()
            if where and target is None:
                errors.add("destinationLocationId", f"The data center '{where}' does not exist.")
            elif target is not None and target["id"] == dc:
                errors.add(
                    "destinationLocationId", "The destination must be another data center (use firewallPolicies)."
                )
            cidrs = {}
            for member in ("sourceCidr", "destinationCidr"):
                cidrs[member] = as_str(body.get(member), member, errors, required=True, max_len=50)
                if cidrs[member] and not is_cidr(cidrs[member]):
                    errors.add(member, f"'{cidrs[member]}' is not an IPv4 network in CIDR notation (10.1.1.0/24).")
            enabled = None
            if body.has("enabled"):
                enabled = as_bool(body.get("enabled"), "enabled", errors)
            else:
                errors.add("enabled", "The enabled field is required.")
            errors.raise_if_any()
            policy_id = new_hex_id(db, "crossDcFirewallPolicy")
            position = db.execute("SELECT COALESCE(MAX(position), 0) + 1 FROM cross_dc_firewall_policies").fetchone()[0]
            db.execute(
                "INSERT INTO cross_dc_firewall_policies (id, alias, dc, source_cidr, destination_account,"
                " destination_dc, destination_cidr, enabled, created, reads, position) VALUES (?,?,?,?,?,?,?,?,?,1,?)",
                (
                    policy_id,
                    tx.alias,
                    dc,
                    cidrs["sourceCidr"],
                    account,
                    target["id"],
                    cidrs["destinationCidr"],
                    int(bool(enabled)),
                    tx.now(),
                    position,
                ),
            )
            row = db.execute("SELECT * FROM cross_dc_firewall_policies WHERE id=?", (policy_id,)).fetchone()
            shaped = cross_dc_policy(row, "pending")  # the answer counts as the policy's first read
            return Reply(201, shaped, {"Location": shaped["links"][0]["href"]})

    @route("GET", BASE + "/{crossDcFirewallPolicy}")
    def get(self, call: Call) -> dict:
        """One policy; 404 if unknown (or from another data center)."""
        with self.ctx.call(call) as tx:
            return self._shown(tx.db, [self._find(tx.db, tx.alias, call.path)])[0]

    @route("PUT", BASE + "/{crossDcFirewallPolicy}")
    def update(self, call: Call) -> Reply:
        """Enable or disable a policy (`?enabled=true|false`): 204; 400 naming `enabled`."""
        with self.ctx.call(call) as tx:
            row = self._find(tx.db, tx.alias, call.path)
            errors = Errors(prefix="")
            value = call.query.get("enabled")
            enabled = as_bool(value, "enabled", errors) if value is not None else None
            if value is None:
                errors.add("enabled", "The enabled query parameter (true or false) is required.")
            errors.raise_if_any()
            tx.db.execute("UPDATE cross_dc_firewall_policies SET enabled=? WHERE id=?", (int(bool(enabled)), row["id"]))
            return Reply(204)

    @route("DELETE", BASE + "/{crossDcFirewallPolicy}")
    def delete(self, call: Call) -> Reply:
        """Delete a policy: 204."""
        with self.ctx.call(call) as tx:
            row = self._find(tx.db, tx.alias, call.path)
            tx.db.execute("DELETE FROM cross_dc_firewall_policies WHERE id=?", (row["id"],))
            return Reply(204)


# --- representation ---------------------------------------------------------------------------------------


def cross_dc_policy(row: sqlite3.Row, status: str) -> dict:
    """`{id, status, enabled, sourceCidr, sourceAccount, sourceLocation, destinationCidr,
    destinationAccount, destinationLocation, links}` of one policy."""
    a = row["alias"].lower()
    return {
        "id": row["id"],
        "status": status,
        "enabled": bool(row["enabled"]),
        "sourceCidr": row["source_cidr"],
        "sourceAccount": a,
        "sourceLocation": row["dc"],
        "destinationCidr": row["destination_cidr"],
        "destinationAccount": row["destination_account"],
        "destinationLocation": row["destination_dc"],
        "links": [
            link(
                "self",
                f"/v2-experimental/crossDcFirewallPolicies/{a}/{row['dc']}/{row['id']}",
                verbs=["GET", "PUT", "DELETE"],
            )
        ],
    }
