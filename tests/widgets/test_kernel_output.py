"""In a real kernel: while a build is polled in the background, later cells get only their own output."""

from __future__ import annotations

import pytest
from jupyter_client.manager import start_new_kernel

OUTPUT_TYPES = ("stream", "display_data", "execute_result", "update_display_data", "error")

SETUP = """
import requests
import clc_notebook as clc
from clc_notebook.widgets import ServerBuildForm
# time mode at speed 0.001: the build certainly runs (about 80 minutes) until the clock is sped up below
session = clc.connect(sandbox={"mode": "time", "speed": 0.001}, quiet=True)
form = ServerBuildForm(session, poll=0.05)
form.set(name="web", count=2)
watch = form.build()
"""
OTHER_CELL = """
print("only this", watch.done)
"""
FINISH = """
requests.put(session.sandbox.url + "/sandbox/clock", json={"speed": 100000}, timeout=10).raise_for_status()
watch.wait(60)
print(watch)
"""


def run_cell(kc, code, timeout=120) -> list[dict]:
    """Execute `code`; return the output messages whose parent is this execution."""
    msg_id = kc.execute(code)
    reply = kc.get_shell_msg(timeout=timeout)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kc.get_shell_msg(timeout=timeout)
    outputs = []
    while True:
        msg = kc.get_iopub_msg(timeout=timeout)
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            break
        if msg["msg_type"] in OUTPUT_TYPES:
            outputs.append(msg)
    assert reply["content"]["status"] == "ok", outputs
    return outputs


def texts(outputs) -> list[str]:
    return [m["content"].get("text") or str(m["content"].get("data", m["content"])) for m in outputs]


@pytest.fixture
def kernel():
    km, kc = start_new_kernel(kernel_name="python3", startup_timeout=120)
    try:
        yield kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def test_polling_thread_output_never_lands_in_other_cells(kernel):
    assert texts(run_cell(kernel, SETUP)) == []  # the form is not displayed here: no output at all

    other = run_cell(kernel, OTHER_CELL)
    finish = run_cell(kernel, FINISH)

    assert texts(other) == ["only this False\n"]  # the build was running; its updates did not show here
    assert texts(finish) == ["<JobWatch 2 job(s): 2 succeeded>\n"]
