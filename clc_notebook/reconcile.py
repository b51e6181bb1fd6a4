"""Reconciliation: what a call whose answer was lost did, judged from the account, never guessed.

The transport never re-sends a POST / DELETE / async PATCH blindly (transport.py). When one of them
gets no answer (``TransportError`` with ``sent`` not False, or a 502/504), the Session asks this
module what happened, and the answer is one of:

* it took effect: a ``Follow`` describes how to follow it on its server, since there is no status
  id (a Job built with ``follow=`` reads the server and asks ``Follow.status`` for its status);
* it certainly did not: the Session may send it again (``create_server``, ``delete_server``);
* nothing can tell: the error is raised as it is, saying the request may have been applied.

Everything here reads the account through the Session's public methods only (``group``,
``servers``, ``server``), and imports neither the session nor the jobs module.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd

from .errors import ApiError, ClcError, NotFoundError, TransportError
from .records import Server
from .transport import retry_delay

if TYPE_CHECKING:
    from .session import Session

RECONCILE_LOOKUPS = 3  # looks at the target group after a create's answer was lost
CLOCK_SLACK = timedelta(seconds=5)  # tolerance between our clock and the API's createdDate
GROUP_ID = re.compile(r"^[0-9A-Za-z_-]{1,64}$")  # only such ids are put in a URL path as they are
# s: an update whose answer was lost is followed on its server this long, then ends failed. Its
# PATCH may never have been processed (or its job failed): nothing would ever show, and waiting
# for ever (wait()'s default) would hang a notebook cell. Set ``job.watch_limit`` to follow longer.
WATCH_LIMIT = 3.0


def maybe_applied(exc: ClcError) -> bool:
    """True when a request may have been processed although its answer did not come back."""
    if isinstance(exc, TransportError):
        return exc.sent is not False
    return getattr(exc, "status", None) in (502, 504)


@dataclass(frozen=True)
class Follow:
    """How to follow, on its server, a job whose status id was lost with the answer.

    ``kind``: "create", "delete" or "update"; ``expect``: the server details an update must show
    at the end (``{"cpu": 4, "memoryMB": 8192}``; empty for create / delete).
    """

    kind: str
    expect: dict[str, Any] = field(default_factory=dict)

    def status(self, server: Server | None, elapsed: float, limit: float, name: str) -> tuple[str, str | None]:
        """The job's status judged from its server (None: the server answers 404), and the error
        text when that status is ``failed`` for a reason worth telling (else None)."""
        if server is None:
            # a failed build removes the half-made server; a delete ends with it gone
            return ("succeeded" if self.kind == "delete" else "failed"), None
        status = str(server.get("status", "")).lower()
        if self.kind == "create":
            return ("succeeded" if status == "active" else "executing"), None
        if self.kind == "delete":
            return ("executing" if status == "queuedfordelete" else "failed"), None
        details = server.get("details") or {}
        if all(details.get(k) == v for k, v in self.expect.items()):
            return "succeeded", None
        if elapsed <= limit:
            return "executing", None
        want = ", ".join(f"{k}={v}" for k, v in self.expect.items())
        shows = ", ".join(f"{k}={details.get(k)}" for k in self.expect)
        return "failed", (
            f"{name}: the answer to the change was lost and within {limit:g} s the server did not "
            f"show {want} (it shows {shows}); the change is not confirmed: it may not have been "
            f"processed, its job may have failed or still be running. Calling update_server again "
            f"with the same values is safe"
        )


# -- create_server -------------------------------------------------------------------------------


def group_server_ids(session: Session, group_id: Any) -> set[str] | None:
    """Upper-case ids of the servers directly in a group (one plain GET), read before a create is
    sent; None when the group cannot be read (the POST then gets the API's own answer about it)."""
    if not isinstance(group_id, str) or not GROUP_ID.fullmatch(group_id):
        return None
    try:
        group = session.group(group_id)
    except ApiError:  # unknown group (the POST says so properly) or a 5xx: no snapshot
        return None
    return {
        str(link.get("id")).upper()
        for link in group.get("links") or []
        if isinstance(link, dict) and str(link.get("rel", "")).lower() == "server"
    }


def find_created(
    session: Session, name: str, group_id: str, description: str, started: datetime, existing: set[str] | None
) -> dict | None:
    """The server a create with a lost answer made, if any: same name pattern (DC + alias + name +
    counter), same description, created after the request started, directly in that group, and
    not among the `existing` ids read before the request was sent. Returns ``{"id", "name"}``."""
    pattern = re.compile(rf"^[A-Z0-9]{{3}}{re.escape(str(session.alias).upper())}{re.escape(str(name).upper())}\d+$")
    existing = existing or set()
    since = pd.Timestamp(started - CLOCK_SLACK)
    for attempt in range(1, RECONCILE_LOOKUPS + 1):
        found = [
            (row["created_date"], _text(row["name"]), _text(row["id"]))
            for row in session.servers(group=group_id).to_dict("records")
            if _text(row["group_id"]).lower() == group_id.lower()
            and pattern.fullmatch(_text(row["name"]).upper())
            and _text(row["id"]).upper() not in existing
            and _text(row["description"]) == description
            and isinstance(row["created_date"], pd.Timestamp)
            and row["created_date"] >= since
        ]
        if found:
            _, name_found, id_found = max(found)
            return {"id": id_found, "name": name_found}
        if attempt < RECONCILE_LOOKUPS:
            time.sleep(retry_delay(attempt, session.settings))  # the server may show up a moment later
    return None


def _text(value: Any) -> str:
    """A frame cell as text ("" for a missing value)."""
    return value if isinstance(value, str) else ""


# -- delete_server / update_server ---------------------------------------------------------------


def delete_took_effect(session: Session, server_id: str) -> bool:
    """After a DELETE lost its answer: True when the server is gone or queued for deletion."""
    try:
        status = str(session.server(server_id).get("status", "")).lower()
    except NotFoundError:
        return True
    return status == "queuedfordelete"


def update_follow(members: dict[str, Any]) -> Follow | None:
    """After an async PATCH lost its answer: a Follow when its effect can be seen on the server
    (cpu, memory), else None (disks and passwords leave no trace to compare; sync members were
    already sent again by the transport)."""
    if not members or not set(members) <= {"cpu", "memory_gb"}:
        return None
    expect: dict[str, Any] = {}
    if "cpu" in members:
        expect["cpu"] = members["cpu"]
    if "memory_gb" in members:
        expect["memoryMB"] = members["memory_gb"] * 1024
    return Follow("update", expect)
