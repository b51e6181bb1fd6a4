"""The resource contract (docs/sandbox.md, "How to add a resource"): a new resource is one module plus
one line in RESOURCES. `Tags` below is the guide's example, built next to the real resources and
served over HTTP by a real uvicorn on a loopback port."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
import uvicorn
from sandbox_helpers import ALIAS, DEFAULT_GROUP, server_body

from clc_notebook.sandbox import fixtures
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


@contextlib.contextmanager
def served(backend: Backend) -> Iterator[str]:
    """The sandbox's own app over `backend`, served by uvicorn on a loopback port; yields its URL."""
    with ThreadPoolExecutor(2) as executor:
        app = build_app(backend, backend.clock, backend.faults, executor)
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, lifespan="off"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            thread.join(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def tagged_sandbox(monkeypatch) -> Iterator[str]:
    """The sandbox's own backend and app with `Tags` listed in RESOURCES (as its one registry line would
    do), served by uvicorn on a loopback port."""
    monkeypatch.setattr("clc_notebook.sandbox.backend.build", lambda ctx: build(ctx, [*RESOURCES, Tags]))
    store = Store()
    with served(Backend(store, JobClock(mode="polls"), Faults(None))) as url:
        yield url
    store.close()


def _login(url: str, username: str = "demouser1", password: str = "mypassword") -> requests.Session:
    http = requests.Session()
    r = http.post(f"{url}/v2/authentication/login", json={"username": username, "password": password})
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


# --- a job whose effect raises ------------------------------------------------------------------
class Broken:
    """Jobs whose effect writes down that it ran, then raises when the job succeeded: what a bug, or a
    clash with another account's rows, in a real effect does."""

    name = "broken"
    tables = {"broken_runs": "job_id TEXT NOT NULL, outcome TEXT NOT NULL"}

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    @route("POST", "/v2/broken/{alias}")
    def start(self, call: Call) -> Reply:
        with self.ctx.call(call) as tx:
            return Reply(202, status_link(tx.alias, tx.queue("breakDown", "wa1", "nothing")))

    @effect("breakDown")
    def _ran(self, db: sqlite3.Connection, job: Job) -> None:
        db.execute("INSERT INTO broken_runs VALUES (?, ?)", (job.id, job.outcome))
        if job.succeeded:
            raise RuntimeError("the effect's own bug")


OTHER = fixtures.Account("otheruser", "otherpassword", "OTHR")


@pytest.fixture
def broken_sandbox(monkeypatch) -> Iterator[tuple[str, Backend]]:
    """The sandbox's backend and app with `Broken` listed in RESOURCES and a second account, served."""
    monkeypatch.setattr("clc_notebook.sandbox.backend.build", lambda ctx: build(ctx, [*RESOURCES, Broken]))
    store = Store()
    backend = Backend(store, JobClock(mode="polls"), Faults(None))
    with store.transaction() as db:
        backend.seed_account(db, OTHER)
    with served(backend) as url:
        yield url, backend
    store.close()


def test_an_effect_that_raises_fails_its_job_and_no_request_of_another_account(broken_sandbox, caplog):
    """Time mode settles every account's due jobs at the start of any request: the raising effect is
    undone, logged, and its job ends failed (its effect applied as a failed job's); every request answers."""
    url, backend = broken_sandbox
    mine, other = _login(url), _login(url, OTHER.username, OTHER.password)
    backend.clock.configure(mode="time")
    queued = mine.post(f"{url}/v2/broken/{ALIAS}")
    assert queued.status_code == 202
    backend.advance_clock(3600)  # the job is due: the next request of anyone settles it
    with caplog.at_level(logging.ERROR, logger="clc_notebook.sandbox"):
        assert other.get(f"{url}/v2/datacenters/{OTHER.alias}").status_code == 200
        assert other.get(f"{url}/v2/datacenters/{OTHER.alias}").status_code == 200
    assert mine.get(f"{url}/v2/datacenters/{ALIAS}").status_code == 200
    assert mine.get(url + queued.json()["href"]).json() == {"status": "failed"}
    job = queued.json()["id"]
    assert [(j["id"], j["outcome"], j["settled"]) for j in backend.job_ledger()] == [(job, "failed", True)]
    with backend.store.transaction() as db:  # the raising run was undone, the failed job's kept
        assert [tuple(r) for r in db.execute("SELECT * FROM broken_runs")] == [(job, "failed")]
    (logged,) = [r for r in caplog.records if "its effect raised" in r.getMessage()]
    assert job in logged.getMessage() and "breakDown" in logged.getMessage() and logged.exc_info


def test_a_status_read_that_settles_a_raising_effect_answers_failed(broken_sandbox):
    """Polls mode: the read that takes the job to its end settles it, and answers the settled outcome."""
    url, _ = broken_sandbox
    mine = _login(url)
    queued = mine.post(f"{url}/v2/broken/{ALIAS}").json()
    statuses = [mine.get(url + queued["href"]).json()["status"] for _ in range(4)]
    assert statuses == ["notStarted", "executing", "failed", "failed"]
