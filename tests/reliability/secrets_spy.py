"""Collects every secret that crosses the wire (passwords sent to login, bearer tokens issued or
sent) by wrapping `requests.Session.send` -- the real call still happens -- and searches texts for them."""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path

import requests

DEMO_PASSWORD = "mypassword"
# what a bearer token looks like in text: a JWT, or the header/JSON key followed by a long value
TOKEN_SHAPES = [
    re.compile(r"eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"),
    re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{64}(?![A-Za-z0-9_-])"),  # an opaque 64-character token
    re.compile(r"Bearer\s+(?!\*\*\*)[A-Za-z0-9._~+/=-]{16,}"),
    re.compile(r'"?bearerToken"?\s*[:=]\s*"?(?!\*\*\*)[A-Za-z0-9._~+/=-]{16,}'),
]


def assert_no_secret(secrets: set[str], text: str, where: str) -> None:
    """Fail naming `where` if any secret occurs in `text` (the secret itself is not printed)."""
    for secret in secrets:
        if secret and secret in text:
            i = text.index(secret)
            context = text[max(0, i - 60) : i] + "<SECRET>" + text[i + len(secret) : i + len(secret) + 20]
            raise AssertionError(f"a secret ({len(secret)} chars) appears in {where}: ...{context}...")


class SecretSpy:
    def __init__(self, monkeypatch):
        self.tokens: set[str] = set()
        self.passwords: set[str] = {DEMO_PASSWORD}
        real_send = requests.Session.send
        spy = self

        def send(session, request, **kwargs):
            auth = request.headers.get("Authorization", "")
            if auth.lower().startswith("bearer ") and len(auth) > 12:
                spy.tokens.add(auth[7:].strip())
            if request.body and "authentication/login" in request.url:
                with contextlib.suppress(ValueError, KeyError, TypeError):
                    spy.passwords.add(json.loads(request.body)["password"])
            response = real_send(session, request, **kwargs)
            if "authentication/login" in request.url and response.status_code == 200:
                with contextlib.suppress(ValueError, KeyError, TypeError):
                    spy.tokens.add(response.json()["bearerToken"])
            return response

        monkeypatch.setattr(requests.Session, "send", send)

    @property
    def secrets(self) -> set[str]:
        return {s for s in self.tokens | self.passwords if s}

    def check_texts(self, texts, where: str) -> None:
        for text in texts:
            assert_no_secret(self.secrets, text, where)

    def collect_sessions(self, sessions) -> None:
        """Search each session's history, repr and HTML repr."""
        for s in sessions:
            history = s.history
            self.check_texts(
                [history.to_csv(), repr(history), json.dumps(history.attrs, default=str)], "session.history"
            )
            self.check_texts(
                [repr(s), str(s), repr(getattr(s, "settings", "")), repr(getattr(s, "sandbox", ""))],
                "session / settings / sandbox repr",
            )
            html = getattr(s, "_repr_html_", None)
            if html:
                self.check_texts([html()], "session HTML repr")
            transport = getattr(s, "transport", None)
            if transport is not None:
                self.check_texts([repr(transport), str(transport)], "transport repr")


def output_texts(outputs: list) -> list[str]:
    """Notebook outputs as text (images left out: base64 is not where a token would hide)."""
    texts = []
    for output in outputs:
        output = dict(output)
        if isinstance(output.get("data"), dict):
            output["data"] = {k: v for k, v in output["data"].items() if not k.startswith("image/")}
        texts.append(json.dumps(output, ensure_ascii=False))
    return texts


def assert_outputs_clean(outputs: list, secrets: set[str], where: str) -> None:
    """Fail if a notebook output holds one of `secrets`, the demo password or a token-shaped text."""
    for text in output_texts(outputs):
        assert_no_secret(secrets | {DEMO_PASSWORD}, text, where)
        for shape in TOKEN_SHAPES:
            assert not shape.search(text), f"something shaped like a bearer token is in {where}"


# The notebooks' kernels run this at start-up (a private IPython profile's startup script): it records
# every token their client sends or receives (the real calls still happen), so that the outputs can be
# searched for exactly those.
KERNEL_TOKEN_SPY = """
import os as _o, requests as _r
_real = _r.Session.send
def _spy(self, request, **kw):
    resp = _real(self, request, **kw)
    found = []
    auth = request.headers.get("Authorization", "")
    if auth.lower().startswith("bearer "):
        found.append(auth[7:].strip())
    if "authentication/login" in request.url and resp.status_code == 200:
        found.append(resp.json().get("bearerToken", ""))
    with open(_o.environ["CLC_TOKEN_SPY"], "a") as f:
        f.writelines(t + "\\n" for t in found if t)
    return resp
_r.Session.send = _spy
"""


def kernel_spy(folder: Path) -> tuple[Path, dict[str, str]]:
    """A private IPython profile in `folder` whose start-up script is KERNEL_TOKEN_SPY: returns the file
    the tokens are written to and the environment under which a kernel started runs the spy."""
    startup = folder / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    (startup / "00-token-spy.py").write_text(KERNEL_TOKEN_SPY)
    tokens = folder / "tokens.txt"
    tokens.touch()
    return tokens, {"IPYTHONDIR": str(folder), "CLC_TOKEN_SPY": str(tokens)}
