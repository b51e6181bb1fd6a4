"""Batch operations `POST /v2/operations/{alias}/servers/{op}`: one result per server, per-item errors."""

from __future__ import annotations

import json
from typing import Any

from . import shapes
from .common import ALREADY, NOT_QUEUED, Principal
from .errors import NotFound, field_error
from .validation import Body, Errors, as_bool, as_int

POWER_VALID_FROM = {
    "powerOn": {"stopped", "paused"},
    "powerOff": {"started", "paused"},
    "shutDown": {"started"},
    "reboot": {"started"},
    "reset": {"started"},
    "pause": {"started"},
}
POWER_DESIRED = {"powerOn": "started", "powerOff": "stopped", "shutDown": "stopped", "pause": "paused"}
OPERATIONS = [
    "powerOn",
    "powerOff",
    "shutDown",
    "reboot",
    "reset",
    "pause",
    "startMaintenance",
    "stopMaintenance",
    "setMaintenance",
    "archive",
    "createSnapshot",
    "executePackage",
]


class OperationRules:
    """Mixin of `Backend`: power operations, maintenance, archive, snapshots, packages."""

    def operation(self, who: Principal, alias: str, op_name: str, data: Any) -> list:
        """A batch operation: one result per requested server, in request order."""
        a = self._alias(who, alias)
        op = {o.lower(): o for o in OPERATIONS}.get(op_name.lower())
        if op is None:
            raise NotFound()
        errors = Errors()
        days = None
        targets: list[tuple[str, str]] = []  # (requested id, kind)
        if op == "createSnapshot":
            body = Body(data)
            if not body.is_object:
                raise field_error("", "A JSON object {snapshotExpirationDays, serverIds} is expected.")
            days = (
                as_int(body.get("snapshotExpirationDays"), "snapshotExpirationDays", errors, 1, 10)
                if body.has("snapshotExpirationDays")
                else errors.add("snapshotExpirationDays", "The snapshotExpirationDays field is required.")
            )
            ids = body.get("serverIds")
            ids = [ids] if isinstance(ids, str) else ids
            targets = [(i, op) for i in _id_list(ids, "serverIds", errors)]
        elif op == "setMaintenance":
            body = Body(data)
            items = body.get("servers") if body.is_object else None
            if not isinstance(items, list):
                errors.add("servers", "The servers field must be an array of {id, inMaintenanceMode}.")
                items = []
            for i, item in enumerate(items):
                entry = Body(item)
                flag = as_bool(entry.get("inMaintenanceMode"), f"servers[{i}].inMaintenanceMode", errors)
                sid = entry.get("id")
                if not isinstance(sid, str) or not sid:
                    errors.add(f"servers[{i}].id", "The id field is required.")
                elif flag is not None:
                    targets.append((sid, "startMaintenance" if flag else "stopMaintenance"))
        elif op == "executePackage":
            body = Body(data)
            ids = body.get("servers") if body.is_object else None
            targets = [(i, op) for i in _id_list(ids, "servers", errors)]
            if not Body(body.get("package")).has("packageId"):
                errors.add("package.packageId", "The packageId field is required.")
        else:
            ids = data
            if isinstance(data, dict):  # tolerate the doc tables' {"serverIds": [...]}
                ids = Body(data).get("serverIds")
            targets = [(i, op) for i in _id_list(ids, "", errors, bare=True)]
        errors.raise_if_any()
        with self.store.transaction() as db:
            self.tick(db)
            results = []
            for requested, kind in targets:
                results.append(self._queue_one(db, who, a, requested, kind, days))
            return results

    def _queue_one(self, db, who: Principal, a: str, requested: str, kind: str, days: int | None) -> dict:
        sid = requested.lower()
        row = db.execute("SELECT * FROM servers WHERE id=? AND alias=?", (sid, a)).fetchone()
        problem = None
        if row is None:
            problem = NOT_QUEUED
        elif kind == "archive":
            if row["status"] == "archived":
                problem = ALREADY
            elif row["status"] != "active" or row["managed_os"]:
                problem = NOT_QUEUED
        elif row["status"] != "active":
            problem = NOT_QUEUED
        elif kind in POWER_DESIRED and row["power_state"] == POWER_DESIRED[kind]:
            problem = ALREADY
        elif kind in POWER_VALID_FROM and row["power_state"] not in POWER_VALID_FROM[kind]:
            problem = NOT_QUEUED
        elif kind == "startMaintenance" and row["maintenance"] or kind == "stopMaintenance" and not row["maintenance"]:
            problem = ALREADY
        elif kind == "createSnapshot" and json.loads(row["snapshots"]):
            problem = "The server already has a snapshot; delete it before creating another one."
        if problem:
            return {"server": sid, "isQueued": False, "errorMessage": problem}
        params: dict[str, Any] = {"by": who.username}
        if kind == "archive":
            params["archiveGroup"] = self._system_group(db, row["dc"], shapes.ARCHIVE)
        if kind == "createSnapshot":
            params["days"] = days
        job = self._new_job(db, a, row["dc"], kind, sid, params)
        return {"server": sid, "isQueued": True, "links": [shapes.status_link(a, job)]}


def _id_list(ids: Any, field: str, errors: Errors, bare: bool = False) -> list[str]:
    if not isinstance(ids, list):
        errors.add(
            field,
            "A JSON array of server ids is expected." if bare else f"The {field} field must be an array of server ids.",
        )
        return []
    out = []
    for i, item in enumerate(ids):
        if not isinstance(item, str) or not item.strip():
            errors.add(f"{field}[{i}]", "Each server id must be a non-empty string.")
        else:
            out.append(item.strip())
    return out
