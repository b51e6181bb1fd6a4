"""Job status reads: `GET /v2/operations/{alias}/status/{id}` (queueing and settling are jobqueue.py's)."""

from __future__ import annotations

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
            if job["settled"]:
                return {"status": job["outcome"]}
            polls = job["polls"] + 1
            tx.db.execute("UPDATE jobs SET polls=? WHERE id=?", (polls, job["id"]))
            status = self.ctx.clock.status(job["created"], job["duration"], polls, job["outcome"], job_id=job["id"])
            if status in FINAL:
                self.ctx.jobs.settle(tx.db, job)
            return {"status": status}
