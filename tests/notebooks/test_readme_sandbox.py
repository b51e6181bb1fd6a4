"""A newcomer finds the demo login where they look first: the README (with curl), --help and the banner."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from nbtest_support import REPO_ROOT, embedded_sandbox_env

from clc_notebook.sandbox import Sandbox

README = (REPO_ROOT / "README.md").read_text()
CLI = [sys.executable, "-m", "clc_notebook.sandbox"]


def curl_block() -> str:
    section = README.split("## The sandbox", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "the sandbox section has one bash block: the curl login example"
    return blocks[0]


def test_the_readme_names_the_demo_user_and_password():
    section = README.split("## The sandbox", 1)[1].split("\n## ", 1)[0]
    assert "`demouser1`" in section and "`mypassword`" in section


def test_the_readme_curl_example_logs_in_and_reads_with_the_token():
    script = curl_block()
    assert "127.0.0.1:8080" in script  # what `make sandbox` listens on
    with Sandbox() as sb:
        done = subprocess.run(
            ["bash", "-euo", "pipefail", "-c", script.replace("http://127.0.0.1:8080", sb.url)],
            capture_output=True,
            text=True,
            timeout=60,
            env=embedded_sandbox_env(),
        )
    assert done.returncode == 0, done.stderr
    decoder = json.JSONDecoder()  # two answers, printed one after the other
    login_answer, end = decoder.raw_decode(done.stdout)
    datacenters, _ = decoder.raw_decode(done.stdout[end:].lstrip())
    assert login_answer["accountAlias"] == "ALIAS" and login_answer["bearerToken"]
    assert "WA1 - US West (Seattle)" in [dc["name"] for dc in datacenters]  # the token worked


def test_help_names_the_demo_login_and_shows_curl():
    text = subprocess.run([*CLI, "--help"], capture_output=True, text=True, check=True).stdout
    assert "user demouser1, password mypassword" in text
    assert "curl -s -X POST http://127.0.0.1:8080/v2/authentication/login" in text
    assert '"password": "mypassword"' in text


def test_the_start_up_banner_names_the_user_and_the_password():
    proc = subprocess.Popen(
        [*CLI, "--port", "0", "--quiet"], stderr=subprocess.PIPE, text=True, env=embedded_sandbox_env()
    )
    try:
        banner = proc.stderr.readline()  # blocks until the sandbox has started and said where
    finally:
        proc.terminate()
        proc.wait(30)
    assert "serving the CLC API v2 on http://127.0.0.1:" in banner
    assert "user demouser1, password mypassword" in banner
