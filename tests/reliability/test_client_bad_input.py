"""Bad input through the client (hypothesis): whatever a notebook passes to create_server,
update_server or power, the answer is a Job / None or a ClcError whose message names the field --
never a TypeError or KeyError from inside the library -- and a refused call creates nothing."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import clc_notebook as clc
from clc_notebook.sandbox import Sandbox

from .conftest import PROFILE
from .support import record_figure, scale

anything = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(),  # nan and inf too
    st.text(max_size=12),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
# argument -> words that name it in an error (the Python name or the API's field name)
FIELDS = {
    "name": ("name",),
    "group_id": ("group",),
    "template": ("template", "sourceserverid"),
    "cpu": ("cpu",),
    "memory_gb": ("memory",),
    "network_id": ("network",),
    "password": ("password",),
    "description": ("description",),
}


@pytest.fixture(scope="module")
def client():
    with Sandbox(mode="polls") as sb:
        s = clc.connect(url=sb.url, username=sb.username, password=sb.password, quiet=True)
        groups = s.groups("WA1")
        s.default_group = groups.loc[groups["name"] == "Default Group", "id"].iloc[0]
        s.outcomes = {}
        yield s
        record_figure("client_bad_input", **s.outcomes)
        s.close()


def count(s, key: str) -> None:
    s.outcomes[key] = s.outcomes.get(key, 0) + 1


@settings(settings.get_profile(PROFILE), max_examples=scale(80, 1000))
@given(field=st.sampled_from(sorted(FIELDS)), value=anything)
def test_create_server_with_any_argument_value(client, field, value):
    s = client
    s.n = getattr(s, "n", 0) + 1  # a fresh name per case, so no case can be mistaken for another
    args = {
        "name": f"c{s.n:04d}",
        "group_id": s.default_group,
        "template": "RHEL-6-64-TEMPLATE",
        "cpu": 1,
        "memory_gb": 1,
    }
    args[field] = value
    before = len(s.servers(dc="WA1"))
    try:
        s.create_server(**args)
        count(s, "create:accepted")
        return
    except clc.ClcError as exc:
        count(s, f"create:{type(exc).__name__}")
        text = str(exc)
        # the sandbox is healthy here: a transport error can only be a local input problem misreported
        assert not isinstance(exc, clc.TransportError), f"create_server({field}={value!r}): {text}"
        assert text.strip() and "Traceback" not in text
        if isinstance(exc, clc.ValidationError):
            fields = (" ".join(getattr(exc, "fields", []) or []) + " " + text).lower().replace("_", "")
            assert any(word in fields for word in FIELDS[field]), (
                f"create_server({field}={value!r}) refused without naming the field: {text}"
            )
    assert len(s.servers(dc="WA1")) == before, f"a refused create_server({field}={value!r}) created a server"


@settings(settings.get_profile(PROFILE), max_examples=scale(40, 500))
@given(
    operation=st.one_of(st.sampled_from(["reboot", "power_on", "shutDown", "pause", "explode", ""]), anything),
    ids=st.one_of(anything, st.lists(st.one_of(st.text(max_size=15), st.integers()), max_size=3)),
)
def test_power_with_any_arguments(client, operation, ids):
    try:
        client.power(operation, ids)
        count(client, "power:accepted")
    except clc.ClcError as exc:
        count(client, f"power:{type(exc).__name__}")
        assert str(exc).strip()
        assert not isinstance(exc, clc.TransportError), f"power({operation!r}, {ids!r}): {exc}"


@settings(settings.get_profile(PROFILE), max_examples=scale(40, 500))
@given(member=st.sampled_from(["cpu", "memory_gb", "description", "group_id", "bogus", "password"]), value=anything)
def test_update_server_with_any_member_value(client, member, value):
    s = client
    if not hasattr(s, "target"):
        job = s.create_server(name="upd", group_id=s.default_group, template="RHEL-6-64-TEMPLATE", cpu=1, memory_gb=1)
        job.wait(timeout=30, poll=0.01)
        s.target = job.server()["id"]
    try:
        job = s.update_server(s.target, **{member: value})
        count(s, "update:accepted")
        if job is not None:
            job.wait(timeout=30, poll=0.01)
    except clc.ClcError as exc:
        count(s, f"update:{type(exc).__name__}")
        assert str(exc).strip()
        assert not isinstance(exc, clc.TransportError), f"update_server({member}={value!r}): {exc}"


@pytest.mark.parametrize(
    "field, value",
    [("name", float("nan")), ("description", float("nan")), ("network_id", float("inf"))],
    ids=["name-nan", "description-nan", "network-inf"],
)
def test_a_value_json_cannot_carry_is_a_validation_error_naming_the_field(client, field, value):
    """NaN/inf cannot be sent as JSON: nothing leaves the machine, so the error must say which field
    is wrong -- not "the connection broke ... may have been applied", and not an AttributeError."""
    s = client
    args = {"name": "nanx", "group_id": s.default_group, "template": "RHEL-6-64-TEMPLATE", "cpu": 1, "memory_gb": 1}
    args[field] = value
    with pytest.raises(clc.ValidationError) as caught:
        s.create_server(**args)
    assert any(word in str(caught.value).lower().replace("_", "") for word in FIELDS[field]), str(caught.value)
