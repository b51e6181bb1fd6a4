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
from typing import Any, Protocol, cast

from .. import frames
from ..deadline import Deadline
from ..jobs import Job

OPERATION_ID = re.compile(r"^[0-9a-fA-F]{32}$")


class OperationSource(Protocol):
    """What an OperationJob reads its status with (`Session.operation_status`)."""

    def operation_status(self, operation_id: str, *, deadline: Deadline | None = None) -> dict: ...


class OperationJob(Job):
    """A Job whose status is a v2-experimental operation's. ``record`` is the last status answer;
    ``network_id`` the network a succeeded claim made (else None)."""

    record: dict[str, Any] | None = None

    def _read_status(self, deadline: Deadline | None) -> str:
        source = cast(OperationSource, self._session)
        self.record = source.operation_status(str(self.id), deadline=deadline)
        return str(self.record["status"])

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
