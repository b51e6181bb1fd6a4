"""Public IP addresses of a server: add, get, update, delete (each change is a job).

Attached to servers as a `ServerAddOn`: a server's representation lists its public IPs (in
`details.ipAddresses` and as `publicIPAddress` links), and a dropped server's IPs are released.

As production did (the recordings): a public IP added without `internalIPAddress` claims a **new
private address** on the server's network and maps onto it (the server's `details.ipAddresses`
grows by one `{public, internal}` entry); that private address stays the server's when the public
IP is removed (it shows as `{internal}`), and a later public IP may name it as its `internalIPAddress`.
A claimed address is unique on its network, not across the sandbox: every account of a class has its own
copy of the same network, so two trainees' servers may each claim 10.20.30.41.
"""

from __future__ import annotations

import ipaddress
import json
import sqlite3
from collections.abc import Sequence

from .. import fixtures
from ..common import Reply, dumps
from ..context import Context
from ..errors import BadRequest, NotFound, field_error
from ..handling import Call
from ..jobqueue import Job
from ..registry import effect, route
from ..shapes import link, status_link
from ..validation import Body, Errors, as_int, is_cidr
from .networks import Networks
from .servers import ServerExtras, Servers

PUBLIC_NET = ipaddress.IPv4Network("66.150.0.0/16")
# The network a server claims addresses on (SQL over a `servers s` row): its own, else (a server
# without one) its account's first network of its data center (every account has its own copies)
_NETWORK_OF_SERVER = (
    "COALESCE(s.network_id,"
    " (SELECT n.id FROM networks n WHERE n.dc = s.dc AND n.alias = s.alias ORDER BY n.name, n.id LIMIT 1))"
)


class PublicIps:
    """The public IPs of servers, and the private addresses servers claimed for them."""

    name = "public_ips"
    tables = {
        "claimed_ips": "network_id TEXT NOT NULL, ip TEXT NOT NULL, server_id TEXT NOT NULL,"
        " position INTEGER NOT NULL, PRIMARY KEY (network_id, ip)"
    }

    def __init__(self, ctx: Context, servers: Servers, networks: Networks) -> None:
        self.ctx = ctx
        self.servers = servers
        self.networks = networks
        servers.add_on(self)
        networks.add_holder(self)  # the claimed private addresses are taken on their network

    def migrate(self, db: sqlite3.Connection) -> None:
        """A state file written before claimed addresses were keyed by network (`ip` alone was the key,
        so two accounts could not claim the same address): the table rebuilt with each address's network
        (its server's), the rows kept."""
        if "network_id" in {r["name"] for r in db.execute("PRAGMA table_info(claimed_ips)")}:
            return
        db.execute("ALTER TABLE claimed_ips RENAME TO claimed_ips_before")
        db.execute(f"CREATE TABLE claimed_ips ({self.tables['claimed_ips']})")
        db.execute(
            "INSERT INTO claimed_ips (network_id, ip, server_id, position)"
            f" SELECT {_NETWORK_OF_SERVER}, c.ip, c.server_id, c.position"
            " FROM claimed_ips_before c JOIN servers s ON s.id = c.server_id"
            f" WHERE {_NETWORK_OF_SERVER} IS NOT NULL"
        )
        db.execute("DROP TABLE claimed_ips_before")

    # --- as an address holder of networks -----------------------------------------------------------

    def addresses_on(self, db: sqlite3.Connection, network_id: str) -> list[dict]:
        """The private addresses servers claimed on a network (their public IPs are listed by networks)."""
        rows = db.execute("SELECT ip, server_id FROM claimed_ips WHERE network_id=?", (network_id,)).fetchall()
        return [
            {"address": r["ip"], "claimed": True, "primary": False, "server": r["server_id"].upper(), "type": "private"}
            for r in rows
        ]

    # --- as an add-on of servers ----------------------------------------------------------------------

    def server_extras(self, db: sqlite3.Connection, rows: Sequence[sqlite3.Row]) -> dict[str, ServerExtras]:
        """Each server's public IPs as `{public, internal}` addresses and `publicIPAddress` links, and
        the private addresses it claimed as `{internal}` while no public IP maps onto them."""
        publics = _of_servers(db, "public_ips", rows)
        claimed = _of_servers(db, "claimed_ips", rows)
        by_server = {r["id"]: r for r in rows}
        out: dict[str, ServerExtras] = {}
        for p in publics:
            row = by_server.get(p["server_id"])
            if row is None:
                continue
            extras = out.setdefault(p["server_id"], ServerExtras())
            href = f"/v2/servers/{row['alias'].lower()}/{row['id']}/publicIPAddresses/{p['ip']}"
            extras.links.append(link("publicIPAddress", href, id=p["ip"], verbs=["GET", "PUT", "DELETE"]))
        publics_of: dict[str, list[sqlite3.Row]] = {}
        claimed_of: dict[str, list[str]] = {}
        for p in publics:
            publics_of.setdefault(p["server_id"], []).append(p)
        for c in claimed:
            claimed_of.setdefault(c["server_id"], []).append(c["ip"])
        for sid, row in by_server.items():
            mine = publics_of.get(sid, [])
            addresses = [row["ip"], *claimed_of.get(sid, [])]
            items: list[dict] = []
            for address in addresses:
                mapped = [{"public": p["ip"], "internal": address} for p in mine if p["internal_ip"] == address]
                items += mapped or ([{"internal": address}] if address != row["ip"] else [])
            if items:
                out.setdefault(sid, ServerExtras()).ip_addresses.extend(items)
        return out

    def server_dropped(self, db: sqlite3.Connection, server_id: str) -> None:
        db.execute("DELETE FROM public_ips WHERE server_id=?", (server_id,))
        db.execute("DELETE FROM claimed_ips WHERE server_id=?", (server_id,))

    def _addresses(self, db: sqlite3.Connection, server: sqlite3.Row) -> list[str]:
        """The server's private addresses: its own, then those it claimed."""
        claimed = db.execute("SELECT ip FROM claimed_ips WHERE server_id=? ORDER BY position", (server["id"],))
        return [server["ip"], *(r["ip"] for r in claimed)]

    # --- routes and the effects of their jobs ---------------------------------------------------------

    @staticmethod
    def find(db: sqlite3.Connection, server: sqlite3.Row, ip: str) -> sqlite3.Row:
        """The public IP `ip` of a server; 404 if it has none such."""
        row = db.execute("SELECT * FROM public_ips WHERE ip=? AND server_id=?", (ip, server["id"])).fetchone()
        if row is None:
            raise NotFound()
        return row

    @route("POST", "/v2/servers/{alias}/{server}/publicIPAddresses", body=True)
    def add(self, call: Call) -> Reply:
        """Queue a new public IP for an active server: 202 + bare status link; 400 naming bad ports/cidrs."""
        with self.ctx.call(call) as tx:
            body = tx.body
            errors = Errors()
            row = self.servers.find(tx.db, tx.alias, call.path["server"])
            if row["status"] != "active":
                raise BadRequest("The server must be active to add a public IP address.")
            if not body.is_object:
                raise field_error("", "A JSON object {internalIPAddress?, ports, sourceRestrictions?} is expected.")
            internal = body.get("internalIPAddress") or None  # None: claim a new private address
            if internal is not None and str(internal) not in self._addresses(tx.db, row):
                errors.add("internalIPAddress", f"The address {internal} is not an address of this server.")
            ports, cidrs = _ports(body, errors)
            errors.raise_if_any()
            job = tx.queue(
                "addPublicIp",
                row["dc"],
                row["id"],
                internal=None if internal is None else str(internal),
                ports=ports,
                sourceRestrictions=cidrs,
            )
            return Reply(202, status_link(tx.alias, job))

    @effect("addPublicIp")
    def _added(self, db: sqlite3.Connection, job: Job) -> None:
        server = db.execute("SELECT * FROM servers WHERE id=?", (job.target,)).fetchone()
        if not job.succeeded or server is None:
            return
        internal = job.params.get("internal") or self._claim(db, server)
        position = db.execute("SELECT COALESCE(MAX(position),0)+1 FROM public_ips").fetchone()[0]
        db.execute(
            "INSERT INTO public_ips VALUES (?,?,?,?,?,?)",
            (
                self._next_public_ip(db),
                job.target,
                internal,
                dumps(job.params["ports"]),
                dumps(job.params["sourceRestrictions"]),
                position,
            ),
        )

    def _claim(self, db: sqlite3.Connection, server: sqlite3.Row) -> str:
        """A new private address on the server's network, now the server's; returns it."""
        network = db.execute(
            f"SELECT * FROM networks WHERE id = (SELECT {_NETWORK_OF_SERVER} FROM servers s WHERE s.id=?)",
            (server["id"],),
        ).fetchone()
        ip = self.networks.allocate(db, network)
        position = db.execute("SELECT COALESCE(MAX(position),0)+1 FROM claimed_ips").fetchone()[0]
        db.execute(
            "INSERT INTO claimed_ips (network_id, ip, server_id, position) VALUES (?,?,?,?)",
            (network["id"], ip, server["id"], position),
        )
        return ip

    @staticmethod
    def _next_public_ip(db: sqlite3.Connection) -> str:
        row = db.execute("SELECT value FROM meta WHERE key='public_ip_next'").fetchone()
        counter = int(row[0]) if row else 10
        ip, counter = fixtures.ip_at(PUBLIC_NET, counter)
        db.execute("INSERT OR REPLACE INTO meta VALUES ('public_ip_next', ?)", (str(counter),))
        return ip

    @route("GET", "/v2/servers/{alias}/{server}/publicIPAddresses/{ip}")
    def get(self, call: Call) -> dict:
        """One public IP of a server; 404 if the server (empty body) or the IP is unknown."""
        with self.ctx.call(call) as tx:
            row = self.find(tx.db, self.servers.find(tx.db, tx.alias, call.path["server"]), call.path["ip"])
            return public_ip(row)

    @route("PUT", "/v2/servers/{alias}/{server}/publicIPAddresses/{ip}", body=True)
    def update(self, call: Call) -> Reply:
        """Queue the replacement of a public IP's ports and restrictions: 202 + bare status link."""
        with self.ctx.call(call) as tx:
            body, ip = tx.body, call.path["ip"]
            errors = Errors()
            row = self.servers.find(tx.db, tx.alias, call.path["server"])
            self.find(tx.db, row, ip)
            ports, cidrs = _ports(body, errors)
            errors.raise_if_any()
            job = tx.queue("updatePublicIp", row["dc"], row["id"], ip=ip, ports=ports, sourceRestrictions=cidrs)
            return Reply(202, status_link(tx.alias, job))

    @effect("updatePublicIp")
    def _updated(self, db: sqlite3.Connection, job: Job) -> None:
        if job.succeeded:
            db.execute(
                "UPDATE public_ips SET ports=?, source_restrictions=? WHERE ip=? AND server_id=?",
                (dumps(job.params["ports"]), dumps(job.params["sourceRestrictions"]), job.params["ip"], job.target),
            )

    @route("DELETE", "/v2/servers/{alias}/{server}/publicIPAddresses/{ip}")
    def delete(self, call: Call) -> Reply:
        """Queue the removal of a public IP: 202 + bare status link."""
        with self.ctx.call(call) as tx:
            row = self.servers.find(tx.db, tx.alias, call.path["server"])
            self.find(tx.db, row, call.path["ip"])
            return Reply(
                202, status_link(tx.alias, tx.queue("deletePublicIp", row["dc"], row["id"], ip=call.path["ip"]))
            )

    @effect("deletePublicIp")
    def _deleted(self, db: sqlite3.Connection, job: Job) -> None:
        if job.succeeded:
            db.execute("DELETE FROM public_ips WHERE ip=? AND server_id=?", (job.params["ip"], job.target))


def _ports(body: Body, errors: Errors) -> tuple[list[dict], list[dict]]:
    """The `ports` and `sourceRestrictions` of a body, checked (problems go to `errors`)."""
    ports_out: list[dict] = []
    cidrs_out: list[dict] = []
    ports = body.get("ports")
    if ports is None:
        errors.add("ports", "The ports field is required.")
    elif not isinstance(ports, list) or not ports:
        errors.add("ports", "The ports field must be a non-empty array.")
    else:
        for i, item in enumerate(ports):
            p = Body(item)
            protocol = str(p.get("protocol", "")).upper()
            if protocol not in ("TCP", "UDP", "ICMP"):
                errors.add(f"ports[{i}].protocol", "The protocol must be TCP, UDP or ICMP.")
                continue
            port = as_int(p.get("port", 0), f"ports[{i}].port", errors, 0, 65535)
            entry = {"protocol": protocol, "port": port}
            if p.has("portTo"):
                port_to = as_int(p.get("portTo"), f"ports[{i}].portTo", errors, 0, 65535)
                if port is not None and port_to is not None and port_to < port:
                    errors.add(f"ports[{i}].portTo", "portTo must not be lower than port.")
                entry["portTo"] = port_to
            ports_out.append(entry)
    restrictions = body.get("sourceRestrictions", [])
    if not isinstance(restrictions, list):
        errors.add("sourceRestrictions", "The sourceRestrictions field must be an array.")
    else:
        for i, item in enumerate(restrictions):
            cidr = Body(item).get("cidr")
            if not is_cidr(cidr):
                errors.add(f"sourceRestrictions[{i}].cidr", "The cidr must look like 10.0.0.0/24.")
            else:
                cidrs_out.append({"cidr": str(cidr)})
    return ports_out, cidrs_out


def public_ip(row: sqlite3.Row) -> dict:
    """`{internalIPAddress, ports, sourceRestrictions}` of one public IP."""
    return {
        "internalIPAddress": row["internal_ip"],
        "ports": json.loads(row["ports"]),
        "sourceRestrictions": json.loads(row["source_restrictions"]),
    }


def _of_servers(db: sqlite3.Connection, table: str, rows: Sequence[sqlite3.Row]) -> list[sqlite3.Row]:
    """The rows of `table` (public_ips or claimed_ips) that hang on these servers, in position order:
    one query for one server, one per data center (of the account) for a whole tree."""
    if len(rows) == 1:
        return db.execute(f"SELECT * FROM {table} WHERE server_id=? ORDER BY position", (rows[0]["id"],)).fetchall()
    found: list[sqlite3.Row] = []
    for dc, alias in sorted({(r["dc"], r["alias"]) for r in rows}):
        found += db.execute(
            f"SELECT t.* FROM {table} t JOIN servers s ON s.id=t.server_id WHERE s.dc=? AND s.alias=?"
            " ORDER BY t.position",
            (dc, alias),
        ).fetchall()
    return found
