"""Shared helpers for the reliability tests: scale (short vs soak), the sandbox's job ledger, sandbox
processes, its route table, and the figures file that RELIABILITY.md is written from.

The tests here talk to the sandbox with plain `requests` (never through the client) wherever the
sandbox itself is under test, so a bug in the client cannot hide a bug in the sandbox: that raw view
is `sandbox_api.Api` (tests/sandbox_api.py, shared by every test directory).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

SOAK = os.environ.get("CLC_SOAK") == "1"
REPO = Path(__file__).resolve().parents[2]
FIGURES_FILE = REPO / "test-artifacts" / "reliability" / ("figures-soak.json" if SOAK else "figures.json")
_figures_lock = threading.Lock()


def scale(short: int, soak: int) -> int:
    """The short count in `make test`, the long one under `CLC_SOAK=1` (`make soak`)."""
    return soak if SOAK else short


def record_figure(section: str, **values) -> None:
    """Write `values` as `section` of the figures file (test-artifacts/, read into RELIABILITY.md)."""
    with _figures_lock:
        FIGURES_FILE.parent.mkdir(parents=True, exist_ok=True)
        data = json.loads(FIGURES_FILE.read_text()) if FIGURES_FILE.exists() else {}
        data[section] = dict(values)
        data[section]["recorded_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        FIGURES_FILE.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")


def sandbox_jobs(sb) -> list[dict]:
    """The in-process sandbox's job ledger (its SQLite `jobs` table), oldest first: the ground truth
    for "no job unaccounted for" (the API has no job listing). Internal on purpose: one place."""
    with sb.store.transaction() as db:
        return [dict(r) for r in db.execute("SELECT id, kind, target, created, outcome FROM jobs ORDER BY created, id")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SandboxProcess:
    """`python -m clc_notebook.sandbox ...` in its own process (for crash, exposure and load tests)."""

    def __init__(self, *args: str, port: int | None = None, host: str = "127.0.0.1", env: dict | None = None):
        self.port = port or free_port()
        self.host = host
        self.args = [sys.executable, "-m", "clc_notebook.sandbox", "--port", str(self.port), *args]
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
        self.proc: subprocess.Popen | None = None
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self, wait: bool = True) -> SandboxProcess:
        # output goes to files, not pipes: the CLI logs every request, and a pipe nobody drains
        # fills up and blocks the sandbox mid-request
        import tempfile

        self._out = tempfile.TemporaryFile()  # noqa: SIM115 - kept open for the process's lifetime
        self._err = tempfile.TemporaryFile()  # noqa: SIM115
        self.proc = subprocess.Popen(self.args, stdout=self._out, stderr=self._err, env=self.env, cwd=REPO)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, limit: float = 30.0) -> None:
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                out, err = self.output()
                raise AssertionError(f"sandbox exited {self.proc.returncode}: {out} {err}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"sandbox on port {self.port} not ready after {limit}s")

    def output(self) -> tuple[str, str]:
        """What the process printed so far (stdout, stderr)."""
        texts = []
        for f in (self._out, self._err):
            f.seek(0)
            texts.append(f.read().decode(errors="replace"))
        return texts[0], texts[1]

    def kill(self) -> tuple[str, str]:
        """SIGKILL (no clean shutdown); return what it printed."""
        self.proc.kill()
        self.proc.wait(timeout=10)
        return self.output()

    def stop(self) -> tuple[str, str]:
        """SIGTERM and wait; return what it printed."""
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return self.output()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        if self.proc and self.proc.poll() is None:
            self.stop()


# --- the sandbox's own route table ------------------------------------------------------------------
def starlette_app(sandbox):
    """The Starlette application a running Sandbox serves, found by walking its attributes and the
    `.app` chain of its middleware (so the route list is the real one, not a copy)."""
    from starlette.applications import Starlette

    seen: set[int] = set()
    queue = [sandbox]
    while queue:
        obj = queue.pop(0)
        if id(obj) in seen or obj is None or isinstance(obj, (str, bytes, int, float, bool)):
            continue
        seen.add(id(obj))
        if isinstance(obj, Starlette):
            return obj
        for name in ("app", "_app", "asgi", "config", "server", "_server", "loaded_app"):
            queue.append(getattr(obj, name, None))
        if hasattr(obj, "__dict__") and len(seen) < 500:
            queue.extend(v for v in vars(obj).values() if hasattr(v, "__dict__"))
    raise AssertionError("could not find the Starlette app inside the Sandbox")


def route_table(sandbox) -> list[tuple[str, frozenset]]:
    """(path template, methods) for every route of the running sandbox; HEAD folded into GET."""
    from starlette.routing import Mount, Route

    out = []
    for route in starlette_app(sandbox).routes:
        assert isinstance(route, Route) and not isinstance(route, Mount), f"unexpected route type {route!r}"
        methods = frozenset(m for m in (route.methods or {"GET"}) if m != "HEAD")
        out.append((route.path, methods, route))
    return out


def fill(template: str, values: dict) -> str:
    """A concrete path: each `{param}` from `values` (by name), else a harmless placeholder."""
    import re

    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values.get(m.group(1), "x1"), template)
