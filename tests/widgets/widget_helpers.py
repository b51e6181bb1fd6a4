"""Helpers shared by the widget tests (imported by name: test directories are not packages)."""

from __future__ import annotations

import threading

import requests

POLL = 0.02  # seconds between status reads in these tests
WAIT = 30  # generous ceiling for a handle's wait(); never an assertion on time


def default_group_id(session) -> str:
    groups = session.groups()
    return groups[groups["name"] == "Default Group"]["id"].iloc[0]


def make_servers(session, names) -> list[str]:
    """Build servers with the client directly (not through a widget); return their ids."""
    group = default_group_id(session)
    jobs = [
        session.create_server(name=name, group_id=group, template="RHEL-6-64-TEMPLATE", cpu=1, memory_gb=1)
        for name in names
    ]
    ids = []
    for job in jobs:
        job.wait(timeout=WAIT, poll=0.01)
        ids.append(job.server()["id"])
    return ids


def set_clock(sandbox, **clock) -> None:
    requests.put(f"{sandbox.url}/sandbox/clock", json=clock, timeout=10).raise_for_status()


class Recorder:
    """Records a trait's value now and at every change (from any thread)."""

    def __init__(self, widget, name):
        self.values = [getattr(widget, name)]
        self._lock = threading.Lock()
        widget.observe(self._changed, names=name)

    def _changed(self, change):
        with self._lock:
            self.values.append(change["new"])


def distinct(values):
    """Consecutive duplicates removed: [a, a, b, a] -> [a, b, a]."""
    out = []
    for v in values:
        if not out or out[-1] != v:
            out.append(v)
    return out
