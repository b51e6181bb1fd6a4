"""Networks (v2-experimental) and secondary NICs: Session methods and their frames.

    s.networks("WA1")                        # DataFrame NETWORKS
    job = s.claim_network("WA1").wait()      # an OperationJob; job.network_id is the new network
    s.update_network(job.network_id, name="Web tier")
    s.ip_addresses("Web tier", type="claimed")   # DataFrame IP_ADDRESSES
    s.add_secondary_nic("wa1aliasweb01", "Web tier").wait()
    s.release_network("Web tier")

A network is named by its 32-hex id (used as it is) or by its name, looked up in the data center
(`dc`, default the session's): in the networks API, or in the deployment capabilities where a backend
has no networks API.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .. import frames
from ..deadline import Deadline
from ..errors import ApiError, NotFoundError, ValidationError
from ..frames import BOOL, INT, STR
from .base import HEX_ID, SessionParts, pick, problem, text_of
from .operations import OperationJob, operation_job

NETWORKS = (
    ("id", STR),
    ("name", STR),
    ("description", STR),
    ("cidr", STR),
    ("gateway", STR),
    ("netmask", STR),
    ("vlan", INT),
    ("type", STR),
    ("location", STR),
)
IP_ADDRESSES = (("address", STR), ("claimed", BOOL), ("primary", BOOL), ("server", STR), ("type", STR))
SCHEMAS = {"network_list": NETWORKS, "ip_addresses": IP_ADDRESSES}
ADDRESS_TYPES = ("claimed", "free", "all")
NETWORK_REF = "a network id or a network name"


def networks_frame(raw: Any, dc: str) -> pd.DataFrame:
    """One row per network of a data center (the NETWORKS columns)."""
    rows = [
        {
            "id": n.get("id"),
            "name": n.get("name"),
            "description": n.get("description"),
            "cidr": n.get("cidr"),
            "gateway": n.get("gateway"),
            "netmask": n.get("netmask"),
            "vlan": n.get("vlan"),
            "type": n.get("type"),
            "location": dc,
        }
        for n in raw or ()
        if isinstance(n, dict)
    ]
    return frames.records_frame(NETWORKS, rows, raw)


def ip_addresses_frame(raw: Any) -> pd.DataFrame:
    """One row per address (the IP_ADDRESSES columns); `primary` is <NA> where the API leaves it out."""
    rows = [
        {k: a.get(k) for k in ("address", "claimed", "primary", "server", "type")}
        for a in raw or ()
        if isinstance(a, dict)
    ]
    return frames.records_frame(IP_ADDRESSES, rows, raw)


class NetworkMethods(SessionParts):
    """Session methods for networks and secondary NICs."""

    def networks(self, dc: str | None = None) -> pd.DataFrame:
        """DataFrame (NETWORKS) of the networks of `dc` (default: the session's data center).

        Raises NotFoundError for an unknown data center."""
        dc = self._dc(dc)
        raw = self._get(f"/v2-experimental/networks/{self.alias}/{dc}", what=f"list the networks of {dc}")
        if not isinstance(raw, list):
            raise self._malformed(f"list the networks of {dc}: expected a list, got {raw!r}")
        return networks_frame(raw, dc)

    def network(self, network: str, dc: str | None = None) -> dict:
        """One network's JSON (id, cidr, description, gateway, name, netmask, type, vlan, links).

        `network` is an id or a name. Raises NotFoundError for an unknown one."""
        dc = self._dc(dc)
        net_id = self.resolve_network(network, dc)
        return self._get(f"/v2-experimental/networks/{self.alias}/{dc}/{net_id}", what=f"get network {network!r}")

    def ip_addresses(self, network: str, dc: str | None = None, type: str = "all") -> pd.DataFrame:
        """DataFrame (IP_ADDRESSES) of a network's addresses: `type` ``claimed`` (in use, with the
        server holding each), ``free`` or ``all``. Raises ValidationError for another `type`."""
        which = str(type).strip().lower()
        if which not in ADDRESS_TYPES:
            raise problem("type", f"must be one of {', '.join(ADDRESS_TYPES)}; got {type!r}")
        dc = self._dc(dc)
        net_id = self.resolve_network(network, dc)
        raw = self._get(
            f"/v2-experimental/networks/{self.alias}/{dc}/{net_id}/ipAddresses",
            {"type": which},
            f"list the {which} addresses of network {network!r}",
        )
        return ip_addresses_frame(raw)

    def network_choices(self, dc: str | None = None) -> list[tuple[str, str]]:
        """(name, id) of every network a server of `dc` can use: from the networks API, or from the
        deployment capabilities when the backend has no networks API (it answers 404)."""
        dc = self._dc(dc)
        try:
            listed = self.networks(dc)
            return list(zip(listed["name"].astype(str), listed["id"].astype(str), strict=True))
        except NotFoundError:
            self._get(f"/v2/datacenters/{self.alias}/{dc}", what=f"get data center {dc!r}")  # unknown dc: raises
            caps = self._get(
                f"/v2/datacenters/{self.alias}/{dc}/deploymentCapabilities",
                what=f"get deployment capabilities of {dc!r}",
            )
            deployable = frames.networks_frame(caps or {})
            return list(zip(deployable["name"].astype(str), deployable["network_id"].astype(str), strict=True))

    def resolve_network(self, network: Any, dc: str | None = None, *, field: str = "network") -> str:
        """The id of a network given by its id (used as it is, no request) or its name in `dc`.

        Raises ValidationError when several networks have that name or `network` is not a string,
        NotFoundError when none has it (the message lists the networks there are)."""
        return self._network_ref(network, dc, field, NotFoundError)

    def _network_ref(self, network: Any, dc: str | None, field: str, missing: type[ApiError]) -> str:
        """resolve_network, raising `missing` when no network has the name: NotFoundError where the
        network is what is asked for, ValidationError where it is an argument of a change."""
        text = text_of(network, field, NETWORK_REF)
        if HEX_ID.fullmatch(text):
            return text.lower()
        dc = self._dc(dc)
        where = f"data center {dc}"
        return pick(self.network_choices(dc), text, kind="network", where=where, field=field, missing=missing)

    def _build_network(self, group_id: str, network: Any, network_id: str | None) -> str | None:
        """Create Server's network: `network` (an id, or a name in the group's data center: one GET of
        the group), else `network_id` as given."""
        if network is None:
            return network_id
        if network_id and network_id != network:
            raise problem("network", "give network= or network_id=, not both")
        text = text_of(network, "network", NETWORK_REF)
        if HEX_ID.fullmatch(text):
            return text.lower()
        group = self._get(f"/v2/groups/{self.alias}/{group_id}", what=f"get group {group_id!r}") or {}
        return self._network_ref(text, group.get("locationId"), "network", ValidationError)

    def operation_status(self, operation_id: str, *, deadline: Deadline | None = None) -> dict:
        """One read of ``GET /v2-experimental/operations/{alias}/status/{id}``: the operation's status
        record (``status``: ``queued``, ``running``, ``succeeded``, ``failed``; a claim's also
        ``summary``). Raises MalformedResponseError when the answer has no ``status``."""
        path = f"/v2-experimental/operations/{self.alias}/status/{operation_id}"
        # a transient 500 is read again, as for /v2 job statuses; `deadline` bounds the read and its retries
        data = self._get(path, what=f"read status of operation {operation_id}", deadline=deadline, also_retry=(500,))
        if not isinstance(data, dict) or not isinstance(data.get("status"), str):
            raise self._malformed(f"read status of operation {operation_id}: GET {path} has no status: {data!r}")
        return data

    def claim_network(self, dc: str | None = None) -> OperationJob:
        """Claim a new network in `dc`; returns its Job (``job.network_id`` once it succeeded).

        Raises ValidationError when the data center has no network left to claim."""
        dc = self._dc(dc)
        data = self.transport.request(
            "POST", f"/v2-experimental/networks/{self.alias}/{dc}/claim", json={}, what=f"claim a network in {dc}"
        ).data
        return operation_job(self, data, "claim_network", f"claim network {dc}")

    def update_network(self, network: str, name: str, description: str | None = None, dc: str | None = None) -> None:
        """Rename a network (and set its description; None keeps it). Raises ValidationError for an
        empty name, NotFoundError for an unknown network."""
        if not isinstance(name, str) or not name.strip():
            raise problem("name", f"must be a non-empty string; got {name!r}")
        dc = self._dc(dc)
        net_id = self.resolve_network(network, dc)
        body = {"name": name} if description is None else {"name": name, "description": description}
        self.transport.request(
            "PUT",
            f"/v2-experimental/networks/{self.alias}/{dc}/{net_id}",
            json=body,
            repeatable=True,  # the same values again change nothing
            what=f"update network {network!r}",
        )

    def release_network(self, network: str, dc: str | None = None) -> None:
        """Give a network back. Raises ValidationError while a server holds an address on it,
        NotFoundError for an unknown network."""
        dc = self._dc(dc)
        net_id = self.resolve_network(network, dc)
        self.transport.request(
            "POST",
            f"/v2-experimental/networks/{self.alias}/{dc}/{net_id}/release",
            json={},
            what=f"release network {network!r}",
        )

    def add_secondary_nic(self, server_id: str, network: str, ip_address: str | None = None) -> OperationJob:
        """Add a network adapter on `network` (an id, or a name in the server's data center) to a
        server, with `ip_address` or the network's next free one; returns its Job. Raises
        ValidationError for a refused network or address (at most three secondary NICs, one per
        network, not the server's primary network)."""
        server_id = text_of(server_id, "server_id", "a server id")
        body: dict[str, Any] = {"networkId": self._server_network(server_id, network)}
        if ip_address:
            body["ipAddress"] = ip_address
        data = self.transport.request(
            "POST",
            f"/v2/servers/{self.alias}/{server_id}/networks",
            json=body,
            what=f"add a network adapter to server {server_id!r}",
        ).data
        return operation_job(self, data, "add_nic", f"add NIC {server_id}", server_id)

    def remove_secondary_nic(self, server_id: str, network: str) -> OperationJob:
        """Remove a server's network adapter on `network`; returns its Job. Raises NotFoundError when
        the server has no adapter there."""
        server_id = text_of(server_id, "server_id", "a server id")
        net_id = self._server_network(server_id, network)
        data = self.transport.request(
            "DELETE",
            f"/v2/servers/{self.alias}/{server_id}/networks/{net_id}",
            what=f"remove the network adapter of server {server_id!r} on {network!r}",
        ).data
        return operation_job(self, data, "remove_nic", f"remove NIC {server_id}", server_id)

    def _server_network(self, server_id: str, network: Any) -> str:
        """A network id for a server's NIC: as given, or its name looked up in the server's data center."""
        text = text_of(network, "network", NETWORK_REF)
        if HEX_ID.fullmatch(text):
            return text.lower()
        location = self.server(server_id).get("locationId")
        if not location:
            raise ValidationError(f"server {server_id!r} does not say its data center", status=None)
        return self.resolve_network(text, str(location))
