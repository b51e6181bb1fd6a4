"""The classroom figures of `make bench`: a class of 100 trainees on one sandbox, and the detailed group read
against a bare endpoint.

1. A class: `clc-sandbox --trainees 100 --roster FILE --state FILE` (time mode, speed 1: a build takes 5 s,
   a reboot 2 s, as in a class) in its own process. Each trainee runs the tutorial's whole workflow through
   the client (workloads/classroom.py: 4 processes of 25 threads, all released at once). Reported: errors
   (must be 0), p50/p99 of every request's latency as the client saw it, and a trainee's workflow time with
   100 at once against the same workflow alone (median of 3 lone runs), on the same sandbox.
2. The detailed group read (`serverDetail=detailed`) of a 1,000-server account against a bare Starlette
   endpoint answering the same bytes, measured in the same run (benchmarks/bare.py, the load loop of
   tests/reliability/test_load.py): a group of about 90 servers and the whole tree; then, one client at a
   time, the whole tree read unchanged, right after one server changed, and with nothing kept.

    python -m benchmarks.classroom_bench     # prints the markdown section (make bench writes it to RESULTS.md)
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from clc_notebook.sandbox import Sandbox

from .bare import ThreadServer, bare_app, load

HERE = Path(__file__).resolve().parent
WORKLOAD = HERE / "workloads" / "classroom.py"
TRAINEES = 100
PROCESSES = 4
ALONE_RUNS = 3
LOAD_SECONDS = 3.0
LOAD_THREADS = 4
SEQUENTIAL_READS = 20


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else 0.0


class ClassProcess:
    """`clc-sandbox --trainees N` in its own process with a state file; its instructor's control plane."""

    def __init__(self, folder: Path, trainees: int) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.roster = folder / "roster.csv"
        cmd = [sys.executable, "-m", "clc_notebook.sandbox", "--port", str(self.port), "--quiet"]
        cmd += ["--trainees", str(trainees), "--roster", str(self.roster), "--state", str(folder / "class.sqlite")]
        self.log = open(folder / "sandbox.log", "wb")  # noqa: SIM115 - open for the process's life
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 120
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the class's sandbox exited: {(folder / 'sandbox.log').read_text()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the class's sandbox did not start") from None
                time.sleep(0.2)
        import csv

        with open(self.roster, newline="") as f:
            seats = list(csv.DictReader(f))
        self.trainees = [row for row in seats if row["role"] == "trainee"]
        instructor = next(row for row in seats if row["role"] == "instructor")
        self.http = requests.Session()
        answer = self.http.post(
            f"{self.url}/v2/authentication/login",
            json={"username": instructor["username"], "password": instructor["password"]},
            timeout=60,
        ).json()
        self.http.headers["Authorization"] = f"Bearer {answer['bearerToken']}"

    def reset(self) -> None:
        self.http.post(f"{self.url}/sandbox/reset", timeout=120).raise_for_status()

    def board(self) -> dict:
        return self.http.get(f"{self.url}/sandbox/classroom", timeout=60).json()

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(30)
        self.log.close()


def run_trainees(url: str, seats: list[dict], processes: int) -> list[dict]:
    """Every seat's workflow, `processes` client processes sharing the seats, released together."""
    shares = [seats[i::processes] for i in range(processes) if seats[i::processes]]
    env = dict(os.environ, PYTHONPATH=str(HERE.parent))
    procs = [
        subprocess.Popen(
            [sys.executable, str(WORKLOAD), url],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        for _ in shares
    ]
    for proc, share in zip(procs, shares, strict=True):
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(json.dumps(share) + "\n")
        proc.stdin.flush()
    for proc in procs:  # every process imported and waiting
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if line != "ready":
            raise RuntimeError(f"a trainee process did not start: {line} {proc.stderr.read() if proc.stderr else ''}")
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.close()
        proc.stdin = None  # closed: communicate() below only reads
    results: list[dict] = []
    for proc in procs:
        out, err = proc.communicate(timeout=1800)
        if proc.returncode != 0:
            raise RuntimeError(f"a trainee process failed: {err[-2000:]}")
        results += json.loads(out.strip().splitlines()[-1])
    return results


def bench_class() -> dict:
    with tempfile.TemporaryDirectory(prefix="clc-class-") as tmp:
        cls = ClassProcess(Path(tmp), TRAINEES)
        try:
            alone = []
            for seat in cls.trainees[:ALONE_RUNS]:
                cls.reset()
                alone += run_trainees(cls.url, [seat], 1)
                print(f"bench: classroom alone: {alone[-1]['seconds']:.2f} s, error {alone[-1]['error']}", flush=True)
            cls.reset()
            started = time.perf_counter()
            together = run_trainees(cls.url, cls.trainees, PROCESSES)
            wall = time.perf_counter() - started
            board = cls.board()
        finally:
            cls.stop()
    latencies = [ms for r in together for ms in r["ms"]]
    failed_requests = sum(1 for r in together for status in r["statuses"] if status >= 500 or status == 0)
    errors = [r["error"] for r in together + alone if r["error"]]
    alone_median = statistics.median(r["seconds"] for r in alone)
    together_seconds = [r["seconds"] for r in together]
    figures = {
        "trainees": len(together),
        "errors": len(errors) + failed_requests,
        "error_samples": errors[:3],
        "requests": len(latencies),
        "p50_ms": round(_percentile(latencies, 0.50), 1),
        "p99_ms": round(_percentile(latencies, 0.99), 1),
        "max_ms": round(max(latencies, default=0.0), 1),
        "alone_seconds": round(alone_median, 2),
        "together_median_seconds": round(statistics.median(together_seconds), 2),
        "together_max_seconds": round(max(together_seconds), 2),
        "ratio": round(statistics.median(together_seconds) / alone_median, 2),
        "ratio_slowest": round(max(together_seconds) / alone_median, 2),
        "wall_seconds": round(wall, 1),
        "finished_on_board": sum(1 for t in board["trainees"] if t["finished"]),
    }
    print(f"bench: classroom 100: {figures}", flush=True)
    return figures


def _sequential_ms(http: requests.Session, url: str, before=None) -> float:
    """Mean ms of SEQUENTIAL_READS reads of `url` by one client (`before()` runs before each, not timed)."""
    total = 0.0
    for _ in range(SEQUENTIAL_READS):
        if before is not None:
            before()
        started = time.perf_counter()
        r = http.get(url, timeout=120)
        _ = r.content
        total += time.perf_counter() - started
        r.raise_for_status()
    return total / SEQUENTIAL_READS * 1000


def bench_group_read() -> dict:
    with Sandbox(mode="polls", datacenters=1, servers=1000, groups=10) as sb:
        http = requests.Session()
        login = http.post(
            f"{sb.url}/v2/authentication/login", json={"username": sb.username, "password": sb.password}
        ).json()
        token = login["bearerToken"]
        http.headers["Authorization"] = f"Bearer {token}"
        a = sb.alias
        dc = http.get(f"{sb.url}/v2/datacenters/{a}/WA1", params={"groupLinks": "true"}).json()
        root = next(link["id"] for link in dc["links"] if link["rel"] == "group")
        root_path = f"/v2/groups/{a}/{root}?serverDetail=detailed"
        tree = http.get(sb.url + root_path).json()

        def walk(g):
            yield g
            for child in g.get("groups", []):
                yield from walk(child)

        groups = [g for g in walk(tree) if g["name"].startswith("Group")]
        group_paths = [f"/v2/groups/{a}/{g['id']}?serverDetail=detailed" for g in groups]
        per_group = sum(len(g.get("servers", [])) for g in groups) / max(1, len(groups))
        payloads = {"group": http.get(sb.url + group_paths[0]).content, "root": http.get(sb.url + root_path).content}
        with ThreadServer(bare_app(payloads)) as bare:
            runs = {
                "bare_group": load(bare.url, ["/bare/group/1"], None, LOAD_SECONDS, LOAD_THREADS),
                "group": load(sb.url, group_paths, token, LOAD_SECONDS, LOAD_THREADS),
                "bare_root": load(bare.url, ["/bare/root/1"], None, LOAD_SECONDS, LOAD_THREADS),
                "root": load(sb.url, [root_path], token, LOAD_SECONDS, LOAD_THREADS),
                "bare_group_2": load(bare.url, ["/bare/group/1"], None, LOAD_SECONDS, LOAD_THREADS),
                "bare_root_2": load(bare.url, ["/bare/root/1"], None, LOAD_SECONDS, LOAD_THREADS),
            }
            plain = requests.Session()
            bare_ms = _sequential_ms(plain, f"{bare.url}/bare/root/1")
            unchanged_ms = _sequential_ms(http, sb.url + root_path)
            server = tree["groups"][1]["servers"][0]["id"] if tree["groups"][1].get("servers") else None
            server = server or next(s["id"] for g in walk(tree) for s in g.get("servers", []))
            flip = {"n": 0}

            def change_one_server() -> None:
                flip["n"] += 1
                ops = [{"op": "set", "member": "description", "value": f"changed {flip['n']}"}]
                http.patch(f"{sb.url}/v2/servers/{a}/{server}", json=ops).raise_for_status()

            changed_ms = _sequential_ms(http, sb.url + root_path, change_one_server)
            servers_resource, groups_resource = sb.backend.resources["servers"], sb.backend.resources["groups"]
            limits = (servers_resource._encoded.limit, groups_resource._answers.limit)
            servers_resource._encoded.limit = groups_resource._answers.limit = 0  # nothing kept: every read anew
            try:
                nothing_kept_ms = _sequential_ms(http, sb.url + root_path, change_one_server)
            finally:
                servers_resource._encoded.limit, groups_resource._answers.limit = limits
    errors = sum(r["errors"] for r in runs.values())
    bare_group = (runs["bare_group"]["rps"] + runs["bare_group_2"]["rps"]) / 2
    bare_root = (runs["bare_root"]["rps"] + runs["bare_root_2"]["rps"]) / 2
    figures = {
        "errors": errors,
        "servers_per_group": round(per_group, 1),
        "payload_kb": {name: round(len(body) / 1024, 1) for name, body in payloads.items()},
        "group_rps": runs["group"]["rps"],
        "bare_group_rps": round(bare_group, 1),
        "group_ratio": round(runs["group"]["rps"] / bare_group, 2),
        "root_rps": runs["root"]["rps"],
        "bare_root_rps": round(bare_root, 1),
        "root_ratio": round(runs["root"]["rps"] / bare_root, 2),
        "group_p99_ms": runs["group"]["p99_ms"],
        "root_p99_ms": runs["root"]["p99_ms"],
        "bare_root_sequential_ms": round(bare_ms, 1),
        "root_unchanged_ms": round(unchanged_ms, 1),
        "root_after_one_change_ms": round(changed_ms, 1),
        "root_nothing_kept_ms": round(nothing_kept_ms, 1),
    }
    print(f"bench: detailed group read: {figures}", flush=True)
    return figures


def report(cls: dict, reads: dict) -> str:
    c, g = cls, reads
    return "\n".join(
        [
            f"## 4. A class of {c['trainees']} trainees on one sandbox",
            "",
            f"`clc-sandbox --trainees {c['trainees']} --roster FILE --state FILE` in its own process (time mode, "
            "speed 1: a build takes 5 s, a reboot 2 s, as in a class). Each trainee, on its own account, runs "
            "the tutorial's whole workflow through the client: log in, capabilities, the data center's groups, "
            "create the server and wait for the build, read it by uuid, change its description, reboot and wait "
            f"(default polling). {PROCESSES} client processes of {c['trainees'] // PROCESSES} threads, all "
            f"released at once. Alone: the same workflow by one trainee, median of {ALONE_RUNS} runs, on the "
            "same sandbox.",
            "",
            "| | value |",
            "| --- | ---: |",
            f"| errors (exceptions and 5xx answers) | **{c['errors']}** |",
            f"| requests (as the client's history counts them) | {c['requests']:,} |",
            f"| request latency p50 / p99 / max | {c['p50_ms']} ms / {c['p99_ms']} ms / {c['max_ms']} ms |",
            f"| a trainee's workflow alone | {c['alone_seconds']:.2f} s |",
            f"| a trainee's workflow with {c['trainees']} at once: median / slowest | "
            f"{c['together_median_seconds']:.2f} s / {c['together_max_seconds']:.2f} s |",
            f"| ratio at {c['trainees']} vs alone: median / slowest | **{c['ratio']:.2f}** / {c['ratio_slowest']:.2f} |",
            f"| trainees shown finished on the instructor's board afterwards | {c['finished_on_board']}/{c['trainees']} |",
            "",
            f"## 5. Detailed group read vs a bare endpoint ({g['payload_kb']['root']:,.0f} KB tree, 1,000 servers)",
            "",
            f"`GET /v2/groups/{{alias}}/{{id}}?serverDetail=detailed` on a 1,000-server account (in-process "
            f"sandbox), {LOAD_THREADS} client threads for {LOAD_SECONDS:g} s per window, against a bare Starlette "
            "endpoint answering the same bytes under the same uvicorn settings, in the same run "
            "(benchmarks/bare.py; the bare windows before and after are averaged). The ratio is the sandbox's "
            "rate over the bare one (target >= 0.3; it was 0.03-0.07 before the encoded parts were kept).",
            "",
            "| read | sandbox req/s | bare req/s | ratio | sandbox p99 | errors |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
            f"| a group of {g['servers_per_group']:g} servers ({g['payload_kb']['group']:g} KB) | {g['group_rps']} | "
            f"{g['bare_group_rps']} | **{g['group_ratio']:.2f}** | {g['group_p99_ms']} ms | {g['errors']} |",
            f"| the whole tree, 1,000 servers | {g['root_rps']} | {g['bare_root_rps']} | **{g['root_ratio']:.2f}** | "
            f"{g['root_p99_ms']} ms | |",
            "",
            f"One client, {SEQUENTIAL_READS} reads of the whole tree each (ms per read): the bare endpoint "
            f"{g['bare_root_sequential_ms']} ms; the tree unchanged {g['root_unchanged_ms']} ms; right after one "
            f"server changed (only it is shaped again) {g['root_after_one_change_ms']} ms; with nothing kept "
            f"(every server shaped and encoded anew, as before) {g['root_nothing_kept_ms']} ms.",
            "",
        ]
    )


def run() -> str:
    """Both measurements; returns the markdown section."""
    return report(bench_class(), bench_group_read())


if __name__ == "__main__":
    print(run())
