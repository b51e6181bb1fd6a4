"""Group monitoring statistics over HTTP: one item per active server of the subtree, the recorded sample
shape, the query rules (each problem names its parameter), and the synthetic load model: deterministic,
a daily cycle plus noise, consistent with the server's size and power state.

The module's sandbox has its clock advanced by three days after the servers are built, so they have a
history (a server has samples only from its creation on)."""

from __future__ import annotations

import statistics as stats_lib
import time
from collections import defaultdict

import pytest
from sandbox_api import Api, call_control, rels, status_id, walk_groups

from clc_notebook.sandbox import Sandbox
from clc_notebook.sandbox.resources import statistics as statistics_module

ADVANCE = 3 * 86400
SAMPLE_KEYS = {
    "timestamp",
    "cpu",
    "cpuPercent",
    "memoryMB",
    "memoryPercent",
    "networkReceivedKBps",
    "networkTransmittedKBps",
    "diskUsageTotalCapacityMB",
    "diskUsage",
    "guestDiskUsage",
}


def _iso(ts: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ts))


def _epoch(text: str) -> float:
    return time.mktime(time.strptime(text, "%Y-%m-%dT%H:%M:%SZ")) - time.timezone


class World:
    def __init__(self, sb: Sandbox) -> None:
        self.sb, self.api = sb, Api(sb)
        a = self.api.alias
        default = next(
            g["id"] for g in walk_groups(self.api.group(self.api.root_group("WA1"))) if g["name"] == "Default Group"
        )
        self.group = self.new_group("Monitored", default)
        self.sub = self.new_group("Sub", self.group)
        self.mutable = self.new_group("Mutable", default)
        self.small = self.build(self.group, cpu=1, memoryGB=2)
        self.big = self.build(self.group, cpu=4, memoryGB=8)
        self.nested = self.build(self.sub, cpu=2, memoryGB=4)
        self.changing = self.build(self.mutable, cpu=1, memoryGB=2)
        self.elsewhere = self.build(self.new_group("East", self.api.root_group("VA1")), cpu=1, memoryGB=1)
        call_control(sb, "PUT", "clock", {"advance": ADVANCE})
        self.offset = ADVANCE
        self.stats_path = f"/v2/groups/{a}/{{}}/statistics"

    def new_group(self, name: str, parent: str) -> str:
        return self.api.ok_json("POST", f"/v2/groups/{self.api.alias}", json={"name": name, "parentGroupId": parent})[
            "id"
        ]

    def build(self, group: str, **fields) -> dict:
        accepted = self.api.post_server("mon", group, **fields)
        assert self.api.wait_job(status_id(accepted)) == "succeeded"
        return self.api.server_by_uuid(accepted)

    def now(self) -> float:
        return time.time() + self.offset

    def get(self, group: str, **params):
        return self.api.get(self.stats_path.format(group), params=params)

    def ok(self, group: str, **params) -> list[dict]:
        r = self.get(group, **params)
        assert r.status_code == 200, r.text
        return r.json()


@pytest.fixture(scope="module")
def world():
    with Sandbox(mode="polls") as sb:
        yield World(sb)


def test_latest_gives_one_sample_per_active_server_of_the_subtree(world):
    body = world.ok(world.group, type="latest")
    servers = sorted([world.small, world.big, world.nested], key=lambda s: s["id"])
    assert [item["name"] for item in body] == [s["id"] for s in servers]
    for item, server in zip(body, servers, strict=True):
        assert set(item) == {"name", "stats"} and len(item["stats"]) == 1
        sample = item["stats"][0]
        assert set(sample) == SAMPLE_KEYS
        assert abs(_epoch(sample["timestamp"]) - world.now()) < 300
        assert sample["cpu"] == float(server["details"]["cpu"])
        assert sample["memoryMB"] == float(server["details"]["memoryMB"])
        assert 0 < sample["cpuPercent"] <= 100 and 0 < sample["memoryPercent"] <= 100
        assert sample["networkReceivedKBps"] >= 0 and sample["networkTransmittedKBps"] >= 0
        disks = server["details"]["disks"]
        assert sample["diskUsage"] == [{"id": d["id"], "capacityMB": d["sizeGB"] * 1024} for d in disks]
        assert sample["diskUsageTotalCapacityMB"] == float(server["details"]["storageGB"] * 1024)
        paths = {g["path"]: g for g in sample["guestDiskUsage"]}
        assert set(paths) == {"/", "/boot"}
        assert all(0 < g["consumedMB"] < g["capacityMB"] for g in paths.values())
    # type in any case; the other data center's server is not in this tree
    assert [i["name"] for i in world.ok(world.group, type="LATEST")] == [s["id"] for s in servers]


def test_hourly_samples_are_aligned_whole_hours_that_have_ended(world):
    now = world.now()
    body = world.ok(world.group, type="HOURLY", start=_iso(now - 86400 + 60), sampleInterval="01:00:00")
    for item in body:
        times = [_epoch(s["timestamp"]) for s in item["stats"]]
        assert len(times) in (23, 24), len(times)
        assert all(t % 3600 == 0 for t in times)
        assert all(b - a == 3600 for a, b in zip(times, times[1:], strict=False))
        assert times[-1] + 3600 <= world.now()


def test_realtime_samples_are_five_minutes_apart(world):
    now = world.now()
    body = world.ok(world.group, type="realtime", start=_iso(now - 3 * 3600), sampleInterval="00:00:05:00")
    for item in body:
        times = [_epoch(s["timestamp"]) for s in item["stats"]]
        assert len(times) in (35, 36)
        assert all(t % 300 == 0 for t in times) and all(b - a == 300 for a, b in zip(times, times[1:], strict=False))


def test_the_same_request_gets_the_same_answer(world):
    now = world.now()
    window = {"start": _iso(now - 2 * 86400), "end": _iso(now - 86400), "sampleInterval": "0:2:0:0"}
    first = world.ok(world.group, **window)
    assert len(first[0]["stats"]) == 12
    assert world.ok(world.group, **window) == first
    assert world.ok(world.group, type="hourly", **window) == first  # hourly is the default type


def test_load_follows_a_daily_cycle_with_noise(world):
    now = world.now()
    body = world.ok(world.group, start=_iso(now - ADVANCE + 3600), sampleInterval="01:00:00")
    for item in body:
        series = [s["cpuPercent"] for s in item["stats"]]
        by_hour = defaultdict(list)
        for s in item["stats"]:
            by_hour[int(s["timestamp"][11:13])].append(s["cpuPercent"])
        means = [stats_lib.mean(v) for v in by_hour.values()]
        assert max(means) > 2 * min(means), (item["name"], means)  # busy afternoons, quiet nights
        # a cycle, not white noise: neighbouring hours look alike, yet no two samples are all equal
        assert _lag1_correlation(series) > 0.5, item["name"]
        assert len(set(series)) > len(series) // 2
        memory = [s["memoryPercent"] for s in item["stats"]]
        assert _lag1_correlation(memory) > 0.3
        assert all(s["networkTransmittedKBps"] >= 0 for s in item["stats"])


def _lag1_correlation(values: list[float]) -> float:
    return stats_lib.correlation(values[:-1], values[1:])


def test_a_server_has_no_samples_before_it_existed(world):
    fresh_group = world.new_group("Fresh", world.mutable)
    fresh = world.build(fresh_group, cpu=1, memoryGB=1)
    now = world.now()
    body = world.ok(fresh_group, start=_iso(now - 86400), sampleInterval="01:00:00")
    assert body == [{"name": fresh["id"], "stats": []}]
    assert len(world.ok(fresh_group, type="latest")[0]["stats"]) == 1


def test_cpu_percent_follows_the_server_size_and_stops_with_the_server(world):
    server = world.changing
    now = world.now()
    window = {"start": _iso(now - 86400), "end": _iso(now - 3600), "sampleInterval": "01:00:00"}
    before = world.ok(world.mutable, **window)[0]["stats"]
    patched = world.api.patch(
        f"/v2/servers/{world.api.alias}/{server['id']}", json=[{"op": "set", "member": "cpu", "value": 4}]
    )
    assert patched.status_code == 202, patched.text
    assert world.api.wait(rels({"links": [patched.json()]})["status"]["href"])[-1] == "succeeded"
    after = world.ok(world.mutable, **window)[0]["stats"]
    assert [s["timestamp"] for s in after] == [s["timestamp"] for s in before]
    for old, new in zip(before, after, strict=True):
        assert new["cpu"] == 4.0
        if old["cpuPercent"] < 100:  # the same demand spread over four times the CPUs
            assert abs(new["cpuPercent"] - old["cpuPercent"] / 4) <= 0.01
        assert new["memoryPercent"] == old["memoryPercent"]

    ops = world.api.post(f"/v2/operations/{world.api.alias}/servers/powerOff", json=[server["id"]])
    assert world.api.wait_job(ops.json()[0]["links"][0]["id"]) == "succeeded"
    latest = world.ok(world.mutable, type="latest")[0]["stats"][0]
    assert (latest["cpuPercent"], latest["memoryPercent"], latest["networkReceivedKBps"]) == (0, 0, 0)
    assert world.ok(world.mutable, **window)[0]["stats"] == after  # the past keeps its load


def test_groups_without_active_servers_answer_an_empty_list(world):
    assert world.ok(world.sub, type="latest") != []
    empty = world.new_group("Empty", world.group)
    assert world.ok(empty, type="latest") == []
    r = world.get("0123456789abcdef0123456789abcdef", type="latest")
    assert r.status_code == 404


@pytest.mark.parametrize(
    "params, fields",
    [
        ({"type": "weekly"}, {"type"}),
        ({"type": "hourly"}, {"start", "sampleInterval"}),
        ({"start": "yesterday", "sampleInterval": "01:00:00"}, {"start"}),
        ({"start": "@-15d", "sampleInterval": "01:00:00"}, {"start"}),  # older than 14 days
        ({"start": "@+1h", "sampleInterval": "01:00:00"}, {"start"}),  # in the future
        ({"start": "@-2d", "sampleInterval": "00:30:00"}, {"sampleInterval"}),  # hourly needs >= 1 h
        ({"start": "@-2d", "sampleInterval": "15:00:00:00"}, {"sampleInterval"}),  # at most 14 days
        ({"start": "@-2d", "sampleInterval": "1 hour"}, {"sampleInterval"}),
        ({"start": "@-2d", "sampleInterval": "00:61:00"}, {"sampleInterval"}),
        ({"type": "realtime", "start": "@-5h", "sampleInterval": "00:05:00"}, {"start"}),  # realtime: 4 h back
        ({"type": "realtime", "start": "@-1h", "sampleInterval": "00:01:00"}, {"sampleInterval"}),
        ({"type": "realtime", "start": "@-1h", "sampleInterval": "05:00:00"}, {"sampleInterval"}),
        ({"start": "@-2h", "end": "@-90m", "sampleInterval": "01:00:00"}, {"end"}),  # no room for one interval
        ({"start": "@-2h", "end": "@-3h", "sampleInterval": "01:00:00"}, {"end"}),
        ({"start": "@-2d", "end": "not a date", "sampleInterval": "01:00:00"}, {"end"}),
    ],
)
def test_query_problems_name_their_parameter(world, params, fields):
    now = world.now()
    units = {"d": 86400, "h": 3600, "m": 60}

    def resolve(value: str) -> str:
        if not value.startswith("@"):
            return value
        number, unit = int(value[1:-1]), value[-1]
        return _iso(now + number * units[unit])

    r = world.get(world.group, **{k: resolve(v) for k, v in params.items()})
    assert r.status_code == 400, r.text
    assert set(r.json()["modelState"]) == fields, r.json()


def test_accepted_spellings(world):
    now = world.now()
    day = time.strftime("%Y-%m-%d", time.gmtime(now - 86400))
    # the Java SDK's recorded call: a date-only start, d:h:m:s, upper-case type
    assert len(world.ok(world.group, start=day, sampleInterval="0:1:0:0", type="HOURLY")[0]["stats"]) >= 24
    zulu = _iso(now - 7200) + ".302Z"
    assert len(world.ok(world.group, start=zulu, sampleInterval="01:00:00")[0]["stats"]) >= 1
    offset = _iso(now - 7200 + 3600) + "+01:00"  # the same moment written with an offset
    assert world.ok(world.group, start=offset, sampleInterval="01:00:00") == world.ok(
        world.group, start=_iso(now - 7200), sampleInterval="01:00:00"
    )
    # an end in the future is taken as now
    later = world.ok(world.group, start=_iso(now - 7200), end=_iso(now + 86400), sampleInterval="01:00:00")
    assert later == world.ok(world.group, start=_iso(now - 7200), sampleInterval="01:00:00")


def test_too_many_samples_are_refused(world, monkeypatch):
    monkeypatch.setattr(statistics_module, "MAX_POINTS", 10)
    r = world.get(world.group, start=_iso(world.now() - 86400), sampleInterval="01:00:00")
    assert r.status_code == 400 and set(r.json()["modelState"]) == {"sampleInterval"}
    assert world.get(world.group, type="latest").status_code == 200
