"""The runbook (notebook 04) run by papermill, as a scheduler would: its exit status is the verdict.

nbval already checks the runbook's stored outputs for its default parameters; these tests check what
a scheduler relies on: exit 0 when every server reached the expected state, non-zero (with the reason
on stderr) when one did not, and the summary CSV written in both cases.
"""
from __future__ import annotations

import csv
import json

import pytest

from nbtest_support import RUNBOOK

pytestmark = pytest.mark.slow   # each test starts papermill and a kernel: a few seconds apiece


def _summary(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_runbook_passes_and_writes_its_summary(run_papermill, tmp_path):
    done = run_papermill(RUNBOOK, {"operation": "pause", "timeout": 60, "summary_path": "summary.csv"})

    assert done.returncode == 0, done.stderr[-3000:]
    rows = _summary(tmp_path / "summary.csv")
    assert len(rows) == 3
    assert {r["job_status"] for r in rows} == {"succeeded"}
    assert {r["power_state"] for r in rows} == {"paused"}
    assert {r["ok"] for r in rows} == {"True"}


def test_runbook_fails_loudly_when_servers_do_not_reach_the_state(run_papermill, tmp_path):
    # Every job the sandbox queues ends "failed", so the servers stay started instead of stopped.
    done = run_papermill(RUNBOOK, {"operation": "shut_down", "sandbox_faults": {"job_failure_rate": 1.0},
                                   "summary_path": "summary.csv"})

    assert done.returncode != 0
    assert "3 of 3 server(s) in WA1 Hardware/Default Group failed shut_down" in done.stderr
    assert "WA1ALIASSRV01: job failed, power_state is started, not stopped" in done.stderr
    rows = _summary(tmp_path / "summary.csv")   # written before the verdict, for the post-mortem
    assert {r["job_status"] for r in rows} == {"failed"}
    assert {r["power_state"] for r in rows} == {"started"}
    assert {r["ok"] for r in rows} == {"False"}


def test_runbook_dry_run_changes_nothing(run_papermill, tmp_path):
    done = run_papermill(RUNBOOK, {"operation": "power_off", "dry_run": True, "summary_path": "summary.csv"})

    assert done.returncode == 0, done.stderr[-3000:]
    rows = _summary(tmp_path / "summary.csv")
    assert [r["job_status"] for r in rows] == ["dry run"] * 3
    assert {r["power_state"] for r in rows} == {"started"}


def test_runbook_refuses_an_unknown_operation_before_acting(run_papermill):
    done = run_papermill(RUNBOOK, {"operation": "explode"})

    assert done.returncode != 0
    assert "operation must be one of reboot, reset, power_on" in done.stderr
    assert "got 'explode'" in done.stderr


def test_runbook_accepts_servers_already_in_the_wanted_state(run_papermill, tmp_path):
    # The servers already run: the API refuses to queue power_on ("already in desired state"),
    # which is not a failure, since every server ends where it should.
    done = run_papermill(RUNBOOK, {"operation": "powerOn", "summary_path": "summary.csv"})

    assert done.returncode == 0, done.stderr[-3000:]
    rows = _summary(tmp_path / "summary.csv")
    assert {r["job_status"] for r in rows} == {"notQueued"}
    assert {r["operation"] for r in rows} == {"power_on"}
    assert {r["ok"] for r in rows} == {"True"}


def test_runbook_wait_holds_its_timeout_when_status_reads_are_slow(run_papermill, tmp_path):
    # Every request takes 1.5 s; the wait's 2.5 s must bound the status reads too (a read is cut
    # to the time left), so the run ends with a timeout verdict instead of overstaying.
    done = run_papermill(RUNBOOK, {"operation": "pause", "timeout": 2.5, "summary_path": "summary.csv",
                                   "sandbox_faults": {"latency_ms": 1500}})

    assert done.returncode != 0
    assert "job still running at the deadline, power_state is started, not paused" in done.stderr
    printed = "".join(
        "".join(output.get("text", ""))
        for cell in json.loads((tmp_path / "out.ipynb").read_text())["cells"]
        for output in cell.get("outputs", [])
    )
    assert "timeout: 3 job(s) still running after 2.5 s" in printed, printed[-2000:]
    rows = _summary(tmp_path / "summary.csv")
    assert {r["ok"] for r in rows} == {"False"}
    assert {r["job_status"] for r in rows} <= {"", "notStarted", "executing"}
