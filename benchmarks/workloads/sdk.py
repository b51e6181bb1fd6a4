"""The official clc-sdk 2.51 doing the same work, as its documentation shows it; one JSON line.

Runs in benchmarks/.sdk-venv (never imports clc_notebook). The SDK keeps its endpoint and
credentials in module globals; it is pointed at the sandbox through clc.defaults.ENDPOINT_URL_V2.
Usage: sdk.py inventory|builds URL USER PASSWORD [...]
"""

import json
import sys
import time

import clc


def _login(url, user, password):
    clc.defaults.ENDPOINT_URL_V2 = url
    clc.v2.SetCredentials(user, password)


def _walk(group, rows):
    for server in group.Servers().Servers():  # one GET per server (the N+1 pattern)
        rows.append(
            {
                "id": server.id,
                "name": server.name,
                "status": server.status,
                "cpu": server.cpu,
                "memory": server.memory,
                "group": group.name,
            }
        )
    for sub in group.Subgroups().groups:
        _walk(sub, rows)


def inventory(url, user, password):
    started = time.perf_counter()
    _login(url, user, password)
    rows = []
    for dc in clc.v2.Datacenter.Datacenters():
        _walk(dc.RootGroup(), rows)
    return {"servers": len(rows), "seconds": time.perf_counter() - started}


def builds(url, user, password, group, count, template, network):
    _login(url, user, password)
    requests = [
        clc.v2.Server.Create(name=f"s{i}", template=template, group_id=group, network_id=network, cpu=1, memory=1)
        for i in range(int(count))
    ]
    last_created = time.time()
    started = time.perf_counter()
    errors = sum(requests).WaitUntilComplete()  # default poll_freq=2 s
    return {
        "jobs": len(requests),
        "errors": errors,
        "last_created": last_created,
        "wait_seconds": time.perf_counter() - started,
        "ended": time.time(),
    }


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    print(json.dumps({"inventory": inventory, "builds": builds}[command](*args)))
