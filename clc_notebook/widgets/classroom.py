"""ClassroomBoard: the instructor's live view of a class (a sandbox started with trainees).

A grid of trainees by the tutorial's steps, read from the sandbox's `GET /sandbox/classroom` every few
seconds by a background thread, with who is stuck and on what error. The thread only reads and sets
widget values; it never prints and never lets an exception escape (the error shows on the board).
"""

from __future__ import annotations

import html
import threading
import time
from typing import Any

import ipywidgets as widgets
import pandas as pd

from .fields import describe_error, require_session

CLASSROOM_PATH = "/sandbox/classroom"
STEP_LABELS = {
    "login": "Log in",
    "capabilities": "Capabilities",
    "datacenter": "Data center",
    "groups": "Groups",
    "create_server": "Create server",
    "build_status": "Build done",
    "server_by_uuid": "By uuid",
    "update_description": "Description",
    "reboot": "Reboot",
}
DONE, CURRENT, STUCK = "#c8e6c9", "#fff3c4", "#ffcdd2"  # cell colours
STYLE = """<style>
.clc-classroom-grid {border-collapse:collapse;font-size:13px;font-family:sans-serif;line-height:1.3}
.clc-classroom-grid th {background:#eceff1;padding:4px 6px;font-weight:600;text-align:center;max-width:6.5em}
.clc-classroom-grid td {border:1px solid #cfd8dc;padding:3px 6px;text-align:center;white-space:nowrap}
.clc-classroom-grid td.who, .clc-classroom-grid td.error {text-align:left}
.clc-classroom-grid td.error {white-space:normal;min-width:14em;max-width:24em;color:#b00020}
.clc-classroom-stuck {font-family:sans-serif;font-size:13px;line-height:1.3}
</style>"""
SHORT_ERROR = 90  # characters of the last error in the grid (the stuck list has it whole)
IDLE_SHOWN = 60  # seconds without a request after which the grid shows how long


class ClassroomBoard(widgets.VBox):
    """A live grid of a class's progress through the tutorial, for the instructor.

    `session` must be logged in as the class's instructor (another user gets a 403, shown on the board).
    The board reads the class now, then every `interval` seconds in a background thread (`start=False`:
    only when `refresh()` is called). Attributes: `data` (the last answer), `error` (the last read's
    error, or None), `table` (a DataFrame: one row per trainee, a boolean column per step and their
    status), `stuck` (usernames stuck on an error). `stop()` ends the background reads.
    """

    def __init__(self, session: Any, *, interval: float = 5.0, start: bool = True) -> None:
        if isinstance(interval, bool) or not isinstance(interval, (int, float)) or not interval > 0:
            raise ValueError(f"interval must be a number of seconds > 0, got {interval!r}")
        self.session = require_session(session, "ClassroomBoard")
        self.interval = float(interval)
        self.data: dict | None = None
        self.error: Exception | None = None
        self.summary = widgets.HTML()
        self.summary.add_class("clc-classroom-summary")
        self.grid = widgets.HTML()
        self.grid.add_class("clc-classroom-grid-box")
        self.stuck_list = widgets.HTML()
        self.stuck_list.add_class("clc-classroom-stuck")
        super().__init__([self.summary, self.grid, self.stuck_list])
        self.add_class("clc-classroom")
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.refresh()
        if start:
            self._thread = threading.Thread(target=self._loop, name="clc-classroom-board", daemon=True)
            self._thread.start()

    # --- reading ---------------------------------------------------------------------------------------

    def refresh(self) -> dict | None:
        """Read the class now and redraw; returns the answer, or None when the read failed (the error is
        shown on the board and kept in `error`; nothing is raised)."""
        with self._lock:
            try:
                data = self.session.request("GET", CLASSROOM_PATH)
                if not isinstance(data, dict) or not isinstance(data.get("trainees"), list):
                    raise ValueError("the sandbox's classroom answer has no trainees list")
            except Exception as exc:  # shown, never raised: the board runs in a thread and in dashboards
                self.error = exc
                self.summary.value = _line(f"Cannot read the class: {describe_error(exc)}", "#b00020")
                return None
            self.data, self.error = data, None
            self._draw(data)
            return data

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            self.refresh()

    def stop(self) -> None:
        """Stop the background reads (the board keeps what it shows)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(self.interval + 30)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # --- what a notebook (or a test) reads -----------------------------------------------------------

    @property
    def steps(self) -> list[str]:
        return list((self.data or {}).get("steps") or STEP_LABELS)

    @property
    def stuck(self) -> list[str]:
        return [t["username"] for t in (self.data or {}).get("trainees", []) if t.get("stuck")]

    @property
    def table(self) -> pd.DataFrame:
        """One row per trainee (index: username): alias, a boolean per step, done, current, stuck,
        servers, last_error (message) and idle_seconds."""
        rows = []
        for t in (self.data or {}).get("trainees", []):
            error = t.get("last_error") or {}
            rows.append(
                {
                    "username": t["username"],
                    "alias": t.get("alias"),
                    **{step: bool(t.get("steps", {}).get(step)) for step in self.steps},
                    "done": t.get("done", 0),
                    "current": t.get("current"),
                    "stuck": bool(t.get("stuck")),
                    "servers": t.get("servers", 0),
                    "last_error": error.get("message"),
                    "idle_seconds": t.get("idle_seconds"),
                }
            )
        columns = [
            "username",
            "alias",
            *self.steps,
            "done",
            "current",
            "stuck",
            "servers",
            "last_error",
            "idle_seconds",
        ]
        return pd.DataFrame(rows, columns=columns).set_index("username")

    # --- drawing -------------------------------------------------------------------------------------

    def _draw(self, data: dict) -> None:
        trainees, steps = data["trainees"], self.steps
        finished = sum(1 for t in trainees if t.get("finished"))
        stuck = [t for t in trainees if t.get("stuck")]
        behind = min((t.get("done", 0) for t in trainees), default=0)
        text = (
            f"{len(trainees)} trainees: {finished} finished, {len(stuck)} stuck; the slowest has done "
            f"{behind} of {len(steps)} steps. Updated {time.strftime('%H:%M:%S')}."
        )
        self.summary.value = _line(text, "#263238")
        head = "".join(f"<th>{i}. {html.escape(STEP_LABELS.get(s, s))}</th>" for i, s in enumerate(steps, 1))
        rows = [
            f"<tr><th>Trainee</th><th>Alias</th>{head}<th>Servers</th><th>Idle</th><th>Last error</th></tr>",
            *(_row(t, steps) for t in trainees),
        ]
        table = f"<table class='clc-classroom-grid'>{''.join(rows)}</table>"
        self.grid.value = f"{STYLE}<div style='overflow-x:auto'>{table}</div>"  # a wide class scrolls, never clips
        if stuck:
            items = "".join(
                f"<li><b>{html.escape(t['username'])}</b> at {html.escape(STEP_LABELS.get(t.get('current'), '-'))}: "
                f"{html.escape(_error_text(t.get('last_error')))}</li>"
                for t in stuck
            )
            self.stuck_list.value = (
                f"<div style='color:#b00020'><b>Stuck</b><ul style='margin:4px 0;line-height:1.4'>{items}</ul></div>"
            )
        else:
            self.stuck_list.value = "<div style='color:#1b5e20'>Nobody is stuck.</div>"

    def __repr__(self) -> str:
        count = len((self.data or {}).get("trainees", []))
        state = "running" if self.running else "stopped"
        return f"ClassroomBoard({count} trainees, {len(self.stuck)} stuck, {state})"


def _line(text: str, colour: str) -> str:
    return f"<div style='color:{colour};font-family:sans-serif;margin:4px 0'>{html.escape(text)}</div>"


def _error_text(error: dict | None) -> str:
    if not error:
        return ""
    return f"{error.get('status')} {error.get('request', '')}: {error.get('message', '')}".strip()


def _row(trainee: dict, steps: list[str]) -> str:
    done = trainee.get("steps", {})
    stuck = bool(trainee.get("stuck"))
    cells = []
    for step in steps:
        if done.get(step):
            when = (trainee.get("step_times") or {}).get(step) or ""
            cells.append(f"<td style='background:{DONE}' title='{html.escape(when)}'>&#10003;</td>")
        elif step == trainee.get("current"):
            colour, mark = (STUCK, "&#9888;") if stuck else (CURRENT, "&#8230;")
            cells.append(f"<td style='background:{colour}'>{mark}</td>")
        else:
            cells.append("<td></td>")
    error = _error_text(trainee.get("last_error")) if stuck else ""
    short = error if len(error) <= SHORT_ERROR else error[: SHORT_ERROR - 1] + "…"
    who = html.escape(trainee["username"])
    idle = trainee.get("idle_seconds")
    idle_text = f"{int(idle // 60)} min" if isinstance(idle, (int, float)) and idle >= IDLE_SHOWN else ""
    return (
        f"<tr class='{'stuck' if stuck else ''}'><td class='who'>{who}</td><td>{html.escape(trainee.get('alias', ''))}</td>"
        f"{''.join(cells)}<td>{int(trainee.get('servers', 0))}</td><td>{idle_text}</td>"
        f"<td class='error' title='{html.escape(error)}'>{html.escape(short)}</td></tr>"
    )
