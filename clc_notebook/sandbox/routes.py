"""The Starlette route table of the API, the handlers that map a request onto one backend call, and the
ASGI app around them (fault injection, case-insensitive path words, the request log).
"""

from __future__ import annotations

import logging
import time
from concurrent.futures import Executor
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from .backend import Backend
from .clock import JobClock
from .control import Controls, control_routes
from .errors import NOT_FOUND_MESSAGE
from .faults import FaultMiddleware, Faults
from .handling import Call, endpoint, json_response

log = logging.getLogger("clc_notebook.sandbox")


# --- API handlers -------------------------------------------------------------------------------------------


def login(b: Backend, c: Call):
    return b.login(c.body)


def datacenters(b: Backend, c: Call):
    return b.datacenters(c.who, c.path["alias"], c.flag("groupLinks"))


def datacenter(b: Backend, c: Call):
    return b.datacenter(c.who, c.path["alias"], c.path["dc"], c.flag("groupLinks"))


def capabilities(b: Backend, c: Call):
    return b.capabilities(c.who, c.path["alias"], c.path["dc"])


def bare_metal(b: Backend, c: Call):
    return b.bare_metal_capabilities(c.who, c.path["alias"], c.path["dc"])


def compute_limits(b: Backend, c: Call):
    return b.compute_limits(c.who, c.path["alias"], c.path["dc"])


def network_limits(b: Backend, c: Call):
    return b.network_limits(c.who, c.path["alias"], c.path["dc"])


def get_group(b: Backend, c: Call):
    detailed = str(c.query.get("serverdetail", "")).lower() == "detailed"
    return b.get_group(c.who, c.path["alias"], c.path["group"], detailed)


def create_group(b: Backend, c: Call):
    return b.create_group(c.who, c.path["alias"], c.body)


def patch_group(b: Backend, c: Call):
    return b.patch_group(c.who, c.path["alias"], c.path["group"], c.body)


def delete_group(b: Backend, c: Call):
    return b.delete_group(c.who, c.path["alias"], c.path["group"])


def archive_group(b: Backend, c: Call):
    return b.archive_group(c.who, c.path["alias"], c.path["group"])


def group_defaults(b: Backend, c: Call):
    if c.method == "POST":
        return b.set_group_defaults(c.who, c.path["alias"], c.path["group"], c.body)
    return b.group_defaults(c.who, c.path["alias"], c.path["group"])


def group_billing(b: Backend, c: Call):
    return b.group_billing(c.who, c.path["alias"], c.path["group"])


def create_server(b: Backend, c: Call):
    return b.create_server(c.who, c.path["alias"], c.body)


def get_server(b: Backend, c: Call):
    return b.get_server(c.who, c.path["alias"], c.path["server"], c.flag("uuid"))


def patch_server(b: Backend, c: Call):
    return b.patch_server(c.who, c.path["alias"], c.path["server"], c.body)


def delete_server(b: Backend, c: Call):
    return b.delete_server(c.who, c.path["alias"], c.path["server"])


def credentials(b: Backend, c: Call):
    return b.credentials(c.who, c.path["alias"], c.path["server"])


def restore_server(b: Backend, c: Call):
    return b.restore_server(c.who, c.path["alias"], c.path["server"], c.body)


def delete_snapshot(b: Backend, c: Call):
    return b.snapshot_action(c.who, c.path["alias"], c.path["server"], c.path["snapshot"], "delete")


def revert_snapshot(b: Backend, c: Call):
    return b.snapshot_action(c.who, c.path["alias"], c.path["server"], c.path["snapshot"], "restore")


def add_public_ip(b: Backend, c: Call):
    return b.add_public_ip(c.who, c.path["alias"], c.path["server"], c.body)


def public_ip(b: Backend, c: Call):
    args = (c.who, c.path["alias"], c.path["server"], c.path["ip"])
    if c.method == "PUT":
        return b.update_public_ip(*args, c.body)
    if c.method == "DELETE":
        return b.delete_public_ip(*args)
    return b.get_public_ip(*args)


def operation(b: Backend, c: Call):
    return b.operation(c.who, c.path["alias"], c.path["op"], c.body)


def job_status(b: Backend, c: Call):
    return b.job_status(c.who, c.path["alias"], c.path["job"])


def server_capabilities(b: Backend, c: Call):
    return b.server_capabilities(c.who, c.path["alias"], c.path["server"])


def server_pricing(b: Backend, c: Call):
    return b.server_pricing(c.who, c.path["alias"], c.path["server"])


def account(b: Backend, c: Call):
    return b.account(c.who, c.path["alias"])


def custom_fields(b: Backend, c: Call):
    return b.custom_fields(c.who, c.path["alias"])


API_ROUTES = [
    ("/v2/authentication/login", login, ["POST"], False),
    ("/v2/datacenters/{alias}", datacenters, ["GET"], True),
    ("/v2/datacenters/{alias}/{dc}", datacenter, ["GET"], True),
    ("/v2/datacenters/{alias}/{dc}/deploymentCapabilities", capabilities, ["GET"], True),
    ("/v2/datacenters/{alias}/{dc}/bareMetalCapabilities", bare_metal, ["GET"], True),
    ("/v2/datacenters/{alias}/{dc}/computeLimits", compute_limits, ["GET"], True),
    ("/v2/datacenters/{alias}/{dc}/networkLimits", network_limits, ["GET"], True),
    ("/v2/groups/{alias}", create_group, ["POST"], True),
    ("/v2/groups/{alias}/{group}", get_group, ["GET"], True),
    ("/v2/groups/{alias}/{group}", patch_group, ["PATCH"], True),
    ("/v2/groups/{alias}/{group}", delete_group, ["DELETE"], True),
    ("/v2/groups/{alias}/{group}/defaults", group_defaults, ["GET", "POST"], True),
    ("/v2/groups/{alias}/{group}/billing", group_billing, ["GET"], True),
    ("/v2/groups/{alias}/{group}/archive", archive_group, ["POST"], True),
    ("/v2/servers/{alias}", create_server, ["POST"], True),
    ("/v2/servers/{alias}/{server}", get_server, ["GET"], True),
    ("/v2/servers/{alias}/{server}", patch_server, ["PATCH"], True),
    ("/v2/servers/{alias}/{server}", delete_server, ["DELETE"], True),
    ("/v2/servers/{alias}/{server}/credentials", credentials, ["GET"], True),
    ("/v2/servers/{alias}/{server}/restore", restore_server, ["POST"], True),
    ("/v2/servers/{alias}/{server}/snapshots/{snapshot}", delete_snapshot, ["DELETE"], True),
    ("/v2/servers/{alias}/{server}/snapshots/{snapshot}/restore", revert_snapshot, ["POST"], True),
    ("/v2/servers/{alias}/{server}/publicIPAddresses", add_public_ip, ["POST"], True),
    ("/v2/servers/{alias}/{server}/publicIPAddresses/{ip}", public_ip, ["GET", "PUT", "DELETE"], True),
    ("/v2/operations/{alias}/servers/{op}", operation, ["POST"], True),
    ("/v2/operations/{alias}/status/{job}", job_status, ["GET"], True),
    ("/v2/servers/{alias}/{server}/capabilities", server_capabilities, ["GET"], True),
    ("/v2/billing/{alias}/serverPricing/{server}", server_pricing, ["GET"], True),
    ("/v2/accounts/{alias}", account, ["GET"], True),
    ("/v2/accounts/{alias}/customFields", custom_fields, ["GET"], True),
]


def _paths() -> list[tuple[str, dict, bool]]:
    """API_ROUTES grouped by path (one Starlette route per path, so a 405's Allow header lists every method)."""
    grouped: dict[str, tuple[dict, bool]] = {}
    for path, fn, methods, auth in API_ROUTES:
        handlers, _ = grouped.setdefault(path, ({}, auth))
        handlers.update(dict.fromkeys(methods, fn))
    return [(path, handlers, auth) for path, (handlers, auth) in grouped.items()]


def _by_method(handlers: dict):
    def handler(b: Backend, c: Call):
        return handlers["GET" if c.method == "HEAD" else c.method](b, c)

    return handler


# --- application -----------------------------------------------------------------------------------------


async def _not_found(request: Request, exc: Exception) -> Response:
    return json_response(404, {"message": NOT_FOUND_MESSAGE})


async def _http_error(request: Request, exc: HTTPException) -> Response:
    if exc.status_code == 405:
        return json_response(
            405, {"message": f"The requested resource does not support http method '{request.method}'."}, exc.headers
        )
    if exc.status_code == 404:
        return await _not_found(request, exc)
    return json_response(exc.status_code, {"message": str(exc.detail)}, exc.headers)


class CanonicalPath:
    """ASGI middleware: match the API's fixed path words in any case (`/v2/Servers/...`), as IIS did."""

    def __init__(self, app, words: set[str]):
        self.app = app
        self.words = {w.lower(): w for w in words}

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"][:3].lower() == "/v2":
            parts = scope["path"].split("/")
            fixed = [self.words.get(p.lower(), p) for p in parts]
            if fixed != parts:
                scope = dict(scope, path="/".join(fixed))
        return await self.app(scope, receive, send)


class RequestLog:
    """ASGI middleware: one log line per request (method, path, status, ms); never headers or bodies."""

    def __init__(self, app, enabled: bool):
        self.app, self.enabled = app, enabled

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not self.enabled:
            return await self.app(scope, receive, send)
        start, status = time.perf_counter(), {"code": 0}

        async def record(message):
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
) -> Any:
    """The ASGI app: API routes, optional control plane, fault injection and request log around them."""
    routes = [
        Route(path, endpoint(_by_method(handlers), auth), methods=list(handlers)) for path, handlers, auth in _paths()
    ]
    if control_plane:
        routes += control_routes(Controls(clock, faults, version))
    app = Starlette(routes=routes, exception_handlers={HTTPException: _http_error, 404: _not_found})
    app.state.backend = backend
    app.state.executor = executor
    words = {w for path, *_ in API_ROUTES for w in path.split("/") if w and not w.startswith("{")}
    return RequestLog(FaultMiddleware(CanonicalPath(app, words), faults), log_requests)
