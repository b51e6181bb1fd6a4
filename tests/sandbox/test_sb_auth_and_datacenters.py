"""Login, tokens (401/403), data centers and deployment capabilities."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re

import pytest
import requests
from sandbox_api import ALIAS, NETWORK, ROOT, rels

from clc_notebook.sandbox import Sandbox

BAD_LOGIN = "We didn't recognize the username or password you entered. Please try again."


def test_login_shape_and_random_tokens(sandbox):
    url = f"{sandbox.url}/v2/authentication/login"
    first = requests.post(url, json={"username": "demouser1", "password": "mypassword"}).json()
    second = requests.post(url, json={"username": "demouser1", "password": "mypassword"}).json()
    assert set(first) == {"userName", "accountAlias", "locationAlias", "roles", "bearerToken"}
    assert first["bearerToken"] != second["bearerToken"]
    assert "mypassword" not in first["bearerToken"] and len(first["bearerToken"]) >= 40


def _claims(token: str) -> tuple[dict, dict]:
    header, payload, _ = token.split(".")
    return tuple(json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))) for part in (header, payload))


def test_tokens_are_jwts_with_the_recorded_claims(sandbox):
    answer = requests.post(
        f"{sandbox.url}/v2/authentication/login", json={"username": "demouser1", "password": "mypassword"}
    ).json()
    token = answer["bearerToken"]
    assert re.fullmatch(r"eyJ[\w-]+\.eyJ[\w-]+\.[\w-]{43}", token)
    header, claims = _claims(token)
    assert header == {"typ": "JWT", "alg": "HS256"}
    assert set(claims) == {
        "unique_name",
        "role",
        "urn:tier3:account-alias",
        "urn:tier3:location-alias",
        "iss",
        "aud",
        "nbf",
        "exp",
        "jti",
    }
    assert (claims["unique_name"], claims["role"]) == ("demouser1", answer["roles"])
    assert (claims["urn:tier3:account-alias"], claims["urn:tier3:location-alias"]) == ("ALIAS", "WA1")
    assert (claims["iss"], claims["aud"]) == ("urn:api-tier3", "urn:tier3-users")
    assert claims["exp"] - claims["nbf"] == 14 * 24 * 3600  # as recorded: 1,209,600 s
    # signed (HS256) with the sandbox's own secret
    signed, _, signature = token.rpartition(".")
    mac = hmac.new(sandbox.backend.accounts._secret, signed.encode(), hashlib.sha256).digest()
    assert base64.urlsafe_b64encode(mac).rstrip(b"=").decode() == signature


def test_a_token_is_valid_only_as_issued(api):
    # the sandbox checks tokens against its store: a token changed in any part is refused
    header, payload, signature = api.token.split(".")
    _, claims = _claims(api.token)
    longer = base64.urlsafe_b64encode(json.dumps({**claims, "exp": claims["exp"] + 10**6}).encode()).rstrip(b"=")
    for forged in (f"{header}.{longer.decode()}.{signature}", f"{header}.{payload}.{signature[:-2]}AA"):
        assert api.get(f"/v2/datacenters/{ALIAS}", token=forged).status_code == 401
    assert api.get(f"/v2/datacenters/{ALIAS}").status_code == 200


@pytest.mark.parametrize(
    "kwargs",
    [
        {"json": {"UserName": "demouser1", "PASSWORD": "mypassword"}},
        {"data": {"username": "demouser1", "password": "mypassword"}},
        {"data": '{"username":"demouser1","password":"mypassword"}', "headers": {"Content-Type": "Application/JSON"}},
    ],
)
def test_login_accepts_case_insensitive_keys_and_form_bodies(sandbox, kwargs):
    r = requests.post(f"{sandbox.url}/v2/authentication/login", **kwargs)
    assert r.status_code == 200 and r.json()["accountAlias"] == "ALIAS"


@pytest.mark.parametrize(
    "body",
    [
        {"username": "demouser1", "password": "wrong"},
        {"username": "nobody", "password": "mypassword"},
        {"username": "demouser1"},
        {},
        [],
        {"username": 1, "password": 2},
    ],
)
def test_bad_login_is_400_with_the_documented_message(sandbox, body):
    r = requests.post(f"{sandbox.url}/v2/authentication/login", json=body)
    assert r.status_code == 400 and r.json() == {"message": BAD_LOGIN}


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer not-a-token", "Basic ZGVtbzpwdw==", "token"])
def test_missing_or_invalid_token_is_401(sandbox, header):
    headers = {"Authorization": header} if header else {}
    r = requests.get(f"{sandbox.url}/v2/datacenters/{ALIAS}", headers=headers)
    assert r.status_code == 401 and r.json()["message"]


def test_expired_tokens_are_401_and_a_new_login_works(api, sandbox):
    assert api.get(f"/v2/datacenters/{ALIAS}").status_code == 200
    r = requests.post(f"{sandbox.url}/sandbox/expire-tokens")
    assert r.status_code == 200 and r.json()["expired"] >= 1
    assert api.get(f"/v2/datacenters/{ALIAS}").status_code == 401
    api.login()
    assert api.get(f"/v2/datacenters/{ALIAS}").status_code == 200
    sandbox.expire_tokens()
    assert api.get(f"/v2/datacenters/{ALIAS}").status_code == 401


def test_token_ttl_is_configurable():
    with Sandbox(mode="polls", token_ttl=60) as sb:
        token = requests.post(
            f"{sb.url}/v2/authentication/login", json={"username": sb.username, "password": sb.password}
        ).json()["bearerToken"]
        headers = {"Authorization": f"Bearer {token}"}
        assert requests.get(f"{sb.url}/v2/datacenters/ALIAS", headers=headers).status_code == 200
        assert requests.put(f"{sb.url}/sandbox/clock", json={"advance": 61}).status_code == 200
        assert requests.get(f"{sb.url}/v2/datacenters/ALIAS", headers=headers).status_code == 401


@pytest.mark.parametrize(
    "path",
    [
        "/v2/datacenters/OTHER",
        "/v2/datacenters/OTHER/WA1",
        f"/v2/groups/OTHER/{ROOT}",
        "/v2/servers/OTHER/wa1aliasweb01",
        "/v2/operations/OTHER/status/wa1-1",
        "/v2/accounts/OTHER/customFields",
    ],
)
def test_another_accounts_alias_is_403(api, path):
    r = api.get(path)
    assert r.status_code == 403 and r.json()["message"]


def test_alias_in_any_case(api):
    for alias in ("ALIAS", "alias", "Alias"):
        assert api.get(f"/v2/datacenters/{alias}/wa1").status_code == 200


def test_datacenter_list(api):
    r = api.get(f"/v2/datacenters/{ALIAS}")
    assert r.status_code == 200
    dcs = r.json()
    assert [d["id"] for d in dcs][:3] == ["wa1", "va1", "uc1"]
    assert dcs[0]["name"] == "WA1 - US West (Seattle)"
    assert "group" not in rels(dcs[0]) and rels(dcs[0])["self"]["href"] == "/v2/datacenters/alias/wa1"
    with_groups = api.get(f"/v2/datacenters/{ALIAS}", params={"groupLinks": "true"}).json()
    assert rels(with_groups[0])["group"]["id"] == ROOT
    assert rels(with_groups[1])["group"]["name"] == "VA1 Hardware"


def test_datacenter_links_as_recorded(api):
    links = api.get(f"/v2/datacenters/{ALIAS}/wa1", params={"groupLinks": "true"}).json()["links"]
    # no bareMetalCapabilities link: production had none, and this sandbox has no bare metal
    assert [(link["rel"], link.get("verbs", [])) for link in links] == [
        ("self", []),
        ("deploymentCapabilities", []),
        ("loadBalancers", ["GET", "POST"]),
        ("computeLimits", ["GET", "POST"]),
        ("networkLimits", ["GET"]),
        ("availableOvfs", ["GET"]),
        ("group", []),
        ("createGroup", ["POST"]),
        ("createServer", ["POST"]),
        ("defaults", ["GET", "POST"]),
        ("billing", []),
        ("statistics", []),
        ("upcomingScheduledActivities", []),
        ("horizontalAutoscalePolicyMapping", ["GET", "PUT", "DELETE"]),
        ("scheduledActivities", ["GET", "POST"]),
    ]


def test_datacenter_get_group_links_only_on_request(api):
    assert "group" not in rels(api.get(f"/v2/datacenters/{ALIAS}/WA1").json())
    assert "group" not in rels(api.get(f"/v2/datacenters/{ALIAS}/WA1?groupLinks=false").json())
    links = rels(api.get(f"/v2/datacenters/{ALIAS}/wa1?groupLinks=True").json())
    assert links["createGroup"]["href"] == "/v2/groups/alias" and links["defaults"]["verbs"] == ["GET", "POST"]


def test_unknown_datacenter_is_404(api):
    for path in ("/v2/datacenters/ALIAS/XX9", "/v2/datacenters/ALIAS/XX9/deploymentCapabilities"):
        r = api.get(path)
        assert r.status_code == 404 and r.json() == {"message": "The requested resource does not exist."}


def test_deployment_capabilities_shape(api):
    caps = api.get(f"/v2/datacenters/{ALIAS}/wa1/deploymentCapabilities").json()
    assert caps["dataCenterEnabled"] is True and caps["supportsBareMetalServers"] is False
    assert caps["deployableNetworks"] == [
        {"name": "My Network", "networkId": NETWORK, "type": "private", "accountID": "ALIAS"}
    ]
    for template in caps["templates"]:
        assert set(template) >= {"name", "osType", "description", "storageSizeGB", "capabilities", "reservedDrivePaths"}
    win = next(t for t in caps["templates"] if t["name"] == "WIN2012R2DTC-64")
    assert win["reservedDrivePaths"] == ["a", "b", "c", "d"] and win["drivePathLength"] == 1
    # capabilities as recorded: RHEL and Windows offered a managed OS and backup, CentOS and Ubuntu not
    capabilities = {t["name"]: t["capabilities"] for t in caps["templates"]}
    managed = ["hyperscale", "managedOS", "cpuAutoscale", "importVM", "managedBackup"]
    assert capabilities["RHEL-6-64-TEMPLATE"] == capabilities["WIN2012R2DTC-64"] == managed
    assert (
        capabilities["CENTOS-6-64-TEMPLATE"] == capabilities["UBUNTU-14-64-TEMPLATE"] == ["hyperscale", "cpuAutoscale"]
    )
    va1 = api.get(f"/v2/datacenters/{ALIAS}/va1/deploymentCapabilities").json()
    assert va1["deployableNetworks"][0]["networkId"] != NETWORK


def test_other_datacenter_endpoints(api):
    assert api.get(f"/v2/datacenters/{ALIAS}/wa1/bareMetalCapabilities").json() == {"skus": [], "operatingSystems": []}
    assert api.get(f"/v2/datacenters/{ALIAS}/wa1/computeLimits").json()["cpu"]["value"] > 0
    assert "networks" in api.get(f"/v2/datacenters/{ALIAS}/wa1/networkLimits").json()
