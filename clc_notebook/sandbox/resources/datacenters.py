"""Data centers: the list, one data center, its deployment capabilities (networks, templates) and limits."""

from __future__ import annotations

import sqlite3

from .. import fixtures
from ..context import Context
from ..errors import NotFound
from ..handling import Call
from ..registry import route
from ..shapes import link

LINUX_RESERVED = (
    "bin",
    "boot",
    "build",
    "cdrom",
    "compat",
    "dist",
    "dev",
    "entropy",
    "etc",
    "home",
    "initrd.img",
    "lib",
    "lib64",
    "libexec",
    "lost+found",
    "media",
    "mnt",
    "opt",
    "proc",
    "root",
    "sbin",
    "selinux",
    "srv",
    "sys",
    "tmp",
    "usr",
    "var",
    "vmlinuz",
)
WINDOWS_RESERVED = ("a", "b", "c", "d")


def reserved_paths(windows: bool) -> tuple[str, ...]:
    """Drive paths (Windows) or mount points (Linux) a template keeps for itself."""
    return WINDOWS_RESERVED if windows else LINUX_RESERVED


class Datacenters:
    """The account's data centers (read-only)."""

    name = "datacenters"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    @staticmethod
    def find(db: sqlite3.Connection, dc: str) -> sqlite3.Row:
        """The data center row of `dc` (any case); 404 if unknown."""
        row = db.execute("SELECT * FROM datacenters WHERE id=?", (dc.lower(),)).fetchone()
        if row is None:
            raise NotFound()
        return row

    @staticmethod
    def root_group(db: sqlite3.Connection, alias: str, dc: str) -> sqlite3.Row | None:
        """The account's root group in data center `dc` (every account has its own tree)."""
        return db.execute("SELECT * FROM groups WHERE dc=? AND alias=? AND parent_id IS NULL", (dc, alias)).fetchone()

    @route("GET", "/v2/datacenters/{alias}")
    def list_all(self, call: Call) -> list[dict]:
        """The account's data centers (with the root group's links with `groupLinks=true`)."""
        with self.ctx.call(call) as tx:
            rows = tx.db.execute("SELECT * FROM datacenters ORDER BY position").fetchall()
            roots = {
                g["dc"]: g
                for g in tx.db.execute("SELECT * FROM groups WHERE parent_id IS NULL AND alias=?", (tx.alias,))
            }
            group_links = call.flag("groupLinks")
            return [datacenter(r, roots.get(r["id"]), tx.alias, group_links) for r in rows]

    @route("GET", "/v2/datacenters/{alias}/{dc}")
    def get(self, call: Call) -> dict:
        """One data center; 404 if unknown. The root group appears only as the `group` link (`groupLinks`)."""
        with self.ctx.call(call) as tx:
            row = self.find(tx.db, call.path["dc"])
            return datacenter(row, self.root_group(tx.db, tx.alias, row["id"]), tx.alias, call.flag("groupLinks"))

    @route("GET", "/v2/datacenters/{alias}/{dc}/deploymentCapabilities")
    def capabilities(self, call: Call) -> dict:
        """Deployable networks and templates of a data center (404 if unknown)."""
        with self.ctx.call(call) as tx:
            row = self.find(tx.db, call.path["dc"])
            nets = tx.db.execute(
                "SELECT * FROM networks WHERE dc=? AND alias=? ORDER BY name", (row["id"], tx.alias)
            ).fetchall()
            templates = tx.db.execute("SELECT * FROM templates ORDER BY position").fetchall()
            return {
                "dataCenterEnabled": True,
                "importVMEnabled": True,
                "supportsPremiumStorage": True,
                "supportsSharedLoadBalancer": True,
                "supportsBareMetalServers": False,
                "deployableNetworks": [
                    {"name": n["name"], "networkId": n["id"], "type": "private", "accountID": tx.alias} for n in nets
                ],
                "templates": [template(t) for t in templates],
                "importableOSTypes": [dict(t) for t in fixtures.IMPORTABLE_OS_TYPES],
            }

    @route("GET", "/v2/datacenters/{alias}/{dc}/bareMetalCapabilities")
    def bare_metal_capabilities(self, call: Call) -> dict:
        """No bare-metal SKUs: this sandbox has no bare-metal capacity."""
        with self.ctx.call(call) as tx:
            self.find(tx.db, call.path["dc"])
        return {"skus": [], "operatingSystems": []}

    @route("GET", "/v2/datacenters/{alias}/{dc}/computeLimits")
    def compute_limits(self, call: Call) -> dict:
        """Static compute limits of a data center."""
        with self.ctx.call(call) as tx:
            self.find(tx.db, call.path["dc"])
        return {
            "cpu": {"value": 200, "inherited": False},
            "memoryGB": {"value": 400, "inherited": False},
            "storageGB": {"value": 10000, "inherited": False},
        }

    @route("GET", "/v2/datacenters/{alias}/{dc}/networkLimits")
    def network_limits(self, call: Call) -> dict:
        """Static network limits of a data center."""
        with self.ctx.call(call) as tx:
            self.find(tx.db, call.path["dc"])
        return {"networks": {"value": 10, "inherited": False}}


# --- representations -----------------------------------------------------------------------------------


def datacenter(dc_row: sqlite3.Row, root_row: sqlite3.Row | None, alias: str, group_links: bool) -> dict:
    """One data center with the recorded link set (the root group's links only with `group_links`).
    No `bareMetalCapabilities` link: production listed none, and this sandbox has no bare metal."""
    a, dc = alias.lower(), dc_row["id"]
    links = [
        link("self", f"/v2/datacenters/{a}/{dc}"),
        link("deploymentCapabilities", f"/v2/datacenters/{a}/{dc}/deploymentCapabilities"),
        link("loadBalancers", f"/v2/sharedLoadBalancers/{a}/{dc}", verbs=["GET", "POST"]),
        link("computeLimits", f"/v2/datacenters/{a}/{dc}/computeLimits", verbs=["GET", "POST"]),
        link("networkLimits", f"/v2/datacenters/{a}/{dc}/networkLimits", verbs=["GET"]),
        link("availableOvfs", f"/v2/vmImport/{a}/{dc}/available", verbs=["GET"]),
    ]
    if group_links and root_row is not None:
        g = root_row["id"]
        links += [
            link("group", f"/v2/groups/{a}/{g}", id=g, name=root_row["name"]),
            link("createGroup", f"/v2/groups/{a}", verbs=["POST"]),
            link("createServer", f"/v2/servers/{a}", verbs=["POST"]),
            link("defaults", f"/v2/groups/{a}/{g}/defaults", verbs=["GET", "POST"]),
            link("billing", f"/v2/groups/{a}/{g}/billing"),
            link("statistics", f"/v2/groups/{a}/{g}/statistics"),
            link("upcomingScheduledActivities", f"/v2/groups/{a}/{g}/upcomingScheduledActivities"),
            link(
                "horizontalAutoscalePolicyMapping",
                f"/v2/groups/{a}/{g}/horizontalAutoscalePolicy",
                verbs=["GET", "PUT", "DELETE"],
            ),
            link("scheduledActivities", f"/v2/groups/{a}/{g}/scheduledActivities", verbs=["GET", "POST"]),
        ]
    return {"id": dc, "name": dc_row["name"], "links": links}


def template(row: sqlite3.Row) -> dict:
    """A template as deployment capabilities list it."""
    windows = bool(row["windows"])
    out = {
        "name": row["name"],
        "osType": row["os_type"],
        "description": row["description"],
        "storageSizeGB": row["storage_gb"],
        "capabilities": list(fixtures.template_capabilities(row["name"])),
        "reservedDrivePaths": list(reserved_paths(windows)),
    }
    if windows:
        out["drivePathLength"] = 1
    return out
