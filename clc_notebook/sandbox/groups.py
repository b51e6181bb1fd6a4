"""Groups: the tree (plain and detailed), create, PATCH, delete, archive, defaults and billing."""

from __future__ import annotations

import calendar
import json
import time
from typing import Any

from . import fixtures, shapes
from .common import PRICES, Principal, Reply
from .common import dumps as _dumps
from .errors import BadRequest, NotFound, field_error
from .validation import Body, Errors, as_int, as_str, is_ipv4
from .validation import patch_ops as _patch_ops

DEFAULT_KEYS = ("cpu", "memoryGB", "networkId", "primaryDns", "secondaryDns", "templateName")


class GroupRules:
    """Mixin of `Backend`: groups."""

    def _group(self, db, alias: str, gid: str):
        row = db.execute("SELECT * FROM groups WHERE id=?", (str(gid).lower(),)).fetchone()
        if row is None or row["alias"] != alias:
            raise NotFound()
        return row

    def get_group(self, who: Principal, alias: str, gid: str, detailed: bool) -> dict:
        """The group with its whole subtree; `detailed` embeds full servers instead of server links."""
        a = self._alias(who, alias)
        with self.store.transaction() as db:
            self.tick(db)
            top = self._group(db, a, gid)
            groups = db.execute("SELECT * FROM groups WHERE dc=? AND alias=?", (top["dc"], a)).fetchall()
            children: dict[str | None, list] = {}
            for g in groups:
                children.setdefault(g["parent_id"], []).append(g)
            defs = self._field_defs(db)
            by_group: dict[str, list] = {}
            if detailed:
                rows = db.execute("SELECT * FROM servers WHERE dc=? AND alias=? ORDER BY id", (top["dc"], a)).fetchall()
                ips: dict[str, list] = {}
                for p in db.execute(
                    "SELECT p.* FROM public_ips p JOIN servers s ON s.id=p.server_id WHERE s.dc=? ORDER BY p.position",
                    (top["dc"],),
                ):
                    ips.setdefault(p["server_id"], []).append(p)
            else:
                rows = db.execute(
                    "SELECT id, group_id, status FROM servers WHERE dc=? AND alias=? ORDER BY id", (top["dc"], a)
                ).fetchall()
            for s in rows:
                by_group.setdefault(s["group_id"], []).append(s)

            def build(g, counted: bool) -> tuple[dict, int]:
                counted = counted and g["type"] not in (shapes.ARCHIVE, shapes.TEMPLATES)
                kids, total = [], 0
                for child in sorted(children.get(g["id"], []), key=lambda r: (r["name"].lower(), r["id"])):
                    shaped, n = build(child, counted)
                    kids.append(shaped)
                    total += n
                mine = by_group.get(g["id"], [])
                if counted:
                    total += sum(1 for s in mine if s["status"] != "archived")
                count = total if counted else 0
                if detailed:
                    members = {
                        "servers": [
                            shapes.server(s, a, ips.get(s["id"], []), self._shape_fields(defs, s["custom_fields"]))
                            for s in mine
                        ]
                    }
                else:
                    members = {"server_ids": [s["id"] for s in mine]}
                shaped = shapes.group(
                    g,
                    a,
                    children=kids,
                    servers_count=count,
                    custom_fields=self._shape_fields(defs, g["custom_fields"]),
                    **members,
                )
                return shaped, count

            return build(top, True)[0]

    def create_group(self, who: Principal, alias: str, data: Any) -> Reply:
        """Create a group: 201 + Location + the new group; 400 naming each bad field."""
        a = self._alias(who, alias)
        body = Body(data)
        if not body.is_object:
            raise field_error("", "A JSON object {name, parentGroupId, description?, customFields?} is expected.")
        errors = Errors()
        with self.store.transaction() as db:
            self.tick(db)
            name = as_str(body.get("name"), "name", errors, required=True, max_len=200)
            if name is not None and not name.strip():
                errors.add("name", "The name field is required.")
            description = as_str(body.get("description"), "description", errors, max_len=1000)
            parent_id = as_str(body.get("parentGroupId"), "parentGroupId", errors, required=True, max_len=64)
            parent = None
            if parent_id:
                parent = db.execute("SELECT * FROM groups WHERE id=? AND alias=?", (parent_id.lower(), a)).fetchone()
                if parent is None:
                    errors.add("parentGroupId", f"The parent group '{parent_id}' does not exist.")
                elif parent["type"] == shapes.ARCHIVE:
                    errors.add("parentGroupId", "Groups cannot be created inside the Archive group.")
            fields = []
            if body.has("customFields"):
                fields = self._check_custom_fields(db, body.get("customFields"), "customFields", errors)
            errors.raise_if_any()
            gid = self._new_hex_id(db, "group")
            now = self.clock.now()
            db.execute(
                "INSERT INTO groups (id, alias, dc, parent_id, name, description, type, status, custom_fields,"
                " created, created_by, modified, modified_by) VALUES (?,?,?,?,?,?,'default','active',?,?,?,?,?)",
                (
                    gid,
                    a,
                    parent["dc"],
                    parent["id"],
                    name,
                    description or None,
                    _dumps(fields),
                    now,
                    who.username,
                    now,
                    who.username,
                ),
            )
            row = db.execute("SELECT * FROM groups WHERE id=?", (gid,)).fetchone()
            shaped = shapes.group(row, a, custom_fields=self._shape_fields(self._field_defs(db), row["custom_fields"]))
            return Reply(201, shaped, {"Location": f"/v2/groups/{a.lower()}/{gid}"})

    def patch_group(self, who: Principal, alias: str, gid: str, data: Any) -> Reply:
        """Apply `[{op: set, member, value}]` (name, description, parentGroupId, customFields): 204 or 400."""
        a = self._alias(who, alias)
        ops = _patch_ops(data)
        errors = Errors()
        with self.store.transaction() as db:
            self.tick(db)
            row = self._group(db, a, gid)
            changes: dict[str, Any] = {}
            for i, (member, value) in enumerate(ops):
                m = member.lower()
                if m == "name":
                    name = as_str(value, "name", errors, required=True, max_len=200)
                    if name is not None and name.strip():
                        changes["name"] = name
                    elif name is not None:
                        errors.add("name", "The name cannot be empty.")
                elif m == "description":
                    changes["description"] = as_str(value, "description", errors, max_len=1000) or ""
                elif m == "parentgroupid":
                    where = "parentGroupId"
                    pid = str(value or "").lower()
                    parent = db.execute("SELECT * FROM groups WHERE id=? AND alias=?", (pid, a)).fetchone()
                    if row["parent_id"] is None or row["type"] != shapes.DEFAULT:
                        errors.add(where, "This group cannot be moved.")
                    elif parent is None:
                        errors.add(where, f"The parent group '{value}' does not exist.")
                    elif parent["dc"] != row["dc"]:
                        errors.add(where, "The parent group must be in the same data center.")
                    elif parent["type"] == shapes.ARCHIVE:
                        errors.add(where, "Groups cannot be moved into the Archive group.")
                    elif pid in self._subtree_ids(db, row["id"]):
                        errors.add(where, "A group cannot be moved under itself or one of its descendants.")
                    else:
                        changes["parent_id"] = pid
                elif m == "customfields":
                    fields = self._check_custom_fields(db, value, "customFields", errors)
                    if fields is not None:
                        changes["custom_fields"] = _dumps(fields)
                else:
                    errors.add(f"[{i}].member", f"The member '{member}' cannot be set on a group.")
            errors.raise_if_any()
            if changes:
                cols = ", ".join(f"{c}=?" for c in changes)
                db.execute(
                    f"UPDATE groups SET {cols}, modified=?, modified_by=? WHERE id=?",
                    list(changes.values()) + [self.clock.now(), who.username, row["id"]],
                )
            return Reply(204)

    def delete_group(self, who: Principal, alias: str, gid: str) -> Reply:
        """Queue the deletion of a group and its subtree: 202 + bare status link; 400 for permanent groups."""
        a = self._alias(who, alias)
        with self.store.transaction() as db:
            self.tick(db)
            row = self._group(db, a, gid)
            if row["permanent"]:
                raise BadRequest(
                    "The group cannot be deleted: data center root, Default Group, Archive and "
                    "Templates groups are permanent."
                )
            job = self._new_job(db, a, row["dc"], "deleteGroup", row["id"], {"by": who.username})
            return Reply(202, shapes.status_link(a, job))

    def archive_group(self, who: Principal, alias: str, gid: str) -> Reply:
        """Queue the archiving of every server of the subtree: 202 + bare status link."""
        a = self._alias(who, alias)
        with self.store.transaction() as db:
            self.tick(db)
            row = self._group(db, a, gid)
            if row["parent_id"] is None or row["type"] != shapes.DEFAULT:
                raise BadRequest("This group cannot be archived.")
            archive = self._system_group(db, row["dc"], shapes.ARCHIVE)
            job = self._new_job(
                db, a, row["dc"], "archiveGroup", row["id"], {"by": who.username, "archiveGroup": archive}
            )
            return Reply(202, shapes.status_link(a, job))

    def _system_group(self, db, dc: str, kind: str) -> str:
        row = db.execute("SELECT id FROM groups WHERE dc=? AND type=? ORDER BY created LIMIT 1", (dc, kind)).fetchone()
        return row["id"]

    def group_defaults(self, who: Principal, alias: str, gid: str) -> dict:
        """The group's defaults, `{key: {value?, inherited}}`."""
        a = self._alias(who, alias)
        with self.store.transaction() as db:
            self.tick(db)
            return self._defaults_view(db, self._group(db, a, gid))

    def _defaults_view(self, db, row) -> dict:
        out = {k: {"inherited": False} for k in DEFAULT_KEYS}
        current, own = row, True
        while current is not None:
            values = json.loads(current["defaults"])
            for key in DEFAULT_KEYS:
                if "value" not in out[key] and key in values:
                    out[key] = {"value": values[key], "inherited": not own}
            own = False
            current = (
                db.execute("SELECT * FROM groups WHERE id=?", (current["parent_id"],)).fetchone()
                if current["parent_id"]
                else None
            )
        for key, value in zip(("primaryDns", "secondaryDns"), fixtures.DEFAULT_DNS, strict=True):
            if "value" not in out[key]:
                out[key] = {"value": value, "inherited": True}
        return out

    def set_group_defaults(self, who: Principal, alias: str, gid: str, data: Any) -> dict:
        """Set some defaults (cpu, memoryGB, networkId, DNS, templateName); returns the new view or 400."""
        a = self._alias(who, alias)
        body = Body(data)
        if not body.is_object:
            raise field_error("", "A JSON object of defaults is expected.")
        errors = Errors()
        with self.store.transaction() as db:
            self.tick(db)
            row = self._group(db, a, gid)
            values = json.loads(row["defaults"])
            if body.has("cpu"):
                values["cpu"] = as_int(body.get("cpu"), "cpu", errors, 1, 16)
            if body.has("memoryGB"):
                values["memoryGB"] = as_int(body.get("memoryGB"), "memoryGB", errors, 1, 128)
            if body.has("networkId"):
                net = str(body.get("networkId")).lower()
                if not db.execute("SELECT 1 FROM networks WHERE id=? AND dc=?", (net, row["dc"])).fetchone():
                    errors.add("networkId", f"The network {body.get('networkId')} is not valid.")
                values["networkId"] = net
            for key in ("primaryDns", "secondaryDns"):
                if body.has(key):
                    if not is_ipv4(body.get(key)):
                        errors.add(key, f"The field {key} must be an IPv4 address.")
                    values[key] = str(body.get(key))
            if body.has("templateName"):
                tpl = db.execute(
                    "SELECT name FROM templates WHERE upper(name)=?", (str(body.get("templateName")).upper(),)
                ).fetchone()
                if tpl is None:
                    errors.add("templateName", f"The template {body.get('templateName')} does not exist.")
                else:
                    values["templateName"] = tpl["name"]
            errors.raise_if_any()
            db.execute(
                "UPDATE groups SET defaults=?, modified=?, modified_by=? WHERE id=?",
                (_dumps(values), self.clock.now(), who.username, row["id"]),
            )
            return self._defaults_view(db, db.execute("SELECT * FROM groups WHERE id=?", (row["id"],)).fetchone())

    def group_billing(self, who: Principal, alias: str, gid: str) -> dict:
        """Estimated costs of the group and its descendants, keyed by group then server."""
        a = self._alias(who, alias)
        with self.store.transaction() as db:
            self.tick(db)
            top = self._group(db, a, gid)
            now = self.clock.now()
            month_hours = max(1.0, (now - _month_start(now)) / 3600.0)
            out = {}
            for g in self._subtree_ids(db, top["id"]):
                grow = db.execute("SELECT name FROM groups WHERE id=?", (g,)).fetchone()
                servers = {}
                for s in db.execute("SELECT * FROM servers WHERE group_id=? ORDER BY id", (g,)):
                    servers[s["id"]] = _server_costs(s, month_hours)
                out[g] = {"name": grow["name"], "servers": servers}
            return {"date": shapes.iso(now), "groups": out}


def _month_start(ts: float) -> float:
    t = time.gmtime(ts)
    return float(calendar.timegm((t.tm_year, t.tm_mon, 1, 0, 0, 0)))


def _server_costs(row, month_hours: float) -> dict:
    storage = sum(d["sizeGB"] for d in json.loads(row["disks"]))
    if row["status"] == "archived":
        hourly = storage * PRICES["archiveGB"]
        return {
            "templateCost": 0.0,
            "archiveCost": round(hourly * 730, 2),
            "monthlyEstimate": round(hourly * 730, 2),
            "monthToDate": round(hourly * month_hours, 2),
            "currentHour": round(hourly, 5),
        }
    running = row["power_state"] == "started"
    hourly = storage * PRICES["storageGB"]
    if running:  # stopped and paused servers pay for storage only
        hourly += row["cpu"] * PRICES["cpu"] + row["memory_gb"] * PRICES["memoryGB"]
    if row["managed_os"]:
        hourly += PRICES["managedOS"]
    return {
        "templateCost": 0.0,
        "archiveCost": 0.0,
        "monthlyEstimate": round(hourly * 730, 2),
        "monthToDate": round(hourly * month_hours, 2),
        "currentHour": round(hourly, 5),
    }
