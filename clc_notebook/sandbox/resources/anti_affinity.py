"""Anti-affinity policies: list, get, create, rename, delete; the policy of a hyperscale server (set by
`antiAffinityPolicyId` when it is created, or later through its `antiAffinityPolicyMapping` link).

A policy lives in one data center and keeps the hyperscale servers it names on different hosts. The
server shows it as `details.antiAffinityPolicy`; the policy lists its servers as `server` links.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from ..common import Reply, new_hex_id
from ..context import Context
from ..errors import BadRequest, NotFound, field_error
from ..handling import Call
from ..registry import route
from ..shapes import link
from ..validation import Body, Errors, as_str
from .datacenters import Datacenters
from .servers import Finisher, NewServer, ServerExtras, Servers

HYPERSCALE_ONLY = "Anti-affinity policies apply to hyperscale servers only."


class AntiAffinityPolicies:
    """The account's anti-affinity policies and which servers follow them."""

    name = "anti_affinity"
    tables = {
        "anti_affinity_policies": "id TEXT PRIMARY KEY, alias TEXT NOT NULL, dc TEXT NOT NULL, name TEXT NOT NULL,"
        " position INTEGER NOT NULL",
        "anti_affinity_servers": "server_id TEXT PRIMARY KEY, policy_id TEXT NOT NULL",
    }

    def __init__(self, ctx: Context, datacenters: Datacenters, servers: Servers) -> None:
        self.ctx = ctx
        self.datacenters = datacenters
        self.servers = servers
        servers.add_on(self)
        servers.on_create(self._on_create)

    # --- what other resources ask -----------------------------------------------------------------------

    @staticmethod
    def find(db: sqlite3.Connection, alias: str, policy_id: str) -> sqlite3.Row:
        """The account's policy `policy_id`; 404 if it has none such."""
        row = db.execute("SELECT * FROM anti_affinity_policies WHERE id=?", (str(policy_id).lower(),)).fetchone()
        if row is None or row["alias"] != alias:
            raise NotFound()
        return row

    def _on_create(self, db: sqlite3.Connection, new: NewServer, body: Body, errors: Errors) -> Finisher | None:
        """Create Server's `antiAffinityPolicyId`: a policy of the server's data center, hyperscale only."""
        policy = self._policy_for(db, new.alias, new.dc, new.type, body.get("antiAffinityPolicyId"), errors)
        if policy is None:
            return None
        return lambda db, sid: self._assign(db, sid, policy["id"])

    def _policy_for(
        self,
        db: sqlite3.Connection,
        alias: str,
        dc: str | None,
        server_type: str,
        value: object,
        errors: Errors,
        field: str = "antiAffinityPolicyId",
    ) -> sqlite3.Row | None:
        """The policy a server of `dc` and `server_type` may join (problems go to `field`)."""
        pid = as_str(value, field, errors, max_len=64, required=field == "id")
        if not pid:
            return None
        try:
            policy = self.find(db, alias, pid)
        except NotFound:
            errors.add(field, f"The anti-affinity policy {pid} does not exist.")
            return None
        if server_type != "hyperscale":
            errors.add(field, HYPERSCALE_ONLY)
            return None
        if dc is not None and policy["dc"] != dc:
            errors.add(
                field, f"The anti-affinity policy {policy['name']} is in {policy['dc'].upper()}, not {dc.upper()}."
            )
            return None
        return policy

    @staticmethod
    def _assign(db: sqlite3.Connection, server_id: str, policy_id: str) -> None:
        db.execute("INSERT OR REPLACE INTO anti_affinity_servers VALUES (?, ?)", (server_id, policy_id))

    # --- as an add-on of servers -----------------------------------------------------------------------

    def server_extras(self, db: sqlite3.Connection, rows: Sequence[sqlite3.Row]) -> dict[str, ServerExtras]:
        """`details.antiAffinityPolicy` `{id, name, links: [self]}` of the servers that follow one."""
        ids = {r["id"] for r in rows}
        found = db.execute(
            "SELECT m.server_id, p.* FROM anti_affinity_servers m JOIN anti_affinity_policies p ON p.id = m.policy_id"
        ).fetchall()
        return {
            f["server_id"]: ServerExtras(
                details={"antiAffinityPolicy": {"id": f["id"], "name": f["name"], "links": [link("self", _href(f))]}}
            )
            for f in found
            if f["server_id"] in ids
        }

    def server_dropped(self, db: sqlite3.Connection, server_id: str) -> None:
        db.execute("DELETE FROM anti_affinity_servers WHERE server_id=?", (server_id,))

    # --- the policies ---------------------------------------------------------------------------------

    @route("GET", "/v2/antiAffinityPolicies/{alias}")
    def list_all(self, call: Call) -> dict:
        """`{items, links}`: every policy of the account, oldest first."""
        with self.ctx.call(call) as tx:
            rows = tx.db.execute(
                "SELECT * FROM anti_affinity_policies WHERE alias=? ORDER BY position", (tx.alias,)
            ).fetchall()
            a = tx.alias.lower()
            return {
                "items": [self._shape(tx.db, r) for r in rows],
                "links": [link("self", f"/v2/antiAffinityPolicies/{a}", verbs=["GET", "POST"])],
            }

    @route("POST", "/v2/antiAffinityPolicies/{alias}", body=True)
    def create(self, call: Call) -> Reply:
        """`{name, location}` -> 201 + Location, the new policy; 400 naming a bad or taken name or location."""
        with self.ctx.call(call) as tx:
            body, errors = tx.body, Errors()
            if not body.is_object:
                raise field_error("", "A JSON object {name, location} is expected.")
            name = self._name(tx.db, tx.alias, body.get("name"), errors)
            location = as_str(body.get("location"), "location", errors, required=True, max_len=16)
            dc = None
            if location:
                dc = tx.db.execute("SELECT id FROM datacenters WHERE id=?", (location.lower(),)).fetchone()
                if dc is None:
                    errors.add("location", f"The data center {location} does not exist.")
            errors.raise_if_any()
            assert dc is not None  # a missing or unknown location was reported above
            policy_id = new_hex_id(tx.db, "antiAffinityPolicy")
            position = tx.db.execute("SELECT COALESCE(MAX(position), 0) + 1 FROM anti_affinity_policies").fetchone()[0]
            tx.db.execute(
                "INSERT INTO anti_affinity_policies VALUES (?,?,?,?,?)", (policy_id, tx.alias, dc["id"], name, position)
            )
            row = self.find(tx.db, tx.alias, policy_id)
            return Reply(201, self._shape(tx.db, row), {"Location": _href(row)})

    def _name(self, db: sqlite3.Connection, alias: str, value: object, errors: Errors, keep: str = "") -> str | None:
        """A policy name: required, at most 100 characters, not another policy's (any case)."""
        name = as_str(value, "name", errors, required=True, max_len=100)
        if name is not None and not name.strip():
            errors.add("name", "The name field is required.")
            return None
        if (
            name
            and db.execute(
                "SELECT 1 FROM anti_affinity_policies WHERE alias=? AND lower(name)=? AND id<>?",
                (alias, name.lower(), keep),
            ).fetchone()
        ):
            errors.add("name", f"An anti-affinity policy named {name} already exists.")
        return name

    @route("GET", "/v2/antiAffinityPolicies/{alias}/{policy}")
    def get(self, call: Call) -> dict:
        """One policy with its servers' links; 404 if unknown."""
        with self.ctx.call(call) as tx:
            return self._shape(tx.db, self.find(tx.db, tx.alias, call.path["policy"]))

    @route("PUT", "/v2/antiAffinityPolicies/{alias}/{policy}", body=True)
    def update(self, call: Call) -> dict:
        """Rename a policy (`{name}`; its location cannot change): 200, the policy."""
        with self.ctx.call(call) as tx:
            row = self.find(tx.db, tx.alias, call.path["policy"])
            errors = Errors()
            if not tx.body.is_object:
                raise field_error("", "A JSON object {name} is expected.")
            name = self._name(tx.db, tx.alias, tx.body.get("name"), errors, keep=row["id"])
            errors.raise_if_any()
            tx.db.execute("UPDATE anti_affinity_policies SET name=? WHERE id=?", (name, row["id"]))
            return self._shape(tx.db, self.find(tx.db, tx.alias, row["id"]))

    @route("DELETE", "/v2/antiAffinityPolicies/{alias}/{policy}")
    def delete(self, call: Call) -> Reply:
        """Delete a policy no server follows: 204; 400 while servers follow it."""
        with self.ctx.call(call) as tx:
            row = self.find(tx.db, tx.alias, call.path["policy"])
            if self._servers(tx.db, row["id"]):
                raise BadRequest(
                    f"The anti-affinity policy {row['name']} still has servers; remove them from it first."
                )
            tx.db.execute("DELETE FROM anti_affinity_policies WHERE id=?", (row["id"],))
            return Reply(204)

    # --- a server's policy (its antiAffinityPolicyMapping link) ---------------------------------------

    @route("GET", "/v2/servers/{alias}/{server}/antiAffinityPolicy")
    def server_policy(self, call: Call) -> dict:
        """`{id, name, links}` of the server's policy; 404 with an empty body when it follows none."""
        with self.ctx.call(call) as tx:
            server = self.servers.find(tx.db, tx.alias, call.path["server"])
            mapped = tx.db.execute(
                "SELECT policy_id FROM anti_affinity_servers WHERE server_id=?", (server["id"],)
            ).fetchone()
            if mapped is None:
                raise NotFound(empty=True)  # as recorded: a 404 without a body
            return _mapping(self.find(tx.db, tx.alias, mapped["policy_id"]), server)

    @route("PUT", "/v2/servers/{alias}/{server}/antiAffinityPolicy", body=True)
    def set_server_policy(self, call: Call) -> dict:
        """Move a hyperscale server into the policy `{id}` of its data center: 200 `{id, name, links}`."""
        with self.ctx.call(call) as tx:
            server = self.servers.find(tx.db, tx.alias, call.path["server"])
            if not tx.body.is_object:
                raise field_error("", "A JSON object {id} is expected.")
            errors = Errors()
            policy = self._policy_for(
                tx.db, tx.alias, server["dc"], server["type"], tx.body.get("id"), errors, field="id"
            )
            errors.raise_if_any()
            assert policy is not None  # an absent id was reported as required
            self._assign(tx.db, server["id"], policy["id"])
            return _mapping(policy, server)

    @route("DELETE", "/v2/servers/{alias}/{server}/antiAffinityPolicy")
    def clear_server_policy(self, call: Call) -> Reply:
        """Take the server out of its policy: 204, also when it follows none (as production did for
        the sibling cpuAutoscalePolicy link)."""
        with self.ctx.call(call) as tx:
            server = self.servers.find(tx.db, tx.alias, call.path["server"])
            tx.db.execute("DELETE FROM anti_affinity_servers WHERE server_id=?", (server["id"],))
            return Reply(204)

    # --- representation helpers -----------------------------------------------------------------------

    @staticmethod
    def _servers(db: sqlite3.Connection, policy_id: str) -> list[str]:
        return [
            r["server_id"]
            for r in db.execute(
                "SELECT server_id FROM anti_affinity_servers WHERE policy_id=? ORDER BY server_id", (policy_id,)
            )
        ]

    def _shape(self, db: sqlite3.Connection, row: sqlite3.Row) -> dict:
        dc = self.datacenters.find(db, row["dc"])
        return policy(row, dc["name"], self._servers(db, row["id"]))


def _href(row: sqlite3.Row) -> str:
    return f"/v2/antiAffinityPolicies/{row['alias'].lower()}/{row['id']}"


def policy(row: sqlite3.Row, dc_name: str, server_ids: list[str]) -> dict:
    """A policy: `{id, name, location, links: [self, location, server...]}`."""
    a, dc = row["alias"].lower(), row["dc"].upper()
    links = [
        link("self", _href(row), verbs=["GET", "DELETE", "PUT"]),
        link("location", f"/v2/datacenters/{a}/{dc}", id=dc, name=dc_name),
    ]
    links += [link("server", f"/v2/servers/{a}/{sid}", id=sid, name=sid.upper()) for sid in server_ids]
    return {"id": row["id"], "name": row["name"], "location": dc, "links": links}


def _mapping(row: sqlite3.Row, server: sqlite3.Row) -> dict:
    """A server's policy as its `antiAffinityPolicyMapping` link answers."""
    href = f"/v2/servers/{server['alias'].lower()}/{server['id']}/antiAffinityPolicy"
    return {"id": row["id"], "name": row["name"], "links": [link("self", href), link("policy", _href(row))]}
