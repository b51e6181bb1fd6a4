"""Load: a bounded load loop (its own process, 127.0.0.1 only, fixed duration) on server reads and
detailed group reads of a 1,000-server account, against a bare Starlette endpoint served by uvicorn
the same way in the same run (benchmarks/bare.py, shared with `make bench`). The ratios go to
RELIABILITY.md; the test asserts zero errors only (no timed assertions: the machine is shared)."""

from __future__ import annotations

from sandbox_api import Api, walk_groups

from benchmarks.bare import ThreadServer, bare_app
from benchmarks.bare import load as run_load
from clc_notebook.sandbox import Sandbox

from .support import record_figure, scale

SECONDS = scale(1.0, 15)
THREADS = 4


def load(url: str, paths: list[str], token: str | None = None) -> dict:
    return run_load(url, paths, token, seconds=SECONDS, threads=THREADS)


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
