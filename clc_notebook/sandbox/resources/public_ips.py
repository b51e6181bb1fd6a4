"""Public IP addresses of a server: add, get, update, delete (each change is a job).

Attached to servers as a `ServerAddOn`: a server's representation lists its public IPs (in
`details.ipAddresses` and as `publicIPAddress` links), and a dropped server's IPs are released.
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
from .servers import ServerExtras, Servers

PUBLIC_NET = ipaddress.IPv4Network("66.150.0.0/16")


class PublicIps:
    """The public IPs of servers."""

    name = "public_ips"

    def __init__(self, ctx: Context, servers: Servers) -> None:
        self.ctx = ctx
        self.servers = servers
        servers.add_on(self)

    # --- as an add-on of servers ----------------------------------------------------------------------

    def server_extras(self, db: sqlite3.Connection, rows: Sequence[sqlite3.Row]) -> dict[str, ServerExtras]:
        """Each server's public IPs as `{internal, public}` addresses and `publicIPAddress` links."""
        if len(rows) == 1:
            found = db.execute(
                "SELECT * FROM public_ips WHERE server_id=? ORDER BY position", (rows[0]["id"],)
            ).fetchall()
        else:  # a whole tree: one query per data center (of the account)
            found = []
            for dc, alias in sorted({(r["dc"], r["alias"]) for r in rows}):
                found += db.execute(
                    "SELECT p.* FROM public_ips p JOIN servers s ON s.id=p.server_id WHERE s.dc=? AND s.alias=?"
                    " ORDER BY p.position",
                    (dc, alias),
                ).fetchall()
        by_server = {r["id"]: r for r in rows}
        out: dict[str, ServerExtras] = {}
        for p in found:
            row = by_server.get(p["server_id"])
            if row is None:
                continue
            extras = out.setdefault(p["server_id"], ServerExtras())
            extras.ip_addresses.append({"internal": p["internal_ip"], "public": p["ip"]})
            href = f"/v2/servers/{row['alias'].lower()}/{row['id']}/publicIPAddresses/{p['ip']}"
            extras.links.append(link("publicIPAddress", href, id=p["ip"], verbs=["GET", "PUT", "DELETE"]))
        return out

    def server_dropped(self, db: sqlite3.Connection, server_id: str) -> None:
        db.execute("DELETE FROM public_ips WHERE server_id=?", (server_id,))

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
            internal = body.get("internalIPAddress") or row["ip"]
            if str(internal) != row["ip"]:
                errors.add("internalIPAddress", f"The address {internal} is not an address of this server.")
            ports, cidrs = _ports(body, errors)
            errors.raise_if_any()
            job = tx.queue(
                "addPublicIp", row["dc"], row["id"], internal=row["ip"], ports=ports, sourceRestrictions=cidrs
            )
            return Reply(202, status_link(tx.alias, job))

    @effect("addPublicIp")
    def _added(self, db: sqlite3.Connection, job: Job) -> None:
        if not job.succeeded or not db.execute("SELECT 1 FROM servers WHERE id=?", (job.target,)).fetchone():
            return
        ip = self._next_public_ip(db)
        position = db.execute("SELECT COALESCE(MAX(position),0)+1 FROM public_ips").fetchone()[0]
        db.execute(
            "INSERT INTO public_ips VALUES (?,?,?,?,?,?)",
            (
                ip,
                job.target,
                job.params["internal"],
                dumps(job.params["ports"]),
                dumps(job.params["sourceRestrictions"]),
                position,
            ),
        )

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
