"""Compare the shape of a recorded answer with the shape of the sandbox's answer.

Rules (structure, never values):

- a key the recording always had must be there (`missing key`); a key the recording never had must not
  (`extra key`); a key the recording had only sometimes (`key?`) may be either;
- scalar tags must agree: a sandbox tag the recording never showed is a `type` difference (`int` for
  `float`, `str` for `date`, `null` for `str`, ...) or, for a vocabulary key (`=value`), a `value`
  difference; an href that follows another pattern is an `href` difference;
- links are compared by rel: a rel the recording always had must be there (`missing link`), a rel it
  never had must not (`extra link`), and a rel both have must have the same href pattern, verbs and
  keys (`link`);
- an empty list on either side says nothing about its elements, so it is not compared.

Every difference names where it is (`details.ipAddresses[].public`, `links[rel=self]`).
"""

from __future__ import annotations

from dataclasses import dataclass

from .shapes import LINKS, MAP, ONE_OF, Shape, strip_optional


@dataclass(frozen=True)
class Difference:
    """One way the sandbox's answer differs from the recorded one."""

    kind: str
    where: str
    recorded: str
    sandbox: str

    def __str__(self) -> str:
        at = f" at {self.where}" if self.where else ""
        return f"{self.kind}{at}: recorded {self.recorded}, sandbox {self.sandbox}"


def _join(where: str, key: str) -> str:
    return f"{where}.{key}" if where and not key.startswith("[") else f"{where}{key}"


def _describe(s: Shape) -> str:
    if isinstance(s, dict):
        return "links" if LINKS in s else "map" if MAP in s else "object"
    if isinstance(s, list):
        return "list"
    return str(s)


def diff(recorded: Shape, sandbox: Shape, where: str = "") -> list[Difference]:
    """Every structural difference between two shapes (empty when they agree)."""
    if isinstance(recorded, dict) and ONE_OF in recorded:
        options = [diff(option, sandbox, where) for option in recorded[ONE_OF]]
        return min(options, key=len)
    if isinstance(sandbox, dict) and ONE_OF in sandbox:
        return [d for option in sandbox[ONE_OF] for d in diff(recorded, option, where)]
    if isinstance(recorded, dict) and isinstance(sandbox, dict):
        if LINKS in recorded and LINKS in sandbox:
            return _diff_links(recorded[LINKS], sandbox[LINKS], where)
        if MAP in recorded and MAP in sandbox:
            return diff(recorded[MAP], sandbox[MAP], where + "{}") if recorded[MAP] and sandbox[MAP] else []
        if LINKS not in recorded and LINKS not in sandbox and MAP not in recorded and MAP not in sandbox:
            return _diff_objects(recorded, sandbox, where)
    if isinstance(recorded, list) and isinstance(sandbox, list):
        if not recorded or not sandbox:
            return []
        return diff(recorded[0], sandbox[0], where + "[]")
    if isinstance(recorded, str) and isinstance(sandbox, str):
        return _diff_scalars(recorded, sandbox, where)
    if isinstance(recorded, list) and not recorded and isinstance(sandbox, dict) and LINKS in sandbox:
        return []  # an empty list of links
    if isinstance(sandbox, list) and not sandbox and isinstance(recorded, dict) and LINKS in recorded:
        return []
    return [Difference("type", where, _describe(recorded), _describe(sandbox))]


def _diff_objects(recorded: dict, sandbox: dict, where: str) -> list[Difference]:
    rec = {strip_optional(k)[0]: (v, strip_optional(k)[1]) for k, v in recorded.items()}
    sbx = {strip_optional(k)[0]: v for k, v in sandbox.items()}
    out: list[Difference] = []
    for key, (value, optional) in rec.items():
        if key not in sbx:
            if not optional:
                out.append(Difference("missing key", _join(where, key), _describe(value), "absent"))
            continue
        out.extend(diff(value, sbx[key], _join(where, key)))
    for key, value in sbx.items():
        if key not in rec:
            out.append(Difference("extra key", _join(where, key), "absent", _describe(value)))
    return out


def _tags(s: str) -> set[str]:
    return set(s.split("|"))


def _diff_scalars(recorded: str, sandbox: str, where: str) -> list[Difference]:
    rec, sbx = _tags(recorded), _tags(sandbox)
    extra = sbx - rec
    if not extra:
        return []
    if all(t.startswith("=") for t in extra) and any(t.startswith("=") for t in rec):
        kind = "value"
    elif all(t.startswith("href:") for t in extra) and any(t.startswith("href:") for t in rec):
        kind = "href"
    else:
        kind = "type"
    return [Difference(kind, where, recorded, sandbox)]


def _links_by_rel(items: list[str]) -> dict[str, tuple[set[str], bool]]:
    """rel -> (descriptors without the rel, always present?)."""
    out: dict[str, tuple[set[str], bool]] = {}
    for d in items:
        optional = d.endswith(" ?")
        d = d[:-2] if optional else d
        rel, _, rest = d.partition(" ")
        seen, always = out.get(rel, (set(), True))
        seen.add(rest)
        out[rel] = (seen, always and not optional)
    return out


def _diff_links(recorded: list[str], sandbox: list[str], where: str) -> list[Difference]:
    rec, sbx = _links_by_rel(recorded), _links_by_rel(sandbox)
    out: list[Difference] = []
    base = where or "links"
    for rel, (forms, always) in rec.items():
        if rel not in sbx:
            if always:
                out.append(Difference("missing link", f"{base}[rel={rel}]", " | ".join(sorted(forms)), "absent"))
            continue
        unknown = sbx[rel][0] - forms
        if unknown:
            out.append(Difference("link", f"{base}[rel={rel}]", " | ".join(sorted(forms)), " | ".join(sorted(unknown))))
    for rel, (forms, _always) in sbx.items():
        if rel not in rec:
            out.append(Difference("extra link", f"{base}[rel={rel}]", "absent", " | ".join(sorted(forms))))
    return out
