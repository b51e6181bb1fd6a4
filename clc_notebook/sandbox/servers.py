"""Servers: create (every rule of clc-api-v2.md §9.4), get, PATCH, delete, credentials, restore, snapshots."""

from __future__ import annotations

import ipaddress
import json
import re
import secrets
import string
from datetime import datetime, timezone
from typing import Any

from . import fixtures, shapes
from .common import NOT_QUEUED, PRICES, Principal, Reply
from .common import dumps as _dumps
from .errors import BadRequest, NotFound, field_error
from .validation import Body, Errors, as_bool, as_int, as_list, as_str, is_ipv4
from .validation import patch_ops as _patch_ops

NAME_RE = re.compile(r"^[A-Za-z0-9-]+$")
BAD_PASSWORD_CHARS = set("\"';^&<>|`")
SERVER_TYPES = ("standard", "hyperscale", "bareMetal")
STORAGE_TYPES = ("standard", "premium", "hyperscale")
MAX_DISK_GB = 1024
MAX_STORAGE_GB = {"standard": 4096, "hyperscale": 1024}


def generate_password(rng=secrets) -> str:
    """A password that satisfies the platform's rules (letters, digits, safe symbols)."""
    alphabet = string.ascii_letters + string.digits + "!@#$%*-_=+"
    core = "".join(rng.choice(alphabet) for _ in range(12))
    return core + rng.choice(string.ascii_uppercase) + rng.choice(string.digits) + "!"


class ServerRules:
    """Mixin of `Backend`: servers."""

    def _server(self, db, alias: str, sid: str, by_uuid: bool = False):
        column = "uuid" if by_uuid else "id"
        row = db.execute(f"SELECT * FROM servers WHERE {column}=?", (str(sid).lower(),)).fetchone()
        if row is None or row["alias"] != alias:
            raise NotFound(empty=True)
        return row

    def _shape_server(self, db, row, alias: str) -> dict:
        ips = db.execute("SELECT * FROM public_ips WHERE server_id=? ORDER BY position", (row["id"],)).fetchall()
        return shapes.server(row, alias, ips, self._shape_fields(self._field_defs(db), row["custom_fields"]))

    def get_server(self, who: Principal, alias: str, sid: str, by_uuid: bool) -> dict:
        """Get Server by id, or by uuid when `by_uuid`; 404 with an empty body if unknown."""
        a = self._alias(who, alias)
        with self.store.transaction() as db:
            self.tick(db)
            return self._shape_server(db, self._server(db, a, sid, by_uuid), a)

    def credentials(self, who: Principal, alias: str, sid: str) -> dict:
        """`{userName, password}` of a server (root, or Administrator on Windows)."""
        a = self._alias(who, alias)
        with self.store.transaction() as db:
            self.tick(db)
            row = self._server(db, a, sid)
            return {"userName": "Administrator" if row["windows"] else "root", "password": row["password"]}

    def server_capabilities(self, who: Principal, alias: str, sid: str) -> dict:
        """What the Python SDK reads from `/capabilities` (undocumented endpoint)."""
        a = self._alias(who, alias)
        with self.store.transaction() as db:
            self.tick(db)
            row = self._server(db, a, sid)
            reserved = shapes.WINDOWS_RESERVED if row["windows"] else shapes.LINUX_RESERVED
            return {
                "reservedDrivePaths": list(reserved),
                "addingCpuRequiresReboot": False,
                "addingMemoryRequiresReboot": False,
            }

    def server_pricing(self, who: Principal, alias: str, sid: str) -> dict:
        """Hourly unit prices of a server (`/v2/billing/{alias}/serverPricing/{id}`, the server's billing link)."""
        a = self._alias(who, alias)
        with self.store.transaction() as db:
            self.tick(db)
            row = self._server(db, a, sid)
            return {
                "cpu": PRICES["cpu"],
                "memoryGB": PRICES["memoryGB"],
                "storageGB": PRICES["storageGB"],
                "managedOS": PRICES["managedOS"] if row["managed_os"] else 0.0,
            }

    def create_server(self, who: Principal, alias_as_sent: str, data: Any) -> Reply:
        """Validate (every rule of clc-api-v2.md §9.4), insert the server underConstruction, queue the build."""
        a = self._alias(who, alias_as_sent)
        body = Body(data)
        if not body.is_object:
            raise field_error("", "A JSON object describing the server is expected.")
        errors = Errors()
        with self.store.transaction() as db:
            self.tick(db)
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
                group = db.execute("SELECT * FROM groups WHERE id=? AND alias=?", (gid.lower(), a)).fetchone()
                if group is None:
                    errors.add("groupId", f"The group '{gid}' does not exist.")
                elif group["type"] in (shapes.ARCHIVE, shapes.TEMPLATES):
                    errors.add("groupId", f"Servers cannot be created in the {group['name']} group.")
                    group = None
            defaults = self._defaults_view(db, group) if group is not None else {}

            def default(key):
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
            cpu = (
                as_int(cpu_value, "cpu", errors, 1, 16)
                if cpu_value is not None
                else errors.add("cpu", "The cpu field is required.")
            )
            mem_value = body.get("memoryGB", default("memoryGB"))
            memory = (
                as_int(mem_value, "memoryGB", errors, 1, 128)
                if mem_value is not None
                else errors.add("memoryGB", "The memoryGB field is required.")
            )
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
                        "SELECT * FROM networks WHERE id=? AND dc=?", (net_id.lower(), group["dc"])
                    ).fetchone()
                    if network is None:
                        errors.add("networkId", f"The network {net_id} is not valid.")
                else:
                    network = db.execute(
                        "SELECT * FROM networks WHERE dc=? ORDER BY name LIMIT 1", (group["dc"],)
                    ).fetchone()
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
                        disk["id"] = f"0:{len(disks)}"
                        disks.append(disk)
            limit = MAX_STORAGE_GB.get(stype, 4096)
            if sum(d["sizeGB"] for d in disks) > limit:
                errors.add("additionalDisks", f"The total storage of a {stype} server must not exceed {limit} GB.")
            fields = []
            if body.has("customFields"):
                fields = self._check_custom_fields(db, body.get("customFields"), "customFields", errors) or []
            else:
                self._check_custom_fields(db, [], "customFields", errors)
            if body.has("ttl"):
                _check_ttl(body.get("ttl"), self.clock.now(), errors)
            errors.raise_if_any()

            dc = group["dc"]
            prefix = f"{dc.upper()}{a.upper()}{name.upper()}"
            row = db.execute("SELECT n FROM name_counters WHERE prefix=?", (prefix,)).fetchone()
            n = (row["n"] if row else 0) + 1
            while db.execute("SELECT 1 FROM servers WHERE id=?", (f"{prefix}{n:02d}".lower(),)).fetchone():
                n += 1
            db.execute("INSERT OR REPLACE INTO name_counters VALUES (?,?)", (prefix, n))
            sid = f"{prefix}{n:02d}".lower()
            if not ip:
                ip, counter = fixtures.ip_at(ipaddress.IPv4Network(network["cidr"]), network["next_host"])
                db.execute("UPDATE networks SET next_host=? WHERE id=?", (counter, network["id"]))
            server_uuid = self._new_hex_id(db, "server")
            now = self.clock.now()
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
                    _dumps(disks),
                    network["id"],
                    ip,
                    int(bool(managed)),
                    int(bool(backup)),
                    password or generate_password(),
                    template["windows"],
                    _dumps(fields),
                    dns["primaryDns"],
                    dns["secondaryDns"],
                    now,
                    who.username,
                    now,
                    who.username,
                ),
            )
            job = self._new_job(db, a, dc, "create", sid, {"by": who.username})
            return Reply(
                202,
                {
                    "server": name.lower(),
                    "isQueued": True,
                    "links": [
                        shapes.status_link(a, job),
                        shapes.link(
                            "self",
                            f"/v2/servers/{alias_as_sent}/{server_uuid}?uuid=True",
                            id=server_uuid,
                            verbs=["GET"],
                        ),
                    ],
                },
            )

    def patch_server(self, who: Principal, alias: str, sid: str, data: Any) -> Reply:
        """Sync members (description, groupId, customFields) -> 204; any async member -> 202 + status link."""
        a = self._alias(who, alias)
        ops = _patch_ops(data)
        errors = Errors()
        with self.store.transaction() as db:
            self.tick(db)
            row = self._server(db, a, sid)
            sync: dict[str, Any] = {}
            async_: dict[str, Any] = {}
            snapshots = json.loads(row["snapshots"])
            for i, (member, value) in enumerate(ops):
                where = "groupId"
                m = member.lower()
                if m == "description":
                    sync["description"] = as_str(value, "description", errors, max_len=1000) or ""
                elif m == "groupid":
                    target = db.execute(
                        "SELECT * FROM groups WHERE id=? AND alias=?", (str(value or "").lower(), a)
                    ).fetchone()
                    if target is None:
                        errors.add(where, f"The group '{value}' does not exist.")
                    elif row["status"] == "archived":
                        errors.add(where, "An archived server leaves the Archive group by a restore.")
                    elif target["dc"] != row["dc"]:
                        errors.add(where, "A server can only move to a group in its own data center.")
                    elif target["type"] in (shapes.ARCHIVE, shapes.TEMPLATES):
                        errors.add(where, f"A server cannot be moved into the {target['name']} group.")
                    else:
                        sync["group_id"] = target["id"]
                elif m == "customfields":
                    fields = self._check_custom_fields(db, value, "customFields", errors)
                    if fields is not None:
                        sync["custom_fields"] = _dumps(fields)
                elif m == "cpu":
                    async_["cpu"] = as_int(value, "cpu", errors, 1, 16)
                elif m in ("memory", "memorygb"):
                    async_["memory_gb"] = as_int(value, member, errors, 1, 128)
                elif m == "disks":
                    disks = self._patched_disks(row, value, "disks", errors)
                    if disks is not None:
                        async_["disks"] = _dumps(disks)
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
            now = self.clock.now()
            if sync:
                cols = ", ".join(f"{c}=?" for c in sync)
                db.execute(
                    f"UPDATE servers SET {cols}, modified=?, modified_by=? WHERE id=?",
                    list(sync.values()) + [now, who.username, row["id"]],
                )
            if not async_:
                return Reply(204)
            async_["by"] = who.username
            job = self._new_job(db, a, row["dc"], "patchServer", row["id"], async_)
            return Reply(202, shapes.status_link(a, job))

    def _patched_disks(self, row, value: Any, field: str, errors: Errors) -> list | None:
        items = as_list(value, field, errors)
        if items is None:
            return None
        current = {d["id"]: d for d in json.loads(row["disks"])}
        template = {"windows": row["windows"]}
        reserved = _reserved_paths(template)
        out, kept = [], set()
        next_n = 1 + max((int(d.split(":")[1]) for d in current), default=-1)
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
                    disk["id"] = f"0:{next_n}"
                    next_n += 1
                    out.append(disk)
        for did, disk in current.items():
            if did not in kept and disk.get("system"):
                errors.add(field, f"The system disk {did} cannot be removed.")
        limit = MAX_STORAGE_GB.get(row["type"], 4096)
        if sum(d["sizeGB"] for d in out) > limit:
            errors.add(field, f"The total storage must not exceed {limit} GB.")
        return out

    def delete_server(self, who: Principal, alias: str, sid: str) -> Reply:
        """Queue a delete: 202 `{server, isQueued, links}`; the server is `queuedForDelete` meanwhile."""
        a = self._alias(who, alias)
        with self.store.transaction() as db:
            self.tick(db)
            row = self._server(db, a, sid)
            if row["status"] in ("queuedForDelete", "queuedForRestore"):
                raise BadRequest(NOT_QUEUED)
            job = self._new_job(db, a, row["dc"], "delete", row["id"], {"by": who.username, "previous": row["status"]})
            db.execute("UPDATE servers SET status='queuedForDelete' WHERE id=?", (row["id"],))
            return Reply(202, {"server": row["id"], "isQueued": True, "links": [shapes.status_link(a, job)]})

    def restore_server(self, who: Principal, alias: str, sid: str, data: Any) -> Reply:
        """Queue the restore of an archived server into `targetGroupId`: 202 + bare status link."""
        a = self._alias(who, alias)
        body = Body(data)
        with self.store.transaction() as db:
            self.tick(db)
            row = self._server(db, a, sid)
            target = db.execute(
                "SELECT * FROM groups WHERE id=? AND alias=?", (str(body.get("targetGroupId", "")).lower(), a)
            ).fetchone()
            if target is None or target["dc"] != row["dc"] or target["type"] != shapes.DEFAULT:
                raise field_error("targetGroupId", "The target group does not exist in the server's data center.")
            if row["status"] != "archived":
                raise BadRequest("The server must be archived to be restored.")
            job = self._new_job(
                db, a, row["dc"], "restoreServer", row["id"], {"by": who.username, "group": target["id"]}
            )
            db.execute("UPDATE servers SET status='queuedForRestore' WHERE id=?", (row["id"],))
            return Reply(202, shapes.status_link(a, job))

    def snapshot_action(self, who: Principal, alias: str, sid: str, snapshot: str, action: str) -> Reply:
        """Queue the delete or revert of snapshot `snapshot`: 200 + bare status link; 404 if unknown."""
        a = self._alias(who, alias)
        with self.store.transaction() as db:
            self.tick(db)
            row = self._server(db, a, sid)
            ids = [str(s["id"]) for s in json.loads(row["snapshots"])]
            if str(snapshot) not in ids:
                raise NotFound()
            kind = "deleteSnapshot" if action == "delete" else "revertSnapshot"
            job = self._new_job(db, a, row["dc"], kind, row["id"], {"by": who.username, "snapshot": int(snapshot)})
            return Reply(200, shapes.status_link(a, job))


def _reserved_paths(template) -> set:
    if template is None:
        return set()
    return set(shapes.WINDOWS_RESERVED if template["windows"] else shapes.LINUX_RESERVED)


def _new_disk(item: Any, where: str, errors: Errors, reserved: set) -> dict | None:
    entry = Body(item)
    if not entry.is_object:
        errors.add(where, "Each disk must be an object {path?, sizeGB, type}.")
        return None
    size = (
        as_int(entry.get("sizeGB"), f"{where}.sizeGB", errors, 1, MAX_DISK_GB)
        if entry.has("sizeGB")
        else errors.add(f"{where}.sizeGB", "The sizeGB field is required.")
    )
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
    disk = {"sizeGB": size, "type": kind}
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
