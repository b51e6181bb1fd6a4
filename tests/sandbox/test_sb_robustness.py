"""Whatever a client sends, the sandbox answers a clear 4xx, never a 500 or a traceback."""

from __future__ import annotations

import json
import re
from urllib.parse import quote

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sandbox_api import ALIAS, DEFAULT_GROUP, ROOT, server_body

from clc_notebook.sandbox.routes import API_ROUTES


def test_malformed_json_is_400(api):
    for path in (f"/v2/servers/{ALIAS}", f"/v2/groups/{ALIAS}", f"/v2/operations/{ALIAS}/servers/reboot"):
        r = api.post(path, data='{"name": "web",', headers={"Content-Type": "application/json"})
        assert r.status_code == 400 and r.json()["message"] == "The request body is not valid JSON."
        assert r.json()["modelState"]["body"]


def test_login_with_malformed_json_is_400(sandbox):
    r = requests.post(f"{sandbox.url}/v2/authentication/login", data="{", headers={"Content-Type": "application/json"})
    assert r.status_code == 400


def test_body_over_one_mib_is_413(api):
    r = api.post(
        f"/v2/servers/{ALIAS}", data=b"[" + b"1," * (600 * 1024) + b"1]", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 413 and "too large" in r.json()["message"]


def test_unknown_route_is_404_json(api):
    for path in ("/v2/nothing", "/v2/servers", "/v3/servers/ALIAS", "/"):
        r = api.get(path)
        assert r.status_code == 404 and r.json() == {"message": "The requested resource does not exist."}


def test_wrong_method_is_405(api):
    r = api.put(f"/v2/servers/{ALIAS}/wa1aliasweb01", json={})
    assert r.status_code == 405 and "PUT" in r.json()["message"]
    assert api.get("/v2/authentication/login").status_code == 405


def test_405_allow_header_lists_every_method_of_the_path(api):
    def allowed(r):
        return {m.strip() for m in r.headers["Allow"].split(",")}

    r = api.put(f"/v2/servers/{ALIAS}/wa1aliasweb01", json={})
    assert r.status_code == 405 and allowed(r) == {"GET", "HEAD", "PATCH", "DELETE"}
    r = api.put(f"/v2/groups/{ALIAS}/{ROOT}", json={})
    assert r.status_code == 405 and allowed(r) == {"GET", "HEAD", "PATCH", "DELETE"}
    r = api.delete(f"/v2/groups/{ALIAS}/{ROOT}/defaults")
    assert r.status_code == 405 and allowed(r) == {"GET", "HEAD", "POST"}


def test_path_words_in_any_case(api):
    assert api.get(f"/v2/DataCenters/{ALIAS}/WA1/DeploymentCapabilities").status_code == 200
    assert api.get(f"/v2/GROUPS/{ALIAS}/{ROOT}").status_code == 200


def test_a_trailing_slash_is_the_same_path_as_production_answered(api):
    # the official Node SDK creates with a trailing slash; production answered 202 / 201, not a redirect
    r = api.post(f"/v2/servers/{ALIAS}/", json=server_body(), allow_redirects=False)
    assert r.status_code == 202 and r.json()["isQueued"] is True
    r = api.post(f"/v2/groups/{ALIAS}/", json={"name": "G", "parentGroupId": DEFAULT_GROUP}, allow_redirects=False)
    assert r.status_code == 201 and r.json()["name"] == "G"
    assert api.get(f"/v2/Groups/{ALIAS}/{ROOT}//", allow_redirects=False).json()["id"] == ROOT


def test_a_trailing_slash_never_redirects_on_any_route(api):
    # every route of the table, present or future: the same answer with and without the slash
    for template, _, methods, _ in API_ROUTES:
        path = re.sub(r"\{[^}]+\}", lambda m: ALIAS if m.group(0) == "{alias}" else "x1", template)
        for method in methods:
            plain = api.request(method, path, json={}, allow_redirects=False)
            slashed = api.request(method, path + "/", json={}, allow_redirects=False)
            assert (slashed.status_code, slashed.content) == (plain.status_code, plain.content), (method, path)


def test_content_type_variants(api):
    body = json.dumps(server_body())
    for ctype in ("Application/json", "application/json; charset=utf-8", "text/plain", None):
        headers = {"Content-Type": ctype} if ctype else {}
        r = api.post(f"/v2/servers/{ALIAS}", data=body.encode(), headers=headers)
        assert r.status_code == 202, (ctype, r.text)


def test_case_insensitive_keys_and_numbers_as_strings(api):
    body = {
        "NAME": "web",
        "GroupID": DEFAULT_GROUP,
        "sourceserverid": "RHEL-6-64-TEMPLATE",
        "CPU": "2",
        "memorygb": "4",
        "TYPE": "standard",
        "Password": "P@ssw0rd1",
    }
    r = api.post(f"/v2/servers/{ALIAS}", json=body)
    assert r.status_code == 202, r.text


def test_empty_and_non_object_bodies(api):
    for data in (b"", b"null", b"42", b'"text"', b"[]"):
        r = api.post(f"/v2/servers/{ALIAS}", data=data, headers={"Content-Type": "application/json"})
        assert r.status_code == 400 and r.json()["message"], data


def test_invalid_utf8_and_deep_nesting(api):
    r = api.post(f"/v2/servers/{ALIAS}", data=b'{"name": "\xff"}', headers={"Content-Type": "application/json"})
    assert r.status_code == 400
    r = api.post(
        f"/v2/servers/{ALIAS}", data=b"[" * 100000 + b"]" * 100000, headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=12,
)
field_names = st.sampled_from(
    [
        "name",
        "groupId",
        "sourceServerId",
        "cpu",
        "memoryGB",
        "type",
        "storageType",
        "networkId",
        "password",
        "additionalDisks",
        "customFields",
        "ttl",
        "ipAddress",
        "isManagedOS",
        "isManagedBackup",
        "primaryDns",
        "packages",
        "member",
        "op",
        "value",
        "ports",
        "serverIds",
        "snapshotExpirationDays",
        "servers",
        "parentGroupId",
    ]
)
mutated_server = st.builds(lambda key, value: {**server_body(), key: value}, field_names, json_values)
bodies = (
    mutated_server
    | json_values
    | st.dictionaries(field_names, json_values, max_size=8)
    | st.lists(
        st.fixed_dictionaries(
            {
                "op": st.sampled_from(["set", "add"]),
                "member": field_names | st.sampled_from(["memory", "disks", "description"]),
                "value": json_values,
            }
        ),
        max_size=3,
    )
)

ENDPOINTS = [
    ("POST", "/v2/servers/ALIAS"),
    ("POST", "/v2/groups/ALIAS"),
    ("PATCH", f"/v2/groups/ALIAS/{DEFAULT_GROUP}"),
    ("POST", f"/v2/groups/ALIAS/{DEFAULT_GROUP}/defaults"),
    ("POST", "/v2/operations/ALIAS/servers/reboot"),
    ("POST", "/v2/operations/ALIAS/servers/createSnapshot"),
    ("POST", "/v2/operations/ALIAS/servers/setMaintenance"),
    ("POST", "/v2/operations/ALIAS/servers/executePackage"),
    ("PATCH", "/v2/servers/ALIAS/wa1aliasweb01"),
    ("POST", "/v2/servers/ALIAS/wa1aliasweb01/publicIPAddresses"),
    ("POST", "/v2/authentication/login"),
    ("POST", "/v2/servers/ALIAS/wa1aliasweb01/restore"),
]


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(endpoint=st.sampled_from(ENDPOINTS), body=bodies)
def test_random_bodies_never_cause_a_server_error(session_api, endpoint, body):
    method, path = endpoint
    r = session_api.request(
        method, path, data=json.dumps(body, allow_nan=True), headers={"Content-Type": "application/json"}
    )
    assert r.status_code < 500, (endpoint, body, r.text)
    if r.content:
        assert isinstance(r.json(), (dict, list))


@pytest.fixture
def session_api(api):
    api.create_server()  # wa1aliasweb01 exists for the server endpoints
    return api


segment = st.text(min_size=1, max_size=40).map(lambda t: quote(t, safe=""))


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    route=st.sampled_from([(path, method) for path, _, methods, _ in API_ROUTES for method in methods]),
    values=st.lists(segment, min_size=6, max_size=6),
    query=st.dictionaries(
        st.sampled_from(["uuid", "groupLinks", "serverDetail", "x"]), st.text(max_size=8), max_size=3
    ),
)
def test_random_path_values_never_cause_a_server_error(session_api, route, values, query):
    template, method = route
    names = iter(values)
    path = re.sub(r"\{[^}]+\}", lambda m: "ALIAS" if m.group(0) == "{alias}" else next(names), template)
    r = session_api.request(method, path, params=query, json={})
    assert r.status_code < 500, (method, path, query, r.text)
