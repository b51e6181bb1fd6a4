"""Shared load balancers of a data center, their pools and each pool's nodes (`/v2/sharedLoadBalancers`).

All synchronous, as recorded: Create answers 200 with the new load balancer (or pool), updates and
deletes answer 204 with an empty body. A load balancer gets a public virtual IP when it is created;
a pool listens on 80 or 443 and forwards to its nodes, which are `{ipAddress, privatePort, status}`
entries (normally the private IPs of the account's servers; like the real API, any IPv4 address is
taken). Nodes are replaced as a whole list (`PUT .../nodes`); a node sent with status `deleted` is
dropped from the list.
"""

from __future__ import annotations

import ipaddress
import json
import sqlite3
from typing import Any

from .. import fixtures
from ..common import Reply, dumps, new_hex_id
from ..context import Context
from ..errors import NotFound, field_error
from ..handling import Call
from ..registry import route
from ..shapes import link
from ..validation import Body, Errors, as_int, as_str, is_ipv4
from .datacenters import Datacenters

VIP_NET = ipaddress.IPv4Network("64.94.0.0/16")  # virtual IPs of shared load balancers
LB_STATUSES = ("enabled", "disabled")
NODE_STATUSES = ("enabled", "disabled", "deleted")
POOL_PORTS = (80, 443)
METHODS = ("roundRobin", "leastConnection")
PERSISTENCES = ("standard", "sticky")
BASE = "/v2/sharedLoadBalancers/{alias}/{dc}"


class LoadBalancers:
    """Shared load balancers, pools and nodes."""

    name = "load_balancers"
    tables = {
        "load_balancers": "id TEXT PRIMARY KEY, alias TEXT NOT NULL, dc TEXT NOT NULL, name TEXT NOT NULL,"
        " description TEXT NOT NULL, ip TEXT NOT NULL, status TEXT NOT NULL, position INTEGER NOT NULL",
        "lb_pools": "id TEXT PRIMARY KEY, lb_id TEXT NOT NULL, port INTEGER NOT NULL, method TEXT NOT NULL,"
        " persistence TEXT NOT NULL, nodes TEXT NOT NULL DEFAULT '[]', position INTEGER NOT NULL",
    }

    def __init__(self, ctx: Context, datacenters: Datacenters) -> None:
        self.ctx = ctx
        self.datacenters = datacenters

    def drop_account(self, db: sqlite3.Connection, alias: str) -> None:
        """An account goes (a classroom's account reset): the pools of its load balancers, which have no alias
        (the load balancers themselves go with every row keyed by the alias)."""
        db.execute("DELETE FROM lb_pools WHERE lb_id IN (SELECT id FROM load_balancers WHERE alias=?)", (alias,))

    # --- lookups ----------------------------------------------------------------------------------------

    def _find(self, db: sqlite3.Connection, alias: str, path: dict[str, str]) -> sqlite3.Row:
        """The load balancer named by the path (its data center too); 404 if the account has none such."""
        dc = self.datacenters.find(db, path["dc"])["id"]
        row = db.execute(
            "SELECT * FROM load_balancers WHERE id=? AND alias=? AND dc=?", (path["loadBalancer"].lower(), alias, dc)
        ).fetchone()
        if row is None:
            raise NotFound()
        return row

    def _find_pool(self, db: sqlite3.Connection, alias: str, path: dict[str, str]) -> tuple[sqlite3.Row, sqlite3.Row]:
        """The load balancer and the pool named by the path; 404 if either is unknown."""
        lb = self._find(db, alias, path)
        pool = db.execute("SELECT * FROM lb_pools WHERE id=? AND lb_id=?", (path["pool"].lower(), lb["id"])).fetchone()
        if pool is None:
            raise NotFound()
        return lb, pool

    @staticmethod
    def _pools(db: sqlite3.Connection, lb_id: str) -> list[sqlite3.Row]:
        return db.execute("SELECT * FROM lb_pools WHERE lb_id=? ORDER BY position", (lb_id,)).fetchall()

    @staticmethod
    def _next_position(db: sqlite3.Connection, table: str) -> int:
        return int(db.execute(f"SELECT COALESCE(MAX(position), 0) + 1 FROM {table}").fetchone()[0])

    # --- load balancers ---------------------------------------------------------------------------------

    @route("GET", BASE)
    def list_all(self, call: Call) -> list[dict]:
        """The account's load balancers in a data center, oldest first, pools and nodes embedded."""
        with self.ctx.call(call) as tx:
            dc = self.datacenters.find(tx.db, call.path["dc"])["id"]
            rows = tx.db.execute(
                "SELECT * FROM load_balancers WHERE alias=? AND dc=? ORDER BY position", (tx.alias, dc)
            ).fetchall()
            return [load_balancer(r, self._pools(tx.db, r["id"])) for r in rows]

    @route("POST", BASE, body=True)
    def create(self, call: Call) -> dict:
        """Create a load balancer: 200 with it (no pools yet); 400 naming each bad field."""
        with self.ctx.call(call) as tx:
            db = tx.db
            dc = self.datacenters.find(db, call.path["dc"])["id"]
            body = _object(tx.body, "{name, description, status?}")
            errors = Errors()
            name = _name(body, errors)
            description = as_str(body.get("description"), "description", errors, max_len=1000) or ""
            status = _choice(body, "status", LB_STATUSES, errors, default="enabled")
            errors.raise_if_any()
            lb_id = new_hex_id(db, "loadBalancer")
            db.execute(
                "INSERT INTO load_balancers VALUES (?,?,?,?,?,?,?,?)",
                (
                    lb_id,
                    tx.alias,
                    dc,
                    name,
                    description,
                    self._next_vip(db),
                    status,
                    self._next_position(db, "load_balancers"),
                ),
            )
            row = db.execute("SELECT * FROM load_balancers WHERE id=?", (lb_id,)).fetchone()
            return load_balancer(row, [])

    @staticmethod
    def _next_vip(db: sqlite3.Connection) -> str:
        row = db.execute("SELECT value FROM meta WHERE key='lb_vip_next'").fetchone()
        ip, counter = fixtures.ip_at(VIP_NET, int(row[0]) if row else 10)
        db.execute("INSERT OR REPLACE INTO meta VALUES ('lb_vip_next', ?)", (str(counter),))
        return ip

    @route("GET", BASE + "/{loadBalancer}")
    def get(self, call: Call) -> dict:
        """One load balancer with its pools and nodes; 404 if unknown (or in another data center)."""
        with self.ctx.call(call) as tx:
            row = self._find(tx.db, tx.alias, call.path)
            return load_balancer(row, self._pools(tx.db, row["id"]))

    @route("PUT", BASE + "/{loadBalancer}", body=True)
    def update(self, call: Call) -> Reply:
        """Replace name and description (both required) and, when given, the status: 204."""
        with self.ctx.call(call) as tx:
            row = self._find(tx.db, tx.alias, call.path)
            body = _object(tx.body, "{name, description, status?}")
            errors = Errors()
            name = _name(body, errors)
            description = as_str(body.get("description"), "description", errors, max_len=1000) or ""
            status = _choice(body, "status", LB_STATUSES, errors, default=row["status"])
            errors.raise_if_any()
            tx.db.execute(
                "UPDATE load_balancers SET name=?, description=?, status=? WHERE id=?",
                (name, description, status, row["id"]),
            )
            return Reply(204)

    @route("DELETE", BASE + "/{loadBalancer}")
    def delete(self, call: Call) -> Reply:
        """Delete a load balancer with its pools: 204."""
        with self.ctx.call(call) as tx:
            row = self._find(tx.db, tx.alias, call.path)
            tx.db.execute("DELETE FROM lb_pools WHERE lb_id=?", (row["id"],))
            tx.db.execute("DELETE FROM load_balancers WHERE id=?", (row["id"],))
            return Reply(204)

    # --- pools ------------------------------------------------------------------------------------------

    @route("GET", BASE + "/{loadBalancer}/pools")
    def list_pools(self, call: Call) -> list[dict]:
        """The pools of a load balancer, oldest first."""
        with self.ctx.call(call) as tx:
            lb = self._find(tx.db, tx.alias, call.path)
            return [pool(lb, p) for p in self._pools(tx.db, lb["id"])]

    @route("POST", BASE + "/{loadBalancer}/pools", body=True)
    def create_pool(self, call: Call) -> dict:
        """Create a pool on port 80 or 443 (one per port): 200 with it (no nodes yet)."""
        with self.ctx.call(call) as tx:
            db = tx.db
            lb = self._find(db, tx.alias, call.path)
            body = _object(tx.body, "{port, method?, persistence?}")
            errors = Errors()
            port = as_int(body.get("port"), "port", errors, required=True)
            if port is not None and port not in POOL_PORTS:
                errors.add("port", "The port must be 80 (HTTP) or 443 (HTTPS).")
            elif (
                port is not None
                and db.execute("SELECT 1 FROM lb_pools WHERE lb_id=? AND port=?", (lb["id"], port)).fetchone()
            ):
                errors.add("port", f"The load balancer already has a pool on port {port}.")
            method = _choice(body, "method", METHODS, errors, default="roundRobin")
            persistence = _choice(body, "persistence", PERSISTENCES, errors, default="standard")
            errors.raise_if_any()
            pool_id = new_hex_id(db, "pool")
            db.execute(
                "INSERT INTO lb_pools VALUES (?,?,?,?,?,'[]',?)",
                (pool_id, lb["id"], port, method, persistence, self._next_position(db, "lb_pools")),
            )
            return pool(lb, db.execute("SELECT * FROM lb_pools WHERE id=?", (pool_id,)).fetchone())

    @route("GET", BASE + "/{loadBalancer}/pools/{pool}")
    def get_pool(self, call: Call) -> dict:
        """One pool with its nodes; 404 if the load balancer or the pool is unknown."""
        with self.ctx.call(call) as tx:
            return pool(*self._find_pool(tx.db, tx.alias, call.path))

    @route("PUT", BASE + "/{loadBalancer}/pools/{pool}", body=True)
    def update_pool(self, call: Call) -> Reply:
        """Change a pool's method and/or persistence (members left out keep their value; the port is
        fixed at creation and ignored here, as the SDKs send `port: null`): 204."""
        with self.ctx.call(call) as tx:
            _lb, row = self._find_pool(tx.db, tx.alias, call.path)
            body = _object(tx.body, "{method?, persistence?}")
            errors = Errors()
            method = _choice(body, "method", METHODS, errors, default=row["method"])
            persistence = _choice(body, "persistence", PERSISTENCES, errors, default=row["persistence"])
            errors.raise_if_any()
            tx.db.execute("UPDATE lb_pools SET method=?, persistence=? WHERE id=?", (method, persistence, row["id"]))
            return Reply(204)

    @route("DELETE", BASE + "/{loadBalancer}/pools/{pool}")
    def delete_pool(self, call: Call) -> Reply:
        """Delete a pool with its nodes: 204."""
        with self.ctx.call(call) as tx:
            _lb, row = self._find_pool(tx.db, tx.alias, call.path)
            tx.db.execute("DELETE FROM lb_pools WHERE id=?", (row["id"],))
            return Reply(204)

    # --- nodes ------------------------------------------------------------------------------------------

    @route("GET", BASE + "/{loadBalancer}/pools/{pool}/nodes")
    def get_nodes(self, call: Call) -> list[dict]:
        """The nodes of a pool: `[{status, ipAddress, privatePort}]`."""
        with self.ctx.call(call) as tx:
            _lb, row = self._find_pool(tx.db, tx.alias, call.path)
            return json.loads(row["nodes"])

    @route("PUT", BASE + "/{loadBalancer}/pools/{pool}/nodes", body=True)
    def set_nodes(self, call: Call) -> Reply:
        """Replace the nodes of a pool with the array sent (`[]` empties it): 204; 400 naming each bad
        item (`body[1].privatePort`), nothing changed."""
        with self.ctx.call(call) as tx:
            _lb, row = self._find_pool(tx.db, tx.alias, call.path)
            if not isinstance(tx.data, list):
                raise field_error("", "A JSON array of nodes [{ipAddress, privatePort, status?}] is expected.")
            errors = Errors()
            nodes = [n for i, item in enumerate(tx.data) if (n := _node(item, i, errors)) is not None]
            errors.raise_if_any()
            kept = [n for n in nodes if n["status"] != "deleted"]
            tx.db.execute("UPDATE lb_pools SET nodes=? WHERE id=?", (dumps(kept), row["id"]))
            return Reply(204)


# --- rules ------------------------------------------------------------------------------------------------


def _object(body: Body, expected: str) -> Body:
    """The body if it is a JSON object (or form); 400 otherwise."""
    if not body.is_object:
        raise field_error("", f"A JSON object {expected} is expected.")
    return body


def _name(body: Body, errors: Errors) -> str:
    name = as_str(body.get("name"), "name", errors, required=True, max_len=100)
    if name is not None and not name.strip():
        errors.add("name", "The name field is required.")
    return name or ""


def _choice(body: Body, member: str, allowed: tuple[str, ...], errors: Errors, default: str, where: str = "") -> str:
    """A member that takes one of `allowed` (matched in any case, answered in the API's spelling);
    `default` when it is absent or null. A problem is reported under `where` (default: the member)."""
    value = body.get(member)
    if value is None:
        return default
    by_lower = {a.lower(): a for a in allowed}
    chosen = by_lower.get(value.strip().lower()) if isinstance(value, str) else None
    if chosen is None:
        errors.add(where or member, f"The {member} must be one of: {', '.join(allowed)}.")
        return default
    return chosen


def _node(item: Any, i: int, errors: Errors) -> dict | None:
    """One node of a PUT nodes body, checked; problems go to `errors` under `[i].<member>`."""
    entry = Body(item)
    where = f"[{i}]"
    if not entry.is_object:
        errors.add(where, "Each node must be an object {ipAddress, privatePort, status?}.")
        return None
    ip = entry.get("ipAddress")
    if ip is None:
        errors.add(f"{where}.ipAddress", "The ipAddress field is required.")
    elif not isinstance(ip, str) or not is_ipv4(ip):
        errors.add(f"{where}.ipAddress", f"The ipAddress '{str(ip)[:40]}' is not an IPv4 address.")
    port = as_int(entry.get("privatePort"), f"{where}.privatePort", errors, 1, 65535, required=True)
    status = _choice(entry, "status", NODE_STATUSES, errors, default="enabled", where=f"{where}.status")
    if port is None or not isinstance(ip, str) or not is_ipv4(ip):
        return None
    return {"status": status, "ipAddress": str(ipaddress.IPv4Address(ip)), "privatePort": port}


# --- representations --------------------------------------------------------------------------------------


def _base(row: sqlite3.Row) -> str:
    return f"/v2/sharedLoadBalancers/{row['alias'].lower()}/{row['dc']}/{row['id']}"


def load_balancer(row: sqlite3.Row, pools: list[sqlite3.Row]) -> dict:
    """`{id, name, description, ipAddress, status, pools, links}` of one load balancer."""
    base = _base(row)
    return {
        "id": row["id"],
        "name": row["name"],
        "description": row["description"],
        "ipAddress": row["ip"],
        "status": row["status"],
        "pools": [pool(row, p) for p in pools],
        "links": [
            link("self", base, verbs=["GET", "PUT", "DELETE"]),
            link("pools", f"{base}/pools", verbs=["GET", "POST"]),
        ],
    }


def pool(lb: sqlite3.Row, row: sqlite3.Row) -> dict:
    """`{id, port, method, persistence, nodes, links}` of one pool."""
    base = f"{_base(lb)}/pools/{row['id']}"
    return {
        "id": row["id"],
        "port": row["port"],
        "method": row["method"],
        "persistence": row["persistence"],
        "nodes": json.loads(row["nodes"]),
        "links": [
            link("self", base, verbs=["GET", "PUT", "DELETE"]),
            link("nodes", f"{base}/nodes", verbs=["GET", "PUT"]),
        ],
    }
