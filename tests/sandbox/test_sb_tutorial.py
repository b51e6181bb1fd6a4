"""The tutorial (../shared/seed/000_82ac7b2cea91554e.txt), request by request, exactly as written."""

from __future__ import annotations

import requests
from sandbox_api import NETWORK, ROOT, rels

HEADERS = {"Content-Type": "application/json"}


def test_tutorial_requests_succeed_in_order(sandbox):
    base = sandbox.url
    # 1. Authentication
    r = requests.post(
        f"{base}/v2/authentication/login",
        headers=HEADERS,
        data='{\n  "username":"demouser1",\n  "password":"mypassword"\n}',
    )
    assert r.status_code == 200
    login = r.json()
    assert {k: login[k] for k in ("userName", "accountAlias", "locationAlias", "roles")} == {
        "userName": "demouser1",
        "accountAlias": "ALIAS",
        "locationAlias": "WA1",
        "roles": ["AccountAdmin"],
    }
    auth = dict(HEADERS, Authorization=f"Bearer {login['bearerToken']}")

    # 2. Deployment capabilities
    r = requests.get(f"{base}/v2/datacenters/ALIAS/WA1/deploymentCapabilities", headers=auth)
    assert r.status_code == 200
    caps = r.json()
    assert {"name": "My Network", "networkId": NETWORK, "type": "private", "accountID": "ALIAS"} in caps[
        "deployableNetworks"
    ]
    templates = {t["name"]: t for t in caps["templates"]}
    assert templates["RHEL-6-64-TEMPLATE"]["osType"] == "redHat6_64Bit"
    assert templates["RHEL-6-64-TEMPLATE"]["storageSizeGB"] == 17
    assert templates["WIN2012R2DTC-64"]["storageSizeGB"] == 60

    # 3. Data center with group links, then the root group
    r = requests.get(f"{base}/v2/datacenters/ALIAS/WA1?groupLinks=true", headers=auth)
    assert r.status_code == 200
    dc = r.json()
    assert dc["id"] == "wa1" and dc["name"] == "WA1 - US West (Seattle)"
    links = rels(dc)
    assert links["self"]["href"] == "/v2/datacenters/alias/wa1"
    assert links["group"] == {"rel": "group", "href": f"/v2/groups/alias/{ROOT}", "id": ROOT, "name": "WA1 Hardware"}
    assert links["createServer"]["verbs"] == ["POST"]
    r = requests.get(f"{base}/v2/groups/ALIAS/{ROOT}", headers=auth)
    assert r.status_code == 200
    root = r.json()
    assert root["name"] == "WA1 Hardware" and root["locationId"] == "WA1" and root["type"] == "default"
    assert [(g["name"], g["id"], g["type"]) for g in root["groups"]] == [
        ("Archive", "8b03fcae8ddfe311b05f005056812345", "archive"),
        ("Default Group", "8a03fcae8ddfe311b05f005056812345", "default"),
        ("Templates", "8d03fcae8ddfe311b05f005056812345", "templates"),
    ]

    # 4. Create the server (the body uses the root group id, as in the tutorial)
    body = """{
      "name": "web",
      "description": "My web server",
      "groupId": "890312348ddfe311b05f00505682315a",
      "sourceServerId": "RHEL-6-64-TEMPLATE",
      "isManagedOS": false,
      "networkId": "a933432bd1234e84b6c4fa329e48cb8b",
      "password": "P@ssw0rd1",
      "cpu": 2,
      "memoryGB": 4,
      "type": "standard",
      "storageType": "standard"
    }"""
    r = requests.post(f"{base}/v2/servers/ALIAS", headers=auth, data=body)
    assert r.status_code == 202
    created = r.json()
    assert created["server"] == "web" and created["isQueued"] is True
    links = rels(created)
    status_href, self_href = links["status"]["href"], links["self"]["href"]
    assert status_href.startswith("/v2/operations/alias/status/wa1-")
    assert self_href == f"/v2/servers/ALIAS/{links['self']['id']}?uuid=True"

    # Get build status, get the server while it is being built
    r = requests.get(base + status_href, headers=auth)
    assert r.status_code == 200 and r.json() == {"status": "notStarted"}
    r = requests.get(base + self_href, headers=auth)
    assert r.status_code == 200
    building = r.json()
    assert building["status"] == "underConstruction" and "details" not in building
    assert (building["id"], building["name"]) == ("wa1aliasweb01", "WA1ALIASWEB01")
    assert building["groupId"] == ROOT and building["osType"] == "RedHat Enterprise Linux 6 64-bit"
    assert requests.get(base + status_href, headers=auth).json() == {"status": "executing"}
    assert requests.get(base + status_href, headers=auth).json() == {"status": "succeeded"}
    r = requests.get(base + self_href, headers=auth)
    active = r.json()
    assert active["status"] == "active"
    details = active["details"]
    assert details["cpu"] == 2 and details["memoryMB"] == 4096 and details["powerState"] == "started"
    assert details["storageGB"] == 17 and [d["sizeGB"] for d in details["disks"]] == [1, 2, 14]
    assert details["ipAddresses"] == [{"internal": "10.20.30.40"}]

    # Update the description, by the mixed-case id of the tutorial
    r = requests.patch(
        f"{base}/v2/servers/ALIAS/wa1ALIASweb01",
        headers=auth,
        data='[\n  {\n    "op":"set",\n    "member":"description",\n    "value":"A very important server"\n  }\n]',
    )
    assert r.status_code == 204 and r.content == b""
    assert (
        requests.get(f"{base}/v2/servers/ALIAS/wa1ALIASweb01", headers=auth).json()["description"]
        == "A very important server"
    )

    # Restart the server and follow the status link
    r = requests.post(f"{base}/v2/operations/ALIAS/servers/reboot", headers=auth, data='[ "wa1ALIASweb01" ]')
    assert r.status_code == 200
    [item] = r.json()
    assert item["server"] == "wa1aliasweb01" and item["isQueued"] is True
    href = item["links"][0]["href"]
    statuses = [requests.get(base + href, headers=auth).json()["status"] for _ in range(3)]
    assert statuses == ["notStarted", "executing", "succeeded"]
