"""The classroom: one sandbox for a whole class (`Sandbox(trainees=N, roster=FILE)`, `clc-sandbox --trainees N
--roster FILE`).

- Seats: one instructor and N trainees, each with an account of its own (its own alias and its own copy of
  the tutorial's data centers, groups and networks, seeded like the tutorial's account). Passwords are random
  and leave the sandbox only in the roster CSV (`role,username,password,alias`, mode 0600; the state file,
  where the sandbox keeps them to check logins, is made 0600 too). The seats live in tables a reset keeps, so `--state FILE` keeps the class across restarts and `POST /sandbox/reset` re-seeds
  every account of the class instead of dropping them.
- Progress: an observer of every answered API request (`observe`, given `Handled` by handling.py) marks the
  tutorial's steps a trainee's own requests completed, through plain HTTP or the client alike, and keeps
  the last error each trainee got. Nothing in the resources' rules knows about it.
- Control: `GET /sandbox/classroom` (the board's data) and `POST /sandbox/classroom/{username}/reset`; in a
  classroom the whole control plane needs the instructor's token (`authenticate_instructor`).
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import sqlite3
import string
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from . import fixtures
from .backend import Backend
from .common import Principal
from .errors import ApiProblem, Forbidden, NotFound
from .handling import Call, Handled
from .registry import route
from .shapes import iso
from .validation import Body, patch_ops

# The tutorial's steps, in its order (the keys of `steps` in GET /sandbox/classroom; pinned names).
STEPS = (
    "login",
    "capabilities",
    "datacenter",
    "groups",
    "create_server",
    "build_status",
    "server_by_uuid",
    "update_description",
    "reboot",
)
INSTRUCTOR, TRAINEE = "instructor", "trainee"
INSTRUCTOR_USERNAME, INSTRUCTOR_ALIAS = "instructor", "INST"
MAX_TRAINEES = 999  # aliases T001..T999
ROSTER_COLUMNS = ("role", "username", "password", "alias")
PASSWORD_ALPHABET = string.ascii_letters + string.digits  # nothing a CSV, a shell or an env file must quote
PASSWORD_LENGTH = 20
ACTIVITY_WRITE_EVERY = 5.0  # seconds: how stale the stored last-seen time of a trainee may get
MESSAGE_LIMIT = 300

# Routes whose answers make steps (path templates as the resources declare them).
LOGIN = ("POST", "/v2/authentication/login")
CAPABILITIES = ("GET", "/v2/datacenters/{alias}/{dc}/deploymentCapabilities")
DATACENTER = ("GET", "/v2/datacenters/{alias}/{dc}")
DATACENTERS = ("GET", "/v2/datacenters/{alias}")
GROUP = ("GET", "/v2/groups/{alias}/{group}")
CREATE_SERVER = ("POST", "/v2/servers/{alias}")
GET_SERVER = ("GET", "/v2/servers/{alias}/{server}")
PATCH_SERVER = ("PATCH", "/v2/servers/{alias}/{server}")
JOB_STATUS = ("GET", "/v2/operations/{alias}/status/{job}")
JOB_STEPS = {"create": "build_status", "reboot": "reboot"}  # job kind -> the step its end completes


@dataclass(frozen=True)
class Seat:
    """One person of the class and their account."""

    role: str
    username: str
    password: str = field(repr=False)
    alias: str
    position: int

    @property
    def account(self) -> fixtures.Account:
        return fixtures.Account(self.username, self.password, self.alias)


def new_password() -> str:
    """A random password (about 119 bits) made of letters and digits only."""
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


def trainee_seat(n: int) -> Seat:
    """Trainee number `n` (1-based): `trainee01` / alias `T001`, with a new password."""
    return Seat(TRAINEE, f"trainee{n:02d}", new_password(), f"T{n:03d}", n)


def write_roster(path: str, seats: Iterable[Seat]) -> None:
    """Write the roster CSV (`role,username,password,alias`; readable by its owner only), atomically."""
    tmp = f"{path}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(ROSTER_COLUMNS)
        for seat in seats:
            writer.writerow((seat.role, seat.username, seat.password, seat.alias))
    os.replace(tmp, path)


def owner_only(state: str) -> None:
    """Make a state file (and its WAL files, which SQLite creates with the same mode) readable by its
    owner only; nothing to do for a sandbox in memory."""
    if state == ":memory:":
        return
    for path in (state, f"{state}-wal", f"{state}-shm"):
        if os.path.exists(path):
            os.chmod(path, 0o600)


@dataclass
class Activity:
    """What the observer keeps of one trainee besides the steps."""

    requests: int = 0
    last_seen: float | None = None
    error: dict | None = None  # {status, request, message}
    error_at: float | None = None
    stored_at: float = 0.0  # when last_seen/requests were last written to the store


class Classroom:
    """The seats of a class, their progress through the tutorial, and the instructor's control routes."""

    tables = {
        "class_seats": "username TEXT PRIMARY KEY, password TEXT NOT NULL, alias TEXT NOT NULL UNIQUE,"
        " role TEXT NOT NULL, position INTEGER NOT NULL",
        "class_steps": "username TEXT NOT NULL, step TEXT NOT NULL, at REAL NOT NULL, PRIMARY KEY (username, step)",
        "class_activity": "username TEXT PRIMARY KEY, requests INTEGER NOT NULL, last_seen REAL,"
        " error TEXT, error_at REAL",
    }

    def __init__(self, backend: Backend, trainees: int = 0, roster: str | None = None) -> None:
        """Open the class kept in the store, enrolling trainees up to `trainees` (creating the class if
        the store holds none), and write the roster to `roster`. Raises ValueError naming `trainees`
        when the store holds more trainees than asked for."""
        self.backend, self.store, self.clock = backend, backend.store, backend.clock
        self.store.add_tables(self.tables, kept_by_reset=True)
        owner_only(self.store.path)  # the sandbox checks logins against the passwords it keeps there
        self._lock = threading.Lock()
        self.seats = self._enrol(trainees)
        self.instructor = next(s for s in self.seats if s.role == INSTRUCTOR)
        self._by_username = {s.username.lower(): s for s in self.seats}
        self._steps: dict[str, dict[str, float]] = {}
        self._activity: dict[str, Activity] = {}
        self._load_progress()
        backend.after_seed.append(self._reseed)
        self.roster = roster
        if roster:
            write_roster(roster, self.seats)

    @classmethod
    def held_by(cls, backend: Backend) -> bool:
        """True when the store already holds a class (a `--state` file written by a classroom)."""
        with backend.store.transaction() as db:
            if not db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='class_seats'").fetchone():
                return False
            return db.execute("SELECT COUNT(*) FROM class_seats").fetchone()[0] > 0

    @property
    def trainees(self) -> list[Seat]:
        return [s for s in self.seats if s.role == TRAINEE]

    # --- seats ------------------------------------------------------------------------------------------

    def _enrol(self, wanted: int) -> list[Seat]:
        with self.store.transaction() as db:
            seats = [
                Seat(r["role"], r["username"], r["password"], r["alias"], r["position"])
                for r in db.execute("SELECT * FROM class_seats ORDER BY position")
            ]
            have = sum(1 for s in seats if s.role == TRAINEE)
            if wanted and wanted < have:
                raise ValueError(
                    f"trainees: the state file holds a class of {have} trainees; start with --trainees {have} "
                    "or more (or another --state file)"
                )
            new = [] if seats else [Seat(INSTRUCTOR, INSTRUCTOR_USERNAME, new_password(), INSTRUCTOR_ALIAS, 0)]
            new += [trainee_seat(n) for n in range(have + 1, wanted + 1)]
            for seat in new:
                db.execute(
                    "INSERT INTO class_seats VALUES (?,?,?,?,?)",
                    (seat.username, seat.password, seat.alias, seat.role, seat.position),
                )
                self.backend.seed_account(db, seat.account)
            return seats + new

    def _reseed(self, db: sqlite3.Connection) -> None:
        """After a whole reset: every account of the class again, progress forgotten."""
        for seat in self.seats:
            self.backend.seed_account(db, seat.account)
        db.execute("DELETE FROM class_steps")
        db.execute("DELETE FROM class_activity")
        with self._lock:
            self._steps.clear()
            self._activity.clear()

    def reset_seat(self, username: str) -> Seat:
        """One account back to its seeded state, its progress forgotten (tokens stay valid); returns the
        seat. Raises NotFound for a user who has no seat."""
        seat = self._by_username.get(username.lower())
        if seat is None:
            raise NotFound(f"No trainee or instructor is named {username!r} in this class.")
        with self.store.transaction() as db:
            self.backend.drop_account(db, seat.alias)
            self.backend.seed_account(db, seat.account)
            db.execute("DELETE FROM class_steps WHERE username=?", (seat.username,))
            db.execute("DELETE FROM class_activity WHERE username=?", (seat.username,))
            with self._lock:
                self._steps.pop(seat.username, None)
                self._activity.pop(seat.username, None)
        return seat

    def authenticate_instructor(self, authorization: str | None) -> Principal:
        """The control plane's gate: 401 without a valid token, 403 for anyone but the instructor."""
        who = self.backend.authenticate(authorization)
        if who.username.lower() != self.instructor.username.lower():
            raise Forbidden("Only the instructor of this class may use the sandbox's control plane.")
        return who

    # --- progress ---------------------------------------------------------------------------------------

    def _load_progress(self) -> None:
        with self.store.transaction() as db:
            for r in db.execute("SELECT * FROM class_steps"):
                self._steps.setdefault(r["username"], {})[r["step"]] = r["at"]
            for r in db.execute("SELECT * FROM class_activity"):
                self._activity[r["username"]] = Activity(
                    r["requests"], r["last_seen"], json.loads(r["error"]) if r["error"] else None, r["error_at"]
                )

    def observe(self, handled: Handled) -> None:
        """Note what one answered request of a trainee did: a step completed, or an error."""
        seat = self._seat_of(handled)
        if seat is None or seat.role != TRAINEE:
            return
        now = self.clock.now()
        with self._lock:
            done = dict(self._steps.get(seat.username, {}))
        error = None
        if handled.status >= 400:
            error = {"status": handled.status, "request": f"{handled.method} {handled.path}"}
            error["message"] = _message(handled.body) or ("Not found." if handled.status == 404 else "")
        else:
            step, failed = self._step_of(seat, handled, done)
            if failed:
                error = {"status": handled.status, "request": f"{handled.method} {handled.path}"}
                error["message"] = "The job ended failed."
            if step is not None:
                self._reach(seat, step, now)
        self._seen(seat, now, error)

    def _seat_of(self, handled: Handled) -> Seat | None:
        if handled.call.who is not None:
            return self._by_username.get(handled.call.who.username.lower())
        if (handled.method, handled.route) != LOGIN:
            return None
        if handled.status == 200 and isinstance(handled.body, dict):
            name = handled.body.get("userName")
        else:  # a refused login: whose it was, from the request (never the password)
            try:
                name = Body(handled.call.body).get("username")
            except ApiProblem:
                return None
        return self._by_username.get(name.lower()) if isinstance(name, str) else None

    def _step_of(self, seat: Seat, h: Handled, done: dict[str, float]) -> tuple[str | None, bool]:
        """The step a successful answer completes (None if none, or done already), and whether it told
        of a failed job."""
        key, call = (h.method, h.route), h.call

        def new(step: str, condition: Any = True) -> str | None:
            return step if step not in done and condition else None

        if key == LOGIN:
            return new("login"), False
        if key == CAPABILITIES:
            return new("capabilities"), False
        if key in (DATACENTER, DATACENTERS):
            return new("datacenter", call.flag("groupLinks")), False
        if key == CREATE_SERVER:
            return new("create_server", h.status == 202), False
        if key == GET_SERVER:
            return new("server_by_uuid", call.flag("uuid")), False
        if key == PATCH_SERVER:
            return new("update_description", _sets_description(call)), False
        if key == GROUP and "groups" not in done:
            with self.store.transaction() as db:
                row = db.execute(
                    "SELECT 1 FROM groups WHERE id=? AND alias=? AND parent_id IS NULL",
                    (call.path["group"].lower(), seat.alias),
                ).fetchone()
            return new("groups", row is not None), False
        if key == JOB_STATUS and isinstance(h.body, dict) and h.body.get("status") in ("succeeded", "failed"):
            with self.store.transaction() as db:
                row = db.execute(
                    "SELECT kind FROM jobs WHERE id=? AND alias=?", (call.path["job"].lower(), seat.alias)
                ).fetchone()
            step = JOB_STEPS.get(row["kind"]) if row is not None else None
            if step is None:
                return None, False
            if h.body["status"] == "failed":
                return None, True
            return new(step), False
        return None, False

    def _reach(self, seat: Seat, step: str, now: float) -> None:
        with self._lock:
            steps = self._steps.setdefault(seat.username, {})
            if step in steps:
                return
            steps[step] = now
        with self.store.transaction() as db:
            db.execute("INSERT OR IGNORE INTO class_steps VALUES (?,?,?)", (seat.username, step, now))

    def _seen(self, seat: Seat, now: float, error: dict | None) -> None:
        with self._lock:
            activity = self._activity.setdefault(seat.username, Activity())
            activity.requests += 1
            activity.last_seen = now
            if error is not None:
                activity.error, activity.error_at = error, now
            if error is None and now - activity.stored_at < ACTIVITY_WRITE_EVERY:
                return
            activity.stored_at = now
            row = (
                seat.username,
                activity.requests,
                activity.last_seen,
                json.dumps(activity.error) if activity.error else None,
                activity.error_at,
            )
        with self.store.transaction() as db:
            db.execute("INSERT OR REPLACE INTO class_activity VALUES (?,?,?,?,?)", row)

    # --- the instructor's routes ------------------------------------------------------------------------

    @route("GET", "/sandbox/classroom", auth=False)
    def board(self, call: Call) -> dict:
        """Every trainee's progress: steps (booleans) and when each was reached, where they are, whether
        they are stuck (an error since their last step), their last error, servers and activity."""
        return self.report()

    @route("POST", "/sandbox/classroom/{username}/reset", auth=False)
    def reset_one(self, call: Call) -> dict:
        """One trainee's account back to its seeded state (404 for someone not in the class)."""
        seat = self.reset_seat(call.path["username"])
        return {"status": "reset", "username": seat.username, "alias": seat.alias}

    def report(self) -> dict:
        """The body of GET /sandbox/classroom."""
        now = self.clock.now()
        with self.store.transaction() as db:
            servers = dict(db.execute("SELECT alias, COUNT(*) FROM servers GROUP BY alias").fetchall())
        with self._lock:
            rows = [
                _trainee(seat, dict(self._steps.get(seat.username, {})), self._activity.get(seat.username), now)
                for seat in self.trainees
            ]
        for row in rows:
            row["servers"] = servers.get(row["alias"], 0)
        return {"steps": list(STEPS), "at": iso(now), "trainees": rows}


def _trainee(seat: Seat, done: dict[str, float], activity: Activity | None, now: float) -> dict:
    activity = activity or Activity()
    last_step = max(done.values(), default=None)
    finished = all(step in done for step in STEPS)
    stuck = not finished and activity.error_at is not None and (last_step is None or activity.error_at > last_step)
    error = dict(activity.error, at=iso(activity.error_at)) if activity.error and activity.error_at else None
    return {
        "username": seat.username,
        "alias": seat.alias,
        "steps": {step: step in done for step in STEPS},
        "step_times": {step: iso(done[step]) if step in done else None for step in STEPS},
        "done": sum(1 for step in STEPS if step in done),
        "current": next((step for step in STEPS if step not in done), None),
        "finished": finished,
        "stuck": stuck,
        "last_error": error,
        "requests": activity.requests,
        "last_seen": iso(activity.last_seen) if activity.last_seen is not None else None,
        "idle_seconds": round(now - activity.last_seen, 1) if activity.last_seen is not None else None,
    }


def _message(body: Any) -> str:
    """The readable part of an error answer: its message and the first problem of each field."""
    if not isinstance(body, dict):
        return ""
    parts = [str(body.get("message") or "")]
    state = body.get("modelState")
    if isinstance(state, dict):
        parts += [
            f"{name}: {problems[0]}" for name, problems in state.items() if isinstance(problems, list) and problems
        ]
    text = " ".join(p for p in parts if p)
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


def _sets_description(call: Call) -> bool:
    """True when a PATCH body sets the description, read as the servers' PATCH reads it (an array of
    `{op, member, value}` or one such object alone)."""
    try:
        return any(member.lower() == "description" for member, _ in patch_ops(call.body))
    except ApiProblem:
        return False
