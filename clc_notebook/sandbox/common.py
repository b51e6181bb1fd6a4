"""Small things shared by the resources: who is calling, a success answer, JSON for columns and answers,
new ids, a cache of encoded representations."""

from __future__ import annotations

import json
import sqlite3
from collections import OrderedDict
from collections.abc import Hashable, Mapping
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
    """Compact JSON, as stored in the TEXT columns (and as answers are encoded)."""
    return json.dumps(value, separators=(",", ":"))


def encode(value: Any) -> bytes:
    """A value as the bytes of an answer (the same encoding `handling.json_response` uses)."""
    return dumps(value).encode()


def encode_with(obj: Mapping[str, Any], encoded: Mapping[str, bytes]) -> bytes:
    """`obj` encoded as `encode` would, its members named in `encoded` replaced by those bytes (JSON
    encoded already, e.g. cached parts), in `obj`'s order."""
    parts: list[bytes] = []
    run: dict[str, Any] = {}  # members in a row that are not encoded yet: one dumps() for them all
    for key, value in obj.items():
        if key in encoded:
            if run:
                parts.append(encode(run)[1:-1])
                run = {}
            parts.append(encode(key) + b":" + encoded[key])
        else:
            run[key] = value
    if run:
        parts.append(encode(run)[1:-1])
    return b"{" + b",".join(parts) + b"}"


def encode_list(items: list[bytes]) -> bytes:
    """A JSON array of already-encoded items."""
    return b"[" + b",".join(items) + b"]"


class EncodedCache:
    """Encoded representations by id, each valid while its key (what it was made of) is unchanged.

    Least recently used entries go beyond `limit` bytes. Callers hold the store's lock (every account
    call runs inside one transaction), so no lock of its own.
    """

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self._items: OrderedDict[str, tuple[Hashable, bytes]] = OrderedDict()

    def get(self, item_id: str, key: Hashable) -> bytes | None:
        """The bytes stored for `item_id` if they were made from `key`, else None."""
        found = self._items.get(item_id)
        if found is None or found[0] != key:
            return None
        self._items.move_to_end(item_id)
        return found[1]

    def put(self, item_id: str, key: Hashable, data: bytes) -> None:
        old = self._items.pop(item_id, None)
        if old is not None:
            self.size -= len(old[1])
        self._items[item_id] = (key, data)
        self.size += len(data)
        while self.size > self.limit and self._items:
            self.size -= len(self._items.popitem(last=False)[1][1])


def new_hex_id(db: sqlite3.Connection, kind: str) -> str:
    """A fresh 32-hex id for a new group or server: random-looking but deterministic (a counter
    stored with the state), so a replayed notebook gets the same ids and a restart never repeats one."""
    row = db.execute("SELECT value FROM meta WHERE key='id_counter'").fetchone()
    counter = int(row[0]) + 1 if row else 1
    db.execute("INSERT OR REPLACE INTO meta VALUES ('id_counter', ?)", (str(counter),))
    return fixtures.hex_id("sandbox", kind, counter)
