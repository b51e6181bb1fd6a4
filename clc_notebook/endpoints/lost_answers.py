"""Synchronous changes whose answer was lost (load balancers, firewall policies): never guessed.

A create is looked for in what the account shows (the caller lists before and after); a DELETE is
sent again, and the second one's 404 says the first one did it.
"""

from __future__ import annotations

from typing import Any

from .. import reconcile
from ..errors import ClcError, NotFoundError, ServerError, TransportError

LOST = (TransportError, ServerError)  # what a call whose answer may be lost raises


def maybe_applied(exc: ClcError) -> bool:
    """True when a call may have been processed although its answer did not come back."""
    return reconcile.maybe_applied(exc)  # the one rule, kept with the client's other reconciliation


def delete(session: Any, path: str, what: str) -> None:
    """DELETE `path`; after a lost answer, DELETE again (a 404 then means the first one did it)."""
    try:
        session.transport.request("DELETE", path, what=what)
    except LOST as exc:
        if not maybe_applied(exc):
            raise
        try:
            session.transport.request("DELETE", path, what=f"{what} (again: the first answer was lost)")
        except NotFoundError:
            return
