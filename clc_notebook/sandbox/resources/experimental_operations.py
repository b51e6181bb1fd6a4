"""v2-experimental operations: the `{operationId, uri}` answer of the asynchronous network calls (claim a
network, add or remove a secondary NIC) and their status, `GET /v2-experimental/operations/{alias}/status/{id}`.

An operation is a job of the ordinary queue (same clock, same faults, same `@effect`s, listed in the
ledger) under a 32-hex operation id. Its status reads speak the v2-experimental vocabulary: `queued`,
`running`, then `succeeded` or `failed`. A network claim answers with the full record production gave
(`requestType`, `summary` with the claimed network's link once it succeeded, `source`); a secondary
NIC's status is `{"status"}` only, as recorded.
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from ..common import Reply, dumps, new_hex_id
from ..context import Context, Tx
from ..errors import NotFound
from ..handling import Call
from ..registry import route
from ..shapes import iso
from .jobs import Jobs

# The queue's statuses as v2-experimental names them (clc-sdk waits while `queued` or `running`).
VOCABULARY = {"notStarted": "queued", "executing": "running"}


class ExperimentalOperations:
    """Operation ids over queued jobs, and their status reads."""

    name = "experimental_operations"
    tables = {
        "experimental_operations": "id TEXT PRIMARY KEY, alias TEXT NOT NULL, job_id TEXT NOT NULL,"
        " request_type TEXT, location TEXT NOT NULL, blueprint INTEGER NOT NULL, links TEXT NOT NULL,"
        " requested_by TEXT NOT NULL, requested_at REAL NOT NULL"
    }

    def __init__(self, ctx: Context, jobs: Jobs) -> None:
        self.ctx = ctx
        self.jobs = jobs

    def start(
        self,
        tx: Tx,
        kind: str,
        dc: str,
        target: str,
        *,
        request_type: str | None = None,
        links: list[dict] | None = None,
        **params: Any,
    ) -> Reply:
        """Queue a job of `kind` as an operation: 202 `{operationId, uri}` (a root-relative uri: clc-sdk
        prefixes it with its endpoint). With a `request_type` the status reads carry the full record,
        and `links` (shown in `summary.links` once the operation succeeded)."""
        job_id = tx.queue(kind, dc, target, **params)
        op_id = new_hex_id(tx.db, "operation")
        blueprint = int(job_id.rsplit("-", 1)[1])
        tx.db.execute(
            "INSERT INTO experimental_operations VALUES (?,?,?,?,?,?,?,?,?)",
            (op_id, tx.alias, job_id, request_type, dc, blueprint, dumps(links or []), tx.who.username, tx.now()),
        )
        uri = f"/v2-experimental/operations/{tx.alias.upper()}/status/{op_id}"
        return Reply(202, {"operationId": op_id, "uri": uri})

    @route("GET", "/v2-experimental/operations/{alias}/status/{operation}")
    def status(self, call: Call) -> dict:
        """One status read (a poll, as for `/v2/operations/.../status/...`); 404 for an unknown operation."""
        with self.ctx.call(call) as tx:
            op = tx.db.execute(
                "SELECT * FROM experimental_operations WHERE id=?", (call.path["operation"].lower(),)
            ).fetchone()
            if op is None or op["alias"] != tx.alias:
                raise NotFound()
            job = tx.db.execute("SELECT * FROM jobs WHERE id=?", (op["job_id"],)).fetchone()
            status = self.jobs.read(tx.db, job)
            return operation(op, VOCABULARY.get(status, status))


def operation(row: sqlite3.Row, status: str) -> dict:
    """The status record of an operation: `{status}`, or the full record for one with a request type."""
    if row["request_type"] is None:
        return {"status": status}
    summary: dict[str, Any] = {"blueprintId": row["blueprint"], "locationId": row["location"].upper()}
    if status == "succeeded":
        summary["links"] = json.loads(row["links"])
    return {
        "requestType": row["request_type"],
        "status": status,
        "summary": summary,
        "source": {"userName": row["requested_by"], "requestedAt": iso(row["requested_at"])},
    }
