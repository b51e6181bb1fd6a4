"""Secondary network adapters (NICs) of a server: add one on another network of its data center, remove
it; both are v2-experimental operations (`{operationId, uri}`).

Rules (clc-api-v2.md §5.9): at most 3 secondary NICs (4 with the primary), one address per secondary
network, not on the server's primary network, the server active. A NIC's address is reserved when the
add is accepted (so two adds never get the same one) and shown once the operation succeeded: in the
server's `details.secondaryIPAddresses` (a servers add-on) and in the network's claimed addresses
(an address holder of networks).
"""

from __future__ import annotations

import ipaddress
import sqlite3
from collections.abc import Sequence

from ..common import Reply
from ..context import Context
from ..errors import BadRequest, NotFound, field_error
from ..handling import Call
from ..jobqueue import Job
from ..registry import effect, route
from ..validation import Errors, as_str, is_ipv4
from .experimental_operations import ExperimentalOperations
from .networks import Networks
from .servers import ServerExtras, Servers

MAX_SECONDARY = 3
SHOWN = ("active", "removing")  # states of a NIC the server shows (adding: not yet; removing: still)


class SecondaryNics:
    """The secondary NICs of servers."""

    name = "secondary_nics"
    tables = {
        "secondary_nics": "server_id TEXT NOT NULL, network_id TEXT NOT NULL, ip TEXT NOT NULL,"
        " state TEXT NOT NULL, position INTEGER NOT NULL, PRIMARY KEY (server_id, network_id)"
    }

    def __init__(
        self, ctx: Context, servers: Servers, networks: Networks, experimental_operations: ExperimentalOperations
    ) -> None:
        self.ctx = ctx
        self.servers = servers
        self.networks = networks
        self.operations = experimental_operations
        servers.add_on(self)
        networks.add_holder(self)

    # --- as an add-on of servers and an address holder of networks ---------------------------------

    def server_extras(self, db: sqlite3.Connection, rows: Sequence[sqlite3.Row]) -> dict[str, ServerExtras]:
        """`details.secondaryIPAddresses` (`[{internal}]`) of the servers with NICs (the others keep
        the empty list every server shows)."""
        ids = {r["id"] for r in rows}
        marks = ",".join("?" * len(SHOWN))
        if len(rows) == 1:
            found = db.execute(
                f"SELECT server_id, ip FROM secondary_nics WHERE server_id=? AND state IN ({marks}) ORDER BY position",
                (rows[0]["id"], *SHOWN),
            ).fetchall()
        else:  # a whole tree: the table is small, read it once
            found = db.execute(
                f"SELECT server_id, ip FROM secondary_nics WHERE state IN ({marks}) ORDER BY position", SHOWN
            ).fetchall()
        shown: dict[str, list[dict]] = {}
        for nic in found:
            if nic["server_id"] in ids:
                shown.setdefault(nic["server_id"], []).append({"internal": nic["ip"]})
        return {sid: ServerExtras(details={"secondaryIPAddresses": ips}) for sid, ips in shown.items()}

    def server_dropped(self, db: sqlite3.Connection, server_id: str) -> None:
        db.execute("DELETE FROM secondary_nics WHERE server_id=?", (server_id,))

    def addresses_on(self, db: sqlite3.Connection, network_id: str) -> list[dict]:
        """The NIC addresses on a network (reserved ones too: they are taken)."""
        rows = db.execute("SELECT server_id, ip FROM secondary_nics WHERE network_id=?", (network_id,)).fetchall()
        return [
            {"address": r["ip"], "claimed": True, "primary": False, "server": r["server_id"].upper(), "type": "private"}
            for r in rows
        ]

    # --- routes and the effects of their jobs ---------------------------------------------------------

    @route("POST", "/v2/servers/{alias}/{server}/networks", body=True)
    def add(self, call: Call) -> Reply:
        """Queue a NIC on `networkId` (address `ipAddress`, or the next free one): 202 `{operationId, uri}`;
        400 naming the field for an unknown network, a network the server is already on, a fourth NIC
        or an address that is not free on that network."""
        with self.ctx.call(call) as tx:
            db, body = tx.db, tx.body
            server = self.servers.find(db, tx.alias, call.path["server"])
            if not body.is_object:
                raise field_error("", "A JSON object {networkId, ipAddress?} is expected.")
            if server["status"] != "active":
                raise BadRequest("The server must be active to change its network adapters.")
            errors = Errors()
            net_id = as_str(body.get("networkId"), "networkId", errors, required=True, max_len=64)
            ip = as_str(body.get("ipAddress"), "ipAddress", errors, max_len=64)
            network = None
            if net_id:
                try:
                    network = self.networks.find(db, tx.alias, server["dc"], net_id)
                except NotFound:
                    errors.add("networkId", f"The network {net_id} does not exist in {server['dc'].upper()}.")
            nics = db.execute("SELECT * FROM secondary_nics WHERE server_id=?", (server["id"],)).fetchall()
            if network is not None:
                if network["id"] == server["network_id"]:
                    errors.add("networkId", "The network is the server's primary network.")
                elif any(n["network_id"] == network["id"] for n in nics):
                    errors.add("networkId", "The server already has an adapter on this network.")
            if len(nics) >= MAX_SECONDARY:
                errors.add("networkId", f"A server has at most {MAX_SECONDARY} secondary network adapters.")
            if ip and network is not None:
                self._check_address(db, network, ip, errors)
            elif ip and not is_ipv4(ip):
                errors.add("ipAddress", "The ipAddress must be an IPv4 address.")
            errors.raise_if_any()
            assert network is not None  # every problem was reported above
            address = ip or self.networks.allocate(db, network)
            position = db.execute("SELECT COALESCE(MAX(position), 0) + 1 FROM secondary_nics").fetchone()[0]
            db.execute(
                "INSERT INTO secondary_nics VALUES (?,?,?,'adding',?)", (server["id"], network["id"], address, position)
            )
            return self.operations.start(tx, "addSecondaryNic", server["dc"], server["id"], network=network["id"])

    def _check_address(self, db: sqlite3.Connection, network: sqlite3.Row, ip: str, errors: Errors) -> None:
        if not is_ipv4(ip):
            errors.add("ipAddress", "The ipAddress must be an IPv4 address.")
            return
        net, address = ipaddress.IPv4Network(network["cidr"]), ipaddress.IPv4Address(ip)
        if address not in net or address in (net.network_address, net.broadcast_address):
            errors.add("ipAddress", f"The address {ip} is not a host address of the network {network['cidr']}.")
        elif ip == network["gateway"]:
            errors.add("ipAddress", f"The address {ip} is the network's gateway.")
        elif ip in {a["address"] for a in self.networks.claimed(db, network)}:
            errors.add("ipAddress", f"The address {ip} is already in use on the network.")

    @effect("addSecondaryNic")
    def _added(self, db: sqlite3.Connection, job: Job) -> None:
        """The NIC is up; a failed add frees its address."""
        if job.succeeded:
            db.execute(
                "UPDATE secondary_nics SET state='active' WHERE server_id=? AND network_id=? AND state='adding'",
                (job.target, job.params["network"]),
            )
        else:
            db.execute(
                "DELETE FROM secondary_nics WHERE server_id=? AND network_id=? AND state='adding'",
                (job.target, job.params["network"]),
            )

    @route("DELETE", "/v2/servers/{alias}/{server}/networks/{network}")
    def remove(self, call: Call) -> Reply:
        """Queue the removal of the server's NIC on a network: 202 `{operationId, uri}`; 404 if it has none."""
        with self.ctx.call(call) as tx:
            server = self.servers.find(tx.db, tx.alias, call.path["server"])
            nic = tx.db.execute(
                "SELECT * FROM secondary_nics WHERE server_id=? AND network_id=?",
                (server["id"], call.path["network"].lower()),
            ).fetchone()
            if nic is None:
                raise NotFound()
            if server["status"] != "active":
                raise BadRequest("The server must be active to change its network adapters.")
            if nic["state"] != "active":
                raise BadRequest("A change of this network adapter is already in progress.")
            tx.db.execute(
                "UPDATE secondary_nics SET state='removing' WHERE server_id=? AND network_id=?",
                (server["id"], nic["network_id"]),
            )
            return self.operations.start(
                tx, "removeSecondaryNic", server["dc"], server["id"], network=nic["network_id"]
            )

    @effect("removeSecondaryNic")
    def _removed(self, db: sqlite3.Connection, job: Job) -> None:
        """The NIC and its address go; a failed removal leaves it up."""
        where = "server_id=? AND network_id=? AND state='removing'"
        if job.succeeded:
            db.execute(f"DELETE FROM secondary_nics WHERE {where}", (job.target, job.params["network"]))
        else:
            db.execute(f"UPDATE secondary_nics SET state='active' WHERE {where}", (job.target, job.params["network"]))
