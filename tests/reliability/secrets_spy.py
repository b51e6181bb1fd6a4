"""Collects every secret that crosses the wire (passwords sent to login, bearer tokens issued or
sent) by wrapping `requests.Session.send` -- the real call still happens -- and searches texts for them."""

from __future__ import annotations

import contextlib
import json

import requests

DEMO_PASSWORD = "mypassword"


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
