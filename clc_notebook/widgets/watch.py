"""JobWatch: the handle every launcher returns, and the background thread that polls its jobs.

The thread runs the client's one polling loop (``clc_notebook.jobs.wait_for``): same rounds, same
back-off rule, same deadline as ``JobSet.wait``; only what it does with each status read differs
(it sets widget values). It never prints and never lets an exception escape (a traceback from a
thread would land in whatever cell happens to be running), so nothing it does can leak into other
cells. A job whose status cannot be read (after the transport's retries) ends as "status unknown"
on its own row; the others go on.
"""

from __future__ import annotations

import threading
from typing import Any

from ..deadline import Deadline
from ..errors import JobTimeoutError
from ..jobs import PollReport, Schedule, wait_for

# The back-off stops here: a person watching a bar should see a change within a couple of seconds.
MAX_POLL_INTERVAL = 2.0
# The elapsed time on the rows moves this often between status reads.
TICK_SECONDS = 1.0


class JobWatch:
    """A handle on launched jobs: `.wait(timeout)` blocks until all of them have ended.

    Attributes: `jobs` (client Job objects), `board` (the JobBoard showing them, or None),
    `errors` (dict field -> message for a launch refused before any job existed, e.g. validation),
    `not_queued` (list of {"server", "errorMessage"} the API refused per server), `timeout` (s: the
    deadline of the polling thread, status reads included), `report` (the loop's PollReport).
    """

    def __init__(self, rows=(), *, board=None, errors=None, not_queued=(), poll=None, timeout=None):
        self.rows = list(rows)
        self.board = board
        self.errors = dict(errors or {})
        self.not_queued = list(not_queued)
        if poll is not None and (isinstance(poll, bool) or not isinstance(poll, (int, float)) or not poll > 0):
            raise ValueError(f"poll must be a number of seconds > 0, got {poll!r}")
        self.poll = None if poll is None else float(poll)
        if timeout is not None and (
            isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not timeout > 0
        ):
            raise ValueError(f"timeout must be a number of seconds > 0 (or None), got {timeout!r}")
        self.timeout = timeout
        self.report = PollReport()
        self._finished = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if not self.rows:
            self._finished.set()

    # --- what callers read -------------------------------------------------------------------------
    @property
    def jobs(self) -> list:
        """The client Job objects being watched, in launch order."""
        return [row.job for row in self.rows]

    @property
    def done(self) -> bool:
        """True once every job has ended (or the watch was stopped or gave up)."""
        return self._finished.is_set()

    @property
    def statuses(self) -> list[str]:
        """The last status seen for each job ("submitted" before the first read)."""
        return [row.status for row in self.rows]

    @property
    def failed(self) -> bool:
        """True when any job ended `failed` or its status could not be read (see `failed_jobs`)."""
        return bool(self.failed_jobs)

    @property
    def failed_jobs(self) -> list:
        """Jobs that ended `failed` (or whose status could not be read)."""
        return [row.job for row in self.rows if row.state in ("failed", "unknown")]

    @property
    def succeeded(self) -> bool:
        """True when at least one job ran, every job succeeded, and nothing was refused."""
        return (
            bool(self.rows)
            and all(row.status == "succeeded" for row in self.rows)
            and not self.errors
            and not self.not_queued
        )

    def wait(self, timeout: float | None = None) -> JobWatch:
        """Block until the polling thread has ended; return self.

        Raises JobTimeoutError (also a TimeoutError; ``jobs`` lists the unfinished ones) after
        `timeout` seconds; polling goes on and the watch can be waited on again. A failed job does
        not raise: it shows on the board, in `failed_jobs` and in `succeeded`.
        """
        if not self._finished.wait(timeout):
            pending = [row for row in self.rows if not row.ended]
            labels = ", ".join(f"{row.label} ({row.status})" for row in pending)
            raise JobTimeoutError(
                f"{len(pending)} job(s) still running after {timeout:g} s: {labels}", jobs=[row.job for row in pending]
            )
        return self

    def stop(self) -> None:
        """Stop polling (the jobs themselves go on on the server side)."""
        self._stop.set()

    def __repr__(self) -> str:
        if self.errors:
            return f"<JobWatch: not launched, {len(self.errors)} problem(s): {', '.join(self.errors)}>"
        counts: dict[str, int] = {}
        for status in self.statuses:
            counts[status] = counts.get(status, 0) + 1
        text = ", ".join(f"{n} {status}" for status, n in counts.items()) or "no jobs"
        refused = f", {len(self.not_queued)} not queued" if self.not_queued else ""
        return f"<JobWatch {len(self.rows)} job(s): {text}{refused}>"

    # --- the polling thread ------------------------------------------------------------------------
    def start(self) -> JobWatch:
        """Start polling in a daemon thread (once); return self."""
        if self.rows and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="clc-job-watch", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        try:
            self._poll_until_done()
        except JobTimeoutError:
            for row in self.rows:
                if not row.ended:
                    row.show_problem(f"still {row.status} after {self.timeout:g} s; stopped watching")
        except BaseException as exc:  # never let a thread traceback reach a cell
            for row in self.rows:
                if not row.ended:
                    row.show_problem(f"stopped watching: {type(exc).__name__}: {exc}")
        finally:
            self._finished.set()
            self._refresh()

    def _poll_until_done(self) -> None:
        rows_of: dict[int, list] = {}
        for row in self.rows:
            rows_of.setdefault(id(row.job), []).append(row)

        deadline = Deadline(self.timeout)  # one deadline: the status reads and the build's server name

        def show(job: Any, status: str, elapsed: float) -> None:
            for row in rows_of[id(job)]:
                row.show(status)
                if status == "succeeded":
                    row.show_result(deadline)
            self._refresh()

        def unreadable(job: Any, exc: Exception) -> None:  # the transport already retried it
            for row in rows_of[id(job)]:
                row.show_problem(f"status unknown: {exc}")
            self._refresh()

        jobs = list({id(row.job): row.job for row in self.rows if not row.ended}.values())
        for job in jobs:
            if getattr(job, "done", False):  # ended before the watch began: nothing to read, just show it
                show(job, job.last_status, job.elapsed)
        session = getattr(jobs[0], "session", None) if jobs else None
        wait_for(
            jobs,
            schedule=Schedule.of(getattr(session, "settings", None), self.poll, ceiling=MAX_POLL_INTERVAL),
            timeout=deadline,
            progress=show,
            on_error=unreadable,
            stop=self._stop,
            tick=self._tick,
            tick_every=TICK_SECONDS,
            report=self.report,
        )

    def _tick(self) -> None:
        for row in self.rows:
            row.tick()
        self._refresh()

    def _refresh(self) -> None:
        if self.board is not None:
            self.board.refresh_summary()
