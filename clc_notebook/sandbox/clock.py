"""The job clock: a job's status is computed when it is read, never advanced by a thread.

Two modes (moto's state-manager idea):

* ``time``: a job spends the first 10 % of its duration ``notStarted``, then ``executing``, then ends
  with its outcome. Durations (at speed 1) depend on the kind of job; ``speed`` divides them.
* ``polls``: every read of the job's status counts; after ``polls_per_step`` reads the job moves one
  step: ``notStarted`` -> ``executing`` -> outcome. The first read answers ``notStarted``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

MODES = ("time", "polls")

# Seconds at speed 1 (the contract in docs/DESIGN.md); a job kind names its class when its effect is
# registered (`@effect(..., duration="power")`).
DURATIONS = {
    "create": 5.0,
    "delete": 2.0,
    "power": 2.0,
    "other": 2.0,
}

NOT_STARTED, EXECUTING = "notStarted", "executing"
FINAL = ("succeeded", "failed")


# the years a start time may fall in (catches a mistyped year, such as 0204, early)
EARLIEST_START, LATEST_START = datetime(2000, 1, 1, tzinfo=timezone.utc), datetime(2100, 1, 1, tzinfo=timezone.utc)


def start_moment(value: str | datetime) -> float:
    """Epoch seconds of a clock start (an ISO date-time string or a datetime; UTC unless it says
    otherwise). Raises ValueError naming `clock_start` and the rule."""
    rule = "clock_start: must be an ISO date-time between 2000 and 2099, such as 2024-06-03T08:00:00Z"
    moment = value
    if isinstance(value, str):
        try:  # Python 3.10's fromisoformat does not read a trailing "Z"
            moment = datetime.fromisoformat(value.strip().removesuffix("Z").removesuffix("z"))
        except ValueError:
            raise ValueError(f"{rule}; got {value!r}") from None
    if not isinstance(moment, datetime):
        raise ValueError(f"{rule}; got {value!r}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    if not EARLIEST_START <= moment < LATEST_START:
        raise ValueError(f"{rule}; got {value!r}")
    return moment.timestamp()


def advance_seconds(value: Any) -> float:
    """The seconds of a clock advance (a number from 0 to 10**9); raises ValueError naming `advance`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 10**9:
        raise ValueError("advance: must be a number of seconds >= 0")
    return float(value)


@dataclass
class ClockSettings:
    mode: str = "time"
    speed: float = 1.0
    polls_per_step: int = 1

    def as_dict(self) -> dict:
        return {"mode": self.mode, "speed": self.speed, "polls_per_step": self.polls_per_step}


class JobClock:
    """Decides a job's status from its creation time or its read count; settings change at runtime."""

    def __init__(
        self, mode: str = "time", speed: float = 1.0, polls_per_step: int = 1, now: Callable[[], float] = time.time
    ) -> None:
        self._lock = threading.Lock()
        self._now = now
        self._offset = 0.0
        self.settings = ClockSettings()
        self.configure(mode=mode, speed=speed, polls_per_step=polls_per_step)

    def configure(self, mode: str | None = None, speed: Any = None, polls_per_step: Any = None) -> ClockSettings:
        """Change the settings; raises ValueError naming the bad field. Returns the new settings."""
        new = ClockSettings(**self.settings.as_dict())
        if mode is not None:
            if mode not in MODES:
                raise ValueError(f"mode: must be one of {', '.join(MODES)}")
            new.mode = mode
        if speed is not None:
            try:
                speed = float(speed)
            except (TypeError, ValueError):
                raise ValueError("speed: must be a positive number") from None
            if not speed > 0 or speed == float("inf"):
                raise ValueError("speed: must be a positive number")
            new.speed = speed
        if polls_per_step is not None:
            if isinstance(polls_per_step, bool) or not isinstance(polls_per_step, (int, str)):
                raise ValueError("polls_per_step: must be an integer >= 1")
            try:
                polls_per_step = int(polls_per_step)
            except ValueError:
                raise ValueError("polls_per_step: must be an integer >= 1") from None
            if polls_per_step < 1:
                raise ValueError("polls_per_step: must be an integer >= 1")
            new.polls_per_step = polls_per_step
        with self._lock:
            self.settings = new
        return new

    def advance(self, seconds: float) -> float:
        """Move the sandbox's notion of "now" forward (time mode), for demos and tests.

        Returns the total offset, which the caller persists (``Backend.advance_clock``)."""
        with self._lock:
            self._offset += float(seconds)
            return self._offset

    def set_now(self, moment: float) -> float:
        """Set the offset so that now() reads `moment` (epoch seconds) from here on, time still running.

        Returns the total offset (``Backend`` persists it, as for advance())."""
        with self._lock:
            self._offset = float(moment) - self._now()
            return self._offset

    @property
    def offset(self) -> float:
        """Seconds added to the real time by set_now() and advance() so far."""
        return self._offset

    def restore(self, offset: float) -> None:
        """Set the total offset, as read back from the store after a restart."""
        with self._lock:
            self._offset = float(offset)

    def now(self) -> float:
        """Current time in epoch seconds, including any advance()."""
        return self._now() + self._offset

    def is_due(self, created: float, duration: float, now: float | None = None) -> bool:
        """True when a job created at `created` has reached its end in time mode."""
        now = self.now() if now is None else now
        return (now - created) * self.settings.speed >= duration

    def status(self, created: float, duration: float, polls: int, outcome: str, now: float | None = None) -> str:
        """Return the status of a job; `polls` counts the status reads including the current one."""
        s = self.settings
        if s.mode == "polls":
            step = max(polls - 1, 0) // s.polls_per_step
        else:
            now = self.now() if now is None else now
            elapsed = (now - created) * s.speed
            step = 0 if elapsed < 0.1 * duration else (1 if elapsed < duration else 2)
        return (NOT_STARTED, EXECUTING, outcome)[min(step, 2)]
