"""JobWatch: the handle every launcher returns, and the background thread that polls its jobs.

The thread only reads job status and sets widget values. It never prints and never lets an exception
escape (a traceback from a thread would land in whatever cell happens to be running), so nothing it
does can leak into other cells.
"""

from __future__ import annotations

import threading
import time

# Consecutive failed status reads after which a row gives up (the client already retries each read).
MAX_READ_ERRORS = 5
# The back-off stops here: a person watching a bar should see a change within a couple of seconds.
MAX_POLL_INTERVAL = 2.0


class JobWatch:
    """A handle on launched jobs: `.wait(timeout)` blocks until all of them have ended.

    Attributes: `jobs` (client Job objects), `board` (the JobBoard showing them, or None),
    `errors` (dict field -> message for a launch refused before any job existed, e.g. validation),
    `not_queued` (list of {"server", "errorMessage"} the API refused per server).
    """

    def __init__(self, rows=(), *, board=None, errors=None, not_queued=(), poll=None, timeout=None):
        self.rows = list(rows)
        self.board = board
        self.errors = dict(errors or {})
        self.not_queued = list(not_queued)
        self.poll = 0.5 if poll is None else float(poll)
        if not self.poll > 0:
            raise ValueError(f"poll must be a number of seconds > 0, got {poll!r}")
        if timeout is not None and not timeout > 0:
            raise ValueError(f"timeout must be a number of seconds > 0 (or None), got {timeout!r}")
        self.timeout = timeout
        self._finished = threading.Event()
        self._stop = threading.Event()
        self._thread = None
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
    def failed(self) -> list:
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
        """Block until every job has ended; return self. Raises TimeoutError after `timeout` seconds.

        A failed job does not raise: it shows on the board, in `failed` and in `succeeded`.
        """
        if not self._finished.wait(timeout):
            pending = [row.label for row in self.rows if not row.ended]
            raise TimeoutError(f"jobs still running after {timeout} s: {', '.join(pending)}")
        return self

    def stop(self) -> None:
        """Stop polling (the jobs themselves go on on the server side)."""
        self._stop.set()

    def __repr__(self) -> str:
        if self.errors:
            return f"<JobWatch: not launched, {len(self.errors)} problem(s): {', '.join(self.errors)}>"
        counts = {}
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
        except BaseException as exc:  # never let a thread traceback reach a cell
            for row in self.rows:
                if not row.ended:
                    row.show_problem(f"stopped watching: {type(exc).__name__}: {exc}")
        finally:
            self._finished.set()
            if self.board is not None:
                self.board.refresh_summary()

    def _poll_until_done(self) -> None:
        started = time.monotonic()
        interval = self.poll
        next_poll = started
        read_errors = {id(row): 0 for row in self.rows}
        while not self._stop.is_set():
            pending = [row for row in self.rows if not row.ended]
            if not pending:
                return
            now = time.monotonic()
            if self.timeout is not None and now - started > self.timeout:
                for row in pending:
                    row.show_problem(f"still {row.status} after {self.timeout:g} s; stopped watching")
                return
            if now >= next_poll:
                for row in pending:
                    self._read_one(row, read_errors)
                # Back off gently so a long real build is not polled every half second for minutes.
                interval = min(interval * 1.25, max(self.poll, MAX_POLL_INTERVAL))
                next_poll = time.monotonic() + interval
            else:
                for row in pending:
                    row.tick()
            if self.board is not None:
                self.board.refresh_summary()
            # Wake at least once a second so the elapsed time keeps moving between polls.
            self._stop.wait(max(0.0, min(1.0, next_poll - time.monotonic())))

    @staticmethod
    def _read_one(row, read_errors) -> None:
        try:
            status = row.job.status()
        except Exception as exc:  # a read failed even after the client's own retries
            read_errors[id(row)] += 1
            if read_errors[id(row)] >= MAX_READ_ERRORS:
                row.show_problem(f"status unknown: {exc}")
            else:
                row.show_read_error(str(exc))
            return
        read_errors[id(row)] = 0
        row.show(status)
        if status == "succeeded":
            row.show_result()
