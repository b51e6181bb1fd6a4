"""Replay the corpus against a sandbox and classify every recorded interaction.

Each scenario runs on a freshly reset sandbox: set-up creates what the recorded account already had
(world.py), then every interaction is sent over HTTP as recorded, with the sandbox's identifiers in
place of the recorded ones, and its answer is compared with the recorded one (compare.py). An
interaction ends in one of these categories:

- `same`: no difference;
- `different`: differences (each is later matched against the reviewed deviations, deviations.py);
- `not implemented`: the sandbox has no route for the request (404 with no route for the path, or
  405), where production answered;
- `unresolved`: the request needs an identifier the harness could neither learn from an earlier
  answer nor create (it came from an endpoint the sandbox lacks, or set-up failed), and the sandbox
  answered 404: a gap of the set-up, not a measured difference;
- `skipped`: production itself answered 5xx (a recorded outage, nothing to compare).

Job status reads are compared as a set, not one by one: the number of reads differs, so where the
recording read a final status the replay reads until the sandbox's job is final too, and compares
the final values; a non-final recorded value other than `notStarted`/`executing` (`resumed`) is a
difference, since the replay runs in polls mode, where the sandbox answers `resumed` only when asked.
"""

from __future__ import annotations

import json
import time
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from clc_notebook.sandbox import Sandbox

from .compare import Difference, diff
from .corpus import Interaction, Scenario, generic
from .paths import parse, template
from .shapes import shape
from .world import LOOKUP_KINDS, PLACEHOLDER, PROVISIONED_KINDS, SandboxApi, World

SAME, DIFFERENT, NOT_IMPLEMENTED, UNRESOLVED, SKIPPED = (
    "same",
    "different",
    "not implemented",
    "unresolved",
    "skipped",
)
FINAL = ("succeeded", "failed")
RUNNING = ("notStarted", "executing", "queued", "running", "pending")  # v2-experimental operations say the last three
MAX_STATUS_READS = 20
# Kinds a listing shows that the recorded account had before the scenario (a load balancer, a pool):
# set up like any existing thing even when a GET showed them before their first use.
REVEALED_KINDS = {"loadBalancer", "pool", "antiAffinityPolicy", "alertPolicy"}


@dataclass
class Outcome:
    """What happened to one recorded interaction."""

    scenario: str
    at: str
    family: str
    endpoint: str
    category: str
    differences: list[Difference] = field(default_factory=list)
    note: str = ""
    path: str = ""  # the path sent to the sandbox (no query), once rendered


class Replayer:
    """Replays scenarios on one sandbox (reset before each scenario)."""

    def __init__(self, sandbox: Sandbox, datacenters: int = 16):
        self.sb = sandbox
        self.datacenters = datacenters
        self.api = SandboxApi(sandbox)
        self._routes: dict[tuple[str, str], bool] = {}
        self._lookups: dict[tuple[str, str], Any] = {}  # World.cache, shared by the scenarios

    # --- routes ------------------------------------------------------------------------------------

    def has_route(self, method: str, path: str, answered: int) -> bool:
        """Whether the sandbox serves this method on this path (False: the endpoint is not implemented).

        405 means the path is known but not the method. For a 404 the path is probed with a method no
        route takes: a router answers 405 when some route matches the path, 404 when none does.
        """
        key = (method, template(path))
        if answered == 405:
            self._routes[key] = False
        if key not in self._routes:
            probe = self.api.send("PROPFIND", path)
            self._routes[key] = probe.status_code == 405
        return self._routes[key]

    # --- scenarios ---------------------------------------------------------------------------------

    def run(self, scenario: Scenario) -> list[Outcome]:
        """Every interaction of one scenario, replayed in recorded order on a fresh sandbox."""
        self.sb.reset(servers=0, groups=0, datacenters=self.datacenters)
        self.sb.set_faults({})
        created = created_entities(scenario)
        existing, absent = existing_entities(scenario, created)
        world = World(
            self.api,
            scenario,
            existing=set(existing),
            absent=absent,
            created=created,
            cache=self._lookups,
        )
        world.provision(existing)
        return [self._interaction(world, it) for it in scenario.interactions]

    def _interaction(self, world: World, it: Interaction) -> Outcome:
        out = Outcome(it.scenario, it.at, it.family, it.endpoint, SAME)
        if it.status >= 500:
            out.category, out.note = SKIPPED, f"production answered {it.status}"
            return out
        unresolved: list[str] = []
        path = out.path = world.render_path(it.path, unresolved)
        query = world.render(it.query, unresolved) if it.query else None
        if it.family == "statistics" and query:
            query = recent(query, self.sb.clock.now())
        if self._routes.get((it.method, template(path))) is False:
            out.category = NOT_IMPLEMENTED  # known from an earlier request of this endpoint: not sent again
            return out
        body = world.render(it.body, unresolved) if it.has_body else None
        if it.family == "servers" and it.method == "POST" and isinstance(body, dict) and "name" in body:
            body["name"] = fit_name(str(body["name"]), self.api.alias)
            source = it.body.get("sourceServerId") if isinstance(it.body, dict) else None
            if isinstance(source, str) and not PLACEHOLDER.fullmatch(source):  # a template, not a server
                body["sourceServerId"] = world.sandbox_template(body) or source
        kw: dict[str, Any] = {"json": body} if it.has_body else {}
        if "authentication/login" in it.path:  # credentials are the sandbox's (some recordings lack the body)
            kw = {"json": {"username": self.sb.username, "password": self.sb.password}}
        r = self.api.send(it.method, path, params=query, **kw)
        diffs: list[Difference] = []
        if r.status_code in (301, 302, 307, 308) and it.status not in (301, 302, 307, 308):
            diffs.append(Difference("status", "", str(it.status), f"{r.status_code} redirect"))
            location = r.headers.get("location", "")
            r = self.api.send(it.method, location.replace(self.api.url, ""), params=None, **kw)
        if r.status_code in (404, 405) and not self.has_route(it.method, path, r.status_code):
            out.category = NOT_IMPLEMENTED
            return out
        if unresolved and r.status_code >= 400 and r.status_code != it.status:
            # the request carried a made-up id (see World) and the sandbox refused it: nothing to compare
            out.category = UNRESOLVED
            out.note = "; ".join(f"{n}: {world.failed.get(n, 'never learnt')}" for n in sorted(set(unresolved)))
            return out
        world.note_jobs(r.text)
        if r.status_code != it.status:
            said = f" {r.text[:160]}" if r.status_code >= 400 and r.content else ""
            diffs.append(Difference("status", "", str(it.status), f"{r.status_code}{said}"))
        answer = _json(r)
        if _status_read(it) and isinstance(answer, dict) and r.status_code == 200:
            answer, job_diffs = self._job_status(world, it, path, answer)
            diffs += job_diffs
        if r.status_code == it.status or not diffs:
            diffs += _compare_body(it, answer)
            diffs += _compare_headers(it, r.headers)
            diffs += _check_binds(world, it, answer)
            diffs += _check_batch(world, it, body, answer)
            diffs += _check_counts(it, answer)
        if any(map(_state_difference, diffs)) and it.method == "GET" and not _status_read(it) and world.pending_jobs():
            diffs, out.note = self._after_pending_jobs(world, it, path, query, diffs)
        if any(map(_provisioning, diffs)) and it.method == "GET":
            diffs, out.note = self._after_provisioning(it, path, query, diffs)
        out.differences = diffs
        out.category = DIFFERENT if diffs else SAME
        return out

    def _job_status(self, world: World, it: Interaction, path: str, answer: dict) -> tuple[dict, list[Difference]]:
        """Compare one recorded status read (see the module docstring); returns the answer to shape."""
        recorded = _enum_values(it.answer, "status")
        value = str(answer.get("status"))
        diffs: list[Difference] = []
        if recorded & set(FINAL):
            job = path.rstrip("/").rsplit("/", 1)[-1]
            answer = self._read_until_final(path, answer)
            value = str(answer.get("status"))
            world.finished.add(job.lower())
            if value not in recorded:
                diffs.append(Difference("job status", "status", "|".join(sorted(recorded)), value))
        elif not recorded <= set(RUNNING):
            diffs.append(Difference("job status", "status", "|".join(sorted(recorded)), value))
        return answer, diffs

    def _after_pending_jobs(
        self, world: World, it: Interaction, path: str, query: Any, diffs: list[Difference]
    ) -> tuple[list[Difference], str]:
        """Production's jobs ran on their own between requests; the sandbox's (polls mode) move only
        when read. A read that differs while sandbox jobs are pending is sent again once they are all
        finished (read until final); the second answer is the one compared."""
        pending = world.pending_jobs()
        for job in pending:
            self._read_until_final(world.jobs[job], {})
            world.finished.add(job)
        r = self.api.send(it.method, path, params=query)
        if r.status_code != it.status:
            return diffs, ""
        again = _compare_body(it, _json(r)) + _compare_headers(it, r.headers)
        return again, f"compared after finishing {len(pending)} pending sandbox job(s)"

    def _after_provisioning(
        self, it: Interaction, path: str, query: Any, diffs: list[Difference]
    ) -> tuple[list[Difference], str]:
        """A policy production had finished provisioning in its own time reads `pending` in the
        sandbox, whose (polls mode) provisioning moves on reads: read again until it is done."""
        for reads in range(1, MAX_STATUS_READS):
            r = self.api.send(it.method, path, params=query)
            if r.status_code != it.status:
                break
            diffs = _compare_body(it, _json(r)) + _compare_headers(it, r.headers)
            if not any(map(_provisioning, diffs)):
                return diffs, f"compared after {reads} more read(s) of a pending policy"
        return diffs, ""

    def _read_until_final(self, path: str, answer: dict) -> dict:
        """Read a job's status until it is final (from `answer`, the last one read); returns the last answer."""
        reads = 0
        while str(answer.get("status")) not in FINAL and reads < MAX_STATUS_READS:
            got = _json(self.api.send("GET", path))
            answer, reads = (got if isinstance(got, dict) else {}), reads + 1
        return answer


def _status_read(it: Interaction) -> bool:
    """A read of a job's status: `/v2/operations/.../status/{id}` or a v2-experimental operation's."""
    return it.method == "GET" and "/operations/" in it.path and "/status/" in it.path


def _provisioning(d: Difference) -> bool:
    """A status that production had reached and the sandbox has still to reach (`pending`)."""
    return (
        d.kind == "value" and d.where.split(".")[-1] == "status" and "pending" in d.sandbox and "active" in d.recorded
    )


def _state_difference(d: Difference) -> bool:
    """A difference a job still under way in the sandbox can explain (a status, a power state, details)."""
    return d.kind == "value" or (d.kind in ("missing key", "extra key") and d.where.split(".")[-1] == "details")


def recent(query: dict[str, str], now: float) -> dict[str, str]:
    """A statistics query with its recorded dates (2015) moved by one shift so that the latest is an
    hour before the sandbox's now (the window keeps its length; statistics are kept 14 days)."""
    moments = {}
    for key, value in query.items():
        if key.lower() in ("start", "end"):
            try:
                moment = datetime.fromisoformat(value)
            except ValueError:
                continue
            moments[key] = moment.replace(tzinfo=moment.tzinfo or timezone.utc).timestamp()
    if not moments:
        return query
    shift = (now // 3600) * 3600 - 3600 - max(moments.values())
    fmt = "%Y-%m-%dT%H:%M:%S"
    return {k: time.strftime(fmt, time.gmtime(moments[k] + shift)) if k in moments else v for k, v in query.items()}


def fit_name(name: str, alias: str) -> str:
    """A server name shortened so that alias + name stays within production's 10 characters (the
    recorded account's alias had 4 letters, the sandbox's has 5)."""
    return name[: max(1, 10 - len(alias))]


def created_entities(scenario: Scenario) -> set[str]:
    """Placeholder names the scenario's own requests created: introduced by the answer to a POST (or
    another non-GET), and the servers behind such a created uuid."""
    created = {World.key(ph) for it in scenario.interactions if it.method != "GET" for _path, ph in it.binds}
    for name, facts in scenario.entities.items():
        if World.key(name) in created and "server" in facts and name.startswith("{uuid#"):
            created.add(World.key(facts["server"]))
    return created


def existing_entities(scenario: Scenario, created: AbstractSet[str] = frozenset()) -> tuple[list[str], set[str]]:
    """Placeholder names the scenario uses before any answer introduced them (in order of first use),
    and those production answered 404 for on first use (they did not exist: nothing to create).
    `created` (created_entities): what the scenario's own requests made, never something a read revealed."""
    first_bind: dict[str, int] = {}
    first_use: dict[str, int] = {}
    absent: set[str] = set()
    for i, it in enumerate(scenario.interactions):
        for name in _placeholders([it.path, it.query, it.body]):
            if name not in first_use and it.status == 404 and name in _placeholders(it.path):
                absent.add(name)
            first_use.setdefault(name, i)
        for _path, ph in it.binds:
            name = World.key(ph)
            if it.method != "GET" or not _revealed(scenario, name, created):
                first_bind.setdefault(name, i)
    out = []
    for name, used in sorted(first_use.items(), key=lambda kv: kv[1]):
        kind = name.split("#")[0]
        if name in absent or kind not in PROVISIONED_KINDS or kind in LOOKUP_KINDS:
            continue
        if first_bind.get(name, used) >= used:
            out.append(name)
    return out, absent


def _revealed(scenario: Scenario, name: str, created: AbstractSet[str]) -> bool:
    """Whether a read that shows `name` shows something the recorded account had before the scenario:
    a load balancer, pool or policy; a group or server that no request of the scenario created, nor
    the group it is in (WireMock folders mix runs: a server in a group the folder creates was made
    by the same run)."""
    kind = name.split("#")[0]
    if kind in REVEALED_KINDS:
        return True
    if kind not in ("group", "server"):
        return False
    seen: set[str] = set()
    while name and name not in seen:  # the server, its group, the group's parent, ...
        if name in created:
            return False
        seen.add(name)
        facts = scenario.entities.get("{" + name + "}", {})
        up = facts.get("group") or facts.get("parent")
        name = World.key(up) if up else ""
    return True


def _placeholders(value: Any) -> list[str]:
    text = json.dumps(value)
    return [World.key(m.group(0)) for m in PLACEHOLDER.finditer(text) if m.group(2)]


def _json(r) -> Any:
    if not r.content:
        return None
    try:
        return r.json()
    except ValueError:
        return r.text


def _enum_values(s: Any, key: str) -> set[str]:
    if isinstance(s, dict):
        tag = s.get(key) or s.get(key + "?") or ""
        return {t[1:] for t in str(tag).split("|") if t.startswith("=")}
    return set()


def _compare_body(it: Interaction, answer: Any) -> list[Difference]:
    if it.answer is None and answer is None:
        return []
    if it.answer is None:
        return [Difference("body", "", "no body", f"a JSON {type(answer).__name__}")]
    if answer is None:
        return [Difference("body", "", "a body", "no body")]
    recorded, got = it.answer, shape(answer)
    if _status_read(it) and isinstance(recorded, dict) and isinstance(got, dict):
        # status values were compared as a set (Replayer._job_status); the shape compares the rest
        recorded = {k: ("job status" if k == "status" else v) for k, v in recorded.items()}
        got = {k: ("job status" if k == "status" else v) for k, v in got.items()}
    return diff(recorded, got)


def _compare_headers(it: Interaction, headers) -> list[Difference]:
    out = []
    if "Location" in it.headers:
        got = headers.get("location")
        pattern = template(got) if got else "absent"
        if pattern != it.headers["Location"]:
            out.append(Difference("header", "Location", it.headers["Location"], pattern))
    if "Content-Type" in it.headers:
        got = headers.get("content-type", "absent")
        if got.lower().replace(" ", "") != it.headers["Content-Type"].lower().replace(" ", ""):
            out.append(Difference("header", "Content-Type", it.headers["Content-Type"], got))
    return out


def _select(world: World, value: Any, path: tuple) -> Any:
    """Follow a bind's path (keys, `{"rel": x}`, `{"server": ph}`, `{"#": i}`, `{"slot": k}` for the
    k-th identifier of an href) in an answer."""
    for step in path:
        if isinstance(step, str):
            if not isinstance(value, dict) or step not in value:
                return None
            value = value[step]
            continue
        if "slot" in step:  # the k-th identifier of an href (paths.parse)
            slots = parse(value).slots if isinstance(value, str) else ()
            value = slots[step["slot"]].value if len(slots) > step["slot"] else None
            continue
        if not isinstance(value, list):
            return None
        if "#" in step:
            value = value[step["#"]] if len(value) > step["#"] else None
            continue
        ((k, want),) = step.items()
        if isinstance(want, str) and PLACEHOLDER.fullmatch(want):
            want = world.value(want)
        match = [x for x in value if isinstance(x, dict) and str(x.get(k, "")).lower() == str(want).lower()]
        value = match[0] if match else None
    return value


def _where(path: tuple) -> str:
    out = ""
    for step in path:
        if isinstance(step, str):
            out = f"{out}.{step}" if out else step
        elif "rel" in step:
            out += f"[rel={step['rel']}]"
        elif "slot" in step:
            out += f"@{step['slot']}"
        else:
            out += "[]"
    return out


def _check_binds(world: World, it: Interaction, answer: Any) -> list[Difference]:
    """Learn the sandbox's identifiers at the bind places; flag one that names another entity."""
    out = []
    for path, placeholder in it.binds:
        found = _select(world, answer, path)
        if not isinstance(found, str):
            continue
        before = world.bind(placeholder, found)
        if before is not None:
            out.append(
                Difference(
                    "identity",
                    _where(path),
                    f"the same {generic(placeholder)} as before",
                    "another one",
                )
            )
    return out


def _check_counts(it: Interaction, answer: Any) -> list[Difference]:
    """Nested lists whose length carries meaning (corpus `counts`) have the recorded length."""
    out = []
    for where, n in it.counts.items():
        value = answer
        for key in where.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        if isinstance(value, list) and len(value) != n:
            out.append(Difference("items", where, f"{n} items", f"{len(value)} items"))
    return out


def _check_batch(world: World, it: Interaction, body: Any, answer: Any) -> list[Difference]:
    """Power operations: one item per distinct server, and the order production answered in."""
    if it.family != "power operations" or not isinstance(answer, list) or it.items is None:
        return []
    out = []
    if len(answer) != it.items:
        out.append(Difference("items", "", f"{it.items} items", f"{len(answer)} items"))
    requested = [world.value(p) for p in (it.body if isinstance(it.body, list) else [])]
    recorded_order = [world.value(p) for p in it.order]
    got = [str(x.get("server", "")).lower() for x in answer if isinstance(x, dict)]
    distinct_request = list(dict.fromkeys(str(x).lower() for x in requested if x))
    rec = [str(x).lower() for x in recorded_order if x]
    if rec and rec != distinct_request and got == [str(x).lower() for x in requested if x]:
        out.append(Difference("order", "", "not the request's order", "the request's order"))
    return out
