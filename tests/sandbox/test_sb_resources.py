"""The resource contract (docs/sandbox.md, "How to add a resource"): a new resource is one module plus
one line in RESOURCES. `Tags` below is the guide's example, built next to the real resources and
served over HTTP by a real uvicorn on a loopback port."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import uvicorn
from sandbox_helpers import ALIAS, DEFAULT_GROUP, server_body

from clc_notebook.sandbox.backend import Backend
from clc_notebook.sandbox.clock import JobClock
from clc_notebook.sandbox.common import Reply
from clc_notebook.sandbox.context import Context
from clc_notebook.sandbox.faults import Faults
from clc_notebook.sandbox.handling import Call
from clc_notebook.sandbox.jobqueue import Job
from clc_notebook.sandbox.registry import effect, route
from clc_notebook.sandbox.resources import RESOURCES, build
from clc_notebook.sandbox.resources.groups import Groups
from clc_notebook.sandbox.resources.servers import ServerExtras, Servers
from clc_notebook.sandbox.routes import API_ROUTES, build_app
from clc_notebook.sandbox.shapes import status_link
from clc_notebook.sandbox.store import Store
from clc_notebook.sandbox.validation import Errors, as_str


# --- the guide's example: tags on servers -------------------------------------------------------
class Tags:
    """Free-text tags on servers: list them, add one (a job), see them in the server's details."""

    name = "tags"
    tables = {"tags": "server_id TEXT NOT NULL, tag TEXT NOT NULL, PRIMARY KEY (server_id, tag)"}

    def __init__(self, ctx: Context, servers: Servers) -> None:
        self.ctx, self.servers = ctx, servers
        servers.add_on(self)  # show tags in Get Server; drop them with their server

    @route("GET", "/v2/tags/{alias}/{server}")
    def list_tags(self, call: Call) -> list[str]:
        with self.ctx.call(call) as tx:
            server = self.servers.find(tx.db, tx.alias, call.path["server"])
            return self._tags(tx.db, server["id"])

    @route("POST", "/v2/tags/{alias}/{server}", body=True)
    def add(self, call: Call) -> Reply:
        with self.ctx.call(call) as tx:
            server = self.servers.find(tx.db, tx.alias, call.path["server"])
            errors = Errors()
            tag = as_str(tx.body.get("tag"), "tag", errors, required=True, max_len=50)
            errors.raise_if_any()
            return Reply(202, status_link(tx.alias, tx.queue("addTag", server["dc"], server["id"], tag=tag)))

    @effect("addTag")
    def _tagged(self, db: sqlite3.Connection, job: Job) -> None:
        if job.succeeded:
            db.execute("INSERT OR IGNORE INTO tags VALUES (?, ?)", (job.target, job.params["tag"]))

    def server_extras(self, db: sqlite3.Connection, rows: Sequence[sqlite3.Row]) -> Mapping[str, ServerExtras]:
        return {r["id"]: ServerExtras(details={"tags": self._tags(db, r["id"])}) for r in rows}

    def server_dropped(self, db: sqlite3.Connection, server_id: str) -> None:
        db.execute("DELETE FROM tags WHERE server_id=?", (server_id,))

    @staticmethod
    def _tags(db: sqlite3.Connection, server_id: str) -> list[str]:
        return [r["tag"] for r in db.execute("SELECT tag FROM tags WHERE server_id=? ORDER BY tag", (server_id,))]


@pytest.fixture
def tagged_sandbox(monkeypatch) -> Iterator[str]:
    """The sandbox's own backend and app with `Tags` listed in RESOURCES (as its one registry line would
    do), served by uvicorn on a loopback port."""
    monkeypatch.setattr("clc_notebook.sandbox.backend.build", lambda ctx: build(ctx, [*RESOURCES, Tags]))
    clock, faults = JobClock(mode="polls"), Faults(None)
    store = Store()
    backend = Backend(store, clock, faults)
    with ThreadPoolExecutor(2) as executor:
        app = build_app(backend, clock, faults, executor)
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="off"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            thread.join(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
        server.should_exit = True
        thread.join(10)
    store.close()


def _login(url: str) -> requests.Session:
    http = requests.Session()
    r = http.post(f"{url}/v2/authentication/login", json={"username": "demouser1", "password": "mypassword"})
    http.headers["Authorization"] = f"Bearer {r.json()['bearerToken']}"
    return http


def _finish(http: requests.Session, url: str, href: str) -> str:
    for _ in range(5):
        status = http.get(url + href).json()["status"]
        if status in ("succeeded", "failed"):
            return status
    raise AssertionError(f"{href} did not finish")


def test_a_new_resource_serves_its_routes_and_effects_and_extends_servers(tagged_sandbox):
    url, http = tagged_sandbox, _login(tagged_sandbox)
    build_answer = http.post(f"{url}/v2/servers/{ALIAS}", json=server_body(groupId=DEFAULT_GROUP)).json()
    assert _finish(http, url, build_answer["links"][0]["href"]) == "succeeded"
    sid = http.get(url + build_answer["links"][1]["href"]).json()["id"]

    bad = http.post(f"{url}/v2/tags/{ALIAS}/{sid}", json={})
    assert bad.status_code == 400 and bad.json()["modelState"] == {"body.tag": ["The tag field is required."]}
    assert http.post(f"{url}/v2/tags/OTHER/{sid}", json={"tag": "x"}).status_code == 403
    queued = http.post(f"{url}/v2/tags/{ALIAS}/{sid}", json={"tag": "web"})
    assert queued.status_code == 202 and http.get(f"{url}/v2/tags/{ALIAS}/{sid}").json() == []
    assert _finish(http, url, queued.json()["href"]) == "succeeded"
    assert http.get(f"{url}/v2/tags/{ALIAS}/{sid}").json() == ["web"]
    assert http.get(f"{url}/v2/servers/{ALIAS}/{sid}").json()["details"]["tags"] == ["web"]
    # the 405 of a new path names its methods, as for every route
    r = http.delete(f"{url}/v2/tags/{ALIAS}/{sid}")
    assert r.status_code == 405 and {m.strip() for m in r.headers["Allow"].split(",")} == {"GET", "HEAD", "POST"}


def test_every_job_kind_a_rule_queues_has_an_effect():
    ctx = Context(Store(), JobClock(), Faults(None))
    build(ctx)
    kinds = set(ctx.jobs.kinds)
    assert {"create", "delete", "deleteGroup", "archiveGroup", "addPublicIp", "powerOn", "createSnapshot"} <= kinds
    with pytest.raises(ValueError, match="registered twice"):
        ctx.jobs.register("create", lambda db, job: None)


def test_a_resource_listed_before_what_it_needs_is_refused():
    ctx = Context(Store(), JobClock(), Faults(None))
    with pytest.raises(ValueError, match="Servers needs groups"):
        build(ctx, [Servers, Groups])


def test_the_route_table_is_read_from_the_resource_modules():
    handlers = {spec.handler for spec in API_ROUTES}
    assert {"Servers.create", "Groups.delete", "PublicIps.update", "Jobs.status", "Accounts.login"} <= handlers
    assert [spec.path for spec in API_ROUTES if not spec.auth] == ["/v2/authentication/login"]
