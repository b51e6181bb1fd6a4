"""HTTP for one Session: auth header, retries, timeouts, re-login, error mapping, redaction, history.

Retry policy: one rule (``should_retry`` and ``retry_delay`` below), applied by one loop
(``Transport._send``). urllib3 retries nothing (the adapter has ``max_retries=0``), so every HTTP
attempt is one row of the history, numbered exactly by its ``attempt`` column.

* A call is sent at most ``Settings.retries + 1`` times.
* Idempotent calls (GET, HEAD, OPTIONS, and calls marked ``repeatable``: login, a PATCH of sync
  members) are sent again on 429/502/503/504, on a connection that could not be opened, and on a lost,
  cut or timed-out answer. A caller may name more statuses for one call (``also_retry``): a job
  status read adds 500 (a status is never guessed, and a read changes nothing), the uuid lookup of a
  server just built adds 404 (CLC answers 404 there for a short while).
* Every other call (POST, PUT, PATCH, DELETE) is sent again only when it certainly was not
  processed: the connection could not be opened, or the API answered 429 or 503 (it declined to
  handle it). In CLC, PUT, PATCH and DELETE are idempotent for the resource but not for the job
  ledger: re-sending an async PATCH queues a second job the caller never hears of, and a re-sent
  DELETE answers 400 because the server is already queued for deletion. So when such an answer is
  lost the transport raises ``TransportError(sent=None)`` and the Session decides (reconcile.py).
* The pause before a re-send is the answer's ``Retry-After`` (capped at 30 s) when it has one, else
  an exponential back-off from ``Settings.backoff`` up to ``Settings.backoff_max``, with jitter.
* A ``deadline`` (deadline.py) bounds the whole call: each attempt's (connect, read) timeout is cut
  to the time left, and when the pause before the next attempt would end past the deadline, no
  attempt is started: the call sleeps until the deadline and raises the last error. A call with a
  deadline thus answers, or gives up at the deadline (earlier only when its retries ran out).
* A 401 triggers one new login (when a username and password are known) and one re-send: a 401
  means the request was not processed, so this holds for every method.
"""

from __future__ import annotations

import contextlib
import json as jsonlib
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, NewConnectionError, ReadTimeoutError

from ._version import __version__
from .config import Settings
from .deadline import MIN_ATTEMPT, NO_DEADLINE, Deadline
from .errors import (
    ApiError,
    AuthenticationError,
    ClcTimeoutError,
    MalformedResponseError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    TransportError,
    ValidationError,
)

log = logging.getLogger("clc_notebook")

USER_AGENT = f"clc_notebook/{__version__} python-requests/{requests.__version__}"
LOGIN_PATH = "/v2/authentication/login"
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
NOT_PROCESSED = frozenset({429, 503})
RETRY_STATUSES = frozenset({429, 502, 503, 504})
RETRY_AFTER_CAP = 30.0
HISTORY_SIZE = 100_000
SECRET_PARAMS = ("password", "passwd", "token", "secret", "bearer")
MASK = "***"


def should_retry(
    method: str, *, repeatable: bool, status: int | None, sent: bool | None = None, also_retry: Collection[int] = ()
) -> bool:
    """Whether a call may be sent again after one attempt's outcome (the rule of the module docstring).

    `status` is the answer's status, or None when no answer came (then `sent` is False when the
    request certainly never left: the connection could not be opened).
    """
    idempotent = method in SAFE or repeatable
    if status is None:
        return sent is False or idempotent
    if status in NOT_PROCESSED:
        return True
    return idempotent and (status in RETRY_STATUSES or status in also_retry)


def retry_delay(attempt: int, settings: Settings, retry_after: str | None = None) -> float:
    """Seconds to pause after attempt number `attempt` (1 = the first send) before the next one.

    The answer's Retry-After in seconds when given (capped at RETRY_AFTER_CAP), else exponential
    back-off from `settings.backoff` up to `settings.backoff_max`, jittered to between half and all
    of it (clients that failed together do not come back together).
    """
    if retry_after is not None:
        with contextlib.suppress(ValueError):  # an HTTP-date Retry-After keeps the back-off
            return max(0.0, min(float(retry_after), RETRY_AFTER_CAP))
    delay = min(settings.backoff * (2 ** (attempt - 1)), settings.backoff_max)
    return delay * random.uniform(0.5, 1.0)


class Redactor:
    """Replaces every known secret (passwords, tokens) in a text or JSON value with ``***``."""

    def __init__(self):
        self._secrets: set[str] = set()
        self._lock = threading.Lock()

    def add(self, *secrets: str | None) -> None:
        with self._lock:
            # very short strings would mangle ordinary words; CLC passwords are longer anyway
            self._secrets.update(s for s in secrets if isinstance(s, str) and len(s) >= 4)

    def text(self, value: Any) -> str:
        text = value if isinstance(value, str) else str(value)
        for secret in sorted(self._secrets, key=len, reverse=True):
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def value(self, value: Any) -> Any:
        """A copy of a JSON value with secrets masked (and secret-named keys masked outright)."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, dict):
            return {k: (MASK if _secret_key(k) and v not in (None, "") else self.value(v)) for k, v in value.items()}
        return value


def _secret_key(key: Any) -> bool:
    low = str(key).lower()
    return any(word in low for word in SECRET_PARAMS)


def _query(params: dict | None) -> str:
    if not params:
        return ""
    safe = {k: (MASK if _secret_key(k) else v) for k, v in params.items() if v is not None}
    return "?" + urlencode(safe) if safe else ""


@dataclass
class Reply:
    """A successful answer: status, parsed JSON body (None when empty) and headers."""

    status: int
    data: Any
    headers: Any


@dataclass(frozen=True)
class _Call:
    """What one request() asked for, as _send needs it for every attempt."""

    method: str
    path: str
    body: bytes | None
    params: dict | None
    auth: bool
    repeatable: bool
    what: str | None
    deadline: Deadline
    also_retry: frozenset[int]


class Transport:
    """Sends API calls for one account. Holds the only copy of the bearer token."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.base_url = settings.url.rstrip("/")
        self.redactor = Redactor()
        self.redactor.add(settings.password, settings.token)
        self._token = settings.token
        self._login_lock = threading.Lock()
        self._history: deque = deque(maxlen=HISTORY_SIZE)
        self.calls = 0  # HTTP attempts sent, retries included (history keeps the last 100,000 of them)
        self.login_info: dict = {}
        self.http = requests.Session()
        self.http.verify = settings.verify
        self.http.headers.update(
            {
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
                "Content-Type": "application/json",
            }
        )
        # urllib3 retries nothing: the one retry loop is _send's, so the history counts every attempt
        adapter = HTTPAdapter(max_retries=0, pool_maxsize=8)
        self.http.mount("http://", adapter)
        self.http.mount("https://", adapter)

    def __repr__(self) -> str:
        return f"<Transport {self.base_url} user={self.settings.username!r}>"

    # -- login ---------------------------------------------------------------------------------

    @property
    def authenticated(self) -> bool:
        return self._token is not None

    def login(self, deadline: Deadline | None = None) -> dict:
        """Log in with the username and password; returns the login answer without the token.

        Raises AuthenticationError when the API refuses the credentials.
        """
        s = self.settings
        with self._login_lock:
            reply = self.request(
                "POST",
                LOGIN_PATH,
                json={"username": s.username, "password": s.password},
                auth=False,
                repeatable=True,
                what=f"log in as {s.username!r}",
                deadline=deadline,
            )
            data = reply.data if isinstance(reply.data, dict) else {}
            token = data.get("bearerToken")
            if not token:
                raise MalformedResponseError(
                    f"log in as {s.username!r}: POST {LOGIN_PATH} answered {reply.status} without a bearerToken",
                    method="POST",
                    path=LOGIN_PATH,
                )
            self.redactor.add(token)
            self._token = token
            self.login_info = {k: v for k, v in data.items() if k != "bearerToken"}
            return self.login_info

    # -- requests ------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict | None = None,
        auth: bool = True,
        repeatable: bool = False,
        what: str | None = None,
        deadline: Deadline | None = None,
        also_retry: Collection[int] = (),
    ) -> Reply:
        """Send one API call; returns a Reply for a 2xx answer.

        `repeatable` marks a call that may be sent again without harm after a lost answer (login,
        a PATCH of sync members); `also_retry` names more statuses worth another attempt for this
        call; `deadline` bounds the whole call, retries included (module docstring). Raises the
        ApiError subclass matching the status, TransportError / ClcTimeoutError when no answer came
        (also when the deadline passed first), and MalformedResponseError for a 2xx whose body is
        not JSON.
        """
        method = method.upper()
        if not path.startswith("/"):
            path = "/" + path
        body = _encode(json, what)  # before anything is sent: a bad value never leaves the machine
        call = _Call(method, path, body, params, auth, repeatable, what, deadline or NO_DEADLINE, frozenset(also_retry))
        relogged = False
        while True:
            token_used = self._token
            resp = self._send(call)
            if resp.status_code == 401 and auth and not relogged and self.settings.has_credentials:
                relogged = True
                with self._login_lock:
                    stale = self._token == token_used
                if stale:  # another thread may have logged in meanwhile
                    log.info("clc_notebook: token refused (401), logging in again")
                    self.login(deadline)
                continue
            return self._reply(resp, method, path, params, what)

    def _send(self, call: _Call) -> requests.Response:
        """One call, with the re-sends `should_retry` allows; one history row per attempt."""
        url = self.base_url + call.path
        shown = call.path + _query(call.params)
        attempt = 0
        while True:
            attempt += 1
            if call.deadline.expired():
                head = f"{call.what}: " if call.what else ""
                raise ClcTimeoutError(
                    self.redactor.text(
                        f"{head}{call.method} {shown}: not sent, the deadline of {call.deadline.timeout:g} s has passed"
                    ),
                    method=call.method,
                    path=shown,
                    sent=False,
                )
            timeout = call.deadline.limit(self.settings.timeout)
            headers = {}
            if call.auth and self._token:
                headers["Authorization"] = f"Bearer {self._token}"
            started = time.monotonic()
            try:
                resp = self.http.request(
                    call.method,
                    url,
                    data=call.body,
                    params=call.params,
                    headers=headers,
                    timeout=timeout,
                    allow_redirects=False,
                )
            except requests.RequestException as exc:
                ms = (time.monotonic() - started) * 1000
                sent = _sent(exc)
                error = self._transport_error(exc, call.method, shown, call.what, sent, timeout)
                self._record(call.method, shown, None, ms, attempt, str(error))
                again = should_retry(call.method, repeatable=call.repeatable, status=None, sent=sent)
                if not self._pause_before_retry(call, attempt, again, None):
                    raise error from None
                continue
            ms = (time.monotonic() - started) * 1000
            self._record(call.method, shown, resp.status_code, ms, attempt, None)
            log.debug("%s %s -> %s (%.0f ms)", call.method, shown, resp.status_code, ms)
            again = should_retry(
                call.method, repeatable=call.repeatable, status=resp.status_code, also_retry=call.also_retry
            )
            if not self._pause_before_retry(call, attempt, again, resp.headers.get("Retry-After")):
                return resp

    def _pause_before_retry(self, call: _Call, attempt: int, wanted: bool, retry_after: str | None) -> bool:
        """Sleep before the next attempt and return True, or return False: no retry is wanted, the
        retries are used up, or the pause would end past the deadline (then sleep until it)."""
        if not wanted or attempt > self.settings.retries:
            return False
        delay = retry_delay(attempt, self.settings, retry_after)
        left = call.deadline.remaining()
        if left is not None and delay + MIN_ATTEMPT >= left:
            call.deadline.sleep(left)  # no attempt can start in time: give up at the deadline, not before
            return False
        if delay > 0:
            time.sleep(delay)
        return True

    def _record(self, method: str, path: str, status: int | None, ms: float, attempt: int, error: str | None) -> None:
        self.calls += 1
        self._history.append(
            {
                "time": time.time(),
                "method": method,
                "path": self.redactor.text(path),
                "status": status,
                "ms": round(ms, 2),
                "attempt": attempt,
                "error": self.redactor.text(error) if error else None,
            }
        )

    def history_records(self) -> list[dict]:
        return list(self._history)

    # -- answers -------------------------------------------------------------------------------

    def _reply(self, resp: requests.Response, method: str, path: str, params, what) -> Reply:
        shown = path + _query(params)
        data, text = self._parse(resp)
        if 200 <= resp.status_code < 300:
            if data is _INVALID:
                raise MalformedResponseError(
                    f"{what or 'request'}: {method} {shown} answered {resp.status_code} with a body "
                    f"that is not JSON: {self.redactor.text(_snippet(text))!r}",
                    method=method,
                    path=shown,
                    sent=True,
                )
            return Reply(resp.status_code, data, resp.headers)
        raise self.api_error(resp.status_code, data, text, method, shown, what, reason=resp.reason)

    @staticmethod
    def _parse(resp: requests.Response):
        text = resp.text if resp.content else ""
        if not text.strip():
            return None, ""
        try:
            return jsonlib.loads(text), text
        except ValueError:
            return _INVALID, text

    def api_error(
        self, status: int, data: Any, text: str, method: str, path: str, what: str | None, reason: str | None = None
    ) -> ApiError:
        """Build the ApiError subclass for an error answer, with a redacted, readable message."""
        message, model_state = _error_fields(data, text)
        message = self.redactor.text(message)
        model_state = self.redactor.value(model_state)
        body = self.redactor.value(data) if data is not _INVALID else self.redactor.text(_snippet(text))
        head = f"{what}: " if what else ""
        summary = f"{head}{method} {path} answered {status}"
        if reason:
            summary += f" {reason}"
        summary += f": {message}" if message else " (empty body)"
        if model_state:
            details = "; ".join(f"{k or '(request)'}: {' '.join(map(str, v))}" for k, v in model_state.items())
            summary += f" [{details}]"
        cls = _error_class(status, path)
        return cls(
            message or (reason or ""),
            status=status,
            model_state=model_state,
            method=method,
            path=path,
            body=body,
            summary=summary,
        )

    def _transport_error(
        self, exc: Exception, method: str, path: str, what: str | None, sent: bool | None, timeout: tuple[float, float]
    ) -> TransportError:
        head = f"{what}: " if what else ""
        if _is_timeout(exc):
            stage = "connect" if isinstance(exc, requests.exceptions.ConnectTimeout) else "answer"
            index = 0 if stage == "connect" else 1
            cut = " (cut to the deadline)" if timeout[index] < self.settings.timeout[index] else ""
            msg = f"{head}{method} {path}: no {stage} within {timeout[index]:.3g} s{cut} at {self.base_url}" + (
                "" if sent is False else "; the request may have been applied"
            )
            return ClcTimeoutError(self.redactor.text(msg), method=method, path=path, sent=sent)
        if isinstance(exc, requests.exceptions.SSLError):
            msg = f"{head}{method} {path}: TLS verification failed for {self.base_url}: {_root(exc)}"
        elif sent is False:
            msg = f"{head}{method} {path}: cannot connect to {self.base_url}: {_root(exc)}"
        else:
            msg = (
                f"{head}{method} {path}: the connection to {self.base_url} broke before a "
                f"complete answer ({_root(exc)}); the request may have been applied"
            )
        return TransportError(self.redactor.text(msg), method=method, path=path, sent=sent)

    def close(self) -> None:
        self.http.close()


_INVALID = object()
JSON_SCALARS = (str, int, bool, type(None))


def _encode(value: Any, what: str | None) -> bytes | None:
    """The JSON body as bytes (None for no body), as requests' ``json=`` would encode it.

    Raises ValidationError (status None) naming the field when a value cannot be sent as JSON
    (nan, inf, or an object JSON has no form for), instead of a failure inside requests.
    """
    if value is None:
        return None
    try:
        return jsonlib.dumps(value, allow_nan=False).encode("utf-8")
    except (ValueError, TypeError):
        field, rule = _unsendable(value, "") or ("body", "cannot be sent as JSON")
        head = f"{what}: " if what else ""
        raise ValidationError(f"{head}{field}: {rule}", status=None, model_state={field: [rule]}) from None


def _unsendable(value: Any, where: str) -> tuple[str, str] | None:
    """(field, rule) of the first value JSON cannot carry, or None. A PATCH operation
    ``{"member": m, "value": v}`` is named by its member."""
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return where or "body", f"must be a finite number, got {value!r} (JSON has no {value!r})"
        return None
    if isinstance(value, JSON_SCALARS):
        return None
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, (str, int, float, bool, type(None))):
                return where or "body", f"has a key JSON cannot carry: {type(key).__name__}"
            named = (
                value["member"]
                if key == "value" and isinstance(value.get("member"), str)
                else (f"{where}.{key}" if where else str(key))
            )
            found = _unsendable(item, named)
            if found:
                return found
        return None
    if isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            found = _unsendable(item, f"{where}[{i}]" if where else f"[{i}]")
            if found:
                return found
        return None
    return where or "body", f"cannot be sent as JSON (a {type(value).__name__})"


def _snippet(text: str, n: int = 200) -> str:
    return text if len(text) <= n else text[:n] + "..."


def _error_fields(data: Any, text: str) -> tuple[str, dict]:
    """The message and modelState of any error body shape CLC used (dict, bare string, list)."""
    if data is _INVALID:
        return _snippet(text.strip()), {}
    if data is None:
        return "", {}
    if isinstance(data, str):
        return data, {}
    if isinstance(data, list):  # per-item results answered with 400
        msgs = [
            f"{i.get('server')}: {i.get('errorMessage')}" for i in data if isinstance(i, dict) and i.get("errorMessage")
        ]
        return "; ".join(msgs) or _snippet(text), {}
    if isinstance(data, dict):
        lower = {str(k).lower(): v for k, v in data.items()}
        message = lower.get("message") or lower.get("error") or lower.get("errormessage") or ""
        model_state = lower.get("modelstate") or {}
        if not isinstance(model_state, dict):
            model_state = {"": model_state}
        model_state = {k: (v if isinstance(v, list) else [v]) for k, v in model_state.items()}
        if lower.get("validationmessages"):
            model_state.setdefault("", []).extend(
                v if isinstance(v, str) else str(v) for v in lower["validationmessages"]
            )
        return str(message), model_state
    return str(data), {}


def _error_class(status: int, path: str) -> type[ApiError]:
    if status == 400 and path.lower().startswith(LOGIN_PATH):
        return AuthenticationError
    return {
        400: ValidationError,
        401: AuthenticationError,
        403: PermissionDeniedError,
        404: NotFoundError,
        429: RateLimitError,
    }.get(status, ServerError if status >= 500 else ApiError)


def _chain(exc: BaseException):
    seen = set()
    stack: list[BaseException | None] = [exc]
    while stack:
        e = stack.pop()
        if e is None or id(e) in seen:
            continue
        seen.add(id(e))
        yield e
        stack.extend(a for a in getattr(e, "args", ()) if isinstance(a, BaseException))
        stack.append(getattr(e, "reason", None))
        stack.append(e.__cause__)
        stack.append(e.__context__)


def _is_timeout(exc) -> bool:
    return isinstance(exc, requests.exceptions.Timeout) or any(isinstance(e, ReadTimeoutError) for e in _chain(exc))


def _sent(exc) -> bool | None:
    """False when the request certainly never left (connection not opened), else None."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return False
    if isinstance(exc, requests.exceptions.ConnectionError) and any(
        isinstance(e, (NewConnectionError, ConnectTimeoutError, ConnectionRefusedError)) for e in _chain(exc)
    ):
        return False
    return None


def _root(exc) -> str:
    """The innermost readable cause of a requests exception (no URL noise)."""
    last = exc
    for e in _chain(exc):
        last = e
    text = str(last) or type(last).__name__
    return text[:200]
