"""A clean stop: `Sandbox.stop()` and the CLI's SIGTERM with requests in flight and under load.

What must hold: no traceback and no error logged (uvicorn's "Exception in ASGI application", asyncio's
"_stop_serving" when a socket is closed under the server), in-flight requests end (their clients see a
lost answer, never a hang), the server thread has ended when stop() returns (so nothing closed the
socket under it), and stop() returns within its documented bound. Bounds are generous: the injected
latency is far longer than the bound, so a stop that waited for it would fail.
"""

from __future__ import annotations

import logging
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
import requests

from clc_notebook.sandbox import Sandbox
from clc_notebook.sandbox.server import STOP_TIMEOUT

LATENCY_MS = 30_000  # far beyond any stop bound: a stop that waited for it would be caught
SLACK = 5.0  # on top of STOP_TIMEOUT, for a loaded 2-core machine
ALARMS = ("Traceback", "Exception in ASGI", "CancelledError", "_stop_serving", "Task was destroyed")


@pytest.fixture
def error_logs():
    """Every WARNING+ record logged anywhere during the test (uvicorn, asyncio, the sandbox)."""
    records: list[logging.LogRecord] = []

    class Keep(logging.Handler):
        def emit(self, record):
            records.append(record)

    handler = Keep(logging.WARNING)
    root = logging.getLogger()
    root.addHandler(handler)
    yield records
    root.removeHandler(handler)


@pytest.fixture
def thread_errors():
    seen = []
    previous = threading.excepthook
    threading.excepthook = lambda args: seen.append(args.exc_value)
    yield seen
    threading.excepthook = previous


def _login_body(sb) -> dict:
    return {"username": sb.username, "password": sb.password}


def _in_flight(sb) -> int:
    server = sb._server
    return len(server.in_flight.tasks) if server is not None else 0


def _wait_until(condition, limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, "condition not met"
        time.sleep(0.01)


def test_stop_with_a_request_in_flight_ends_it_without_a_traceback(capfd, error_logs, thread_errors):
    sb = Sandbox(mode="polls", faults={"latency_ms": LATENCY_MS}).start()
    outcome: dict = {}

    def call():
        try:
            outcome["status"] = requests.post(f"{sb.url}/v2/authentication/login", json=_login_body(sb), timeout=60)
        except requests.RequestException as exc:
            outcome["error"] = exc

    client = threading.Thread(target=call)
    client.start()
    _wait_until(lambda: _in_flight(sb) == 1)  # the request is being handled (in its latency)
    started = time.monotonic()
    sb.stop()
    took = time.monotonic() - started
    client.join(30)

    assert not client.is_alive(), "the client hung after the stop"
    assert "error" in outcome, f"a request cut by the stop must not look answered: {outcome}"
    assert took < STOP_TIMEOUT + SLACK, took
    assert not sb.running and sb._socket is None and sb.store is None
    out, err = capfd.readouterr()
    assert not [a for a in ALARMS if a in out + err], err[-3000:]
    assert not error_logs, [r.getMessage() for r in error_logs]
    assert not thread_errors


def test_stop_under_load_releases_everything_cleanly(capfd, error_logs, thread_errors):
    """Eight clients keep the sandbox busy (fast and slow requests) while it is stopped."""
    sb = Sandbox(mode="polls", faults={"spikes": {"rate": 0.2, "ms": LATENCY_MS}}).start()
    url, body = sb.url, _login_body(sb)
    stop_clients = threading.Event()
    counts = {"answered": 0, "lost": 0}
    lock = threading.Lock()

    def client():
        with requests.Session() as http:
            while not stop_clients.is_set():
                try:
                    http.post(f"{url}/v2/authentication/login", json=body, timeout=60)
                    key = "answered"
                except requests.RequestException:
                    key = "lost"
                with lock:
                    counts[key] += 1
                if key == "lost":
                    return  # the sandbox is going away

    clients = [threading.Thread(target=client) for _ in range(8)]
    for c in clients:
        c.start()
    _wait_until(lambda: counts["answered"] >= 40 and _in_flight(sb) >= 1)  # busy, some requests slow
    started = time.monotonic()
    sb.stop()
    took = time.monotonic() - started
    stop_clients.set()
    for c in clients:
        c.join(30)

    assert not any(c.is_alive() for c in clients), "a client hung after the stop"
    assert counts["lost"] >= 1, counts  # the slow ones were cut, not waited for
    assert took < STOP_TIMEOUT + SLACK, took
    assert not sb.running, "stop() returned while the server thread still ran"
    assert sb._socket is None and sb.store is None
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(f"{url}/sandbox/health", timeout=5)
    out, err = capfd.readouterr()
    assert not [a for a in ALARMS if a in out + err], err[-3000:]
    assert not error_logs, [r.getMessage() for r in error_logs]
    assert not thread_errors


def test_cli_sigterm_with_a_request_in_flight_exits_cleanly():
    proc = subprocess.Popen(
        [sys.executable, "-m", "clc_notebook.sandbox", "--port", "0", "--latency-ms", str(LATENCY_MS)],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        url = None
        for line in proc.stderr:
            match = re.search(r"(http://127\.0\.0\.1:\d+)", line)
            if match:
                url = match.group(1)
                break
        assert url, "the CLI did not say where it serves"
        host, port = url.removeprefix("http://").split(":")
        slow = socket.create_connection((host, int(port)), timeout=60)
        payload = b'{"username": "demouser1", "password": "mypassword"}'
        slow.sendall(
            b"POST /v2/authentication/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(payload)}\r\n\r\n".encode()
            + payload
        )
        # the control plane has no latency: once it answered, the server has taken the slow request
        assert requests.get(f"{url}/sandbox/health", timeout=30).status_code == 200
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(STOP_TIMEOUT + SLACK) == 0
        took = time.monotonic() - started
        answer = slow.recv(65536)  # a cut answer: incomplete, then the connection closes
        slow.close()
        rest = proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
        proc.stderr.close()
    assert took < STOP_TIMEOUT + SLACK, took
    assert not [a for a in ALARMS if a in rest], rest[-3000:]
    assert "clc-sandbox: stopped" in rest
    # it was in flight (the request log has its line, without a status: it was cut) ...
    assert re.search(r"POST /v2/authentication/login - \d", rest), rest[-2000:]
    # ... and its client got a cut answer, not a login
    assert answer.startswith(b"HTTP/1.1 500") and b"bearerToken" not in answer, answer
