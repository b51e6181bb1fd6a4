"""The runbook's verdict says only what is true of each server (it once said a server "did not reach
power_state=started" while reporting that it was started)."""

from __future__ import annotations

import re

import pytest
from nbtest_support import RUNBOOK

pytestmark = pytest.mark.slow  # papermill and a kernel: a few seconds


def test_a_failed_reboot_of_a_started_server_blames_the_job_not_the_state(run_papermill):
    # every job fails; a reboot leaves the servers started, which is the state a reboot promises
    done = run_papermill(RUNBOOK, {"operation": "reboot", "sandbox_faults": {"job_failure_rate": 1.0}})

    assert done.returncode != 0
    verdict = re.search(r"RuntimeError: (.*)", done.stderr).group(1)
    assert verdict.startswith("3 of 3 server(s) in WA1 Hardware/Default Group failed reboot")
    assert "WA1ALIASSRV01: job failed (power_state is started)" in verdict
    assert "did not reach" not in verdict and "not started" not in verdict
