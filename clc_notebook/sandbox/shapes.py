"""Generic pieces of the JSON representations (each resource shapes its own objects in its module).

Rules kept here (clc-api-v2.md §1.5, §4.1): hrefs are root-relative with the alias in lower case;
dates are `YYYY-MM-DDTHH:MM:SSZ`; links are `{rel, href, id?, name?, verbs?}`.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any


def iso(ts: float) -> str:
    """Format epoch seconds as `YYYY-MM-DDTHH:MM:SSZ`."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def link(rel: str, href: str, id: str | None = None, name: str | None = None, verbs: list[str] | None = None) -> dict:
    """A link object; `id`, `name` and `verbs` only when given."""
    out: dict[str, Any] = {"rel": rel, "href": href}
    if id is not None:
        out["id"] = id
    if name is not None:
        out["name"] = name
    if verbs:
        out["verbs"] = verbs
    return out


def status_link(alias: str, job_id: str) -> dict:
    """The bare status link object (async answers of shape A)."""
    return link("status", f"/v2/operations/{alias.lower()}/status/{job_id}", id=job_id)


def change_info(row: sqlite3.Row) -> dict:
    """`changeInfo` from a row's created/modified columns."""
    return {
        "createdBy": row["created_by"],
        "createdDate": iso(row["created"]),
        "modifiedBy": row["modified_by"],
        "modifiedDate": iso(row["modified"]),
    }
