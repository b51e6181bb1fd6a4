"""Widgets driven headless (no kernel) against the shared sandbox of tests/conftest.py, over loopback HTTP.

The sandbox runs in `polls` mode (reset before each test that uses it): a job moves one step per status
read, so a build takes three reads and the tests are fast and deterministic on any machine.
"""

from __future__ import annotations

import threading

import pytest

import clc_notebook as clc
from clc_notebook import widgets as clw


@pytest.fixture
def session(sandbox):
    """A logged-in Session (quiet, default settings) on the freshly reset shared sandbox."""
    s = clc.connect(url=sandbox.url, username=sandbox.username, password=sandbox.password, quiet=True)
    yield s
    s.close()


@pytest.fixture(autouse=True)
def fresh_memory():
    """Values remembered by one test's forms must not show up in the next test."""
    clw.forget()
    yield
    clw.forget()


@pytest.fixture
def thread_errors():
    """Exceptions escaping any background thread during the test (there must be none)."""
    seen = []
    previous = threading.excepthook
    threading.excepthook = lambda args: seen.append(args.exc_value)
    yield seen
    threading.excepthook = previous
