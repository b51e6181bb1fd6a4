"""Concurrency: 8 threads creating 50 servers each against one sandbox (memory and file state).
Generated names are unique and consecutive per prefix, no acknowledged server is lost, and nothing
answers "database is locked" (or any 5xx)."""

from __future__ import annotations

import json
import logging
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sandbox_api import Api, servers_in, walk_groups

from clc_notebook.sandbox import Sandbox

from .support import record_figure, scale

THREADS = 8
PER_THREAD = scale(50, 150)
PREFIXES = ("web", "db")


@pytest.mark.parametrize("storage", ["memory", "file"])
def test_parallel_creates_get_unique_consecutive_names(storage, tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    state = str(tmp_path / "state.sqlite") if storage == "file" else None
    with Sandbox(mode="polls", state=state) as sb:
        setup = Api(sb)
        root = setup.root_group("WA1")
        default = next(g["id"] for g in walk_groups(setup.group(root)) if g["name"] == "Default Group")
        start = threading.Barrier(THREADS)

        def worker(n: int) -> list:
            api = Api(sb)  # own connection pool and token per thread
            start.wait()
            answers = []
            for i in range(PER_THREAD):
                r = api.post(
                    f"/v2/servers/{api.alias}",
                    json={
                        "name": PREFIXES[n % 2],
                        "groupId": default,
                        "sourceServerId": "RHEL-6-64-TEMPLATE",
                        "cpu": 1,
                        "memoryGB": 1,
                        "type": "standard",
                        "description": f"t{n}-{i}",
                    },
                )
                answers.append((r.status_code, r.text))
            return answers

        with ThreadPoolExecutor(THREADS) as pool:
            answers = [a for chunk in pool.map(worker, range(THREADS)) for a in chunk]

        failures = [a for a in answers if a[0] != 202]
        assert not failures, f"{len(failures)} creates failed, e.g. {failures[:3]}"
        accepted = [json.loads(text) for _, text in answers]
        uuids = [next(link["id"] for link in a["links"] if link["rel"] == "self") for a in accepted]
        jobs = [next(link["id"] for link in a["links"] if link["rel"] == "status") for a in accepted]
        assert len(set(uuids)) == len(uuids), "two creates got the same server uuid"
        assert len(set(jobs)) == len(jobs), "two creates got the same job id"

        servers = servers_in(setup.snapshot([root]))
        expected_per_prefix = THREADS // 2 * PER_THREAD
        for prefix in PREFIXES:
            stem = f"WA1ALIAS{prefix.upper()}"
            numbers = sorted(
                int(s["name"][len(stem) :])
                for s in servers
                if s["name"].startswith(stem) and s["name"][len(stem) :].isdigit()
            )
            assert numbers == list(range(1, expected_per_prefix + 1)), (
                f"{stem}: {len(numbers)} servers, duplicates/gaps: {sorted(set(range(1, expected_per_prefix + 1)) ^ set(numbers))[:10]}"
            )
        # every acknowledged create resolves to a server (by its uuid link), all distinct
        ids = {setup.server_by_uuid(a)["id"] for a in accepted}
        assert len(ids) == len(accepted), "two acknowledged creates resolve to the same server"
        descriptions = sorted(s["description"] for s in servers if s["description"].startswith("t"))
        assert len(descriptions) == THREADS * PER_THREAD
    locked = [r.getMessage() for r in caplog.records if "locked" in r.getMessage().lower()]
    assert not locked, locked[:3]
    record_figure(
        f"concurrency_{storage}",
        threads=THREADS,
        creates_per_thread=PER_THREAD,
        servers_created=len(accepted),
        duplicates=0,
        lost=0,
    )


def test_one_client_session_shared_by_8_threads(caplog):
    """The same through the client, one Session shared by every thread (as widgets do)."""
    import clc_notebook as clc

    caplog.set_level(logging.WARNING)
    with Sandbox(mode="polls") as sb:
        s = clc.connect(url=sb.url, username=sb.username, password=sb.password, quiet=True)
        groups = s.groups("WA1")
        group_id = groups.loc[groups["name"] == "Default Group", "id"].iloc[0]
        start = threading.Barrier(THREADS)

        def worker(n: int) -> list:
            start.wait()
            return [
                s.create_server(
                    name=PREFIXES[n % 2],
                    group_id=group_id,
                    template="RHEL-6-64-TEMPLATE",
                    cpu=1,
                    memory_gb=1,
                    description=f"c{n}-{i}",
                )
                for i in range(PER_THREAD)
            ]

        with ThreadPoolExecutor(THREADS) as pool:
            jobs = [job for chunk in pool.map(worker, range(THREADS)) for job in chunk]
        assert len({j.id for j in jobs}) == len(jobs) == THREADS * PER_THREAD
        servers = s.servers(dc="WA1")
        for prefix in PREFIXES:
            stem = f"WA1ALIAS{prefix.upper()}"
            numbers = sorted(
                int(n[len(stem) :]) for n in servers["name"] if n.startswith(stem) and n[len(stem) :].isdigit()
            )
            assert numbers == list(range(1, THREADS // 2 * PER_THREAD + 1)), stem
        history = s.history
        assert len(history) >= THREADS * PER_THREAD and set(history["status"].dropna()) <= {200, 202}
        s.close()
    assert not [r for r in caplog.records if "locked" in r.getMessage().lower()]


def test_token_expiry_under_8_threads_logs_in_again_once():
    """Tokens expire while 8 threads share one Session: every call still succeeds, and the threads
    do not stampede the login endpoint (one new login, a few at most)."""
    import clc_notebook as clc

    with Sandbox(mode="polls") as sb:
        s = clc.connect(url=sb.url, username=sb.username, password=sb.password, quiet=True)
        start = threading.Barrier(THREADS + 1)

        def worker(n: int) -> int:
            start.wait()
            for _ in range(50):
                s.datacenters()
            return 50

        with ThreadPoolExecutor(THREADS) as pool:
            futures = [pool.submit(worker, n) for n in range(THREADS)]
            start.wait()
            sb.expire_tokens()
            done = sum(f.result() for f in futures)
        assert done == THREADS * 50
        logins = [p for p in s.history["path"] if "authentication/login" in p]
        refused = int((s.history["status"] == 401).sum())
        s.close()
    assert 1 <= len(logins) - 1 <= 3, f"{len(logins) - 1} new logins after one expiry ({refused} answers 401)"
