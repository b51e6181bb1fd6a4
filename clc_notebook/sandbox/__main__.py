"""`clc-sandbox` / `python -m clc_notebook.sandbox`: run the emulator in the foreground.

Logs one line per request to stderr and exits cleanly (status 0) on Ctrl-C or SIGTERM: the signal
only sets a flag; the main thread then stops the sandbox (`Sandbox.stop`: requests in flight get
1 s to finish, then are cut; done within 5 s) and prints "clc-sandbox: stopped", without a traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any

from . import fixtures
from .clock import MODES
from .server import LOOPBACK, Sandbox

ACCOUNT = (
    f"user {fixtures.USERNAME}, password {fixtures.PASSWORD} (account alias {fixtures.ALIAS}, "
    f"data center {fixtures.LOCATION})"
)
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _number(convert: Callable[[str], Any], kind: str, ok: Callable[[Any], bool], rule: str) -> Callable[[str], Any]:
    """An argparse type: `convert` the text (else "... is not {kind}"), then check `ok` (else `rule`)."""

    def parse(text: str) -> Any:
        try:
            value = convert(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {kind}") from None
        if not ok(value):
            raise argparse.ArgumentTypeError(rule)
        return value

    return parse


_positive_float = _number(float, "a number", lambda v: v > 0, "must be > 0")
_rate = _number(float, "a number", lambda v: 0 <= v <= 1, "must be between 0 and 1")
_count = _number(int, "an integer", lambda v: v >= 0, "must be >= 0")
_positive_int = _number(int, "an integer", lambda v: v >= 1, "must be >= 1")


def build_parser() -> argparse.ArgumentParser:
    """The CLI's flags (docs/sandbox.md lists them with their `Sandbox(...)` equivalents)."""
    p = argparse.ArgumentParser(
        prog="clc-sandbox",
        description=f"A local emulator of the CenturyLink Cloud API v2.\nLog in as the demo {ACCOUNT}.",
        epilog=(
            "Log in with curl (the answer's bearerToken goes in an 'Authorization: Bearer ...' header):\n"
            "  curl -s -X POST http://127.0.0.1:8080/v2/authentication/login \\\n"
            "       -H 'Content-Type: application/json' \\\n"
            f"""       -d '{{"username": "{fixtures.USERNAME}", "password": "{fixtures.PASSWORD}"}}'"""
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,  # keep the curl lines as written
    )
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8080, help="port to listen on (0 = any free port; default 8080)")
    p.add_argument("--allow-remote", action="store_true", help="allow binding to a non-loopback address")
    p.add_argument("--state", metavar="FILE", help="SQLite file to keep state in (default: in memory)")
    p.add_argument("--mode", choices=MODES, default="time", help="job clock: scaled seconds or status reads")
    p.add_argument("--speed", type=_positive_float, default=1.0, help="time mode: divide job durations by X")
    p.add_argument("--polls-per-step", type=_positive_int, default=1, help="polls mode: reads per status step")
    p.add_argument(
        "--resumed-rate",
        type=_rate,
        default=None,
        help="share of jobs that go executing -> resumed -> executing (default 0.1 in time mode, 0 in polls mode)",
    )
    p.add_argument("--clock-start", metavar="ISO", help="a new state's clock starts at this UTC date-time (then runs)")
    p.add_argument("--seed", type=int, default=0, help="seed of fault injection, batch answer order, resumed jobs")
    p.add_argument("--token-ttl", type=_positive_float, default=14 * 24 * 3600, help="token lifetime in seconds")
    p.add_argument("--datacenters", type=_positive_int, default=3, help="data centers in the account (default 3)")
    p.add_argument("--servers", type=_count, default=0, help="synthetic servers to generate")
    p.add_argument("--groups", type=_count, default=0, help="synthetic groups to generate")
    p.add_argument("--fault-rate", type=_rate, default=0.0, help="share of /v2 requests answered 500/503/429")
    p.add_argument("--latency-ms", type=float, default=0.0, help="latency added to every /v2 request")
    p.add_argument("--drop-rate", type=_rate, default=0.0, help="share of /v2 requests whose connection drops")
    p.add_argument("--job-failure-rate", type=_rate, default=0.0, help="share of jobs that end failed")
    p.add_argument("--faults", metavar="JSON", help="a full fault config as JSON (overrides the flags above)")
    p.add_argument("--no-control-plane", action="store_true", help="do not serve /sandbox/*")
    p.add_argument(
        "--trainees",
        type=_count,
        default=0,
        help="classroom: N trainee accounts (and an instructor), each with its own alias; needs --roster",
    )
    p.add_argument("--roster", metavar="FILE", help="classroom: CSV to write role,username,password,alias to")
    p.add_argument("--quiet", action="store_true", help="do not log requests")
    return p


def faults_from_args(args: argparse.Namespace) -> dict:
    """The fault config the flags describe (docs/sandbox.md); --faults JSON wins."""
    if args.faults:
        return json.loads(args.faults)
    config: dict = {"seed": args.seed}
    if args.fault_rate:
        share = args.fault_rate / 3
        config["errors"] = [
            {"rate": share, "status": 500},
            {"rate": share / (1 - share), "status": 503},
            {"rate": share / (1 - 2 * share) if share < 0.5 else 1.0, "status": 429},
        ]
    if args.drop_rate:
        config["drops"] = [{"rate": args.drop_rate}]
    if args.latency_ms:
        config["latency_ms"] = args.latency_ms
    if args.job_failure_rate:
        config["job_failure_rate"] = args.job_failure_rate
    return config


def main(argv: list[str] | None = None) -> int:
    """Run the sandbox until interrupted; returns the process exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    if args.host not in LOOPBACK:
        if not args.allow_remote:
            print(
                f"clc-sandbox: refusing to bind to {args.host}: pass --allow-remote to expose the sandbox "
                "(it has a well-known password) to the network",
                file=sys.stderr,
            )
            return 2
        print(
            f"clc-sandbox: WARNING: listening on {args.host}; anyone who can reach this port can use the "
            "sandbox account",
            file=sys.stderr,
        )
    try:
        faults = faults_from_args(args)
        sandbox = Sandbox(
            host=args.host,
            port=args.port,
            state=args.state,
            mode=args.mode,
            speed=args.speed,
            polls_per_step=args.polls_per_step,
            resumed_rate=args.resumed_rate,
            clock_start=args.clock_start,
            seed=args.seed,
            token_ttl=args.token_ttl,
            faults=faults,
            datacenters=args.datacenters,
            servers=args.servers,
            groups=args.groups,
            control_plane=not args.no_control_plane,
            log_requests=not args.quiet,
            allow_remote=args.allow_remote,
            trainees=args.trainees,
            roster=args.roster,
        )
    except (ValueError, json.JSONDecodeError) as exc:
        print(f"clc-sandbox: {exc}", file=sys.stderr)
        return 2
    # a signal only sets this flag (an exception raised at an arbitrary point of the main thread
    # could interrupt the stop itself); the main thread then stops the sandbox in order
    stop_requested = threading.Event()
    previous = {sig: signal.signal(sig, lambda signum, frame: stop_requested.set()) for sig in STOP_SIGNALS}
    try:
        _serve(sandbox, args, stop_requested)
    except (RuntimeError, ValueError) as exc:
        print(f"clc-sandbox: {exc}", file=sys.stderr)
        return 1
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("clc-sandbox: stopped", file=sys.stderr)
    return 0


def _serve(sandbox: Sandbox, args: argparse.Namespace, stop_requested: threading.Event) -> None:
    sandbox.start()
    try:
        print(
            f"clc-sandbox: serving the CLC API v2 on {sandbox.url} (user {sandbox.username}, password {sandbox.password}, "
            f"alias {sandbox.alias}; mode {args.mode}, state {args.state or 'in memory'}); Ctrl-C to stop",
            file=sys.stderr,
            flush=True,
        )
        if sandbox.classroom is not None:
            where = f"; roster (the only copy of the passwords) in {args.roster}" if args.roster else ""
            print(
                f"clc-sandbox: classroom of {len(sandbox.classroom.trainees)} trainees and an instructor "
                f"({sandbox.classroom.instructor.username}){where}; the control plane needs the instructor's token",
                file=sys.stderr,
                flush=True,
            )
        # Event.wait, not Thread.join: the signal handlers only set the event, so the server thread is
        # never seen as stopped while uvicorn is still shutting down
        while sandbox.running and not stop_requested.wait(0.5):
            pass
    finally:
        sandbox.stop()


if __name__ == "__main__":
    sys.exit(main())
