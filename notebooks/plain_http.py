"""The plain-HTTP half of notebook 01: send one API request with `requests` and print the exchange.

Nothing here uses clc_notebook: it is what a script without the client would do, shown so that each
step of the tutorial can be compared with the one-line client call next to it. Secrets never reach
the screen: passwords print as ``********`` and bearer tokens as their first 6 characters.
"""

from __future__ import annotations

import json
from typing import Any

import requests


def shown(key: str, value: Any) -> Any:
    """How a value may appear on screen: passwords never, tokens as their first 6 characters."""
    if key.lower() == "password":
        return "********"
    if key == "bearerToken" and value:
        return value[:6] + "…"
    return hidden(value)


def hidden(body: Any) -> Any:
    """A copy of a JSON body with its secrets replaced (see shown())."""
    if isinstance(body, dict):
        return {k: shown(k, v) for k, v in body.items()}
    if isinstance(body, list):
        return [hidden(v) for v in body]
    return body


def _indented(data: Any) -> str:
    return "    " + json.dumps(hidden(data), indent=2, ensure_ascii=False).replace("\n", "\n    ")


class PlainHttp:
    """A `requests.Session` on one API base URL that prints every exchange it makes."""

    def __init__(self, url: str):
        self.url = url
        self.session = requests.Session()
        self.session.headers["Content-Type"] = "application/json"  # the API expects JSON on every call
        self.session.headers["Accept"] = "application/json"
        self.token: str | None = None

    def use_token(self, token: str) -> None:
        """Send `Authorization: Bearer <token>` from now on (every call but the login needs it)."""
        self.token = token
        self.session.headers["Authorization"] = f"Bearer {token}"

    def call(self, method: str, path: str, body: Any = None, params: dict | None = None, keep=None) -> Any:
        """Send one API request, print the exchange and return the answer's JSON (None for an empty body).

        `keep` names the top-level fields worth printing; the others are counted, not shown.
        Raises requests.HTTPError for a 4xx/5xx answer, after printing it.
        """
        answer = self.session.request(method, self.url + path, json=body, params=params, timeout=30)
        query = "?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else ""
        print(f">>> {method} {path}{query}")
        if self.token:
            print(f"    Authorization: Bearer {self.token[:6]}…")
        if body is not None:
            print(_indented(body))
        print(f"<<< {answer.status_code} {answer.reason}")
        data = answer.json() if answer.content else None
        printed = data
        if keep and isinstance(data, dict):
            printed = {k: v for k, v in data.items() if k in keep}
            if len(printed) < len(data):
                more = len(data) - len(printed)
                printed["…"] = f"{more} more field" + ("s" if more > 1 else "")
        if printed is not None:
            print(_indented(printed))
        answer.raise_for_status()
        return data
