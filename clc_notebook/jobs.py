"""Jobs: the API's asynchronous work items, and the one loop that waits for them.

A `Job` reads its status with ``Session.job_status`` (``GET /v2/operations/{alias}/status/{id}``)
and its server with ``Session.server``: public methods only, through the `JobSource` seam below;
this module never imports the session. A job whose answer was lost has no status id and is followed
on its server instead (``reconcile.Follow``).

`wait_for` is the one polling loop. ``Job.wait``, ``JobSet.wait``, the widgets' thread and the
runbook run it; only what they do with each status read differs (tqdm's split: logic here, display
elsewhere). Each round reads every distinct status id once (several jobs may share one: a batch
operation may answer one status id for all its servers) and gives every job of that id the status,
matched by id, never by position. Any status other than ``succeeded`` / ``failed`` (``notStarted``,
``executing``, ``resumed``, ...) counts as still running. Rounds follow one back-off rule
(`Schedule`). A ``timeout`` is one `Deadline` for the whole wait, passed down to every status read
and its retries; when it passes the loop raises JobTimeoutError and the jobs stay waitable. A stop
signal (``threading.Event``) ends the loop between two reads.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, overload

from . import frames
from .config import Settings
from .deadline import Deadline
from .errors import ClcError, JobFailedError, JobTimeoutError, NotFoundError, OperationError
from .reconcile import WATCH_LIMIT, Follow
from .records import Server

DONE = ("succeeded", "failed")

# (job, status, elapsed seconds): called for every job each time its status is read
Progress = Callable[[Any, str, float], Any]


class JobSource(Protocol):
    """What a Job needs from its Session (public methods only; `Session` provides them)."""

    settings: Settings

    def job_status(self, status_id: str, *, deadline: Deadline | None = None) -> str: ...

    def server(self, id_or_uuid: str, *, deadline: Deadline | None = None) -> Server: ...


@dataclass(frozen=True)
class Schedule:
    """The one back-off rule between polling rounds: `first` s, then each interval `factor` times
    the one before, never above `ceiling`."""

    first: float
    factor: float = 1.0
    ceiling: float = float("inf")

    @classmethod
    def of(cls, settings: Settings | None, poll: float | None = None, ceiling: float | None = None) -> Schedule:
        """A fixed interval when `poll` is given, else the settings' poll / poll_backoff /
        poll_max (with `ceiling` as a lower cap, for a display that must move)."""
        if poll is not None:
            return cls(poll, 1.0, poll)
        s = settings or Settings()
        top = s.poll_max if ceiling is None else min(s.poll_max, ceiling)
        return cls(min(s.poll, top), s.poll_backoff, top)

    def after(self, interval: float) -> float:
        """The interval that follows `interval`."""
        return min(interval * self.factor, self.ceiling)


@dataclass
class PollReport:
    """What one run of `wait_for` did: rounds, status reads (HTTP calls, retries not counted),
    the last interval slept between rounds, and whether a stop signal ended it."""

    rounds: int = 0
    reads: int = 0
    last_interval: float | None = None
    stopped: bool = False


class Job:
    """One asynchronous job. ``status()`` reads it once; ``wait()`` polls until it ends.

    Attributes: ``id`` (status id like ``wa1-12``, None for a job followed on its server after a
    lost answer), ``kind`` ("create", "delete", "reboot", ...), ``server_id`` (lower-case, when
    known), ``name`` (a label for a UI), ``last_status``, ``error`` (text when failed),
    ``session``, ``follow`` (the reconcile.Follow of a job without status id, else None),
    ``watch_limit`` (s; how long such an update is followed).
    """

    def __init__(
        self,
        session: JobSource,
        id: str | None,
        *,
        kind: str = "job",
        server_id: str | None = None,
        name: str | None = None,
        self_href: str | None = None,
        follow: Follow | None = None,
    ):
        self._session = session
        self.id = id
        self.kind = kind
        self._server_id = server_id.lower() if server_id else None
        self._lookup_failed = False
        self.name = name or (f"{kind} {server_id}" if server_id else f"{kind} {id}")
        self.self_href = self_href
        self.follow = follow
        self.watch_limit = WATCH_LIMIT
        self.last_status: str | None = None
        self.error: str | None = None
        self._started = time.monotonic()
        self._finished: float | None = None
        self._server: Server | None = None

    def __repr__(self) -> str:
        return f"<Job {self.id or '(no status id)'} {self.kind} {self.name!r} status={self.last_status or 'unread'}>"

    def _repr_html_(self) -> str:
        from .display import job_html

        return job_html(self)

    @property
    def session(self) -> JobSource:
        """The Session this job was made by."""
        return self._session

    @property
    def server_id(self) -> str | None:
        """The server's lower-case id when known. A create answer names only the request, so
        after a successful build the id is looked up once (via the uuid link) on first use."""
        if (
            self._server_id is None
            and self.kind == "create"
            and self.succeeded
            and self.self_href
            and not self._lookup_failed
        ):
            try:
                self.server()
            except ClcError:
                self._lookup_failed = True
        return self._server_id

    @server_id.setter
    def server_id(self, value: str | None) -> None:
        self._server_id = value.lower() if value else None

    @property
    def done(self) -> bool:
        return self.last_status in DONE

    @property
    def succeeded(self) -> bool:
        return self.last_status == "succeeded"

    @property
    def failed(self) -> bool:
        return self.last_status == "failed"

    @property
    def elapsed(self) -> float:
        """Seconds since the API accepted the job (frozen once it ended)."""
        return (self._finished or time.monotonic()) - self._started

    def status(self, *, deadline: Deadline | None = None) -> str:
        """Read the status once and return it (no read once the job ended).

        A 5xx or lost answer is read again by the transport's one retry rule and never taken for
        success; `deadline` bounds the read and its retries. Raises ServerError / TransportError
        when every attempt failed (ClcTimeoutError when the deadline passed first),
        MalformedResponseError when the answer has no ``status``.
        """
        if self.last_status is not None and self.done:
            return self.last_status
        if self.follow is not None:
            status = self._status_from_server(self.follow, deadline)
        else:
            status = self._read_status(deadline)
        self._record(status)
        return status

    def _read_status(self, deadline: Deadline | None) -> str:
        """One status read (a subclass reads another status endpoint, e.g. a v2-experimental operation's)."""
        return self._session.job_status(str(self.id), deadline=deadline)

    def _status_from_server(self, follow: Follow, deadline: Deadline | None) -> str:
        try:
            server: Server | None = self._session.server(str(self._server_id), deadline=deadline)
        except NotFoundError:
            server = None
        if server is not None:
            self._server = server
        status, error = follow.status(server, self.elapsed, self.watch_limit, self.name)
        if error:
            self.error = error
        return status

    def _record(self, status: str) -> None:
        """Keep a status read (by this job, or by another job sharing its status id)."""
        self.last_status = status
        if status in DONE and self._finished is None:
            self._finished = time.monotonic()
            if status == "failed" and not self.error:
                self.error = f"job {self.id or '(no status id)'} ({self.name}) failed"

    def wait(
        self, timeout: float | None = None, poll: float | None = None, progress: Progress | bool | None = None
    ) -> Job:
        """Poll until the job ends; returns self.

        Raises JobFailedError if it ends ``failed``, JobTimeoutError if `timeout` seconds pass
        first (status reads included; the job keeps running and can be waited on again).
        """
        JobSet([self]).wait(timeout=timeout, poll=poll, progress=progress)
        return self

    def server(self, *, deadline: Deadline | None = None) -> Server:
        """The server this job is about (for a create: the new one, via its uuid ``self`` link).

        Right after a create the link may answer 404 for a while: the transport reads it again
        (``Session.server``); `deadline` bounds that. Raises NotFoundError if the server does not
        appear (a failed build removes it).
        """
        if self._server is not None and self.done:
            return self._server
        if self.failed and self.kind == "create":
            raise NotFoundError(f"{self.error}: no server was built", status=None)
        if self.self_href:
            server = self._session.server(self.self_href, deadline=deadline)
        elif self._server_id:
            server = self._session.server(self._server_id, deadline=deadline)
        else:
            raise NotFoundError(f"job {self.id} ({self.name}) does not name a server", status=None)
        if server.get("id"):
            self._server_id = str(server["id"]).lower()
        self._server = server
        return server


# -- the one polling loop ------------------------------------------------------------------------


def wait_for(
    jobs: Iterable[Any],
    *,
    schedule: Schedule,
    timeout: float | Deadline | None = None,
    progress: Progress | None = None,
    on_error: Callable[[Any, Exception], Any] | None = None,
    stop: threading.Event | None = None,
    tick: Callable[[], Any] | None = None,
    tick_every: float = 1.0,
    report: PollReport | None = None,
) -> PollReport:
    """Poll `jobs` until every one has ended; returns the PollReport (`report` if given, filled in).

    `schedule` spaces the rounds (the first one once the newest job is ``schedule.first`` s old: a
    read right after the job was accepted would only say notStarted). `timeout` is seconds from now,
    or a Deadline already running (a caller that bounds more than the loop with it). `progress(job, status,
    elapsed)` is called for every job each time its status is read; `tick()` every `tick_every` s
    while the loop sleeps (a display's clock); `stop` ends the loop between two reads
    (``report.stopped``). `jobs` are Jobs, or objects with ``status(deadline=)``, ``done`` and
    ``elapsed``.

    Raises JobTimeoutError (naming the unfinished jobs) once `timeout` seconds have passed, also
    when a status read or its retries were cut short by it; the jobs stay waitable. A status read
    that failed while time was left (the transport's retries used up) raises its error, or, with
    `on_error`, calls ``on_error(job, error)`` and stops polling that job only (a display row).
    """
    deadline = timeout if isinstance(timeout, Deadline) else Deadline(timeout)
    report = report if report is not None else PollReport()
    pending = [job for job in jobs if not job.done]
    # the first interval runs from when the newest job was accepted, not from this call
    interval = schedule.first
    youngest = min((job.elapsed for job in pending), default=0.0)
    next_round = time.monotonic() + max(0.0, interval - youngest)
    given_up: set[int] = set()
    while pending:
        if _sleep_until(next_round, deadline, stop, tick, tick_every):
            report.stopped = True
            return report
        if deadline.expired():
            raise _timed_out(pending, deadline)
        report.rounds += 1
        for group in _by_status_id(pending):
            if stop is not None and stop.is_set():
                report.stopped = True
                return report
            try:
                status = group[0].status(deadline=deadline)
            except Exception as exc:
                if isinstance(exc, ClcError) and deadline.expired():
                    raise _timed_out(pending, deadline, exc) from exc
                if on_error is None:
                    raise
                for job in group:
                    on_error(job, exc)
                    given_up.add(id(job))
                continue
            report.reads += 1
            for job in group:
                if job is not group[0]:
                    job._record(status)
                if progress is not None:
                    progress(job, status, job.elapsed)
        pending = [job for job in pending if not job.done and id(job) not in given_up]
        if pending:
            interval = schedule.after(interval)
            report.last_interval = interval
            next_round = time.monotonic() + interval
    return report


def _by_status_id(jobs: list[Any]) -> list[list[Any]]:
    """Jobs grouped by status id, in order: one read per distinct id (jobs without one alone)."""
    groups: dict[Any, list[Any]] = {}
    for job in jobs:
        key = job.id if isinstance(job, Job) and job.id and job.follow is None else id(job)
        groups.setdefault(key, []).append(job)
    return list(groups.values())


def _sleep_until(
    when: float,
    deadline: Deadline,
    stop: threading.Event | None,
    tick: Callable[[], Any] | None,
    tick_every: float,
) -> bool:
    """Sleep until `when` (or the deadline, whichever is first); True when `stop` was set."""
    while True:
        left = deadline.cap(when - time.monotonic())
        if left <= 0:
            return stop is not None and stop.is_set()
        step = min(left, tick_every) if tick is not None else left
        if stop is not None:
            if stop.wait(step):
                return True
        else:
            time.sleep(step)
        if tick is not None:
            tick()


def _timed_out(pending: list[Any], deadline: Deadline, cause: Exception | None = None) -> JobTimeoutError:
    names = ", ".join(
        f"{getattr(j, 'id', None)} ({getattr(j, 'name', j)}: {getattr(j, 'last_status', None)})" for j in pending
    )
    message = f"{len(pending)} job(s) still running after {deadline.timeout:g} s: {names}"
    if cause is not None:
        message += f" (the status read in progress was cut short: {cause})"
    return JobTimeoutError(message, jobs=pending)


class JobSet(Sequence[Job]):
    """Several jobs waited on together; ``not_queued`` lists the servers the API refused.

    Decision: when an operation is refused for every server, ``Session.power`` raises
    OperationError at once; when only some are refused they are recorded here, and ``wait()``
    raises OperationError after the queued jobs ended (``raise_on_failure=True``), so a refusal
    is never silent. ``report`` is the PollReport of the last ``wait()``.
    """

    def __init__(self, jobs: Iterable[Job] = (), not_queued: list[dict] | None = None, operation: str | None = None):
        self.jobs = list(jobs)
        self.not_queued = list(not_queued or [])
        self.operation = operation
        self.report = PollReport()

    @overload
    def __getitem__(self, index: int) -> Job: ...

    @overload
    def __getitem__(self, index: slice) -> list[Job]: ...

    def __getitem__(self, index: int | slice) -> Job | list[Job]:
        return self.jobs[index]

    def __len__(self) -> int:
        return len(self.jobs)

    def __repr__(self) -> str:
        done = sum(j.done for j in self.jobs)
        extra = f", {len(self.not_queued)} not queued" if self.not_queued else ""
        label = f" {self.operation}" if self.operation else ""
        return f"<JobSet{label} {done}/{len(self.jobs)} done{extra}>"

    def _repr_html_(self) -> str:
        from .display import frame_html

        return frame_html(self.summary(), f"{len(self.jobs)} job(s)")

    @property
    def done(self) -> bool:
        """True when every job has ended."""
        return all(j.done for j in self.jobs)

    @property
    def succeeded(self) -> bool:
        """True when every job succeeded and the API refused no server."""
        return all(j.succeeded for j in self.jobs) and not self.not_queued

    @property
    def failed(self) -> bool:
        """True when any job ended ``failed`` (``failed_jobs`` lists them), as ``Job.failed``."""
        return any(j.failed for j in self.jobs)

    @property
    def failed_jobs(self) -> list[Job]:
        """The jobs that ended ``failed``."""
        return [j for j in self.jobs if j.failed]

    @property
    def rounds(self) -> int:
        """Polling rounds of the last wait()."""
        return self.report.rounds

    @property
    def last_interval(self) -> float | None:
        """The last sleep between rounds of the last wait() (s)."""
        return self.report.last_interval

    def summary(self) -> Any:
        """DataFrame (frames.JOBS) with one row per job, plus one per refused server."""
        rows = [
            {
                "id": j.id,
                "kind": j.kind,
                "name": j.name,
                "server_id": j.server_id,
                "status": j.last_status,
                "done": j.done,
                "succeeded": j.succeeded,
                "elapsed": round(j.elapsed, 3),
                "error": j.error,
            }
            for j in self.jobs
        ]
        rows += [
            {
                "id": None,
                "kind": self.operation,
                "name": f"{self.operation} {i.get('server')}",
                "server_id": i.get("server"),
                "status": "notQueued",
                "done": True,
                "succeeded": False,
                "elapsed": 0.0,
                "error": i.get("errorMessage"),
            }
            for i in self.not_queued
        ]
        return frames.records_frame(frames.JOBS, rows)

    def wait(
        self,
        timeout: float | None = None,
        poll: float | None = None,
        progress: Progress | bool | None = None,
        raise_on_failure: bool = True,
    ) -> JobSet:
        """Poll every unfinished job until all ended (`wait_for`); returns self.

        `timeout` bounds the whole wait, status reads and their retries included; `poll` fixes
        the interval (default: the session's poll settings, growing). Raises JobTimeoutError
        (listing the unfinished jobs, which stay waitable) when `timeout` seconds pass; with
        `raise_on_failure`, JobFailedError if any job failed, then OperationError if the API
        refused some servers.
        """
        if timeout is not None and (isinstance(timeout, bool) or not timeout >= 0):
            raise ValueError(f"timeout must be >= 0 seconds, got {timeout!r}")
        if poll is not None and (isinstance(poll, bool) or not poll > 0):
            raise ValueError(f"poll must be > 0 seconds, got {poll!r}")
        bar = TextProgress(len(self.jobs)) if progress is True else None
        callback = bar or (progress if callable(progress) else None)
        settings = self.jobs[0].session.settings if self.jobs else None
        self.report = PollReport()
        wait_for(
            self.jobs, schedule=Schedule.of(settings, poll), timeout=timeout, progress=callback, report=self.report
        )
        if bar is not None:
            bar.finish(self)
        if raise_on_failure:
            self.raise_for_failure()
        return self

    def raise_for_failure(self) -> None:
        """Raise JobFailedError for failed jobs, then OperationError for refused servers."""
        failed = self.failed_jobs
        if failed:
            names = "; ".join(j.error or j.name for j in failed)
            raise JobFailedError(f"{len(failed)} of {len(self.jobs)} job(s) failed: {names}", jobs=failed)
        if self.not_queued:
            raise OperationError(
                not_queued_message(self.operation, self.not_queued), items=self.not_queued, operation=self.operation
            )


def not_queued_message(operation: str | None, items: list[dict]) -> str:
    detail = "; ".join(f"{i.get('server')}: {i.get('errorMessage') or 'not queued'}" for i in items)
    return f"{operation or 'operation'} was not queued for {len(items)} server(s): {detail}"


class TextProgress:
    """A plain text progress bar: one line each time a job's status changes."""

    WEIGHT = {"notStarted": 0.0, "executing": 0.5, "resumed": 0.5, "succeeded": 1.0, "failed": 1.0}

    def __init__(self, total: int, stream: Any = None, width: int = 20):
        self.total = max(total, 1)
        self.stream = stream
        self.width = width
        self.states: dict[int, str] = {}

    def __call__(self, job: Any, status: str, elapsed: float) -> None:
        if self.states.get(id(job)) == status:
            return
        self.states[id(job)] = status
        frac = sum(self.WEIGHT.get(s, 0.0) for s in self.states.values()) / self.total
        filled = int(round(frac * self.width))
        done = sum(s in DONE for s in self.states.values())
        print(
            f"[{'#' * filled}{'.' * (self.width - filled)}] {done}/{self.total} {job.name}: {status}",
            file=self.stream or sys.stdout,
            flush=True,
        )

    def finish(self, jobs: JobSet) -> None:
        ok = sum(j.succeeded for j in jobs)
        bad = len(jobs.failed_jobs)
        print(f"done: {ok} succeeded, {bad} failed", file=self.stream or sys.stdout, flush=True)
