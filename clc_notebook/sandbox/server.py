"""`Sandbox`: the emulator in-process, uvicorn in a daemon thread on a loopback port.

    with Sandbox(mode="polls") as sb:
        requests.post(sb.url + "/v2/authentication/login", json={"username": sb.username, ...})

The same class backs the CLI (`clc-sandbox`, which stops it on SIGTERM / Ctrl-C).

Stopping (``stop()``): the server stops accepting connections, requests in flight get
STOP_DRAIN_SECONDS to finish, and those still running then are cut: their connection closes without
a complete answer (what a client sees when a server goes away; the request may have been applied),
and nothing is logged as an error. The listening socket and the database are released by the server
thread itself once uvicorn has stopped, never from outside while it runs. ``stop()`` returns within
STOP_TIMEOUT seconds in every case.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import uvicorn

from . import fixtures
from .backend import Backend
from .classroom import MAX_TRAINEES, Classroom
from .clock import JobClock, advance_seconds, start_moment
from .faults import FaultConfigError, Faults
from .routes import build_app
from .store import Store

log = logging.getLogger("clc_notebook.sandbox")

LOOPBACK = ("127.0.0.1", "localhost", "::1")
STOP_DRAIN_SECONDS = 1.0  # requests in flight at stop() get this long to finish before they are cut
STOP_TIMEOUT = 5.0  # stop() returns within this many seconds, whatever the server is doing
FORCE_SECONDS = 1.0  # the last part of STOP_TIMEOUT, after uvicorn was told to skip its waiting


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("clc_notebook")
    except Exception:  # not installed (running from a source tree)
        return "0.0.0"


class _InFlight:
    """Outermost ASGI middleware: knows the requests being handled, so that a stop can cut them.

    A cut request's task is cancelled; here the cancellation ends the response quietly instead of
    reaching uvicorn (which would log it as an application error with a traceback): the answer
    promised is never completed, so the connection closes under it.
    """

    def __init__(self, app: Any):
        self.app = app
        self.tasks: set[asyncio.Task] = set()
        self.cutting = False

    async def __call__(self, scope, receive, send) -> None:
        task = asyncio.current_task()
        if scope["type"] != "http" or task is None:
            return await self.app(scope, receive, send)
        self.tasks.add(task)
        started = False

        async def tracked(message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except asyncio.CancelledError:
            if not self.cutting:
                raise
            if not started:  # promise a body and end without it: the client sees a lost answer
                # (500, not 503: a client reading only the status must not take it for "not processed")
                headers = [(b"content-type", b"application/json; charset=utf-8"), (b"content-length", b"64")]
                await send({"type": "http.response.start", "status": 500, "headers": headers})
                await send({"type": "http.response.body", "body": b'{"stopp', "more_body": True})
        finally:
            self.tasks.discard(task)

    def cut(self) -> None:
        """Cancel every request still in flight (called on the server's event loop)."""
        self.cutting = True
        for task in list(self.tasks):
            task.cancel()


class _UvicornServer(uvicorn.Server):
    """uvicorn.Server that leaves signals to its owner and cuts requests still running after
    STOP_DRAIN_SECONDS of its shutdown (uvicorn's own grace period stays as a longer backstop)."""

    def __init__(self, config: uvicorn.Config, in_flight: _InFlight):
        super().__init__(config)
        self.in_flight = in_flight
        self.loop: asyncio.AbstractEventLoop | None = None

    def install_signal_handlers(self) -> None:  # older uvicorn
        pass

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:  # newer uvicorn: the CLI handles SIGTERM / SIGINT
        yield

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        self.loop = asyncio.get_running_loop()
        await super().startup(sockets=sockets)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        cut = asyncio.get_running_loop().call_later(STOP_DRAIN_SECONDS, self.in_flight.cut)
        try:
            await super().shutdown(sockets=sockets)
        finally:
            cut.cancel()

    def cut_now(self) -> None:
        """From any thread: cut the requests in flight and skip uvicorn's remaining waits."""
        if self.loop is not None and not self.loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nothing left to cut
                self.loop.call_soon_threadsafe(self.in_flight.cut)
        self.force_exit = True


class Sandbox:
    """A local CLC API v2 on `url`; see docs/sandbox.md for every option.

    Raises ValueError for a bad option (naming it) and RuntimeError if the server cannot start.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        state: str | None = None,
        mode: str = "time",
        speed: float = 1.0,
        polls_per_step: int = 1,
        resumed_rate: float | None = None,
        clock_start: str | datetime | None = None,
        seed: int = 0,
        token_ttl: float = 14 * 24 * 3600,
        faults: dict | None = None,
        datacenters: int = 3,
        servers: int = 0,
        groups: int = 0,
        control_plane: bool = True,
        log_requests: bool = False,
        allow_remote: bool = False,
        workers: int = 4,
        trainees: int = 0,
        roster: str | None = None,
    ):
        if host not in LOOPBACK and not allow_remote:
            raise ValueError(
                f"host: {host!r} is not a loopback address; pass allow_remote=True "
                "(CLI: --allow-remote) to expose the sandbox to the network"
            )
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValueError("port: must be an integer between 0 and 65535")
        if isinstance(token_ttl, bool) or not isinstance(token_ttl, (int, float)) or token_ttl <= 0:
            raise ValueError("token_ttl: must be a positive number of seconds")
        for name, value, low in (("datacenters", datacenters, 1), ("servers", servers, 0), ("groups", groups, 0)):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"{name}: must be an integer >= {low}")
        if isinstance(trainees, bool) or not isinstance(trainees, int) or not 0 <= trainees <= MAX_TRAINEES:
            raise ValueError(f"trainees: must be an integer between 0 and {MAX_TRAINEES}")
        if trainees and not roster:
            raise ValueError("roster: a CSV file to write is needed with trainees (their passwords are only there)")
        self.trainees, self.roster = trainees, roster
        self.classroom: Classroom | None = None  # set by start() in classroom mode
        self.host, self.port, self.state = host, port, state
        self.clock = JobClock(
            mode=mode, speed=speed, polls_per_step=polls_per_step, resumed_rate=resumed_rate, seed=seed
        )
        self.seed = seed
        self.clock_start = None if clock_start is None else start_moment(clock_start)
        try:
            self.faults = Faults(faults, seed=seed)
        except FaultConfigError as exc:
            raise ValueError(f"faults: {exc}") from None
        self.token_ttl = token_ttl
        self.sizes = {"datacenters": datacenters, "servers": servers, "groups": groups}
        self.control_plane, self.log_requests = control_plane, log_requests
        self.workers = workers
        self.username, self.password = fixtures.USERNAME, fixtures.PASSWORD
        self.alias, self.location = fixtures.ALIAS, fixtures.LOCATION
        self.version = _version()
        self.store: Store | None = None
        self.backend: Backend | None = None
        self._server: _UvicornServer | None = None
        self._thread: threading.Thread | None = None
        self._executor: ThreadPoolExecutor | None = None
        self._socket: socket.socket | None = None
        self._release_lock = threading.Lock()

    # --- lifecycle ---------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. ``http://127.0.0.1:54321``."""
        if self._socket is None:
            raise RuntimeError("the sandbox is not running; call start() or use it as a context manager")
        host = self.host if ":" not in self.host else f"[{self.host}]"
        return f"http://{host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _prepare(self) -> Any:
        self.store = Store(self.state)  # ValueError naming `state` if the file is unusable
        self.backend = Backend(
            self.store,
            self.clock,
            self.faults,
            token_ttl=self.token_ttl,
            seed=self.seed,
            clock_start=self.clock_start,
            **self.sizes,
        )
        self.classroom = None
        if self.trainees or Classroom.held_by(self.backend):  # a class in the state file stays a class
            try:
                self.classroom = Classroom(self.backend, self.trainees, self.roster)
            except OSError as exc:
                self._release()
                raise ValueError(f"roster: cannot write {self.roster!r} ({exc.strerror or exc})") from None
            except ValueError:
                self._release()
                raise
        elif self.roster:
            self._release()
            raise ValueError("trainees: a roster is written for a class; give trainees=N (CLI: --trainees N)")
        self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="clc-sandbox-worker")
        in_flight = _InFlight(
            build_app(
                self.backend,
                self.clock,
                self.faults,
                self._executor,
                control_plane=self.control_plane,
                log_requests=self.log_requests,
                version=self.version,
                classroom=self.classroom,
            )
        )
        family = socket.AF_INET6 if ":" in self.host else socket.AF_INET
        # proto must be explicit: asyncio only sets TCP_NODELAY on sockets whose proto is IPPROTO_TCP.
        sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError as exc:
            sock.close()
            self._release()
            raise RuntimeError(f"cannot listen on {self.host}:{self.port}: {exc.strerror or exc}") from None
        sock.listen(128)
        sock.setblocking(False)
        self._socket = sock
        self.port = sock.getsockname()[1]
        # log_config=None: a library must not reconfigure the host's logging (notebooks, tests).
        config = uvicorn.Config(
            in_flight,
            log_config=None,
            log_level="warning",
            access_log=False,
            lifespan="off",
            http="h11",
            loop="asyncio",
            ws="none",
            timeout_graceful_shutdown=math.ceil(STOP_DRAIN_SECONDS) + 1,  # a backstop: _InFlight cuts first
            server_header=False,
        )
        self._server = _UvicornServer(config, in_flight)
        return self._server

    def start(self) -> Sandbox:
        """Start serving in a daemon thread; returns self once the socket answers."""
        if self.running:
            return self
        server = self._prepare()
        self._thread = threading.Thread(
            target=self.serve_forever, kwargs={"server": server}, name=f"clc-sandbox-{self.port}", daemon=True
        )
        self._thread.start()
        while not server.started:
            if not self._thread.is_alive():
                raise RuntimeError("the sandbox server stopped during start-up (see the log)")
            self._thread.join(0.005)
        return self

    def serve_forever(self, server: _UvicornServer | None = None) -> None:
        """Serve in the calling thread until stop() (from another thread); then release the socket
        and the database here, after uvicorn has stopped using them."""
        server = server or self._prepare()
        try:
            server.run(sockets=[self._socket] if self._socket is not None else None)
        finally:
            self._release()

    def stop(self) -> None:
        """Stop serving and return within STOP_TIMEOUT (5) seconds.

        Requests in flight get STOP_DRAIN_SECONDS (1 s) to finish; those still running are then
        cut without a traceback (their clients see a lost answer). The socket and the database are
        released by the server thread once uvicorn has stopped; if it is still busy at the bound,
        stop() returns and logs a warning, and the thread releases them when it ends. Calling
        stop() twice, or on a sandbox never started, is harmless.
        """
        server, thread = self._server, self._thread
        if server is not None:
            server.should_exit = True
        if thread is None or thread is threading.current_thread():
            return
        thread.join(STOP_TIMEOUT - FORCE_SECONDS)
        if thread.is_alive() and server is not None:
            server.cut_now()
            thread.join(FORCE_SECONDS)
        if thread.is_alive():
            log.warning(
                "the sandbox on port %s is still stopping after %g s; it will release its port", self.port, STOP_TIMEOUT
            )
            return
        self._thread = None

    def _release(self) -> None:
        """Release the worker threads, socket and database (once; after the server stopped)."""
        with self._release_lock:
            if self._executor is not None:
                self._executor.shutdown(wait=True)
                self._executor = None
            if self._socket is not None:
                self._socket.close()  # uvicorn closed it already; this covers a failed start
                self._socket = None
            if self.store is not None:
                self.store.close()
                self.store = None
            self._server = None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def __repr__(self) -> str:  # never shows the password
        where = self.url if self._socket is not None else "stopped"
        trainees = f" trainees={len(self.classroom.trainees)}" if self.classroom is not None else ""
        return f"<Sandbox {where} mode={self.clock.settings.mode} alias={self.alias}{trainees}>"

    # --- control plane without HTTP -------------------------------------------------------------------------

    def _need_backend(self) -> Backend:
        if self.backend is None or self.store is None:
            raise RuntimeError("the sandbox is not running")
        return self.backend

    def set_faults(self, config: dict) -> dict:
        """Replace the fault config (``{}`` clears it); raises ValueError naming a bad field."""
        try:
            return self.faults.configure(config)
        except FaultConfigError as exc:
            raise ValueError(str(exc)) from None

    def set_clock(
        self,
        mode: str | None = None,
        speed: float | None = None,
        polls_per_step: int | None = None,
        resumed_rate: float | str | None = None,
        advance: float | None = None,
    ) -> dict:
        """Change the job clock (None leaves a setting as it is; `resumed_rate="default"` goes back to the
        mode's default) and, with `advance` (seconds), move the sandbox's "now" forward, as
        `PUT /sandbox/clock` does; returns the new settings. Raises ValueError naming a bad field."""
        backend = self._need_backend()
        seconds = 0.0 if advance is None else advance_seconds(advance)
        with backend.store.transaction() as db:
            backend.tick(db)
        settings = self.clock.configure(mode, speed, polls_per_step, resumed_rate).as_dict()
        if seconds:
            backend.advance_clock(seconds)
        return settings

    def reset(self, servers: int | None = None, groups: int | None = None, datacenters: int | None = None) -> dict:
        """Back to the seeded account; returns the sizes used."""
        return self._need_backend().reset(datacenters=datacenters, servers=servers, groups=groups)

    def jobs(self) -> list[dict]:
        """The job ledger, oldest first (`GET /sandbox/jobs`): id, kind, target, targets, created, polls,
        outcome, settled."""
        return self._need_backend().job_ledger()

    def expire_tokens(self) -> int:
        """Every token issued so far answers 401 from now on; returns how many were revoked."""
        return self._need_backend().expire_tokens()
