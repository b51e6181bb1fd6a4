"""What every resource shares (`Context`: store, clock, faults, job queue, settings) and the one
prologue of an account call (`Context.call`):

    with self.ctx.call(call) as tx:      # 403 for another account's alias, one transaction, due jobs settled
        row = ...tx.db.execute(...)       # tx.alias: the account's alias; tx.who: the caller; tx.body
        job = tx.queue("deleteGroup", row["dc"], row["id"])
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from .clock import JobClock
from .common import Principal
from .errors import Forbidden, Unauthorized
from .faults import Faults
from .handling import Call
from .jobqueue import JobQueue
from .store import Store
from .validation import Body


@dataclass(frozen=True)
class Settings:
    """Account-wide settings the resources read."""

    token_ttl: float = 14 * 24 * 3600
    seed: int = 0  # the sandbox's seed: what looks random but must be reproducible (batch answer order)


@dataclass
class Tx:
    """One account call inside its transaction."""

    db: sqlite3.Connection
    who: Principal
    alias: str  # the account's alias as stored (the path's may differ in case)
    call: Call
    ctx: Context

    @property
    def data(self) -> Any:
        """The parsed request body (JSON value or form dict; None when empty)."""
        return self.call.body

    @property
    def body(self) -> Body:
        """The request body as a case-insensitive object (empty if the body is not an object)."""
        return Body(self.call.body)

    def now(self) -> float:
        return self.ctx.clock.now()

    def queue(self, kind: str, dc: str, target: str, **params: Any) -> str:
        """Queue a job of `kind` on `target` in data center `dc`, by the caller; returns the job id."""
        return self.ctx.jobs.queue(self.db, self.alias, dc, kind, target, {"by": self.who.username, **params})


class Context:
    """The shared pieces a resource is built with (and nothing resource-specific)."""

    def __init__(self, store: Store, clock: JobClock, faults: Faults, settings: Settings | None = None) -> None:
        self.store, self.clock, self.faults = store, clock, faults
        self.settings = settings or Settings()
        self.jobs = JobQueue(clock, faults)

    @contextlib.contextmanager
    def call(self, call: Call) -> Iterator[Tx]:
        """The prologue of every account call: check the path's alias against the caller's (403), open
        one transaction (committed when the block ends, rolled back if it raises) and, in time mode,
        settle the jobs that are due. The body was parsed before (routes declared with `body=True`)."""
        if call.who is None:  # a route declared auth=False has no caller: a programming error
            raise Unauthorized()
        if call.path["alias"].upper() != call.who.alias.upper():
            raise Forbidden()
        with self.store.transaction() as db:
            self.jobs.tick(db)
            yield Tx(db, call.who, call.who.alias, call, self)
