"""Client: group statistics as a time series and group billing, against a sandbox whose clock was moved
on two days after its servers were built (a server has statistics from its creation on)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pandas as pd
import pytest
from sandbox_api import call_control

import clc_notebook as clc
from clc_notebook.endpoints import monitoring


def _dtypes(df):
    return [(c, str(t)) for c, t in df.dtypes.items()]


@pytest.fixture
def monitored(new_sandbox, fast):
    """A session on a sandbox of its own: two servers in group "Web" (one 1-CPU, one 4-CPU), then two days."""
    with clc.connect(sandbox=new_sandbox(), **fast) as s:
        group = s.create_group("Web", "Default Group")
        template = "RHEL-6-64-TEMPLATE"
        jobs = [
            s.create_server(name="web", group_id=group.id, template=template, cpu=cpu, memory_gb=2) for cpu in (1, 4)
        ]
        servers = sorted(job.wait().server().id for job in jobs)
        call_control(s.sandbox, "PUT", "clock", {"advance": 2 * 86400})
        yield s, group, servers


def test_the_default_is_the_last_day_hourly_one_row_per_server_and_sample(monitored):
    s, group, servers = monitored
    df = s.group_statistics("Web")
    assert _dtypes(df) == [(c, t) for c, t in monitoring.GROUP_STATISTICS]
    assert set(df["server_id"]) == set(servers)
    per_server = df.groupby("server_id")["timestamp"]
    assert all(24 <= n <= 25 for n in per_server.size())  # the first hour may have begun before the start
    assert all(per_server.diff().dropna() == pd.Timedelta(hours=1))
    assert df["timestamp"].is_monotonic_increasing
    assert df.attrs["raw"][0]["name"] in servers
    # numeric and ready to plot: one column per server
    wide = df.pivot(index="timestamp", columns="server_id", values="cpu_percent")
    assert list(wide.columns) == servers and wide.notna().all().all()
    assert set(df.loc[df["server_id"] == servers[0], "cpu"]) | set(df.loc[df["server_id"] == servers[1], "cpu"]) == {
        1.0,
        4.0,
    }
    assert (df["memory_mb"] == 2048.0).all() and (df["guest_disk_used_mb"] < df["guest_disk_capacity_mb"]).all()
    assert ((df["cpu_percent"] >= 0) & (df["cpu_percent"] <= 100)).all()


def test_realtime_latest_and_explicit_windows(monitored):
    s, group, servers = monitored
    realtime = s.group_statistics(group.id, type="REALTIME", start=timedelta(hours=-2), interval="00:10:00")
    steps = realtime.groupby("server_id")["timestamp"].diff().dropna()
    assert (steps == pd.Timedelta(minutes=10)).all() and len(realtime) == 2 * 12
    latest = s.group_statistics("WA1 Hardware/Default Group/Web", type="latest")  # a path works too
    assert sorted(latest["server_id"]) == servers and len(latest) == 2

    end = latest["timestamp"].max().floor("h") - pd.Timedelta(hours=1)
    aware = s.group_statistics("Web", start=end - pd.Timedelta(hours=6), end=end, interval=timedelta(hours=2))
    naive = s.group_statistics(
        "Web", start=(end - pd.Timedelta(hours=6)).tz_localize(None).to_pydatetime(), end=end.isoformat(), interval="2h"
    )
    pd.testing.assert_frame_equal(aware, naive)  # the same window asked twice: the same numbers
    assert len(aware) == 6 and (aware.groupby("server_id")["timestamp"].diff().dropna() == pd.Timedelta(hours=2)).all()


def test_bad_arguments_name_their_field_before_sending(monitored):
    s, group, _servers = monitored
    calls = s.calls
    for kwargs, field in [
        ({"type": "weekly"}, "type"),
        ({"interval": "soon"}, "interval"),
        ({"interval": -5}, "interval"),
        ({"start": object()}, "start"),
        ({"start": "not a date"}, "start"),
    ]:
        with pytest.raises(clc.ValidationError) as err:
            s.group_statistics(group.id, **kwargs)
        assert field in err.value.model_state and err.value.status is None
    assert s.calls == calls
    # what only the API knows: 14 days at most, realtime 4 hours
    with pytest.raises(clc.ValidationError) as err:
        s.group_statistics(group.id, start=datetime.now(timezone.utc) - timedelta(days=30))
    assert err.value.status == 400 and "start" in err.value.model_state
    with pytest.raises(clc.ValidationError) as err:
        s.group_statistics(group.id, type="realtime", start=timedelta(hours=-6))
    assert "start" in err.value.model_state
    with pytest.raises(clc.NotFoundError):
        s.group_statistics("No Such Group")


def test_a_group_without_servers_gives_the_empty_frame(monitored):
    s, _group, _servers = monitored
    archive = s.resolve_group("Archive")
    calls = s.calls
    df = s.group_statistics(archive)
    assert df.empty and _dtypes(df) == [(c, t) for c, t in monitoring.GROUP_STATISTICS]
    assert s.calls - calls == 1  # the latest sample showed no server: nothing more to ask


def test_group_billing_one_row_per_server(monitored):
    s, group, servers = monitored
    bill = s.group_billing("Default Group")
    assert _dtypes(bill) == [(c, t) for c, t in monitoring.GROUP_BILLING]
    assert sorted(bill["server_id"]) == servers
    assert set(bill["group_id"]) == {group.id} and set(bill["group_name"]) == {"Web"}
    assert (bill["monthly_estimate"] > 0).all() and bill["date"].notna().all()
    assert set(bill.attrs["raw"]["groups"]) >= {group.id}
    empty = s.group_billing("Archive")
    assert empty.empty and _dtypes(empty) == _dtypes(bill)
