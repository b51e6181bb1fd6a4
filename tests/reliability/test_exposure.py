"""Exposure: the sandbox listens on 127.0.0.1 unless told otherwise, refuses another interface
without `--allow-remote` (and warns when allowed), and its control plane can be switched off."""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests

from clc_notebook.sandbox import Sandbox

from .support import REPO, SandboxProcess, free_port


def listening_addresses(port: int) -> set[str]:
    """Local addresses (hex, as in /proc/net/tcp) of sockets in LISTEN state on `port`."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(table) as f:
                lines = f.read().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            addr, hex_port = local.rsplit(":", 1)
            if state == "0A" and int(hex_port, 16) == port:
                found.add(addr)
    return found


def test_cli_binds_loopback_by_default():
    with SandboxProcess() as proc:
        assert listening_addresses(proc.port) == {"0100007F"}  # 127.0.0.1, nothing else
        assert requests.get(proc.url + "/sandbox/health", timeout=5).status_code == 200
        token = requests.post(
            proc.url + "/v2/authentication/login", json={"username": "demouser1", "password": "mypassword"}, timeout=5
        ).json()["bearerToken"]
        out, err = proc.stop()
    assert "127.0.0.1" in out + err  # it says where it listens...
    # ...names the demo login once, in its start-up banner (a public password, as in the README)...
    lines = (out + err).splitlines()
    assert [line for line in lines if "mypassword" in line] == [next(x for x in lines if "serving the CLC API" in x)]
    assert token not in out + err  # ...and logs no token, and no request body (the login's password)


def test_in_process_sandbox_binds_loopback_by_default():
    with Sandbox(mode="polls") as sb:
        assert sb.url.startswith("http://127.0.0.1:")
        assert listening_addresses(int(sb.url.rsplit(":", 1)[1])) == {"0100007F"}


def test_other_interface_is_refused_without_allow_remote():
    port = free_port()
    result = subprocess.run(
        [sys.executable, "-m", "clc_notebook.sandbox", "--host", "0.0.0.0", "--port", str(port)],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=REPO,
    )
    assert result.returncode != 0
    assert "--allow-remote" in result.stderr + result.stdout
    assert not listening_addresses(port)


def test_allow_remote_warns_and_serves():
    # Bound to every interface for about a second, control plane off, nothing reachable but the API.
    proc = SandboxProcess("--host", "0.0.0.0", "--allow-remote", "--no-control-plane").start()
    try:
        assert (
            requests.post(
                proc.url + "/v2/authentication/login", json={"username": "demouser1", "password": "x"}, timeout=5
            ).status_code
            == 400
        )
        assert listening_addresses(proc.port) == {"00000000"}
    finally:
        out, err = proc.stop()
    assert "warning" in (out + err).lower(), out + err


def test_control_plane_can_be_switched_off_on_the_cli():
    with SandboxProcess("--no-control-plane") as proc:
        for method, path in [
            ("GET", "/sandbox/health"),
            ("POST", "/sandbox/reset"),
            ("PUT", "/sandbox/faults"),
            ("POST", "/sandbox/expire-tokens"),
            ("PUT", "/sandbox/clock"),
        ]:
            r = requests.request(method, proc.url + path, json={}, timeout=5)
            assert r.status_code in (404, 405), (method, path, r.status_code)
        # the API itself still answers
        r = requests.post(
            proc.url + "/v2/authentication/login", json={"username": "demouser1", "password": "mypassword"}, timeout=5
        )
        assert r.status_code == 200


def test_control_plane_can_be_switched_off_in_process():
    with Sandbox(mode="polls", control_plane=False) as sb:
        assert requests.get(sb.url + "/sandbox/health", timeout=5).status_code == 404
        r = requests.put(sb.url + "/sandbox/faults", json={"errors": [{"rate": 1, "status": 500}]}, timeout=5)
        assert r.status_code in (404, 405)
        login = requests.post(
            sb.url + "/v2/authentication/login", json={"username": sb.username, "password": sb.password}, timeout=5
        )
        assert login.status_code == 200  # and no fault was switched on by the refused PUT


def test_in_process_sandbox_refuses_another_interface_without_allow_remote():
    with pytest.raises(ValueError) as caught:
        Sandbox(host="0.0.0.0")
    assert "allow_remote" in str(caught.value)
