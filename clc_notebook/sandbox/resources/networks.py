"""Networks (v2-experimental): list, get (with the addresses in use or free), the address list, claim a
new network (an operation), rename, release.

Every account starts, in each data center, with its seeded deployable network (`networks` table, e.g.
WA1's "My Network"; the table's `alias` is the account a network belongs to) and a pool of claimable
VLANs of its own. A claim takes the pool's lowest VLAN and, when its operation succeeds, adds a network
of the account to the `networks` table, so deployment capabilities list it and servers can be built on
it; a release gives the VLAN back to the pool. An account sees only its own networks. Who holds an address on a
network: the servers built on it (their primary address and public IPs mapped to it), and whatever
resource registered with `add_holder` (secondary NICs).
"""

from __future__ import annotations

import ipaddress
import sqlite3
from collections.abc import Iterator
from typing import Protocol

from .. import fixtures
from ..common import Reply, new_hex_id
from ..context import Context
from ..errors import BadRequest, NotFound
from ..handling import Call
from ..jobqueue import Job
from ..registry import effect, route
from ..validation import Errors, as_str
from .datacenters import Datacenters
from .experimental_operations import ExperimentalOperations

POOL_SIZE = 6  # claimable VLANs per data center at the start
POOL_FIRST_VLAN = 300
SEEDED_FIRST_VLAN = 200  # the seeded networks: vlan 200 + the data center's position (as their names say)
FIRST_HOST = 12  # where address allocation starts on a claimed network
ADDRESS_FILTERS = ("none", "claimed", "free", "all")
SEEDED = "networks_seeded"  # `meta` key: the details and pool were written for the current networks


class AddressHolder(Protocol):
    """A resource that holds addresses on networks (secondary NICs); registered with `Networks.add_holder`."""

    def addresses_on(self, db: sqlite3.Connection, network_id: str) -> list[dict]:
        """The addresses it holds on a network: `{address, claimed: True, primary, server, type}` each."""
        ...


class Networks:
    """The networks of the account's data centers and the pool of VLANs it can claim."""

    name = "networks"
    tables = {
        # alias NULL: a network the account came with (seeded); else the account that claimed it
        "network_details": "id TEXT PRIMARY KEY, alias TEXT, vlan INTEGER NOT NULL, description TEXT NOT NULL",
        "network_pools": "alias TEXT NOT NULL, dc TEXT NOT NULL, vlan INTEGER NOT NULL, cidr TEXT NOT NULL,"
        " PRIMARY KEY (alias, dc, vlan)",
    }

    def __init__(self, ctx: Context, datacenters: Datacenters, experimental_operations: ExperimentalOperations) -> None:
        self.ctx = ctx
        self.datacenters = datacenters
        self.operations = experimental_operations
        self.holders: list[AddressHolder] = []

    def add_holder(self, holder: AddressHolder) -> None:
        """Count a resource's addresses as claimed (listings, allocation, release checks)."""
        self.holders.append(holder)

    def seed(self, db: sqlite3.Connection) -> None:
        """What `seed_account` writes, for every account there is (also on first use of a state file that
        predates this resource)."""
        for (alias,) in db.execute("SELECT DISTINCT alias FROM users").fetchall():
            self.seed_account(db, alias)
        db.execute("INSERT OR REPLACE INTO meta VALUES (?, '1')", (SEEDED,))

    def seed_account(self, db: sqlite3.Connection, alias: str) -> None:
        """Details (VLAN, description) of the account's seeded networks and its pool of VLANs in each data
        center (every account has the same pool: its networks are its own)."""
        positions = {r["id"]: r["position"] for r in db.execute("SELECT id, position FROM datacenters")}
        for row in db.execute("SELECT id, dc, cidr FROM networks WHERE alias=?", (alias,)).fetchall():
            vlan = SEEDED_FIRST_VLAN + positions.get(row["dc"], 0)
            db.execute(
                "INSERT OR IGNORE INTO network_details VALUES (?, NULL, ?, ?)",
                (row["id"], vlan, default_name(vlan, row["cidr"])),
            )
        for dc, pos in positions.items():
            for i in range(POOL_SIZE):
                cidr = f"172.{16 + pos % 16}.{i}.0/24"
                db.execute(
                    "INSERT OR IGNORE INTO network_pools VALUES (?,?,?,?)", (alias, dc, POOL_FIRST_VLAN + i, cidr)
                )

    def drop_account(self, db: sqlite3.Connection, alias: str) -> None:
        """An account goes (a classroom's account reset): the details of its networks, which have no alias
        when seeded (the networks and the pool go with every row keyed by the alias)."""
        db.execute("DELETE FROM network_details WHERE id IN (SELECT id FROM networks WHERE alias=?)", (alias,))

    def _ready(self, db: sqlite3.Connection) -> None:
        """Seed on first use when the state file predates this resource (its tables were created empty)."""
        if db.execute("SELECT 1 FROM meta WHERE key=?", (SEEDED,)).fetchone() is None:
            self.seed(db)

    # --- what other resources ask of networks ----------------------------------------------------------

    def find(self, db: sqlite3.Connection, alias: str, dc: str, network_id: str) -> sqlite3.Row:
        """The account's network `network_id` of data center `dc` (404 if none): the `networks` columns
        plus `vlan` and `description`."""
        self._ready(db)
        row = db.execute(
            "SELECT n.*, d.vlan, d.description FROM networks n"
            " JOIN network_details d ON d.id = n.id WHERE n.id=? AND n.dc=?",
            (str(network_id).lower(), dc.lower()),
        ).fetchone()
        if row is None or row["alias"] != alias:
            raise NotFound()
        return row

    def claimed(self, db: sqlite3.Connection, network: sqlite3.Row) -> list[dict]:
        """Every address in use on a network, private ones by address, then public ones mapped to it."""
        out = [
            {"address": r["ip"], "claimed": True, "primary": True, "server": r["id"].upper(), "type": "private"}
            for r in db.execute(
                "SELECT id, ip FROM servers WHERE network_id=? AND ip IS NOT NULL", (network["id"],)
            ).fetchall()
        ]
        for holder in self.holders:
            out += holder.addresses_on(db, network["id"])
        out.sort(key=lambda a: ipaddress.IPv4Address(a["address"]))
        mapped = db.execute(
            "SELECT p.ip, p.server_id FROM public_ips p JOIN servers s ON s.id = p.server_id"
            " WHERE s.network_id=? ORDER BY p.position",
            (network["id"],),
        ).fetchall()
        out += [
            {
                "address": r["ip"],
                "claimed": True,
                "primary": False,
                "server": r["server_id"].upper(),
                "type": "publicMapped",
            }
            for r in mapped
        ]
        return out

    def allocate(self, db: sqlite3.Connection, network: sqlite3.Row) -> str:
        """The next free address of a network (the allocation counter servers use, advanced past it)."""
        taken = {a["address"] for a in self.claimed(db, network)}
        net = ipaddress.IPv4Network(network["cidr"])
        counter = network["next_host"]
        for _ in range(net.num_addresses):
            address, counter = fixtures.ip_at(net, counter)
            if address not in taken:
                db.execute("UPDATE networks SET next_host=? WHERE id=?", (counter, network["id"]))
                return address
        raise BadRequest(f"The network {network['name']} has no free address left.")

    # --- routes and the effects of their jobs ---------------------------------------------------------

    @route("GET", "/v2-experimental/networks/{alias}/{dc}")
    def list_all(self, call: Call) -> list[dict]:
        """The networks of a data center visible to the account, by name; 404 for an unknown data center."""
        with self.ctx.call(call) as tx:
            self._ready(tx.db)
            dc = self.datacenters.find(tx.db, call.path["dc"])["id"]
            rows = tx.db.execute(
                "SELECT n.*, d.vlan, d.description FROM networks n"
                " JOIN network_details d ON d.id = n.id WHERE n.dc=? AND n.alias=? ORDER BY n.name, n.id",
                (dc, tx.alias),
            ).fetchall()
            return [network(r, tx.alias, call.base_url) for r in rows]

    @route("GET", "/v2-experimental/networks/{alias}/{dc}/{network}")
    def get(self, call: Call) -> dict:
        """One network; `ipAddresses=claimed|free|all` adds its addresses (`none`, the default, does not)."""
        with self.ctx.call(call) as tx:
            row = self.find(tx.db, tx.alias, call.path["dc"], call.path["network"])
            which = _filter(call.query.get("ipaddresses", "none"), "ipAddresses")
            addresses = None if which == "none" else self.addresses(tx.db, row, which)
            return network(row, tx.alias, call.base_url, addresses)

    @route("GET", "/v2-experimental/networks/{alias}/{dc}/{network}/ipAddresses")
    def ip_addresses(self, call: Call) -> list[dict]:
        """The addresses of a network: `type=claimed|free|all` (default all)."""
        with self.ctx.call(call) as tx:
            row = self.find(tx.db, tx.alias, call.path["dc"], call.path["network"])
            which = _filter(call.query.get("type", "all"), "type", allowed=ADDRESS_FILTERS[1:])
            return self.addresses(tx.db, row, which)

    def addresses(self, db: sqlite3.Connection, row: sqlite3.Row, which: str) -> list[dict]:
        """`claimed`, `free` or `all` the addresses of a network (all: private by address, then public)."""
        claimed = self.claimed(db, row)
        if which == "claimed":
            return claimed
        taken = {a["address"] for a in claimed}
        free = [
            {"address": a, "claimed": False, "type": "private"}
            for a in assignable(ipaddress.IPv4Network(row["cidr"]))
            if a not in taken
        ]
        if which == "free":
            return free
        private = [a for a in claimed if a["type"] == "private"] + free
        private.sort(key=lambda a: ipaddress.IPv4Address(a["address"]))
        return private + [a for a in claimed if a["type"] != "private"]

    @route("POST", "/v2-experimental/networks/{alias}/{dc}/claim")
    def claim(self, call: Call) -> Reply:
        """Claim the pool's next VLAN: 202 `{operationId, uri}`; the network exists once the operation
        succeeded (its status links it). 400 when the data center has no VLAN left. The body is ignored
        (clc-sdk sends none, the Java SDK `{}`)."""
        with self.ctx.call(call) as tx:
            self._ready(tx.db)
            dc = self.datacenters.find(tx.db, call.path["dc"])["id"]
            vlan = tx.db.execute(
                "SELECT * FROM network_pools WHERE alias=? AND dc=? ORDER BY vlan LIMIT 1", (tx.alias, dc)
            ).fetchone()
            if vlan is None:
                raise BadRequest(f"There is no network left to claim in {dc.upper()}.")
            tx.db.execute("DELETE FROM network_pools WHERE alias=? AND dc=? AND vlan=?", (tx.alias, dc, vlan["vlan"]))
            net_id = new_hex_id(tx.db, "network")
            href = f"/v2-experimental/networks/{tx.alias.upper()}/{dc.upper()}/{net_id}"
            return self.operations.start(
                tx,
                "claimNetwork",
                dc,
                net_id,
                request_type="blueprintOperation",
                links=[{"rel": "network", "href": href, "id": net_id}],
                vlan=vlan["vlan"],
                cidr=vlan["cidr"],
            )

    @effect("claimNetwork")
    def _claimed(self, db: sqlite3.Connection, job: Job) -> None:
        """The claimed network appears (owned by the account); a failed claim gives its VLAN back."""
        vlan, cidr = job.params["vlan"], job.params["cidr"]
        if not job.succeeded:
            db.execute("INSERT OR IGNORE INTO network_pools VALUES (?,?,?,?)", (job.alias, job.dc, vlan, cidr))
            return
        name = default_name(vlan, cidr)
        gateway = str(ipaddress.IPv4Network(cidr).network_address + 1)
        db.execute(
            "INSERT INTO networks (id, dc, name, cidr, gateway, next_host, alias) VALUES (?,?,?,?,?,?,?)",
            (job.target, job.dc, name, cidr, gateway, FIRST_HOST, job.alias),
        )
        db.execute("INSERT INTO network_details VALUES (?,?,?,?)", (job.target, job.alias, vlan, name))

    @route("PUT", "/v2-experimental/networks/{alias}/{dc}/{network}", body=True)
    def update(self, call: Call) -> Reply:
        """Rename a network (`name` required, `description` optional: kept when absent): 204."""
        with self.ctx.call(call) as tx:
            row = self.find(tx.db, tx.alias, call.path["dc"], call.path["network"])
            errors = Errors()
            if not tx.body.is_object:
                errors.add("", "A JSON object {name, description?} is expected.")
            name = as_str(tx.body.get("name"), "name", errors, required=True, max_len=128)
            if name is not None and not name.strip():
                errors.add("name", "The name field is required.")
            description = as_str(tx.body.get("description"), "description", errors, max_len=256)
            errors.raise_if_any()
            tx.db.execute("UPDATE networks SET name=? WHERE id=?", (name, row["id"]))
            if description is not None:
                tx.db.execute("UPDATE network_details SET description=? WHERE id=?", (description, row["id"]))
            return Reply(204)

    @route("POST", "/v2-experimental/networks/{alias}/{dc}/{network}/release")
    def release(self, call: Call) -> Reply:
        """Give a network's VLAN back to the pool: 204; 400 while any server holds an address on it."""
        with self.ctx.call(call) as tx:
            row = self.find(tx.db, tx.alias, call.path["dc"], call.path["network"])
            held = [a for a in self.claimed(tx.db, row) if a["type"] == "private"]
            if held:
                servers = ", ".join(sorted({a["server"] for a in held}))
                raise BadRequest(
                    f"The network {row['name']} cannot be released: servers hold addresses on it ({servers})."
                )
            tx.db.execute("DELETE FROM networks WHERE id=?", (row["id"],))
            tx.db.execute("DELETE FROM network_details WHERE id=?", (row["id"],))
            tx.db.execute(
                "INSERT OR IGNORE INTO network_pools VALUES (?,?,?,?)", (tx.alias, row["dc"], row["vlan"], row["cidr"])
            )
            return Reply(204)


def _filter(value: str, name: str, allowed: tuple[str, ...] = ADDRESS_FILTERS) -> str:
    """A query filter value (any case); 400 naming the parameter otherwise."""
    which = str(value).strip().lower()
    if which not in allowed:
        message = f"The {name} parameter must be one of {', '.join(allowed)}."
        raise BadRequest(message, {name: [message]})
    return which


def assignable(net: ipaddress.IPv4Network) -> Iterator[str]:
    """Every address of a network a server can get, in order (the allocation rule of `fixtures.ip_at`)."""
    counter = 0
    while True:
        address, counter = fixtures.ip_at(net, counter)
        if counter > net.num_addresses:  # wrapped around
            return
        yield address


def default_name(vlan: int, cidr: str) -> str:
    """`vlan_{vlan}_{first three octets}`, the platform's default name and description of a network."""
    return f"vlan_{vlan}_{cidr.split('/')[0].rsplit('.', 1)[0]}"


# --- representations -----------------------------------------------------------------------------------


def network(row: sqlite3.Row, alias: str, base_url: str, addresses: list[dict] | None = None) -> dict:
    """A network as v2-experimental shows it (`ipAddresses` only when asked for). Its links are
    absolute (`base_url`: the scheme and host the client used), as documented and mostly recorded."""
    net = ipaddress.IPv4Network(row["cidr"])
    base = f"{base_url}/v2-experimental/networks/{alias.lower()}/{row['dc'].lower()}/{row['id']}"
    out: dict = {
        "id": row["id"],
        "cidr": row["cidr"],
        "description": row["description"],
        "gateway": row["gateway"],
        "name": row["name"],
        "netmask": str(net.netmask),
        "type": "private",
        "vlan": row["vlan"],
    }
    if addresses is not None:
        out["ipAddresses"] = addresses
    out["links"] = [
        {"rel": "self", "href": base, "verbs": ["GET", "PUT"]},
        {"rel": "ipAddresses", "href": f"{base}/ipAddresses", "verbs": ["GET"]},
        {"rel": "release", "href": f"{base}/release", "verbs": ["POST"]},
    ]
    return out
