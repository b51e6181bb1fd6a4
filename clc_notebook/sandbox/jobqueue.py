"""Jobs as rows: queueing, the generic settle step, and the registry of what each kind of job does.

A job's status is computed when it is read (`clock.JobClock`); its side effect is the function a
resource registered for its kind (`@effect` in the resource's module), applied exactly once by
`settle`, in the transaction of the request that found the job finished. That request may be any
account's (time mode settles every due job first), so an effect that raises is contained: its changes
are undone, the error is logged and the job ends `failed`, instead of failing that request and every
later one.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from . import fixtures
from .clock import DURATIONS, JobClock
from .common import dumps
from .faults import Faults

JOB_COUNTER_BASE = 100000

log = logging.getLogger("clc_notebook.sandbox")


@dataclass(frozen=True)
class Job:
    """A job as its effect sees it."""

    id: str
    alias: str
    dc: str
    kind: str
    target: str  # the server id or group id the job acts on (a batch's first server: see `targets`)
    params: dict[str, Any]  # what the rule stored when it queued the job (always "by": the user)
    outcome: str  # "succeeded" or "failed", decided when queued

    @property
    def targets(self) -> list[str]:
        """Every server or group the job acts on: a batch operation's job covers several servers
        (`params["servers"]`), any other job its `target` alone."""
        return list(self.params.get("servers") or [self.target])

    @property
    def succeeded(self) -> bool:
        return self.outcome == "succeeded"

    @property
    def by(self) -> str:
        """The user who queued the job (recorded as modifiedBy)."""
        return str(self.params.get("by", fixtures.USERNAME))

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> Job:
        return cls(
            row["id"], row["alias"], row["dc"], row["kind"], row["target"], json.loads(row["params"]), row["outcome"]
        )


Effect = Callable[[sqlite3.Connection, Job], None]


@dataclass(frozen=True)
class JobKind:
    effect: Effect
    duration: float  # seconds at speed 1


class JobQueue:
    """Queues jobs, settles them once, and knows every kind of job the resources registered."""

    def __init__(self, clock: JobClock, faults: Faults) -> None:
        self.clock, self.faults = clock, faults
        self.kinds: dict[str, JobKind] = {}

    def register(self, kind: str, effect: Effect, duration: str = "other") -> None:
        """Declare a kind of job and its effect; raises ValueError for a kind registered twice."""
        if kind in self.kinds:
            raise ValueError(f"the job kind {kind!r} is registered twice")
        self.kinds[kind] = JobKind(effect, DURATIONS[duration])

    def queue(self, db: sqlite3.Connection, alias: str, dc: str, kind: str, target: str, params: dict) -> str:
        """Insert a job of a registered kind (its outcome drawn from the faults now); returns its id."""
        duration = self.kinds[kind].duration  # KeyError: a rule queued a kind nobody registered
        row = db.execute("SELECT n FROM job_counters WHERE dc=?", (dc,)).fetchone()
        n = (row["n"] if row else JOB_COUNTER_BASE) + 1
        db.execute("INSERT OR REPLACE INTO job_counters VALUES (?,?)", (dc, n))
        job_id = f"{dc.lower()}-{n}"
        outcome = "failed" if self.faults.job_fails() else "succeeded"
        db.execute(
            "INSERT INTO jobs (id, alias, dc, kind, target, params, created, duration, outcome)"
            " VALUES (?,?,?,?,?,?,?,?,?)",
            (job_id, alias, dc, kind, target, dumps(params), self.clock.now(), duration, outcome),
        )
        return job_id

    def tick(self, db: sqlite3.Connection) -> None:
        """Time mode: settle every job whose time is up (the prologue of every API call runs this)."""
        if self.clock.settings.mode != "time":
            return
        now = self.clock.now()
        for row in db.execute("SELECT * FROM jobs WHERE settled=0 ORDER BY created").fetchall():
            if self.clock.is_due(row["created"], row["duration"], now):
                self.settle(db, row)

    def settle(self, db: sqlite3.Connection, row: sqlite3.Row) -> str:
        """Apply a finished job's registered effect exactly once (a no-op for a job already settled);
        returns the job's outcome. An effect that raises is undone and logged, and the job ends `failed`
        (its effect applied again as a failed job's, which gives back what the job had reserved)."""
        if db.execute("UPDATE jobs SET settled=1 WHERE id=? AND settled=0", (row["id"],)).rowcount == 0:
            return str(db.execute("SELECT outcome FROM jobs WHERE id=?", (row["id"],)).fetchone()[0])
        job = Job.from_row(row)
        kind = self.kinds.get(job.kind)
        if kind is None or _applied(db, kind.effect, job):
            return job.outcome
        if job.succeeded:
            db.execute("UPDATE jobs SET outcome='failed' WHERE id=?", (job.id,))
            _applied(db, kind.effect, replace(job, outcome="failed"))
        return "failed"

    def ledger(self, db: sqlite3.Connection) -> list[dict]:
        """Every job, oldest first: `{id, kind, target, targets, created, polls, outcome, settled}`
        (`targets`: every server a batch operation's job covers; `[target]` for any other job)."""
        return [
            {
                **{k: r[k] for k in ("id", "kind", "target", "created", "polls", "outcome", "settled")},
                "targets": Job.from_row(r).targets,
                "settled": bool(r["settled"]),
            }
            for r in db.execute("SELECT * FROM jobs ORDER BY created, id")
        ]


def _applied(db: sqlite3.Connection, effect: Effect, job: Job) -> bool:
    """Run a job's effect inside a savepoint; True if it returned, False if it raised (its changes undone,
    the error logged with the job's id, kind and account)."""
    db.execute("SAVEPOINT job_effect")
    try:
        effect(db, job)
    except Exception:
        db.execute("ROLLBACK TO job_effect")
        log.exception(
            "job %s (%s, account %s, %s): its effect raised; the job ends failed",
            job.id,
            job.kind,
            job.alias,
            job.outcome,
        )
        return False
    finally:
        db.execute("RELEASE job_effect")
    return True
