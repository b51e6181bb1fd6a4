"""JSON -> DataFrame cost of the SERVERS frame at 1k, 10k and 100k servers (time, peak memory)."""

from __future__ import annotations

import gc
import time
import tracemalloc

import pandas as pd

from clc_notebook import frames

SIZES = (1_000, 10_000, 100_000)
DATACENTERS = ("WA1", "VA1", "UC1")
GROUPS_PER_DC = 17


def server(i: int, dc: str, group_id: str) -> dict:
    """A detailed server object shaped like the API's (and the sandbox's) Get Server answer."""
    sid = f"{dc.lower()}aliassrv{i:06d}"
    alias = "alias"
    return {
        "id": sid,
        "name": sid.upper(),
        "description": f"server {i}",
        "groupId": group_id,
        "isTemplate": False,
        "locationId": dc,
        "osType": "RedHat Enterprise Linux 6 64-bit",
        "os": "redHat6_64Bit",
        "status": "active",
        "type": "standard",
        "storageType": "standard",
        "details": {
            "ipAddresses": [{"internal": f"10.{i // 65536 % 256}.{i // 256 % 256}.{i % 256}"}],
            "alertPolicies": [],
            "cpu": 1 + i % 4,
            "diskCount": 3,
            "hostName": sid,
            "inMaintenanceMode": False,
            "memoryMB": 1024 * (1 + i % 8),
            "powerState": "started",
            "storageGB": 60,
            "disks": [{"id": f"0:{d}", "sizeGB": 20, "partitionPaths": []} for d in range(3)],
            "partitions": [],
            "snapshots": [],
            "customFields": [],
        },
        "changeInfo": {
            "createdBy": "demouser1",
            "createdDate": "2026-01-02T03:04:05Z",
            "modifiedBy": "demouser1",
            "modifiedDate": "2026-01-02T03:04:05Z",
        },
        "links": [
            {"rel": "self", "href": f"/v2/servers/{alias}/{sid}", "id": sid, "verbs": ["GET", "PATCH", "DELETE"]},
            {"rel": "group", "href": f"/v2/groups/{alias}/{group_id}", "id": group_id},
        ],
    }


def trees(n: int) -> list[dict]:
    """3 data-center roots with GROUPS_PER_DC groups each, `n` servers spread over them."""
    roots = []
    for dc in DATACENTERS:
        groups = [
            {"id": f"{dc.lower()}g{g:030d}", "name": f"Group {g}", "servers": [], "groups": []}
            for g in range(GROUPS_PER_DC)
        ]
        roots.append({"id": f"{dc.lower()}r{0:030d}", "name": f"{dc} Hardware", "servers": [], "groups": groups})
    for i in range(n):
        root = roots[i % len(roots)]
        group = root["groups"][(i // len(roots)) % GROUPS_PER_DC]
        group["servers"].append(server(i, root["name"][:3], group["id"]))
    return roots


def _servers(roots: list[dict]) -> list[dict]:
    return [s for r in roots for g in r["groups"] for s in g["servers"]]


def measure(n: int) -> dict:
    roots = trees(n)
    repeats = 1 if n >= 100_000 else 3
    best = float("inf")
    for _ in range(repeats):
        gc.collect()
        started = time.perf_counter()
        df = frames.servers_of_trees(roots)
        best = min(best, time.perf_counter() - started)
    assert len(df) == n and list(df.columns) == [c for c, _ in frames.SERVERS]
    del df
    gc.collect()
    tracemalloc.start()
    df = frames.servers_of_trees(roots)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del df
    flat = _servers(roots)
    gc.collect()
    started = time.perf_counter()
    pd.json_normalize(flat)
    normalize = time.perf_counter() - started
    return {"n": n, "seconds": best, "peak_mb": peak / 2**20, "normalize_seconds": normalize}


def run() -> list[dict]:
    return [measure(n) for n in SIZES]
