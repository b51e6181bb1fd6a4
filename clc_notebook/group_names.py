"""Groups named the way people name them: by id, by name, or by path ("WA1 Hardware/Default Group").

The Session looks the group tree up (``Session.groups``); this module only reads a reference and picks
the one group it means from that tree, so every method that takes a group resolves it the same way.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from .errors import ApiError, ValidationError

GROUP_ID = re.compile(r"^[0-9a-fA-F]{32}$")  # every CLC group id: used as it is, with no lookup
EXAMPLE = "'WA1 Hardware/Default Group'"
SHOWN = 12  # groups listed in a "not found" message before "… (N more)"


def reference(group: Any, field: str) -> str:
    """The reference as text: a Group record gives its id. Raises ValidationError naming `field`
    for anything that is not a non-empty string."""
    if isinstance(group, dict) and isinstance(group.get("id"), str):
        group = group["id"]
    if not isinstance(group, str) or not group.strip():
        rule = f"must be a group id, a group name or a path such as {EXAMPLE}; got {group!r}"
        raise ValidationError(f"{field}: {rule}", status=None, model_state={field: [rule]})
    return group.strip()


def is_id(text: str) -> bool:
    return bool(GROUP_ID.fullmatch(text))


def is_path(text: str) -> bool:
    return "/" in text


def pick(groups: pd.DataFrame, text: str, *, where: str, field: str, missing: type[ApiError]) -> str:
    """The id of the one group of `groups` (a frames.GROUPS frame) that `text` names.

    A path is compared with the ``path`` column (spaces around "/" ignored), a name with ``name`` (and
    with ``id``, for ids of another form); an exact match wins, else one that differs only in case.
    Raises ValidationError when several groups fit (each listed with its path and id), `missing`
    when none does (the groups of `where` listed, and how else to name one).
    """
    by_path = is_path(text)
    column, wanted = ("path", "/".join(part.strip() for part in text.split("/"))) if by_path else ("name", text)
    values = groups[column].astype(str)
    found = groups[(groups["id"] == text) | (values == wanted)]
    if found.empty:
        found = groups[values.str.casefold() == wanted.casefold()]
    if len(found) == 1:
        return str(found["id"].iloc[0])
    if len(found) > 1:
        candidates = "; ".join(f"{p} (id {i})" for p, i in zip(found["path"], found["id"], strict=True))
        rule = f"{len(found)} groups in {where} are called {text!r}: {candidates}; pass the path or the id"
        raise ValidationError(f"{field}: {rule}", status=None, model_state={field: [rule]})
    paths = list(groups["path"].astype(str))
    listed = ", ".join(paths[:SHOWN]) + (f", … ({len(paths) - SHOWN} more)" if len(paths) > SHOWN else "")
    rule = (
        f"no group {'with the path' if by_path else 'named'} {text!r} in {where} (its groups: {listed or 'none'}); "
        f"pass a group id, a name or a path such as {EXAMPLE}"
        + ("" if by_path else ", or the path for a group of another data center")
    )
    raise missing(f"{field}: {rule}", status=None, model_state={field: [rule]})
