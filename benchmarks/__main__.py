"""`make bench`: clc_notebook against the official clc-sdk 2.51, on the sandbox over loopback; then a class of
100 trainees on one sandbox and the detailed group read against a bare endpoint (classroom_bench.py).

Writes benchmarks/RESULTS.md. Every figure comes from this one run; comparisons are ratios
against the SDK measured in the same run on the same sandbox. Requests are counted by the sandbox
(its request log), not by the clients. Each client runs in its own process: ours in the project
venv, the SDK in benchmarks/.sdk-venv (created here with pip on first use, git-ignored).
"""

from __future__ import annotations

import json
import logging
import os
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import clc_notebook as clc
from clc_notebook.config import Settings
from clc_notebook.sandbox import Sandbox

from . import classroom_bench, frames_bench

HERE = Path(__file__).resolve().parent
SDK_VENV = HERE / ".sdk-venv"
SDK_PYTHON = SDK_VENV / "bin" / "python"
SDK_REQUIREMENT = "clc-sdk==2.51"
OURS_PYTHON = sys.executable

LATENCY_MS = 5
INVENTORY = dict(servers=1000, groups=50, datacenters=3)
BUILDS = 20
BUILD_SECONDS = 5.0  # sandbox contract: a build takes 5 s at speed 1
TEMPLATE = "RHEL-6-64-TEMPLATE"
NETWORK = "a933432bd1234e84b6c4fa329e48cb8b"


class RequestCounter(logging.Handler):
    """Counts the sandbox's request-log lines ("METHOD /path status ms")."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.lines: list[tuple[str, str, str]] = []

    def emit(self, record):
        parts = record.getMessage().split()
        if len(parts) >= 3 and parts[1].startswith("/v2"):
            self.lines.append((parts[0], parts[1], parts[2]))

    def take(self) -> list[tuple[str, str, str]]:
        lines, self.lines = self.lines, []
        return lines


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return (
        f"{os.cpu_count()} CPU(s) (nproc), {model}; Python {platform.python_version()} on "
        f"{platform.system()} {platform.release()}"
    )


def ensure_sdk() -> str:
    """Create the SDK's venv if needed; returns a note on how it runs (or raises)."""
    if not SDK_PYTHON.exists():
        print(f"bench: creating {SDK_VENV.name} with {SDK_REQUIREMENT} (pip)", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(SDK_VENV)], check=True)
        subprocess.run([str(SDK_PYTHON), "-m", "pip", "install", "-q", SDK_REQUIREMENT], check=True)
    check = subprocess.run(
        [str(SDK_PYTHON), "-c", "import clc, sys; print(sys.version.split()[0])"], capture_output=True, text=True
    )
    if check.returncode != 0:
        raise RuntimeError(f"clc-sdk does not import: {check.stderr.strip()[-500:]}")
    return f"{SDK_REQUIREMENT} on Python {check.stdout.strip()}, unmodified, no shim needed"


def run(python: str, script: str, *args) -> dict:
    proc = subprocess.run(
        [python, str(HERE / "workloads" / f"{script}.py"), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=900,
        env=dict(os.environ, PYTHONPATH=str(HERE.parent)),
    )
    if proc.returncode != 0:
        raise RuntimeError(f"{script} failed: {proc.stderr.strip()[-1500:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def bench_inventory(sb: Sandbox, counter: RequestCounter) -> dict:
    out = {}
    for who, python in (("ours", OURS_PYTHON), ("sdk", str(SDK_PYTHON))):
        sb.reset(**INVENTORY)
        counter.take()
        result = run(python, who, "inventory", sb.url, sb.username, sb.password)
        result["requests"] = len(counter.take())
        out[who] = result
        print(f"bench: inventory {who}: {result}", flush=True)
    return out


def bench_builds(sb: Sandbox, counter: RequestCounter) -> dict:
    out = {}
    runs = (
        ("ours", "ours", OURS_PYTHON, ("default",)),
        ("ours_fixed", "ours", OURS_PYTHON, ("0.5",)),
        ("sdk", "sdk", str(SDK_PYTHON), (NETWORK,)),
    )
    for key, who, python, extra in runs:
        sb.reset()
        sb.set_clock(mode="time", speed=1.0)
        with clc.connect(sandbox=sb, quiet=True) as s:
            groups = s.groups("WA1")
            group = groups.loc[groups["path"] == "WA1 Hardware/Default Group", "id"].iloc[0]
        counter.take()
        result = run(python, who, "builds", sb.url, sb.username, sb.password, group, BUILDS, TEMPLATE, *extra)
        lines = counter.take()
        result["status_reads"] = sum(1 for m, p, _ in lines if m == "GET" and "/status/" in p)
        result["requests"] = len(lines)
        # when each build ended, by the sandbox's own ledger: queued + BUILD_SECONDS (speed 1)
        ends = {job["id"]: job["created"] + BUILD_SECONDS for job in sb.jobs() if job["kind"] == "create"}
        result["after_last_done"] = result["ended"] - max(ends.values())
        if "seen" in result:  # ours: each build seen done within one interval (+ the round's reads)?
            lags = [
                (seen["at"] - ends[job_id], seen["interval_before"] or result["first_interval"])
                for job_id, seen in result.pop("seen").items()
            ]
            result["max_lag"] = max(lag for lag, _ in lags)
            result["max_lag_over_interval"] = max(lag - interval for lag, interval in lags)
        out[key] = result
        print(f"bench: builds {key}: {result}", flush=True)
    return out


def report(inv: dict, builds: dict, conv: list[dict], sdk_note: str, total: float) -> str:
    o, k = inv["ours"], inv["sdk"]
    bo, bf, bk = builds["ours"], builds["ours_fixed"], builds["sdk"]
    settings = Settings()
    when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "# Benchmark results",
        "",
        f"Generated by `make bench` (`python -m benchmarks`) on {when}, in {total:.0f} s.",
        f"Machine: {machine()}.",
        f"Baseline: {sdk_note}, in its own venv (`benchmarks/.sdk-venv`), pointed at the sandbox "
        "through `clc.defaults.ENDPOINT_URL_V2`.",
        f"Sandbox: in-process, loopback HTTP, fixed added latency {LATENCY_MS} ms per request "
        "(fault `latency_ms`), so request counts weigh as on a network. Requests are counted by "
        "the sandbox's request log. Each client runs in its own process. Figures are from one "
        "run; read the ratios, not the absolute times (the machine is shared).",
        "",
        f"## 1. Account inventory: {INVENTORY['servers']:,} servers, {INVENTORY['groups']} "
        f"groups, {INVENTORY['datacenters']} data centers",
        "",
        "Login plus a listing of every server with its details. Ours: `connect(...)` then "
        "`s.servers()` (data-center list, then one `GET /v2/groups/{alias}/{root}"
        "?serverDetail=detailed` per data center, into a DataFrame). SDK: "
        "`Datacenter.Datacenters()`, then for each root group and sub-group "
        "`group.Servers().Servers()` (one `GET /v2/servers/...` per server).",
        "",
        "| | clc_notebook | clc-sdk 2.51 | ratio (SDK / ours) | target |",
        "| --- | ---: | ---: | ---: | --- |",
        f"| servers listed | {o['servers']:,} | {k['servers']:,} | | |",
        f"| HTTP requests | {o['requests']:,} | {k['requests']:,} | "
        f"**{k['requests'] / o['requests']:.0f}x** fewer | >= 50x |",
        f"| wall time | {o['seconds']:.2f} s | {k['seconds']:.2f} s | "
        f"**{k['seconds'] / o['seconds']:.0f}x** less | >= 20x |",
        "",
        f"## 2. Waiting on {BUILDS} concurrent builds",
        "",
        f"{BUILDS} `create_server` requests (sandbox `time` mode, speed 1: a build takes "
        f"{BUILD_SECONDS:g} s), then one wait. Ours: `JobSet(jobs).wait()` with the default "
        f"polling (`jobs.wait_for`: the first round once the newest job is {settings.poll:g} s old, "
        f"then intervals growing x{settings.poll_backoff:g} up to {settings.poll_max:g} s; each "
        "status id read once per round). SDK: `sum(requests).WaitUntilComplete()` (fixed 2 s sleep "
        "between rounds, and one more after the last). When a build ended comes from the "
        f"sandbox's job ledger (queued + {BUILD_SECONDS:g} s). Status requests are counted by the "
        "sandbox's request log.",
        "",
        "| | clc_notebook (default polling) | clc_notebook (`poll=0.5`, fixed) | clc-sdk 2.51 "
        "| ratio SDK / ours (default) |",
        "| --- | ---: | ---: | ---: | ---: |",
        f"| builds succeeded | {bo['succeeded']}/{bo['jobs']} | {bf['succeeded']}/{bf['jobs']} | "
        f"{bk['jobs'] - bk['errors']}/{bk['jobs']} | |",
        f"| wait wall time | {bo['wait_seconds']:.2f} s | {bf['wait_seconds']:.2f} s | "
        f"{bk['wait_seconds']:.2f} s | {bk['wait_seconds'] / bo['wait_seconds']:.2f}x |",
        f"| returned after the last build ended | {bo['after_last_done']:.2f} s | "
        f"{bf['after_last_done']:.2f} s | {bk['after_last_done']:.2f} s | "
        f"{bk['after_last_done'] / max(bo['after_last_done'], 0.01):.2f}x |",
        f"| status requests while waiting | {bo['status_reads']} | {bf['status_reads']} | "
        f"{bk['status_reads']} | {bk['status_reads'] / max(bo['status_reads'], 1):.2f}x |",
        f"| longest lag, build end -> seen done | {bo['max_lag']:.2f} s | {bf['max_lag']:.2f} s | (not observable) | |",
        f"| that lag minus the interval slept before the round that saw it | "
        f"{bo['max_lag_over_interval']:+.2f} s | {bf['max_lag_over_interval']:+.2f} s | | |",
        f"| all requests (login, creates, status reads; ours also lists the group once per "
        f"create, the snapshot that lets a lost create answer be reconciled) | {bo['requests']} | "
        f"{bf['requests']} | "
        f"{bk['requests']} | |",
        "",
        f"Targets: no more status reads than the SDK, and each build seen done within one poll "
        f"interval of its end. Ours (default): {bo['status_reads']} reads against the SDK's "
        f"{bk['status_reads']} ({'met' if bo['status_reads'] <= bk['status_reads'] else 'MISSED'}); "
        f"every build was seen done at most {bo['max_lag_over_interval']:+.2f} s after one interval "
        "(the interval slept before the round that saw it), a margin that is the time the round "
        f"itself took to read the other builds ({'met' if bo['max_lag_over_interval'] <= 0.5 else 'MISSED'}"
        f"); the wait returned {bo['after_last_done']:.2f} s after the last build ended, the last "
        f"interval being {bo['last_interval']:.2f} s. The SDK returned {bk['after_last_done']:.2f} s "
        "after (its 2 s interval plus the sleep it takes after the last round). A fixed 0.5 s poll "
        "sees builds sooner at the price of more reads; real builds take minutes, where the "
        "growing interval saves far more.",
        "",
        "## 3. JSON -> DataFrame (`frames.servers_of_trees`)",
        "",
        "Synthetic detailed group trees (3 data centers, servers shaped like the sandbox's), "
        "converted to the 29-column SERVERS frame. Time is the best of 3 runs (1 run at 100k); "
        "peak memory is measured separately with tracemalloc (allocations during the "
        "conversion, input JSON excluded). `pandas.json_normalize` on the same server list is "
        "shown as a reference point (it keeps nested lists as objects and does not fix dtypes).",
        "",
        "| servers | time | per 1k servers | peak memory | per 1k servers | json_normalize time |",
        "| ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in conv:
        lines.append(
            f"| {row['n']:,} | {row['seconds'] * 1000:.0f} ms | "
            f"{row['seconds'] * 1000 / (row['n'] / 1000):.1f} ms | {row['peak_mb']:.1f} MB | "
            f"{row['peak_mb'] / (row['n'] / 1000):.2f} MB | "
            f"{row['normalize_seconds'] * 1000:.0f} ms |"
        )
    first, last = conv[0], conv[-1]
    growth_t = (last["seconds"] / first["seconds"]) / (last["n"] / first["n"])
    growth_m = (last["peak_mb"] / first["peak_mb"]) / (last["n"] / first["n"])
    lines += [
        "",
        f"Growth from {first['n']:,} to {last['n']:,} servers ({last['n'] // first['n']}x "
        f"more): time x{last['seconds'] / first['seconds']:.0f}, memory "
        f"x{last['peak_mb'] / first['peak_mb']:.0f}, i.e. {growth_t:.2f} and {growth_m:.2f} of "
        "linear (1.00 = exactly linear; below 1 = fixed costs amortised).",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    started = time.perf_counter()
    sdk_note = ensure_sdk()
    counter = RequestCounter()
    sandbox_log = logging.getLogger("clc_notebook.sandbox")
    sandbox_log.addHandler(counter)
    sandbox_log.setLevel(logging.INFO)
    sandbox_log.propagate = False  # the counter only: no request lines on the console
    with Sandbox(mode="time", faults={"latency_ms": LATENCY_MS}, log_requests=True, **INVENTORY) as sb:
        inv = bench_inventory(sb, counter)
        builds = bench_builds(sb, counter)
    conv = frames_bench.run()
    for row in conv:
        print(f"bench: frames {row}", flush=True)
    classroom = classroom_bench.run()  # sections 4 and 5: a class of 100, the detailed group read
    text = report(inv, builds, conv, sdk_note, time.perf_counter() - started) + "\n" + classroom
    (HERE / "RESULTS.md").write_text(text)
    print(f"bench: wrote {HERE / 'RESULTS.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
