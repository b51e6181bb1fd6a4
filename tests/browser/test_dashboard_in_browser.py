"""The dashboard in a real page, as `make dashboard` serves it: Voila runs dashboard/build-servers.ipynb and
Debian's Chromium logs in, builds a server, sees the bar finish, and pauses the server from the actions list.

Also checked on the way: the page shows the widgets and nothing of the notebook's scaffolding (no code, no
reprs, no demo texts), a refused Build's status goes away once the fields change, and the actions list
relabels a server after an action. Every wait is on what the page shows (generous ceilings for a loaded
machine); no assertion is on time.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parents[2] / "dashboard" / "build-servers.ipynb"  # what make dashboard serves
# Texts that belong to a notebook, not to a dashboard: reprs, printed handles, demo output, code.
SCAFFOLDING = (
    "From code",
    "<JobWatch",
    "JobBoard(",
    "LoginForm(",
    "ServerBuildForm(",
    "Dashboard(",
    "import ",
    "cpu: ",
)
PAGE_TIMEOUT_MS = 150_000  # Voila starts a kernel and runs the notebook before the form shows
BUILD_TIMEOUT_MS = 90_000

# Records what the page shows for the first job row: every status text (read from the mutation records,
# so texts replaced in one burst are not lost) and every distinct bar rendering (classes, width, colour).
RECORD_ROW_STATES = """() => {
  window.__statusTexts = [];
  window.__barStates = [];
  const snapshot = () => {
    const bar = document.querySelector('.clc-job-row .progress-bar');
    if (!bar) return;
    const state = {classes: bar.className, width: bar.style.width, colour: getComputedStyle(bar).backgroundColor};
    const last = window.__barStates[window.__barStates.length - 1];
    if (!last || JSON.stringify(last) !== JSON.stringify(state)) window.__barStates.push(state);
  };
  const texts = (records) => {
    for (const r of records) {
      const el = r.target.nodeType === 1 ? r.target : r.target.parentElement;
      if (!el) continue;
      const found = el.closest('.clc-job-status') ? [el.closest('.clc-job-status')] : [];
      for (const n of r.addedNodes) {
        if (n.nodeType === 1) found.push(...n.querySelectorAll('.clc-job-status'));
        else if (el.closest('.clc-job-status')) window.__statusTexts.push(n.textContent.trim());
      }
      for (const s of found) if (s !== el.closest('.clc-job-status')) window.__statusTexts.push(s.textContent.trim());
      if (r.type === 'characterData' && el.closest('.clc-job-status')) window.__statusTexts.push(r.target.data.trim());
    }
  };
  new MutationObserver((records) => { texts(records); snapshot(); }).observe(document.body,
      {subtree: true, childList: true, attributes: true, characterData: true});
}"""

BUILD_SUCCEEDED = """() => {
  const bar = document.querySelector('.clc-job-row .progress-bar');
  const status = document.querySelector('.clc-job-row .clc-job-status');
  return !!bar && !!status && bar.classList.contains('progress-bar-success') && bar.style.width === '100%'
      && status.textContent.trim() === 'succeeded';
}"""

RENDERED_FILL = """() => {
  const bar = document.querySelector('.clc-job-row .progress-bar').getBoundingClientRect();
  const track = document.querySelector('.clc-job-row .progress').getBoundingClientRect();
  return {bar: bar.width, track: track.width};
}"""


@pytest.mark.browser
@pytest.mark.timeout(480)  # above the sum of the waits below, so a slow page fails with their message
def test_dashboard_logs_in_builds_and_acts_showing_widgets_only(voila_on, browser_page, artifacts):
    page = browser_page
    try:
        drive_and_check(page, voila_on(NOTEBOOK), artifacts)
    except BaseException:
        # the page may be gone; the original failure is what matters
        with contextlib.suppress(Exception):
            page.screenshot(path=str(artifacts / "browser-dashboard-failure.png"), full_page=True)
        raise


def drive_and_check(page, url, artifacts):
    """Open the page, log in, check the texts, click Build, wait for success, check the DOM, pause the server."""
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    page.goto(url, wait_until="domcontentloaded", timeout=PAGE_TIMEOUT_MS)
    connect = page.locator("button.clc-login-connect")
    connect.wait_for(state="visible")
    assert_no_scaffolding(page)
    connect.click()  # the URL left empty: the embedded sandbox
    page.locator(".clc-login-status", has_text="Logged in as demouser1").wait_for()
    build = page.locator("button.clc-build")
    build.wait_for(state="visible")
    page.locator(".clc-server-actions").wait_for(state="visible")
    assert page.locator(".clc-form-status").inner_text().strip() == ""  # nothing stale on first show
    assert_no_scaffolding(page)
    name = page.locator(".clc-field-name input")
    name_message = page.locator(".clc-message-name")
    form_status = page.locator(".clc-form-status")

    # A refused Build says so; the refusal goes as soon as the fields change.
    cpu = page.locator(".clc-field-cpu input")
    cpu.fill("64")
    cpu.press("Enter")
    page.wait_for_function("() => document.querySelector('.clc-message-cpu').textContent.includes('from 1 to 16')")
    build.click()
    form_status.filter(has_text="Nothing was built").wait_for()
    cpu.fill("2")
    cpu.press("Enter")
    page.wait_for_function("() => document.querySelector('.clc-form-status').textContent.trim() === ''")
    assert page.locator(".clc-message-cpu").inner_text().strip() == ""

    # The live name check runs in the kernel and shows next to the field.
    name.fill("web server")
    page.wait_for_function("() => document.querySelector('.clc-message-name').textContent.includes('only letters')")
    name.fill("web")
    page.wait_for_function("() => document.querySelector('.clc-message-name').textContent.trim() === ''")

    page.evaluate(RECORD_ROW_STATES)
    build.click()
    page.wait_for_function(BUILD_SUCCEEDED, timeout=BUILD_TIMEOUT_MS, polling=200)
    page.locator(".clc-job-summary", has_text="1 of 1 done (1 succeeded)").wait_for()
    page.locator(".clc-job-name", has_text="WA1ALIASWEB01").wait_for()
    # The actions list learns of the new server once its build has ended.
    servers = page.locator(".clc-action-servers select")
    servers.locator("option", has_text="WA1ALIASWEB01 (started)").wait_for(state="attached")
    shot = artifacts / "browser-dashboard.png"
    page.screenshot(path=str(shot), full_page=True)

    assert shot.stat().st_size > 10_000
    assert name_message.inner_text().strip() == ""
    assert page.locator(".clc-form-status").inner_text().strip() == "1 build(s) submitted."
    assert page.locator(".clc-job-row .clc-job-status").inner_text().strip() == "succeeded"
    assert page.locator(".clc-job-row .clc-job-name").inner_text().strip() == "create web → WA1ALIASWEB01"
    fill = page.evaluate(RENDERED_FILL)
    assert fill["track"] > 0 and fill["bar"] >= 0.99 * fill["track"]  # drawn full, not just styled so

    texts = page.evaluate("() => window.__statusTexts")
    texts = [t for i, t in enumerate(texts) if i == 0 or texts[i - 1] != t]
    # "submitted" lasts only until the first read, so the page may render the row already "queued".
    assert [t for t in texts if t != "submitted"] == ["queued", "executing", "succeeded"]
    bars = page.evaluate("() => window.__barStates")
    first, last = bars[0], bars[-1]
    assert "progress-bar-info" in first["classes"] and first["width"] != "100%"
    assert "progress-bar-success" in last["classes"] and last["width"] == "100%"
    assert _dominant(first["colour"]) == "blue" and _dominant(last["colour"]) == "green"

    # Pause it from the actions list: when the job has ended, its label says so.
    servers.select_option(label="WA1ALIASWEB01 (started)")
    page.locator(".clc-action select").select_option(label="Pause")
    page.locator("button.clc-action-run").click()
    page.locator(".clc-server-actions .clc-job-summary", has_text="1 of 1 done (1 succeeded)").wait_for()
    servers.locator("option", has_text="WA1ALIASWEB01 (paused)").wait_for(state="attached")
    labels = [text.replace("\xa0", " ") for text in servers.locator("option").all_inner_texts()]  # ipywidgets: nbsp
    assert labels == ["WA1ALIASWEB01 (paused)"]
    assert_no_scaffolding(page)
    page.screenshot(path=str(artifacts / "browser-dashboard-after-pause.png"), full_page=True)


def assert_no_scaffolding(page) -> None:
    """The page shows forms and boards only: none of the notebook's code, reprs or demo texts."""
    text = page.locator("body").inner_text()
    shown = [marker for marker in SCAFFOLDING if marker in text]
    assert not shown, f"the dashboard shows notebook scaffolding {shown}:\n{text[:2000]}"


def _dominant(css_colour: str) -> str:
    """'rgb(56, 142, 60)' -> 'green': which channel the rendered colour is strongest in."""
    red, green, blue = (int(float(v)) for v in css_colour[css_colour.index("(") + 1 :].rstrip(")").split(",")[:3])
    return max((red, "red"), (green, "green"), (blue, "blue"))[1]
