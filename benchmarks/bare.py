"""The ceiling a sandbox read is compared with: a bare Starlette endpoint answering fixed JSON bytes, served by
uvicorn the same way the Sandbox serves itself, and the bounded load loop (loadgen.py, its own process).
Used by `make bench` (classroom_bench.py) and by tests/reliability/test_load.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import uvicorn
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

LOADGEN = Path(__file__).with_name("loadgen.py")


class ThreadServer:
    """A Starlette app under uvicorn in a daemon thread on 127.0.0.1 (as the Sandbox serves itself)."""

    def __init__(self, app: Starlette) -> None:
        # the same uvicorn settings as clc_notebook.sandbox.server.Sandbox
        self.server = uvicorn.Server(
            uvicorn.Config(
                app,
                host="127.0.0.1",
                port=0,
                log_level="warning",
                access_log=False,
                lifespan="off",
                http="h11",
                loop="asyncio",
                ws="none",
                server_header=False,
            )
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.url = ""

    def __enter__(self) -> ThreadServer:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


def bare_app(payloads: dict[str, bytes]) -> Starlette:
    """Routes `/bare/{name}/{n}` answering fixed JSON bytes: the same bytes the sandbox answered for each
    kind of read, so a ratio measures the sandbox's own work (auth, SQLite, shaping, JSON)."""

    def endpoint(payload: bytes):
        async def answer(request):
            return Response(payload, media_type="application/json")

        return answer

    return Starlette(routes=[Route(f"/bare/{name}/{{n}}", endpoint(body)) for name, body in payloads.items()])


def load(url: str, paths: list[str], token: str | None = None, seconds: float = 1.0, threads: int = 4) -> dict:
    """Run loadgen.py against `url` for `seconds` with `threads` client threads, cycling over `paths`;
    returns its figures: requests, errors, statuses, rps, p50_ms, p99_ms."""
    env = {**os.environ, "CLC_LOAD_TOKEN": token or ""}  # not on the command line, where `ps` would show it
    out = subprocess.run(
        [sys.executable, str(LOADGEN), url, *paths, "--seconds", str(seconds), "--threads", str(threads)],
        capture_output=True,
        text=True,
        env=env,
        timeout=seconds * 10 + 60,
    )
    if out.returncode != 0:
        raise RuntimeError(out.stderr)
    return json.loads(out.stdout.strip().splitlines()[-1])
