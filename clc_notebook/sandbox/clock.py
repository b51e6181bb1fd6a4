"""The job clock: a job's status is computed when it is read, never advanced by a thread.

Two modes (moto's state-manager idea):

* ``time``: a job spends the first 10 % of its duration ``notStarted``, then ``executing``, then ends
  with its outcome. Durations (at speed 1) depend on the kind of job; ``speed`` divides them.
* ``polls``: every read of the job's status counts; after ``polls_per_step`` reads the job moves one
  step: ``notStarted`` -> ``executing`` -> outcome. The first read answers ``notStarted``.

Production's jobs sometimes went ``executing`` -> ``resumed`` -> ``executing`` before their end
(clc-api-v2.md §6.2). A share of the jobs, ``resumed_rate``, does the same here: drawn per job from
the seed and the job's id (reproducible), such a job reads ``resumed`` between two ``executing``
phases (time mode: from 40 % to 70 % of its duration; polls mode: two more steps). The default rate
is ``DEFAULT_RESUMED_RATE`` in time mode and 0 in polls mode (tests that want it ask for it).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from .faults import share

MODES = ("time", "polls")

# Seconds at speed 1 (the contract in docs/DESIGN.md); a job kind names its class when its effect is
# registered (`@effect(..., duration="power")`).
DURATIONS = {
    "create": 5.0,
    "delete": 2.0,
    "power": 2.0,
    "other": 2.0,
}

NOT_STARTED, EXECUTING, RESUMED = "notStarted", "executing", "resumed"
FINAL = ("succeeded", "failed")
DEFAULT_RESUMED_RATE = 0.1  # time mode: one job in ten goes through `resumed` (modest: it costs polls)
DEFAULT = "default"  # configure(resumed_rate=DEFAULT): back to the mode's default rate

# A job's steps, with the share of its duration each one starts at (time mode).
PLAIN_STEPS = ((NOT_STARTED, 0.0), (EXECUTING, 0.1))
RESUMED_STEPS = ((NOT_STARTED, 0.0), (EXECUTING, 0.1), (RESUMED, 0.4), (EXECUTING, 0.7))


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
    resumed_rate: float | None = None  # None: the mode's default (DEFAULT_RESUMED_RATE in time, 0 in polls)

    def as_dict(self) -> dict:
        return {
            "mode": self.mode,
            "speed": self.speed,
            "polls_per_step": self.polls_per_step,
            "resumed_rate": self.resumed_rate,
        }

    @property
    def effective_resumed_rate(self) -> float:
        """The share of jobs that go through `resumed` under these settings."""
        if self.resumed_rate is not None:
            return self.resumed_rate
        return DEFAULT_RESUMED_RATE if self.mode == "time" else 0.0


class JobClock:
    """Decides a job's status from its creation time or its read count; settings change at runtime."""

    def __init__(
        self,
        mode: str = "time",
        speed: float = 1.0,
        polls_per_step: int = 1,
        now: Callable[[], float] = time.time,
        *,
        resumed_rate: float | None = None,
        seed: int = 0,
    ) -> None:
        self._lock = threading.Lock()
        self._now = now
        self._offset = 0.0
        self.seed = seed  # with a job's id, decides whether the job goes through `resumed`
        self.settings = ClockSettings()
        self.configure(mode=mode, speed=speed, polls_per_step=polls_per_step, resumed_rate=resumed_rate)

    def configure(
        self, mode: str | None = None, speed: Any = None, polls_per_step: Any = None, resumed_rate: Any = None
    ) -> ClockSettings:
        """Change the settings (None leaves one as it is; `resumed_rate=DEFAULT` goes back to the mode's
        default rate); raises ValueError naming the bad field. Returns the new settings."""
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
        if resumed_rate == DEFAULT:
            new.resumed_rate = None
        elif resumed_rate is not None:
            new.resumed_rate = share(resumed_rate, "resumed_rate")
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

    def resumes(self, job_id: str) -> bool:
        """Whether the job `job_id` goes through `resumed` under the current rate (seeded, per job)."""
        rate = self.settings.effective_resumed_rate
        return rate > 0 and random.Random(f"resumed:{self.seed}:{job_id}").random() < rate

    def status(
        self, created: float, duration: float, polls: int, outcome: str, now: float | None = None, job_id: str = ""
    ) -> str:
        """Return the status of a job; `polls` counts the status reads including the current one."""
        s = self.settings
        steps = RESUMED_STEPS if job_id and self.resumes(job_id) else PLAIN_STEPS
        if s.mode == "polls":
            step = max(polls - 1, 0) // s.polls_per_step
            return steps[step][0] if step < len(steps) else outcome
        now = self.now() if now is None else now
        done = (now - created) * s.speed / duration if duration > 0 else 1.0
        if done >= 1.0:
            return outcome
        return [name for name, start in steps if done >= start][-1]
