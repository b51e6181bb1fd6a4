"""SQLite persistence for the sandbox: schema, one connection, one lock, one transaction per request.

The sandbox keeps every resource in SQLite so that `--state FILE` survives a restart (or a SIGKILL):
each request runs in one write transaction that is committed before the answer is sent. A single
connection guarded by a re-entrant lock serializes access, so concurrent handlers never see
"database is locked" and counters (names, job ids) are never handed out twice.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
from collections.abc import Iterator, Mapping

from .fixtures import ALIAS as TUTORIAL_ALIAS

SCHEMA_VERSION = 1

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY, password TEXT NOT NULL, alias TEXT NOT NULL,
    location TEXT NOT NULL, roles TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    digest TEXT PRIMARY KEY, username TEXT NOT NULL, alias TEXT NOT NULL,
    issued REAL NOT NULL, expires REAL NOT NULL);
CREATE TABLE IF NOT EXISTS datacenters (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, root_group_id TEXT NOT NULL, position INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS networks (
    id TEXT PRIMARY KEY, dc TEXT NOT NULL, name TEXT NOT NULL, cidr TEXT NOT NULL,
    gateway TEXT NOT NULL, next_host INTEGER NOT NULL, alias TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS templates (
    name TEXT PRIMARY KEY, os_type TEXT NOT NULL, os_name TEXT NOT NULL, description TEXT NOT NULL,
    storage_gb INTEGER NOT NULL, disks TEXT NOT NULL, windows INTEGER NOT NULL, position INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS custom_fields (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, is_required INTEGER NOT NULL, type TEXT NOT NULL,
    options TEXT NOT NULL, position INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS groups (
    id TEXT PRIMARY KEY, alias TEXT NOT NULL, dc TEXT NOT NULL, parent_id TEXT,
    name TEXT NOT NULL, description TEXT, type TEXT NOT NULL, status TEXT NOT NULL,
    custom_fields TEXT NOT NULL DEFAULT '[]', defaults TEXT NOT NULL DEFAULT '{}',
    permanent INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL, created_by TEXT NOT NULL, modified REAL NOT NULL, modified_by TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS groups_parent ON groups(parent_id);
CREATE INDEX IF NOT EXISTS groups_dc ON groups(dc);
CREATE TABLE IF NOT EXISTS servers (
    id TEXT PRIMARY KEY, uuid TEXT NOT NULL UNIQUE, alias TEXT NOT NULL, dc TEXT NOT NULL,
    group_id TEXT NOT NULL, description TEXT NOT NULL, template TEXT NOT NULL,
    os_type TEXT NOT NULL, os_name TEXT NOT NULL, status TEXT NOT NULL,
    type TEXT NOT NULL, storage_type TEXT NOT NULL, cpu INTEGER NOT NULL, memory_gb INTEGER NOT NULL,
    disks TEXT NOT NULL, network_id TEXT, ip TEXT, power_state TEXT NOT NULL,
    maintenance INTEGER NOT NULL DEFAULT 0, managed_os INTEGER NOT NULL DEFAULT 0,
    managed_backup INTEGER NOT NULL DEFAULT 0, password TEXT NOT NULL, windows INTEGER NOT NULL,
    custom_fields TEXT NOT NULL DEFAULT '[]', snapshots TEXT NOT NULL DEFAULT '[]',
    next_snapshot INTEGER NOT NULL DEFAULT 1, primary_dns TEXT, secondary_dns TEXT,
    created REAL NOT NULL, created_by TEXT NOT NULL, modified REAL NOT NULL, modified_by TEXT NOT NULL,
    rev INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS servers_group ON servers(group_id);
CREATE INDEX IF NOT EXISTS servers_dc ON servers(dc);
CREATE TABLE IF NOT EXISTS public_ips (
    ip TEXT PRIMARY KEY, server_id TEXT NOT NULL, internal_ip TEXT NOT NULL,
    ports TEXT NOT NULL, source_restrictions TEXT NOT NULL, position INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS public_ips_server ON public_ips(server_id);
CREATE TABLE IF NOT EXISTS name_counters (prefix TEXT PRIMARY KEY, n INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS job_counters (dc TEXT PRIMARY KEY, n INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
    id TEXT PRIMARY KEY, alias TEXT NOT NULL, dc TEXT NOT NULL, kind TEXT NOT NULL,
    target TEXT, params TEXT NOT NULL DEFAULT '{}', created REAL NOT NULL, duration REAL NOT NULL,
    polls INTEGER NOT NULL DEFAULT 0, outcome TEXT NOT NULL, settled INTEGER NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS jobs_pending ON jobs(settled);
CREATE TABLE IF NOT EXISTS revisions (name TEXT PRIMARY KEY, n INTEGER NOT NULL);
"""

# Every change of a server row gives it a new `rev`, unique for the life of the state file (the counter
# survives resets; a new row starts at 0, and its uuid and creation time tell it from any earlier row).
# So (uuid, created, rev) names one version of one server, whoever changed the row and however: the
# encoded representations servers.py keeps rely on it. (No insert trigger: bulk seeding stays fast.)
REVISION_TRIGGERS = """
INSERT OR IGNORE INTO revisions VALUES ('servers', 0);
CREATE TRIGGER IF NOT EXISTS servers_rev_update AFTER UPDATE ON servers WHEN NEW.rev = OLD.rev BEGIN
    UPDATE revisions SET n = n + 1 WHERE name = 'servers';
    UPDATE servers SET rev = (SELECT n FROM revisions WHERE name = 'servers') WHERE rowid = NEW.rowid;
END;
"""

# Tables emptied by a reset (tokens survive so that open sessions keep working after a reset).
RESET_TABLES = (
    "users",
    "datacenters",
    "networks",
    "templates",
    "custom_fields",
    "groups",
    "servers",
    "public_ips",
    "name_counters",
    "job_counters",
    "jobs",
    "meta",
)


class Store:
    """One SQLite database (a file or ``:memory:``) behind a lock; use ``with store.transaction() as db``."""

    def __init__(self, path: str | None = None) -> None:
        """Open (creating if needed) the database; raises ValueError naming `state` if it cannot."""
        self.path = path or ":memory:"
        self._lock = threading.RLock()
        self._depth = 0
        self._extra_tables: list[str] = []  # tables of resources (add_tables), emptied by a reset too
        try:
            self._conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
            self._conn.row_factory = sqlite3.Row
            if self.path != ":memory:":
                # WAL + NORMAL: a committed transaction survives a killed process (not a power cut).
                self._conn.execute("PRAGMA journal_mode=WAL")
                self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.executescript(SCHEMA)
            self._migrate()
            self._conn.executescript(REVISION_TRIGGERS)
        except sqlite3.Error as exc:
            raise ValueError(f"state: cannot use {self.path!r} as the sandbox's SQLite file ({exc})") from None

    def _migrate(self) -> None:
        """Bring a state file written by an older version up to the schema (columns added since)."""
        columns = {r["name"] for r in self._conn.execute("PRAGMA table_info(networks)")}
        if "alias" not in columns:  # networks became per account; before, only the tutorial's existed
            self._conn.execute(f"ALTER TABLE networks ADD COLUMN alias TEXT NOT NULL DEFAULT '{TUTORIAL_ALIAS}'")
        if "rev" not in {r["name"] for r in self._conn.execute("PRAGMA table_info(servers)")}:
            self._conn.execute("ALTER TABLE servers ADD COLUMN rev INTEGER NOT NULL DEFAULT 0")

    @contextlib.contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Yield the connection inside one write transaction (nested calls join the outer one).

        Commits on normal exit, rolls back on any exception (which is re-raised).
        """
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self._conn
                finally:
                    self._depth -= 1
                return
            self._conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")
            finally:
                self._depth = 0

    def add_tables(self, tables: Mapping[str, str], *, kept_by_reset: bool = False) -> None:
        """Create a resource's own tables if missing (`{name: "column definitions"}`); a reset empties
        them unless `kept_by_reset` (the classroom's roster survives a reset, as tokens do)."""
        with self.transaction() as db:
            for name, columns in tables.items():
                db.execute(f"CREATE TABLE IF NOT EXISTS {name} ({columns})")
        if not kept_by_reset:
            self._extra_tables += [name for name in tables if name not in self._extra_tables]

    def reset_tables(self) -> tuple[str, ...]:
        """The tables a reset empties: every account's data (not the tokens, not tables kept by reset)."""
        return (*RESET_TABLES, *self._extra_tables)

    def is_empty(self) -> bool:
        """True when the database holds no account yet (a fresh file or memory)."""
        with self.transaction() as db:
            return db.execute("SELECT COUNT(*) FROM users").fetchone()[0] == 0

    def clear(self) -> None:
        """Delete every resource (not the tokens) inside the current or a new transaction."""
        with self.transaction() as db:
            for table in self.reset_tables():
                db.execute(f"DELETE FROM {table}")

    def close(self) -> None:
        """Close the connection; the store cannot be used afterwards."""
        with self._lock:
            self._conn.close()
