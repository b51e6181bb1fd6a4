"""Request parsing and response shaping shared by the API routes and the control plane.

`endpoint()` turns the handlers of one path (`call -> body | Reply`, one per method) into a Starlette
endpoint: it reads the body (with a size cap), runs the handler in the sandbox's own thread pool
(SQLite work never blocks the event loop), authenticates first when asked (so a 401 comes before a
400), parses the body when the handler reads one, and turns `ApiProblem`s into answers. Anything
unexpected is logged and answered 500 with a JSON message, never a traceback. An observer, when
given, hears of every answered request (`Handled`: route, caller, status, body), so a feature that
follows what callers do (the classroom's progress) needs no call inside the rules.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from .common import Principal, Reply
from .errors import ApiProblem, BadRequest

log = logging.getLogger("clc_notebook.sandbox")

MAX_BODY_BYTES = 1024 * 1024
JSON_TYPE = "application/json; charset=utf-8"
NO_CACHE = {"Cache-Control": "no-cache", "Pragma": "no-cache", "Expires": "-1"}


def json_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> Response:
    """A JSON answer with the API's headers; `body=None` gives an empty body without a content type,
    `bytes` are JSON encoded already (a handler that assembles its answer from cached parts)."""
    all_headers = dict(NO_CACHE)
    all_headers.update(headers or {})
    if body is None:
        return Response(status_code=status, headers=all_headers)
    content = body if isinstance(body, bytes) else json.dumps(body, separators=(",", ":")).encode()
    return Response(content, status_code=status, media_type=JSON_TYPE, headers=all_headers)


@dataclass
class Call:
    """What a handler sees of one request."""

    method: str
    path: dict[str, str]
    query: dict[str, str]  # lower-cased names
    raw: bytes
    content_type: str
    authorization: str | None
    who: Principal | None = None
    base_url: str = ""  # scheme and host the client used ("http://127.0.0.1:8080"), for absolute hrefs
    _body: Any = field(default=None)
    _parsed: bool = False

    @property
    def body(self) -> Any:
        """The parsed body (parsed once, on first use); 400 if it is not valid JSON or form data."""
        if not self._parsed:
            self._body = parse_body(self.raw, self.content_type)
            self._parsed = True
        return self._body

    def flag(self, name: str) -> bool:
        """True when the query parameter `name` (any case) is true, 1 or yes."""
        return str(self.query.get(name.lower(), "")).strip().lower() in ("true", "1", "yes")


def parse_body(raw: bytes, content_type: str) -> Any:
    """JSON (any `*json*` content type, or none) or form-encoded; 400 naming the problem otherwise."""
    if not raw.strip():
        return None
    ctype = content_type.lower()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        message = "The request body is not valid UTF-8."
        raise BadRequest(message, {"body": [message]}) from None
    stripped = text.lstrip()
    # A body that starts like JSON is read as JSON even when labelled as a form (curl -d's default label).
    looks_json = stripped[:1] in ("{", "[", '"')
    if not looks_json and ("x-www-form-urlencoded" in ctype or ("json" not in ctype and "=" in stripped)):
        data: dict[str, Any] = {}
        for key, value in parse_qsl(text, keep_blank_values=True):
            if key in data:
                data[key] = (data[key] if isinstance(data[key], list) else [data[key]]) + [value]
            else:
                data[key] = value
        return data
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:
        detail = str(exc) if isinstance(exc, ValueError) else "The JSON is nested too deeply."
        raise BadRequest("The request body is not valid JSON.", {"body": [detail]}) from None


class BodyTooLarge(ApiProblem):
    status = 413

    def __init__(self) -> None:
        super().__init__({"message": f"The request body is too large (the limit is {MAX_BODY_BYTES} bytes)."})


async def read_body(request: Request) -> bytes:
    """Read the whole body, refusing (413) anything above MAX_BODY_BYTES."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise BodyTooLarge()
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise BodyTooLarge()
        chunks.append(chunk)
    return b"".join(chunks)


@dataclass(frozen=True)
class Handler:
    """What answers one method of one path."""

    run: Callable[[Call], Any]
    auth: bool = True  # authenticate first (401 before anything else)
    reads_body: bool = False  # parse the body before running (400 for a malformed body before a 403)


Authenticate = Callable[[str | None], Principal]


@dataclass(frozen=True)
class Handled:
    """One answered request, as an observer sees it (in the worker thread, after the handler)."""

    method: str
    route: str  # the path template, e.g. "/v2/servers/{alias}/{server}"
    path: str  # the request's path, without the query string
    call: Call  # `call.who` is the caller (None before authentication or without a token)
    status: int
    body: Any  # the answer's JSON: None when empty, bytes when the handler encoded it itself


Observer = Callable[[Handled], None]


def _tell(observe: Observer, handled: Handled) -> None:
    try:
        observe(handled)
    except Exception:  # an observer never changes an answer
        log.exception("observer failed on %s %s", handled.method, handled.route)


def endpoint(
    handlers: Mapping[str, Handler], authenticate: Authenticate, route: str = "", observe: Observer | None = None
) -> Callable[[Request], Awaitable[Response]]:
    """A Starlette endpoint for the path template `route`: dispatch on the method (HEAD runs GET),
    then auth, body, handler in the thread pool (`request.app.state.executor`), error answers;
    `observe` hears of every request a handler answered."""

    async def run(request: Request) -> Response:
        handler = handlers["GET" if request.method == "HEAD" else request.method]
        try:
            raw = await read_body(request)
            call = Call(
                request.method,
                dict(request.path_params),
                {k.lower(): v for k, v in request.query_params.items()},
                raw,
                request.headers.get("content-type", ""),
                request.headers.get("authorization"),
                base_url=str(request.base_url).rstrip("/"),
            )

            def answer() -> Any:
                if handler.auth:
                    call.who = authenticate(call.authorization)
                if handler.reads_body:
                    call.body  # noqa: B018 (parsed now: a malformed body is refused first)
                return handler.run(call)

            def work() -> Any:
                if observe is None:
                    return answer()
                path = request.url.path
                try:
                    result = answer()
                except ApiProblem as problem:
                    _tell(observe, Handled(request.method, route, path, call, problem.status, problem.body))
                    raise
                status, body = (result.status, result.body) if isinstance(result, Reply) else (200, result)
                _tell(observe, Handled(request.method, route, path, call, status, body))
                return result

            result = await asyncio.get_running_loop().run_in_executor(request.app.state.executor, work)
        except ApiProblem as problem:
            return json_response(problem.status, problem.body, problem.headers)
        except Exception:  # last resort: log the traceback, answer JSON without it
            log.exception("unexpected error in %s %s", request.method, request.url.path)
            return json_response(500, {"message": "An error has occurred."})
        if isinstance(result, Reply):
            return json_response(result.status, result.body, result.headers)
        return json_response(200, result)

    return run
