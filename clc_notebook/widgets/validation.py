"""Local checks that mirror the API's rules for a new server, and the map from API `modelState` keys to fields.

The API is the authority; these rules only let a form say what is wrong before a request is sent. Every
function returns a message naming the rule (or None when the value is fine) and never raises.
"""

from __future__ import annotations

import re

NAME_PATTERN = re.compile(r"^[A-Za-z0-9-]+$")
MAX_ALIAS_PLUS_NAME = 10
CPU_RANGE = (1, 16)
MEMORY_GB_RANGE = (1, 128)
BUILD_COUNT_RANGE = (1, 10)
# Characters the platform refuses in a server password (reported by the Go SDK; the doc is silent).
FORBIDDEN_PASSWORD_CHARS = "\"';^&<>|`"
SERVER_TYPES = ("standard", "hyperscale")
STORAGE_TYPES = ("standard", "premium", "hyperscale")

# Create Server body members (as `modelState` names them, after "body.") -> form field names.
MODEL_STATE_FIELDS = {
    "name": "name",
    "description": "description",
    "groupid": "group",
    "sourceserverid": "template",
    "networkid": "network",
    "cpu": "cpu",
    "memorygb": "memory_gb",
    "memory": "memory_gb",
    "password": "password",
    "type": "server_type",
    "storagetype": "storage_type",
    "ismanagedos": "managed_os",
}


def check_name(name: str, alias: str | None) -> str | None:
    """Return why `name` is not a valid server name for account `alias`, or None."""
    name = name or ""
    if not name:
        return "required: 1 or more letters, digits or '-'"
    if not NAME_PATTERN.fullmatch(name):  # "$" alone would accept a trailing newline
        bad = sorted({c for c in name if not (c.isascii() and (c.isalnum() or c == "-"))})
        return "only letters, digits and '-' are allowed (not " + " ".join(repr(c) for c in bad) + ")"
    limit = MAX_ALIAS_PLUS_NAME - len(alias or "")
    if len(name) > limit:
        return (
            f"too long: alias {alias!r} + name may have at most {MAX_ALIAS_PLUS_NAME} characters, "
            f"so the name at most {limit} (it has {len(name)})"
        )
    return None


def check_range(value, low: int, high: int) -> str | None:
    """Return why `value` is not a whole number in [low, high], or None."""
    if isinstance(value, bool) or not isinstance(value, int):
        return f"must be a whole number from {low} to {high}"
    if not low <= value <= high:
        return f"must be from {low} to {high} (got {value})"
    return None


def check_password(password: str) -> str | None:
    """Return why `password` would be refused, or None (empty means: the platform generates one)."""
    bad = sorted({c for c in password or "" if c in FORBIDDEN_PASSWORD_CHARS})
    if bad:
        # Name the refused characters, never the password itself.
        return "may not contain " + " ".join(bad) + " (the platform refuses them)"
    return None


def check_types(server_type: str, storage_type: str) -> str | None:
    """Return why this server type / storage type pair is not allowed, or None."""
    if server_type == "hyperscale" and storage_type != "hyperscale":
        return "a hyperscale server needs hyperscale storage"
    if server_type != "hyperscale" and storage_type == "hyperscale":
        return "hyperscale storage is only for hyperscale servers"
    return None


def field_for_model_state_key(key: str) -> str | None:
    """Map a `modelState` key such as ``"body.cpu"`` to a form field name; None for object-level keys."""
    member = (key or "").rsplit(".", 1)[-1].strip().lower()
    return MODEL_STATE_FIELDS.get(member)


def split_model_state(model_state) -> tuple[dict[str, str], list[str]]:
    """Split an API `modelState` into ({field: message}, [messages for no particular field])."""
    by_field: dict[str, str] = {}
    general: list[str] = []
    for key, messages in (model_state or {}).items():
        if isinstance(messages, str):
            messages = [messages]
        text = " ".join(str(m) for m in messages or [])
        field = field_for_model_state_key(key)
        if field is None:
            general.append(text)
        else:
            by_field[field] = (by_field[field] + " " + text) if field in by_field else text
    return by_field, general
