"""Public IP addresses of a server: add, get, update, delete (each change is a job)."""

from __future__ import annotations

from typing import Any

from . import shapes
from .common import Principal, Reply
from .errors import BadRequest, NotFound, field_error
from .validation import Body, Errors, as_int, is_cidr


class PublicIpRules:
    """Mixin of `Backend`: public IPs."""

    def _ports(self, body: Body, errors: Errors) -> tuple[list, list]:
        ports_out, cidrs_out = [], []
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

    def add_public_ip(self, who: Principal, alias: str, sid: str, data: Any) -> Reply:
        """Queue a new public IP for an active server: 202 + bare status link; 400 naming bad ports/cidrs."""
        a = self._alias(who, alias)
        body = Body(data)
        errors = Errors()
        with self.store.transaction() as db:
            self.tick(db)
            row = self._server(db, a, sid)
            if row["status"] != "active":
                raise BadRequest("The server must be active to add a public IP address.")
            if not body.is_object:
                raise field_error("", "A JSON object {internalIPAddress?, ports, sourceRestrictions?} is expected.")
            internal = body.get("internalIPAddress") or row["ip"]
            if str(internal) != row["ip"]:
                errors.add("internalIPAddress", f"The address {internal} is not an address of this server.")
            ports, cidrs = self._ports(body, errors)
            errors.raise_if_any()
            job = self._new_job(
                db,
                a,
                row["dc"],
                "addPublicIp",
                row["id"],
                {"by": who.username, "internal": row["ip"], "ports": ports, "sourceRestrictions": cidrs},
            )
            return Reply(202, shapes.status_link(a, job))

    def _public_ip(self, db, row, ip: str):
        p = db.execute("SELECT * FROM public_ips WHERE ip=? AND server_id=?", (ip, row["id"])).fetchone()
        if p is None:
            raise NotFound()
        return p

    def get_public_ip(self, who: Principal, alias: str, sid: str, ip: str) -> dict:
        """One public IP of a server; 404 if the server (empty body) or the IP is unknown."""
        a = self._alias(who, alias)
        with self.store.transaction() as db:
            self.tick(db)
            return shapes.public_ip(self._public_ip(db, self._server(db, a, sid), ip))

    def update_public_ip(self, who: Principal, alias: str, sid: str, ip: str, data: Any) -> Reply:
        """Queue the replacement of a public IP's ports and restrictions: 202 + bare status link."""
        a = self._alias(who, alias)
        body = Body(data)
        errors = Errors()
        with self.store.transaction() as db:
            self.tick(db)
            row = self._server(db, a, sid)
            self._public_ip(db, row, ip)
            ports, cidrs = self._ports(body, errors)
            errors.raise_if_any()
            job = self._new_job(
                db,
                a,
                row["dc"],
                "updatePublicIp",
                row["id"],
                {"by": who.username, "ip": ip, "ports": ports, "sourceRestrictions": cidrs},
            )
            return Reply(202, shapes.status_link(a, job))

    def delete_public_ip(self, who: Principal, alias: str, sid: str, ip: str) -> Reply:
        """Queue the removal of a public IP: 202 + bare status link."""
        a = self._alias(who, alias)
        with self.store.transaction() as db:
            self.tick(db)
            row = self._server(db, a, sid)
            self._public_ip(db, row, ip)
            job = self._new_job(db, a, row["dc"], "deletePublicIp", row["id"], {"by": who.username, "ip": ip})
            return Reply(202, shapes.status_link(a, job))
