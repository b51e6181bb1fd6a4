"""Group monitoring statistics and group billing: Session methods and their frames.

    stats = s.group_statistics("Default Group")                 # the last day, hourly
    stats.pivot(index="timestamp", columns="server_id", values="cpu_percent").plot()
    s.group_statistics("Web", type="realtime", start=timedelta(hours=-2), interval="00:05:00")
    s.group_billing("Default Group")                            # DataFrame GROUP_BILLING

A group is named by its id, its name or its path (Session.resolve_group).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pandas as pd

from .. import frames
from ..frames import FLOAT, STR, TIME
from .base import SessionParts, problem

GROUP_STATISTICS = (
    ("timestamp", TIME),
    ("server_id", STR),
    ("cpu", FLOAT),
    ("cpu_percent", FLOAT),
    ("memory_mb", FLOAT),
    ("memory_percent", FLOAT),
    ("network_received_kbps", FLOAT),
    ("network_transmitted_kbps", FLOAT),
    ("disk_capacity_mb", FLOAT),
    ("guest_disk_capacity_mb", FLOAT),
    ("guest_disk_used_mb", FLOAT),
)
GROUP_BILLING = (
    ("group_id", STR),
    ("group_name", STR),
    ("server_id", STR),
    ("template_cost", FLOAT),
    ("archive_cost", FLOAT),
    ("monthly_estimate", FLOAT),
    ("month_to_date", FLOAT),
    ("current_hour", FLOAT),
    ("date", TIME),
)
SCHEMAS = {"group_statistics": GROUP_STATISTICS, "group_billing": GROUP_BILLING}
TYPES = ("latest", "hourly", "realtime")
DEFAULTS = {  # kind -> (the window before the API's latest sample, the sample interval)
    "hourly": (timedelta(days=1), timedelta(hours=1)),
    "realtime": (timedelta(hours=1), timedelta(minutes=5)),
}
TIMESPAN = re.compile(r"^(\d+[:.])?\d{1,2}:\d{1,2}:\d{1,2}$")  # the API's dd:hh:mm:ss or hh:mm:ss


def statistics_frame(raw: Any) -> pd.DataFrame:
    """One row per server and sample (the GROUP_STATISTICS columns), by timestamp then server."""
    rows = []
    for item in raw if isinstance(raw, list) else ():
        if not isinstance(item, dict):
            continue
        for sample in item.get("stats") or ():
            if not isinstance(sample, dict):
                continue
            guest = [g for g in sample.get("guestDiskUsage") or () if isinstance(g, dict)]
            rows.append(
                {
                    "timestamp": sample.get("timestamp"),
                    "server_id": str(item.get("name") or "").lower() or None,
                    "cpu": sample.get("cpu"),
                    "cpu_percent": sample.get("cpuPercent"),
                    "memory_mb": sample.get("memoryMB"),
                    "memory_percent": sample.get("memoryPercent"),
                    "network_received_kbps": sample.get("networkReceivedKBps", sample.get("networkReceivedKbps")),
                    "network_transmitted_kbps": sample.get(
                        "networkTransmittedKBps", sample.get("networkTransmittedKbps")
                    ),
                    "disk_capacity_mb": sample.get("diskUsageTotalCapacityMB"),
                    "guest_disk_capacity_mb": sum(float(g.get("capacityMB") or 0) for g in guest) if guest else None,
                    "guest_disk_used_mb": sum(float(g.get("consumedMB") or 0) for g in guest) if guest else None,
                }
            )
    rows.sort(key=lambda r: (str(r["timestamp"]), str(r["server_id"])))
    return frames.records_frame(GROUP_STATISTICS, rows, raw)


def billing_frame(raw: Any) -> pd.DataFrame:
    """One row per server of the group and its descendants (the GROUP_BILLING columns)."""
    body = raw if isinstance(raw, dict) else {}
    rows = [
        {
            "group_id": group_id,
            "group_name": group.get("name"),
            "server_id": server_id,
            "template_cost": costs.get("templateCost"),
            "archive_cost": costs.get("archiveCost"),
            "monthly_estimate": costs.get("monthlyEstimate"),
            "month_to_date": costs.get("monthToDate"),
            "current_hour": costs.get("currentHour"),
            "date": body.get("date"),
        }
        for group_id, group in (body.get("groups") or {}).items()
        if isinstance(group, dict)
        for server_id, costs in (group.get("servers") or {}).items()
        if isinstance(costs, dict)
    ]
    return frames.records_frame(GROUP_BILLING, rows, raw)


class MonitoringMethods(SessionParts):
    """Session methods for a group's monitoring statistics and billing."""

    if TYPE_CHECKING:

        def resolve_group(self, group: str, dc: str | None = None, *, field: str = "group") -> str: ...

    def group_statistics(
        self,
        group: Any,
        type: str = "hourly",
        start: Any = None,
        end: Any = None,
        interval: Any = None,
    ) -> pd.DataFrame:
        """A time series (DataFrame GROUP_STATISTICS): one row per server of the group's subtree and
        sample, ordered by ``timestamp``, numeric columns ready to plot.

        `type` ``hourly`` (the default), ``realtime`` (the last 4 hours, samples down to 5 minutes) or
        ``latest`` (one sample per server; `start`, `end` and `interval` are not used). `start` and
        `end`: datetimes (naive ones are UTC), ISO strings, or timedeltas counted back from the API's
        latest sample (``start=timedelta(hours=-6)``). Without `start` the window is the day (hourly)
        or the hour (realtime) before the API's latest sample, which costs one more request (so the
        client's clock never matters). `interval`: a timedelta, ``"01:00:00"``, ``"0:2:0:0"`` or a
        pandas offset such as ``"2h"``; defaults to 1 hour (hourly) and 5 minutes (realtime). Raises
        NotFoundError for an unknown group, ValidationError for a bad argument (before anything is
        sent) or a window the API refuses (14 days back at most, realtime 4 hours; its model_state
        names the parameter)."""
        kind = str(type).strip().lower()
        if kind not in TYPES:
            raise problem("type", f"must be one of {', '.join(TYPES)}; got {type!r}")
        group_id = self.resolve_group(group)
        path = f"/v2/groups/{self.alias}/{group_id}/statistics"
        what = f"get the {kind} statistics of group {group!r}"
        if kind == "latest":
            return statistics_frame(self._get(path, {"type": "latest"}, what))
        window, step = DEFAULTS[kind]
        params = {"type": kind, "sampleInterval": _timespan(step if interval is None else interval)}
        now = None
        if start is None or isinstance(start, timedelta) or isinstance(end, timedelta):
            latest = self._get(path, {"type": "latest"}, f"{what}: the latest sample first")
            stamps = statistics_frame(latest)["timestamp"]
            if stamps.empty:  # no active server in the group: no statistics either
                return statistics_frame([])
            now = stamps.max()
        params["start"] = _moment(-window if start is None else start, now, "start")
        if end is not None:
            params["end"] = _moment(end, now, "end")
        return statistics_frame(self._get(path, params, what))

    def group_billing(self, group: Any) -> pd.DataFrame:
        """DataFrame (GROUP_BILLING) of the estimated costs of every server of the group and its
        descendants (USD; ``date`` is when the API estimated them). Raises NotFoundError for an
        unknown group."""
        group_id = self.resolve_group(group)
        raw = self._get(f"/v2/groups/{self.alias}/{group_id}/billing", what=f"get the billing of group {group!r}")
        return billing_frame(raw)


def _timespan(value: Any) -> str:
    """A sample interval as the API's ``d:hh:mm:ss``."""
    if isinstance(value, str) and TIMESPAN.fullmatch(value.strip()):
        return value.strip()
    try:
        span = pd.Timedelta(value) if isinstance(value, (str, timedelta)) else None
    except ValueError:
        span = None
    if span is None or pd.isna(span) or span.total_seconds() <= 0:
        raise problem(
            "interval", f"must be a timedelta, 'hh:mm:ss', 'd:hh:mm:ss' or a span such as '2h'; got {value!r}"
        )
    seconds = int(span.total_seconds())
    days, rest = divmod(seconds, 86400)
    return f"{days}:{rest // 3600:02d}:{rest % 3600 // 60:02d}:{rest % 60:02d}"


def _moment(value: Any, now: pd.Timestamp | None, field: str) -> str:
    """A point in time as the API's UTC ``YYYY-MM-DDTHH:MM:SSZ``; a timedelta counts back from `now`."""
    if isinstance(value, timedelta):
        assert now is not None
        moment = now - abs(pd.Timedelta(value))
    else:
        try:
            moment = pd.Timestamp(value) if isinstance(value, (str, datetime, pd.Timestamp)) else None
        except ValueError:
            moment = None
        if moment is None or pd.isna(moment):
            raise problem(field, f"must be a datetime, an ISO date-time string or a timedelta; got {value!r}")
        moment = moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
