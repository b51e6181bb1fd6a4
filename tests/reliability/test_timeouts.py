"""Timeouts: with the sandbox slower than the client's read timeout, calls fail with a clear
ClcTimeoutError in bounded time (the configured timeout times the attempts, plus back-off), and
Job.wait / JobSet.wait honour their deadline. Nothing can hang a notebook cell."""

from __future__ import annotations

import time

import pytest
from sandbox_api import Api, walk_groups

import clc_notebook as clc
from clc_notebook.sandbox import Sandbox

READ_TIMEOUT = 0.4


def bound(s: clc.Session) -> float:
    """The longest a call may take by the client's own settings: every attempt times out, with back-off."""
    st = s.settings if hasattr(s, "settings") else s.transport.settings
    attempts = st.retries + 1
    backoff = sum(min(st.backoff * 2**i, st.backoff_max) for i in range(st.retries))
    return attempts * (READ_TIMEOUT + 0.1) + backoff + 2.0  # 2 s for a loaded 2-core machine


@pytest.fixture
def slow_sandbox(new_sandbox):
    # its own sandbox: handlers the client gave up on are still running when the test ends
    return new_sandbox(mode="polls")


def test_read_timeout_gives_clear_error_in_bounded_time(slow_sandbox):
    sb = slow_sandbox
    s = clc.connect(url=sb.url, username=sb.username, password=sb.password, timeout=(2, READ_TIMEOUT), quiet=True)
    try:
        sb.set_faults({"latency_ms": 3000})
        started = time.monotonic()
        with pytest.raises(clc.ClcTimeoutError) as caught:
            s.datacenters()
        elapsed = time.monotonic() - started
        assert elapsed < bound(s), f"gave up after {elapsed:.1f}s, bound {bound(s):.1f}s"
        text = str(caught.value)
        assert "GET" in text and f"{READ_TIMEOUT:g} s" in text, text
        assert isinstance(caught.value, TimeoutError)
    finally:
        sb.set_faults({})
        s.close()


def test_create_under_timeout_fails_cleanly_and_never_duplicates(slow_sandbox):
    sb = slow_sandbox
    s = clc.connect(url=sb.url, username=sb.username, password=sb.password, timeout=(2, READ_TIMEOUT), quiet=True)
    api = Api(sb)
    default = next(g["id"] for g in walk_groups(api.group(api.root_group("WA1"))) if g["name"] == "Default Group")
    try:
        sb.set_faults({"latency_ms": 1000})
        started = time.monotonic()
        with pytest.raises(clc.ClcError) as caught:
            s.create_server(name="slow", group_id=default, template="RHEL-6-64-TEMPLATE", cpu=1, memory_gb=1)
        elapsed = time.monotonic() - started
        assert isinstance(caught.value, clc.TransportError), repr(caught.value)
        assert elapsed < 3 * bound(s), elapsed  # the POST, then the reconciling reads, each bounded
    finally:
        sb.set_faults({})
        s.close()
    time.sleep(1.5)  # let the slow handlers the client gave up on finish server-side
    probe = api.server_by_uuid(api.post_server("slow", default))["name"]
    assert probe in ("WA1ALIASSLOW01", "WA1ALIASSLOW02"), f"the timed-out create was applied twice: {probe}"


def test_job_wait_honours_its_deadline():
    # polls mode with a huge step: the job never moves however often it is read
    with Sandbox(mode="polls", polls_per_step=10**6) as sb:
        s = clc.connect(url=sb.url, username=sb.username, password=sb.password, quiet=True)
        try:
            groups = s.groups("WA1")
            group_id = groups.loc[groups["name"] == "Default Group", "id"].iloc[0]
            job = s.create_server(name="stuck", group_id=group_id, template="RHEL-6-64-TEMPLATE", cpu=1, memory_gb=1)
            started = time.monotonic()
            with pytest.raises(clc.JobTimeoutError) as caught:
                job.wait(timeout=1.0, poll=0.1)
            elapsed = time.monotonic() - started
            assert 1.0 <= elapsed < 4.0, elapsed
            assert caught.value.jobs and caught.value.jobs[0] is job
            assert job.id in str(caught.value)

            second = s.create_server(name="stuck", group_id=group_id, template="RHEL-6-64-TEMPLATE", cpu=1, memory_gb=1)
            started = time.monotonic()
            with pytest.raises(clc.JobTimeoutError) as caught:
                clc.JobSet([job, second]).wait(timeout=0.5, poll=0.1)
            assert 0.5 <= time.monotonic() - started < 3.5
            assert {j.id for j in caught.value.jobs} == {job.id, second.id}
        finally:
            s.close()


def test_a_server_that_accepts_but_never_answers_cannot_hang_a_call():
    """A listening socket nobody serves: the connection opens (kernel backlog), no byte comes back."""
    import socket

    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        started = time.monotonic()
        with pytest.raises(clc.ClcError) as caught:
            clc.connect(
                url=url, username="demouser1", password="mypassword", timeout=(1, READ_TIMEOUT), quiet=True, retries=2
            )
        elapsed = time.monotonic() - started
    assert isinstance(caught.value, clc.TransportError), repr(caught.value)
    assert elapsed < 30, f"a silent server held the call for {elapsed:.1f}s"
    assert "mypassword" not in str(caught.value)


def test_a_sandbox_that_is_down_gives_a_clear_error_quickly():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again before we connect: nothing listens there
    s = clc.connect(url=f"http://127.0.0.1:{port}", token="t" * 40, alias="ALIAS", location="WA1", quiet=True)
    started = time.monotonic()
    with pytest.raises(clc.TransportError) as caught:
        s.servers()
    assert time.monotonic() - started < 30
    text = str(caught.value)
    assert f"127.0.0.1:{port}" in text and "connect" in text.lower(), text


@pytest.mark.parametrize("call", ["login", "get", "create"])
def test_a_refused_connection_is_retried_a_bounded_number_of_times(call, monkeypatch):
    """Retries must not multiply (urllib3's Retry inside the transport's own loop): at most
    `retries + 1` connection attempts per call, so a notebook learns quickly that nothing listens."""
    import socket

    import urllib3.util.connection as connection

    attempts = []
    real = connection.create_connection

    def counting(*args, **kwargs):  # a spy: the real connection attempt still happens
        attempts.append(args[0])
        return real(*args, **kwargs)

    retries = 2  # fewer than the default 4, to keep the test short; the rule is the same
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}"  # closed before use: refused
    if call == "login":
        monkeypatch.setattr(connection, "create_connection", counting)
        with pytest.raises(clc.TransportError):
            clc.connect(url=url, username="demouser1", password="mypassword", quiet=True, retries=retries)
    else:
        s = clc.connect(url=url, token="t" * 40, alias="ALIAS", location="WA1", quiet=True, retries=retries)
        monkeypatch.setattr(connection, "create_connection", counting)
        with pytest.raises(clc.TransportError):
            if call == "get":
                s.datacenters()
            else:
                s.create_server(name="x", group_id="g" * 32, template="RHEL-6-64-TEMPLATE", cpu=1, memory_gb=1)
    assert len(attempts) <= retries + 1, f"{call}: {len(attempts)} connection attempts for one call"
