"""Anti-affinity and alert policies: Session methods and their frames.

    s.create_anti_affinity_policy("Web spread", dc="WA1")
    s.create_server(..., server_type="hyperscale", anti_affinity_policy_id="Web spread")
    s.anti_affinity_policies()                          # DataFrame ANTI_AFFINITY_POLICIES
    s.create_alert_policy("CPU high", ["ops@example.com"], metric="cpu", threshold=90)
    s.apply_alert_policy("wa1aliasweb01", "CPU high")
    s.alert_policies()                                  # DataFrame ALERT_POLICIES

A policy is named by its 32-hex id (used as it is) or by its name (looked up in the account's list).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .. import frames
from ..errors import ApiError, NotFoundError, ValidationError
from ..frames import FLOAT, INT, OBJ, STR
from .base import HEX_ID, SessionParts, pick, problem, text_of

ANTI_AFFINITY_POLICIES = (
    ("id", STR),
    ("name", STR),
    ("location", STR),
    ("server_count", INT),
    ("server_ids", OBJ),
)
ALERT_POLICIES = (
    ("id", STR),
    ("name", STR),
    ("metric", STR),
    ("duration_minutes", INT),
    ("threshold", FLOAT),
    ("recipients", OBJ),
    ("triggers", OBJ),
)
SCHEMAS = {"anti_affinity_policies": ANTI_AFFINITY_POLICIES, "alert_policies": ALERT_POLICIES}
METRICS = ("cpu", "memory", "disk")
DURATIONS = {5: "00:05:00", 10: "00:10:00", 15: "00:15:00"}  # minutes -> the API's duration


def anti_affinity_policies_frame(raw: Any) -> pd.DataFrame:
    """One row per anti-affinity policy: its servers from its ``server`` links."""
    rows = []
    for p in _items(raw):
        servers = [
            str(link.get("id"))
            for link in p.get("links") or ()
            if isinstance(link, dict) and link.get("rel") == "server"
        ]
        rows.append(
            {
                "id": p.get("id"),
                "name": p.get("name"),
                "location": p.get("location"),
                "server_count": len(servers),
                "server_ids": servers,
            }
        )
    return frames.records_frame(ANTI_AFFINITY_POLICIES, rows, raw)


def alert_policies_frame(raw: Any) -> pd.DataFrame:
    """One row per alert policy: the first trigger flattened (`triggers` has them all), every
    recipient of its e-mail actions."""
    rows = []
    for p in _items(raw):
        triggers = [t for t in p.get("triggers") or () if isinstance(t, dict)]
        first = triggers[0] if triggers else {}
        recipients = [
            r
            for a in p.get("actions") or ()
            if isinstance(a, dict)
            for r in ((a.get("settings") or {}).get("recipients") or ())
        ]
        rows.append(
            {
                "id": p.get("id"),
                "name": p.get("name"),
                "metric": first.get("metric"),
                "duration_minutes": _minutes(first.get("duration")),
                "threshold": first.get("threshold"),
                "recipients": recipients,
                "triggers": triggers,
            }
        )
    return frames.records_frame(ALERT_POLICIES, rows, raw)


def _items(raw: Any) -> list[dict]:
    items = raw.get("items") if isinstance(raw, dict) else raw
    return [p for p in items or () if isinstance(p, dict)]


def _minutes(duration: Any) -> int | None:
    """``"00:05:00"`` -> 5 (hours:minutes:seconds)."""
    try:
        hours, minutes, _seconds = (int(part) for part in str(duration).split(":"))
    except ValueError:
        return None
    return hours * 60 + minutes


def _duration(minutes: Any) -> str:
    if isinstance(minutes, str) and minutes in DURATIONS.values():
        return minutes
    if minutes not in DURATIONS or isinstance(minutes, bool):
        raise problem("duration", f"must be 5, 10 or 15 (minutes); got {minutes!r}")
    return DURATIONS[minutes]


class PolicyMethods(SessionParts):
    """Session methods for anti-affinity and alert policies."""

    # -- anti-affinity ----------------------------------------------------------------------------

    def anti_affinity_policies(self) -> pd.DataFrame:
        """DataFrame (ANTI_AFFINITY_POLICIES) of the account's anti-affinity policies."""
        return anti_affinity_policies_frame(self._anti_affinity_json())

    def _anti_affinity_json(self) -> Any:
        return self._get(f"/v2/antiAffinityPolicies/{self.alias}", what="list anti-affinity policies")

    def resolve_anti_affinity_policy(self, policy: Any, *, field: str = "policy") -> str:
        """The id of an anti-affinity policy given by its id (no request) or its name.

        Raises NotFoundError (listing the names) when none has that name."""
        return self._anti_affinity_ref(policy, field, NotFoundError)

    def _anti_affinity_ref(self, policy: Any, field: str, missing: type[ApiError]) -> str:
        text = text_of(policy, field, "an anti-affinity policy id or name")
        if HEX_ID.fullmatch(text):
            return text.lower()
        items = [(str(p.get("name")), str(p.get("id"))) for p in _items(self._anti_affinity_json())]
        return pick(items, text, kind="anti-affinity policy", where="the account", field=field, missing=missing)

    def _build_policy(self, policy: Any) -> str:
        """Create Server's anti-affinity policy: an id, or a name (one GET of the policies)."""
        return self._anti_affinity_ref(policy, "anti_affinity_policy_id", ValidationError)

    def create_anti_affinity_policy(self, name: str, dc: str | None = None) -> dict:
        """Create an anti-affinity policy in `dc` (default: the session's); returns its JSON.

        Raises ValidationError for an empty or taken name or an unknown data center."""
        if not isinstance(name, str) or not name.strip():
            raise problem("name", f"must be a non-empty string; got {name!r}")
        dc = self._dc(dc)
        return self.transport.request(
            "POST",
            f"/v2/antiAffinityPolicies/{self.alias}",
            json={"name": name, "location": dc},
            what=f"create anti-affinity policy {name!r}",
        ).data

    def update_anti_affinity_policy(self, policy: str, name: str) -> dict:
        """Rename an anti-affinity policy (an id or a name); returns its JSON."""
        if not isinstance(name, str) or not name.strip():
            raise problem("name", f"must be a non-empty string; got {name!r}")
        policy_id = self.resolve_anti_affinity_policy(policy)
        return self.transport.request(
            "PUT",
            f"/v2/antiAffinityPolicies/{self.alias}/{policy_id}",
            json={"name": name},
            repeatable=True,
            what=f"rename anti-affinity policy {policy!r}",
        ).data

    def delete_anti_affinity_policy(self, policy: str) -> None:
        """Delete an anti-affinity policy. Raises ValidationError while servers follow it."""
        policy_id = self.resolve_anti_affinity_policy(policy)
        self.transport.request(
            "DELETE",
            f"/v2/antiAffinityPolicies/{self.alias}/{policy_id}",
            what=f"delete anti-affinity policy {policy!r}",
        )

    # -- alert policies -------------------------------------------------------------------------

    def alert_policies(self) -> pd.DataFrame:
        """DataFrame (ALERT_POLICIES) of the account's alert policies."""
        return alert_policies_frame(self._alert_json())

    def _alert_json(self) -> Any:
        return self._get(f"/v2/alertPolicies/{self.alias}", what="list alert policies")

    def resolve_alert_policy(self, policy: Any, *, field: str = "policy") -> str:
        """The id of an alert policy given by its id (no request) or its name."""
        text = text_of(policy, field, "an alert policy id or name")
        if HEX_ID.fullmatch(text):
            return text.lower()
        items = [(str(p.get("name")), str(p.get("id"))) for p in _items(self._alert_json())]
        return pick(items, text, kind="alert policy", where="the account", field=field, missing=NotFoundError)

    def create_alert_policy(
        self,
        name: str,
        recipients: list[str] | str,
        *,
        metric: str = "cpu",
        threshold: float = 90,
        duration: int = 5,
        triggers: list[dict] | None = None,
    ) -> dict:
        """Create an alert policy that e-mails `recipients` when `metric` (cpu, memory, disk) stays at
        or above `threshold` % (5-95, a multiple of 5) for `duration` minutes (5, 10 or 15); returns
        its JSON. `triggers` (the API's dicts) replaces metric/threshold/duration for several
        triggers. Raises ValidationError naming the bad field."""
        if triggers is None:
            triggers = [_trigger(metric, threshold, duration)]
        return self.transport.request(
            "POST",
            f"/v2/alertPolicies/{self.alias}",
            json=_alert_body(name, recipients, triggers),
            what=f"create alert policy {name!r}",
        ).data

    def update_alert_policy(self, policy: str, **changes: Any) -> dict:
        """Change an alert policy's `name`, `recipients`, `metric`, `threshold`, `duration` (of its
        first trigger) or `triggers`; the rest is kept (the API replaces the whole policy, so it is
        read first). Returns its JSON."""
        allowed = ("name", "recipients", "metric", "threshold", "duration", "triggers")
        unknown = sorted(set(changes) - set(allowed))
        if unknown:
            raise problem(unknown[0], f"is not an alert policy setting (they are {', '.join(allowed)})")
        policy_id = self.resolve_alert_policy(policy)
        path = f"/v2/alertPolicies/{self.alias}/{policy_id}"
        current = alert_policies_frame({"items": [self._get(path, what=f"get alert policy {policy!r}") or {}]})
        now = current.iloc[0] if len(current) else None
        triggers = list(now["triggers"]) if now is not None else []
        if {"metric", "threshold", "duration"} & set(changes):
            first = triggers[0] if triggers else {}
            minutes = changes.get("duration", _minutes(first.get("duration")))
            trigger = _trigger(
                changes.get("metric", first.get("metric")), changes.get("threshold", first.get("threshold")), minutes
            )
            triggers = [trigger, *triggers[1:]]
        body = _alert_body(
            changes.get("name", None if now is None else now["name"]),
            changes.get("recipients", [] if now is None else list(now["recipients"])),
            changes.get("triggers", triggers),
        )
        return self.transport.request(
            "PUT", path, json=body, repeatable=True, what=f"update alert policy {policy!r}"
        ).data

    def delete_alert_policy(self, policy: str) -> None:
        """Delete an alert policy (the servers it was applied to lose it)."""
        policy_id = self.resolve_alert_policy(policy)
        self.transport.request(
            "DELETE", f"/v2/alertPolicies/{self.alias}/{policy_id}", what=f"delete alert policy {policy!r}"
        )

    def apply_alert_policy(self, server_id: str, policy: str) -> None:
        """Apply an alert policy (an id or a name) to a server (again: no change)."""
        server_id = text_of(server_id, "server_id", "a server id")
        policy_id = self.resolve_alert_policy(policy)
        self.transport.request(
            "POST",
            f"/v2/servers/{self.alias}/{server_id}/alertPolicies",
            json={"id": policy_id},
            repeatable=True,  # applying it twice changes nothing
            what=f"apply alert policy {policy!r} to server {server_id!r}",
        )

    def remove_alert_policy(self, server_id: str, policy: str) -> None:
        """Remove an alert policy from a server. Raises NotFoundError when it is not applied to it."""
        server_id = text_of(server_id, "server_id", "a server id")
        policy_id = self.resolve_alert_policy(policy)
        self.transport.request(
            "DELETE",
            f"/v2/servers/{self.alias}/{server_id}/alertPolicies/{policy_id}",
            what=f"remove alert policy {policy!r} from server {server_id!r}",
        )


def _trigger(metric: Any, threshold: Any, minutes: Any) -> dict:
    """One trigger of the API; ValidationError naming `metric` or `duration` (the API checks the rest)."""
    if str(metric).lower() not in METRICS:
        raise problem("metric", f"must be one of {', '.join(METRICS)}; got {metric!r}")
    return {"metric": str(metric).lower(), "duration": _duration(minutes), "threshold": threshold}


def _alert_body(name: Any, recipients: Any, triggers: Any) -> dict:
    """The API's create/replace body; ValidationError naming a field the client can check first."""
    if not isinstance(name, str) or not name.strip():
        raise problem("name", f"must be a non-empty string; got {name!r}")
    if isinstance(recipients, str):
        recipients = [recipients]
    if not isinstance(recipients, (list, tuple)) or not recipients:
        raise problem("recipients", f"must be one e-mail address or a list of them; got {recipients!r}")
    if not isinstance(triggers, (list, tuple)) or not triggers:
        raise problem("triggers", f"must be a non-empty list of {{metric, duration, threshold}}; got {triggers!r}")
    return {
        "name": name,
        "actions": [{"action": "email", "settings": {"recipients": list(recipients)}}],
        "triggers": list(triggers),
    }
