"""The control plane: `/sandbox/health`, `/reset`, `/faults`, `/expire-tokens`, `/jobs`, `/clock` (no token;
see docs/sandbox.md). Declared with `@route` like a resource, but outside `/v2` and not a resource."""

from __future__ import annotations

from typing import Any

from .backend import Backend
from .clock import JobClock, advance_seconds
from .errors import BadRequest
from .faults import FaultConfigError, Faults
from .handling import Call
from .registry import route


class ControlPlane:
    """What tests and demos change in a running sandbox besides the API's data."""

    def __init__(self, backend: Backend, clock: JobClock, faults: Faults, version: str) -> None:
        self.backend, self.clock, self.faults, self.version = backend, clock, faults, version

    @route("GET", "/sandbox/health", auth=False)
    def health(self, call: Call) -> dict:
        settings = self.clock.settings
        return {
            "status": "ok",
            "mode": settings.mode,
            "speed": settings.speed,
            "polls_per_step": settings.polls_per_step,
            "version": self.version,
            "state": self.backend.store.path,
        }

    @route("POST", "/sandbox/reset", auth=False)
    def reset(self, call: Call) -> dict:
        body = call.body if call.body is not None else {}
        if not isinstance(body, dict):
            raise BadRequest("The reset body must be a JSON object {servers?, groups?, datacenters?}.")
        sizes = {}
        for key, limit in (("servers", 1_000_000), ("groups", 100_000), ("datacenters", 1000)):
            if key in body:
                value = body[key]
                low = 1 if key == "datacenters" else 0
                if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= limit:
                    raise BadRequest(
                        f"{key}: must be an integer between {low} and {limit}.",
                        {f"body.{key}": [f"must be an integer between {low} and {limit}"]},
                    )
                sizes[key] = value
        return {"status": "reset", **self.backend.reset(**sizes)}

    @route("GET", "/sandbox/faults", auth=False)
    def fault_config(self, call: Call) -> dict:
        return self.faults.config

    @route("PUT", "/sandbox/faults", auth=False)
    def set_faults(self, call: Call) -> dict:
        body = call.body if call.body is not None else {}
        try:
            return self.faults.configure(body)
        except FaultConfigError as exc:
            raise BadRequest(f"Invalid fault config: {exc}") from None

    @route("POST", "/sandbox/expire-tokens", auth=False)
    def expire_tokens(self, call: Call) -> dict:
        return {"expired": self.backend.expire_tokens()}

    @route("GET", "/sandbox/jobs", auth=False)
    def jobs(self, call: Call) -> list[dict]:
        return self.backend.job_ledger()

    @route("GET", "/sandbox/clock", auth=False)
    def clock_settings(self, call: Call) -> dict:
        return self.clock.settings.as_dict()

    @route("PUT", "/sandbox/clock", auth=False)
    def set_clock(self, call: Call) -> dict:
        body: Any = call.body if call.body is not None else {}
        if not isinstance(body, dict):
            raise BadRequest("The clock body must be a JSON object {mode?, speed?, polls_per_step?}.")
        unknown = set(body) - {"mode", "speed", "polls_per_step", "advance"}
        if unknown:
            raise BadRequest(f"Unknown clock field(s): {', '.join(sorted(unknown))}.")
        try:
            seconds = advance_seconds(body["advance"]) if "advance" in body else 0.0
            with self.backend.store.transaction() as db:  # settle what time mode owes before switching
                self.backend.tick(db)
            self.clock.configure(body.get("mode"), body.get("speed"), body.get("polls_per_step"))
            if seconds:
                self.backend.advance_clock(seconds)
        except (ValueError, TypeError) as exc:
            raise BadRequest(f"Invalid clock setting: {exc}") from None
        return self.clock.settings.as_dict()
