"""Read the official SDKs' recordings of api.ctl.io out of their git repositories (used by extract.py only).

Two formats:

- `CenturyLinkCloud/clc-java-sdk`: WireMock mappings, `sdk/src/test/resources/**/mappings/*.json`, one
  file per distinct request of a test folder; the answer body sits in the sibling `__files/` folder
  (sometimes gzip). WireMock keeps no order, so a folder's interactions are put in order by their
  recorded `Date` header, then so that no request comes before the answer that told it an id.
- `CenturyLinkCloud/clc-node-sdk`: nock cassettes, `cassettes/<suite>/<test>.json`, a list of
  interactions in recorded order; answer bodies are gzip, written as hex of the latin-1 decoding of the
  gzip bytes (in chunks); the request body the SDK sent is kept as JSON.

Both readers yield `Recording`s (one per test folder / cassette) of `Raw` interactions; identical
cassettes (same git blob) are read once and cite every path they were found under.
"""

from __future__ import annotations

import contextlib
import email.utils
import gzip
import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

from .paths import parse

JAVA_REPO = "CenturyLinkCloud/clc-java-sdk"
NODE_REPO = "CenturyLinkCloud/clc-node-sdk"
NO_BODY = object()  # an answer without a body (204, empty)


@dataclass
class Raw:
    """One recorded request and its answer, decoded but not yet reduced to a shape."""

    at: str  # where in the recording: the index in a cassette, or the mapping file's name
    method: str
    path: str  # with its query string, as sent
    body: Any  # the request body (JSON value), or None
    status: int
    answer: Any  # the decoded JSON answer, a str for a non-JSON body, or NO_BODY
    headers: dict[str, str]  # answer headers, lower-case names
    date: float | None = None  # epoch seconds of the recorded Date header


@dataclass
class Recording:
    """One scenario: a cassette or a test folder, its interactions in recorded order."""

    source: str  # "repo:path"
    interactions: list[Raw]
    also: list[str] = field(default_factory=list)  # other paths holding an identical recording


class GitTree:
    """Read-only access to the files of HEAD in a bare git directory (`git cat-file --batch`)."""

    def __init__(self, git_dir: str):
        self.git_dir = git_dir
        self.commit = self._git("rev-parse", "HEAD").strip()
        listing = self._git("ls-tree", "-r", "-z", "HEAD")
        self.blobs: dict[str, str] = {}
        for entry in listing.split("\0"):
            if not entry:
                continue
            meta, path = entry.split("\t", 1)
            _mode, kind, sha = meta.split()
            if kind == "blob":
                self.blobs[path] = sha

    def _git(self, *args: str) -> str:
        return subprocess.run(
            ["git", "--git-dir", self.git_dir, *args], capture_output=True, check=True, text=True
        ).stdout

    def read(self, path: str) -> bytes:
        """The bytes of one file at HEAD; raises KeyError for a path that is not there."""
        sha = self.blobs[path]
        return subprocess.run(
            ["git", "--git-dir", self.git_dir, "cat-file", "blob", sha], capture_output=True, check=True
        ).stdout


def decode_body(raw: bytes) -> Any:
    """JSON of an answer body (gunzipped when it is gzip); a str when not JSON; NO_BODY when empty."""
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    text = raw.decode("utf-8", errors="replace").strip()
    if not text:
        return NO_BODY
    try:
        return json.loads(text)
    except ValueError:
        return text


def _date(value: str | None) -> float | None:
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None


# --- the Java SDK's WireMock mappings -----------------------------------------------------------------


def java_recordings(tree: GitTree) -> Iterator[Recording]:
    """One Recording per `mappings/` folder of the Java SDK's test resources."""
    folders: dict[str, list[str]] = {}
    for path in sorted(tree.blobs):
        p = PurePosixPath(path)
        if p.parent.name == "mappings" and p.suffix == ".json" and "src/test/resources" in path:
            folders.setdefault(str(p.parent.parent), []).append(path)
    for folder, files in sorted(folders.items()):
        raws = [_java_mapping(tree, folder, f) for f in files]
        yield Recording(f"{JAVA_REPO}:{folder}", order_by_date(raws))


def _java_mapping(tree: GitTree, folder: str, path: str) -> Raw:
    mapping = json.loads(tree.read(path))
    request, response = mapping["request"], mapping["response"]
    url = request.get("url") or request.get("urlPath") or request.get("urlPattern") or ""
    body = None
    for pattern in request.get("bodyPatterns", []):
        if "equalToJson" in pattern:
            body = json.loads(pattern["equalToJson"])
    if "body" in response:
        answer = decode_body(str(response["body"]).encode())
    elif "bodyFileName" in response:
        try:
            answer = decode_body(tree.read(f"{folder}/__files/{response['bodyFileName']}"))
        except KeyError:
            answer = NO_BODY
    else:
        answer = NO_BODY
    headers = {k.lower(): str(v) for k, v in response.get("headers", {}).items()}
    return Raw(
        at=PurePosixPath(path).name,
        method=request.get("method", "GET").upper(),
        path=url,
        body=body,
        status=int(response.get("status", 200)),
        answer=answer,
        headers=headers,
        date=_date(headers.get("date")),
    )


def order_by_date(raws: list[Raw]) -> list[Raw]:
    """Recorded order for WireMock mappings: by Date (a login first within a second), except that a
    request never comes before the answer that introduced an id it uses, and a delete of an id comes
    after every other request that uses it.

    WireMock keeps one mapping per distinct request, and a test folder often mixes mappings of
    several recording runs, so dates alone can put a read of a new server before the request that
    created it.
    """
    raws = sorted(raws, key=lambda r: (r.date or 0, "authentication" not in r.path, r.at))
    answers = [json.dumps(r.answer).lower() if r.answer is not NO_BODY else "" for r in raws]
    needs: list[set[int]] = []
    for i, r in enumerate(raws):
        words = _ids_used(r)
        introducers = set()
        for w in words:
            found = [j for j in range(len(raws)) if j != i and w in answers[j] and w not in _request_text(raws[j])]
            if found:
                introducers.add(found[0])  # the earliest answer that holds the id
        needs.append(introducers)
    # a delete of an id comes after every other request that uses the id (a test cleans up last)
    used = [_ids_used(r) for r in raws]
    last: list[set[int]] = [set() for _ in raws]
    for i, r in enumerate(raws):
        if r.method == "DELETE":
            parsed = parse(r.path)  # the deleted thing: a path ending in an id (not `.../cpuAutoscalePolicy`)
            ends_in_id = parsed.slots and parsed.template.endswith("}")
            gone = {parsed.slots[-1].value.lower()} if ends_in_id and len(parsed.slots[-1].value) > 6 else set()
            last[i] = {j for j in range(len(raws)) if j != i and raws[j].method != "DELETE" and gone & used[j]}
    ordered: list[int] = []
    done: set[int] = set()
    while len(ordered) < len(raws):
        left = [i for i in range(len(raws)) if i not in done]
        ready = [i for i in left if needs[i] | last[i] <= done]
        # a cycle: by date, a delete still waiting for its users last
        i = ready[0] if ready else min([i for i in left if last[i] <= done] or left)
        ordered.append(i)
        done.add(i)
    return [raws[i] for i in ordered]


def _request_text(r: Raw) -> str:
    return (r.path + json.dumps(r.body)).lower()


def _ids_used(r: Raw) -> set[str]:
    """Identifier-like words of a request: long path segments and long string values of its body
    without spaces."""
    words = {w for w in r.path.split("?")[0].lower().split("/") if len(w) > 6}
    values: list[str] = []

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)
        elif isinstance(v, str) and len(v) > 6 and not any(c.isspace() or c == "@" for c in v):
            values.append(v.lower())  # an id has no spaces (a name like "My policy") and is no e-mail

    walk(r.body)
    return words | set(values)


# --- the Node SDK's nock cassettes --------------------------------------------------------------------


def node_recordings(tree: GitTree) -> Iterator[Recording]:
    """One Recording per cassette; identical cassettes are read once."""
    seen: dict[str, Recording] = {}
    for path in sorted(tree.blobs):
        if not (path.startswith("cassettes/") and path.endswith(".json")):
            continue
        sha = tree.blobs[path]
        if sha in seen:
            seen[sha].also.append(f"{NODE_REPO}:{path}")
            continue
        items = json.loads(tree.read(path))
        recording = Recording(f"{NODE_REPO}:{path}", [_nock(i, x) for i, x in enumerate(items)])
        seen[sha] = recording
    yield from seen.values()


def _nock_body(response: Any) -> Any:
    if isinstance(response, list) and response and all(isinstance(c, str) for c in response):
        try:
            raw = bytes.fromhex("".join(response))
        except ValueError:
            return response
        with contextlib.suppress(UnicodeDecodeError, UnicodeEncodeError):  # already the gzip bytes
            raw = raw.decode("utf-8").encode("latin-1")
        return decode_body(raw)
    if response in ("", None):
        return NO_BODY
    if isinstance(response, str):
        return decode_body(response.encode())
    return response


def _nock(index: int, x: dict) -> Raw:
    headers = x.get("headers") or {}
    if isinstance(headers, list):  # older nock: a flat [name, value, ...] list
        headers = dict(zip(headers[::2], headers[1::2], strict=False))
    headers = {str(k).lower(): str(v) for k, v in headers.items()}
    body = x.get("body")
    if isinstance(body, str):
        with contextlib.suppress(ValueError):  # a body that is not JSON stays a string
            body = json.loads(body) if body else None
    return Raw(
        at=str(index),
        method=str(x.get("method", "GET")).upper(),
        path=x["path"],
        body=body,
        status=int(x.get("status", 200)),
        answer=_nock_body(x.get("response")),
        headers=headers,
        date=_date(headers.get("date")),
    )
