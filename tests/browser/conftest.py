"""Fixtures for the real-browser test: a Voila server on a notebook, and Debian's Chromium via Playwright.

Nothing is downloaded: Playwright drives /usr/bin/chromium (`make chromium` installs it). Every process
started here (Voila, its kernels, Chromium) is stopped by id in the teardown.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Generous: the machine is small and shared, and Voila runs the notebook before the page can render.
SERVER_START_TIMEOUT = 90


def free_port() -> int:
    """A port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _clean_env(tmp: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLC_")}  # the embedded sandbox, always
    # Keep Jupyter's per-user files (runtime, signing key, config) out of the home directory.
    for name, sub in (
        ("JUPYTER_RUNTIME_DIR", "runtime"),
        ("JUPYTER_DATA_DIR", "data"),
        ("JUPYTER_CONFIG_DIR", "config"),
    ):
        env[name] = str(tmp / "jupyter" / sub)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def start_voila(notebook: Path, tmp: Path) -> tuple[subprocess.Popen, str, Path]:
    """Start Voila on `notebook` (token-less, 127.0.0.1, a free port); return (process, page URL, log path)."""
    port = free_port()
    log_path = tmp / "voila.log"
    cmd = [
        sys.executable,
        "-m",
        "voila",
        str(notebook),
        "--no-browser",
        f"--port={port}",
        "--Voila.ip=127.0.0.1",
        "--VoilaConfiguration.show_tracebacks=True",
    ]
    with open(log_path, "wb") as log:  # the child keeps its own copy of the descriptor
        proc = subprocess.Popen(
            cmd,
            cwd=str(notebook.parent),
            env=_clean_env(tmp),
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    # Wait until the port accepts connections (asking for a page would already run the notebook).
    while True:
        if proc.poll() is not None:
            output = log_path.read_text(errors="replace")[-3000:]
            raise RuntimeError(f"voila exited with {proc.returncode}:\n{output}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=2).close()
            return proc, url, log_path
        except OSError:
            if time.monotonic() > deadline:
                stop_process_tree(proc)
                raise RuntimeError(f"voila did not listen on {url} within {SERVER_START_TIMEOUT} s") from None
            time.sleep(0.3)


def stop_process_tree(proc: subprocess.Popen, grace: float = 15.0) -> list[int]:
    """Stop `proc` and every process it started (by pid); return the pids still alive afterwards."""
    try:
        family = [psutil.Process(proc.pid)] + psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        family = []
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)  # Voila shuts its kernels down on SIGTERM
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
    _, alive = psutil.wait_procs(family, timeout=grace)
    for p in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            p.kill()
    _, alive = psutil.wait_procs(alive, timeout=5)
    return [p.pid for p in alive]


@pytest.fixture
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (apt-get install chromium)", pytrace=False)
    return CHROMIUM


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def browser_page(chromium_path, tmp_path):
    """A Playwright page in a fresh headless Chromium profile; the browser is closed afterwards."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),
            executable_path=str(chromium_path),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": 1100, "height": 900},
        )
        profile = str(tmp_path / "chromium-profile")
        try:
            page = context.pages[0] if context.pages else context.new_page()
            yield page
        finally:
            context.close()
        # Playwright closes the browser it launched; make sure no process of this profile is left
        # (helpers may take a moment to exit on their own, so wait before calling one a leftover).
        mine = [p for p in psutil.process_iter(["cmdline"]) if profile in " ".join(p.info["cmdline"] or [])]
        _, left = psutil.wait_procs(mine, timeout=15)
        for p in left:
            p.kill()
        assert not left, f"chromium processes left behind: {[p.pid for p in left]}"


@pytest.fixture
def voila_on(tmp_path):
    """`voila_on(notebook)` starts Voila and returns the page URL; everything is stopped afterwards."""
    started = []

    def start(notebook: Path) -> str:
        proc, url, log = start_voila(Path(notebook), tmp_path)
        started.append((proc, log))
        return url

    yield start
    for proc, log in started:
        survivors = stop_process_tree(proc)
        ARTIFACTS.mkdir(exist_ok=True)
        shutil.copyfile(log, ARTIFACTS / "browser-voila.log")  # for a look after a failure
        assert not survivors, f"processes left behind by voila: {survivors}"


@pytest.fixture
def classroom_on(tmp_path):
    """`classroom_on(launcher, *args)` runs dashboard/classroom.py (what `make classroom` runs) with a class
    folder in tmp_path and free ports; returns (sandbox URL, board URL, class folder). Stopped afterwards
    with SIGTERM, which must end it cleanly and leave no process behind."""
    started = []
    log_path = tmp_path / "classroom.log"

    def start(launcher: Path, *args: str) -> tuple[str, str, Path]:
        sandbox_port, board_port = free_port(), free_port()
        folder = tmp_path / "class"
        cmd = [sys.executable, str(launcher), "--dir", str(folder), "--port", str(sandbox_port)]
        cmd += ["--board-port", str(board_port), *args]
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                cmd, env=_clean_env(tmp_path), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        started.append(proc)
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while "the board on" not in log_path.read_text(errors="replace"):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the classroom did not start:\n{log_path.read_text(errors='replace')[-3000:]}")
            time.sleep(0.3)
        return f"http://127.0.0.1:{sandbox_port}", f"http://127.0.0.1:{board_port}/", folder

    yield start
    for proc in started:
        survivors = stop_process_tree(proc)
        ARTIFACTS.mkdir(exist_ok=True)
        shutil.copyfile(log_path, ARTIFACTS / "browser-classroom.log")
        assert proc.returncode == 0, log_path.read_text(errors="replace")[-3000:]
        assert not survivors, f"processes left behind by the classroom: {survivors}"
