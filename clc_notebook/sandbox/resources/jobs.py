"""Job status reads: `GET /v2/operations/{alias}/status/{id}` (queueing and settling are jobqueue.py's)."""

from __future__ import annotations

import sqlite3

from ..clock import FINAL
from ..context import Context
from ..errors import NotFound
from ..handling import Call
from ..registry import route


class Jobs:
    """The status of queued jobs."""

    name = "jobs"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    @route("GET", "/v2/operations/{alias}/status/{job}")
    def status(self, call: Call) -> dict:
        """One status read: counts as a poll (polls mode), settles the job when it reaches its end."""
        with self.ctx.call(call) as tx:
            job = tx.db.execute("SELECT * FROM jobs WHERE id=?", (call.path["job"].lower(),)).fetchone()
            if job is None or job["alias"] != tx.alias:
                raise NotFound()
            return {"status": self.read(tx.db, job)}

    def read(self, db: sqlite3.Connection, job: sqlite3.Row) -> str:
        """One status read of a job row (also for other status routes, e.g. v2-experimental operations):
        counts as a poll, settles the job when it reaches its end; returns the status (`failed` for a job
        whose effect raised when it settled, though it was drawn to succeed)."""
        if job["settled"]:
            return str(job["outcome"])
        polls = job["polls"] + 1
        db.execute("UPDATE jobs SET polls=? WHERE id=?", (polls, job["id"]))
        status = self.ctx.clock.status(job["created"], job["duration"], polls, job["outcome"], job_id=job["id"])
        if status in FINAL:
            status = self.ctx.jobs.settle(db, job)
        return status
