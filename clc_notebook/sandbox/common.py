"""Small things shared by the resources: who is calling, a success answer, JSON for columns, new ids."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any

from . import fixtures


@dataclass(frozen=True)
class Principal:
    """The holder of a valid bearer token."""

    username: str
    alias: str


@dataclass
class Reply:
    """A success answer: status code, JSON body (None = empty) and headers."""

    status: int
    body: Any = None
    headers: dict[str, str] | None = None


def dumps(value: Any) -> str:
    """Compact JSON, as stored in the TEXT columns."""
    return json.dumps(value, separators=(",", ":"))


def new_hex_id(db: sqlite3.Connection, kind: str) -> str:
    """A fresh 32-hex id for a new group or server: random-looking but deterministic (a counter
    stored with the state), so a replayed notebook gets the same ids and a restart never repeats one."""
    row = db.execute("SELECT value FROM meta WHERE key='id_counter'").fetchone()
    counter = int(row[0]) + 1 if row else 1
    db.execute("INSERT OR REPLACE INTO meta VALUES ('id_counter', ?)", (str(counter),))
    return fixtures.hex_id("sandbox", kind, counter)
