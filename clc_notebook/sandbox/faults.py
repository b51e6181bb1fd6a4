"""Fault injection: error answers, latency, dropped connections and failing jobs, from a seeded RNG.

The config (docs/DESIGN.md, "Fault config") is validated here and applied by `FaultMiddleware`
(HTTP-level faults) and by the backend (`job_fails()`). Rules only ever touch `/v2` paths.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

RETRY_AFTER_STATUSES = (429, 503)
FAULT_MESSAGES = {
    429: "Too many requests (injected fault).",
    500: "An error has occurred (injected fault).",
    502: "Bad gateway (injected fault).",
    503: "The service is unavailable (injected fault).",
    504: "Gateway timeout (injected fault).",
}
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}


class FaultConfigError(ValueError):
    """A fault config that cannot be applied; the message names the field."""


@dataclass
class Rule:
    rate: float
    status: int | None = None
    methods: frozenset | None = None
    path: re.Pattern | None = None
    after: bool = False
    raw: dict = field(default_factory=dict)

    def matches(self, method: str, path: str) -> bool:
        if not path.startswith("/v2"):
            return False
        if self.methods is not None and method.upper() not in self.methods:
            return False
        return self.path is None or bool(self.path.search(path))


def share(value: Any, where: str) -> float:
    """A number between 0 and 1 (a rate); raises FaultConfigError (a ValueError) naming `where`."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise FaultConfigError(f"{where}: must be a number between 0 and 1")
    try:
        rate = float(value)
    except ValueError:
        raise FaultConfigError(f"{where}: must be a number between 0 and 1") from None
    if not 0.0 <= rate <= 1.0:
        raise FaultConfigError(f"{where}: must be a number between 0 and 1")
    return rate


def _non_negative(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise FaultConfigError(f"{where}: must be a number >= 0")
    try:
        number = float(value)
    except ValueError:
        raise FaultConfigError(f"{where}: must be a number >= 0") from None
    if not 0 <= number < 600_000:
        raise FaultConfigError(f"{where}: must be a number >= 0 (milliseconds, below 600000)")
    return number


def _rule(item: Any, where: str, with_status: bool) -> Rule:
    if not isinstance(item, dict):
        raise FaultConfigError(f"{where}: must be an object")
    unknown = set(item) - {"rate", "status", "methods", "path", "after"}
    if unknown:
        raise FaultConfigError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    rule = Rule(rate=share(item.get("rate", 0), f"{where}.rate"), raw=dict(item))
    if with_status:
        status = item.get("status", 503)
        if isinstance(status, bool) or not isinstance(status, int) or not 400 <= status <= 599:
            raise FaultConfigError(f"{where}.status: must be an HTTP error status (400-599)")
        rule.status = status
    methods = item.get("methods")
    if methods is not None:
        if not isinstance(methods, list) or not all(isinstance(m, str) and m.upper() in METHODS for m in methods):
            raise FaultConfigError(f"{where}.methods: must be a list of HTTP methods")
        rule.methods = frozenset(m.upper() for m in methods)
    path = item.get("path")
    if path is not None:
        try:
            rule.path = re.compile(str(path))
        except re.error as exc:
            raise FaultConfigError(f"{where}.path: not a valid regular expression ({exc})") from None
    rule.after = bool(item.get("after", False))
    return rule


class Faults:
    """The current fault config plus its seeded RNGs (one for HTTP faults, one for job outcomes)."""

    KEYS = {"seed", "errors", "drops", "latency_ms", "spikes", "job_failure_rate"}

    def __init__(self, config: dict | None = None, seed: int = 0):
        self._lock = threading.Lock()
        self._default_seed = seed
        self.configure(config or {})

    def configure(self, config: dict) -> dict:
        """Replace the whole config (``{}`` clears every fault). Raises FaultConfigError. Returns it."""
        if not isinstance(config, dict):
            raise FaultConfigError("the fault config must be a JSON object")
        unknown = set(config) - self.KEYS
        if unknown:
            raise FaultConfigError(f"unknown field(s): {', '.join(sorted(unknown))}")
        seed = config.get("seed", self._default_seed)
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise FaultConfigError("seed: must be an integer")
        errors = config.get("errors", [])
        drops = config.get("drops", [])
        if not isinstance(errors, list):
            raise FaultConfigError("errors: must be a list of rules")
        if not isinstance(drops, list):
            raise FaultConfigError("drops: must be a list of rules")
        error_rules = [_rule(r, f"errors[{i}]", True) for i, r in enumerate(errors)]
        drop_rules = [_rule(r, f"drops[{i}]", False) for i, r in enumerate(drops)]
        latency = _non_negative(config.get("latency_ms", 0), "latency_ms")
        spikes = config.get("spikes")
        spike_rate, spike_ms = 0.0, 0.0
        if spikes is not None:
            if not isinstance(spikes, dict):
                raise FaultConfigError("spikes: must be an object {rate, ms}")
            spike_rate = share(spikes.get("rate", 0), "spikes.rate")
            spike_ms = _non_negative(spikes.get("ms", 0), "spikes.ms")
        job_rate = share(config.get("job_failure_rate", 0), "job_failure_rate")
        normalized = json.loads(json.dumps(config))
        with self._lock:
            self.config = normalized
            self.errors, self.drops = error_rules, drop_rules
            self.latency_ms, self.spike_rate, self.spike_ms = latency, spike_rate, spike_ms
            self.job_failure_rate = job_rate
            self._http_rng = random.Random(seed)
            self._job_rng = random.Random(f"jobs:{seed}")
        return normalized

    @property
    def active(self) -> bool:
        return bool(self.errors or self.drops or self.latency_ms or self.spike_rate)

    def job_fails(self) -> bool:
        """Draw whether a new job will end `failed`."""
        with self._lock:
            return self.job_failure_rate > 0 and self._job_rng.random() < self.job_failure_rate

    def decide(self, method: str, path: str) -> tuple[float, Rule | None, Rule | None]:
        """For one request: (delay seconds, error rule or None, drop rule or None)."""
        with self._lock:
            if not path.startswith("/v2"):
                return 0.0, None, None
            delay = self.latency_ms / 1000.0
            if self.spike_rate and self._http_rng.random() < self.spike_rate:
                delay += self.spike_ms / 1000.0
            for rule in self.errors:
                if rule.matches(method, path) and self._http_rng.random() < rule.rate:
                    return delay, rule, None
            for rule in self.drops:
                if rule.matches(method, path) and self._http_rng.random() < rule.rate:
                    return delay, None, rule
            return delay, None, None


class _QuietIncomplete(logging.Filter):
    """Hide uvicorn's complaint about the responses we cut short on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "without completing response" not in record.getMessage()


logging.getLogger("uvicorn.error").addFilter(_QuietIncomplete())


class FaultMiddleware:
    """ASGI middleware applying the HTTP faults of a `Faults` object before (or after) the app."""

    def __init__(self, app: ASGIApp, faults: Faults) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.faults.active:
            await self.app(scope, receive, send)
            return
        delay, error, drop = self.faults.decide(scope["method"], scope["path"])
        if delay:
            await asyncio.sleep(delay)
        if error is not None or drop is not None:
            scope["clc.fault"] = "injected error" if error is not None else "dropped"  # for the request log
        if error is not None:
            status = error.status or 503
            body = json.dumps({"message": FAULT_MESSAGES.get(status, "Injected fault.")}).encode()
            headers = [
                (b"content-type", b"application/json; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ]
            if status in RETRY_AFTER_STATUSES:
                headers.append((b"retry-after", b"0"))
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        if drop is None:
            await self.app(scope, receive, send)
            return
        if drop.after:

            async def swallow(message: Message) -> None:  # the request takes effect; its answer is lost
                return None

            await self.app(scope, receive, swallow)
        # Promise a body and never deliver it: the server then closes the connection mid-response.
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-type", b"application/json; charset=utf-8"), (b"content-length", b"64")],
            }
        )
        await send({"type": "http.response.body", "body": b'{"dropp', "more_body": True})
