"""What the endpoint mixins share: the Session parts they call, and picking one item by id or name.

Each family of endpoints (networks, policies, ...) is a small mixin class of `Session` methods in its
own module; `Session` inherits them. They call the Session's plumbing (`_get`, `transport`, `_dc`,
`server`), declared here for the type checker only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ..errors import ApiError, ValidationError

if TYPE_CHECKING:
    from ..config import Settings
    from ..deadline import Deadline
    from ..errors import MalformedResponseError
    from ..records import Server
    from ..transport import Transport

HEX_ID = re.compile(r"^[0-9a-fA-F]{32}$")  # network and policy ids: used as they are, with no lookup
SHOWN = 12  # names listed in a "not found" message


class SessionParts:
    """The Session plumbing the mixins use (the real ones are Session's)."""

    if TYPE_CHECKING:
        alias: str | None
        location: str | None
        settings: Settings

        @property
        def transport(self) -> Transport: ...

        def _get(
            self,
            path: str,
            params: dict | None = None,
            what: str | None = None,
            *,
            deadline: Deadline | None = None,
            also_retry: tuple[int, ...] = (),
        ) -> Any: ...

        def _dc(self, dc: str | None) -> str: ...

        def _malformed(self, message: str) -> MalformedResponseError: ...

        def server(self, id_or_uuid: str) -> Server: ...


def problem(field: str, rule: str, kind: type[ApiError] = ValidationError) -> ApiError:
    """An error raised before anything is sent, shaped like the API's 400 (model_state names `field`)."""
    return kind(f"{field}: {rule}", status=None, model_state={field: [rule]})


def text_of(value: Any, field: str, what: str) -> str:
    """`value` as a non-empty string (a record gives its ``id``); ValidationError naming `field` else."""
    if isinstance(value, dict) and isinstance(value.get("id"), str):
        value = value["id"]
    if not isinstance(value, str) or not value.strip():
        raise problem(field, f"must be {what}; got {value!r}")
    return value.strip()


def pick(
    items: Iterable[tuple[str, str]], text: str, *, kind: str, where: str, field: str, missing: type[ApiError]
) -> str:
    """The id of the one item of (name, id) pairs that `text` names: by id, else by exact name, else by
    name in any case. Raises ValidationError when several fit, `missing` (listing the names) when none."""
    pairs = [(str(name), str(ident)) for name, ident in items]
    for _name, ident in pairs:
        if ident.lower() == text.lower():
            return ident
    found = [p for p in pairs if p[0] == text] or [p for p in pairs if p[0].casefold() == text.casefold()]
    if len(found) == 1:
        return found[0][1]
    if found:
        listed = "; ".join(f"{name} (id {ident})" for name, ident in found)
        raise problem(field, f"{len(found)} {kind}s in {where} are called {text!r}: {listed}; pass the id")
    names = [name for name, _ in pairs]
    shown = ", ".join(names[:SHOWN]) + (f", … ({len(names) - SHOWN} more)" if len(names) > SHOWN else "")
    raise problem(field, f"no {kind} named {text!r} in {where} (there are: {shown or 'none'})", missing)
