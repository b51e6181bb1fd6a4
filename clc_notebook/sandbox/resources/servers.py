"""Servers: create (every rule of clc-api-v2.md §9.4), get, PATCH, delete, credentials, capabilities,
restore, snapshots; their representation; the effects of their jobs.

Servers live in groups (they register as the groups' members). Resources built on servers extend them
with a `ServerAddOn` (public IPs do, in resources/public_ips.py): an add-on adds addresses, `details`
members and links to the representation, and hears when a server is dropped.
"""

from __future__ import annotations

import ipaddress
import json
import re
import secrets
import sqlite3
import string
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol

from .. import custom_fields, fixtures
from ..common import EncodedCache, Reply, dumps, encode, new_hex_id
from ..context import Context
from ..errors import BadRequest, NotFound, field_error
from ..handling import Call
from ..jobqueue import Job
from ..registry import effect, route
from ..shapes import change_info, link, status_link
from ..validation import Body, Errors, as_bool, as_int, as_list, as_str, is_ipv4, patch_ops
from .datacenters import reserved_paths
from .groups import ARCHIVE, DEFAULT, TEMPLATES, GroupMember, Groups

NAME_RE = re.compile(r"^[A-Za-z0-9-]+$")
BAD_PASSWORD_CHARS = set("\"';^&<>|`")
SERVER_TYPES = ("standard", "hyperscale", "bareMetal")
STORAGE_TYPES = ("standard", "premium", "hyperscale")
MAX_DISK_GB = 1024
MAX_STORAGE_GB = {"standard": 4096, "hyperscale": 1024}
NO_DETAILS = ("underConstruction", "queuedForDelete")  # statuses shown without `details`
NOT_QUEUED = "The operation cannot be queued because the server cannot be found or it is not in a valid state."
ALREADY = "The server already in desired state."
MAX_IN = 500  # ids in one SQL IN (...) list; SQLite's bound-parameter limit is higher
# What a detailed group read fetches of every server (the add-ons' `server_extras` get such rows too);
# the rest is read only for servers whose encoded representation is missing or outdated.
LIGHT_COLUMNS = "id, uuid, created, rev, alias, dc, group_id, status, ip"
ENCODED_CACHE_BYTES = 64 * 1024 * 1024  # encoded server representations kept for detailed group reads


def generate_password(rng: Any = secrets) -> str:
    """A password that satisfies the platform's rules (letters, digits, safe symbols)."""
    alphabet = string.ascii_letters + string.digits + "!@#$%*-_=+"
    core = "".join(rng.choice(alphabet) for _ in range(12))
    return core + rng.choice(string.ascii_uppercase) + rng.choice(string.digits) + "!"


@dataclass
class ServerExtras:
    """What an add-on adds to one server's representation."""

    ip_addresses: list[dict] = field(default_factory=list)  # `details.ipAddresses` items {internal, public?}
    details: dict[str, Any] = field(default_factory=dict)  # more `details` members (replacing a default)
    links: list[dict] = field(default_factory=list)  # links appended while the server is active


@dataclass(frozen=True)
class NewServer:
    """What a create hook sees of a server being validated (`dc` is None when its group is not valid)."""

    alias: str
    dc: str | None
    type: str  # standard, hyperscale (or bareMetal, refused)


# A create hook checks the Create Server fields it owns (adding problems to `errors`) and may return a
# finisher, run with the new server's id in the same transaction once the server row exists.
Finisher = Callable[[sqlite3.Connection, str], None]
CreateHook = Callable[[sqlite3.Connection, NewServer, Body, Errors], Finisher | None]


class ServerAddOn(Protocol):
    """A resource attached to servers (public IPs); registered with `Servers.add_on`."""

    def server_extras(self, db: sqlite3.Connection, rows: Sequence[sqlite3.Row]) -> Mapping[str, ServerExtras]:
        """What to add to the representation of each of these servers, by server id (batch: a tree
        shows thousands). A tree's rows carry only LIGHT_COLUMNS (id, alias, dc, group_id, status, ...)."""
        ...

    def server_dropped(self, db: sqlite3.Connection, server_id: str) -> None:
        """The server is being removed (delete, failed build, group delete): drop what hangs on it."""
        ...


class Servers:
    """The servers of the account; the members of groups."""

    name = "servers"

    def __init__(self, ctx: Context, groups: Groups) -> None:
        self.ctx = ctx
        self.groups = groups
        self.add_ons: list[ServerAddOn] = []
        self._encoded = EncodedCache(ENCODED_CACHE_BYTES)
        self.create_hooks: list[CreateHook] = []
        groups.add_members(self)

    def add_on(self, add_on: ServerAddOn) -> None:
        """Attach a resource to servers (called by that resource)."""
        self.add_ons.append(add_on)

    def on_create(self, hook: CreateHook) -> None:
        """Let a resource check (and then store) Create Server fields of its own, e.g. a policy id."""
        self.create_hooks.append(hook)

    # --- what other resources ask of servers --------------------------------------------------------

    @staticmethod
    def find(db: sqlite3.Connection, alias: str, sid: str, by_uuid: bool = False) -> sqlite3.Row:
        """The server `sid` (id or, with `by_uuid`, uuid; any case) of the account; 404 with an empty body."""
        column = "uuid" if by_uuid else "id"
        row = db.execute(f"SELECT * FROM servers WHERE {column}=?", (str(sid).lower(),)).fetchone()
        if row is None or row["alias"] != alias:
            raise NotFound(empty=True)
        return row

    def shape(self, db: sqlite3.Connection, rows: Sequence[sqlite3.Row], alias: str) -> list[dict]:
        """The Get Server representation of each row, with what the add-ons add."""
        defs = custom_fields.definitions(db)
        extras = self._extras(db, rows)
        return [server(r, alias, extras.get(r["id"], []), custom_fields.shaped(defs, r["custom_fields"])) for r in rows]

    def _extras(self, db: sqlite3.Connection, rows: Sequence[sqlite3.Row]) -> dict[str, list[ServerExtras]]:
        """What every add-on adds to these servers, by server id."""
        extras: dict[str, list[ServerExtras]] = {}
        for add_on in self.add_ons:
            for sid, more in add_on.server_extras(db, rows).items():
                extras.setdefault(sid, []).append(more)
        return extras

    @staticmethod
    def new_private_ip(db: sqlite3.Connection, network_id: str) -> str:
        """A fresh address of a private network (for a new server, or one a server claims)."""
        network = db.execute("SELECT cidr, next_host FROM networks WHERE id=?", (network_id,)).fetchone()
        ip, counter = fixtures.ip_at(ipaddress.IPv4Network(network["cidr"]), network["next_host"])
        db.execute("UPDATE networks SET next_host=? WHERE id=?", (counter, network_id))
        return ip

    def update(
        self, db: sqlite3.Connection, sid: str, *, by: str | None, when_status: str | None = None, **columns: Any
    ) -> None:
        """Set some columns of a server. `by` stamps modified/modifiedBy (None leaves them as they are);
        `when_status` changes the server only while it has that status."""
        sets = [f"{column}=?" for column in columns]
        values = list(columns.values())
        if by is not None:
            sets += ["modified=?", "modified_by=?"]
            values += [self.ctx.clock.now(), by]
        where, values = "id=?", [*values, sid]
        if when_status is not None:
            where, values = "id=? AND status=?", [*values, when_status]
        db.execute(f"UPDATE servers SET {', '.join(sets)} WHERE {where}", values)

    def drop(self, db: sqlite3.Connection, sid: str) -> None:
        """Remove a server and, through the add-ons, what hangs on it."""
        db.execute("DELETE FROM servers WHERE id=?", (sid,))
        for add_on in self.add_ons:
            add_on.server_dropped(db, sid)

    # --- as the members of groups (GroupMembers) -----------------------------------------------------

    def members(
        self, db: sqlite3.Connection, alias: str, dc: str, group_ids: list[str], detailed: bool
    ) -> dict[str, list[GroupMember]]:
        """The servers of these groups (of data center `dc`), by group id, in id order (archived ones not
        counted); `detailed`: with their encoded representations."""
        columns = LIGHT_COLUMNS if detailed else "id, group_id, status"
        if len(group_ids) <= MAX_IN:
            marks = ",".join("?" * len(group_ids))
            rows = db.execute(
                f"SELECT {columns} FROM servers WHERE alias=? AND group_id IN ({marks}) ORDER BY id",
                [alias, *group_ids],
            ).fetchall()
        else:  # a very wide tree: the whole data center, filtered here
            wanted = set(group_ids)
            rows = [
                r
                for r in db.execute(f"SELECT {columns} FROM servers WHERE dc=? AND alias=? ORDER BY id", (dc, alias))
                if r["group_id"] in wanted
            ]
        encoded: Sequence[bytes | None] = self.encoded(db, rows, alias) if detailed else [None] * len(rows)
        out: dict[str, list[GroupMember]] = {}
        for row, data in zip(rows, encoded, strict=True):
            out.setdefault(row["group_id"], []).append(GroupMember(row["id"], row["status"] != "archived", data))
        return out

    def encoded(self, db: sqlite3.Connection, rows: Sequence[sqlite3.Row], alias: str) -> list[bytes]:
        """The group-listing form of `shape` (`server(..., listing=True)`) of each server, JSON-encoded, from
        rows of at least LIGHT_COLUMNS. An encoding is reused while everything it is made of is unchanged:
        the row's version (uuid, created, rev: store.py bumps rev on every change), what the add-ons add,
        the custom field definitions and the alias; only the servers that changed are read in full and
        shaped again."""
        defs = custom_fields.definitions(db)
        common = (alias, tuple(tuple(d) for d in defs.values()))
        extras = self._extras(db, rows)
        keys, out, missing = [], [], []
        for r in rows:
            mine = extras.get(r["id"])
            key = (r["uuid"], r["created"], r["rev"], repr(mine) if mine else None, common)
            keys.append(key)
            out.append(self._encoded.get(r["id"], key))
            if out[-1] is None:
                missing.append(r["id"])
        full: dict[str, sqlite3.Row] = {}
        for i in range(0, len(missing), MAX_IN):
            chunk = missing[i : i + MAX_IN]
            marks = ",".join("?" * len(chunk))
            full.update((r["id"], r) for r in db.execute(f"SELECT * FROM servers WHERE id IN ({marks})", chunk))
        for i, r in enumerate(rows):
            if out[i] is None:
                row = full[r["id"]]
                shaped = custom_fields.shaped(defs, row["custom_fields"])
                data = encode(server(row, alias, extras.get(r["id"], []), shaped, listing=True))
                self._encoded.put(r["id"], keys[i], data)
                out[i] = data
        return [data for data in out if data is not None]

    def drop_members(self, db: sqlite3.Connection, group_ids: list[str]) -> None:
        """Remove every server of these groups."""
        for gid in group_ids:
            for (sid,) in db.execute("SELECT id FROM servers WHERE group_id=?", (gid,)).fetchall():
                self.drop(db, sid)

    def archive_members(self, db: sqlite3.Connection, group_ids: list[str], archive_group: str, by: str) -> None:
        """Archive every active server of these groups into `archive_group`."""
        for gid in group_ids:
            for (sid,) in db.execute("SELECT id FROM servers WHERE group_id=? AND status='active'", (gid,)).fetchall():
                self.archive(db, sid, archive_group, by)

    def archive(self, db: sqlite3.Connection, sid: str, archive_group: str, by: str) -> None:
        """Move an active server to the Archive group, out of maintenance. It reads `stopped` while
        archived; its `power_state` column keeps the state a restore brings back (as production's did)."""
        self.update(db, sid, by=by, when_status="active", status="archived", group_id=archive_group, maintenance=0)

    # --- routes and the effects of their jobs ---------------------------------------------------------

    @route("GET", "/v2/servers/{alias}/{server}")
    def get(self, call: Call) -> dict:
        """Get Server by id, or by uuid with `uuid=True`; 404 with an empty body if unknown."""
        with self.ctx.call(call) as tx:
            row = self.find(tx.db, tx.alias, call.path["server"], call.flag("uuid"))
            return self.shape(tx.db, [row], tx.alias)[0]

    @route("GET", "/v2/servers/{alias}/{server}/credentials")
    def credentials(self, call: Call) -> dict:
        """`{userName, password}` of a server (root, or Administrator on Windows)."""
        with self.ctx.call(call) as tx:
            row = self.find(tx.db, tx.alias, call.path["server"])
            return {"userName": "Administrator" if row["windows"] else "root", "password": row["password"]}

    @route("GET", "/v2/servers/{alias}/{server}/capabilities")
    def capabilities(self, call: Call) -> dict:
        """What the Python SDK reads from `/capabilities` (undocumented endpoint)."""
        with self.ctx.call(call) as tx:
            row = self.find(tx.db, tx.alias, call.path["server"])
            return {
                "reservedDrivePaths": list(reserved_paths(bool(row["windows"]))),
                "addingCpuRequiresReboot": False,
                "addingMemoryRequiresReboot": False,
            }

    @route("POST", "/v2/servers/{alias}", body=True)
    def create(self, call: Call) -> Reply:
        """Validate (every rule of clc-api-v2.md §9.4), insert the server underConstruction, queue the build."""
        with self.ctx.call(call) as tx:
            a, db, body = tx.alias, tx.db, tx.body
            if not body.is_object:
                raise field_error("", "A JSON object describing the server is expected.")
            errors = Errors()
            name = as_str(body.get("name"), "name", errors, required=True, max_len=64)
            if name:
                if not NAME_RE.fullmatch(name):  # fullmatch: "$" would let "web\n" through
                    errors.add("name", "The name may contain only letters, digits and dashes.")
                elif len(a) + len(name) > 10:
                    errors.add(
                        "name",
                        f"The name is too long: account alias plus name must not exceed 10 "
                        f"characters (at most {max(10 - len(a), 0)} here).",
                    )
            description = as_str(body.get("description"), "description", errors, max_len=1000) or ""
            group = None
            gid = as_str(body.get("groupId"), "groupId", errors, required=True, max_len=64)
            if gid:
                group = self.groups.lookup(db, a, gid)
                if group is None:
                    errors.add("groupId", f"The group '{gid}' does not exist.")
                elif group["type"] in (ARCHIVE, TEMPLATES):
                    errors.add("groupId", f"Servers cannot be created in the {group['name']} group.")
                    group = None
            defaults = self.groups.defaults_of(db, group) if group is not None else {}

            def default(key: str) -> Any:
                return defaults.get(key, {}).get("value")

            stype = as_str(body.get("type", "standard"), "type", errors) or "standard"
            canonical = {t.lower(): t for t in SERVER_TYPES}
            if stype.lower() not in canonical:
                errors.add("type", "The type must be one of standard, hyperscale, bareMetal.")
                stype = "standard"
            stype = canonical[stype.lower()]
            if stype == "bareMetal":
                errors.add("type", "Bare metal servers are not available in this data center.")
            storage = as_str(body.get("storageType"), "storageType", errors)
            if storage is None or storage == "":
                storage = "hyperscale" if stype == "hyperscale" else "standard"
            elif storage.lower() not in STORAGE_TYPES:
                errors.add("storageType", "The storageType must be one of standard, premium, hyperscale.")
            else:
                storage = storage.lower()
                if stype == "hyperscale" and storage != "hyperscale":
                    errors.add("storageType", "Hyperscale servers must use hyperscale storage.")
                elif stype == "standard" and storage == "hyperscale":
                    errors.add("storageType", "Standard servers use standard or premium storage.")
            cpu_value = body.get("cpu", default("cpu"))
            cpu = as_int(cpu_value, "cpu", errors, 1, 16, required=True)
            mem_value = body.get("memoryGB", default("memoryGB"))
            memory = as_int(mem_value, "memoryGB", errors, 1, 128, required=True)
            # Source: a template name, or an existing server (clone).
            template, clone_of = None, None
            source = as_str(
                body.get("sourceServerId", default("templateName")), "sourceServerId", errors, required=True, max_len=64
            )
            if source:
                template = db.execute("SELECT * FROM templates WHERE upper(name)=?", (source.upper(),)).fetchone()
                if template is None:
                    clone_of = db.execute(
                        "SELECT * FROM servers WHERE id=? AND alias=?", (source.lower(), a)
                    ).fetchone()
                    if clone_of is None:
                        errors.add("sourceServerId", f"The template or server '{source}' does not exist.")
                    elif clone_of["status"] != "active" or clone_of["power_state"] != "started":
                        errors.add("sourceServerId", "The source server must be active and powered on to be cloned.")
                        clone_of = None
                    else:
                        template = db.execute(
                            "SELECT * FROM templates WHERE name=?", (clone_of["template"],)
                        ).fetchone()
                        src_pw = body.get("sourceServerPassword")
                        if src_pw is None:
                            errors.add("sourceServerPassword", "The sourceServerPassword field is required to clone.")
                        elif str(src_pw) != clone_of["password"]:
                            errors.add("sourceServerPassword", "The source server password is not correct.")
            network = None
            net_id = as_str(body.get("networkId", default("networkId")), "networkId", errors, max_len=64)
            if group is not None:
                if net_id:
                    network = db.execute(
                        "SELECT * FROM networks WHERE id=? AND dc=? AND alias=?", (net_id.lower(), group["dc"], a)
                    ).fetchone()
                    if network is None:
                        errors.add("networkId", f"The network {net_id} is not valid.")
                else:
                    network = db.execute(
                        "SELECT * FROM networks WHERE dc=? AND alias=? ORDER BY name LIMIT 1", (group["dc"], a)
                    ).fetchone()
                    if network is None:
                        errors.add("networkId", f"The data center {group['dc'].upper()} has no network to deploy on.")
            ip = as_str(body.get("ipAddress"), "ipAddress", errors, max_len=64)
            if ip:
                if not is_ipv4(ip):
                    errors.add("ipAddress", "The ipAddress must be an IPv4 address.")
                elif network is not None and ipaddress.IPv4Address(ip) not in ipaddress.IPv4Network(network["cidr"]):
                    errors.add("ipAddress", f"The address {ip} is not in the network {network['name']}.")
            password = as_str(body.get("password"), "password", errors, max_len=128)
            if password and BAD_PASSWORD_CHARS & set(password):
                errors.add("password", "The password must not contain any of the characters \" ' ; ^ & < > | `.")
            managed = as_bool(body.get("isManagedOS", False), "isManagedOS", errors)
            backup = as_bool(body.get("isManagedBackup", False), "isManagedBackup", errors)
            if backup and not managed:
                errors.add("isManagedBackup", "isManagedBackup requires isManagedOS.")
            offered = fixtures.template_capabilities(template["name"]) if template is not None else ()
            if template is not None and managed and "managedOS" not in offered:
                errors.add("isManagedOS", f"The template {template['name']} does not offer a managed OS.")
            elif template is not None and backup and managed and "managedBackup" not in offered:
                errors.add("isManagedBackup", f"The template {template['name']} does not offer managed backup.")
            dns = {}
            for key in ("primaryDns", "secondaryDns"):
                value = body.get(key, default(key))
                if value is not None and value != "" and not is_ipv4(value):
                    errors.add(key, f"The field {key} must be an IPv4 address.")
                dns[key] = value
            disks = [dict(d) for d in json.loads(template["disks"])] if template is not None else []
            if body.has("additionalDisks"):
                extra = as_list(body.get("additionalDisks"), "additionalDisks", errors) or []
                reserved = _reserved_paths(template)
                for i, item in enumerate(extra):
                    disk = _new_disk(item, f"additionalDisks[{i}]", errors, reserved)
                    if disk is not None:
                        disk["id"] = next_disk_id(disks)
                        disks.append(disk)
            limit = MAX_STORAGE_GB.get(stype, 4096)
            if sum(d["sizeGB"] for d in disks) > limit:
                errors.add("additionalDisks", f"The total storage of a {stype} server must not exceed {limit} GB.")
            fields = []
            if body.has("customFields"):
                fields = custom_fields.check(db, body.get("customFields"), "customFields", errors) or []
            else:
                custom_fields.check(db, [], "customFields", errors)
            if body.has("ttl"):
                _check_ttl(body.get("ttl"), tx.now(), errors)
            draft = NewServer(a, group["dc"] if group is not None else None, stype)
            finishers = [f for hook in self.create_hooks if (f := hook(db, draft, body, errors)) is not None]
            errors.raise_if_any()
            # every problem was reported above, so these are known
            assert name and group is not None and template is not None and network is not None

            dc = group["dc"]
            prefix = f"{dc.upper()}{a.upper()}{name.upper()}"
            row = db.execute("SELECT n FROM name_counters WHERE prefix=?", (prefix,)).fetchone()
            n = (row["n"] if row else 0) + 1
            while db.execute("SELECT 1 FROM servers WHERE id=?", (f"{prefix}{n:02d}".lower(),)).fetchone():
                n += 1
            db.execute("INSERT OR REPLACE INTO name_counters VALUES (?,?)", (prefix, n))
            sid = f"{prefix}{n:02d}".lower()
            if not ip:
                ip = self.new_private_ip(db, network["id"])
            server_uuid = new_hex_id(db, "server")
            now = tx.now()
            db.execute(
                "INSERT INTO servers (id, uuid, alias, dc, group_id, description, template, os_type, os_name, status,"
                " type, storage_type, cpu, memory_gb, disks, network_id, ip, power_state, managed_os, managed_backup,"
                " password, windows, custom_fields, primary_dns, secondary_dns, created, created_by, modified,"
                " modified_by)"
                " VALUES (?,?,?,?,?,?,?,?,?,'underConstruction',?,?,?,?,?,?,?,'stopped',?,?,?,?,?,?,?,?,?,?,?)",
                (
                    sid,
                    server_uuid,
                    a,
                    dc,
                    group["id"],
                    description,
                    template["name"],
                    template["os_type"],
                    template["os_name"],
                    stype,
                    storage,
                    cpu,
                    memory,
                    dumps(disks),
                    network["id"],
                    ip,
                    int(bool(managed)),
                    int(bool(backup)),
                    password or generate_password(),
                    template["windows"],
                    dumps(fields),
                    dns["primaryDns"],
                    dns["secondaryDns"],
                    now,
                    tx.who.username,
                    now,
                    tx.who.username,
                ),
            )
            for finish in finishers:
                finish(db, sid)
            job = tx.queue("create", dc, sid)
            return Reply(
                202,
                {
                    "server": name.lower(),
                    "isQueued": True,
                    "links": [
                        status_link(a, job),
                        link(
                            "self",
                            f"/v2/servers/{call.path['alias']}/{server_uuid}?uuid=True",
                            id=server_uuid,
                            verbs=["GET"],
                        ),
                    ],
                },
            )

    @route("PATCH", "/v2/servers/{alias}/{server}", body=True)
    def patch(self, call: Call) -> Reply:
        """Sync members (description, groupId, customFields) -> 204; any async member -> 202 + status link."""
        with self.ctx.call(call) as tx:
            a, db = tx.alias, tx.db
            ops = patch_ops(tx.data)
            errors = Errors()
            row = self.find(db, a, call.path["server"])
            sync: dict[str, Any] = {}
            async_: dict[str, Any] = {}
            snapshots = json.loads(row["snapshots"])
            for i, (member, value) in enumerate(ops):
                where = "groupId"
                m = member.lower()
                if m == "description":
                    sync["description"] = as_str(value, "description", errors, max_len=1000) or ""
                elif m == "groupid":
                    target = self.groups.lookup(db, a, value)
                    if target is None:
                        errors.add(where, f"The group '{value}' does not exist.")
                    elif row["status"] == "archived":
                        errors.add(where, "An archived server leaves the Archive group by a restore.")
                    elif target["dc"] != row["dc"]:
                        errors.add(where, "A server can only move to a group in its own data center.")
                    elif target["type"] in (ARCHIVE, TEMPLATES):
                        errors.add(where, f"A server cannot be moved into the {target['name']} group.")
                    else:
                        sync["group_id"] = target["id"]
                elif m == "customfields":
                    fields = custom_fields.check(db, value, "customFields", errors)
                    if fields is not None:
                        sync["custom_fields"] = dumps(fields)
                elif m == "cpu":
                    async_["cpu"] = as_int(value, "cpu", errors, 1, 16)
                elif m in ("memory", "memorygb"):
                    async_["memory_gb"] = as_int(value, member, errors, 1, 128)
                elif m == "disks":
                    disks = self._patched_disks(row, value, "disks", errors)
                    if disks is not None:
                        async_["disks"] = dumps(disks)
                elif m == "password":
                    pw = Body(value)
                    current, new = pw.get("current"), pw.get("password")
                    if not pw.is_object or new is None:
                        errors.add("password", "The value must be an object {current, password}.")
                    elif current is None or str(current) != row["password"]:
                        errors.add("password.current", "The current password is not correct.")
                    elif not str(new) or BAD_PASSWORD_CHARS & set(str(new)):
                        errors.add(
                            "password.password",
                            "The password must not contain any of the characters \" ' ; ^ & < > | `.",
                        )
                    else:
                        async_["password"] = str(new)
                else:
                    errors.add(f"[{i}].member", f"The member '{member}' cannot be set on a server.")
            if snapshots and ({"cpu", "memory_gb", "disks"} & set(async_)):
                errors.add("", "CPU, memory and disks cannot change while the server has a snapshot.")
            if row["status"] not in ("active", "archived") or (async_ and row["status"] != "active"):
                raise BadRequest(
                    "The server must be in Active or Archived state.",
                    {"": ["The server must be in Active or Archived state."]},
                )
            errors.raise_if_any()
            now = tx.now()
            if sync:
                cols = ", ".join(f"{c}=?" for c in sync)
                db.execute(
                    f"UPDATE servers SET {cols}, modified=?, modified_by=? WHERE id=?",
                    [*sync.values(), now, tx.who.username, row["id"]],
                )
            if not async_:
                return Reply(204)
            return Reply(202, status_link(a, tx.queue("patchServer", row["dc"], row["id"], **async_)))

    @staticmethod
    def _patched_disks(row: sqlite3.Row, value: Any, field: str, errors: Errors) -> list[dict] | None:
        items = as_list(value, field, errors)
        if items is None:
            return None
        current = {d["id"]: d for d in json.loads(row["disks"])}
        reserved = set(reserved_paths(bool(row["windows"])))
        out: list[dict] = []
        kept = set()
        for i, item in enumerate(items):
            entry = Body(item)
            where = f"{field}[{i}]"
            if entry.has("diskId"):
                did = str(entry.get("diskId"))
                old = current.get(did)
                if old is None:
                    errors.add(f"{where}.diskId", f"The disk {did} does not exist.")
                    continue
                size = as_int(entry.get("sizeGB", old["sizeGB"]), f"{where}.sizeGB", errors, 1, MAX_DISK_GB)
                if size is None:
                    continue
                if size < old["sizeGB"]:
                    errors.add(f"{where}.sizeGB", f"Disks can only grow (disk {did} is {old['sizeGB']} GB).")
                    continue
                kept.add(did)
                out.append(dict(old, sizeGB=size))
            else:
                disk = _new_disk(item, where, errors, reserved)
                if disk is not None:
                    disk["id"] = next_disk_id([*current.values(), *out])  # a removed disk's unit is not reused
                    out.append(disk)
        for did, disk in current.items():
            if did not in kept and disk.get("system"):
                errors.add(field, f"The system disk {did} cannot be removed.")
        limit = MAX_STORAGE_GB.get(row["type"], 4096)
        if sum(d["sizeGB"] for d in out) > limit:
            errors.add(field, f"The total storage must not exceed {limit} GB.")
        return out

    @effect("create", duration="create")
    def _built(self, db: sqlite3.Connection, job: Job) -> None:
        """A build makes the server active and started; a failed one removes the half-made server."""
        if job.succeeded:
            self.update(
                db, job.target, by=job.by, when_status="underConstruction", status="active", power_state="started"
            )
        else:
            self.drop(db, job.target)

    @effect("patchServer")
    def _patched(self, db: sqlite3.Connection, job: Job) -> None:
        """The async members of a PATCH (cpu, memory, disks, password) change when the job succeeds."""
        changes = {c: job.params[c] for c in ("cpu", "memory_gb", "disks", "password") if c in job.params}
        if job.succeeded and changes:
            self.update(db, job.target, by=job.by, **changes)

    @route("DELETE", "/v2/servers/{alias}/{server}")
    def delete(self, call: Call) -> Reply:
        """Queue a delete: 202 `{server, isQueued, links}`; the server is `queuedForDelete` meanwhile."""
        with self.ctx.call(call) as tx:
            row = self.find(tx.db, tx.alias, call.path["server"])
            if row["status"] in ("queuedForDelete", "queuedForRestore"):
                raise BadRequest(NOT_QUEUED)
            job = tx.queue("delete", row["dc"], row["id"], previous=row["status"])
            self.update(tx.db, row["id"], by=None, status="queuedForDelete")
            return Reply(202, {"server": row["id"], "isQueued": True, "links": [status_link(tx.alias, job)]})

    @effect("delete", duration="delete")
    def _deleted(self, db: sqlite3.Connection, job: Job) -> None:
        """The server goes; a failed delete brings it back in its previous status."""
        if job.succeeded:
            self.drop(db, job.target)
        else:
            previous = job.params.get("previous", "active")
            self.update(db, job.target, by=None, when_status="queuedForDelete", status=previous)

    @route("POST", "/v2/servers/{alias}/{server}/restore", body=True)
    def restore(self, call: Call) -> Reply:
        """Queue the restore of an archived server into `targetGroupId`: 202 + bare status link."""
        with self.ctx.call(call) as tx:
            body = tx.body
            row = self.find(tx.db, tx.alias, call.path["server"])
            target = self.groups.lookup(tx.db, tx.alias, body.get("targetGroupId", ""))
            if target is None or target["dc"] != row["dc"] or target["type"] != DEFAULT:
                raise field_error("targetGroupId", "The target group does not exist in the server's data center.")
            if row["status"] != "archived":
                raise BadRequest("The server must be archived to be restored.")
            job = tx.queue("restoreServer", row["dc"], row["id"], group=target["id"])
            self.update(tx.db, row["id"], by=None, status="queuedForRestore")
            return Reply(202, status_link(tx.alias, job))

    @effect("restoreServer")
    def _restored(self, db: sqlite3.Connection, job: Job) -> None:
        """Active in the target group, in the power state it had when archived; a failed restore leaves
        the server archived."""
        if job.succeeded:
            self.update(
                db, job.target, by=job.by, when_status="queuedForRestore", status="active", group_id=job.params["group"]
            )
        else:
            self.update(db, job.target, by=None, when_status="queuedForRestore", status="archived")

    @route("DELETE", "/v2/servers/{alias}/{server}/snapshots/{snapshot}")
    def delete_snapshot(self, call: Call) -> Reply:
        """Queue the delete of a snapshot: 200 + bare status link; 404 if unknown."""
        return self._snapshot_job(call, "deleteSnapshot")

    @route("POST", "/v2/servers/{alias}/{server}/snapshots/{snapshot}/restore")
    def revert_snapshot(self, call: Call) -> Reply:
        """Queue the revert of a server to a snapshot: 200 + bare status link; 404 if unknown."""
        return self._snapshot_job(call, "revertSnapshot")

    def _snapshot_job(self, call: Call, kind: str) -> Reply:
        with self.ctx.call(call) as tx:
            row = self.find(tx.db, tx.alias, call.path["server"])
            snapshot = call.path["snapshot"]
            if snapshot not in [str(s["id"]) for s in json.loads(row["snapshots"])]:
                raise NotFound()
            return Reply(200, status_link(tx.alias, tx.queue(kind, row["dc"], row["id"], snapshot=int(snapshot))))

    @effect("deleteSnapshot")
    def _snapshot_deleted(self, db: sqlite3.Connection, job: Job) -> None:
        row = db.execute("SELECT snapshots FROM servers WHERE id=?", (job.target,)).fetchone()
        if job.succeeded and row is not None:
            snapshots = [s for s in json.loads(row["snapshots"]) if s["id"] != job.params.get("snapshot")]
            self.update(db, job.target, by=None, snapshots=dumps(snapshots))

    @effect("revertSnapshot")
    def _snapshot_reverted(self, db: sqlite3.Connection, job: Job) -> None:
        """Nothing the sandbox stores changes (the disks' contents are not modelled)."""


def next_disk_id(disks: Sequence[dict]) -> str:
    """The id of a disk added after `disks`: SCSI bus 0, the unit after the highest one in use, never
    unit 7 (the controller's; recorded: ... 0:5, 0:6, 0:8)."""
    unit = 1 + max((int(str(d["id"]).split(":")[1]) for d in disks if "id" in d), default=-1)
    return f"0:{unit + 1 if unit == 7 else unit}"


def _reserved_paths(template: sqlite3.Row | None) -> set[str]:
    return set() if template is None else set(reserved_paths(bool(template["windows"])))


def _new_disk(item: Any, where: str, errors: Errors, reserved: set[str]) -> dict | None:
    entry = Body(item)
    if not entry.is_object:
        errors.add(where, "Each disk must be an object {path?, sizeGB, type}.")
        return None
    size = as_int(entry.get("sizeGB"), f"{where}.sizeGB", errors, 1, MAX_DISK_GB, required=True)
    kind = str(entry.get("type", "")).lower()
    if kind not in ("raw", "partitioned"):
        errors.add(f"{where}.type", "The disk type must be raw or partitioned.")
        return None
    path = entry.get("path")
    if kind == "partitioned":
        if not path:
            errors.add(f"{where}.path", "A partitioned disk needs a path.")
            return None
        clean = str(path).strip().strip("/\\:").lower()
        if clean in reserved or clean.split("/")[0] in reserved:
            errors.add(f"{where}.path", f"The path {path} is reserved by the template.")
            return None
    if size is None:
        return None
    disk: dict[str, Any] = {"sizeGB": size, "type": kind}
    if path:
        disk["path"] = str(path)
    return disk


def _check_ttl(value: Any, now: float, errors: Errors) -> None:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
    except ValueError:
        errors.add("ttl", "The ttl must be an ISO-8601 date and time.")
        return
    if moment.timestamp() <= now:
        errors.add("ttl", "The ttl must be in the future.")


# --- representations -----------------------------------------------------------------------------------


def server(
    row: sqlite3.Row, alias: str, extras: list[ServerExtras], custom_fields: list[dict], listing: bool = False
) -> dict:
    """Full Get Server representation of one server row, with what add-ons add (`extras`). In a group's
    detailed `listing`, an archived server shows only `{powerState, storageGB}` as details (recorded)."""
    a, sid = alias.lower(), row["id"]
    status = row["status"]
    out: dict[str, Any] = {
        "id": sid,
        "name": sid.upper(),
        "description": row["description"],
        "groupId": row["group_id"],
        "isTemplate": False,
        "locationId": row["dc"].upper(),
        "osType": row["os_name"],
        "os": row["os_type"],
    }
    if row["managed_os"]:
        out["isManagedOS"] = True
        if row["managed_backup"]:
            out["isManagedBackup"] = True
    out["status"] = status
    disks = json.loads(row["disks"])
    storage = sum(d["sizeGB"] for d in disks)
    if status == "queuedForRestore" or (listing and status == "archived"):
        out["details"] = {"powerState": "stopped", "storageGB": storage}
    elif status not in NO_DETAILS:
        archived = status == "archived"
        details = {
            "ipAddresses": _ip_addresses(row["ip"], [item for e in extras for item in e.ip_addresses]),
            "secondaryIPAddresses": [],  # the addresses of secondary network adapters (an add-on's)
            "alertPolicies": [],
            "cpu": 0 if archived else row["cpu"],
            "diskCount": len(disks),
            "hostName": "" if archived else sid,
            "inMaintenanceMode": bool(row["maintenance"]),
            "memoryMB": 0 if archived else row["memory_gb"] * 1024,
            "powerState": "stopped" if archived else row["power_state"],
            "storageGB": storage,
            "disks": [{"id": d["id"], "sizeGB": d["sizeGB"], "partitionPaths": []} for d in disks],
            "partitions": [],
            "snapshots": [_snapshot(s, a, sid) for s in json.loads(row["snapshots"])],
            "customFields": custom_fields,
        }
        for e in extras:
            details.update(e.details)
        out["details"] = details
    out.update({"type": row["type"], "storageType": row["storage_type"], "changeInfo": change_info(row)})
    # a detailed listing shows an archived server without its add-ons' links (recorded)
    added = [] if listing and status == "archived" else [item for e in extras for item in e.links]
    out["links"] = server_links(row, a, added)
    return out


def _ip_addresses(ip: str | None, added: list[dict]) -> list[dict]:
    """The add-ons' addresses, after the server's own internal address unless one of them maps it."""
    out = list(added)
    if ip and ip not in {item["internal"] for item in added}:
        out.insert(0, {"internal": ip})
    return out


def _snapshot(snap: dict, a: str, sid: str) -> dict:
    base = f"/v2/servers/{a}/{sid}/snapshots/{snap['id']}"
    return {
        "name": snap["name"],
        "links": [link("self", base), link("delete", base), link("restore", f"{base}/restore")],
    }


def server_links(row: sqlite3.Row, a: str, added: list[dict]) -> list[dict]:
    """The link set of a server (it depends on its status); `added` (the add-ons') while active or archived."""
    sid, status = row["id"], row["status"]
    base, by_uuid = f"/v2/servers/{a}/{sid}", f"/v2/servers/{a}/{row['uuid']}"
    common = [
        link("group", f"/v2/groups/{a}/{row['group_id']}", id=row["group_id"]),
        link("account", f"/v2/accounts/{a}", id=a),
        link("billing", f"/v2/billing/{a}/serverPricing/{sid}"),
    ]
    if status == "active":
        return [
            link("self", base, id=sid, verbs=["GET", "PATCH", "DELETE"]),
            *common,
            link("statistics", f"{base}/statistics"),
            # both scheduled-activity links name the server by its uuid, as production's did
            link("upcomingScheduledActivities", f"{by_uuid}/upcomingScheduledActivities"),
            link("scheduledActivities", f"{by_uuid}/scheduledActivities", verbs=["GET", "POST"]),
            link("publicIPAddresses", f"{base}/publicIPAddresses", verbs=["POST"]),
            link("alertPolicyMappings", f"{base}/alertPolicies", verbs=["POST"]),
            link("antiAffinityPolicyMapping", f"{base}/antiAffinityPolicy", verbs=["PUT", "DELETE"]),
            link("cpuAutoscalePolicyMapping", f"{base}/cpuAutoscalePolicy", verbs=["PUT", "DELETE"]),
            link("capabilities", f"{base}/capabilities"),
            link("credentials", f"{base}/credentials"),
            *added,
        ]
    links = [link("self", base, id=sid, verbs=["GET", "PATCH"]), *common]
    if status == "archived":  # an archived server keeps its public IPs' links (recorded)
        links += [link("restore", f"{base}/restore"), link("delete", base), *added]
    return links
