"""Groups: the tree (plain and detailed), create, PATCH, delete, archive and defaults.

Groups know nothing of servers: what lives in groups registers itself as a `GroupMembers` kind
(servers do, in resources/servers.py) and is asked for its members when a tree is shown, to drop
them when their groups go, and to archive them when their group is archived.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple, Protocol

from .. import custom_fields, fixtures
from ..common import EncodedCache, Reply, dumps, encode_list, encode_with, new_hex_id
from ..context import Context
from ..errors import BadRequest, NotFound, field_error
from ..handling import Call
from ..jobqueue import Job
from ..registry import effect, route
from ..shapes import change_info, link, status_link
from ..validation import Errors, as_int, as_str, is_ipv4, patch_ops

ARCHIVE, TEMPLATES, DEFAULT = "archive", "templates", "default"  # group types
DEFAULT_KEYS = ("cpu", "memoryGB", "networkId", "primaryDns", "secondaryDns", "templateName")
ANSWER_CACHE_BYTES = 32 * 1024 * 1024


class GroupMember(NamedTuple):
    """Something a group holds, as the group's representation shows it."""

    id: str
    counted: bool  # counts in `serversCount`
    encoded: bytes | None  # the full representation, JSON-encoded (`serverDetail=detailed`), else None (a link)


class GroupMembers(Protocol):
    """A kind of thing that lives in groups (servers); registered with `Groups.add_members`."""

    def members(
        self, db: sqlite3.Connection, alias: str, dc: str, group_ids: list[str], detailed: bool
    ) -> Mapping[str, list[GroupMember]]:
        """The members of these groups (of one data center), by group id, in the order they are shown."""
        ...

    def drop_members(self, db: sqlite3.Connection, group_ids: list[str]) -> None:
        """Remove the members of these groups (they are being deleted)."""
        ...

    def archive_members(self, db: sqlite3.Connection, group_ids: list[str], archive_group: str, by: str) -> None:
        """Archive the members of these groups into the data center's Archive group."""
        ...


class Groups:
    """The group tree of each data center."""

    name = "groups"

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.member_kinds: list[GroupMembers] = []
        self._answers = EncodedCache(ANSWER_CACHE_BYTES)  # last tree answers, valid while nothing changed

    def add_members(self, kind: GroupMembers) -> None:
        """Register a kind of group member (called by the resource that holds them)."""
        self.member_kinds.append(kind)

    # --- what other resources ask of groups -------------------------------------------------------

    @staticmethod
    def find(db: sqlite3.Connection, alias: str, gid: str) -> sqlite3.Row:
        """The group `gid` (any case) of the account; 404 if unknown."""
        row = db.execute("SELECT * FROM groups WHERE id=?", (str(gid).lower(),)).fetchone()
        if row is None or row["alias"] != alias:
            raise NotFound()
        return row

    @staticmethod
    def lookup(db: sqlite3.Connection, alias: str, gid: Any) -> sqlite3.Row | None:
        """The group `gid` (any case) of the account, or None (for rules that report a bad field)."""
        return db.execute("SELECT * FROM groups WHERE id=? AND alias=?", (str(gid or "").lower(), alias)).fetchone()

    @staticmethod
    def subtree_ids(db: sqlite3.Connection, gid: str) -> list[str]:
        """`gid` and every group below it, parents before children."""
        ids: list[str] = []
        frontier = [gid]
        while frontier:
            ids += frontier
            children: list[str] = []
            for i in range(0, len(frontier), 500):  # stay under SQLite's bound-parameter limit
                chunk = frontier[i : i + 500]
                marks = ",".join("?" * len(chunk))
                children += [r[0] for r in db.execute(f"SELECT id FROM groups WHERE parent_id IN ({marks})", chunk)]
            frontier = children
        return ids

    @staticmethod
    def system_group(db: sqlite3.Connection, alias: str, dc: str, kind: str) -> str:
        """The id of the account's system group of type `kind` (ARCHIVE or TEMPLATES) in data center `dc`."""
        row = db.execute(
            "SELECT id FROM groups WHERE alias=? AND dc=? AND type=? ORDER BY created LIMIT 1", (alias, dc, kind)
        ).fetchone()
        return str(row["id"])

    @staticmethod
    def defaults_of(db: sqlite3.Connection, row: sqlite3.Row) -> dict[str, dict]:
        """The group's defaults, `{key: {value?, inherited}}` (own values, then the ancestors', then DNS)."""
        out: dict[str, dict] = {k: {"inherited": False} for k in DEFAULT_KEYS}
        current: sqlite3.Row | None = row
        own = True
        while current is not None:
            values = json.loads(current["defaults"])
            for key in DEFAULT_KEYS:
                if "value" not in out[key] and key in values:
                    out[key] = {"value": values[key], "inherited": not own}
            own = False
            current = (
                db.execute("SELECT * FROM groups WHERE id=?", (current["parent_id"],)).fetchone()
                if current["parent_id"]
                else None
            )
        for key, value in zip(("primaryDns", "secondaryDns"), fixtures.DEFAULT_DNS, strict=True):
            if "value" not in out[key]:
                out[key] = {"value": value, "inherited": True}
        return out

    # --- routes ---------------------------------------------------------------------------------------

    @route("GET", "/v2/groups/{alias}/{group}")
    def get(self, call: Call) -> bytes:
        """The group with its whole subtree; `serverDetail=detailed` embeds full members instead of links.

        Answered from the last answer for the same tree while the store is unchanged (no write at all
        since: SQLite's count of changed rows is the same), else encoded anew from the members' encoded
        representations (servers keep theirs while unchanged), so a large tree is mostly bytes joined,
        not dicts built and dumped again."""
        detailed = str(call.query.get("serverdetail", "")).lower() == "detailed"
        with self.ctx.call(call) as tx:
            top = self.find(tx.db, tx.alias, call.path["group"])
            which, generation = f"{tx.alias}/{top['id']}/{detailed}", tx.db.total_changes
            answer = self._answers.get(which, generation)
            if answer is None:
                answer = self._encoded_tree(tx.db, tx.alias, top, detailed)
                self._answers.put(which, generation, answer)
            return answer

    def _encoded_tree(self, db: sqlite3.Connection, a: str, top: sqlite3.Row, detailed: bool) -> bytes:
        """The encoded tree below `top` (one data center of account `a`)."""
        children: dict[str | None, list[sqlite3.Row]] = {}
        for g in db.execute("SELECT * FROM groups WHERE dc=? AND alias=?", (top["dc"], a)).fetchall():
            children.setdefault(g["parent_id"], []).append(g)
        subtree, frontier = [], [top["id"]]
        while frontier:
            subtree += frontier
            frontier = [c["id"] for gid in frontier for c in children.get(gid, [])]
        defs = custom_fields.definitions(db)
        by_group: dict[str, list[GroupMember]] = {}
        for kind in self.member_kinds:
            for gid, members in kind.members(db, a, top["dc"], subtree, detailed).items():
                by_group.setdefault(gid, []).extend(members)

        def build(g: sqlite3.Row, counted: bool) -> tuple[bytes, int]:
            counted = counted and g["type"] not in (ARCHIVE, TEMPLATES)
            kids, total = [], 0
            for child in sorted(children.get(g["id"], []), key=lambda r: (r["name"].lower(), r["id"])):
                encoded, n = build(child, counted)
                kids.append(encoded)
                total += n
            mine = by_group.get(g["id"], [])
            if counted:
                total += sum(1 for m in mine if m.counted)
            count = total if counted else 0
            shaped = group(
                g,
                a,
                servers_count=count,
                servers=[] if detailed else None,
                server_ids=[m.id for m in mine],
                custom_fields=custom_fields.shaped(defs, g["custom_fields"]),
            )
            parts = {"groups": encode_list(kids)}
            if detailed:
                parts["servers"] = encode_list([m.encoded for m in mine if m.encoded is not None])
            return encode_with(shaped, parts), count

        return build(top, True)[0]

    @route("POST", "/v2/groups/{alias}", body=True)
    def create(self, call: Call) -> Reply:
        """Create a group: 201 + Location + the new group; 400 naming each bad field."""
        with self.ctx.call(call) as tx:
            a, db, body = tx.alias, tx.db, tx.body
            if not body.is_object:
                raise field_error("", "A JSON object {name, parentGroupId, description?, customFields?} is expected.")
            errors = Errors()
            name = as_str(body.get("name"), "name", errors, required=True, max_len=200)
            if name is not None and not name.strip():
                errors.add("name", "The name field is required.")
            description = as_str(body.get("description"), "description", errors, max_len=1000)
            parent_id = as_str(body.get("parentGroupId"), "parentGroupId", errors, required=True, max_len=64)
            parent = None
            if parent_id:
                parent = self.lookup(db, a, parent_id)
                if parent is None:
                    errors.add("parentGroupId", f"The parent group '{parent_id}' does not exist.")
                elif parent["type"] == ARCHIVE:
                    errors.add("parentGroupId", "Groups cannot be created inside the Archive group.")
            fields: list[dict] | None = []
            if body.has("customFields"):
                fields = custom_fields.check(db, body.get("customFields"), "customFields", errors)
            errors.raise_if_any()
            assert parent is not None  # errors.raise_if_any() raised otherwise
            gid = new_hex_id(db, "group")
            now = tx.now()
            db.execute(
                "INSERT INTO groups (id, alias, dc, parent_id, name, description, type, status, custom_fields,"
                " created, created_by, modified, modified_by) VALUES (?,?,?,?,?,?,'default','active',?,?,?,?,?)",
                (
                    gid,
                    a,
                    parent["dc"],
                    parent["id"],
                    name,
                    description or None,
                    dumps(fields),
                    now,
                    tx.who.username,
                    now,
                    tx.who.username,
                ),
            )
            row = db.execute("SELECT * FROM groups WHERE id=?", (gid,)).fetchone()
            shaped = group(
                row, a, custom_fields=custom_fields.shaped(custom_fields.definitions(db), row["custom_fields"])
            )
            return Reply(201, shaped, {"Location": f"/v2/groups/{a.lower()}/{gid}"})

    @route("PATCH", "/v2/groups/{alias}/{group}", body=True)
    def patch(self, call: Call) -> Reply:
        """Apply `[{op: set, member, value}]` (name, description, parentGroupId, customFields): 204 or 400."""
        with self.ctx.call(call) as tx:
            a, db = tx.alias, tx.db
            ops = patch_ops(tx.data)
            errors = Errors()
            row = self.find(db, a, call.path["group"])
            changes: dict[str, Any] = {}
            for i, (member, value) in enumerate(ops):
                m = member.lower()
                if m == "name":
                    name = as_str(value, "name", errors, required=True, max_len=200)
                    if name is not None and name.strip():
                        changes["name"] = name
                    elif name is not None:
                        errors.add("name", "The name cannot be empty.")
                elif m == "description":
                    changes["description"] = as_str(value, "description", errors, max_len=1000) or ""
                elif m == "parentgroupid":
                    where = "parentGroupId"
                    pid = str(value or "").lower()
                    parent = self.lookup(db, a, pid)
                    if row["parent_id"] is None or row["type"] != DEFAULT:
                        errors.add(where, "This group cannot be moved.")
                    elif parent is None:
                        errors.add(where, f"The parent group '{value}' does not exist.")
                    elif parent["dc"] != row["dc"]:
                        errors.add(where, "The parent group must be in the same data center.")
                    elif parent["type"] == ARCHIVE:
                        errors.add(where, "Groups cannot be moved into the Archive group.")
                    elif pid in self.subtree_ids(db, row["id"]):
                        errors.add(where, "A group cannot be moved under itself or one of its descendants.")
                    else:
                        changes["parent_id"] = pid
                elif m == "customfields":
                    fields = custom_fields.check(db, value, "customFields", errors)
                    if fields is not None:
                        changes["custom_fields"] = dumps(fields)
                else:
                    errors.add(f"[{i}].member", f"The member '{member}' cannot be set on a group.")
            errors.raise_if_any()
            if changes:
                cols = ", ".join(f"{c}=?" for c in changes)
                db.execute(
                    f"UPDATE groups SET {cols}, modified=?, modified_by=? WHERE id=?",
                    [*changes.values(), tx.now(), tx.who.username, row["id"]],
                )
            return Reply(204)

    @route("DELETE", "/v2/groups/{alias}/{group}")
    def delete(self, call: Call) -> Reply:
        """Queue the deletion of a group and its subtree: 202 + bare status link; 400 for permanent groups."""
        with self.ctx.call(call) as tx:
            row = self.find(tx.db, tx.alias, call.path["group"])
            if row["permanent"]:
                raise BadRequest(
                    "The group cannot be deleted: data center root, Default Group, Archive and "
                    "Templates groups are permanent."
                )
            return Reply(202, status_link(tx.alias, tx.queue("deleteGroup", row["dc"], row["id"])))

    @effect("deleteGroup", duration="delete")
    def _deleted(self, db: sqlite3.Connection, job: Job) -> None:
        """The subtree goes with everything in it (a failed delete changes nothing)."""
        if not job.succeeded:
            return
        ids = self.subtree_ids(db, job.target)
        for kind in self.member_kinds:
            kind.drop_members(db, ids)
        for gid in ids:
            db.execute("DELETE FROM groups WHERE id=?", (gid,))

    @route("POST", "/v2/groups/{alias}/{group}/archive")
    def archive(self, call: Call) -> Reply:
        """Queue the archiving of every server of the subtree: 202 + bare status link."""
        with self.ctx.call(call) as tx:
            row = self.find(tx.db, tx.alias, call.path["group"])
            if row["parent_id"] is None or row["type"] != DEFAULT:
                raise BadRequest("This group cannot be archived.")
            archive = self.system_group(tx.db, tx.alias, row["dc"], ARCHIVE)
            return Reply(
                202, status_link(tx.alias, tx.queue("archiveGroup", row["dc"], row["id"], archiveGroup=archive))
            )

    @effect("archiveGroup")
    def _archived(self, db: sqlite3.Connection, job: Job) -> None:
        if not job.succeeded:
            return
        ids = self.subtree_ids(db, job.target)
        for kind in self.member_kinds:
            kind.archive_members(db, ids, job.params["archiveGroup"], job.by)

    @route("GET", "/v2/groups/{alias}/{group}/defaults")
    def defaults(self, call: Call) -> dict:
        """The group's defaults, `{key: {value?, inherited}}`."""
        with self.ctx.call(call) as tx:
            return self.defaults_of(tx.db, self.find(tx.db, tx.alias, call.path["group"]))

    @route("POST", "/v2/groups/{alias}/{group}/defaults", body=True)
    def set_defaults(self, call: Call) -> dict:
        """Set some defaults (cpu, memoryGB, networkId, DNS, templateName); returns the new view or 400."""
        with self.ctx.call(call) as tx:
            db, body = tx.db, tx.body
            if not body.is_object:
                raise field_error("", "A JSON object of defaults is expected.")
            errors = Errors()
            row = self.find(db, tx.alias, call.path["group"])
            values = json.loads(row["defaults"])
            if body.has("cpu"):
                values["cpu"] = as_int(body.get("cpu"), "cpu", errors, 1, 16)
            if body.has("memoryGB"):
                values["memoryGB"] = as_int(body.get("memoryGB"), "memoryGB", errors, 1, 128)
            if body.has("networkId"):
                net = str(body.get("networkId")).lower()
                if not db.execute(
                    "SELECT 1 FROM networks WHERE id=? AND dc=? AND alias=?", (net, row["dc"], tx.alias)
                ).fetchone():
                    errors.add("networkId", f"The network {body.get('networkId')} is not valid.")
                values["networkId"] = net
            for key in ("primaryDns", "secondaryDns"):
                if body.has(key):
                    if not is_ipv4(body.get(key)):
                        errors.add(key, f"The field {key} must be an IPv4 address.")
                    values[key] = str(body.get(key))
            if body.has("templateName"):
                tpl = db.execute(
                    "SELECT name FROM templates WHERE upper(name)=?", (str(body.get("templateName")).upper(),)
                ).fetchone()
                if tpl is None:
                    errors.add("templateName", f"The template {body.get('templateName')} does not exist.")
                else:
                    values["templateName"] = tpl["name"]
            errors.raise_if_any()
            db.execute(
                "UPDATE groups SET defaults=?, modified=?, modified_by=? WHERE id=?",
                (dumps(values), tx.now(), tx.who.username, row["id"]),
            )
            return self.defaults_of(db, db.execute("SELECT * FROM groups WHERE id=?", (row["id"],)).fetchone())


# --- representations -----------------------------------------------------------------------------------


def group_links(row: sqlite3.Row, alias: str, server_ids: Iterable[str] = ()) -> list[dict]:
    """The link set of a group (it depends on the group's type and on whether it is a root)."""
    a, g = alias.lower(), row["id"]
    base = f"/v2/groups/{a}/{g}"
    parent = row["parent_id"]
    kind = row["type"]
    if kind in (ARCHIVE, TEMPLATES):
        links = [link("self", base, verbs=["GET", "PATCH"])]
        if parent:
            links.append(link("parentGroup", f"/v2/groups/{a}/{parent}", id=parent))
        links += [link("defaults", f"{base}/defaults", verbs=["GET", "POST"]), link("billing", f"{base}/billing")]
    else:
        links = [
            link("createGroup", f"/v2/groups/{a}", verbs=["POST"]),
            link("createServer", f"/v2/servers/{a}", verbs=["POST"]),
        ]
        if parent:
            links.append(link("self", base, verbs=["GET", "PATCH", "DELETE"]))
            links.append(link("parentGroup", f"/v2/groups/{a}/{parent}", id=parent))
        else:
            links.append(link("self", base, verbs=["GET", "PATCH"]))
        links += [link("defaults", f"{base}/defaults", verbs=["GET", "POST"]), link("billing", f"{base}/billing")]
        if parent:  # production listed it without verbs (it is a POST all the same)
            links.append(link("archiveGroupAction", f"{base}/archive"))
        links += [
            link("statistics", f"{base}/statistics"),
            link("upcomingScheduledActivities", f"{base}/upcomingScheduledActivities"),
            link(
                "horizontalAutoscalePolicyMapping", f"{base}/horizontalAutoscalePolicy", verbs=["GET", "PUT", "DELETE"]
            ),
            link("scheduledActivities", f"{base}/scheduledActivities", verbs=["GET", "POST"]),
        ]
    for sid in server_ids:
        links.append(link("server", f"/v2/servers/{a}/{sid}", id=sid.upper()))
    return links


def group(
    row: sqlite3.Row,
    alias: str,
    *,
    children: list[dict] | None = None,
    servers_count: int | None = None,
    server_ids: Iterable[str] = (),
    servers: list[dict] | None = None,
    custom_fields: list[dict] | None = None,
) -> dict:
    """One group object; `children` are already-shaped groups; `servers` (detailed mode) full servers."""
    out: dict[str, Any] = {"id": row["id"], "name": row["name"]}
    if row["description"] is not None:
        out["description"] = row["description"]
    out.update({"locationId": row["dc"].upper(), "type": row["type"], "status": row["status"]})
    if servers_count is not None:
        out["serversCount"] = servers_count
    out["groups"] = children or []
    if servers is not None:
        out["servers"] = servers
    out["links"] = group_links(row, alias, () if servers is not None else server_ids)
    out["changeInfo"] = change_info(row)
    out["customFields"] = custom_fields if custom_fields is not None else []
    return out
