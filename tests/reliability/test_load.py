"""Load: a bounded load loop (its own process, 127.0.0.1 only, fixed duration) on server reads and
detailed group reads of a 1,000-server account, against a bare Starlette endpoint served by uvicorn
the same way in the same run. The ratios go to RELIABILITY.md; the test asserts zero errors only
(no timed assertions: the machine is shared)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import uvicorn
from sandbox_api import Api, walk_groups
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route

from clc_notebook.sandbox import Sandbox

from .support import record_figure, scale

SECONDS = scale(1.0, 15)
THREADS = 4
LOADGEN = Path(__file__).with_name("loadgen.py")


class ThreadServer:
    """A Starlette app under uvicorn in a daemon thread on 127.0.0.1 (as the Sandbox serves itself)."""

    def __init__(self, app):
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

    def __enter__(self):
        self.thread.start()
        while not self.server.started:
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(10)


def bare_app(payloads: dict[str, bytes]) -> Starlette:
    """The ceiling: routes answering fixed JSON bytes, the same bytes the sandbox answered for each
    kind of read, so the ratio measures the sandbox's own work (auth, SQLite, shaping, JSON)."""

    def endpoint(payload: bytes):
        async def answer(request):
            return Response(payload, media_type="application/json")

        return answer

    return Starlette(routes=[Route(f"/bare/{name}/{{n}}", endpoint(body)) for name, body in payloads.items()])


def load(url: str, paths: list[str], token: str | None = None) -> dict:
    env = {**os.environ, "CLC_LOAD_TOKEN": token or ""}
    out = subprocess.run(
        [sys.executable, str(LOADGEN), url, *paths, "--seconds", str(SECONDS), "--threads", str(THREADS)],
        capture_output=True,
        text=True,
        env=env,
        timeout=SECONDS * 10 + 60,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_read_throughput_against_bare_starlette_ceiling():
    with Sandbox(mode="polls", datacenters=1, servers=1000, groups=10) as sb:
        api = Api(sb)
        root = api.root_group("WA1")
        tree = api.group(root, detailed=True)
        servers = [s for g in walk_groups(tree) for s in g.get("servers", [])]
        assert len(servers) >= 1000
        server_paths = [f"/v2/servers/{api.alias}/{s['id']}" for s in servers[:200]]
        one_server = api.get(server_paths[0]).content
        groups = [g for g in walk_groups(tree) if g["name"].startswith("Group")]
        group_paths = [f"/v2/groups/{api.alias}/{g['id']}?serverDetail=detailed" for g in groups]
        per_group = sum(len(g.get("servers", [])) for g in groups) / max(1, len(groups))

        root_path = f"/v2/groups/{api.alias}/{root}?serverDetail=detailed"
        payloads = {"server": one_server, "group": api.get(group_paths[0]).content, "root": api.get(root_path).content}
        with ThreadServer(bare_app(payloads)) as bare:
            results = {
                "bare_server_1": load(bare.url, ["/bare/server/1"]),
                "server_read": load(sb.url, server_paths, api.token),
                "bare_group": load(bare.url, ["/bare/group/1"]),
                "group_read_detailed": load(sb.url, group_paths, api.token),
                "bare_root": load(bare.url, ["/bare/root/1"]),
                "root_read_detailed_1000": load(sb.url, [root_path], api.token),
                "bare_server_2": load(bare.url, ["/bare/server/1"]),
            }
    for name, r in results.items():
        assert r["errors"] == 0 and r["requests"] > 0, (name, r)
    bare = {
        "server_read": (results["bare_server_1"]["rps"] + results["bare_server_2"]["rps"]) / 2,
        "group_read_detailed": results["bare_group"]["rps"],
        "root_read_detailed_1000": results["bare_root"]["rps"],
    }
    bare_p99 = {
        "server_read": (results["bare_server_1"]["p99_ms"] + results["bare_server_2"]["p99_ms"]) / 2,
        "group_read_detailed": results["bare_group"]["p99_ms"],
        "root_read_detailed_1000": results["bare_root"]["p99_ms"],
    }
    figures = {
        name: {
            **r,
            **(
                {
                    "rps_ratio_to_bare": round(r["rps"] / bare[name], 3),
                    "p99_ratio_to_bare": round(r["p99_ms"] / max(bare_p99[name], 0.01), 2),
                }
                if name in bare
                else {}
            ),
        }
        for name, r in results.items()
    }
    payload_kb = {name: round(len(body) / 1024, 1) for name, body in payloads.items()}
    record_figure(
        "load",
        seconds_per_window=SECONDS,
        client_threads=THREADS,
        servers_in_account=len(servers),
        servers_per_group_read=round(per_group, 1),
        payload_kb=payload_kb,
        **figures,
    )
