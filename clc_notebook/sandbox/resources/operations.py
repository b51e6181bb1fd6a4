"""Batch operations `POST /v2/operations/{alias}/servers/{op}`: power states, maintenance, archive,
snapshots and packages, and the effects of their jobs.

As production answered them (the recordings): one item per distinct server (a server named twice is
answered once), **one job for the whole request** (every queued item carries the same status link),
and the items **not** in the request's order: shuffled from the sandbox's seed and the request, so a
run is reproducible, and never in the request's order when there are two or more, so a client that
pairs answers with its request by position fails here as it would have there. Items that cannot be
queued carry `errorMessage` instead of a link.
"""

from __future__ import annotations

import json
import random
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
    "reboot": {"started", "paused"},  # production queued a reboot of a paused server (it came back started)
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
        """A batch operation (see the module docstring); 404 for an unknown operation, 400 for a bad body."""
        with self.ctx.call(call) as tx:
            op = {o.lower(): o for o in OPERATIONS}.get(call.path["op"].lower())
            if op is None:
                raise NotFound()
            targets, days = _targets(op, tx.data)
            wanted: dict[str, str] = {}  # server id -> what is asked of it; the first mention wins
            for requested, kind in targets:
                wanted.setdefault(requested.lower(), kind)
            items, queued = [], []
            for sid, kind in wanted.items():
                problem = self._problem(tx, sid, kind)
                if problem:
                    items.append({"server": sid, "isQueued": False, "errorMessage": problem})
                else:
                    items.append({"server": sid, "isQueued": True})
                    queued.append(sid)
            if queued:
                row = tx.db.execute("SELECT dc FROM servers WHERE id=?", (queued[0],)).fetchone()
                params: dict[str, Any] = {"servers": queued}
                if op == "setMaintenance":
                    params["maintenance"] = {sid: wanted[sid] == "startMaintenance" for sid in queued}
                if op == "createSnapshot":
                    params["days"] = days
                link = status_link(tx.alias, tx.queue(op, row["dc"], queued[0], **params))
                for item in items:
                    if item["isQueued"]:
                        item["links"] = [link]
            return self._shuffled(items, seed=f"{self.ctx.settings.seed}:{json.dumps(items)}")

    @staticmethod
    def _shuffled(items: list[dict], seed: str) -> list[dict]:
        """The items in an order drawn from `seed`, never the given one when there are two or more."""
        out = list(items)
        random.Random(seed).shuffle(out)
        if len(out) > 1 and out == items:
            out = out[1:] + out[:1]
        return out

    def _problem(self, tx: Tx, sid: str, kind: str) -> str | None:
        """Why `kind` cannot be queued for server `sid` now (None: it can)."""
        row = tx.db.execute("SELECT * FROM servers WHERE id=? AND alias=?", (sid, tx.alias)).fetchone()
        if row is None:
            return NOT_QUEUED
        if kind == "archive":
            if row["status"] == "archived":
                return ALREADY
            return NOT_QUEUED if row["status"] != "active" or row["managed_os"] else None
        if row["status"] != "active":
            return NOT_QUEUED
        if kind in POWER_DESIRED and row["power_state"] == POWER_DESIRED[kind]:
            return ALREADY
        if kind in POWER_VALID_FROM and row["power_state"] not in POWER_VALID_FROM[kind]:
            return NOT_QUEUED
        if kind == "startMaintenance" and row["maintenance"] or kind == "stopMaintenance" and not row["maintenance"]:
            return ALREADY
        if kind == "createSnapshot" and json.loads(row["snapshots"]):
            return "The server already has a snapshot; delete it before creating another one."
        return None

    @effect(*POWER_RESULT, duration="power")
    def _powered(self, db: sqlite3.Connection, job: Job) -> None:
        """The power states change (a failed operation leaves them as they were)."""
        if job.succeeded:
            for sid in job.targets:
                self.servers.update(db, sid, by=job.by, when_status="active", power_state=POWER_RESULT[job.kind])

    @effect("startMaintenance", "stopMaintenance", "setMaintenance", duration="power")
    def _maintenance(self, db: sqlite3.Connection, job: Job) -> None:
        if job.succeeded:
            flags = job.params.get("maintenance", {})
            for sid in job.targets:
                on = flags.get(sid, job.kind == "startMaintenance")
                self.servers.update(db, sid, by=job.by, maintenance=int(on))

    @effect("archive")
    def _archived(self, db: sqlite3.Connection, job: Job) -> None:
        if not job.succeeded:
            return
        for sid in job.targets:
            row = db.execute("SELECT dc, alias FROM servers WHERE id=?", (sid,)).fetchone()
            if row is not None:
                archive = self.groups.system_group(db, row["alias"], row["dc"], ARCHIVE)
                self.servers.archive(db, sid, archive, job.by)

    @effect("createSnapshot")
    def _snapshot_created(self, db: sqlite3.Connection, job: Job) -> None:
        """Each server gets its (only) snapshot, named after its creation time; it expires after `days`."""
        if not job.succeeded:
            return
        now = self.ctx.clock.now()
        for sid in job.targets:
            row = db.execute("SELECT next_snapshot FROM servers WHERE id=?", (sid,)).fetchone()
            if row is None:
                continue
            number = row["next_snapshot"]
            expires = now + 86400 * (job.params.get("days") or 10)
            snapshot = {"id": number, "name": _snapshot_name(now), "expires": expires}
            self.servers.update(db, sid, by=job.by, snapshots=dumps([snapshot]), next_snapshot=number + 1)

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
