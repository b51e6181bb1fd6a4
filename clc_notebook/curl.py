"""The request history as curl commands: what `Session.curl()` answers.

One command per row of the history (every HTTP attempt, in order), written so that a shell can run it
as is once two variables are set: ``CLC_TOKEN`` (a bearer token) and, for the login,
``CLC_V2_API_PASSWD``. No secret is ever written: the history keeps request bodies with every secret
masked (``***``), and a mask becomes a shell variable here: ``$CLC_V2_API_PASSWD`` in the login
body, ``$CLC_SERVER_CURRENT_PASSWORD`` for the ``current`` member of a server's password change, and
``$CLC_SERVER_PASSWORD`` for any other (a server's new password, or the one a build sets).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable

from .config import ENV_PASSWORD, ENV_SERVER_CURRENT_PASSWORD, ENV_SERVER_PASSWORD

MASK = "***"  # what transport.Redactor writes in place of a secret
LOGIN_PATH = "/v2/authentication/login"
TOKEN_VARIABLE = "CLC_TOKEN"
LOGIN_PASSWORD_VARIABLE = ENV_PASSWORD
SERVER_PASSWORD_VARIABLE = ENV_SERVER_PASSWORD
CURRENT_PASSWORD_VARIABLE = ENV_SERVER_CURRENT_PASSWORD
# a mask that is the value of a "current" member (Update Server's {"current": ..., "password": ...})
CURRENT_MEMBER = re.compile(r'"current"\s*:\s*"$')


def commands(history: Iterable[dict], base_url: str) -> list[str]:
    """One curl command line per history row (``method``, ``path`` with its query, ``body``, ``auth``).

    `base_url` starts every URL; a shell variable (``"$CLC_V2_API_URL"``) is written for the shell to
    expand."""
    return [command(row, base_url) for row in history]


def command(row: dict, base_url: str) -> str:
    """The curl command line of one history row."""
    method, path, body = str(row["method"]), str(row["path"]), row.get("body")
    parts = ["curl", "-sS"]
    if method != "GET":
        parts += ["-X", method]
    if base_url.startswith("$"):
        parts.append(f'"{base_url.rstrip("/")}"{shlex.quote(path)}')
    else:
        parts.append(shlex.quote(base_url.rstrip("/") + path))
    parts += ["-H", shlex.quote("Accept: application/json")]
    if row.get("auth", True):
        parts += ["-H", f'"Authorization: Bearer ${TOKEN_VARIABLE}"']
    if body is not None:
        secret = LOGIN_PASSWORD_VARIABLE if path.lower().startswith(LOGIN_PATH) else SERVER_PASSWORD_VARIABLE
        parts += ["-H", shlex.quote("Content-Type: application/json"), "--data", _quoted(body, secret)]
    return " ".join(parts)


def _quoted(body: str, variable: str) -> str:
    """`body` as one shell word: single-quoted text, with each masked secret replaced by ``"$variable"``
    (``"$CLC_SERVER_CURRENT_PASSWORD"`` where it is a ``current`` member), expanded by the shell, so
    the secret itself is never written."""
    pieces = body.split(MASK)
    word = shlex.quote(pieces[0]) if pieces[0] else ""
    for before, piece in zip(pieces, pieces[1:], strict=False):
        secret = CURRENT_PASSWORD_VARIABLE if CURRENT_MEMBER.search(before) else variable
        word += f'"${secret}"' + (shlex.quote(piece) if piece else "")
    return word
