"""The sandbox's backend: the shared `Context` and one object per resource (resources/), composed.

No HTTP here (moto's split): the routes each resource declares call its methods; each call runs in
one SQLite transaction (`Context.call`), returns JSON-ready data (or a `Reply`) and raises `ApiProblem`s
for errors. What is not a resource lives here: seeding, reset, the clock's persisted offset, the job
ledger and token expiry that the control plane and `Sandbox` use.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
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
        # called inside the transaction of every (re)seed, after the tutorial's account (the classroom
        # seeds its accounts again there)
        self.after_seed: list[Callable[[sqlite3.Connection], None]] = []
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
        """The tutorial's account (+ synthetic sizes), then what resources with a `seed(db)` or a
        `seed_account(db, alias)` add, then the `after_seed` hooks."""
        fixtures.seed(db, self.clock.now(), **sizes)
        for resource in self.resources.values():
            seed = getattr(resource, "seed", None)
            if seed is not None:
                seed(db)
        self._seed_resources_of(db, fixtures.ALIAS)
        for hook in self.after_seed:
            hook(db)

    def _seed_resources_of(self, db: sqlite3.Connection, alias: str) -> None:
        for resource in self.resources.values():
            seed_account = getattr(resource, "seed_account", None)
            if seed_account is not None:
                seed_account(db, alias)

    def seed_account(self, db: sqlite3.Connection, account: fixtures.Account) -> None:
        """Add one more account, seeded like the tutorial's (its own ids), inside `db`'s transaction."""
        fixtures.seed_account(db, self.clock.now(), account)
        self._seed_resources_of(db, account.alias)

    def drop_account(self, db: sqlite3.Connection, alias: str) -> None:
        """Remove everything of one account (its user too; tokens stay) inside `db`'s transaction:
        its servers through the servers resource (so add-ons drop what hangs on them), then every row
        keyed by its alias in the tables a reset empties, and its server-name counters. A resource whose
        rows hang on the account's rows without an alias of their own drops them in `drop_account(db, alias)`."""
        servers = self.resources["servers"]
        for (sid,) in db.execute("SELECT id FROM servers WHERE alias=?", (alias,)).fetchall():
            servers.drop(db, sid)
        for resource in self.resources.values():
            drop = getattr(resource, "drop_account", None)
            if drop is not None:
                drop(db, alias)
        for table in self.store.reset_tables():
            if any(column["name"] == "alias" for column in db.execute(f"PRAGMA table_info({table})")):
                db.execute(f"DELETE FROM {table} WHERE alias=?", (alias,))
        for (dc,) in db.execute("SELECT id FROM datacenters").fetchall():
            prefix = f"{dc}{alias}".upper()  # names are DC + ALIAS + NAME: the account's own counters
            db.execute("DELETE FROM name_counters WHERE substr(prefix, 1, ?)=?", (len(prefix), prefix))

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
