"""The sandbox's rules, assembled: accounts, tokens, data centers and custom fields live here; groups,
servers, public IPs, operations and jobs each have their own module (mixins of `Backend`).

No HTTP here (moto's split): routes parse a request and call one method; each method runs in one
SQLite transaction, returns JSON-ready data (or a `Reply`) and raises `ApiProblem`s for errors.
Jobs are rows; their status is computed on read by the `JobClock` and their side effects are applied
by the settle step in the same transaction, once.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from typing import Any

from . import fixtures, shapes
from .clock import JobClock
from .common import Principal
from .errors import BAD_LOGIN_MESSAGE, BadRequest, Forbidden, NotFound, Unauthorized
from .faults import Faults
from .groups import GroupRules
from .jobs import JobRules
from .operations import OperationRules
from .public_ips import PublicIpRules
from .servers import ServerRules
from .store import Store
from .validation import Body, Errors, as_list

CLOCK_OFFSET = "clock_offset"  # `meta` key: seconds added by PUT /sandbox/clock {advance}


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Backend(JobRules, GroupRules, ServerRules, PublicIpRules, OperationRules):
    """All the rules; thread-safe through the store's single transaction lock."""

    def __init__(
        self,
        store: Store,
        clock: JobClock,
        faults: Faults,
        token_ttl: float = 14 * 24 * 3600,
        datacenters: int = 3,
        servers: int = 0,
        groups: int = 0,
    ):
        self.store, self.clock, self.faults = store, clock, faults
        self.token_ttl = float(token_ttl)
        self.sizes = {"datacenters": datacenters, "servers": servers, "groups": groups}
        with store.transaction() as db:
            # the clock's advance() offset lives in the state file: a restart keeps "now"
            row = db.execute("SELECT value FROM meta WHERE key=?", (CLOCK_OFFSET,)).fetchone()
            if row is not None:
                clock.restore(float(row[0]))
        if store.is_empty():
            with store.transaction() as db:
                fixtures.seed(db, clock.now(), **self.sizes)

    # --- control plane ----------------------------------------------------------------------------------

    def reset(self, datacenters: int | None = None, servers: int | None = None, groups: int | None = None) -> dict:
        """Back to the seeded account (optionally with new synthetic sizes). Tokens stay valid."""
        sizes = dict(self.sizes)
        for key, value in (("datacenters", datacenters), ("servers", servers), ("groups", groups)):
            if value is not None:
                sizes[key] = value
        with self.store.transaction() as db:
            self.store.clear()
            fixtures.seed(db, self.clock.now(), **sizes)
            self._save_clock_offset(db)  # `meta` was emptied; the clock keeps its offset
        self.sizes = sizes
        return dict(sizes)

    def advance_clock(self, seconds: float) -> None:
        """Move the clock's "now" forward and record the total offset in the store."""
        with self.store.transaction() as db:
            self.clock.advance(seconds)
            self._save_clock_offset(db)

    def _save_clock_offset(self, db) -> None:
        if self.clock.offset:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (CLOCK_OFFSET, repr(self.clock.offset)))

    def expire_tokens(self) -> int:
        """Invalidate every token issued so far; returns how many there were."""
        with self.store.transaction() as db:
            return db.execute("DELETE FROM tokens").rowcount

    def job_ledger(self) -> list[dict]:
        """Every job, oldest first: `{id, kind, target, created, polls, outcome, settled}` (outcome is the
        decided end state, reached or not). For tests and demos; the API itself has no job listing."""
        with self.store.transaction() as db:
            return [
                {**dict(r), "settled": bool(r["settled"])}
                for r in db.execute(
                    "SELECT id, kind, target, created, polls, outcome, settled FROM jobs ORDER BY created, id"
                )
            ]

    # --- authentication -----------------------------------------------------------------------------------

    def login(self, data: Any) -> dict:
        """Check the credentials and issue a bearer token (400 with the documented message if wrong)."""
        body = Body(data)
        username, password = body.get("username"), body.get("password")
        if not isinstance(username, str) or not isinstance(password, str):
            raise BadRequest(BAD_LOGIN_MESSAGE)
        with self.store.transaction() as db:
            user = db.execute("SELECT * FROM users WHERE lower(username)=?", (username.lower(),)).fetchone()
            if user is None or not secrets.compare_digest(user["password"].encode(), password.encode()):
                raise BadRequest(BAD_LOGIN_MESSAGE)
            token = secrets.token_urlsafe(48)
            now = self.clock.now()
            db.execute(
                "INSERT INTO tokens VALUES (?,?,?,?,?)",
                (_digest(token), user["username"], user["alias"], now, now + self.token_ttl),
            )
            return {
                "userName": user["username"],
                "accountAlias": user["alias"],
                "locationAlias": user["location"],
                "roles": json.loads(user["roles"]),
                "bearerToken": token,
            }

    def authenticate(self, authorization: str | None) -> Principal:
        """Return who holds the bearer token in an Authorization header; 401 when missing/invalid/expired."""
        if not authorization:
            raise Unauthorized()
        scheme, _, token = authorization.strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise Unauthorized()
        with self.store.transaction() as db:
            row = db.execute("SELECT * FROM tokens WHERE digest=?", (_digest(token),)).fetchone()
            if row is None or row["expires"] <= self.clock.now():
                raise Unauthorized()
            return Principal(row["username"], row["alias"])

    def _alias(self, who: Principal, alias: str) -> str:
        if alias.upper() != who.alias.upper():
            raise Forbidden()
        return who.alias

    # --- data centers ----------------------------------------------------------------------------------------

    def datacenters(self, who: Principal, alias: str, group_links: bool) -> list:
        """The account's data centers (group links with `group_links`); 403 for another alias."""
        a = self._alias(who, alias)
        with self.store.transaction() as db:
            self.tick(db)
            rows = db.execute("SELECT * FROM datacenters ORDER BY position").fetchall()
            roots = {g["id"]: g for g in db.execute("SELECT * FROM groups WHERE parent_id IS NULL AND alias=?", (a,))}
            return [shapes.datacenter(r, roots.get(r["root_group_id"]), a, group_links) for r in rows]

    def _dc(self, db, dc: str):
        row = db.execute("SELECT * FROM datacenters WHERE id=?", (dc.lower(),)).fetchone()
        if row is None:
            raise NotFound()
        return row

    def datacenter(self, who: Principal, alias: str, dc: str, group_links: bool) -> dict:
        """One data center; 404 if unknown. The root group appears only as the `group` link (with `group_links`)."""
        a = self._alias(who, alias)
        with self.store.transaction() as db:
            self.tick(db)
            row = self._dc(db, dc)
            root = db.execute("SELECT * FROM groups WHERE id=?", (row["root_group_id"],)).fetchone()
            return shapes.datacenter(row, root, a, group_links)

    def capabilities(self, who: Principal, alias: str, dc: str) -> dict:
        """Deployable networks and templates of a data center (404 if unknown)."""
        a = self._alias(who, alias)
        with self.store.transaction() as db:
            self.tick(db)
            row = self._dc(db, dc)
            nets = db.execute("SELECT * FROM networks WHERE dc=? ORDER BY name", (row["id"],)).fetchall()
            templates = db.execute("SELECT * FROM templates ORDER BY position").fetchall()
            return {
                "dataCenterEnabled": True,
                "importVMEnabled": True,
                "supportsPremiumStorage": True,
                "supportsSharedLoadBalancer": True,
                "supportsBareMetalServers": False,
                "deployableNetworks": [
                    {"name": n["name"], "networkId": n["id"], "type": "private", "accountID": a} for n in nets
                ],
                "templates": [shapes.template(t) for t in templates],
                "importableOSTypes": [dict(t) for t in fixtures.IMPORTABLE_OS_TYPES],
            }

    def bare_metal_capabilities(self, who: Principal, alias: str, dc: str) -> dict:
        """No bare-metal SKUs: this sandbox has no bare-metal capacity."""
        self._alias(who, alias)
        with self.store.transaction() as db:
            self.tick(db)
            self._dc(db, dc)
        return {"skus": [], "operatingSystems": []}

    def compute_limits(self, who: Principal, alias: str, dc: str) -> dict:
        """Static compute limits of a data center."""
        self._alias(who, alias)
        with self.store.transaction() as db:
            self.tick(db)
            self._dc(db, dc)
        return {
            "cpu": {"value": 200, "inherited": False},
            "memoryGB": {"value": 400, "inherited": False},
            "storageGB": {"value": 10000, "inherited": False},
        }

    def network_limits(self, who: Principal, alias: str, dc: str) -> dict:
        """Static network limits of a data center."""
        self._alias(who, alias)
        with self.store.transaction() as db:
            self.tick(db)
            self._dc(db, dc)
        return {"networks": {"value": 10, "inherited": False}}

    def custom_fields(self, who: Principal, alias: str) -> list:
        """The account's custom field definitions."""
        self._alias(who, alias)
        with self.store.transaction() as db:
            self.tick(db)
            return [
                {
                    "id": r["id"],
                    "name": r["name"],
                    "isRequired": bool(r["is_required"]),
                    "type": r["type"],
                    "options": json.loads(r["options"]),
                }
                for r in db.execute("SELECT * FROM custom_fields ORDER BY position")
            ]

    def account(self, who: Principal, alias: str) -> dict:
        """The account (undocumented `GET /v2/accounts/{alias}`, the server's `account` link)."""
        a = self._alias(who, alias)
        with self.store.transaction() as db:
            self.tick(db)
            user = db.execute("SELECT * FROM users WHERE username=?", (who.username,)).fetchone()
            return {
                "accountAlias": a,
                "parentAlias": None,
                "businessName": f"{a} sandbox account",
                "primaryDataCenter": user["location"] if user else fixtures.LOCATION,
                "status": "active",
                "isManaged": False,
                "links": [
                    shapes.link("self", f"/v2/accounts/{a.lower()}"),
                    shapes.link("customFields", f"/v2/accounts/{a.lower()}/customFields"),
                ],
            }

    # --- custom field values ----------------------------------------------------------------------------------

    def _field_defs(self, db) -> dict:
        return {r["id"]: r for r in db.execute("SELECT * FROM custom_fields")}

    def _check_custom_fields(self, db, value: Any, field: str, errors: Errors) -> list | None:
        """Validate a complete `[{id, value}]` list; returns the normalized list to store."""
        items = as_list(value, field, errors)
        if items is None:
            return None
        defs = self._field_defs(db)
        out, seen = [], set()
        for i, item in enumerate(items):
            entry = Body(item)
            if not entry.is_object:
                errors.add(f"{field}[{i}]", "Each custom field must be an object {id, value}.")
                continue
            fid = str(entry.get("id", "")).lower()
            if fid not in defs:
                errors.add(f"{field}[{i}].id", f"The custom field '{entry.get('id', '')}' does not exist.")
                continue
            raw = entry.get("value", "")
            text = "" if raw is None else (str(raw).lower() if isinstance(raw, bool) else str(raw))
            d = defs[fid]
            if d["type"] == "option" and text and text not in [o["name"] for o in json.loads(d["options"])]:
                errors.add(f"{field}[{i}].value", f"'{text}' is not an option of the custom field {d['name']}.")
                continue
            if d["type"] == "checkbox" and text and text.lower() not in ("true", "false"):
                errors.add(f"{field}[{i}].value", f"The custom field {d['name']} takes true or false.")
                continue
            seen.add(fid)
            out.append({"id": fid, "value": text.lower() if d["type"] == "checkbox" else text})
        for fid, d in defs.items():
            if d["is_required"] and fid not in seen:
                errors.add(field, f"The custom field {d['name']} is required.")
        return out

    def _shape_fields(self, defs: dict, stored: str) -> list:
        out = []
        for item in json.loads(stored):
            d = defs.get(item["id"])
            if d is None:
                continue
            display = item["value"]
            if d["type"] == "option":
                display = {o["name"]: o["value"] for o in json.loads(d["options"])}.get(item["value"], item["value"])
            out.append({"id": item["id"], "name": d["name"], "value": item["value"], "displayValue": display})
        return out
