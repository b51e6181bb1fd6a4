"""Group monitoring statistics: `GET /v2/groups/{alias}/{id}/statistics?type=&start=&end=&sampleInterval=`.

One item per server of the group's subtree (active servers, by id): `{name, stats: [...]}`. The values
come from a deterministic synthetic load model, so identical requests get identical answers:

- each server has a profile drawn from its id (busy or quiet, the hour of its daily peak, how noisy,
  how much memory its application holds, how much traffic it serves);
- its load follows a daily cycle (low at night, a peak in the afternoon UTC, lighter at weekends);
- a sample is the model at the middle of its interval plus noise seeded by (server id, timestamp,
  interval), the noise shrinking as intervals get longer (a longer sample averages more);
- CPU demand is in vCPUs, so a small server runs hotter than a large one under the same load; memory
  is the OS footprint plus what the application holds, against the server's memory; disks are the
  server's disks; values reflect the server's current size (no history of resizes is kept);
- a server has samples only from its creation on, and a server that is not started reports no load
  from its last change on (the sandbox keeps no power history).

Rules (clc-api-v2.md §4.7, §9.4): `type` latest | hourly (the default) | realtime, in any case;
`latest` needs nothing else and gives one sample; `hourly` and `realtime` need `start` (within the
last 14 days; realtime within the last 4 hours) and `sampleInterval` (`dd:hh:mm:ss` or `hh:mm:ss`;
hourly at least 1 hour and at most 14 days, realtime at least 5 minutes and at most 4 hours); `end`
defaults to now (a later one is taken as now) and must leave room for one interval after `start`.
Sample timestamps are aligned to the hour (hourly) or to 5 minutes (realtime); only whole intervals
that have ended are given. Problems: 400 with `modelState` keyed by the parameter's name.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import sqlite3
import time
from dataclasses import dataclass
from datetime import datetime, timezone

from ..context import Context
from ..errors import BadRequest
from ..handling import Call
from ..registry import route
from ..shapes import iso
from ..validation import Errors
from .groups import Groups

TYPES = ("latest", "hourly", "realtime")
DAY = 86400.0
RETENTION = 14 * DAY  # statistics are kept 14 days
REALTIME_BACK = 4 * 3600.0  # realtime data covers the last 4 hours
INTERVALS = {"hourly": (3600.0, RETENTION), "realtime": (300.0, REALTIME_BACK)}  # (min, max) seconds
GRAIN = {"hourly": 3600.0, "realtime": 300.0}  # sample timestamps are aligned to this
MAX_POINTS = 200_000  # servers x samples in one answer
INTERVAL_RE = re.compile(r"^(?:(\d{1,2})[:.])?(\d{1,2}):(\d{1,2}):(\d{1,2})$")


@dataclass(frozen=True)
class Window:
    """What a statistics request asks for: sample start times and the length of each sample."""

    times: list[float]
    interval: float
    latest: bool


class Statistics:
    """Monitoring statistics of a group's servers (read-only)."""

    name = "statistics"

    def __init__(self, ctx: Context, groups: Groups) -> None:
        self.ctx = ctx
        self.groups = groups

    @route("GET", "/v2/groups/{alias}/{group}/statistics")
    def group_statistics(self, call: Call) -> list[dict]:
        """`[{name, stats}]`, one item per active server of the subtree; 400 naming a bad parameter."""
        with self.ctx.call(call) as tx:
            db = tx.db
            top = self.groups.find(db, tx.alias, call.path["group"])
            window = read_window(call.query, tx.now())
            ids = self.groups.subtree_ids(db, top["id"])
            rows = sorted(
                (
                    r
                    for chunk in range(0, len(ids), 500)
                    for r in db.execute(
                        "SELECT * FROM servers WHERE status='active' AND group_id IN"
                        f" ({','.join('?' * len(ids[chunk : chunk + 500]))})",
                        ids[chunk : chunk + 500],
                    )
                ),
                key=lambda r: r["id"],
            )
            points = len(rows) * len(window.times)
            if points > MAX_POINTS:
                raise BadRequest(
                    model_state={
                        "sampleInterval": [
                            f"The request asks for {points} samples (servers x intervals), more than {MAX_POINTS}:"
                            " use a longer sampleInterval, a shorter window or a smaller group."
                        ]
                    }
                )
            return [{"name": r["id"], "stats": server_stats(r, window)} for r in rows]


# --- the request ----------------------------------------------------------------------------------------


def read_window(query: dict[str, str], now: float) -> Window:
    """The sample times a query asks for; raises a 400 naming every bad parameter (keys lower-cased)."""
    errors = Errors(prefix="")
    kind = query.get("type", "hourly").strip().lower() or "hourly"
    if kind not in TYPES:
        errors.add("type", "The type must be latest, hourly or realtime.")
        errors.raise_if_any()
    if kind == "latest":
        return Window([math.floor(now / 60) * 60], 60.0, True)
    start = _moment(query.get("start"), "start", errors, required=True)
    end = _moment(query.get("end"), "end", errors) if query.get("end", "").strip() else now
    interval = _interval(query.get("sampleinterval"), kind, errors)
    if start is not None:
        if start < now - RETENTION:
            errors.add("start", "Statistics are kept for 14 days: start must be within the last 14 days.")
        elif kind == "realtime" and start < now - REALTIME_BACK:
            errors.add("start", "Realtime statistics cover the last 4 hours: start must be within the last 4 hours.")
        elif start > now:
            errors.add("start", "The start must not be in the future.")
    if end is not None:
        end = min(end, now)
    if not errors and start is not None and end is not None and interval is not None and end - start < interval:
        errors.add("end", "The 'end' parameter must represent a time at least one 'sampleInterval' after 'start'.")
    errors.raise_if_any()
    assert start is not None and end is not None and interval is not None
    first = math.floor(start / GRAIN[kind]) * GRAIN[kind]
    count = int((end - first) // interval)
    return Window([first + k * interval for k in range(count)], interval, False)


def _moment(text: str | None, name: str, errors: Errors, required: bool = False) -> float | None:
    """Epoch seconds of an ISO date or date-time (UTC unless it says otherwise)."""
    if text is None or not text.strip():
        if required:
            errors.add(name, f"The {name} parameter is required for hourly and realtime statistics.")
        return None
    value = text.strip()
    # a "+hh:mm" offset sent unencoded in a query string arrives as " hh:mm"
    value = re.sub(r"(T[\d:.]+) (\d{2}:?\d{2})$", r"\1+\2", value)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        errors.add(name, f"The {name} must be a date and time in UTC, such as 2015-07-23T12:00:00.")
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()


def _interval(text: str | None, kind: str, errors: Errors) -> float | None:
    """Seconds of a `dd:hh:mm:ss` / `hh:mm:ss` timespan within the type's limits."""
    if text is None or not text.strip():
        errors.add("sampleInterval", f"The sampleInterval parameter is required for {kind} statistics.")
        return None
    m = INTERVAL_RE.match(text.strip())
    if not m or int(m.group(2)) > 23 or int(m.group(3)) > 59 or int(m.group(4)) > 59:
        errors.add("sampleInterval", "The sampleInterval must be a timespan dd:hh:mm:ss or hh:mm:ss.")
        return None
    days, hours, minutes, seconds = (int(g or 0) for g in m.groups())
    value = float(((days * 24 + hours) * 60 + minutes) * 60 + seconds)
    low, high = INTERVALS[kind]
    if not low <= value <= high:
        errors.add(
            "sampleInterval",
            f"The sampleInterval of {kind} statistics must be between {_span(low)} and {_span(high)}.",
        )
        return None
    return value


def _span(seconds: float) -> str:
    days, rest = divmod(int(seconds), 86400)
    return f"{days:02d}:{time.strftime('%H:%M:%S', time.gmtime(rest))}"


# --- the synthetic load model ------------------------------------------------------------------------


def _unit(*parts: object) -> float:
    """A number in [0, 1) determined by `parts` (the same in every process and on every machine)."""
    digest = hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


def _normal(*parts: object) -> float:
    """About normally distributed (mean 0, sd 1), determined by `parts`."""
    return (sum(_unit(*parts, k) for k in range(4)) - 2.0) * math.sqrt(3.0)


@dataclass(frozen=True)
class Profile:
    """How a server behaves, drawn once from its id."""

    idle: float  # vCPUs busy at the quietest hour
    peak: float  # vCPUs busy at the daily peak
    peak_hour: float  # UTC hour of the daily peak
    noise: float  # relative noise of a 5-minute sample
    os_mb: float  # memory the OS holds
    app_share: float  # share of the server's memory the application holds at rest
    swing_share: float  # extra share it takes at peak load
    rx_peak: float  # KB/s received at peak
    tx_ratio: float  # sent / received

    @classmethod
    def of(cls, server_id: str, windows: bool) -> Profile:
        u = [_unit(server_id, "profile", k) for k in range(9)]
        return cls(
            idle=0.02 + 0.06 * u[0],
            peak=0.2 + 0.7 * u[1],  # a 1-vCPU server peaks at 20-90 %
            peak_hour=13.0 + 6.0 * u[2],
            noise=0.06 + 0.12 * u[3],
            os_mb=(1400.0 + 800.0 * u[4]) if windows else (280.0 + 220.0 * u[4]),
            app_share=0.05 + 0.25 * u[5],
            swing_share=0.05 + 0.15 * u[6],
            rx_peak=40.0 + 460.0 * u[7],
            tx_ratio=0.5 + 1.5 * u[8],
        )

    def load(self, ts: float) -> float:
        """0..1: the daily cycle (1 at the peak hour, 0 twelve hours away), lighter at weekends."""
        hour = (ts % DAY) / 3600.0
        cycle = 0.5 + 0.5 * math.cos(2 * math.pi * (hour - self.peak_hour) / 24.0)
        weekend = time.gmtime(ts).tm_wday >= 5
        return cycle**1.5 * (0.55 if weekend else 1.0)


def server_stats(row: sqlite3.Row, window: Window) -> list[dict]:
    """The samples of one server in a window (none before the server existed)."""
    disks = json.loads(row["disks"])
    profile = Profile.of(row["id"], bool(row["windows"]))
    static = _disk_usage(row, disks)
    stats = []
    for ts in window.times:
        if not window.latest and ts + window.interval <= row["created"]:
            continue
        stats.append({"timestamp": iso(ts), **_sample(row, profile, ts, window.interval), **static})
    return stats


def _sample(row: sqlite3.Row, profile: Profile, ts: float, interval: float) -> dict:
    cpus, memory_mb = float(row["cpu"]), float(row["memory_gb"] * 1024)
    running = row["power_state"] == "started" or ts + interval <= row["modified"]
    if running:
        mid = ts + interval / 2.0
        load = profile.load(mid)
        spread = profile.noise * math.sqrt(300.0 / max(interval, 300.0))  # longer samples average more
        seed = (row["id"], int(ts), int(interval))
        demand = (profile.idle + (profile.peak - profile.idle) * load) * max(0.0, 1.0 + spread * _normal(*seed, "cpu"))
        used_mb = profile.os_mb + memory_mb * (
            profile.app_share + profile.swing_share * load * max(0.0, 1.0 + spread * _normal(*seed, "mem"))
        )
        rx = profile.rx_peak * (0.03 + load) * max(0.0, 1.0 + 2 * spread * _normal(*seed, "net"))
        cpu_percent = min(100.0, 100.0 * demand / cpus)
        memory_percent = min(100.0, 100.0 * used_mb / memory_mb)
    else:
        cpu_percent = memory_percent = rx = 0.0
    return {
        "cpu": cpus,
        "cpuPercent": round(cpu_percent, 2),
        "memoryMB": memory_mb,
        "memoryPercent": round(memory_percent, 2),
        "networkReceivedKBps": round(rx, 2),
        "networkTransmittedKBps": round(rx * profile.tx_ratio, 2),
    }


def _disk_usage(row: sqlite3.Row, disks: list[dict]) -> dict:
    """`diskUsageTotalCapacityMB`, `diskUsage` (the server's disks) and `guestDiskUsage` (partitions:
    Linux `/boot` on the first disk and `/` on the third, Windows `C:\\`, plus partitioned extra disks)."""
    usage = [{"id": d.get("id", f"0:{i}"), "capacityMB": int(d["sizeGB"]) * 1024} for i, d in enumerate(disks)]
    mounts: list[tuple[str, int]] = []
    if row["windows"] and disks:
        mounts.append(("C:\\", int(disks[0]["sizeGB"])))
    elif len(disks) >= 3:
        mounts += [("/", int(disks[2]["sizeGB"])), ("/boot", int(disks[0]["sizeGB"]))]
    mounts += [(d["path"], int(d["sizeGB"])) for d in disks if d.get("path")]
    guest = []
    for path, size_gb in mounts:
        capacity = int(size_gb * 1024 * 0.975)  # a file system keeps some space for itself
        share = 0.04 + 0.3 * _unit(row["id"], "disk", path) if path in ("/", "C:\\") else 0.2 * _unit(row["id"], path)
        guest.append({"path": path, "capacityMB": capacity, "consumedMB": int(capacity * share)})
    return {
        "diskUsageTotalCapacityMB": float(sum(u["capacityMB"] for u in usage)),
        "diskUsage": usage,
        "guestDiskUsage": guest,
    }
