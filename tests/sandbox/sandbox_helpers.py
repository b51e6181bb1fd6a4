"""Helpers shared by the sandbox tests: ids of the tutorial's account, a logged-in `requests` session."""

from __future__ import annotations

import requests

from clc_notebook.sandbox import Sandbox

ALIAS = "ALIAS"
ROOT = "890312348ddfe311b05f00505682315a"
DEFAULT_GROUP = "8a03fcae8ddfe311b05f005056812345"
ARCHIVE_GROUP = "8b03fcae8ddfe311b05f005056812345"
TEMPLATES_GROUP = "8d03fcae8ddfe311b05f005056812345"
NETWORK = "a933432bd1234e84b6c4fa329e48cb8b"
FINAL = ("succeeded", "failed")


def server_body(**overrides) -> dict:
    """A valid Create Server body (the tutorial's), with `overrides` applied (None removes a key)."""
    body = {
        "name": "web",
        "description": "My web server",
        "groupId": DEFAULT_GROUP,
        "sourceServerId": "RHEL-6-64-TEMPLATE",
        "isManagedOS": False,
        "networkId": NETWORK,
        "password": "P@ssw0rd1",
        "cpu": 2,
        "memoryGB": 4,
        "type": "standard",
        "storageType": "standard",
    }
    for key, value in overrides.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    return body


class Api:
    """A `requests.Session` bound to the sandbox URL, logged in as the tutorial's user."""

    def __init__(self, sandbox: Sandbox):
        self.sb = sandbox
        self.url = sandbox.url
        self.http = requests.Session()
        self.login()

    def login(self) -> str:
        r = requests.post(
            f"{self.url}/v2/authentication/login",
            json={"username": self.sb.username, "password": self.sb.password},
            timeout=10,
        )
        assert r.status_code == 200, r.text
        self.token = r.json()["bearerToken"]
        self.http.headers["Authorization"] = f"Bearer {self.token}"
        return self.token

    def request(self, method: str, path: str, **kwargs) -> requests.Response:
        kwargs.setdefault("timeout", 30)
        return self.http.request(method, self.url + path, **kwargs)

    def get(self, path, **kw):
        return self.request("GET", path, **kw)

    def post(self, path, **kw):
        return self.request("POST", path, **kw)

    def patch(self, path, **kw):
        return self.request("PATCH", path, **kw)

    def put(self, path, **kw):
        return self.request("PUT", path, **kw)

    def delete(self, path, **kw):
        return self.request("DELETE", path, **kw)

    # --- helpers --------------------------------------------------------------------------------------

    def wait(self, status_href: str, limit: int = 50) -> list[str]:
        """Poll a status link until the job ends; returns every status seen."""
        seen = []
        for _ in range(limit):
            r = self.get(status_href)
            assert r.status_code == 200, r.text
            seen.append(r.json()["status"])
            if seen[-1] in FINAL:
                return seen
        raise AssertionError(f"job did not finish: {seen}")

    def create_server(self, wait: bool = True, **overrides) -> dict:
        """Create a server (tutorial body + overrides); returns the Get Server body (after the build)."""
        r = self.post(f"/v2/servers/{ALIAS}", json=server_body(**overrides))
        assert r.status_code == 202, r.text
        links = {link["rel"]: link for link in r.json()["links"]}
        if wait:
            assert self.wait(links["status"]["href"])[-1] == "succeeded"
        got = self.get(links["self"]["href"])
        assert got.status_code == 200
        return got.json()

    def group(self, gid: str = ROOT, detailed: bool = False) -> dict:
        r = self.get(f"/v2/groups/{ALIAS}/{gid}", params={"serverDetail": "detailed"} if detailed else None)
        assert r.status_code == 200, r.text
        return r.json()

    def all_servers(self) -> list[dict]:
        """Every server of WA1 (from the detailed group tree)."""
        out = []

        def walk(g):
            out.extend(g.get("servers", []))
            for child in g["groups"]:
                walk(child)

        walk(self.group(ROOT, detailed=True))
        return out


def rels(obj: dict) -> dict:
    """Links of an entity keyed by rel (the last one wins for repeated rels)."""
    return {link["rel"]: link for link in obj.get("links", [])}
