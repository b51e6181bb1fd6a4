"""The route table and the ASGI app around it: every resource's `@route`s (resources/) and the control
plane's, one Starlette route per path; fault injection, case-insensitive path words, the request log.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from concurrent.futures import Executor
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .backend import Backend
from .classroom import Classroom
from .clock import JobClock
from .control import ControlPlane
from .errors import NOT_FOUND_MESSAGE
from .faults import FaultMiddleware, Faults
from .handling import Authenticate, Handler, Observer, endpoint, json_response
from .registry import RouteSpec, route_specs, routes_of
from .resources import RESOURCES

log = logging.getLogger("clc_notebook.sandbox")

# The API's route table, read from the resource classes (tests walk it; so does the running app's).
API_ROUTES: list[RouteSpec] = route_specs(RESOURCES)


def starlette_routes(
    owners: Iterable[object],
    authenticate: Authenticate,
    observe: Observer | None = None,
    *,
    everyone_authenticates: bool = False,
) -> list[Route]:
    """One Starlette route per path template over the `@route`s of these objects (so a 405's Allow
    header lists every method of the path); raises ValueError for a method and path declared twice.
    `observe` hears of every answered request; `everyone_authenticates` makes even the `auth=False`
    routes need a token (the control plane of a classroom)."""
    by_path: dict[str, dict[str, Handler]] = {}
    for owner in owners:
        for attribute, mark in routes_of(type(owner)):
            handlers = by_path.setdefault(mark.path, {})
            if mark.method in handlers:
                raise ValueError(f"{mark.method} {mark.path} is declared twice")
            handlers[mark.method] = Handler(getattr(owner, attribute), mark.auth or everyone_authenticates, mark.body)
    return [
        Route(path, endpoint(handlers, authenticate, path, observe), methods=list(handlers))
        for path, handlers in by_path.items()
    ]


# --- application -----------------------------------------------------------------------------------------


async def _not_found(request: Request, exc: Exception) -> Response:
    return json_response(404, {"message": NOT_FOUND_MESSAGE})


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 405:
        return json_response(
            405, {"message": f"The requested resource does not support http method '{request.method}'."}, exc.headers
        )
    if exc.status_code == 404:
        return await _not_found(request, exc)
    return json_response(exc.status_code, {"message": str(exc.detail)}, exc.headers)


class CanonicalPath:
    """ASGI middleware, for every API path (`/v2...`), so that each route, present or future, gets it:
    match the fixed path words in any case (`/v2/Servers/...`), as IIS did, and answer a path with a
    trailing slash as the path without it (`POST /v2/servers/{alias}/`, as the official Node SDK sends
    it, was answered 202 by production, where Starlette would redirect with a 307)."""

    def __init__(self, app: ASGIApp, words: set[str]) -> None:
        self.app = app
        self.words = {w.lower(): w for w in words}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"][:3].lower() == "/v2":
            path = scope["path"]
            trimmed = path.rstrip("/") or "/"
            parts = trimmed.split("/")
            fixed = "/".join(self.words.get(p.lower(), p) for p in parts)
            if fixed != path:
                scope = dict(scope, path=fixed)
        await self.app(scope, receive, send)


class RequestLog:
    """ASGI middleware: one log line per request (method, path, status, ms); never headers or bodies."""

    def __init__(self, app: ASGIApp, enabled: bool) -> None:
        self.app, self.enabled = app, enabled

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.enabled:
            await self.app(scope, receive, send)
            return
        start, status = time.perf_counter(), {"code": 0}

        async def record(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            ms = (time.perf_counter() - start) * 1000
            fault = f" ({scope['clc.fault']})" if "clc.fault" in scope else ""
            log.info("%s %s %s %.1fms%s", scope["method"], scope["path"], status["code"] or "-", ms, fault)


def build_app(
    backend: Backend,
    clock: JobClock,
    faults: Faults,
    executor: Executor,
    *,
    control_plane: bool = True,
    log_requests: bool = False,
    version: str = "0",
    classroom: Classroom | None = None,
) -> Any:
    """The ASGI app: API routes, optional control plane, fault injection and request log around them.
    With a `classroom`, it observes the API's requests (the trainees' progress), serves its routes,
    and the whole control plane needs the instructor's token."""
    observe: Observer | None = classroom.observe if classroom is not None else None
    routes = starlette_routes(backend.resources.values(), backend.authenticate, observe)
    if control_plane:
        control: list[object] = [ControlPlane(backend, clock, faults, version)]
        if classroom is None:
            routes += starlette_routes(control, backend.authenticate)
        else:
            control.append(classroom)
            routes += starlette_routes(control, classroom.authenticate_instructor, everyone_authenticates=True)
    app = Starlette(routes=routes, exception_handlers={HTTPException: _http_error, 404: _not_found})
    app.state.executor = executor
    words = {w for spec in API_ROUTES for w in spec.path.split("/") if w and not w.startswith("{")}
    return RequestLog(FaultMiddleware(CanonicalPath(app, words), faults), log_requests)
