"""Custom field values, as groups and servers carry them: checking `[{id, value}]` and showing them.

The definitions are the account's (`GET /v2/accounts/{alias}/customFields`, resources/accounts.py).
"""

from __future__ import annotations

import json
import sqlite3
from typing import Any

from .validation import Body, Errors, as_list


def definitions(db: sqlite3.Connection) -> dict[str, sqlite3.Row]:
    """The account's field definitions by id."""
    return {r["id"]: r for r in db.execute("SELECT * FROM custom_fields")}


def check(db: sqlite3.Connection, value: Any, field: str, errors: Errors) -> list[dict] | None:
    """Validate a complete `[{id, value}]` list (problems go to `errors` under `field`); returns the
    normalized list to store, or None when `value` is not a list."""
    items = as_list(value, field, errors)
    if items is None:
        return None
    defs = definitions(db)
    out, seen = [], set()
    for i, item in enumerate(items):
        entry = Body(item)
        if not entry.is_object:
            errors.add(f"{field}[{i}]", "Each custom field must be an object {id, value}.")
            continue
        fid = str(entry.get("id", "")).lower()
        if fid not in defs:
            errors.add(f"{field}[{i}].id", f"The custom field '{entry.get('id', '')}' does not exist.")
            continue
        raw = entry.get("value", "")
        text = "" if raw is None else (str(raw).lower() if isinstance(raw, bool) else str(raw))
        d = defs[fid]
        if d["type"] == "option" and text and text not in [o["name"] for o in json.loads(d["options"])]:
            errors.add(f"{field}[{i}].value", f"'{text}' is not an option of the custom field {d['name']}.")
            continue
        if d["type"] == "checkbox" and text and text.lower() not in ("true", "false"):
            errors.add(f"{field}[{i}].value", f"The custom field {d['name']} takes true or false.")
            continue
        seen.add(fid)
        out.append({"id": fid, "value": text.lower() if d["type"] == "checkbox" else text})
    for fid, d in defs.items():
        if d["is_required"] and fid not in seen:
            errors.add(field, f"The custom field {d['name']} is required.")
    return out


def shaped(defs: dict[str, sqlite3.Row], stored: str) -> list[dict]:
    """The `customFields` of a representation from the stored JSON: `[{id, name, value, displayValue}]`."""
    out = []
    for item in json.loads(stored):
        d = defs.get(item["id"])
        if d is None:
            continue
        display = item["value"]
        if d["type"] == "option":
            display = {o["name"]: o["value"] for o in json.loads(d["options"])}.get(item["value"], item["value"])
        out.append({"id": item["id"], "name": d["name"], "value": item["value"], "displayValue": display})
    return out
