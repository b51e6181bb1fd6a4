"""Render the figures the reliability tests recorded as Markdown (pasted into RELIABILITY.md).

.venv/bin/python tests/reliability/report.py [test-artifacts/reliability/figures-soak.json]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

DEFAULT = Path(__file__).resolve().parents[2] / "test-artifacts" / "reliability" / "figures.json"


def table(rows: list[list], head: list[str]) -> str:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def render(data: dict) -> str:
    out = []
    faults = data.get("faults")
    if faults:
        out.append("### Faults (tutorial workflow through the client)\n")
        out.append(
            table(
                [
                    ["runs", faults["runs"]],
                    [
                        "faults injected (counted in the sandbox)",
                        ", ".join(f"{k} {v}" for k, v in sorted(faults.get("faults_injected", {}).items()))
                        + f", token expiries forced {faults.get('tokens_expired_by_force', 0)}",
                    ],
                    ["outcomes", ", ".join(f"{k} {v}" for k, v in sorted(faults["outcomes"].items()))],
                    [
                        "HTTP calls / attempts (retries included)",
                        f"{faults['http'].get('calls')} / {faults['http'].get('attempts')}",
                    ],
                    ["lost answers seen by the client", faults["http"].get("lost_answers_seen_by_client", 0)],
                    ["creates applied (from the name counters)", faults["creates_applied"]],
                    ["duplicate servers (runs with two successful builds)", faults["duplicates"]],
                    [
                        "creates sent again after a lost answer whose first build failed (invisible through the API)",
                        f"{faults.get('creates_applied_twice_first_build_failed', 0)} "
                        f"(invisible failed creates: {faults.get('invisible_failed_creates', 0)})",
                    ],
                    [
                        "jobs tracked by id / followed through the server",
                        f"{faults['jobs_tracked']} / {faults['jobs_followed_by_server']}",
                    ],
                    ["jobs unaccounted for", faults["jobs_unaccounted"]],
                    ["jobs reported as 'may have been applied'", faults["jobs_reported_maybe_applied"]],
                    ["failed jobs reported as JobFailedError", faults["job_failures_reported"]],
                    ["runs that waited out a deadline", faults.get("deadline_hits", 0)],
                    ["bearer tokens seen (all searched for)", faults["tokens_seen"]],
                ],
                ["figure", "value"],
            )
        )
        out.append("\nFault config: `" + json.dumps(faults["fault_config"], separators=(",", ":")) + "`\n")
    bad = data.get("bad_input")
    if bad:
        out.append("### Bad input (hypothesis, generated cases per endpoint)\n")
        rows = []
        others = {k: v for k, v in bad.items() if k.startswith("any:")}
        if others:
            merged = {}
            for counts in others.values():
                for key, n in counts.items():
                    merged[key] = merged.get(key, 0) + n
            bad = {k: v for k, v in bad.items() if not k.startswith("any:")}
            bad[f"every other body route ({len(others)} routes hit)"] = merged
        for endpoint, counts in sorted(bad.items()):
            if not isinstance(counts, dict):
                continue
            kinds = {}
            for key, n in counts.items():
                if ":" in key:
                    kind, status = key.split(":")
                    kinds.setdefault(kind, []).append(f"{status}x{n}")
            rows.append(
                [endpoint, counts.get("cases", 0)]
                + ["; ".join(kinds.get(k, [])) for k in ("valid", "broken", "broken-shape", "arbitrary")]
            )
        out.append(
            table(
                rows, ["endpoint", "cases", "valid (status x n)", "one field broken", "wrong shape", "arbitrary JSON"]
            )
        )
        out.append("")
    load = data.get("load")
    if load:
        out.append(
            f"### Load ({load['servers_in_account']}-server account, {load['client_threads']} client threads, "
            f"{load['seconds_per_window']} s per window, loopback)\n"
        )
        rows = []
        for name in ("server_read", "group_read_detailed", "root_read_detailed_1000"):
            r = load.get(name)
            if r:
                bare = {
                    "server_read": "bare_server_1",
                    "group_read_detailed": "bare_group",
                    "root_read_detailed_1000": "bare_root",
                }[name]
                rows.append(
                    [
                        name,
                        r["rps"],
                        r["p99_ms"],
                        load[bare]["rps"],
                        load[bare]["p99_ms"],
                        r["rps_ratio_to_bare"],
                        r["p99_ratio_to_bare"],
                        r["errors"],
                    ]
                )
        out.append(
            table(rows, ["read", "req/s", "p99 ms", "bare req/s", "bare p99 ms", "req/s ratio", "p99 ratio", "errors"])
        )
        out.append(
            f"\nPayload sizes (KB): {load.get('payload_kb')}; a group read embeds about "
            f"{load.get('servers_per_group_read')} servers.\n"
        )
    rest = []
    for key in (
        "crash",
        "crash_under_writes",
        "concurrency_memory",
        "concurrency_file",
        "authorization",
        "tokens",
        "client_bad_input",
    ):
        if key in data:
            rest.append([key, ", ".join(f"{k}={v}" for k, v in data[key].items() if k != "recorded_at")])
    if rest:
        out.append("### Crash, concurrency, authorization, client-side bad input\n")
        out.append(table(rest, ["test", "figures"]))
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    print(render(json.loads(path.read_text())))
