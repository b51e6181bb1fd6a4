"""Jobs as rows: queueing, the status read, and the settle step that applies a finished job's effects once."""

from __future__ import annotations

import ipaddress
import json
import time

from . import fixtures
from .clock import FINAL, duration_for
from .common import Principal
from .common import dumps as _dumps
from .errors import NotFound

JOB_COUNTER_BASE = 100000
PUBLIC_NET = ipaddress.IPv4Network("66.150.0.0/16")
POWER_RESULT = {
    "powerOn": "started",
    "powerOff": "stopped",
    "shutDown": "stopped",
    "reboot": "started",
    "reset": "started",
    "pause": "paused",
}


class JobRules:
    """Mixin of `Backend`: jobs (needs `self.store`, `self.clock`, `self.faults`)."""

    def _new_job(self, db, alias: str, dc: str, kind: str, target: str | None, params: dict | None = None) -> str:
        row = db.execute("SELECT n FROM job_counters WHERE dc=?", (dc,)).fetchone()
        n = (row["n"] if row else JOB_COUNTER_BASE) + 1
        db.execute("INSERT OR REPLACE INTO job_counters VALUES (?,?)", (dc, n))
        job_id = f"{dc.lower()}-{n}"
        outcome = "failed" if self.faults.job_fails() else "succeeded"
        db.execute(
            "INSERT INTO jobs (id, alias, dc, kind, target, params, created, duration, outcome)"
            " VALUES (?,?,?,?,?,?,?,?,?)",
            (job_id, alias, dc, kind, target, _dumps(params or {}), self.clock.now(), duration_for(kind), outcome),
        )
        return job_id

    def tick(self, db) -> None:
        """Time mode: settle every job whose time is up (called at the start of each transaction)."""
        if self.clock.settings.mode != "time":
            return
        now = self.clock.now()
        for job in db.execute("SELECT * FROM jobs WHERE settled=0 ORDER BY created").fetchall():
            if self.clock.is_due(job["created"], job["duration"], now):
                self._settle(db, job)

    def job_status(self, who: Principal, alias: str, job_id: str) -> dict:
        """One status read: advances a polls-mode job, settles it when it reaches its end."""
        a = self._alias(who, alias)
        with self.store.transaction() as db:
            self.tick(db)
            job = db.execute("SELECT * FROM jobs WHERE id=?", (job_id.lower(),)).fetchone()
            if job is None or job["alias"] != a:
                raise NotFound()
            if job["settled"]:
                return {"status": job["outcome"]}
            polls = job["polls"] + 1
            db.execute("UPDATE jobs SET polls=? WHERE id=?", (polls, job["id"]))
            status = self.clock.status(job["created"], job["duration"], polls, job["outcome"])
            if status in FINAL:
                self._settle(db, job)
            return {"status": status}

    def _settle(self, db, job) -> None:
        """Apply a finished job's side effects exactly once."""
        if db.execute("UPDATE jobs SET settled=1 WHERE id=? AND settled=0", (job["id"],)).rowcount == 0:
            return
        ok = job["outcome"] == "succeeded"
        kind, target, params = job["kind"], job["target"], json.loads(job["params"])
        now, who = self.clock.now(), params.get("by", fixtures.USERNAME)
        touch = (now, who, target)
        if kind == "create":
            if ok:
                db.execute(
                    "UPDATE servers SET status='active', power_state='started', modified=?, modified_by=?"
                    " WHERE id=? AND status='underConstruction'",
                    touch,
                )
            else:
                self._drop_server(db, target)
        elif kind == "delete":
            if ok:
                self._drop_server(db, target)
            else:
                db.execute(
                    "UPDATE servers SET status=? WHERE id=? AND status='queuedForDelete'",
                    (params.get("previous", "active"), target),
                )
        elif not ok:
            if kind == "restoreServer":
                db.execute("UPDATE servers SET status='archived' WHERE id=? AND status='queuedForRestore'", (target,))
        elif kind in POWER_RESULT:
            db.execute(
                "UPDATE servers SET power_state=?, modified=?, modified_by=? WHERE id=? AND status='active'",
                (POWER_RESULT[kind],) + touch,
            )
        elif kind in ("startMaintenance", "stopMaintenance"):
            db.execute(
                "UPDATE servers SET maintenance=?, modified=?, modified_by=? WHERE id=?",
                (int(kind == "startMaintenance"),) + touch,
            )
        elif kind == "archive":
            db.execute(
                "UPDATE servers SET status='archived', group_id=?, power_state='stopped', maintenance=0,"
                " modified=?, modified_by=? WHERE id=? AND status='active'",
                (params["archiveGroup"],) + touch,
            )
        elif kind == "restoreServer":
            db.execute(
                "UPDATE servers SET status='active', group_id=?, power_state='started', modified=?,"
                " modified_by=? WHERE id=? AND status='queuedForRestore'",
                (params["group"],) + touch,
            )
        elif kind == "createSnapshot":
            row = db.execute("SELECT * FROM servers WHERE id=?", (target,)).fetchone()
            if row is not None:
                snaps = [
                    {
                        "id": row["next_snapshot"],
                        "name": _snapshot_name(now),
                        "expires": now + 86400 * (params.get("days") or 10),
                    }
                ]
                db.execute(
                    "UPDATE servers SET snapshots=?, next_snapshot=next_snapshot+1, modified=?, modified_by=?"
                    " WHERE id=?",
                    (_dumps(snaps), now, who, target),
                )
        elif kind == "deleteSnapshot":
            row = db.execute("SELECT * FROM servers WHERE id=?", (target,)).fetchone()
            if row is not None:
                snaps = [s for s in json.loads(row["snapshots"]) if s["id"] != params.get("snapshot")]
                db.execute("UPDATE servers SET snapshots=? WHERE id=?", (_dumps(snaps), target))
        elif kind == "patchServer":
            sets, values = [], []
            for column in ("cpu", "memory_gb", "disks", "password"):
                if column in params:
                    sets.append(f"{column}=?")
                    values.append(params[column])
            if sets:
                db.execute(
                    f"UPDATE servers SET {', '.join(sets)}, modified=?, modified_by=? WHERE id=?",
                    values + [now, who, target],
                )
        elif kind == "deleteGroup":
            self._drop_group_tree(db, target)
        elif kind == "archiveGroup":
            for gid in self._subtree_ids(db, target):
                db.execute(
                    "UPDATE servers SET status='archived', group_id=?, power_state='stopped', maintenance=0,"
                    " modified=?, modified_by=? WHERE group_id=? AND status='active'",
                    (params["archiveGroup"], now, who, gid),
                )
        elif kind == "addPublicIp":
            if db.execute("SELECT 1 FROM servers WHERE id=?", (target,)).fetchone():
                ip = self._next_public_ip(db)
                pos = db.execute("SELECT COALESCE(MAX(position),0)+1 FROM public_ips").fetchone()[0]
                db.execute(
                    "INSERT INTO public_ips VALUES (?,?,?,?,?,?)",
                    (
                        ip,
                        target,
                        params["internal"],
                        _dumps(params["ports"]),
                        _dumps(params["sourceRestrictions"]),
                        pos,
                    ),
                )
        elif kind == "updatePublicIp":
            db.execute(
                "UPDATE public_ips SET ports=?, source_restrictions=? WHERE ip=? AND server_id=?",
                (_dumps(params["ports"]), _dumps(params["sourceRestrictions"]), params["ip"], target),
            )
        elif kind == "deletePublicIp":
            db.execute("DELETE FROM public_ips WHERE ip=? AND server_id=?", (params["ip"], target))
        # executePackage, revertSnapshot and setMaintenance items have no stored effect beyond the above.

    def _drop_server(self, db, sid: str) -> None:
        db.execute("DELETE FROM servers WHERE id=?", (sid,))
        db.execute("DELETE FROM public_ips WHERE server_id=?", (sid,))

    def _subtree_ids(self, db, gid: str) -> list[str]:
        """`gid` and every group below it, parents before children."""
        ids, frontier = [], [gid]
        while frontier:
            ids += frontier
            children = []
            for i in range(0, len(frontier), 500):  # stay under SQLite's bound-parameter limit
                chunk = frontier[i : i + 500]
                marks = ",".join("?" * len(chunk))
                children += [r[0] for r in db.execute(f"SELECT id FROM groups WHERE parent_id IN ({marks})", chunk)]
            frontier = children
        return ids

    def _drop_group_tree(self, db, gid: str) -> None:
        for g in self._subtree_ids(db, gid):
            for (sid,) in db.execute("SELECT id FROM servers WHERE group_id=?", (g,)).fetchall():
                self._drop_server(db, sid)
            db.execute("DELETE FROM groups WHERE id=?", (g,))

    def _new_hex_id(self, db, kind: str) -> str:
        """A fresh 32-hex id for a new group or server: random-looking but deterministic (a counter
        stored with the state), so a replayed notebook gets the same ids and a restart never repeats one."""
        row = db.execute("SELECT value FROM meta WHERE key='id_counter'").fetchone()
        counter = int(row[0]) + 1 if row else 1
        db.execute("INSERT OR REPLACE INTO meta VALUES ('id_counter', ?)", (str(counter),))
        return fixtures.hex_id("sandbox", kind, counter)

    def _next_public_ip(self, db) -> str:
        row = db.execute("SELECT value FROM meta WHERE key='public_ip_next'").fetchone()
        counter = int(row[0]) if row else 10
        ip, counter = fixtures.ip_at(PUBLIC_NET, counter)
        db.execute("INSERT OR REPLACE INTO meta VALUES ('public_ip_next', ?)", (str(counter),))
        return ip


def _snapshot_name(ts: float) -> str:
    """Snapshot names are their creation time, as recorded: `2015-06-18.09:19:36`."""
    return time.strftime("%Y-%m-%d.%H:%M:%S", time.gmtime(ts))
