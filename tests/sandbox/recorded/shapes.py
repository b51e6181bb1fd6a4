"""Shapes: the structure of a JSON answer without its values, in a compact JSON form.

`shape(value)` keeps what a client depends on and drops what is data:

- an object becomes an object of the same keys, each mapped to the shape of its value;
- a list becomes `[]` (empty) or `[element shape]`, the shapes of all its elements merged: a key missing
  from some elements is marked optional by a trailing `?` (`"public?": "ipv4"`);
- a list of links (objects with `rel` and `href`) becomes `{"@links": [...]}`, one descriptor per link:
  `"self /v2/servers/{alias}/{server} [GET,PATCH,DELETE] +id"` (rel, href pattern, verbs, other keys);
  a descriptor only some merged lists had ends with ` ?`;
- a scalar becomes a tag: `null`, `bool`, `int`, `float`, `str`, or a format of a string: `id32` (32 hex
  digits), `date` (`YYYY-MM-DDTHH:MM:SSZ`; `date.ms` with fractions, `date+tz` with an offset, `day`),
  `ipv4`, `cidr`, `jobid` (`wa1-12345`), `uuid`, `jwt`, `href:<pattern>` for a path; the value itself,
  as `=value`, for the keys whose values are a vocabulary of the protocol (`status`, `powerState`,
  `type`, ...). Merged scalars join their tags with `|` (`"null|str"`).
- an object under `groups` or `servers` (billing answers key them by id) becomes `{"@map": shape}`;
- shapes that cannot be merged (an object here, a string there) become `{"@oneOf": [a, b]}`.

The extractor shapes the recorded answers, the harness shapes the sandbox's answers with the same
function, and `compare.py` compares the two.
"""

from __future__ import annotations

import re
from typing import Any

from .paths import template

Shape = Any  # str | list | dict, as described above

# Keys whose string values are a vocabulary of the protocol, kept as `=value`.
ENUM_KEYS = frozenset(
    {
        "status",
        "powerState",
        "type",
        "storageType",
        "os",
        "rel",
        "protocol",
        "method",
        "persistence",
        "action",
        "metric",
        "isRequired",
    }
)

FORMATS: list[tuple[str, re.Pattern[str]]] = [
    ("id32", re.compile(r"^[0-9a-fA-F]{32}$")),
    ("date", re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")),
    ("date.ms", re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z$")),
    ("date+tz", re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?[+-]\d\d:\d\d$")),
    ("date-local", re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?$")),
    ("day", re.compile(r"^\d{4}-\d\d-\d\d$")),
    ("ipv4", re.compile(r"^\d{1,3}(\.\d{1,3}){3}$")),
    ("cidr", re.compile(r"^\d{1,3}(\.\d{1,3}){3}/\d{1,2}$")),
    ("jobid", re.compile(r"^[a-zA-Z]{2,3}\d-\d+$")),
    ("uuid", re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")),
    ("jwt", re.compile(r"^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$")),  # a JSON header: `{"` in base64url
]
HREF = re.compile(r"^(https?://[^/]+)?/v2(-experimental)?/")
LINKS = "@links"
ONE_OF = "@oneOf"
MAP = "@map"  # an object used as a map from ids to values: {"@map": shape of the values}
MAP_KEYS = frozenset({"groups", "servers"})  # where an object (not a list) is such a map
REF = "@ref"  # in the corpus file only: a sub-shape stored once (corpus.resolve puts it back)
OPTIONAL = "?"


def scalar_tag(key: str | None, value: Any) -> str:
    """The tag of one scalar (see the module docstring); `key` is the object key it was found under."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool" if key not in ENUM_KEYS else f"={str(value).lower()}"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if not isinstance(value, str):
        return type(value).__name__
    if key in ENUM_KEYS:
        return "=" + value
    if HREF.match(value):
        return "href:" + template(value)
    for name, pattern in FORMATS:
        if pattern.match(value):
            return name
    return "str"


def is_links(items: list) -> bool:
    """Whether a list is a list of links (every element an object with `rel` and `href`)."""
    return bool(items) and all(isinstance(x, dict) and "rel" in x and "href" in x for x in items)


def link_descriptor(item: dict) -> str:
    """`rel href-pattern [VERBS] +otherkeys` for one link object."""
    out = f"{item['rel']} {template(str(item['href']))}"
    if "verbs" in item:
        verbs = item["verbs"] if isinstance(item["verbs"], list) else [item["verbs"]]
        out += " [" + ",".join(str(v) for v in verbs) + "]"
    others = sorted(k for k in item if k not in ("rel", "href", "verbs"))
    if others:
        out += " +" + ",".join(others)
    return out


def shape(value: Any, key: str | None = None) -> Shape:
    """The shape of a JSON value (see the module docstring)."""
    if isinstance(value, dict):
        if key in MAP_KEYS:  # billing: {"groups": {<group id>: {...}}}: keys are ids, not names
            merged: Shape = {}
            for k, v in value.items():
                merged = merge(merged, shape(v, k)) if merged else shape(v, k)
            return {MAP: merged}
        return {k: shape(v, k) for k, v in value.items()}
    if isinstance(value, list):
        if not value:
            return []
        if is_links(value):
            return {LINKS: sorted({link_descriptor(x) for x in value})}
        merged = shape(value[0], _element_key(value[0], key))
        for item in value[1:]:
            merged = merge(merged, shape(item, _element_key(item, key)))
        return [merged]
    return scalar_tag(key, value)


def _element_key(item: Any, key: str | None) -> str | None:
    """List elements inherit their list's key for scalars (a list of `verbs`), not for objects."""
    return None if isinstance(item, (dict, list)) else key


def strip_optional(name: str) -> tuple[str, bool]:
    """`("key", True)` for `"key?"`, `("key", False)` for `"key"`."""
    return (name[:-1], True) if name.endswith(OPTIONAL) else (name, False)


def _merge_links(a: list[str], b: list[str]) -> list[str]:
    def table(items: list[str]) -> dict[str, bool]:
        out: dict[str, bool] = {}
        for d in items:
            base, opt = (d[:-2], True) if d.endswith(" ?") else (d, False)
            out[base] = out.get(base, False) or opt
        return out

    ta, tb = table(a), table(b)
    out = []
    for d in sorted(set(ta) | set(tb)):
        optional = d not in ta or d not in tb or ta[d] or tb[d]
        out.append(d + " ?" if optional else d)
    return out


def _merge_objects(a: dict, b: dict) -> dict:
    ka = dict(strip_optional(k) for k in a)
    kb = dict(strip_optional(k) for k in b)
    va = {strip_optional(k)[0]: v for k, v in a.items()}
    vb = {strip_optional(k)[0]: v for k, v in b.items()}
    out: dict[str, Shape] = {}
    for k in list(va) + [k for k in vb if k not in va]:
        optional = k not in ka or k not in kb or ka[k] or kb[k]
        v = merge(va[k], vb[k]) if k in va and k in vb else va.get(k, vb.get(k))
        out[k + OPTIONAL if optional else k] = v
    return out


def merge(a: Shape, b: Shape) -> Shape:
    """One shape that describes both `a` and `b` (see the module docstring)."""
    if a == b:
        return a
    if isinstance(a, str) and isinstance(b, str):
        return "|".join(sorted(set(a.split("|")) | set(b.split("|"))))
    if isinstance(a, list) and isinstance(b, list):
        if not a or not b:
            return a or b
        return [merge(a[0], b[0])]
    if isinstance(a, dict) and isinstance(b, dict):
        if LINKS in a and LINKS in b:
            return {LINKS: _merge_links(a[LINKS], b[LINKS])}
        if ONE_OF not in a and ONE_OF not in b and (LINKS in a) == (LINKS in b):
            return _merge_objects(a, b)
    options = (a[ONE_OF] if isinstance(a, dict) and ONE_OF in a else [a]) + (
        b[ONE_OF] if isinstance(b, dict) and ONE_OF in b else [b]
    )
    unique: list[Shape] = []
    for o in options:
        if o not in unique:
            unique.append(o)
    return {ONE_OF: unique}
