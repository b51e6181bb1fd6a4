"""DataFrame schemas: fixed columns and dtypes, identical for empty results; derived columns."""

import pandas as pd
import pytest

from clc_notebook import frames


def _dtypes(df):
    return [(c, str(t)) for c, t in df.dtypes.items()]


@pytest.mark.parametrize("name", sorted(frames.SCHEMAS))
def test_empty_frames_have_the_schema(name):
    schema = frames.SCHEMAS[name]
    df = frames.frame(schema, {})  # no rows: the same columns and dtypes as a full frame
    assert df.empty
    assert _dtypes(df) == [(c, t) for c, t in schema]
    assert all(c == c.lower() and " " not in c for c, _ in schema), "snake_case"


SERVER = {
    "id": "wa1aliasweb01",
    "name": "WA1ALIASWEB01",
    "description": "",
    "groupId": "g1",
    "isTemplate": False,
    "locationId": "WA1",
    "osType": "RedHat Enterprise Linux 6 64-bit",
    "os": "redHat6_64Bit",
    "status": "active",
    "type": "standard",
    "storageType": "standard",
    "details": {
        "ipAddresses": [{"internal": "10.0.0.5", "public": "66.1.2.3"}, {"internal": "10.0.0.6"}],
        "cpu": "2",
        "diskCount": 3,
        "hostName": "wa1aliasweb01",
        "inMaintenanceMode": False,
        "memoryMB": 3072,
        "powerState": "started",
        "storageGB": 17,
    },
    "changeInfo": {
        "createdBy": "demouser1",
        "createdDate": "2015-06-16T22:42:35Z",
        "modifiedBy": "demouser1",
        "modifiedDate": "2015-06-17T01:00:00Z",
    },
    "links": [],
}
BUILDING = {
    "id": "wa1aliasweb02",
    "name": "WA1ALIASWEB02",
    "groupId": "g2",
    "status": "underConstruction",
    "locationId": "WA1",
    "changeInfo": {},
}
TREE = {
    "id": "r",
    "name": "WA1 Hardware",
    "locationId": "WA1",
    "type": "default",
    "servers": [],
    "groups": [
        {
            "id": "g1",
            "name": "Default Group",
            "locationId": "WA1",
            "servers": [SERVER],
            "groups": [{"id": "g2", "name": "Web", "servers": [BUILDING], "groups": []}],
        },
        {"id": "a", "name": "Archive", "type": "archive", "servers": [], "groups": []},
    ],
}


def test_servers_frame_flattens_and_derives():
    df = frames.servers_of_trees([TREE])
    assert _dtypes(df) == [(c, t) for c, t in frames.SERVERS]
    web = df.set_index("id").loc["wa1aliasweb01"]
    assert web["memory_gb"] == 3.0 and web["memory_mb"] == 3072 and web["cpu"] == 2
    assert (web["ip"], web["public_ip"]) == ("10.0.0.5", "66.1.2.3")
    assert web["internal_ips"] == "10.0.0.5, 10.0.0.6" and web["public_ips"] == "66.1.2.3"
    assert web["group_path"] == "WA1 Hardware/Default Group"
    assert web["created_date"] == pd.Timestamp("2015-06-16T22:42:35Z")
    building = df.set_index("id").loc["wa1aliasweb02"]
    assert building["group_path"] == "WA1 Hardware/Default Group/Web"
    assert pd.isna(building["cpu"]) and pd.isna(building["memory_gb"])
    assert pd.isna(building["power_state"]) and pd.isna(building["ip"])
    assert df.attrs["raw"] == [TREE]


def test_groups_frame_parent_depth_path_in_tree_order():
    df = frames.groups_frame([TREE])
    assert list(df["path"]) == [
        "WA1 Hardware",
        "WA1 Hardware/Default Group",
        "WA1 Hardware/Default Group/Web",
        "WA1 Hardware/Archive",
    ]
    assert list(df["depth"]) == [0, 1, 2, 1]
    assert list(df["parent_id"].fillna("-")) == ["-", "r", "g1", "r"]


def test_a_group_without_servers_gives_the_empty_schema():
    df = frames.servers_of_trees([{"id": "x", "name": "Empty", "servers": [], "groups": []}])
    assert df.empty and _dtypes(df) == _dtypes(frames.servers_of_trees([TREE]))


def test_server_frame_through_the_sandbox_is_empty_with_the_same_dtypes(s, default_group):
    made = s.create_group("empty", default_group)
    empty = s.servers(group=made.id)
    assert empty.empty and _dtypes(empty) == [(c, t) for c, t in frames.SERVERS]
    assert empty.attrs["raw"][0]["id"] == made.id


def test_templates_networks_and_custom_fields_frames():
    raw = {
        "templates": [
            {
                "name": "WIN2012R2DTC-64",
                "osType": "windows2012R2DataCenter_64Bit",
                "description": "Windows",
                "storageSizeGB": 60,
                "capabilities": ["cpuAutoscale"],
                "reservedDrivePaths": ["a", "c"],
                "drivePathLength": 1,
            }
        ],
        "deployableNetworks": [{"name": "My Network", "networkId": "n1", "type": "private", "accountID": "ALIAS"}],
    }
    t = frames.templates_frame(raw)
    assert t.loc[0, "storage_gb"] == 60 and t.loc[0, "reserved_drive_paths"] == ["a", "c"]
    n = frames.networks_frame(raw)
    assert (n.loc[0, "network_id"], n.loc[0, "account_id"]) == ("n1", "ALIAS")
    cf = frames.custom_fields_frame([{"id": "f", "name": "Owner", "isRequired": True, "type": "text", "options": []}])
    assert bool(cf.loc[0, "is_required"]) is True


def test_frames_tolerate_odd_values():
    odd = dict(SERVER, details={"cpu": "x", "memoryMB": None, "ipAddresses": None})
    row = frames.servers_frame([odd]).iloc[0]
    assert pd.isna(row["cpu"]) and pd.isna(row["memory_gb"]) and pd.isna(row["ip"])
