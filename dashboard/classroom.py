"""`make classroom`: a sandbox for a whole class, and the instructor's board served by Voila.

    python dashboard/classroom.py --trainees 20 --dir classroom [--host 0.0.0.0 --allow-remote] [--port 8080]

Starts `clc-sandbox --trainees N --roster DIR/roster.csv --state DIR/class.sqlite` (its request log in
DIR/sandbox.log), waits until it answers, then serves dashboard/classroom.ipynb with Voila on 127.0.0.1,
logged in as the roster's instructor (through the environment of Voila's kernel: the password is never on
a command line). Ctrl-C (or SIGTERM) stops both. Restarting with the same --dir keeps the class. See
docs/classroom.md.
"""

from __future__ import annotations

import argparse
import csv
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from clc_notebook.config import ENV_NAMES, ENV_PASSWORD, ENV_URL, ENV_USERNAME

HERE = Path(__file__).resolve().parent
BOARD = HERE / "classroom.ipynb"
START_TIMEOUT = 60.0


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="make classroom", description=__doc__.splitlines()[0])
    p.add_argument("--trainees", type=int, default=10, help="trainee accounts (default 10)")
    p.add_argument("--dir", default="classroom", help="where the roster, the state and the log go")
    p.add_argument("--host", default="127.0.0.1", help="the sandbox's address (0.0.0.0 for trainees' laptops)")
    p.add_argument("--port", type=int, default=8080, help="the sandbox's port (default 8080)")
    p.add_argument("--allow-remote", action="store_true", help="let the sandbox listen on a non-loopback address")
    p.add_argument("--mode", default="time", choices=("time", "polls"), help="the sandbox's job clock")
    p.add_argument("--speed", type=float, default=1.0, help="time mode: divide job durations by this")
    p.add_argument("--board-port", type=int, default=8867, help="the board's port on 127.0.0.1 (default 8867)")
    p.add_argument("--interval", type=float, default=3.0, help="seconds between the board's reads")
    return p.parse_args(argv)


def wait_for_port(port: int, proc: subprocess.Popen, what: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"classroom: {what} exited ({proc.returncode}); see {log}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit(f"classroom: {what} does not answer on port {port}; see {log}") from None
            time.sleep(0.2)


def instructor(roster: Path) -> dict:
    with open(roster, newline="") as f:
        return next(row for row in csv.DictReader(f) if row["role"] == "instructor")


def stop(*procs: subprocess.Popen) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    folder = Path(args.dir).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    roster, state, sandbox_log, board_log = (
        folder / n for n in ("roster.csv", "class.sqlite", "sandbox.log", "board.log")
    )
    sandbox_cmd = [
        sys.executable, "-m", "clc_notebook.sandbox",
        "--trainees", str(args.trainees), "--roster", str(roster), "--state", str(state),
        "--host", args.host, "--port", str(args.port), "--mode", args.mode, "--speed", str(args.speed),
    ]  # fmt: skip
    if args.allow_remote:
        sandbox_cmd.append("--allow-remote")
    with open(sandbox_log, "ab") as log:
        sandbox = subprocess.Popen(sandbox_cmd, stdout=log, stderr=subprocess.STDOUT)
    procs = [sandbox]
    signal.signal(signal.SIGTERM, _interrupt)  # SIGTERM stops like Ctrl-C does
    try:
        wait_for_port(args.port, sandbox, "the sandbox", sandbox_log)
        who = instructor(roster)
        env = {k: v for k, v in os.environ.items() if k not in ENV_NAMES}
        env.update(
            {
                ENV_URL: f"http://127.0.0.1:{args.port}",
                ENV_USERNAME: who["username"],
                ENV_PASSWORD: who["password"],
                "CLC_BOARD_INTERVAL": str(args.interval),
            }
        )
        board_cmd = [
            sys.executable, "-m", "voila", str(BOARD), "--no-browser",
            f"--port={args.board_port}", "--Voila.ip=127.0.0.1",
        ]  # fmt: skip
        with open(board_log, "ab") as log:
            board = subprocess.Popen(board_cmd, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=HERE)
        procs.append(board)
        wait_for_port(args.board_port, board, "the board (voila)", board_log)
        where = args.host if args.host not in ("0.0.0.0", "::") else "<this machine's address>"
        print(
            f"classroom: {args.trainees} trainees; sandbox on http://{where}:{args.port} (state {state}, log "
            f"{sandbox_log})\nclassroom: roster (the only copy of the passwords) in {roster}\n"
            f"classroom: the board on http://127.0.0.1:{args.board_port}/ ; Ctrl-C stops both",
            flush=True,
        )
        while all(p.poll() is None for p in procs):
            time.sleep(0.5)
        failed = next(p for p in procs if p.poll() is not None)
        print(f"classroom: {'the sandbox' if failed is sandbox else 'the board'} stopped; stopping", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop(*reversed(procs))


if __name__ == "__main__":
    sys.exit(main())
