"""Small things shared by the rule modules: who is calling, a success answer, fixed texts, JSON for columns."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

NOT_QUEUED = "The operation cannot be queued because the server cannot be found or it is not in a valid state."
ALREADY = "The server already in desired state."

# Hourly unit prices (USD): per vCPU, per GB of memory, per GB of storage, per managed server; archive storage.
PRICES = {"cpu": 0.01, "memoryGB": 0.015, "storageGB": 0.00021, "managedOS": 0.08, "archiveGB": 0.00012}


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
    headers: dict | None = None


def dumps(value: Any) -> str:
    """Compact JSON, as stored in the TEXT columns."""
    return json.dumps(value, separators=(",", ":"))
