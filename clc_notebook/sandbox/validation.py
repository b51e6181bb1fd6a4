"""Reading request bodies the way the real API bound them: case-insensitive keys, numbers as strings.

Every reader records a problem in an `Errors` collector under the ``body.<field>`` key instead of
raising at the first one, so a 400 lists every bad field at once and nothing is created.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from .errors import INVALID_MESSAGE, BadRequest, field_error

_MISSING = object()


class Body:
    """A JSON object whose keys are matched case-insensitively (ASP.NET model binding)."""

    def __init__(self, data: Any):
        self.raw = data
        self._map = {str(k).lower(): v for k, v in data.items()} if isinstance(data, dict) else {}

    @property
    def is_object(self) -> bool:
        return isinstance(self.raw, dict)

    def has(self, key: str) -> bool:
        return key.lower() in self._map and self._map[key.lower()] is not None

    def get(self, key: str, default: Any = None) -> Any:
        value = self._map.get(key.lower(), default)
        return default if value is None else value


class Errors:
    """Collects field problems; `raise_if_any()` raises one 400 with every field in modelState."""

    def __init__(self, prefix: str = "body."):
        self.prefix = prefix
        self.model_state: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        if not field:
            key = ""
        elif field.startswith("["):
            key = self.prefix.rstrip(".") + field
        else:
            key = f"{self.prefix}{field}"
        self.model_state.setdefault(key, []).append(message)

    def __bool__(self) -> bool:
        return bool(self.model_state)

    def raise_if_any(self, message: str = INVALID_MESSAGE) -> None:
        if self.model_state:
            raise BadRequest(message, self.model_state)


def as_int(
    value: Any, field: str, errors: Errors, lo: int | None = None, hi: int | None = None, *, required: bool = False
) -> int | None:
    """Return `value` as an int (ints, integral floats and numeric strings accepted) within [lo, hi];
    with `required`, a missing value (None) is reported as "The <name> field is required."."""
    if value is None and required:
        errors.add(field, f"The {field.rsplit('.', 1)[-1]} field is required.")
        return None
    number: int | None = None
    if isinstance(value, bool):
        number = None
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    elif isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d{1,9}(\.0*)?\s*", value):
        number = int(float(value))
    if number is None:
        errors.add(field, f"The value '{_show(value)}' is not a valid integer.")
        return None
    if (lo is not None and number < lo) or (hi is not None and number > hi):
        errors.add(field, f"The field {field} must be between {lo} and {hi}.")
        return None
    return number


def as_bool(value: Any, field: str, errors: Errors) -> bool | None:
    """Return `value` as a bool; accepts true/false in any case as strings."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    errors.add(field, f"The value '{_show(value)}' is not a valid boolean.")
    return None


def as_str(value: Any, field: str, errors: Errors, required: bool = False, max_len: int = 4000) -> str | None:
    """Return `value` as a stripped-of-nothing string; numbers are accepted and converted."""
    if value is None or (isinstance(value, str) and value == ""):
        if required:
            errors.add(field, f"The {field} field is required.")
        return None if value is None else ""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        errors.add(field, f"The field {field} must be a string.")
        return None
    text = str(value)
    if len(text) > max_len:
        errors.add(field, f"The field {field} must be at most {max_len} characters long.")
        return None
    return text


def as_list(value: Any, field: str, errors: Errors) -> list | None:
    """Return `value` if it is a JSON array; anything else (a single object too) is an error on `field`."""
    if isinstance(value, list):
        return value
    errors.add(field, f"The field {field} must be an array.")
    return None


def is_ipv4(text: Any) -> bool:
    """True for a dotted IPv4 address."""
    try:
        ipaddress.IPv4Address(str(text))
        return True
    except ValueError:
        return False


def is_cidr(text: Any) -> bool:
    """True for an IPv4 network in CIDR notation (host bits allowed)."""
    try:
        ipaddress.IPv4Network(str(text), strict=False)
        return "/" in str(text)
    except ValueError:
        return False


def _show(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def patch_ops(data: Any) -> list[tuple[str, Any]]:
    """Read a PATCH array `[{op: "set", member, value}]`; 400 naming the bad item otherwise."""
    if isinstance(data, dict):
        data = [data]
    if not isinstance(data, list) or not data:
        raise field_error("", "A JSON array of patch operations [{op, member, value}] is expected.")
    errors = Errors()
    ops = []
    for i, item in enumerate(data):
        entry = Body(item)
        if not entry.is_object:
            errors.add(f"[{i}]", "Each patch operation must be an object {op, member, value}.")
            continue
        if str(entry.get("op", "")).lower() != "set":
            errors.add(f"[{i}].op", "The only supported op is 'set'.")
            continue
        member = entry.get("member")
        if not isinstance(member, str) or not member:
            errors.add(f"[{i}].member", "The member field is required.")
            continue
        ops.append((member, entry.get("value")))
    errors.raise_if_any()
    return ops
