"""The build form in a real page: Voila serves a notebook, Debian's Chromium clicks Build and sees the bar finish.

Every wait is on what the page shows (generous ceilings for a loaded machine); no assertion is on time.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).with_name("build_form.ipynb")
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
def test_build_form_in_voila_shows_the_bar_full_and_succeeded(voila_on, browser_page, artifacts):
    page = browser_page
    try:
        drive_and_check(page, voila_on(NOTEBOOK), artifacts)
    except BaseException:
        # the page may be gone; the original failure is what matters
        with contextlib.suppress(Exception):
            page.screenshot(path=str(artifacts / "browser-build-form-failure.png"), full_page=True)
        raise


def drive_and_check(page, url, artifacts):
    """Open the page, check the live name message, click Build, wait for success, check the DOM."""
    page.set_default_timeout(PAGE_TIMEOUT_MS)
    page.goto(url, wait_until="domcontentloaded", timeout=PAGE_TIMEOUT_MS)
    build = page.locator("button.clc-build")
    build.wait_for(state="visible")
    name = page.locator(".clc-field-name input")
    name_message = page.locator(".clc-message-name")

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
    shot = artifacts / "browser-build-form.png"
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


def _dominant(css_colour: str) -> str:
    """'rgb(56, 142, 60)' -> 'green': which channel the rendered colour is strongest in."""
    red, green, blue = (int(float(v)) for v in css_colour[css_colour.index("(") + 1 :].rstrip(")").split(",")[:3])
    return max((red, "red"), (green, "green"), (blue, "blue"))[1]
