"""Shared load balancers, their pools and nodes: Session methods and their frames.

    lb = s.create_load_balancer("web", "front door", dc="WA1")        # dict: the new load balancer
    s.create_load_balancer_pool("web", 80, method="leastConnection")  # pool named by its port
    s.set_load_balancer_nodes("web", 80, servers=["wa1aliasweb01", "wa1aliasweb02"], port=8080)
    s.load_balancers()                   # DataFrame LOAD_BALANCERS (every data center)
    s.load_balancer_pools("web")         # DataFrame LOAD_BALANCER_POOLS
    s.load_balancer_nodes("web")         # DataFrame LOAD_BALANCER_NODES (with the server of each IP)

A load balancer is named by its 32-hex id (used as it is) or by its name, in `dc` (default: the
session's data center); a pool by its id or by its port (80 or 443). Every call is synchronous.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import pandas as pd

from .. import frames
from ..errors import ApiError, NotFoundError, ValidationError
from ..frames import INT, STR
from . import lost_answers
from .base import HEX_ID, SessionParts, pick, problem, text_of

LOAD_BALANCERS = (
    ("id", STR),
    ("name", STR),
    ("description", STR),
    ("ip_address", STR),
    ("status", STR),
    ("location", STR),
    ("pool_count", INT),
    ("node_count", INT),
    ("ports", STR),
)
LOAD_BALANCER_POOLS = (
    ("id", STR),
    ("load_balancer_id", STR),
    ("load_balancer_name", STR),
    ("location", STR),
    ("port", INT),
    ("method", STR),
    ("persistence", STR),
    ("node_count", INT),
)
LOAD_BALANCER_NODES = (
    ("load_balancer_id", STR),
    ("load_balancer_name", STR),
    ("location", STR),
    ("pool_id", STR),
    ("port", INT),
    ("ip_address", STR),
    ("private_port", INT),
    ("status", STR),
    ("server_id", STR),
)
SCHEMAS = {
    "load_balancers": LOAD_BALANCERS,
    "load_balancer_pools": LOAD_BALANCER_POOLS,
    "load_balancer_nodes": LOAD_BALANCER_NODES,
}
LB_REF = "a load balancer id or name"


def _items(raw: Any) -> list[dict]:
    return [item for item in raw or () if isinstance(item, dict)] if isinstance(raw, list) else []


def load_balancers_frame(by_dc: dict[str, Any]) -> pd.DataFrame:
    """One row per load balancer of the data centers' listings (`{dc: JSON list}`)."""
    rows = []
    for dc, raw in by_dc.items():
        for lb in _items(raw):
            pools = _items(lb.get("pools"))
            rows.append(
                {
                    "id": lb.get("id"),
                    "name": lb.get("name"),
                    "description": lb.get("description"),
                    "ip_address": lb.get("ipAddress"),
                    "status": lb.get("status"),
                    "location": dc,
                    "pool_count": len(pools),
                    "node_count": sum(len(_items(p.get("nodes"))) for p in pools),
                    "ports": ", ".join(str(p.get("port")) for p in pools) or None,
                }
            )
    return frames.records_frame(LOAD_BALANCERS, rows, by_dc)


def pools_frame(by_dc: dict[str, Any]) -> pd.DataFrame:
    """One row per pool of the load balancers given (`{dc: JSON list of load balancers}`)."""
    rows = [
        {
            "id": p.get("id"),
            "load_balancer_id": lb.get("id"),
            "load_balancer_name": lb.get("name"),
            "location": dc,
            "port": p.get("port"),
            "method": p.get("method"),
            "persistence": p.get("persistence"),
            "node_count": len(_items(p.get("nodes"))),
        }
        for dc, raw in by_dc.items()
        for lb in _items(raw)
        for p in _items(lb.get("pools"))
    ]
    return frames.records_frame(LOAD_BALANCER_POOLS, rows, by_dc)


def nodes_frame(by_dc: dict[str, Any], server_of_ip: dict[str, str] | None = None) -> pd.DataFrame:
    """One row per node of every pool of the load balancers given; `server_id` from `server_of_ip`
    (`<NA>` for an address no server of the account holds)."""
    servers = server_of_ip or {}
    rows = [
        {
            "load_balancer_id": lb.get("id"),
            "load_balancer_name": lb.get("name"),
            "location": dc,
            "pool_id": p.get("id"),
            "port": p.get("port"),
            "ip_address": n.get("ipAddress"),
            "private_port": n.get("privatePort"),
            "status": n.get("status"),
            "server_id": servers.get(str(n.get("ipAddress"))),
        }
        for dc, raw in by_dc.items()
        for lb in _items(raw)
        for p in _items(lb.get("pools"))
        for n in _items(p.get("nodes"))
    ]
    return frames.records_frame(LOAD_BALANCER_NODES, rows, by_dc)


class LoadBalancerMethods(SessionParts):
    """Session methods for shared load balancers, pools and nodes."""

    if TYPE_CHECKING:

        def _datacenter_list(self) -> list: ...

        def servers(self, dc: str | None = None, group: str | None = None) -> pd.DataFrame: ...

    # -- reading -----------------------------------------------------------------------------------

    def _lb_base(self, dc: str) -> str:
        return f"/v2/sharedLoadBalancers/{self.alias}/{dc}"

    def _lb_list(self, dc: str) -> list[dict]:
        raw = self._get(self._lb_base(dc), what=f"list the load balancers of {dc}")
        if not isinstance(raw, list):
            raise self._malformed(f"list the load balancers of {dc}: expected a list, got {raw!r}")
        return raw

    def _lb_listings(self, dc: str | None) -> dict[str, Any]:
        """`{dc: the load balancers' JSON}` of `dc`, or of every data center of the account."""
        dcs = [self._dc(dc)] if dc is not None else [str(d.get("id", "")).upper() for d in self._datacenter_list()]
        return {d: self._lb_list(d) for d in dcs}

    def load_balancers(self, dc: str | None = None) -> pd.DataFrame:
        """DataFrame (LOAD_BALANCERS) of the shared load balancers of `dc`, or of every data center
        when `dc` is None (one request per data center). Raises NotFoundError for an unknown one."""
        return load_balancers_frame(self._lb_listings(dc))

    def load_balancer(self, lb: Any, dc: str | None = None) -> dict:
        """One load balancer's JSON (id, name, description, ipAddress, status, pools with their
        nodes, links). Raises NotFoundError for an unknown one."""
        dc = self._dc(dc)
        lb_id = self.resolve_load_balancer(lb, dc)
        return self._get(f"{self._lb_base(dc)}/{lb_id}", what=f"get load balancer {lb!r}")

    def load_balancer_pools(self, lb: Any = None, dc: str | None = None) -> pd.DataFrame:
        """DataFrame (LOAD_BALANCER_POOLS) of one load balancer's pools, or of every load balancer's
        (of `dc`, or of every data center when both are None)."""
        return pools_frame(self._selected(lb, dc))

    def load_balancer_nodes(self, lb: Any = None, pool: Any = None, dc: str | None = None) -> pd.DataFrame:
        """DataFrame (LOAD_BALANCER_NODES) of the nodes of one pool, one load balancer, or every load
        balancer (of `dc`, or of every data center). ``server_id`` names the account's server holding
        each node's address (one more request per data center: the servers inventory)."""
        by_dc = self._selected(lb, dc)
        if pool is not None:
            if lb is None:
                raise problem("lb", "name the load balancer of the pool")
            dc_name, [one] = next(iter(by_dc.items()))
            pool_id = self._pool_ref(one, pool, "pool", NotFoundError)
            by_dc = {dc_name: [{**one, "pools": [p for p in _items(one.get("pools")) if p.get("id") == pool_id]}]}
        addresses: dict[str, str] = {}
        for dc_name, raw in by_dc.items():
            if any(_items(p.get("nodes")) for one in _items(raw) for p in _items(one.get("pools"))):
                inventory = self.servers(dc_name)
                for sid, ips in zip(inventory["id"], inventory["internal_ips"], strict=True):
                    for ip in str(ips or "").split(", "):
                        if ip:
                            addresses.setdefault(ip, str(sid))
        return nodes_frame(by_dc, addresses)

    def _selected(self, lb: Any, dc: str | None) -> dict[str, Any]:
        """`{dc: [load balancer JSON]}`: the one `lb` names (in `dc` or the session's data center),
        or all of `dc` / of every data center."""
        if lb is None:
            return self._lb_listings(dc)
        dc_name = self._dc(dc)
        return {dc_name: [self.load_balancer(lb, dc_name)]}

    def resolve_load_balancer(self, lb: Any, dc: str | None = None, *, field: str = "lb") -> str:
        """The id of a load balancer given by its id (used as it is, no request) or its name in `dc`.

        Raises ValidationError when several have that name or `lb` is not a string, NotFoundError
        when none has it (the message lists the names there are)."""
        return self._lb_ref(lb, dc, field, NotFoundError)

    def _lb_ref(self, lb: Any, dc: str | None, field: str, missing: type[ApiError]) -> str:
        text = text_of(lb, field, LB_REF)
        if HEX_ID.fullmatch(text):
            return text.lower()
        dc = self._dc(dc)
        pairs = [(str(x.get("name")), str(x.get("id"))) for x in self._lb_list(dc)]
        return pick(pairs, text, kind="load balancer", where=f"data center {dc}", field=field, missing=missing)

    @staticmethod
    def _pool_ref(lb_json: dict, pool: Any, field: str, missing: type[ApiError]) -> str:
        """The id of the pool of a load balancer given by its id or its port."""
        pools = _items(lb_json.get("pools"))
        if isinstance(pool, dict) and pool.get("id"):
            pool = pool["id"]
        if isinstance(pool, str) and HEX_ID.fullmatch(pool.strip()):
            return pool.strip().lower()
        port = pool if isinstance(pool, int) and not isinstance(pool, bool) else None
        if isinstance(pool, str) and pool.strip().isdigit():
            port = int(pool.strip())
        if port is None:
            raise problem(field, f"must be a pool id or its port (80 or 443); got {pool!r}")
        for p in pools:
            if p.get("port") == port:
                return str(p.get("id"))
        ports = ", ".join(str(p.get("port")) for p in pools) or "none"
        raise problem(
            field, f"load balancer {lb_json.get('name')!r} has no pool on port {port} (its pools: {ports})", missing
        )

    # -- changes -----------------------------------------------------------------------------------

    def create_load_balancer(
        self, name: str, description: str = "", dc: str | None = None, status: str = "enabled"
    ) -> dict:
        """Create a shared load balancer in `dc`; returns its JSON (with its public ``ipAddress``).

        Raises ValidationError (the API's 400 names the field). If the answer is lost, the data
        center's list (read once before the POST) shows whether it was made: the new one is returned
        rather than a second one created."""
        dc = self._dc(dc)
        body = {"name": name, "description": description or "", "status": status}
        what = f"create load balancer {name!r} in {dc}"
        before = {str(x.get("id")) for x in self._lb_list(dc)}
        try:
            data = self.transport.request("POST", self._lb_base(dc), json=body, what=what).data
        except lost_answers.LOST as exc:
            if not lost_answers.maybe_applied(exc):
                raise
            made = [x for x in self._lb_list(dc) if str(x.get("id")) not in before and x.get("name") == name]
            if len(made) == 1:
                return made[0]
            raise
        if not isinstance(data, dict) or not data.get("id"):
            raise self._malformed(f"{what}: unexpected answer {data!r}")
        return data

    def update_load_balancer(
        self,
        lb: Any,
        name: str | None = None,
        description: str | None = None,
        status: str | None = None,
        dc: str | None = None,
    ) -> None:
        """Rename, describe, enable or disable a load balancer (the API replaces name and
        description together: the ones not given are read first)."""
        dc = self._dc(dc)
        lb_id = self._lb_ref(lb, dc, "lb", NotFoundError)
        body: dict[str, Any] = {"name": name, "description": description}
        if name is None or description is None:
            current = self.load_balancer(lb_id, dc)
            body = {
                "name": current.get("name") if name is None else name,
                "description": (current.get("description") or "") if description is None else description,
            }
        if status is not None:
            body["status"] = status
        self.transport.request(
            "PUT", f"{self._lb_base(dc)}/{lb_id}", json=body, repeatable=True, what=f"update load balancer {lb!r}"
        )

    def delete_load_balancer(self, lb: Any, dc: str | None = None) -> None:
        """Delete a load balancer with its pools. Raises NotFoundError for an unknown one."""
        dc = self._dc(dc)
        lb_id = self._lb_ref(lb, dc, "lb", NotFoundError)
        lost_answers.delete(self, f"{self._lb_base(dc)}/{lb_id}", f"delete load balancer {lb!r}")

    def create_load_balancer_pool(
        self, lb: Any, port: int, method: str = "roundRobin", persistence: str = "standard", dc: str | None = None
    ) -> dict:
        """Add a pool listening on `port` (80 or 443) to a load balancer; returns the pool's JSON.

        `method` ``roundRobin`` or ``leastConnection``, `persistence` ``standard`` or ``sticky``.
        A port takes one pool: after a lost answer the pool on that port is the one made."""
        dc = self._dc(dc)
        lb_id = self._lb_ref(lb, dc, "lb", ValidationError)
        body = {"port": port, "method": method, "persistence": persistence}
        what = f"create the port {port} pool of load balancer {lb!r}"
        path = f"{self._lb_base(dc)}/{lb_id}/pools"
        try:
            data = self.transport.request("POST", path, json=body, what=what).data
        except lost_answers.LOST as exc:
            if not lost_answers.maybe_applied(exc):
                raise
            made = [p for p in _items(self._get(path, what=f"{what}: look for it")) if p.get("port") == port]
            if made:
                return made[0]
            raise
        if not isinstance(data, dict) or not data.get("id"):
            raise self._malformed(f"{what}: unexpected answer {data!r}")
        return data

    def update_load_balancer_pool(
        self,
        lb: Any,
        pool: Any,
        method: str | None = None,
        persistence: str | None = None,
        dc: str | None = None,
    ) -> None:
        """Change a pool's `method` and/or `persistence` (those not given stay as they are)."""
        dc = self._dc(dc)
        lb_json = self.load_balancer(lb, dc)
        pool_id = self._pool_ref(lb_json, pool, "pool", NotFoundError)
        body = {k: v for k, v in (("method", method), ("persistence", persistence)) if v is not None}
        if not body:
            raise problem("method", "give method= and/or persistence=")
        self.transport.request(
            "PUT",
            f"{self._lb_base(dc)}/{lb_json['id']}/pools/{pool_id}",
            json=body,
            repeatable=True,
            what=f"update pool {pool!r} of load balancer {lb!r}",
        )

    def delete_load_balancer_pool(self, lb: Any, pool: Any, dc: str | None = None) -> None:
        """Delete a pool (by id or port) of a load balancer, with its nodes."""
        dc = self._dc(dc)
        lb_json = self.load_balancer(lb, dc)
        pool_id = self._pool_ref(lb_json, pool, "pool", NotFoundError)
        lost_answers.delete(
            self, f"{self._lb_base(dc)}/{lb_json['id']}/pools/{pool_id}", f"delete pool {pool!r} of {lb!r}"
        )

    def set_load_balancer_nodes(
        self,
        lb: Any,
        pool: Any,
        nodes: Iterable[Any] | None = None,
        *,
        servers: Iterable[Any] | None = None,
        port: int | None = None,
        dc: str | None = None,
    ) -> None:
        """Replace the nodes of a pool (by id or port): either `servers` (ids, names or Server
        records: each one's private IP, on private `port`, default the pool's port) or `nodes`
        (``{"ipAddress", "privatePort", "status"?}`` dicts, snake_case keys accepted, or
        ``(ip, port)`` pairs). An empty list empties the pool. Raises ValidationError naming the
        bad node (``nodes[1].privatePort``) before anything is sent, or the API's 400."""
        if (nodes is None) == (servers is None):
            raise problem("nodes", "give nodes= (addresses and ports) or servers= (with port=), one of them")
        body = [_node(item, i) for i, item in enumerate(_listed(nodes))] if nodes is not None else []
        dc = self._dc(dc)
        lb_json = self.load_balancer(lb, dc)
        pool_id = self._pool_ref(lb_json, pool, "pool", NotFoundError)
        if servers is not None:
            pool_port = next(p.get("port") for p in _items(lb_json.get("pools")) if p.get("id") == pool_id)
            body = [
                {"ipAddress": self._private_ip(s, f"servers[{i}]"), "privatePort": port or pool_port}
                for i, s in enumerate(_listed(servers))
            ]
        self.transport.request(
            "PUT",
            f"{self._lb_base(dc)}/{lb_json['id']}/pools/{pool_id}/nodes",
            json=body,
            repeatable=True,
            what=f"set the nodes of pool {pool!r} of load balancer {lb!r}",
        )

    def _private_ip(self, server: Any, field: str) -> str:
        if isinstance(server, dict) and server.get("details"):
            record: Any = server
        else:
            record = self.server(text_of(server, field, "a server id or a Server"))
        ips = [a.get("internal") for a in (record.get("details") or {}).get("ipAddresses") or () if a.get("internal")]
        if not ips:
            raise problem(field, f"server {record.get('id')!r} has no private IP address (is it built?)")
        return str(ips[0])


def _listed(values: Any) -> list:
    if isinstance(values, (str, dict)) or not isinstance(values, Iterable):
        return [values]
    if isinstance(values, pd.DataFrame):
        return list(values["id"]) if "id" in values else [dict(r) for _, r in values.iterrows()]
    return list(values)


def _node(item: Any, i: int) -> dict:
    """One node for PUT nodes from a dict (camelCase or snake_case keys) or an (ip, port) pair."""
    where = f"nodes[{i}]"
    if isinstance(item, (tuple, list)) and len(item) == 2:
        item = {"ipAddress": item[0], "privatePort": item[1]}
    if not isinstance(item, dict):
        raise problem(where, f"must be {{'ipAddress', 'privatePort'}} or an (ip, port) pair; got {item!r}")
    keys = {str(k).replace("_", "").lower(): v for k, v in item.items()}
    ip, port = keys.get("ipaddress"), keys.get("privateport")
    if not isinstance(ip, str) or not ip:
        raise problem(f"{where}.ipAddress", f"must be an IPv4 address; got {ip!r}")
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise problem(f"{where}.privatePort", f"must be a port number 1-65535; got {port!r}")
    node: dict[str, Any] = {"ipAddress": ip, "privatePort": port}
    if keys.get("status") is not None:
        node["status"] = keys["status"]
    return node
