"""JSON -> pandas DataFrames with fixed, documented columns.

Every frame has exactly the columns of its schema, in that order and with those dtypes, whether
it has a million rows or none. Names are snake_case; the API's JSON stays in ``df.attrs["raw"]``.
Columns are built one list at a time (no per-row Series), so the cost grows linearly.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

import pandas as pd

STR = "string"
INT = "Int64"
FLOAT = "float64"
BOOL = "boolean"
TIME = "datetime64[ns, UTC]"
OBJ = "object"

DATACENTERS = (("id", STR), ("name", STR), ("root_group_id", STR), ("root_group_name", STR))

TEMPLATES = (
    ("name", STR),
    ("description", STR),
    ("os_type", STR),
    ("storage_gb", INT),
    ("capabilities", OBJ),
    ("reserved_drive_paths", OBJ),
    ("drive_path_length", INT),
)

NETWORKS = (("name", STR), ("network_id", STR), ("type", STR), ("account_id", STR))

GROUPS = (
    ("id", STR),
    ("name", STR),
    ("description", STR),
    ("type", STR),
    ("status", STR),
    ("location", STR),
    ("parent_id", STR),
    ("depth", INT),
    ("path", STR),
    ("servers_count", INT),
    ("created_date", TIME),
    ("modified_date", TIME),
)

SERVERS = (
    ("id", STR),
    ("name", STR),
    ("description", STR),
    ("status", STR),
    ("power_state", STR),
    ("location", STR),
    ("group_id", STR),
    ("group_name", STR),
    ("group_path", STR),
    ("cpu", INT),
    ("memory_mb", INT),
    ("memory_gb", FLOAT),
    ("storage_gb", INT),
    ("disk_count", INT),
    ("ip", STR),
    ("public_ip", STR),
    ("internal_ips", STR),
    ("public_ips", STR),
    ("os", STR),
    ("os_type", STR),
    ("type", STR),
    ("storage_type", STR),
    ("host_name", STR),
    ("in_maintenance_mode", BOOL),
    ("is_managed_os", BOOL),
    ("is_template", BOOL),
    ("created_by", STR),
    ("created_date", TIME),
    ("modified_date", TIME),
)

CUSTOM_FIELDS = (("id", STR), ("name", STR), ("type", STR), ("is_required", BOOL), ("options", OBJ))

JOBS = (
    ("id", STR),
    ("kind", STR),
    ("name", STR),
    ("server_id", STR),
    ("status", STR),
    ("done", BOOL),
    ("succeeded", BOOL),
    ("elapsed", FLOAT),
    ("error", STR),
)

HISTORY = (
    ("time", TIME),
    ("method", STR),
    ("path", STR),
    ("status", INT),
    ("ms", FLOAT),
    ("attempt", INT),
    ("error", STR),
)

SCHEMAS = {
    "datacenters": DATACENTERS,
    "templates": TEMPLATES,
    "networks": NETWORKS,
    "groups": GROUPS,
    "servers": SERVERS,
    "custom_fields": CUSTOM_FIELDS,
    "jobs": JOBS,
    "history": HISTORY,
}


# -- building blocks ---------------------------------------------------------------------------


def _int(v: Any):
    if v is None or v == "" or isinstance(v, bool):
        return None
    try:
        return int(v)
    except (TypeError, ValueError):
        try:
            return int(float(v))
        except (TypeError, ValueError):
            return None


def _str(v: Any):
    return None if v is None else str(v)


def _bool(v: Any):
    if v is None:
        return None
    if isinstance(v, str):
        return v.strip().lower() == "true"
    return bool(v)


def _column(values: list, dtype: str) -> pd.Series:
    if dtype == TIME:
        if not values:
            return pd.Series([], dtype=TIME)
        return pd.Series(pd.to_datetime(values, utc=True, format="ISO8601", errors="coerce"), dtype=TIME)
    if dtype == INT:
        return pd.Series(pd.array([_int(v) for v in values], dtype=INT))
    if dtype == BOOL:
        return pd.Series(pd.array([_bool(v) for v in values], dtype=BOOL))
    if dtype == STR:
        return pd.Series(pd.array([_str(v) for v in values], dtype=STR))
    if dtype == FLOAT:
        return pd.Series([float("nan") if v is None else float(v) for v in values], dtype=FLOAT)
    return pd.Series(values, dtype=OBJ)


def frame(schema, columns: dict[str, list], raw: Any = None) -> pd.DataFrame:
    """A DataFrame with exactly the schema's columns; missing columns are all-NA."""
    n = len(next(iter(columns.values()))) if columns else 0
    data = {name: _column(columns.get(name, [None] * n), dtype) for name, dtype in schema}
    df = pd.DataFrame(data)
    df.attrs["raw"] = raw
    return df


def _records(schema, rows: Iterable[dict], raw: Any = None) -> pd.DataFrame:
    cols: dict[str, list] = {name: [] for name, _ in schema}
    for row in rows:
        for name in cols:
            cols[name].append(row.get(name))
    return frame(schema, cols, raw)


def link(links: Any, rel: str) -> dict | None:
    """The first link with this rel (links are looked up by rel, never by position)."""
    for item in links or ():
        if isinstance(item, dict) and str(item.get("rel", "")).lower() == rel.lower():
            return item
    return None


# -- data centers, capabilities, custom fields ---------------------------------------------------


def datacenters_frame(raw: list) -> pd.DataFrame:
    """One row per data center: id (upper-case), name, root group id and name when linked."""
    rows = []
    for dc in raw or ():
        group = link(dc.get("links"), "group") or {}
        rows.append(
            {
                "id": str(dc.get("id", "")).upper(),
                "name": dc.get("name"),
                "root_group_id": group.get("id"),
                "root_group_name": group.get("name"),
            }
        )
    return _records(DATACENTERS, rows, raw)


def templates_frame(raw: dict) -> pd.DataFrame:
    rows = [
        {
            "name": t.get("name"),
            "description": t.get("description"),
            "os_type": t.get("osType"),
            "storage_gb": t.get("storageSizeGB"),
            "capabilities": list(t.get("capabilities") or []),
            "reserved_drive_paths": list(t.get("reservedDrivePaths") or []),
            "drive_path_length": t.get("drivePathLength"),
        }
        for t in (raw or {}).get("templates") or ()
    ]
    return _records(TEMPLATES, rows, (raw or {}).get("templates"))


def networks_frame(raw: dict) -> pd.DataFrame:
    rows = [
        {
            "name": n.get("name"),
            "network_id": n.get("networkId"),
            "type": n.get("type"),
            "account_id": n.get("accountID", n.get("accountId")),
        }
        for n in (raw or {}).get("deployableNetworks") or ()
    ]
    return _records(NETWORKS, rows, (raw or {}).get("deployableNetworks"))


def custom_fields_frame(raw: list) -> pd.DataFrame:
    rows = [
        {
            "id": f.get("id"),
            "name": f.get("name"),
            "type": f.get("type"),
            "is_required": f.get("isRequired"),
            "options": list(f.get("options") or []),
        }
        for f in raw or ()
    ]
    return _records(CUSTOM_FIELDS, rows, raw)


# -- groups --------------------------------------------------------------------------------------


def walk_groups(roots: Iterable[dict]) -> Iterator[tuple[dict, str | None, int, str]]:
    """Depth-first (group, parent_id, depth, path) over group trees, in the API's order."""
    stack = [(g, None, 0, "") for g in reversed(list(roots))]
    while stack:
        group, parent, depth, prefix = stack.pop()
        path = f"{prefix}/{group.get('name', '')}" if prefix else str(group.get("name", ""))
        yield group, parent, depth, path
        for child in reversed(group.get("groups") or []):
            stack.append((child, group.get("id"), depth + 1, path))


def groups_frame(roots: list[dict]) -> pd.DataFrame:
    """One row per group of the given trees, parents before children."""
    rows = []
    for g, parent, depth, path in walk_groups(roots):
        change = g.get("changeInfo") or {}
        if parent is None:  # a subtree's top: its parent is only known from the link
            parent = (link(g.get("links"), "parentGroup") or {}).get("id")
        rows.append(
            {
                "id": g.get("id"),
                "name": g.get("name"),
                "description": g.get("description"),
                "type": g.get("type"),
                "status": g.get("status"),
                "location": g.get("locationId"),
                "parent_id": parent,
                "depth": depth,
                "path": path,
                "servers_count": g.get("serversCount"),
                "created_date": change.get("createdDate"),
                "modified_date": change.get("modifiedDate"),
            }
        )
    return _records(GROUPS, rows, roots)


# -- servers -------------------------------------------------------------------------------------


def server_row(s: dict, group_name: str | None = None, group_path: str | None = None) -> dict:
    """The flattened form of one server (the SERVERS columns)."""
    d = s.get("details") or {}
    change = s.get("changeInfo") or {}
    ips = d.get("ipAddresses") or []
    internal = [i["internal"] for i in ips if isinstance(i, dict) and i.get("internal")]
    public = [i["public"] for i in ips if isinstance(i, dict) and i.get("public")]
    memory_mb = _int(d.get("memoryMB"))
    return {
        "id": s.get("id"),
        "name": s.get("name"),
        "description": s.get("description"),
        "status": s.get("status"),
        "power_state": d.get("powerState"),
        "location": s.get("locationId"),
        "group_id": s.get("groupId"),
        "group_name": group_name,
        "group_path": group_path,
        "cpu": d.get("cpu"),
        "memory_mb": memory_mb,
        "memory_gb": None if memory_mb is None else memory_mb / 1024,
        "storage_gb": d.get("storageGB"),
        "disk_count": d.get("diskCount"),
        "ip": internal[0] if internal else None,
        "public_ip": public[0] if public else None,
        "internal_ips": ", ".join(internal) if internal else None,
        "public_ips": ", ".join(public) if public else None,
        "os": s.get("os"),
        "os_type": s.get("osType"),
        "type": s.get("type"),
        "storage_type": s.get("storageType"),
        "host_name": d.get("hostName"),
        "in_maintenance_mode": d.get("inMaintenanceMode"),
        "is_managed_os": bool(s.get("isManagedOS", False)),
        "is_template": s.get("isTemplate"),
        "created_by": change.get("createdBy"),
        "created_date": change.get("createdDate"),
        "modified_date": change.get("modifiedDate"),
    }


def servers_frame(
    servers: Iterable[dict], raw: Any = None, group_names: dict[Any, tuple[Any, Any]] | None = None
) -> pd.DataFrame:
    """One row per server; `group_names` maps group id -> (name, path) when known."""
    names = group_names or {}
    rows = []
    for s in servers:
        name, path = names.get(s.get("groupId"), (None, None))
        rows.append(server_row(s, name, path))
    return _records(SERVERS, rows, raw)


def servers_of_trees(roots: list[dict]) -> pd.DataFrame:
    """Every server embedded (``serverDetail=detailed``) in the given group trees."""
    servers: list[dict] = []
    names: dict[Any, tuple[Any, Any]] = {}
    for g, _parent, _depth, path in walk_groups(roots):
        names[g.get("id")] = (g.get("name"), path)
        servers.extend(s for s in g.get("servers") or () if isinstance(s, dict))
    return servers_frame(servers, raw=roots, group_names=names)


def records_frame(schema, rows: list[dict], raw: Any = None) -> pd.DataFrame:
    """A frame of an explicit schema from rows already keyed by column name."""
    return _records(schema, rows, raw)


def history_frame(records: list[dict]) -> pd.DataFrame:
    """The HISTORY frame of transport records (``time`` is epoch seconds in the records)."""
    cols: dict[str, list] = {name: [r.get(name) for r in records] for name, _ in HISTORY}
    df = frame(HISTORY, dict(cols, time=[]) if not records else {k: v for k, v in cols.items() if k != "time"}, None)
    if records:
        df["time"] = pd.Series(pd.to_datetime(cols["time"], unit="s", utc=True), dtype=TIME)
    return df
