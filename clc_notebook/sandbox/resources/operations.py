"""Batch operations `POST /v2/operations/{alias}/servers/{op}`: one result per server, per-item errors;
power states, maintenance, archive, snapshots and packages, and the effects of their jobs."""

from __future__ import annotations

import json
import sqlite3
import time
from typing import Any

from ..common import dumps
from ..context import Context, Tx
from ..errors import NotFound, field_error
from ..handling import Call
from ..jobqueue import Job
from ..registry import effect, route
from ..shapes import status_link
from ..validation import Body, Errors, as_bool, as_int
from .groups import ARCHIVE, Groups
from .servers import ALREADY, NOT_QUEUED, Servers

POWER_VALID_FROM = {
    "powerOn": {"stopped", "paused"},
    "powerOff": {"started", "paused"},
    "shutDown": {"started"},
    "reboot": {"started"},
    "reset": {"started"},
    "pause": {"started"},
}
POWER_DESIRED = {"powerOn": "started", "powerOff": "stopped", "shutDown": "stopped", "pause": "paused"}
POWER_RESULT = {
    "powerOn": "started",
    "powerOff": "stopped",
    "shutDown": "stopped",
    "reboot": "started",
    "reset": "started",
    "pause": "paused",
}
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


class Operations:
    """Batch operations on servers."""

    name = "operations"

    def __init__(self, ctx: Context, servers: Servers, groups: Groups) -> None:
        self.ctx = ctx
        self.servers = servers
        self.groups = groups

    @route("POST", "/v2/operations/{alias}/servers/{op}", body=True)
    def run(self, call: Call) -> list[dict]:
        """A batch operation: one result per requested server, in request order; 404 for an unknown op."""
        with self.ctx.call(call) as tx:
            op = {o.lower(): o for o in OPERATIONS}.get(call.path["op"].lower())
            if op is None:
                raise NotFound()
            targets, days = _targets(op, tx.data)
            return [self._queue_one(tx, requested, kind, days) for requested, kind in targets]

    def _queue_one(self, tx: Tx, requested: str, kind: str, days: int | None) -> dict:
        sid = requested.lower()
        row = tx.db.execute("SELECT * FROM servers WHERE id=? AND alias=?", (sid, tx.alias)).fetchone()
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
        if problem or row is None:
            return {"server": sid, "isQueued": False, "errorMessage": problem}
        params: dict[str, Any] = {}
        if kind == "archive":
            params["archiveGroup"] = self.groups.system_group(tx.db, tx.alias, row["dc"], ARCHIVE)
        if kind == "createSnapshot":
            params["days"] = days
        job = tx.queue(kind, row["dc"], sid, **params)
        return {"server": sid, "isQueued": True, "links": [status_link(tx.alias, job)]}

    @effect(*POWER_RESULT, duration="power")
    def _powered(self, db: sqlite3.Connection, job: Job) -> None:
        """The power state changes (a failed operation leaves it as it was)."""
        if job.succeeded:
            self.servers.update(db, job.target, by=job.by, when_status="active", power_state=POWER_RESULT[job.kind])

    @effect("startMaintenance", "stopMaintenance", duration="power")
    def _maintenance(self, db: sqlite3.Connection, job: Job) -> None:
        if job.succeeded:
            self.servers.update(db, job.target, by=job.by, maintenance=int(job.kind == "startMaintenance"))

    @effect("archive")
    def _archived(self, db: sqlite3.Connection, job: Job) -> None:
        if job.succeeded:
            self.servers.archive(db, job.target, job.params["archiveGroup"], job.by)

    @effect("createSnapshot")
    def _snapshot_created(self, db: sqlite3.Connection, job: Job) -> None:
        """The server gets its (only) snapshot, named after its creation time; it expires after `days`."""
        row = db.execute("SELECT next_snapshot FROM servers WHERE id=?", (job.target,)).fetchone()
        if not job.succeeded or row is None:
            return
        now = self.ctx.clock.now()
        number = row["next_snapshot"]
        snapshot = {"id": number, "name": _snapshot_name(now), "expires": now + 86400 * (job.params.get("days") or 10)}
        self.servers.update(db, job.target, by=job.by, snapshots=dumps([snapshot]), next_snapshot=number + 1)

    @effect("executePackage")
    def _package_executed(self, db: sqlite3.Connection, job: Job) -> None:
        """Nothing the sandbox stores changes (packages are not modelled)."""


def _targets(op: str, data: Any) -> tuple[list[tuple[str, str]], int | None]:
    """The (requested server id, job kind) pairs of an operation's body, and the snapshot days; 400 naming
    every bad field."""
    errors = Errors()
    days = None
    targets: list[tuple[str, str]] = []
    if op == "createSnapshot":
        body = Body(data)
        if not body.is_object:
            raise field_error("", "A JSON object {snapshotExpirationDays, serverIds} is expected.")
        days = as_int(body.get("snapshotExpirationDays"), "snapshotExpirationDays", errors, 1, 10, required=True)
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
    return targets, days


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


def _snapshot_name(ts: float) -> str:
    """Snapshot names are their creation time, as recorded: `2015-06-18.09:19:36`."""
    return time.strftime("%Y-%m-%d.%H:%M:%S", time.gmtime(ts))
