"""The replay corpus: its format, and loading it.

`corpus.json` (written by extract.py, committed) holds:

- `sources`: the two repositories and the commit the corpus was built from;
- `scenarios`: one per recording (a Java SDK test folder, a Node SDK cassette), in recorded order:
  - `name`, `source` (`repo:path`), `also` (identical recordings elsewhere);
  - `entities`: `{"{server#1}": {facts}}`, what the recordings say about every identifier the scenario
    uses (data center, group, power state, ...), so the harness can create it when the scenario starts
    with it already existing;
  - `interactions`: `at` (index in the cassette / mapping file name), `method`, `path` (with
    placeholders: `{alias}`/`{ALIAS}`, `{server#2}`, `{GROUP#1}`...), `query`, `body` (keys and literal
    values, identifiers as placeholders, `<password>`, `<username>`, `<email>` where the recording held
    one), `family`, the recorded `status`, `answer` (a key into `shapes`, or null for no body), `items`
    (length of a top-level list), `counts` (lengths of nested lists that carry meaning:
    `details.ipAddresses`, one entry per private IP), `binds` (`[json path, placeholder]`: where an identifier the scenario
    uses later appeared in the answer), `order` (power operations: the servers in answer order),
    `headers` (`Location` pattern, `Content-Type` when not `application/json; charset=utf-8`); the
  endpoint family is computed from method and path (paths.family);
- `shapes`: each distinct answer shape once (shapes.py describes the form); a large part that several
  shapes share is stored once too, and referenced as `{"@ref": key}`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .paths import family
from .shapes import REF, Shape

FORMAT = 1
CORPUS_PATH = Path(__file__).with_name("corpus.json")


@dataclass(frozen=True)
class Interaction:
    """One recorded request and what production answered."""

    scenario: str
    at: str
    method: str
    path: str
    family: str
    status: int
    query: dict[str, str] = field(default_factory=dict)
    body: Any = None
    has_body: bool = False
    answer: Any = None  # the shape, or None for no body
    items: int | None = None
    counts: dict[str, int] = field(default_factory=dict)
    binds: tuple = ()
    order: tuple = ()
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def endpoint(self) -> str:
        """`METHOD /path/template` with the numbers of the placeholders dropped."""
        return f"{self.method} {generic(self.path)}"


@dataclass(frozen=True)
class Scenario:
    name: str
    source: str
    entities: dict[str, dict[str, Any]]
    interactions: tuple[Interaction, ...]


def generic(path: str) -> str:
    """`/v2/servers/{alias}/{server#2}` -> `/v2/servers/{alias}/{server}` (upper-case kinds kept)."""
    out = []
    for seg in path.split("/"):
        if seg.startswith("{") and "#" in seg:
            seg = seg.split("#", 1)[0] + "}"
        out.append(seg)
    return "/".join(out)


def resolve(s: Shape, shapes: dict[str, Shape]) -> Shape:
    """A shape with its `{"@ref": key}` parts (sub-shapes stored once) replaced by the shapes."""
    if isinstance(s, dict):
        if REF in s:
            return resolve(shapes[s[REF]], shapes)
        return {k: resolve(v, shapes) for k, v in s.items()}
    if isinstance(s, list):
        return [resolve(v, shapes) for v in s]
    return s


@lru_cache(maxsize=2)
def load(path: Path = CORPUS_PATH) -> tuple[Scenario, ...]:
    """Every scenario of the corpus; raises ValueError for a corpus of another format."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("format") != FORMAT:
        raise ValueError(f"{path}: format {data.get('format')!r}, expected {FORMAT}")
    shapes = data["shapes"]
    out = []
    for sc in data["scenarios"]:
        items = tuple(
            Interaction(
                scenario=sc["name"],
                at=item["at"],
                method=item["method"],
                path=item["path"],
                family=family(item["method"], item["path"]),
                status=item["status"],
                query=item.get("query", {}),
                body=item.get("body"),
                has_body="body" in item,
                answer=None if item["answer"] is None else resolve(shapes[item["answer"]], shapes),
                items=item.get("items"),
                counts=item.get("counts", {}),
                binds=tuple((tuple(p), ph) for p, ph in item.get("binds", [])),
                order=tuple(item.get("order", [])),
                headers=item.get("headers", {}),
            )
            for item in sc["interactions"]
        )
        out.append(Scenario(sc["name"], sc["source"], sc["entities"], items))
    return tuple(out)
