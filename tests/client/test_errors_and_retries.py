"""The error tree against real answers, and the retry rules under injected faults.

`responses` is used only for answers the sandbox cannot produce (a malformed body, a connection
reset in the middle of an answer, a bare-string error body).
"""

import re
import socket

import pytest
import requests
import responses

import clc_notebook as clc

# -- the error tree against the sandbox -----------------------------------------------------------


def test_400_with_model_state_names_the_field(s, default_group):
    with pytest.raises(clc.ValidationError) as info:
        s.create_server(name="web", group_id=default_group, template="RHEL-6-64-TEMPLATE", cpu=99, memory_gb=1)
    err = info.value
    assert err.status == 400 and isinstance(err, ValueError)
    assert any("cpu" in key.lower() for key in err.model_state)
    assert "cpu" in [f.lower() for f in err.fields]
    text = str(err)
    assert "create server 'web'" in text and "POST /v2/servers/ALIAS" in text and "400" in text
    assert "cpu" in text.lower()


def test_local_argument_errors_name_the_field_and_send_nothing(s, default_group):
    calls = len(s.history)
    with pytest.raises(clc.ValidationError) as info:
        s.create_server(name="web", group_id=default_group, template="RHEL-6-64-TEMPLATE", cpu="two", memory_gb=1)
    assert info.value.status is None and info.value.model_state == {"cpu": ["must be a whole number, got 'two'"]}
    with pytest.raises(clc.ValidationError) as info:
        s.create_server(name="", group_id=default_group, template="RHEL-6-64-TEMPLATE", cpu=1, memory_gb=1)
    assert "name" in str(info.value) and "required" in str(info.value)
    with pytest.raises(clc.ValidationError):
        s.update_server("wa1aliasweb01", colour="red")
    assert len(s.history) == calls


def test_401_logs_in_again_once_and_resends(s, sb, control):
    old = s.transport._token
    control("POST", "expire-tokens")
    assert "WA1" in set(s.datacenters()["id"])
    tail = s.history.iloc[-3:]
    assert list(zip(tail["method"], tail["path"].str.split("?").str[0], tail["status"], strict=True)) == [
        ("GET", "/v2/datacenters/ALIAS", 401),
        ("POST", "/v2/authentication/login", 200),
        ("GET", "/v2/datacenters/ALIAS", 200),
    ]
    assert s.transport._token != old


def test_401_also_resends_a_post(s, sb, built, control):
    control("POST", "expire-tokens")
    jobs = s.reboot(built.id)
    assert len(jobs) == 1
    h = s.history
    posts = h[(h["method"] == "POST") & h["path"].str.contains("/operations/")]
    assert list(posts["status"]) == [401, 200]


def test_401_without_credentials_is_an_authentication_error(s, sb, control):
    with clc.connect(sb.url, token=s.transport._token, alias="ALIAS", quiet=True) as by_token:
        control("POST", "expire-tokens")
        with pytest.raises(clc.AuthenticationError) as info:
            by_token.datacenters()
    assert info.value.status == 401
    assert "list data centers" in str(info.value)


def test_403_for_another_accounts_alias(s):
    with pytest.raises(clc.PermissionDeniedError) as info:
        s.request("GET", "/v2/datacenters/OTHR")
    assert info.value.status == 403 and "OTHR" in str(info.value)


def test_404_on_delete_of_an_unknown_server(s):
    with pytest.raises(clc.NotFoundError) as info:
        s.delete_server("wa1aliasnope01")
    assert "delete server 'wa1aliasnope01'" in str(info.value)


def test_connection_refused_is_a_transport_error_that_was_not_sent(fast):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with (
        clc.connect(f"http://127.0.0.1:{port}", token="tok-abcdef", alias="ALIAS", retries=1, **fast) as dead,
        pytest.raises(clc.TransportError) as info,
    ):
        dead.datacenters()
    err = info.value
    assert err.sent is False and "cannot connect" in str(err) and str(port) in str(err)
    assert "tok-abcdef" not in str(err)


# -- retries under injected faults ---------------------------------------------------------------


def test_gets_survive_30_percent_503s(s, sb, control):
    control("PUT", "faults", {"seed": 7, "errors": [{"rate": 0.3, "status": 503, "methods": ["GET"]}]})
    for _ in range(10):
        assert len(s.groups("WA1")) >= 4
        assert "WA1" in set(s.datacenters()["id"])
    h = s.history.to_dict("records")
    assert any(row["attempt"] > 1 for row in h), "some calls needed a retry"
    assert {row["status"] for row in h if row["method"] == "GET"} == {200, 503}
    # one row per HTTP attempt: each 503 is followed by the next attempt of the same call
    for row, after in zip(h[:-1], h[1:], strict=True):
        if row["status"] == 503:
            assert (after["path"], after["attempt"]) == (row["path"], row["attempt"] + 1)


def test_gets_survive_dropped_connections(s, sb, control):
    control("PUT", "faults", {"seed": 2, "drops": [{"rate": 0.3, "methods": ["GET"]}]})
    for _ in range(10):
        assert "WA1" in set(s.datacenters()["id"])


def test_429_and_503_with_retry_after_re_send_a_post_without_duplicates(s, sb, default_group, control):
    control(
        "PUT",
        "faults",
        {"seed": 2, "errors": [{"rate": 0.5, "status": 429, "methods": ["POST"], "path": "^/v2/servers/"}]},
    )
    job = s.create_server(name="rl", group_id=default_group, template="RHEL-6-64-TEMPLATE", cpu=1, memory_gb=1)
    control("PUT", "faults", {})
    job.wait(timeout=30)
    names = s.servers(group=default_group)["name"]
    assert names.str.match(r"^WA1ALIASRL\d+$").sum() == 1


def test_a_post_that_always_gets_500_is_not_resent(s, sb, default_group, control):
    control("PUT", "faults", {"errors": [{"rate": 1.0, "status": 500, "methods": ["POST"], "path": "^/v2/servers/"}]})
    with pytest.raises(clc.ServerError) as info:
        s.create_server(name="x", group_id=default_group, template="RHEL-6-64-TEMPLATE", cpu=1, memory_gb=1)
    assert info.value.status == 500
    posts = s.history[(s.history["method"] == "POST") & s.history["path"].str.startswith("/v2/servers/")]
    assert len(posts) == 1 and posts["attempt"].iloc[0] == 1


def test_create_whose_answer_is_lost_is_reconciled_not_duplicated(s, sb, default_group, control):
    control("PUT", "faults", {"drops": [{"rate": 1.0, "methods": ["POST"], "path": "^/v2/servers/", "after": True}]})
    job = s.create_server(
        name="lost",
        group_id=default_group,
        template="RHEL-6-64-TEMPLATE",
        cpu=1,
        memory_gb=1,
        description="answer lost",
    )
    control("PUT", "faults", {})
    assert job.id is None and re.fullmatch(r"wa1aliaslost\d+", job.server_id)
    posts = s.history[(s.history["method"] == "POST") & s.history["path"].str.startswith("/v2/servers/")]
    assert len(posts) == 1 and posts["status"].isna().all()
    found = s.servers(group=default_group)
    assert found["name"].str.match(r"^WA1ALIASLOST\d+$").sum() == 1
    # the reconciled job follows the server's own status (time mode: the build completes)
    control("PUT", "clock", {"mode": "time", "speed": 100})
    job.wait(timeout=30, poll=0.02)
    assert job.succeeded and job.server().status == "active"


def test_create_lost_before_it_was_handled_is_not_half_made(s, sb, default_group, control):
    control("PUT", "faults", {"drops": [{"rate": 1.0, "methods": ["POST"], "path": "^/v2/servers/", "after": False}]})
    with pytest.raises(clc.TransportError) as info:
        s.create_server(name="never", group_id=default_group, template="RHEL-6-64-TEMPLATE", cpu=1, memory_gb=1)
    assert "nothing was created" in str(info.value)
    control("PUT", "faults", {})
    assert not s.servers(group=default_group)["name"].str.contains("NEVER").any()


def test_a_lost_power_operation_is_reported_not_resent(s, sb, built, control):
    control("PUT", "faults", {"drops": [{"rate": 1.0, "methods": ["POST"], "path": "/operations/", "after": True}]})
    with pytest.raises(clc.TransportError) as info:
        s.reboot(built.id)
    assert "may have been applied" in str(info.value) and info.value.sent is None
    h = s.history
    assert len(h[(h["method"] == "POST") & h["path"].str.contains("/operations/")]) == 1


# -- answers only a mock can give ----------------------------------------------------------------


@pytest.fixture
def offline(fast):
    """A token session on an address nobody listens on; `responses` plays the server."""
    with clc.connect(
        "http://127.0.0.1:9", token="tok-offline-123", alias="ALIAS", location="WA1", retries=2, **fast
    ) as session:
        yield session


@responses.activate
def test_malformed_json_body_is_a_malformed_response_error(offline):
    responses.get("http://127.0.0.1:9/v2/datacenters/ALIAS", body="<html>oops", content_type="application/json")
    with pytest.raises(clc.MalformedResponseError) as info:
        offline.datacenters()
    assert "not JSON" in str(info.value) and "<html>oops" in str(info.value)


@responses.activate
def test_status_answer_without_status_is_malformed_and_redacted(offline):
    # an endpoint that echoes the caller's token into a broken status answer must not leak it
    responses.get("http://127.0.0.1:9/v2/operations/ALIAS/status/wa1-1", json={"echo": "Bearer tok-offline-123"})
    with pytest.raises(clc.MalformedResponseError) as info:
        offline.job("wa1-1").status()
    assert "without a status" in str(info.value)
    assert "tok-offline-123" not in str(info.value) and "***" in str(info.value)


@responses.activate
def test_connection_reset_mid_answer_is_a_transport_error(offline):
    responses.get(
        "http://127.0.0.1:9/v2/datacenters/ALIAS",
        body=requests.exceptions.ChunkedEncodingError("connection reset by peer"),
    )
    with pytest.raises(clc.TransportError) as info:
        offline.datacenters()
    assert "broke before a complete answer" in str(info.value)
    # an idempotent call was tried again (1 + retries), every attempt recorded on its own row
    assert list(offline.history["attempt"]) == [1, 2, 3]


@responses.activate
def test_reset_then_good_answer_recovers(offline):
    url = "http://127.0.0.1:9/v2/datacenters/ALIAS"
    responses.get(url, body=requests.exceptions.ChunkedEncodingError("reset"))
    responses.get(url, json=[{"id": "wa1", "name": "WA1 - US West (Seattle)", "links": []}])
    assert list(offline.datacenters()["id"]) == ["WA1"]


@responses.activate
def test_bare_string_error_body(offline):
    responses.get("http://127.0.0.1:9/v2/servers/ALIAS/x", json="Something is wrong.", status=400)
    with pytest.raises(clc.ValidationError) as info:
        offline.server("x")
    assert info.value.message == "Something is wrong."
    assert "get server 'x': GET /v2/servers/ALIAS/x answered 400" in str(info.value)


@responses.activate
def test_error_and_validation_messages_shape(offline):
    responses.get(
        "http://127.0.0.1:9/v2/servers/ALIAS/x", status=422, json={"error": "nope", "validationMessages": ["bad thing"]}
    )
    with pytest.raises(clc.ApiError) as info:
        offline.server("x")
    assert info.value.message == "nope" and info.value.model_state == {"": ["bad thing"]}


@responses.activate
def test_user_agent_content_type_and_token_header(offline):
    responses.get("http://127.0.0.1:9/v2/datacenters/ALIAS", json=[])
    df = offline.datacenters()
    assert df.empty and list(df.columns) == ["id", "name", "root_group_id", "root_group_name"]
    sent = responses.calls[0].request.headers
    assert re.fullmatch(r"clc_notebook/\d+\.\d+\.\d+\S* python-requests/\S+", sent["User-Agent"])
    assert sent["Content-Type"] == "application/json"
    assert sent["Authorization"] == "Bearer tok-offline-123"


DROP_FIRST = {"seed": 1}  # random.Random(1) draws 0.134, 0.847, ...: at rate 0.5 only the first drops


def test_a_lost_sync_patch_is_simply_sent_again(s, built, control):
    control(
        "PUT",
        "faults",
        dict(DROP_FIRST, drops=[{"rate": 0.5, "methods": ["PATCH"], "path": "^/v2/servers/", "after": True}]),
    )
    assert s.update_server(built.id, description="again") is None
    control("PUT", "faults", {})
    patches = s.history[s.history["method"] == "PATCH"]
    assert list(patches["status"].astype("object").fillna("lost")) == ["lost", 204]
    assert s.server(built.id)["description"] == "again"


def test_a_lost_async_patch_is_followed_on_the_server(s, built, control):
    control("PUT", "faults", {"drops": [{"rate": 1.0, "methods": ["PATCH"], "path": "^/v2/servers/", "after": True}]})
    job = s.update_server(built.id, cpu=3, memory_gb=5)
    control("PUT", "faults", {})
    assert job.id is None and job.kind == "update" and job.server_id == built.id
    assert len(s.history[s.history["method"] == "PATCH"]) == 1, "not re-sent"
    control("PUT", "clock", {"mode": "time", "speed": 100})
    job.wait(timeout=30, poll=0.02)
    details = s.server(built.id)["details"]
    assert job.succeeded and (details["cpu"], details["memoryMB"]) == (3, 5 * 1024)


def test_a_lost_delete_is_followed_on_the_server_not_resent(s, built, control):
    control("PUT", "faults", {"drops": [{"rate": 1.0, "methods": ["DELETE"], "path": "^/v2/servers/", "after": True}]})
    job = s.delete_server(built.id)
    control("PUT", "faults", {})
    assert job.id is None and job.kind == "delete"
    assert len(s.history[s.history["method"] == "DELETE"]) == 1, "not re-sent"
    control("PUT", "clock", {"mode": "time", "speed": 100})
    job.wait(timeout=30, poll=0.02)
    assert job.succeeded
    with pytest.raises(clc.NotFoundError):
        s.server(built.id)


def test_a_delete_lost_before_it_was_handled_is_sent_again(s, built, control):
    control(
        "PUT",
        "faults",
        dict(DROP_FIRST, drops=[{"rate": 0.5, "methods": ["DELETE"], "path": "^/v2/servers/", "after": False}]),
    )
    job = s.delete_server(built.id)
    control("PUT", "faults", {})
    assert job.id is not None, "the second DELETE was answered with its status link"
    deletes = s.history[s.history["method"] == "DELETE"]
    assert len(deletes) == 2 and deletes["status"].iloc[-1] == 202
    job.wait(timeout=30)
    with pytest.raises(clc.NotFoundError):
        s.server(built.id)


@pytest.mark.parametrize("status", [429, 503])
def test_put_and_delete_are_re_sent_when_the_api_declined_them(s, built, control, status):
    control(
        "PUT", "faults", {"seed": 2, "errors": [{"rate": 0.5, "status": status, "methods": ["POST", "PUT", "DELETE"]}]}
    )
    s.add_public_ip(built.id, ports=[80]).wait(timeout=30)
    ip = s.public_ips(built.id)[0]
    s.update_public_ip(built.id, ip, ports=[443]).wait(timeout=30)
    s.delete_public_ip(built.id, ip).wait(timeout=30)
    h = s.history
    declined = h[h["status"] == status]
    assert len(declined) and set(declined["method"]) <= {"POST", "PUT", "DELETE"}, "fault fired"
    control("PUT", "faults", {})
    assert s.public_ips(built.id) == []


def test_a_login_without_answer_in_time_is_a_timeout_error(sb, control, fast):
    control("PUT", "faults", {"spikes": {"rate": 1.0, "ms": 1500}})
    with pytest.raises(clc.ClcTimeoutError) as info:
        clc.connect(sb.url, sb.username, sb.password, **dict(fast, retries=1, timeout=(2, 0.2)))
    assert "log in as 'demouser1'" in str(info.value) and "0.2 s" in str(info.value)
    assert sb.password not in str(info.value)


def test_read_timeout_names_the_limit(s, sb, control):
    control("PUT", "faults", {"spikes": {"rate": 1.0, "ms": 1500}})
    impatient = clc.connect(
        sb.url, token=s.transport._token, alias="ALIAS", quiet=True, retries=1, backoff=0.0, timeout=(2, 0.2)
    )
    with impatient, pytest.raises(clc.ClcTimeoutError) as info:
        impatient.datacenters()
    err = info.value
    assert isinstance(err, TimeoutError) and "no answer within 0.2 s" in str(err)
    assert list(impatient.history["attempt"]) == [1, 2]
