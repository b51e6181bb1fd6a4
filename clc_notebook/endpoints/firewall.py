"""Firewall policies (v2-experimental): Session methods and their frames.

    p = s.create_firewall_policy(["10.20.0.0/24"], ["10.20.1.0/24"], ports=["tcp/80", "icmp"])
    s.update_firewall_policy(p["id"], enabled=False)
    s.firewall_policies()                # DataFrame FIREWALL_POLICIES (every data center)
    s.create_cross_dc_firewall_policy("10.20.0.0/24", "10.30.0.0/24", destination_dc="VA1")
    s.cross_dc_firewall_policies()       # DataFrame CROSS_DC_FIREWALL_POLICIES

A policy is named by its id, in `dc` (default: the session's data center). A new policy is
``pending`` for a moment, then ``active`` (its ``status`` column). Every call is synchronous.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pandas as pd

from .. import frames
from ..frames import BOOL, OBJ, STR
from . import lost_answers
from .base import SessionParts, problem, text_of

FIREWALL_POLICIES = (
    ("id", STR),
    ("location", STR),
    ("status", STR),
    ("enabled", BOOL),
    ("source", OBJ),
    ("destination", OBJ),
    ("ports", OBJ),
    ("destination_account", STR),
)
CROSS_DC_FIREWALL_POLICIES = (
    ("id", STR),
    ("location", STR),
    ("status", STR),
    ("enabled", BOOL),
    ("source_cidr", STR),
    ("destination_cidr", STR),
    ("destination_account", STR),
    ("destination_location", STR),
)
SCHEMAS = {"firewall_policies": FIREWALL_POLICIES, "cross_dc_firewall_policies": CROSS_DC_FIREWALL_POLICIES}
POLICY_REF = "a firewall policy id"


def _items(raw: Any) -> list[dict]:
    return [item for item in raw if isinstance(item, dict)] if isinstance(raw, list) else []


def _policy_id(policy: dict) -> str | None:
    """A policy's id (the intra-data-center create answer has only its self link)."""
    if policy.get("id"):
        return str(policy["id"])
    me = frames.link(policy.get("links"), "self") or {}
    return str(me["href"]).rstrip("/").rsplit("/", 1)[-1] if me.get("href") else None


def firewall_policies_frame(by_dc: dict[str, Any]) -> pd.DataFrame:
    """One row per policy of the data centers' listings (`{dc: JSON list}`)."""
    rows = [
        {
            "id": _policy_id(p),
            "location": dc,
            "status": p.get("status"),
            "enabled": p.get("enabled"),
            "source": list(p.get("source") or []),
            "destination": list(p.get("destination") or []),
            "ports": list(p.get("ports") or []),
            "destination_account": p.get("destinationAccount"),
        }
        for dc, raw in by_dc.items()
        for p in _items(raw)
    ]
    return frames.records_frame(FIREWALL_POLICIES, rows, by_dc)


def cross_dc_policies_frame(by_dc: dict[str, Any]) -> pd.DataFrame:
    """One row per cross-data-center policy (`{dc: JSON list}`); locations in upper case."""
    rows = [
        {
            "id": p.get("id"),
            "location": dc,
            "status": p.get("status"),
            "enabled": p.get("enabled"),
            "source_cidr": p.get("sourceCidr"),
            "destination_cidr": p.get("destinationCidr"),
            "destination_account": p.get("destinationAccount"),
            "destination_location": str(p.get("destinationLocation") or "").upper() or None,
        }
        for dc, raw in by_dc.items()
        for p in _items(raw)
    ]
    return frames.records_frame(CROSS_DC_FIREWALL_POLICIES, rows, by_dc)


class FirewallMethods(SessionParts):
    """Session methods for intra- and cross-data-center firewall policies."""

    if TYPE_CHECKING:

        def _datacenter_list(self) -> list: ...

    def _fw_base(self, dc: str, cross: bool = False) -> str:
        kind = "crossDcFirewallPolicies" if cross else "firewallPolicies"
        return f"/v2-experimental/{kind}/{self.alias}/{dc}"

    def _fw_listings(self, dc: str | None, cross: bool, params: dict | None = None) -> dict[str, Any]:
        dcs = [self._dc(dc)] if dc is not None else [str(d.get("id", "")).upper() for d in self._datacenter_list()]
        out = {}
        for d in dcs:
            raw = self._get(self._fw_base(d, cross), params, f"list the firewall policies of {d}")
            if not isinstance(raw, list):
                raise self._malformed(f"list the firewall policies of {d}: expected a list, got {raw!r}")
            out[d] = raw
        return out

    # -- within a data center -----------------------------------------------------------------------

    def firewall_policies(self, dc: str | None = None, destination_account: str | None = None) -> pd.DataFrame:
        """DataFrame (FIREWALL_POLICIES) of the firewall policies of `dc`, or of every data center
        when `dc` is None (one request per data center); `destination_account` keeps those of one
        account. Reading a policy counts as a read of its status (pending, then active)."""
        params = {"destinationAccount": destination_account} if destination_account else None
        return firewall_policies_frame(self._fw_listings(dc, False, params))

    def firewall_policy(self, policy: Any, dc: str | None = None) -> dict:
        """One firewall policy's JSON (id, status, enabled, source, destination, destinationAccount,
        ports, links). Raises NotFoundError for an unknown id (or one of another data center)."""
        dc = self._dc(dc)
        policy_id = text_of(policy, "policy", POLICY_REF)
        return self._get(f"{self._fw_base(dc)}/{policy_id}", what=f"get firewall policy {policy_id!r}")

    def create_firewall_policy(
        self,
        source: Iterable[str] | str,
        destination: Iterable[str] | str,
        ports: Iterable[str] | str = ("any",),
        dc: str | None = None,
        destination_account: str | None = None,
        enabled: bool = True,
    ) -> dict:
        """Allow traffic from `source` to `destination` CIDRs (a string or a list) on `ports`
        (``any``, ``icmp``, ``tcp/80``, ``udp/53``, ``tcp/1-600``) in `dc`; returns the new policy's
        JSON (read after the create, which answers only its link; its ``status`` is ``pending``).

        `destination_account` defaults to the session's account. Raises ValidationError (the API's
        400 names each bad field). If the answer is lost, the data center's list (read once before
        the POST) shows whether it was made: the new one is returned rather than a second one made."""
        dc = self._dc(dc)
        body: dict[str, Any] = {
            "destinationAccount": destination_account or self.alias,
            "source": _strings(source, "source"),
            "destination": _strings(destination, "destination"),
            "ports": _strings(ports, "ports"),
            "enabled": bool(enabled),
        }
        what = f"create a firewall policy in {dc}"
        before = {_policy_id(p) for p in self._fw_listings(dc, False)[dc]}
        try:
            data = self.transport.request("POST", self._fw_base(dc), json=body, what=what).data
        except lost_answers.LOST as exc:
            if not lost_answers.maybe_applied(exc):
                raise
            made = [
                p
                for p in self._fw_listings(dc, False)[dc]
                if _policy_id(p) not in before and p.get("source") == body["source"]
            ]
            if len(made) == 1:
                return made[0]
            raise
        policy_id = _policy_id(data) if isinstance(data, dict) else None
        if not policy_id:
            raise self._malformed(f"{what}: no self link in {data!r}")
        return self.firewall_policy(policy_id, dc)

    def update_firewall_policy(
        self,
        policy: Any,
        *,
        source: Iterable[str] | str | None = None,
        destination: Iterable[str] | str | None = None,
        ports: Iterable[str] | str | None = None,
        enabled: bool | None = None,
        dc: str | None = None,
    ) -> None:
        """Change a policy's `source`, `destination`, `ports` and/or `enabled` (the others stay)."""
        dc = self._dc(dc)
        policy_id = text_of(policy, "policy", POLICY_REF)
        body: dict[str, Any] = {}
        for member, value in (("source", source), ("destination", destination), ("ports", ports)):
            if value is not None:
                body[member] = _strings(value, member)
        if enabled is not None:
            body["enabled"] = bool(enabled)
        if not body:
            raise problem("policy", "give source=, destination=, ports= and/or enabled=")
        self.transport.request(
            "PUT",
            f"{self._fw_base(dc)}/{policy_id}",
            json=body,
            repeatable=True,
            what=f"update firewall policy {policy_id!r}",
        )

    def delete_firewall_policy(self, policy: Any, dc: str | None = None) -> None:
        """Delete a firewall policy. Raises NotFoundError for an unknown one."""
        dc = self._dc(dc)
        policy_id = text_of(policy, "policy", POLICY_REF)
        lost_answers.delete(self, f"{self._fw_base(dc)}/{policy_id}", f"delete firewall policy {policy_id!r}")

    # -- between data centers -----------------------------------------------------------------------

    def cross_dc_firewall_policies(self, dc: str | None = None) -> pd.DataFrame:
        """DataFrame (CROSS_DC_FIREWALL_POLICIES) of the policies from `dc` to other data centers, or
        of every data center's when `dc` is None."""
        return cross_dc_policies_frame(self._fw_listings(dc, True))

    def create_cross_dc_firewall_policy(
        self,
        source_cidr: str,
        destination_cidr: str,
        destination_dc: str,
        dc: str | None = None,
        destination_account: str | None = None,
        enabled: bool = True,
    ) -> dict:
        """Allow traffic from `source_cidr` in `dc` to `destination_cidr` in `destination_dc`;
        returns the new policy's JSON (``pending`` at first). Raises ValidationError (the API's 400)."""
        dc = self._dc(dc)
        body = {
            "sourceCidr": source_cidr,
            "destinationCidr": destination_cidr,
            "destinationLocationId": str(destination_dc).upper(),
            "destinationAccountId": destination_account or self.alias,
            "enabled": bool(enabled),
        }
        what = f"create a cross-data-center firewall policy from {dc} to {destination_dc}"
        data = self.transport.request("POST", self._fw_base(dc, True), json=body, what=what).data
        if not isinstance(data, dict) or not data.get("id"):
            raise self._malformed(f"{what}: unexpected answer {data!r}")
        return data

    def enable_cross_dc_firewall_policy(self, policy: Any, enabled: bool = True, dc: str | None = None) -> None:
        """Enable (or, with ``enabled=False``, disable) a cross-data-center policy."""
        dc = self._dc(dc)
        policy_id = text_of(policy, "policy", POLICY_REF)
        self.transport.request(
            "PUT",
            f"{self._fw_base(dc, True)}/{policy_id}",
            params={"enabled": "true" if enabled else "false"},
            repeatable=True,
            what=f"{'enable' if enabled else 'disable'} cross-data-center firewall policy {policy_id!r}",
        )

    def delete_cross_dc_firewall_policy(self, policy: Any, dc: str | None = None) -> None:
        """Delete a cross-data-center policy. Raises NotFoundError for an unknown one."""
        dc = self._dc(dc)
        policy_id = text_of(policy, "policy", POLICY_REF)
        lost_answers.delete(
            self, f"{self._fw_base(dc, True)}/{policy_id}", f"delete cross-data-center firewall policy {policy_id!r}"
        )


def _strings(value: Any, field: str) -> list[str]:
    """A string or an iterable of strings as a list; ValidationError naming `field` otherwise."""
    items = [value] if isinstance(value, str) else value
    if isinstance(items, Iterable) and not isinstance(items, dict):
        items = list(items)
        if all(isinstance(v, str) for v in items):
            return items
    raise problem(field, f"must be a string or a list of strings; got {value!r}")
