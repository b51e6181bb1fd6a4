"""The control plane: `/sandbox/health`, `/reset`, `/faults`, `/expire-tokens`, `/clock` (no token)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.routing import Route

from .backend import Backend
from .clock import JobClock
from .errors import BadRequest
from .faults import FaultConfigError, Faults
from .handling import Call, endpoint


@dataclass
class Controls:
    """What the control plane changes besides the backend's data."""

    clock: JobClock
    faults: Faults
    version: str


def control_routes(sb: Controls) -> list[Route]:
    """`/sandbox/...`: health, reset, faults, expire-tokens, clock (no token; see docs/sandbox.md)."""

    def health(b: Backend, c: Call, sb):
        s = sb.clock.settings
        return {
            "status": "ok",
            "mode": s.mode,
            "speed": s.speed,
            "polls_per_step": s.polls_per_step,
            "version": sb.version,
            "state": b.store.path,
        }

    def reset(b: Backend, c: Call, sb):
        body = c.body if c.body is not None else {}
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
        return {"status": "reset", **b.reset(**sizes)}

    def faults(b: Backend, c: Call, sb):
        if c.method == "PUT":
            body = c.body if c.body is not None else {}
            try:
                return sb.faults.configure(body)
            except FaultConfigError as exc:
                raise BadRequest(f"Invalid fault config: {exc}") from None
        return sb.faults.config

    def jobs(b: Backend, c: Call, sb):
        return b.job_ledger()

    def expire(b: Backend, c: Call, sb):
        return {"expired": b.expire_tokens()}

    def clock(b: Backend, c: Call, sb):
        if c.method == "PUT":
            body = c.body if c.body is not None else {}
            if not isinstance(body, dict):
                raise BadRequest("The clock body must be a JSON object {mode?, speed?, polls_per_step?}.")
            unknown = set(body) - {"mode", "speed", "polls_per_step", "advance"}
            if unknown:
                raise BadRequest(f"Unknown clock field(s): {', '.join(sorted(unknown))}.")
            try:
                seconds = 0.0
                if "advance" in body:
                    seconds = body["advance"]
                    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 <= seconds < 10**9:
                        raise ValueError("advance: must be a number of seconds >= 0")
                with b.store.transaction() as db:  # settle what time mode owes before switching
                    b.tick(db)
                sb.clock.configure(body.get("mode"), body.get("speed"), body.get("polls_per_step"))
                if seconds:
                    b.advance_clock(seconds)
            except (ValueError, TypeError) as exc:
                raise BadRequest(f"Invalid clock setting: {exc}") from None
        return sb.clock.settings.as_dict()

    def wrap(fn):
        def handler(b: Backend, c: Call):
            return fn(b, c, sb)

        return endpoint(handler, auth=False)

    return [
        Route("/sandbox/health", wrap(health), methods=["GET"]),
        Route("/sandbox/reset", wrap(reset), methods=["POST"]),
        Route("/sandbox/faults", wrap(faults), methods=["GET", "PUT"]),
        Route("/sandbox/expire-tokens", wrap(expire), methods=["POST"]),
        Route("/sandbox/jobs", wrap(jobs), methods=["GET"]),
        Route("/sandbox/clock", wrap(clock), methods=["GET", "PUT"]),
    ]
