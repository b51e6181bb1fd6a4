"""Vertical (CPU) autoscale policies: list and get (they are made in the Control Portal, so the API only
reads them: each account starts with three), and the policy of a server (`cpuAutoscalePolicyId` when
it is created, or its `cpuAutoscalePolicyMapping` link: GET, PUT, DELETE).

The sandbox stores which policy a server follows and shows it in `details.cpuAutoscalePolicy`; it does
not scale anything.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from .. import fixtures
from ..common import Reply
from ..context import Context
from ..errors import NotFound, field_error
from ..handling import Call
from ..registry import route
from ..shapes import link
from ..validation import Body, Errors, as_str
from .servers import Finisher, NewServer, ServerExtras, Servers

# name, thresholdPeriodMinutes, scaleUpIncrement, min CPU, max CPU, scale up %, scale down %, window
SEEDED = (
    ("Production Database Scale Policy", 5, 1, 2, 6, 85, 15, ("02:00", "04:00")),
    ("Web Tier Burst", 10, 2, 2, 8, 80, 20, ("00:00", "02:00")),
    ("Batch Workers", 30, 4, 4, 16, 90, 10, ("22:00", "23:00")),
)


class AutoscalePolicies:
    """The account's CPU autoscale policies and the servers that follow them."""

    name = "autoscale_policies"
    tables = {
        "autoscale_policies": "id TEXT PRIMARY KEY, alias TEXT NOT NULL, name TEXT NOT NULL,"
        " period INTEGER NOT NULL, increment INTEGER NOT NULL, min_cpu INTEGER NOT NULL, max_cpu INTEGER NOT NULL,"
        " up INTEGER NOT NULL, down INTEGER NOT NULL, window_start TEXT NOT NULL, window_end TEXT NOT NULL,"
        " position INTEGER NOT NULL",
        "autoscale_servers": "server_id TEXT PRIMARY KEY, policy_id TEXT NOT NULL",
    }

    def __init__(self, ctx: Context, servers: Servers) -> None:
        self.ctx = ctx
        self.servers = servers
        servers.add_on(self)
        servers.on_create(self._on_create)

    def seed(self, db: sqlite3.Connection) -> None:
        """`seed_account` for every account there is."""
        for (alias,) in db.execute("SELECT DISTINCT alias FROM users").fetchall():
            self.seed_account(db, alias)

    def seed_account(self, db: sqlite3.Connection, alias: str) -> None:
        """Three policies per account (ids derived from the alias, so every sandbox has the same)."""
        for pos, (name, period, increment, low, high, up, down, (start, end)) in enumerate(SEEDED):
            db.execute(
                "INSERT OR IGNORE INTO autoscale_policies VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    fixtures.hex_id(alias, "autoscale", pos),
                    alias,
                    name,
                    period,
                    increment,
                    low,
                    high,
                    up,
                    down,
                    start,
                    end,
                    pos,
                ),
            )

    @staticmethod
    def find(db: sqlite3.Connection, alias: str, policy_id: str) -> sqlite3.Row:
        """The account's autoscale policy `policy_id`; 404 if it has none such."""
        row = db.execute("SELECT * FROM autoscale_policies WHERE id=?", (str(policy_id).lower(),)).fetchone()
        if row is None or row["alias"] != alias:
            raise NotFound()
        return row

    def _policy_for(
        self, db: sqlite3.Connection, alias: str, value: object, field: str, errors: Errors
    ) -> sqlite3.Row | None:
        pid = as_str(value, field, errors, max_len=64, required=field == "id")
        if not pid:
            return None
        try:
            return self.find(db, alias, pid)
        except NotFound:
            errors.add(field, f"The autoscale policy {pid} does not exist.")
            return None

    def _on_create(self, db: sqlite3.Connection, new: NewServer, body: Body, errors: Errors) -> Finisher | None:
        """Create Server's `cpuAutoscalePolicyId` (clc-sdk sends it): an existing policy of the account."""
        policy = self._policy_for(db, new.alias, body.get("cpuAutoscalePolicyId"), "cpuAutoscalePolicyId", errors)
        if policy is None:
            return None
        return lambda db, sid: self._assign(db, sid, policy["id"])

    @staticmethod
    def _assign(db: sqlite3.Connection, server_id: str, policy_id: str) -> None:
        db.execute("INSERT OR REPLACE INTO autoscale_servers VALUES (?, ?)", (server_id, policy_id))

    # --- as an add-on of servers -----------------------------------------------------------------------

    def server_extras(self, db: sqlite3.Connection, rows: Sequence[sqlite3.Row]) -> dict[str, ServerExtras]:
        """`details.cpuAutoscalePolicy` `{id, links: [self]}` of the servers that follow one."""
        ids = {r["id"] for r in rows}
        found = db.execute(
            "SELECT m.server_id, p.id, p.alias FROM autoscale_servers m JOIN autoscale_policies p ON p.id = m.policy_id"
        ).fetchall()
        return {
            f["server_id"]: ServerExtras(
                details={"cpuAutoscalePolicy": {"id": f["id"], "links": [link("self", _href(f))]}}
            )
            for f in found
            if f["server_id"] in ids
        }

    def server_dropped(self, db: sqlite3.Connection, server_id: str) -> None:
        db.execute("DELETE FROM autoscale_servers WHERE server_id=?", (server_id,))

    # --- routes -----------------------------------------------------------------------------------------

    @route("GET", "/v2/autoscalePolicies/{alias}")
    def list_all(self, call: Call) -> list[dict]:
        """Every autoscale policy of the account (a bare array, as recorded)."""
        with self.ctx.call(call) as tx:
            rows = tx.db.execute(
                "SELECT * FROM autoscale_policies WHERE alias=? ORDER BY position", (tx.alias,)
            ).fetchall()
            return [policy(r) for r in rows]

    @route("GET", "/v2/autoscalePolicies/{alias}/{policy}")
    def get(self, call: Call) -> dict:
        """One autoscale policy; 404 if unknown."""
        with self.ctx.call(call) as tx:
            return policy(self.find(tx.db, tx.alias, call.path["policy"]))

    @route("GET", "/v2/servers/{alias}/{server}/cpuAutoscalePolicy")
    def server_policy(self, call: Call) -> dict:
        """`{id, links}` of the server's policy; 404 with an empty body when it follows none."""
        with self.ctx.call(call) as tx:
            server = self.servers.find(tx.db, tx.alias, call.path["server"])
            mapped = tx.db.execute(
                "SELECT policy_id FROM autoscale_servers WHERE server_id=?", (server["id"],)
            ).fetchone()
            if mapped is None:
                raise NotFound(empty=True)  # as recorded: a 404 without a body
            return _mapping(mapped["policy_id"], call)

    @route("PUT", "/v2/servers/{alias}/{server}/cpuAutoscalePolicy", body=True)
    def set_server_policy(self, call: Call) -> dict:
        """Make a server follow the policy `{id}`: 200 `{id, links}`; 400 naming `id` if unknown."""
        with self.ctx.call(call) as tx:
            server = self.servers.find(tx.db, tx.alias, call.path["server"])
            if not tx.body.is_object:
                raise field_error("", "A JSON object {id} is expected.")
            errors = Errors()
            found = self._policy_for(tx.db, tx.alias, tx.body.get("id"), "id", errors)
            errors.raise_if_any()
            assert found is not None  # an absent id was reported as required
            self._assign(tx.db, server["id"], found["id"])
            return _mapping(found["id"], call)

    @route("DELETE", "/v2/servers/{alias}/{server}/cpuAutoscalePolicy")
    def clear_server_policy(self, call: Call) -> Reply:
        """Stop autoscaling a server: 204, also when it follows none (production answered so)."""
        with self.ctx.call(call) as tx:
            server = self.servers.find(tx.db, tx.alias, call.path["server"])
            tx.db.execute("DELETE FROM autoscale_servers WHERE server_id=?", (server["id"],))
            return Reply(204)


def _href(row: sqlite3.Row) -> str:
    return f"/v2/autoscalePolicies/{row['alias'].lower()}/{row['id']}"


def policy(row: sqlite3.Row) -> dict:
    """A vertical autoscale policy as the API shows it."""
    return {
        "id": row["id"],
        "name": row["name"],
        "resourceType": "cpu",
        "thresholdPeriodMinutes": row["period"],
        "scaleUpIncrement": row["increment"],
        "range": {"max": row["max_cpu"], "min": row["min_cpu"]},
        "scaleUpThreshold": row["up"],
        "scaleDownThreshold": row["down"],
        "scaleDownWindow": {"start": row["window_start"], "end": row["window_end"]},
        "links": [link("self", _href(row))],
    }


def _mapping(policy_id: str, call: Call) -> dict:
    """A server's policy as its `cpuAutoscalePolicyMapping` link answers: the self link is the path as
    the request wrote it (recorded: `/v2/servers/ALTD/GB1ALTDSRV101/...` for a request written so)."""
    href = f"/v2/servers/{call.path['alias']}/{call.path['server']}/cpuAutoscalePolicy"
    return {"id": policy_id, "links": [link("self", href)]}
