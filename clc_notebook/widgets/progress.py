"""JobProgress (one job as a row) and JobBoard (rows for many jobs plus a "k of n done" summary).

CLC status reads carry no percentage, so the bar moves by stage and never pretends to know more:
submitted (0) -> queued / notStarted (1) -> executing (2) -> succeeded (3, full). Colour by state:
'info' while running, 'success', 'danger' when failed, 'warning' when the status could not be read.
"""

from __future__ import annotations

import html
import threading
import time

import ipywidgets as widgets

from .watch import JobWatch

STAGE_COUNT = 3
STAGES = {"submitted": 0, "notStarted": 1, "executing": 2, "resumed": 2, "succeeded": 3}
# What the row says for each API status (the API's own word where it is clear enough).
STATUS_TEXT = {
    "submitted": "submitted",
    "notStarted": "queued",
    "executing": "executing",
    "resumed": "executing (resumed)",
    "succeeded": "succeeded",
    "unknown": "status unknown",
}


def job_label(job) -> str:
    """A short label for a job: its `name`, else kind + server, else its id."""
    name = getattr(job, "name", None)
    if name:
        return str(name)
    parts = [str(p) for p in (getattr(job, "kind", None), getattr(job, "server_id", None)) if p]
    return " ".join(parts) or str(getattr(job, "id", "job"))


def format_elapsed(seconds: float) -> str:
    """'4.2 s', '1 min 05 s', '1 h 02 min'."""
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


class JobProgress(widgets.HBox):
    """One job as a row: label, stage bar, status text, elapsed time.

    `JobProgress(job)` polls the job itself in a background thread (see `.watch`, `.wait`); a JobBoard
    creates its rows with `start=False` and polls them all in one thread. Either way the thread runs
    the client's one polling loop (`clc_notebook.jobs.wait_for`); the row only shows what it reads.
    Attributes: `job`, `name_text`, `bar` (IntProgress), `status_text`, `elapsed_text` (Labels),
    `status` (last API status, "submitted" before the first read), `state` ("running", "succeeded",
    "failed", "unknown"), `reason` (why it failed, or None), `result` (the server a build made, once known).
    """

    def __init__(self, job, *, label=None, start=True, poll=None, timeout=None):
        self.job = job
        self.label = label or job_label(job)
        self.status = "submitted"
        self.state = "running"
        self.reason = None
        self.result = None
        self._lock = threading.Lock()
        self._started_at = time.monotonic()
        self._ended_at = None
        self.name_text = widgets.Label(self.label, layout=widgets.Layout(width="22em"))
        self.name_text.add_class("clc-job-name")
        self.bar = widgets.IntProgress(
            value=0, min=0, max=STAGE_COUNT, bar_style="info", layout=widgets.Layout(width="14em")
        )
        self.bar.add_class("clc-job-bar")
        self.status_text = widgets.Label(STATUS_TEXT["submitted"], layout=widgets.Layout(width="auto"))
        self.status_text.add_class("clc-job-status")
        self.elapsed_text = widgets.Label(format_elapsed(0.0), layout=widgets.Layout(width="6em"))
        self.elapsed_text.add_class("clc-job-elapsed")
        super().__init__([self.name_text, self.bar, self.elapsed_text, self.status_text])
        self.add_class("clc-job-row")
        self.watch = JobWatch([self], poll=poll, timeout=timeout).start() if start else None

    @property
    def ended(self) -> bool:
        """True once the row shows a final state."""
        return self.state != "running"

    @property
    def elapsed(self) -> float:
        """Seconds since the job was submitted (frozen when it ended)."""
        end = self._ended_at if self._ended_at is not None else time.monotonic()
        return end - self._started_at

    def close(self) -> None:
        """Stop this row's own polling (if any) and close the widget."""
        watch = getattr(self, "watch", None)  # close() also runs from __del__ of a half-built row
        if watch is not None:
            watch.stop()
        super().close()

    def set_label(self, label: str) -> None:
        """Rename the row (e.g. "create web (2/3)")."""
        self.label = self.name_text.value = label

    def wait(self, timeout=None) -> JobWatch:
        """Block until this row's own watch ends (see JobWatch.wait); only for `start=True` rows."""
        if self.watch is None:
            raise RuntimeError("this row is polled by its JobBoard: wait on the board instead")
        return self.watch.wait(timeout)

    # --- updates (called from the polling thread; they only set widget values) --------------------
    def show(self, status: str) -> None:
        """Show a status read from the API."""
        with self._lock:
            if self.ended:
                return
            self.status = status
            if status == "succeeded":
                self.bar.value = STAGE_COUNT  # fill first, then colour: never a green partial bar
                self._end("succeeded", "success")
                self.status_text.value = STATUS_TEXT["succeeded"]
            elif status == "failed":
                self.reason = getattr(self.job, "error", None) or "the job ended with status 'failed'"
                self._end("failed", "danger")
                self.status_text.value = f"failed: {self.reason}"
            else:
                self.bar.value = max(self.bar.value, STAGES.get(status, self.bar.value))
                self.status_text.value = STATUS_TEXT.get(status, status)
            self.elapsed_text.value = format_elapsed(self.elapsed)

    def show_result(self, deadline=None) -> None:
        """After a build succeeded, name the server it made ("web → WA1ALIASWEB01"); one extra read,
        bounded by the watch's `deadline`."""
        if getattr(self.job, "kind", None) != "create" or not hasattr(self.job, "server"):
            return
        try:
            server = self.job.server(deadline=deadline)
            name = server.get("name") or server.get("id")
        except Exception:  # the build did succeed; the name is a nicety
            return
        if name:
            self.result = str(name).upper()
            self.name_text.value = f"{self.label} → {self.result}"

    def show_problem(self, message: str) -> None:
        """Stop showing the job as running: its status is not known any more."""
        with self._lock:
            if self.ended:
                return
            self.reason = message
            self._end("unknown", "warning")
            self.status_text.value = message

    def tick(self) -> None:
        """Refresh the elapsed time between polls."""
        with self._lock:
            if not self.ended:
                self.elapsed_text.value = format_elapsed(self.elapsed)

    def _end(self, state: str, bar_style: str) -> None:
        self.state = state
        self._ended_at = time.monotonic()
        self.elapsed_text.value = format_elapsed(self.elapsed)
        self.bar.bar_style = bar_style

    def __repr__(self) -> str:
        return f"JobProgress({self.label!r}: {self.status_text.value}, {format_elapsed(self.elapsed)})"


class JobBoard(widgets.VBox):
    """Rows for many jobs, polled together in one background thread, and a summary "k of n done".

    `JobBoard(jobs)` accepts one client Job or any iterable of them (a JobSet too: its `not_queued`
    refusals are listed under the rows).
    Attributes: `rows`, `summary` (Label), `refusals` (HTML), `watch` (JobWatch).
    """

    def __init__(self, jobs=(), *, not_queued=None, title=None, poll=None, timeout=None, start=True):
        if not_queued is None:
            not_queued = getattr(jobs, "not_queued", None) or []
        if hasattr(jobs, "status") and not hasattr(jobs, "__iter__"):
            jobs = [jobs]  # one Job
        self.rows = [JobProgress(job, start=False) for job in jobs]
        self.summary = widgets.Label()
        self.summary.add_class("clc-job-summary")
        self.refusals = widgets.HTML()
        self.refusals.add_class("clc-job-refusals")
        self.watch = JobWatch(self.rows, board=self, not_queued=not_queued, poll=poll, timeout=timeout)
        header = [widgets.HTML(f"<b>{html.escape(title)}</b>")] if title else []
        super().__init__(header + self.rows + [self.summary, self.refusals])
        self.add_class("clc-job-board")
        self._show_refusals()
        self.refresh_summary()
        if start:
            self.watch.start()

    def start(self) -> JobWatch:
        """Start polling (when built with `start=False`); return the JobWatch handle."""
        return self.watch.start()

    def wait(self, timeout=None) -> JobWatch:
        """Block until every job has ended; return the JobWatch (see JobWatch.wait)."""
        return self.watch.wait(timeout)

    def close(self) -> None:
        """Stop polling and close the board and its rows."""
        watch = getattr(self, "watch", None)  # close() also runs from __del__ of a half-built board
        if watch is not None:
            watch.stop()
        for row in getattr(self, "rows", ()):
            row.close()
        super().close()

    def counts(self) -> dict[str, int]:
        """How many rows are in each state (running, succeeded, failed, unknown)."""
        counts = {"running": 0, "succeeded": 0, "failed": 0, "unknown": 0}
        for row in self.rows:
            counts[row.state] += 1
        return counts

    def refresh_summary(self) -> None:
        """Recompute the summary line from the rows."""
        counts = self.counts()
        total = len(self.rows)
        text = f"{total - counts['running']} of {total} done"
        details = [f"{counts[k]} {k}" for k in ("succeeded", "failed", "unknown") if counts[k]]
        if self.watch.not_queued:
            details.append(f"{len(self.watch.not_queued)} not queued")
        if details:
            text += " (" + ", ".join(details) + ")"
        self.summary.value = text

    def _show_refusals(self) -> None:
        items = [
            f"<li><b>{html.escape(str(item.get('server', '?')))}</b>: "
            f"{html.escape(str(item.get('errorMessage') or 'not queued'))}</li>"
            for item in self.watch.not_queued
        ]
        self.refusals.value = f"<ul style='color:#b00;margin:0'>{''.join(items)}</ul>" if items else ""

    def __repr__(self) -> str:
        return f"JobBoard({self.summary.value})"
