"""Compact HTML summaries for notebooks (Session, Server, Group, Job). No secrets, all escaped."""

from __future__ import annotations

from html import escape

_STYLE = "border-collapse:collapse;font-size:0.9em"
_CELL = "padding:2px 8px;text-align:left;border-bottom:1px solid #ddd"
_COLORS = {
    "succeeded": "#2e7d32",
    "failed": "#c62828",
    "executing": "#1565c0",
    "notStarted": "#757575",
    "started": "#2e7d32",
    "stopped": "#c62828",
    "paused": "#ef6c00",
    "active": "#2e7d32",
}


def _table(title: str, rows: list[tuple[str, object]]) -> str:
    body = "".join(
        f"<tr><th style='{_CELL}'>{escape(str(k))}</th><td style='{_CELL}'>{_value(v)}</td></tr>" for k, v in rows
    )
    return f"<div class='clc-notebook'><b>{escape(title)}</b><table style='{_STYLE}'>{body}</table></div>"


def _value(v) -> str:
    if v is None or v == "":
        return "<span style='color:#999'>-</span>"
    text = escape(str(v))
    color = _COLORS.get(str(v))
    return f"<span style='color:{color}'>{text}</span>" if color else text


def session_html(session) -> str:
    return _table(
        "CLC session",
        [
            ("backend", session.backend),
            ("url", session.url),
            ("user", session.username),
            ("account", session.alias),
            ("data center", session.location),
            ("roles", ", ".join(session.roles)),
            ("calls so far", session.calls),
            ("state", "closed" if session.closed else "open"),
        ],
    )


def server_html(server) -> str:
    row = server.row
    memory = f"{row['memory_gb']:g} GB" if row["memory_gb"] is not None else None
    return _table(
        f"Server {server.get('name') or ''}",
        [
            ("id", row["id"]),
            ("description", row["description"]),
            ("status", row["status"]),
            ("power", row["power_state"]),
            ("data center", row["location"]),
            ("group", row["group_id"]),
            ("cpu", row["cpu"]),
            ("memory", memory),
            ("storage", f"{row['storage_gb']} GB" if row["storage_gb"] is not None else None),
            ("ip", row["internal_ips"]),
            ("public ip", row["public_ips"]),
            ("os", row["os_type"]),
            ("maintenance", row["in_maintenance_mode"]),
        ],
    )


def group_html(group) -> str:
    return _table(
        f"Group {group.get('name') or ''}",
        [
            ("id", group.get("id")),
            ("data center", group.get("locationId")),
            ("type", group.get("type")),
            ("servers", group.get("serversCount")),
            ("sub-groups", len(group.get("groups") or [])),
        ],
    )


def job_html(job) -> str:
    return _table(
        f"Job {job.id or '(no status id)'}",
        [
            ("what", job.name),
            ("kind", job.kind),
            ("server", job.server_id),
            ("status", job.last_status or "not read yet"),
            ("elapsed", f"{job.elapsed:.1f} s"),
            ("error", job.error),
        ],
    )


def frame_html(df, title: str) -> str:
    return f"<div class='clc-notebook'><b>{escape(title)}</b>{df.to_html(index=False)}</div>"
