"""JSON representations of the sandbox's resources, with the link sets and casing of the real API.

Rules kept here (clc-api-v2.md §1.5, §4.1, §5.2, §9.7): hrefs are root-relative with the alias in
lower case; server ids lower case and names upper case; group children sorted by name; `details`
absent while a server is under construction or queued for delete; link sets depend on the status.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable
from typing import Any

ARCHIVE, TEMPLATES, DEFAULT = "archive", "templates", "default"
NO_DETAILS = ("underConstruction", "queuedForDelete")


def iso(ts: float) -> str:
    """Format epoch seconds as `YYYY-MM-DDTHH:MM:SSZ`."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def link(rel: str, href: str, id: str | None = None, name: str | None = None, verbs: list | None = None) -> dict:
    out: dict[str, Any] = {"rel": rel, "href": href}
    if id is not None:
        out["id"] = id
    if name is not None:
        out["name"] = name
    if verbs:
        out["verbs"] = verbs
    return out


def status_link(alias: str, job_id: str) -> dict:
    """The bare status link object (async answers of shape A)."""
    return link("status", f"/v2/operations/{alias.lower()}/status/{job_id}", id=job_id)


def change_info(row) -> dict:
    return {
        "createdBy": row["created_by"],
        "createdDate": iso(row["created"]),
        "modifiedBy": row["modified_by"],
        "modifiedDate": iso(row["modified"]),
    }


# --- data centers -----------------------------------------------------------------------------------


def datacenter(dc_row, root_row, alias: str, group_links: bool) -> dict:
    a, dc = alias.lower(), dc_row["id"]
    links = [
        link("self", f"/v2/datacenters/{a}/{dc}"),
        link("deploymentCapabilities", f"/v2/datacenters/{a}/{dc}/deploymentCapabilities"),
        link("bareMetalCapabilities", f"/v2/datacenters/{a}/{dc}/bareMetalCapabilities"),
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


def template(row) -> dict:
    windows = bool(row["windows"])
    out = {
        "name": row["name"],
        "osType": row["os_type"],
        "description": row["description"],
        "storageSizeGB": row["storage_gb"],
        "capabilities": ["cpuAutoscale"],
        "reservedDrivePaths": list(WINDOWS_RESERVED if windows else LINUX_RESERVED),
    }
    if windows:
        out["drivePathLength"] = 1
    return out


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


# --- groups -------------------------------------------------------------------------------------------


def group_links(row, alias: str, server_ids: Iterable[str] = ()) -> list:
    a, g = alias.lower(), row["id"]
    base = f"/v2/groups/{a}/{g}"
    parent = row["parent_id"]
    kind = row["type"]
    if kind in (ARCHIVE, TEMPLATES):
        links = [link("self", base, verbs=["GET", "PATCH"])]
        if parent:
            links.append(link("parentGroup", f"/v2/groups/{a}/{parent}", id=parent))
        links += [link("defaults", f"{base}/defaults", verbs=["GET", "POST"]), link("billing", f"{base}/billing")]
    else:
        links = [
            link("createGroup", f"/v2/groups/{a}", verbs=["POST"]),
            link("createServer", f"/v2/servers/{a}", verbs=["POST"]),
        ]
        if parent:
            links.append(link("self", base, verbs=["GET", "PATCH", "DELETE"]))
            links.append(link("parentGroup", f"/v2/groups/{a}/{parent}", id=parent))
        else:
            links.append(link("self", base, verbs=["GET", "PATCH"]))
        links += [link("defaults", f"{base}/defaults", verbs=["GET", "POST"]), link("billing", f"{base}/billing")]
        if parent:
            links.append(link("archiveGroupAction", f"{base}/archive", verbs=["POST"]))
        links += [
            link("statistics", f"{base}/statistics"),
            link("upcomingScheduledActivities", f"{base}/upcomingScheduledActivities"),
            link(
                "horizontalAutoscalePolicyMapping", f"{base}/horizontalAutoscalePolicy", verbs=["GET", "PUT", "DELETE"]
            ),
            link("scheduledActivities", f"{base}/scheduledActivities", verbs=["GET", "POST"]),
        ]
    for sid in server_ids:
        links.append(link("server", f"/v2/servers/{a}/{sid}", id=sid.upper()))
    return links


def group(
    row,
    alias: str,
    *,
    children: list | None = None,
    servers_count: int | None = None,
    server_ids: Iterable[str] = (),
    servers: list | None = None,
    custom_fields: list | None = None,
) -> dict:
    """One group object; `children` are already-shaped groups; `servers` (detailed mode) full servers."""
    out: dict[str, Any] = {"id": row["id"], "name": row["name"]}
    if row["description"] is not None:
        out["description"] = row["description"]
    out.update({"locationId": row["dc"].upper(), "type": row["type"], "status": row["status"]})
    if servers_count is not None:
        out["serversCount"] = servers_count
    out["groups"] = children or []
    if servers is not None:
        out["servers"] = servers
    out["links"] = group_links(row, alias, () if servers is not None else server_ids)
    out["changeInfo"] = change_info(row)
    out["customFields"] = custom_fields if custom_fields is not None else []
    return out


# --- servers ------------------------------------------------------------------------------------------


def server(row, alias: str, public_ips: list, custom_fields: list) -> dict:
    """Full Get Server representation of one server row (public_ips: rows of that server)."""
    a, sid = alias.lower(), row["id"]
    status = row["status"]
    out: dict[str, Any] = {
        "id": sid,
        "name": sid.upper(),
        "description": row["description"],
        "groupId": row["group_id"],
        "isTemplate": False,
        "locationId": row["dc"].upper(),
        "osType": row["os_name"],
        "os": row["os_type"],
    }
    if row["managed_os"]:
        out["isManagedOS"] = True
        if row["managed_backup"]:
            out["isManagedBackup"] = True
    out["status"] = status
    disks = json.loads(row["disks"])
    storage = sum(d["sizeGB"] for d in disks)
    if status == "queuedForRestore":
        out["details"] = {"powerState": "stopped", "storageGB": storage}
    elif status not in NO_DETAILS:
        archived = status == "archived"
        out["details"] = {
            "ipAddresses": _ip_addresses(row["ip"], public_ips),
            "alertPolicies": [],
            "cpu": 0 if archived else row["cpu"],
            "diskCount": len(disks),
            "hostName": "" if archived else sid,
            "inMaintenanceMode": bool(row["maintenance"]),
            "memoryMB": 0 if archived else row["memory_gb"] * 1024,
            "powerState": "stopped" if archived else row["power_state"],
            "storageGB": storage,
            "disks": [{"id": d["id"], "sizeGB": d["sizeGB"], "partitionPaths": []} for d in disks],
            "partitions": [],
            "snapshots": [_snapshot(s, a, sid) for s in json.loads(row["snapshots"])],
            "customFields": custom_fields,
        }
    out.update({"type": row["type"], "storageType": row["storage_type"], "changeInfo": change_info(row)})
    out["links"] = server_links(row, a, public_ips)
    return out


def _ip_addresses(ip: str | None, public_ips: list) -> list:
    out = [{"internal": p["internal_ip"], "public": p["ip"]} for p in public_ips]
    mapped = {p["internal_ip"] for p in public_ips}
    if ip and ip not in mapped:
        out.insert(0, {"internal": ip})
    return out


def _snapshot(snap: dict, a: str, sid: str) -> dict:
    base = f"/v2/servers/{a}/{sid}/snapshots/{snap['id']}"
    return {
        "name": snap["name"],
        "links": [link("self", base), link("delete", base), link("restore", f"{base}/restore")],
    }


def server_links(row, a: str, public_ips: list) -> list:
    sid, status = row["id"], row["status"]
    base = f"/v2/servers/{a}/{sid}"
    common = [
        link("group", f"/v2/groups/{a}/{row['group_id']}", id=row["group_id"]),
        link("account", f"/v2/accounts/{a}", id=a),
        link("billing", f"/v2/billing/{a}/serverPricing/{sid}"),
    ]
    if status == "active":
        links = (
            [link("self", base, id=sid, verbs=["GET", "PATCH", "DELETE"])]
            + common
            + [
                link("statistics", f"{base}/statistics"),
                link("upcomingScheduledActivities", f"{base}/upcomingScheduledActivities"),
                link(
                    "scheduledActivities", f"/v2/servers/{a}/{row['uuid']}/scheduledActivities", verbs=["GET", "POST"]
                ),
                link("publicIPAddresses", f"{base}/publicIPAddresses", verbs=["POST"]),
                link("alertPolicyMappings", f"{base}/alertPolicies", verbs=["POST"]),
                link("antiAffinityPolicyMapping", f"{base}/antiAffinityPolicy", verbs=["PUT", "DELETE"]),
                link("cpuAutoscalePolicyMapping", f"{base}/cpuAutoscalePolicy", verbs=["PUT", "DELETE"]),
                link("capabilities", f"{base}/capabilities"),
                link("credentials", f"{base}/credentials"),
            ]
        )
        for p in public_ips:
            links.append(
                link(
                    "publicIPAddress", f"{base}/publicIPAddresses/{p['ip']}", id=p["ip"], verbs=["GET", "PUT", "DELETE"]
                )
            )
        return links
    links = [link("self", base, id=sid, verbs=["GET", "PATCH"])] + common
    if status == "archived":
        links += [link("restore", f"{base}/restore"), link("delete", base)]
    return links


def public_ip(row) -> dict:
    return {
        "internalIPAddress": row["internal_ip"],
        "ports": json.loads(row["ports"]),
        "sourceRestrictions": json.loads(row["source_restrictions"]),
    }
