"""State on disk (`--state`), SIGKILL + restart, concurrent writers, and the command line."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
from contextlib import contextmanager

import pytest
import requests
from sandbox_api import ALIAS, DEFAULT_GROUP, Api, rels, server_body

from clc_notebook.sandbox import Sandbox
from clc_notebook.sandbox.__main__ import build_parser, faults_from_args, main

URL_LINE = re.compile(r"serving the CLC API v2 on (http://127\.0\.0\.1:\d+)")


@contextmanager
def cli(*args: str):
    """Run `python -m clc_notebook.sandbox --port 0 ARGS` and yield (process, url)."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "clc_notebook.sandbox", "--port", "0", *args],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        url = None
        lines = []
        for line in proc.stderr:
            lines.append(line)
            match = URL_LINE.search(line)
            if match:
                url = match.group(1)
                break
        assert url, "".join(lines)
        yield proc, url
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(10)
        proc.stderr.close()


def _login(url: str) -> requests.Session:
    http = requests.Session()
    token = requests.post(
        f"{url}/v2/authentication/login", json={"username": "demouser1", "password": "mypassword"}
    ).json()["bearerToken"]
    http.headers["Authorization"] = f"Bearer {token}"
    return http


def test_sigkill_and_restart_keep_every_acknowledged_change_and_finish_jobs(tmp_path):
    state = str(tmp_path / "sandbox.sqlite")
    with cli("--state", state, "--mode", "polls", "--quiet") as (proc, url):
        http = _login(url)
        group = http.post(f"{url}/v2/groups/{ALIAS}", json={"name": "Kept", "parentGroupId": DEFAULT_GROUP}).json()
        created = http.post(f"{url}/v2/servers/{ALIAS}", json=server_body(groupId=group["id"])).json()
        links = rels(created)
        assert http.get(url + links["status"]["href"]).json()["status"] == "notStarted"
        assert http.get(url + links["status"]["href"]).json()["status"] == "executing"
        second = rels(http.post(f"{url}/v2/servers/{ALIAS}", json=server_body()).json())
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    # Restart on the same file, polls mode: the job continues where it was; the token still works.
    with cli("--state", state, "--mode", "polls", "--quiet") as (proc, url):
        assert http.get(f"{url}/v2/groups/{ALIAS}/{group['id']}").json()["name"] == "Kept"
        building = http.get(url + links["self"]["href"]).json()
        assert building["status"] == "underConstruction" and building["groupId"] == group["id"]
        assert http.get(url + links["status"]["href"]).json()["status"] == "succeeded"
        assert http.get(url + links["self"]["href"]).json()["status"] == "active"
        # Counters survive too: the next server and job numbers follow on.
        third = rels(http.post(f"{url}/v2/servers/{ALIAS}", json=server_body()).json())
        assert int(third["status"]["id"].split("-")[1]) == int(second["status"]["id"].split("-")[1]) + 1
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
    # Restart in time mode at a high speed: jobs nobody read are finished by the clock.
    with cli("--state", state, "--mode", "time", "--speed", "100000", "--quiet") as (proc, url):
        names = sorted(http.get(url + link["self"]["href"]).json()["name"] for link in (second, third))
        assert names == ["WA1ALIASWEB02", "WA1ALIASWEB03"]
        assert all(http.get(url + link["self"]["href"]).json()["status"] == "active" for link in (second, third))


def test_in_process_restart_on_the_same_file(tmp_path):
    state = str(tmp_path / "state.sqlite")
    with Sandbox(mode="polls", state=state) as sb:
        server = Api(sb).create_server()
    with Sandbox(mode="polls", state=state) as sb:
        assert Api(sb).get(f"/v2/servers/{ALIAS}/{server['id']}").json()["status"] == "active"


def test_concurrent_creates_never_lock_or_duplicate(tmp_path):
    for state in (None, str(tmp_path / "busy.sqlite")):
        with Sandbox(mode="polls", state=state) as sb:
            api = Api(sb)
            results, errors = [], []

            def worker(api=api, sb=sb, results=results, errors=errors):
                http = requests.Session()
                http.headers["Authorization"] = f"Bearer {api.token}"
                for _ in range(6):
                    try:
                        r = http.post(f"{sb.url}/v2/servers/{ALIAS}", json=server_body(), timeout=30)
                        results.append((r.status_code, rels(r.json())["self"]["href"]))
                    except Exception as exc:  # collected and asserted below
                        errors.append(repr(exc))

            threads = [threading.Thread(target=worker) for _ in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert errors == []
            assert [code for code, _ in results] == [202] * 48
            names = [api.get(href).json()["name"] for _, href in results]
            assert len(set(names)) == 48
            assert sorted(names) == sorted(f"WA1ALIASWEB{n:02d}" for n in range(1, 49))


def test_cli_logs_one_line_per_request_and_exits_cleanly_on_ctrl_c():
    with cli("--mode", "polls", "--resumed-rate", "0.5") as (proc, url):
        for _ in range(3):
            assert requests.get(f"{url}/sandbox/health").json()["resumed_rate"] == 0.5
        http = _login(url)
        token = http.headers["Authorization"].split()[1]
        assert http.get(f"{url}/v2/servers/{ALIAS}/wa1aliasnope01").status_code == 404
        proc.send_signal(signal.SIGINT)
        assert proc.wait(15) == 0
        rest = proc.stderr.read()
    assert len(re.findall(r"GET /sandbox/health 200", rest)) == 3
    assert len(re.findall(r"POST /v2/authentication/login 200", rest)) == 1
    assert len(re.findall(r"GET /v2/servers/ALIAS/wa1aliasnope01 404", rest)) == 1
    assert "mypassword" not in rest and token not in rest
    assert "Traceback" not in rest and "stopped" in rest


def test_cli_stops_on_sigterm():
    with cli("--mode", "polls", "--quiet") as (proc, url):
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(15) == 0


def test_cli_refuses_a_non_loopback_host_without_allow_remote(capsys):
    assert main(["--host", "0.0.0.0", "--port", "0"]) == 2
    assert "--allow-remote" in capsys.readouterr().err


@pytest.mark.parametrize(
    "args",
    [
        ["--mode", "warp"],
        ["--speed", "0"],
        ["--fault-rate", "2"],
        ["--port", "x"],
        ["--servers", "-1"],
        ["--polls-per-step", "0"],
        ["--resumed-rate", "2"],
        ["--datacenters", "0"],
    ],
)
def test_cli_rejects_bad_flags(capsys, args):
    with pytest.raises(SystemExit) as exc:
        main(args)
    assert exc.value.code == 2 and args[0] in capsys.readouterr().err


def test_cli_rejects_a_bad_fault_config(capsys):
    assert main(["--port", "0", "--faults", "{"]) == 2
    assert main(["--port", "0", "--faults", '{"errors": [{"rate": 5}]}']) == 2
    err = capsys.readouterr().err
    assert "errors[0].rate" in err and "Traceback" not in err


def test_cli_fault_flags_become_a_fault_config():
    args = build_parser().parse_args(
        ["--fault-rate", "0.3", "--latency-ms", "5", "--drop-rate", "0.1", "--job-failure-rate", "0.2", "--seed", "3"]
    )
    config = faults_from_args(args)
    assert [e["status"] for e in config["errors"]] == [500, 503, 429]
    assert config["latency_ms"] == 5 and config["drops"] == [{"rate": 0.1}] and config["job_failure_rate"] == 0.2
    # The three error rules together answer about 30 % of requests.
    miss = 1.0
    for rule in config["errors"]:
        miss *= 1 - rule["rate"]
    assert abs((1 - miss) - 0.3) < 1e-9


def test_console_script_points_at_main():
    from importlib.metadata import entry_points

    [ep] = [ep for ep in entry_points(group="console_scripts") if ep.name == "clc-sandbox"]
    assert ep.value == "clc_notebook.sandbox.__main__:main"
