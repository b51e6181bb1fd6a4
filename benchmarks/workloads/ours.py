"""clc_notebook workloads; prints one JSON line. Usage: ours.py inventory|builds URL USER PASSWORD [...]"""

import json
import sys
import time

import clc_notebook as clc


def inventory(url, user, password):
    started = time.perf_counter()
    s = clc.connect(url, user, password, quiet=True)
    df = s.servers()
    seconds = time.perf_counter() - started
    return {"servers": len(df), "seconds": seconds, "columns": len(df.columns), "client_calls": s.transport.calls}


def builds(url, user, password, group, count, template, poll="default"):
    s = clc.connect(url, user, password, quiet=True)
    jobs = clc.JobSet(
        [
            s.create_server(name=f"b{i}", group_id=group, template=template, cpu=1, memory_gb=1)
            for i in range(int(count))
        ]
    )
    last_created = time.time()
    seen = {}  # status id -> when the wait saw the build done, and the interval slept before that round

    def progress(job, status, elapsed):
        if status in ("succeeded", "failed") and job.id not in seen:
            seen[job.id] = {"at": time.time(), "interval_before": jobs.report.last_interval}

    started = time.perf_counter()
    jobs.wait(timeout=300, poll=None if poll == "default" else float(poll), progress=progress)
    return {
        "jobs": len(jobs),
        "succeeded": sum(j.succeeded for j in jobs),
        "last_created": last_created,
        "wait_seconds": time.perf_counter() - started,
        "ended": time.time(),
        "rounds": jobs.rounds,
        "reads": jobs.report.reads,
        "last_interval": jobs.last_interval,
        "first_interval": s.settings.poll if poll == "default" else float(poll),
        "seen": seen,
    }


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    print(json.dumps({"inventory": inventory, "builds": builds}[command](*args)))
