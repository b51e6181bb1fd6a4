"""The tutorial's account, and a generator of synthetic accounts of any size for benchmarks.

`seed()` writes everything into an open store transaction. The tutorial's ids are fixed (the seed
document uses them verbatim); every other id is derived from a hash of its name, so two sandboxes
seeded with the same sizes hold the same ids.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import sqlite3
from dataclasses import dataclass, field

USERNAME, PASSWORD, ALIAS, LOCATION = "demouser1", "mypassword", "ALIAS", "WA1"
ROLES = ["AccountAdmin"]
CREATED_BY = USERNAME

# The tutorial's data center, in the order of its requests (seed document, steps 2-4).
WA1_ROOT = "890312348ddfe311b05f00505682315a"
WA1_DEFAULT = "8a03fcae8ddfe311b05f005056812345"
WA1_ARCHIVE = "8b03fcae8ddfe311b05f005056812345"
WA1_TEMPLATES = "8d03fcae8ddfe311b05f005056812345"
WA1_NETWORK = "a933432bd1234e84b6c4fa329e48cb8b"

KNOWN_DATACENTERS = [
    ("wa1", "WA1 - US West (Seattle)"),
    ("va1", "VA1 - US East (Sterling)"),
    ("uc1", "UC1 - US West (Santa Clara)"),
    ("ca1", "CA1 - Canada (Vancouver)"),
    ("de1", "DE1 - Germany (Frankfurt)"),
    ("gb1", "GB1 - Great Britain (Portsmouth)"),
    ("il1", "IL1 - US Central (Chicago)"),
    ("ny1", "NY1 - US East (New York)"),
    ("sg1", "SG1 - APAC (Singapore)"),
    ("ut1", "UT1 - US Central (Salt Lake City)"),
    ("ca3", "CA3 - Canada (Toronto)"),
    ("gb3", "GB3 - Great Britain (Slough)"),
]

# name, os code, friendly os name, description, storage GB, windows
TEMPLATES = [
    (
        "RHEL-6-64-TEMPLATE",
        "redHat6_64Bit",
        "RedHat Enterprise Linux 6 64-bit",
        "RedHat Enterprise Linux 6 | 64-bit",
        17,
        False,
    ),
    (
        "WIN2012R2DTC-64",
        "windows2012R2DataCenter_64Bit",
        "Windows 2012 R2 Datacenter 64-bit",
        "Windows 2012 R2 Datacenter Edition | 64-bit",
        60,
        True,
    ),
    ("CENTOS-6-64-TEMPLATE", "centOS6_64Bit", "CentOS 6 64-bit", "CentOS 6 | 64-bit", 17, False),
    ("CENTOS-7-64-TEMPLATE", "centOS7_64Bit", "CentOS 7 64-bit", "CentOS 7 | 64-bit", 17, False),
    ("UBUNTU-14-64-TEMPLATE", "ubuntu14_64Bit", "Ubuntu 14 64-bit", "Ubuntu 14 | 64-bit", 17, False),
]

# What deployment capabilities list per template, as recorded in data centers with hyperscale and
# managed services (RHEL and Windows offered a managed OS and backup there; CentOS and Ubuntu did not).
MANAGED_TEMPLATE_CAPABILITIES = ("hyperscale", "managedOS", "cpuAutoscale", "importVM", "managedBackup")
TEMPLATE_CAPABILITIES = {
    "RHEL-6-64-TEMPLATE": MANAGED_TEMPLATE_CAPABILITIES,
    "WIN2012R2DTC-64": MANAGED_TEMPLATE_CAPABILITIES,
}
PLAIN_TEMPLATE_CAPABILITIES = ("hyperscale", "cpuAutoscale")


def template_capabilities(name: str) -> tuple[str, ...]:
    """The capabilities of the template `name` (any template the table does not name: the plain ones)."""
    return TEMPLATE_CAPABILITIES.get(name.upper(), PLAIN_TEMPLATE_CAPABILITIES)


IMPORTABLE_OS_TYPES = [
    {
        "id": 38,
        "description": "RedHat Enterprise Linux 6 64-bit",
        "labProductCode": "SOFT-LAB-REDHAT-CPU",
        "premiumProductCode": "SOFT-PREM-REDHAT-CPU",
        "type": "RedHat6_64Bit",
    },
    {
        "id": 44,
        "description": "Windows 2012 R2 DataCenter 64-bit",
        "labProductCode": "SOFT-LAB-WIN-CPU",
        "premiumProductCode": "SOFT-PREM-WIN-CPU",
        "type": "Windows2012R2DataCenter_64Bit",
    },
]

CUSTOM_FIELDS = [
    ("856812f0ec374641862b2662761f9d70", "Owner", False, "text", []),
    (
        "22f002123e3b46d9a8b38ecd4c6df7f9",
        "Tier",
        False,
        "option",
        [{"name": "gold", "value": "Gold"}, {"name": "silver", "value": "Silver"}],
    ),
    ("5a3b6c0e9d7f4e21a1b2c3d4e5f60718", "Backup", False, "checkbox", []),
]

DEFAULT_DNS = ("172.17.1.26", "172.17.1.27")

GROUP_DESCRIPTIONS = {
    "archive": "Pay only for the storage consumed by the archived server. No compute or licensing costs are incurred.",
    "default": "The default location for new servers created in your account.",
    "templates": "Custom templates provide a set of hardware/software settings that can be used repeatedly "
    "to create servers configured with the same settings.",
}


def hex_id(*parts: object) -> str:
    """A stable 32-hex id derived from `parts`."""
    return hashlib.md5(":".join(map(str, parts)).encode()).hexdigest()


def ip_at(net: ipaddress.IPv4Network, counter: int) -> tuple[str, int]:
    """The address `counter` hosts into `net` (skipping .0, .1 and .255 endings) and the next counter."""
    size = net.num_addresses
    while True:
        addr = net.network_address + (counter % size)
        counter += 1
        last = int(addr) & 0xFF
        if last not in (0, 1, 255):
            return str(addr), counter


def template_disks(storage_gb: int, windows: bool) -> list:
    """Disks of a fresh server built from a template: Linux 1 + 2 + rest (as recorded), Windows one disk."""
    sizes = [storage_gb] if windows else [1, 2, storage_gb - 3]
    return [{"id": f"0:{i}", "sizeGB": s, "system": True} for i, s in enumerate(sizes)]


def datacenter_list(count: int) -> list[tuple[str, str]]:
    """The first `count` data centers: known ones, then generated `xa1`, `xb1`, ... ids."""
    out = list(KNOWN_DATACENTERS[:count])
    i = 0
    while len(out) < count:
        a, b = divmod(i, 26)
        code = f"{chr(ord('x') + a % 3)}{chr(ord('a') + b)}{1 + a // 3}"
        i += 1
        if code not in {d for d, _ in out}:
            out.append((code, f"{code.upper()} - Synthetic ({code.upper()})"))
    return out


@dataclass(frozen=True)
class Account:
    """One account and its one user: the tutorial's, or a classroom seat's (password kept out of reprs)."""

    username: str
    password: str = field(repr=False)
    alias: str
    location: str = LOCATION
    roles: tuple[str, ...] = tuple(ROLES)


TUTORIAL = Account(USERNAME, PASSWORD, ALIAS, LOCATION)


def seed(db: sqlite3.Connection, now: float, datacenters: int = 3, servers: int = 0, groups: int = 0) -> None:
    """Write the catalog and the tutorial's account (+ synthetic groups/servers) into `db` (inside a
    transaction)."""
    seed_catalog(db, datacenters)
    dc_info = seed_account(db, now, TUTORIAL)
    if groups or servers:
        dcs = [(r["id"], r["name"]) for r in db.execute("SELECT id, name FROM datacenters ORDER BY position")]
        _synthetic(db, now, ALIAS, dcs, dc_info, int(servers), int(groups))


def seed_catalog(db: sqlite3.Connection, datacenters: int = 3) -> None:
    """What every account shares: templates, custom field definitions and the data centers."""
    datacenters = max(1, int(datacenters))
    for pos, (name, os_type, os_name, desc, storage, windows) in enumerate(TEMPLATES):
        db.execute(
            "INSERT INTO templates VALUES (?,?,?,?,?,?,?,?)",
            (name, os_type, os_name, desc, storage, json.dumps(template_disks(storage, windows)), int(windows), pos),
        )
    for pos, (fid, name, required, kind, options) in enumerate(CUSTOM_FIELDS):
        db.execute(
            "INSERT INTO custom_fields VALUES (?,?,?,?,?,?)", (fid, name, int(required), kind, json.dumps(options), pos)
        )
    for pos, (dc, dc_name) in enumerate(datacenter_list(datacenters)):
        # root_group_id: the tutorial account's root (every account's own is its group without a parent)
        root = WA1_ROOT if dc == "wa1" else hex_id(ALIAS, dc, "root")
        db.execute("INSERT INTO datacenters VALUES (?,?,?,?)", (dc, dc_name, root, pos))


def seed_account(db: sqlite3.Connection, now: float, account: Account) -> dict:
    """Write one account: its user, and in every data center of the catalog its network and its
    group tree (root, Archive, Default Group, Templates). The tutorial's account keeps the tutorial's
    ids in WA1; every other id is derived from the alias, so the same account always gets the same
    ids. Returns, by data center, what the synthetic generator needs (root, default, network, ...)."""
    alias = account.alias
    db.execute(
        "INSERT INTO users VALUES (?,?,?,?,?)",
        (account.username, account.password, alias, account.location, json.dumps(list(account.roles))),
    )
    group_rows = []
    dc_info = {}
    for pos, dc in enumerate(r["id"] for r in db.execute("SELECT id FROM datacenters ORDER BY position").fetchall()):
        if dc == "wa1":
            # every account's WA1 looks like the tutorial's (same names, network and first address)
            if alias == ALIAS:
                root, default, archive, templates = WA1_ROOT, WA1_DEFAULT, WA1_ARCHIVE, WA1_TEMPLATES
                network = WA1_NETWORK
            else:
                root, default, archive, templates = (
                    hex_id(alias, dc, n) for n in ("root", "default", "archive", "templates")
                )
                network = hex_id(alias, dc, "network")
            cidr, next_host = "10.20.0.0/16", 30 * 256 + 40
            net_name = "My Network"
        else:
            root, default, archive, templates = (
                hex_id(alias, dc, n) for n in ("root", "default", "archive", "templates")
            )
            network = hex_id(alias, dc, "network")
            cidr = f"10.{100 + pos % 150}.0.0/16"
            net_name = f"vlan_{200 + pos}_10.{100 + pos % 150}.0"
            next_host = 12
        net = ipaddress.IPv4Network(cidr)
        db.execute(
            "INSERT INTO networks (id, dc, name, cidr, gateway, next_host, alias) VALUES (?,?,?,?,?,?,?)",
            (network, dc, net_name, cidr, str(net.network_address + 1), next_host, alias),
        )
        hw = f"{dc.upper()} Hardware"
        group_rows += [
            (root, alias, dc, None, hw, hw, "default"),
            (archive, alias, dc, root, "Archive", GROUP_DESCRIPTIONS["archive"], "archive"),
            (default, alias, dc, root, "Default Group", GROUP_DESCRIPTIONS["default"], "default"),
            (templates, alias, dc, root, "Templates", GROUP_DESCRIPTIONS["templates"], "templates"),
        ]
        dc_info[dc] = {"root": root, "default": default, "network": network, "cidr": net, "next": next_host}
    # The data center's own groups are permanent: they cannot be deleted, whatever they are renamed to.
    db.executemany(
        "INSERT INTO groups (id, alias, dc, parent_id, name, description, type, status, permanent, created,"
        " created_by, modified, modified_by) VALUES (?,?,?,?,?,?,?,'active',1,?,?,?,?)",
        [r + (now, account.username, now, account.username) for r in group_rows],
    )
    return dc_info


def _synthetic(
    db: sqlite3.Connection,
    now: float,
    alias: str,
    dcs: list[tuple[str, str]],
    dc_info: dict,
    servers: int,
    groups: int,
) -> None:
    """Bulk-insert `groups` user groups and `servers` active servers spread over the data centers."""
    dc_ids = [d for d, _ in dcs]
    homes: dict[str, list[str]] = {dc: [dc_info[dc]["default"]] for dc in dc_ids}
    rows = []
    for i in range(groups):
        dc = dc_ids[i % len(dc_ids)]
        gid = hex_id(alias, dc, "group", i)
        # Every third group nests under the previous one of its data center, so trees have depth.
        parent = homes[dc][-1] if (i // len(dc_ids)) % 3 == 2 and len(homes[dc]) > 1 else dc_info[dc]["root"]
        rows.append(
            (
                gid,
                alias,
                dc,
                parent,
                f"Group {i + 1:03d}",
                f"Synthetic group {i + 1}",
                "default",
                now,
                CREATED_BY,
                now,
                CREATED_BY,
            )
        )
        homes[dc].append(gid)
    db.executemany(
        "INSERT INTO groups (id, alias, dc, parent_id, name, description, type, status, created, created_by,"
        " modified, modified_by) VALUES (?,?,?,?,?,?,?,'active',?,?,?,?)",
        rows,
    )
    tpl = db.execute("SELECT * FROM templates WHERE name='CENTOS-6-64-TEMPLATE'").fetchone()
    disks = tpl["disks"]
    counters: dict[str, int] = {}
    batch = []
    for i in range(servers):
        dc = dc_ids[i % len(dc_ids)]
        info = dc_info[dc]
        group_ids = homes[dc]
        gid = group_ids[(i // len(dc_ids)) % len(group_ids)]
        prefix = f"{dc.upper()}{alias}SRV"
        n = counters.get(prefix, 0) + 1
        counters[prefix] = n
        sid = f"{prefix}{n:02d}".lower()
        ip, info["next"] = ip_at(info["cidr"], info["next"])
        batch.append(
            (
                sid,
                hex_id(alias, "server", sid),
                alias,
                dc,
                gid,
                f"Synthetic server {i + 1}",
                tpl["name"],
                tpl["os_type"],
                tpl["os_name"],
                "active",
                "standard",
                "standard",
                1 + i % 4,
                2 * (1 + i % 4),
                disks,
                info["network"],
                ip,
                "started",
                hex_id("pw", sid)[:12] + "!A",
                0,
                now,
                CREATED_BY,
                now,
                CREATED_BY,
            )
        )
        if len(batch) >= 5000:
            _insert_servers(db, batch)
            batch = []
    if batch:
        _insert_servers(db, batch)
    db.executemany("INSERT INTO name_counters VALUES (?,?)", list(counters.items()))
    for dc in dc_ids:
        db.execute("UPDATE networks SET next_host=? WHERE id=?", (dc_info[dc]["next"], dc_info[dc]["network"]))


def _insert_servers(db: sqlite3.Connection, batch: list[tuple]) -> None:
    db.executemany(
        "INSERT INTO servers (id, uuid, alias, dc, group_id, description, template, os_type, os_name, status,"
        " type, storage_type, cpu, memory_gb, disks, network_id, ip, power_state, password, windows,"
        " created, created_by, modified, modified_by) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
        batch,
    )
