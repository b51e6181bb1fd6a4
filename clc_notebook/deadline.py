"""Deadline: one point in time that bounds a whole wait, passed down to every HTTP attempt.

A wait (``Job.wait``, ``JobSet.wait``, a widget's polling thread) makes one Deadline from its
``timeout`` and hands it to each status read; the transport cuts each attempt's (connect, read)
timeout to the time left and starts no retry past it (httpx's one timeout object, passed down).
``Deadline(None)`` never expires: a call without a deadline behaves as it always did.
"""

from __future__ import annotations

import time

# An attempt with less time than this left is not started: it could not even open a connection.
MIN_ATTEMPT = 0.005


class Deadline:
    """``timeout`` seconds from now (None: never). Attributes: ``timeout``, ``at`` (monotonic)."""

    def __init__(self, timeout: float | None):
        if timeout is not None and (isinstance(timeout, bool) or not timeout >= 0):
            raise ValueError(f"timeout must be a number of seconds >= 0 (or None), got {timeout!r}")
        self.timeout = timeout
        self.at = None if timeout is None else time.monotonic() + timeout

    def __repr__(self) -> str:
        if self.at is None:
            return "<Deadline none>"
        return f"<Deadline {self.timeout:g} s, {self.remaining():.3f} s left>"

    def remaining(self) -> float | None:
        """Seconds left (never below 0), or None when there is no deadline."""
        return None if self.at is None else max(0.0, self.at - time.monotonic())

    def expired(self) -> bool:
        """True once too little time is left to start anything (see MIN_ATTEMPT)."""
        left = self.remaining()
        return left is not None and left < MIN_ATTEMPT

    def limit(self, timeout: tuple[float, float]) -> tuple[float, float]:
        """A (connect, read) timeout pair cut to the time left."""
        left = self.remaining()
        if left is None:
            return timeout
        return (min(timeout[0], left), min(timeout[1], left))

    def cap(self, seconds: float) -> float:
        """`seconds`, or the time left when that is shorter (for a sleep)."""
        left = self.remaining()
        return seconds if left is None else min(seconds, left)

    def sleep(self, seconds: float) -> None:
        """Sleep `seconds`, but never past the deadline."""
        seconds = self.cap(seconds)
        if seconds > 0:
            time.sleep(seconds)


NO_DEADLINE = Deadline(None)
