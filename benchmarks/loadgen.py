"""A bounded HTTP load loop, run in its own process so it does not share the server's GIL.

    CLC_LOAD_TOKEN=... python loadgen.py URL PATH [PATH ...] --seconds S --threads T

Prints one JSON line: requests, errors (non-2xx or exceptions), statuses, rps, p50_ms, p99_ms.
Only loopback URLs are accepted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import threading
import time
from collections import Counter
from urllib.parse import urlparse

import requests


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("url")
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args(argv)
    if urlparse(args.url).hostname not in ("127.0.0.1", "localhost"):
        parser.error("loopback only")
    token = os.environ.get("CLC_LOAD_TOKEN")  # not on the command line, where `ps` would show it
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    latencies: list[float] = []
    statuses: Counter = Counter()
    lock = threading.Lock()
    stop_at = time.perf_counter() + args.seconds

    def loop(n: int) -> None:
        http = requests.Session()
        mine, seen = [], Counter()
        i = n
        while True:
            t0 = time.perf_counter()
            if t0 >= stop_at:
                break
            try:
                r = http.get(args.url + args.paths[i % len(args.paths)], headers=headers, timeout=30)
                _ = r.content  # read the whole body: a load test measures complete answers
                seen[r.status_code] += 1
            except requests.RequestException as exc:
                seen[type(exc).__name__] += 1
            mine.append(time.perf_counter() - t0)
            i += 1
        with lock:
            latencies.extend(mine)
            statuses.update(seen)

    started = time.perf_counter()
    threads = [threading.Thread(target=loop, args=(n,)) for n in range(args.threads)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    latencies.sort()
    count = len(latencies)

    def pct(p: float) -> float:
        return round(latencies[min(count - 1, int(p * count))] * 1000, 2) if count else 0.0

    errors = sum(v for k, v in statuses.items() if not (isinstance(k, int) and 200 <= k < 300))
    print(
        json.dumps(
            {
                "requests": count,
                "errors": errors,
                "statuses": {str(k): v for k, v in statuses.items()},
                "rps": round(count / elapsed, 1),
                "p50_ms": pct(0.50),
                "p99_ms": pct(0.99),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
