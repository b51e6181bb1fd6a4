"""Billing: a group's estimated costs (`/v2/groups/{alias}/{id}/billing`) and a server's hourly unit
prices (`/v2/billing/{alias}/serverPricing/{id}`, the server's `billing` link). Plausible figures, not
CenturyLink's price list."""

from __future__ import annotations

import calendar
import json
import sqlite3
import time

from ..context import Context
from ..handling import Call
from ..registry import route
from ..shapes import iso
from .groups import Groups
from .servers import Servers

# Hourly unit prices (USD): per vCPU, per GB of memory, per GB of storage, per managed server; archive storage.
PRICES = {"cpu": 0.01, "memoryGB": 0.015, "storageGB": 0.00021, "managedOS": 0.08, "archiveGB": 0.00012}


class Billing:
    """Costs of groups and prices of servers (read-only)."""

    name = "billing"

    def __init__(self, ctx: Context, groups: Groups, servers: Servers) -> None:
        self.ctx = ctx
        self.groups = groups
        self.servers = servers

    @route("GET", "/v2/groups/{alias}/{group}/billing")
    def group_billing(self, call: Call) -> dict:
        """Estimated costs of the group and its descendants, keyed by group then server."""
        with self.ctx.call(call) as tx:
            db = tx.db
            top = self.groups.find(db, tx.alias, call.path["group"])
            now = tx.now()
            month_start = _month_start(now)
            out = {}
            for g in self.groups.subtree_ids(db, top["id"]):
                name = db.execute("SELECT name FROM groups WHERE id=?", (g,)).fetchone()["name"]
                servers = {
                    # month to date: the hours this month the server has existed, not the month's hours
                    s["id"]: _server_costs(s, max(0.0, now - max(month_start, s["created"])) / 3600.0)
                    for s in db.execute("SELECT * FROM servers WHERE group_id=? ORDER BY id", (g,))
                }
                out[g] = {"name": name, "servers": servers}
            return {"date": iso(now), "groups": out}

    @route("GET", "/v2/billing/{alias}/serverPricing/{server}")
    def server_pricing(self, call: Call) -> dict:
        """Hourly unit prices of a server."""
        with self.ctx.call(call) as tx:
            row = self.servers.find(tx.db, tx.alias, call.path["server"])
            return {
                "cpu": PRICES["cpu"],
                "memoryGB": PRICES["memoryGB"],
                "storageGB": PRICES["storageGB"],
                "managedOS": PRICES["managedOS"] if row["managed_os"] else 0.0,
            }


def _month_start(ts: float) -> float:
    t = time.gmtime(ts)
    return float(calendar.timegm((t.tm_year, t.tm_mon, 1, 0, 0, 0)))


def _server_costs(row: sqlite3.Row, month_hours: float) -> dict:
    """The API's cost figures of one server; `month_hours`: the hours of this month it has existed."""
    storage = sum(d["sizeGB"] for d in json.loads(row["disks"]))
    if row["status"] == "archived":
        hourly = storage * PRICES["archiveGB"]
        return {
            "templateCost": 0.0,
            "archiveCost": round(hourly * 730, 2),
            "monthlyEstimate": round(hourly * 730, 2),
            "monthToDate": round(hourly * month_hours, 2),
            "currentHour": round(hourly, 5),
        }
    running = row["power_state"] == "started"
    hourly = storage * PRICES["storageGB"]
    if running:  # stopped and paused servers pay for storage only
        hourly += row["cpu"] * PRICES["cpu"] + row["memory_gb"] * PRICES["memoryGB"]
    if row["managed_os"]:
        hourly += PRICES["managedOS"]
    return {
        "templateCost": 0.0,
        "archiveCost": 0.0,
        "monthlyEstimate": round(hourly * 730, 2),
        "monthToDate": round(hourly * month_hours, 2),
        "currentHour": round(hourly, 5),
    }
