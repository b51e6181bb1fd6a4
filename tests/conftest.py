"""Fixtures every test directory shares: one sandbox for the whole run, reset before each test using it.

- `sandbox` (session scope): one in-process `Sandbox(mode="polls")` on a loopback port, started once.
  Before every test that uses it (directly or through another fixture), it is put back into the same
  known state by `sandbox_api.reset_sandbox`: seeded account, no faults, `polls` mode with one status
  read per step, speed 1. Tokens issued before stay valid unless a test expires them. Per-test state
  belongs in function-scoped fixtures: a wider fixture built on `sandbox` is wiped by the next reset.
- `sb`: the same sandbox (the client tests' name for it).
- `api`: a `sandbox_api.Api` logged in to it (raw `requests`, no client code).
- `control`: `control(method, path, json=None)` calls its control plane over HTTP (`/sandbox/<path>`).
- `classroom`: a classroom sandbox (3 trainees, started once per run, reset through its instructor's
  control plane before each test using it) as a `sandbox_api.Classroom` (roster rows, `api(row)`,
  `board()`).
- `new_sandbox`: `new_sandbox(**options)` starts a sandbox of the test's own, stopped afterwards, for
  tests that need other options, a process-like lifecycle, or that would disturb the shared one (work
  left in flight after the test, a state file, module-wide state).

Directory conftests add only what is theirs (the client's `s`, the widgets' `session`, ...).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from sandbox_api import Api, Classroom, call_control, reset_sandbox

from clc_notebook.sandbox import Sandbox


@pytest.fixture(scope="session")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(mode="polls") as sb:
        yield sb


@pytest.fixture(autouse=True)
def _known_sandbox_state(request: pytest.FixtureRequest) -> Iterator[None]:
    """Reset the shared sandbox before each test that uses it (and clear its faults afterwards, so a
    fault cannot outlive its test into another fixture's teardown)."""
    if "sandbox" not in request.fixturenames:
        yield
        return
    sb = request.getfixturevalue("sandbox")
    reset_sandbox(sb)
    yield
    sb.set_faults({})


@pytest.fixture
def sb(sandbox: Sandbox) -> Sandbox:
    """The shared sandbox, reset (an alias of `sandbox`)."""
    return sandbox


@pytest.fixture
def api(sandbox: Sandbox) -> Api:
    """A raw `requests` view of the shared sandbox, logged in as the demo user."""
    return Api(sandbox)


@pytest.fixture
def control(sandbox: Sandbox) -> Callable:
    """control(method, path, json=None): the shared sandbox's control plane; returns the parsed answer."""
    return lambda method, path, json=None: call_control(sandbox, method, path, json)


@pytest.fixture(scope="session")
def classroom_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """One classroom sandbox for the run (polls mode, 3 trainees and an instructor; roster in a temp dir)."""
    roster = tmp_path_factory.mktemp("classroom") / "roster.csv"
    with Sandbox(mode="polls", trainees=3, roster=str(roster)) as sb:
        yield sb


@pytest.fixture
def classroom(classroom_sandbox: Sandbox) -> Classroom:
    """The classroom sandbox reset (every account seeded again, progress forgotten, no faults, polls
    mode) and its roster, as a `sandbox_api.Classroom`."""
    room = Classroom(classroom_sandbox)
    room.reset()
    return room


@pytest.fixture
def new_sandbox() -> Iterator[Callable[..., Sandbox]]:
    """new_sandbox(**options) -> a started Sandbox of the test's own (polls mode unless told otherwise);
    every one is stopped after the test."""
    started: list[Sandbox] = []

    def start(**options) -> Sandbox:
        sb = Sandbox(**{"mode": "polls", **options}).start()
        started.append(sb)
        return sb

    yield start
    for sb in started:
        sb.stop()
