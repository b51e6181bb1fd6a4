"""The sandbox against recorded production traffic (api.ctl.io, 2015-2016).

Every interaction of tests/sandbox/recorded/corpus.json (the official Java and Node SDKs' recordings,
reduced to shapes by recorded/extract.py) is replayed over HTTP on a fresh sandbox, scenario by
scenario, and the structure of each answer is compared with the recorded one (recorded/replay.py).

- Per endpoint family, every difference must be a kept deviation (recorded/deviations.py, each listed
  with its reason in docs/sandbox.md, "Deviations from production"); the test of a family fails on any
  other difference and prints each class of them with an example.
- Endpoints the sandbox does not serve yet are counted apart ("not implemented"), found by asking the
  sandbox's router, so they are compared as soon as they exist.
- Interactions the harness could not give an identifier ("unresolved") stay at most MAX_UNRESOLVED.
- Every route of the sandbox is reached by some replayed interaction, except the listed ones that no
  recording has (recorded/coverage.py, also listed in docs/sandbox.md).
- The whole run is written to test-artifacts/recorded-replay.md (counts per family, every class of
  unexplained difference, the endpoints not implemented, the replayed interactions per route).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from recorded.corpus import load
from recorded.coverage import UNRECORDED_ROUTES
from recorded.deviations import DEVIATIONS
from recorded.replay import Replayer
from recorded.report import Summary, render, summarize, unexplained_lines

from clc_notebook.sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[2]
REPORT = ROOT / "test-artifacts" / "recorded-replay.md"
SCENARIOS = load()
FAMILIES = sorted({it.family for sc in SCENARIOS for it in sc.interactions})
MIN_REPLAYED = 300
# Interactions whose identifier the harness can neither learn nor set up honestly. Both are job status
# reads in the Java SDK's server/groups/infrastructure folder: the test created two identical servers per
# data center, WireMock kept one mapping for the two identical create requests, so no recorded answer
# introduces the second build's status id (ca2-57671, ut1-163411); guessing the sandbox job from the
# recorded job numbers would not be a recorded fact. Lower it when set-up learns more; never raise it
# without a reason here.
MAX_UNRESOLVED = 2


@pytest.fixture(scope="module")
def replay() -> Summary:
    """Replay the whole corpus once (a sandbox of its own, reset before every scenario)."""
    started = time.perf_counter()
    with Sandbox(mode="polls", datacenters=16) as sb:
        replayer = Replayer(sb, datacenters=16)
        outcomes = [o for scenario in SCENARIOS for o in replayer.run(scenario)]
    summary = summarize(outcomes)
    REPORT.parent.mkdir(exist_ok=True)
    REPORT.write_text(render(summary, time.perf_counter() - started), encoding="utf-8")
    return summary


def test_the_corpus_is_replayed(replay: Summary):
    assert replay.replayed >= MIN_REPLAYED, f"only {replay.replayed} recorded interactions were replayed"


@pytest.mark.parametrize("family", FAMILIES)
def test_family_answers_like_production(replay: Summary, family: str):
    lines = unexplained_lines(replay, family)
    counts = replay.families[family]
    assert not lines, (
        f"{family}: {counts.unexplained} of {counts.replayed} replayed interactions differ from production "
        f"in ways docs/sandbox.md does not list (full report: {REPORT.relative_to(ROOT)}):\n" + "\n".join(lines)
    )


def test_almost_every_interaction_is_resolved(replay: Summary):
    assert replay.unresolved <= MAX_UNRESOLVED, (
        f"{replay.unresolved} recorded interactions were not replayed for want of an identifier "
        f"(at most {MAX_UNRESOLVED}): see the unresolved column of {REPORT.relative_to(ROOT)}"
    )


def test_routes_without_recordings_are_the_listed_ones(replay: Summary):
    assert not replay.unrouted, f"replayed interactions no sandbox route matched: {dict(replay.unrouted)}"
    uncovered = set(replay.uncovered())
    unlisted = sorted(uncovered - set(UNRECORDED_ROUTES))
    covered = sorted(set(UNRECORDED_ROUTES) - uncovered)
    assert not unlisted, f"routes no recorded interaction reaches: list them in recorded/coverage.py: {unlisted}"
    assert not covered, f"listed as unrecorded but replayed now (or gone): remove them from coverage.py: {covered}"


def test_every_kept_deviation_still_happens(replay: Summary):
    stale = [d.id for d in DEVIATIONS if not replay.used[d.id]]
    assert not stale, f"deviations that no longer happen (remove them here and in docs/sandbox.md): {stale}"


def test_every_kept_deviation_is_documented():
    docs = (ROOT / "docs" / "sandbox.md").read_text(encoding="utf-8")
    table = docs.split("## Deviations from production", 1)[-1]
    missing = [d.id for d in DEVIATIONS if f"`{d.id}`" not in table]
    assert "## Deviations from production" in docs and not missing, f"not in the docs/sandbox.md table: {missing}"


def test_every_route_without_recordings_is_documented():
    docs = (ROOT / "docs" / "sandbox.md").read_text(encoding="utf-8")
    section = docs.split("## Replaying recorded production traffic", 1)[-1].split("\n## ", 1)[0]
    missing = [r for r in UNRECORDED_ROUTES if f"`{r}`" not in section]
    assert not missing, f"not listed in docs/sandbox.md, 'Replaying recorded production traffic': {missing}"
