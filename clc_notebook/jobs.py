"""Jobs: the API's asynchronous work items, polled until they end.

A Job reads ``GET /v2/operations/{alias}/status/{id}``; a JobSet polls many jobs in one loop (one
read per unfinished job per round), sleeping between rounds with a back-off that starts at
``Settings.poll`` and grows by ``Settings.poll_backoff`` up to ``Settings.poll_max``, and falls
back to ``Settings.poll`` after a round in which a job ended (jobs queued together end together).
An explicit ``poll=`` keeps the interval fixed. No UI here: progress is a callback
``(job, status, elapsed)``; ``progress=True`` prints a plain text bar (one stable line per
change, no ANSI codes).

A status read answered 5xx (or not answered) is read again a few times; it never counts as success.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from . import frames
from .errors import (
    ClcError,
    JobFailedError,
    JobTimeoutError,
    MalformedResponseError,
    NotFoundError,
    OperationError,
    ServerError,
    TransportError,
)

DONE = ("succeeded", "failed")
STATUS_READ_ATTEMPTS = 5  # reads of one status before a 5xx / lost answer is raised
SERVER_LOOKUP_ATTEMPTS = 8  # GETs of a new server by uuid while it still answers 404
# s: an update whose answer was lost is followed on its server this long, then ends failed. Its
# PATCH may never have been processed (or its job failed): nothing would ever show, and waiting
# for ever (wait()'s default) would hang a notebook cell. Set ``job.watch_limit`` to follow longer.
WATCH_LIMIT = 3.0

Progress = Callable[["Job", str, float], Any]


class Job:
    """One asynchronous job. ``status()`` reads it once; ``wait()`` polls until it ends.

    Attributes: ``id`` (status id like ``wa1-12``, None for a create reconciled after a lost
    answer), ``kind`` ("create", "delete", "reboot", ...), ``server_id`` (lower-case, when known),
    ``name`` (a label for a UI), ``last_status``, ``error`` (text when failed).
    """

    def __init__(
        self,
        session,
        id: str | None,
        *,
        kind: str = "job",
        server_id: str | None = None,
        name: str | None = None,
        self_href: str | None = None,
        watch: dict | None = None,
    ):
        self._session = session
        self.id = id
        self.kind = kind
        self._server_id = server_id.lower() if server_id else None
        self._lookup_failed = False
        self.name = name or (f"{kind} {server_id}" if server_id else f"{kind} {id}")
        self.self_href = self_href
        # a call whose answer was lost has no status id: its progress is read from the server
        # (`watch` holds the details expected at the end of an update; {} for create / delete)
        self._watch = watch
        self.watch_limit = WATCH_LIMIT
        self.last_status: str | None = None
        self.error: str | None = None
        self._started = time.monotonic()
        self._finished: float | None = None
        self._server = None

    def __repr__(self) -> str:
        return f"<Job {self.id or '(no status id)'} {self.kind} {self.name!r} status={self.last_status or 'unread'}>"

    def _repr_html_(self) -> str:
        from .display import job_html

        return job_html(self)

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

    def status(self) -> str:
        """Read the status once (re-reading on a transient 5xx or lost answer); returns it.

        Raises ServerError / TransportError when every read failed, MalformedResponseError when
        the answer has no ``status``.
        """
        if self.done:
            return self.last_status
        status = self._read_server_state() if self._watch is not None else self._read_status()
        self._set(status)
        return status

    def _read_status(self) -> str:
        s = self._session
        path = f"/v2/operations/{s.alias}/status/{self.id}"
        last_error: Exception | None = None
        for attempt in range(STATUS_READ_ATTEMPTS):
            try:
                reply = s.transport.request("GET", path, what=f"read status of job {self.id}")
            except (ServerError, TransportError) as exc:
                if isinstance(exc, MalformedResponseError):
                    raise
                last_error = exc
                time.sleep(min(s.settings.backoff * (2**attempt), s.settings.backoff_max))
                continue
            data = reply.data
            if not isinstance(data, dict) or not isinstance(data.get("status"), str):
                # redacted like every other error text: the body is whatever the endpoint sent
                message = s.transport.redactor.text(
                    f"read status of job {self.id}: GET {path} answered {reply.status} without a status: {data!r}"
                )
                raise MalformedResponseError(message[:400], method="GET", path=path)
            return data["status"]
        raise last_error  # type: ignore[misc]

    def _read_server_state(self) -> str:
        """The status of a job without id, judged from its server (see Session reconciliation)."""
        try:
            server = self._session.server(self._server_id)
        except NotFoundError:
            # a failed build removes the half-made server; a delete ends with it gone
            return "succeeded" if self.kind == "delete" else "failed"
        self._server = server
        status = str(server.get("status", "")).lower()
        if self.kind == "create":
            return "succeeded" if status == "active" else "executing"
        if self.kind == "delete":
            return "executing" if status == "queuedfordelete" else "failed"
        details = server.get("details") or {}
        if all(details.get(k) == v for k, v in self._watch.items()):
            return "succeeded"
        if self.elapsed > self.watch_limit:
            want = ", ".join(f"{k}={v}" for k, v in self._watch.items())
            shows = ", ".join(f"{k}={details.get(k)}" for k in self._watch)
            self.error = (
                f"{self.name}: the answer to the change was lost and within "
                f"{self.watch_limit:g} s the server did not show {want} (it shows "
                f"{shows}); the change is not confirmed: it may not have been "
                f"processed, its job may have failed or still be running. Calling "
                f"update_server again with the same values is safe"
            )
            return "failed"
        return "executing"

    def _set(self, status: str) -> None:
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
        first (the job keeps running on the platform).
        """
        JobSet([self]).wait(timeout=timeout, poll=poll, progress=progress)
        return self

    def server(self):
        """The server this job is about (for a create: the new one, via its uuid ``self`` link).

        Right after a create the uuid lookup may answer 404 for a while: it is retried with
        back-off. Raises NotFoundError if the server does not appear (a failed build removes it).
        """
        s = self._session
        if self._server is not None and self.done:
            return self._server
        if self.failed and self.kind == "create":
            raise NotFoundError(f"{self.error}: no server was built", status=None)
        if self.self_href:
            delay = s.settings.poll
            for attempt in range(SERVER_LOOKUP_ATTEMPTS):
                try:
                    data = s.transport.request(
                        "GET", self.self_href, what=f"get the server built by job {self.id}"
                    ).data
                    break
                except NotFoundError:
                    if attempt == SERVER_LOOKUP_ATTEMPTS - 1:
                        raise
                    time.sleep(delay)
                    delay = min(delay * 2, 2.0)
            server = s._server_record(data)
        elif self._server_id:
            server = s.server(self._server_id)
        else:
            raise NotFoundError(f"job {self.id} ({self.name}) does not name a server", status=None)
        if server.get("id"):
            self._server_id = str(server["id"]).lower()
        self._server = server
        return server


class JobSet(Sequence):
    """Several jobs waited on together; ``not_queued`` lists the servers the API refused.

    Decision: when an operation is refused for every server, ``Session.power`` raises
    OperationError at once; when only some are refused they are recorded here, and ``wait()``
    raises OperationError after the queued jobs ended (``raise_on_failure=True``), so a refusal
    is never silent.
    """

    def __init__(self, jobs: Iterable[Job] = (), not_queued: list[dict] | None = None, operation: str | None = None):
        self.jobs = list(jobs)
        self.not_queued = list(not_queued or [])
        self.operation = operation
        self.rounds = 0  # polling rounds of the last wait()
        self.last_interval: float | None = None  # its last sleep between rounds (s)

    def __getitem__(self, index):
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
        return all(j.done for j in self.jobs)

    @property
    def succeeded(self) -> bool:
        return all(j.succeeded for j in self.jobs) and not self.not_queued

    @property
    def failed(self) -> list[Job]:
        return [j for j in self.jobs if j.failed]

    def summary(self):
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
        """Poll every unfinished job until all ended; returns self.

        Raises JobTimeoutError (listing the unfinished jobs) when `timeout` seconds pass;
        with `raise_on_failure`, JobFailedError if any job failed, then OperationError if the
        API refused some servers.
        """
        if timeout is not None and timeout < 0:
            raise ValueError(f"timeout must be >= 0 seconds, got {timeout!r}")
        if poll is not None and poll <= 0:
            raise ValueError(f"poll must be > 0 seconds, got {poll!r}")
        if progress is True:
            progress = TextProgress(len(self.jobs))
        settings = self.jobs[0]._session.settings if self.jobs else None
        interval = poll if poll is not None else (settings.poll if settings else 0.5)
        deadline = None if timeout is None else time.monotonic() + timeout
        base = interval
        self.rounds, self.last_interval = 0, None
        pending = [j for j in self.jobs if not j.done]
        while pending:
            self.rounds += 1
            ended = False
            for job in list(pending):
                status = job.status()
                if progress:
                    progress(job, status, job.elapsed)
                if job.done:
                    pending.remove(job)
                    ended = True
            if not pending:
                break
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                names = ", ".join(f"{j.id} ({j.name}: {j.last_status})" for j in pending)
                raise JobTimeoutError(f"{len(pending)} job(s) still running after {timeout:g} s: {names}", jobs=pending)
            self.last_interval = interval
            time.sleep(interval if deadline is None else max(0.0, min(interval, deadline - now)))
            if poll is None and settings is not None:
                # jobs queued together tend to end together: once one ended, poll closely again
                interval = base if ended else min(interval * settings.poll_backoff, settings.poll_max)
        if isinstance(progress, TextProgress):
            progress.finish(self)
        if raise_on_failure:
            self.raise_for_failure()
        return self

    def raise_for_failure(self) -> None:
        """Raise JobFailedError for failed jobs, then OperationError for refused servers."""
        failed = self.failed
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

    def __init__(self, total: int, stream=None, width: int = 20):
        self.total = max(total, 1)
        self.stream = stream
        self.width = width
        self.states: dict[int, str] = {}

    def __call__(self, job: Job, status: str, elapsed: float) -> None:
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
        bad = len(jobs.failed)
        print(f"done: {ok} succeeded, {bad} failed", file=self.stream or sys.stdout, flush=True)
