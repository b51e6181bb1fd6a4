"""The sandbox's backend: the shared `Context` and one object per resource (resources/), composed.

No HTTP here (moto's split): the routes each resource declares call its methods; each call runs in
one SQLite transaction (`Context.call`), returns JSON-ready data (or a `Reply`) and raises `ApiProblem`s
for errors. What is not a resource lives here: seeding, reset, the clock's persisted offset, the job
ledger and token expiry that the control plane and `Sandbox` use.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from . import fixtures
from .clock import JobClock
from .common import Principal
from .context import Context, Settings
from .faults import Faults
from .resources import build
from .resources.accounts import Accounts
from .store import Store

CLOCK_OFFSET = "clock_offset"  # `meta` key: seconds added by clock_start and PUT /sandbox/clock {advance}


class Backend:
    """The resources of one sandbox; thread-safe through the store's single transaction lock."""

    def __init__(
        self,
        store: Store,
        clock: JobClock,
        faults: Faults,
        token_ttl: float = 14 * 24 * 3600,
        datacenters: int = 3,
        servers: int = 0,
        groups: int = 0,
        seed: int = 0,
        clock_start: float | None = None,
    ) -> None:
        self.store, self.clock, self.faults = store, clock, faults
        self.ctx = Context(store, clock, faults, Settings(token_ttl=float(token_ttl), seed=seed))
        self.resources: dict[str, Any] = build(self.ctx)
        self.accounts: Accounts = self.resources[Accounts.name]
        self.sizes = {"datacenters": datacenters, "servers": servers, "groups": groups}
        with store.transaction() as db:
            # the clock's advance() offset lives in the state file: a restart keeps "now"
            row = db.execute("SELECT value FROM meta WHERE key=?", (CLOCK_OFFSET,)).fetchone()
            if row is not None:
                clock.restore(float(row[0]))
        if store.is_empty():
            # like the sizes, a start time applies to a new state only: a restart keeps its "now"
            if clock_start is not None:
                clock.set_now(clock_start)
            with store.transaction() as db:
                self._seed(db, self.sizes)
                self._save_clock_offset(db)

    def _seed(self, db: sqlite3.Connection, sizes: dict[str, int]) -> None:
        """The tutorial's account (+ synthetic sizes), then what resources with a `seed(db)` add."""
        fixtures.seed(db, self.clock.now(), **sizes)
        for resource in self.resources.values():
            seed = getattr(resource, "seed", None)
            if seed is not None:
                seed(db)

    def authenticate(self, authorization: str | None) -> Principal:
        """Who holds the bearer token of an Authorization header; 401 when missing, invalid or expired."""
        return self.accounts.authenticate(authorization)

    def tick(self, db: sqlite3.Connection) -> None:
        """Time mode: settle every job whose time is up."""
        self.ctx.jobs.tick(db)

    # --- control plane ----------------------------------------------------------------------------------

    def reset(self, datacenters: int | None = None, servers: int | None = None, groups: int | None = None) -> dict:
        """Back to the seeded account (optionally with new synthetic sizes). Tokens stay valid."""
        sizes = dict(self.sizes)
        for key, value in (("datacenters", datacenters), ("servers", servers), ("groups", groups)):
            if value is not None:
                sizes[key] = value
        with self.store.transaction() as db:
            self.store.clear()
            self._seed(db, sizes)
            self._save_clock_offset(db)  # `meta` was emptied; the clock keeps its offset
        self.sizes = sizes
        return dict(sizes)

    def advance_clock(self, seconds: float) -> None:
        """Move the clock's "now" forward and record the total offset in the store."""
        with self.store.transaction() as db:
            self.clock.advance(seconds)
            self._save_clock_offset(db)

    def _save_clock_offset(self, db: sqlite3.Connection) -> None:
        if self.clock.offset:
            db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (CLOCK_OFFSET, repr(self.clock.offset)))

    def expire_tokens(self) -> int:
        """Invalidate every token issued so far; returns how many there were."""
        return self.accounts.expire_tokens()

    def job_ledger(self) -> list[dict]:
        """Every job, oldest first: `{id, kind, target, targets, created, polls, outcome, settled}` (outcome is the
        decided end state, reached or not). For tests and demos; the API itself has no job listing."""
        with self.store.transaction() as db:
            return self.ctx.jobs.ledger(db)
