"""What a person typed into a form, remembered per session so re-running the cell keeps it.

Keyed by the Session object itself (weakly, so a closed session's values go away with it); a new
session starts blank. Secrets (passwords) are never stored here.
"""

from __future__ import annotations

import weakref

_by_session: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_by_id: dict = {}  # fallback for session objects that cannot be weakly referenced


def _slot(session, form: str, create: bool):
    try:
        forms = _by_session.get(session)
        if forms is None and create:
            forms = _by_session[session] = {}
    except TypeError:
        key = id(session)
        forms = _by_id.get(key)
        if forms is None and create:
            forms = _by_id[key] = {}
    if forms is None:
        return None
    if form not in forms and create:
        forms[form] = {}
    return forms.get(form)


def recall(session, form: str) -> dict:
    """The last values remembered for `form` under `session` (a copy; empty when none)."""
    slot = _slot(session, form, create=False)
    return dict(slot or {})


def remember(session, form: str, field: str, value) -> None:
    """Remember one field's value for `form` under `session`."""
    _slot(session, form, create=True)[field] = value


def forget(session=None) -> None:
    """Forget the values remembered for `session` (all sessions when None)."""
    if session is None:
        _by_session.clear()
        _by_id.clear()
        return
    try:
        _by_session.pop(session, None)
    except TypeError:
        _by_id.pop(id(session), None)
