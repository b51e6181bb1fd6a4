"""v2-experimental operations: the asynchronous answer `{operationId, uri}` of a network claim and of
secondary NIC changes, followed as a `Job`.

Their status is read at ``GET /v2-experimental/operations/{alias}/status/{operationId}`` and speaks its
own words: ``queued`` and ``running`` while it works, then ``succeeded`` or ``failed``; a Job counts
anything but the last two as still running, so ``wait()``, JobSet, the widgets' boards and the
progress bar treat an operation like any other job. The last status record is kept (``record``): a
claim's names the network it made.
"""

from __future__ import annotations

import re
from typing import Any

from .. import frames
from ..errors import MalformedResponseError
from ..jobs import Job

OPERATION_ID = re.compile(r"^[0-9a-fA-F]{32}$")


class OperationJob(Job):
    """A Job whose status is a v2-experimental operation's. ``record`` is the last status answer;
    ``network_id`` the network a succeeded claim made (else None)."""

    record: dict[str, Any] | None = None

    def _read_status(self) -> str:
        s = self._session
        path = f"/v2-experimental/operations/{s.alias}/status/{self.id}"
        what = f"read status of operation {self.id}"
        reply = s.transport.request("GET", path, what=what)
        data = reply.data
        if not isinstance(data, dict) or not isinstance(data.get("status"), str):
            message = s.transport.redactor.text(
                f"{what}: GET {path} answered {reply.status} without a status: {data!r}"
            )
            raise MalformedResponseError(message[:400], method="GET", path=path)
        self.record = data
        return data["status"]

    @property
    def network_id(self) -> str | None:
        """The id of the network a claim made, once it succeeded (its status links it)."""
        summary = (self.record or {}).get("summary")
        found = frames.link(summary.get("links") if isinstance(summary, dict) else None, "network")
        return str(found["id"]) if found and found.get("id") else None


def operation_job(session: Any, data: Any, kind: str, name: str, server_id: str | None = None) -> OperationJob:
    """The Job of an `{operationId, uri}` answer; MalformedResponseError when it has no operation id."""
    op_id = data.get("operationId") if isinstance(data, dict) else None
    if not isinstance(op_id, str) or not OPERATION_ID.fullmatch(op_id):
        raise session._malformed(f"{name}: the answer has no operation id: {data!r}")
    return OperationJob(session, op_id, kind=kind, server_id=server_id, name=name)
