"""What a person typed into a form, remembered per session so re-running the cell keeps it.

Keyed by the Session object itself (weakly, so a closed session's values go away with it); a new
session starts blank. Secrets (passwords) are never stored here.
"""

from __future__ import annotations

import weakref

_by_session: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def recall(session, form: str) -> dict:
    """The last values remembered for `form` under `session` (a copy; empty when none)."""
    return dict(_by_session.get(session, {}).get(form, {}))


def remember(session, form: str, field: str, value) -> None:
    """Remember one field's value for `form` under `session`."""
    _by_session.setdefault(session, {}).setdefault(form, {})[field] = value


def forget(session=None) -> None:
    """Forget the values remembered for `session` (all sessions when None)."""
    if session is None:
        _by_session.clear()
    else:
        _by_session.pop(session, None)
