"""Session: one method per API operation, answering DataFrames, records, Jobs and JobSets.

``connect()`` builds one. Nothing here is global: every Session has its own settings, transport
(requests.Session, token, history) and, when it started one, its own embedded sandbox.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timezone
from numbers import Integral
from typing import Any

import pandas as pd

from . import curl, frames, group_names, reconcile, recording, runbook
from .config import Settings, resolve
from .deadline import Deadline
from .endpoints import FirewallMethods, LoadBalancerMethods, MonitoringMethods, NetworkMethods, PolicyMethods
from .errors import (
    ApiError,
    ClcError,
    ConfigurationError,
    MalformedResponseError,
    NotFoundError,
    OperationError,
    ServerError,
    TransportError,
    ValidationError,
)
from .jobs import Job, JobSet, not_queued_message
from .records import Capabilities, Credentials, Group, Server
from .transport import Transport

UUID = re.compile(r"^[0-9a-fA-F]{32}$")

# python name -> API operation (``POST /v2/operations/{alias}/servers/{operation}``)
POWER_OPERATIONS = {
    "power_on": "powerOn",
    "power_off": "powerOff",
    "shut_down": "shutDown",
    "reboot": "reboot",
    "reset": "reset",
    "pause": "pause",
    "archive": "archive",
    "start_maintenance": "startMaintenance",
    "stop_maintenance": "stopMaintenance",
}
_OPERATION_KEYS = {k.replace("_", ""): v for k, v in POWER_OPERATIONS.items()}
_KIND = {v: k for k, v in POWER_OPERATIONS.items()}

# update_server(**members): python name -> PATCH member
SERVER_MEMBERS = {
    "description": "description",
    "group_id": "groupId",
    "cpu": "cpu",
    "memory_gb": "memory",
    "disks": "disks",
    "custom_fields": "customFields",
    "password": "password",
}
SYNC_MEMBERS = {"description", "group_id", "custom_fields"}  # applied at once (204)
GROUP_MEMBERS = {
    "name": "name",
    "description": "description",
    "parent_id": "parentGroupId",
    "custom_fields": "customFields",
}


def connect(
    url: str | None = None,
    username: str | None = None,
    password: str | None = None,
    *,
    token: str | None = None,
    alias: str | None = None,
    location: str | None = None,
    timeout=(5, 30),
    sandbox=None,
    quiet: bool = False,
    **options,
) -> Session:
    """Open a Session: explicit arguments, else the environment, else the embedded sandbox.

    `sandbox` (a dict of ``Sandbox(...)`` options, or a running Sandbox) forces the embedded
    backend. Extra `options` are Settings fields (``retries``, ``backoff``, ``poll``, ``verify``,
    ...). Prints one line naming the backend unless `quiet`. Returns a logged-in Session.
    Raises ConfigurationError for incomplete settings or for an account given together with
    `sandbox` (the sandbox has its own), AuthenticationError for refused credentials.
    """
    if sandbox is not None:
        _refuse_account_with_sandbox(url=url, username=username, password=password, token=token, alias=alias)
    settings = None
    if sandbox is None:
        settings = resolve(
            url, username, password, token=token, alias=alias, location=location, timeout=timeout, **options
        )
    if settings is None:
        session = _embedded(sandbox, location=location, timeout=timeout, **options)
    else:
        session = Session(settings)
        if settings.has_credentials:
            session.login()
    if not quiet:
        print(session.describe())
    return session


def _refuse_account_with_sandbox(**account: str | None) -> None:
    """Raise ConfigurationError when an account is named although `sandbox=` asks for the embedded one."""
    given = [name for name, value in account.items() if value not in (None, "")]
    if given:
        named = ", ".join(f"{name}=" for name in given)
        raise ConfigurationError(
            f"connect() got both sandbox= and {named}: the embedded sandbox has its own account, so these "
            f"would be ignored. Drop sandbox= to use {account['url'] or 'that account'}, or drop {named} "
            "to use the embedded sandbox"
        )


def _embedded(sandbox, **settings_options) -> Session:
    """A Session on an embedded sandbox: a running one given, or a new one (then owned)."""
    owned = not hasattr(sandbox, "url")
    if owned:
        from .sandbox import Sandbox  # local import: the client never depends on the sandbox

        sandbox = Sandbox(**(sandbox or {}))
        sandbox.start()
    try:
        settings = resolve(sandbox.url, sandbox.username, sandbox.password, env={}, **settings_options)
        assert settings is not None  # a url and credentials were given: resolve() found an account
        session = Session(settings, sandbox=sandbox, backend="embedded sandbox", owns_sandbox=owned)
        session.login()
        return session
    except BaseException:
        if owned:
            sandbox.stop()
        raise


class Session(LoadBalancerMethods, FirewallMethods, MonitoringMethods, NetworkMethods, PolicyMethods):
    """A connection to one account. Use ``connect()`` to get one; close it (or use ``with``).

    Attributes: ``alias``, ``location`` (default data center), ``url``, ``username``, ``backend``
    ("embedded sandbox" or the URL), ``sandbox`` (the embedded Sandbox or None), ``settings``.
    """

    def __init__(self, settings: Settings, *, sandbox=None, backend: str | None = None, owns_sandbox: bool = False):
        self.settings = settings
        self._transport = Transport(settings)
        self.sandbox = sandbox
        self.backend = backend or settings.url
        self.url = settings.url
        self.username = settings.username
        self.alias = settings.alias
        self.location = settings.location
        self.roles: list[str] = []
        self._owns_sandbox = owns_sandbox
        self.closed = False

    # -- lifecycle -----------------------------------------------------------------------------

    @property
    def transport(self) -> Transport:
        """The HTTP transport every call goes through. Raises ClcError once the session is closed,
        so a closed session never goes on quietly (or fails with "connection refused")."""
        if self.closed:
            raise ClcError(
                f"this session ({self.username or 'token'}@{self.alias} via {self.backend}) is closed: "
                "open a new one with clc_notebook.connect()"
            )
        return self._transport

    @property
    def calls(self) -> int:
        """How many HTTP calls this session has made (also readable once it is closed)."""
        return self._transport.calls

    def login(self) -> Session:
        """Log in with the settings' username and password (again); returns self."""
        info = self.transport.login()
        self.alias = str(info.get("accountAlias") or self.alias or "").upper() or None
        self.location = self.settings.location or (str(info.get("locationAlias") or "").upper() or None)
        self.roles = list(info.get("roles") or [])
        return self

    def close(self) -> None:
        """Close the HTTP connections and stop the embedded sandbox this session started."""
        if self.closed:
            return
        self.closed = True
        self._transport.close()
        if self._owns_sandbox and self.sandbox is not None:
            self.sandbox.stop()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def describe(self) -> str:
        """The one line connect() prints: which backend, which user and account."""
        who = f"logged in as {self.username}" if self.username else "using a bearer token"
        where = "embedded sandbox" if self.backend == "embedded sandbox" else self.url
        dc = f", data center {self.location}" if self.location else ""
        return f"clc_notebook: {where}, {who} (account {self.alias}{dc})"

    def __repr__(self) -> str:
        state = " closed" if self.closed else ""
        return f"<Session {self.username or '(token)'}@{self.alias} {self.location or '-'} via {self.backend}{state}>"

    def _repr_html_(self) -> str:
        from .display import session_html

        return session_html(self)

    @property
    def history(self) -> pd.DataFrame:
        """Every HTTP attempt made, one row each (method, path, status, ms, attempt, error, body), secrets redacted."""
        return frames.history_frame(self._transport.history_records())

    def curl(self, base_url: str | None = None) -> list[str]:
        """One curl command per row of `history`, in order (curl.py): the token as ``$CLC_TOKEN``, the
        login password as ``$CLC_V2_API_PASSWD``, a server password as ``$CLC_SERVER_PASSWORD`` (in a
        password change, the current one as ``$CLC_SERVER_CURRENT_PASSWORD``).
        `base_url` replaces the session's URL (e.g. ``"$CLC_V2_API_URL"``, left for the shell)."""
        return curl.commands(self._transport.history_records(), base_url or self.url)

    def export_runbook(self, path, *, timeout: float = 600):
        """Write this session's changes as a papermill notebook that replays them (runbook.py); returns
        the path. Waits (at most `timeout` s) for jobs still running; raises JobTimeoutError if they do
        not end."""
        return runbook.export(self, path, timeout=timeout)

    # -- plumbing ------------------------------------------------------------------------------

    def _get(
        self,
        path: str,
        params: dict | None = None,
        what: str | None = None,
        *,
        deadline: Deadline | None = None,
        also_retry: tuple[int, ...] = (),
    ) -> Any:
        return self.transport.request(
            "GET", path, params=params, what=what, deadline=deadline, also_retry=also_retry
        ).data

    def _dc(self, dc: str | None) -> str:
        dc = dc or self.location
        if not dc:
            raise ConfigurationError(
                "no data center given and no default one: pass dc='WA1' (for example), "
                "location= to connect(), or set CLC_LOCATION"
            )
        return str(dc).upper()

    def _malformed(self, message: str) -> MalformedResponseError:
        return MalformedResponseError(self.transport.redactor.text(message)[:400])

    def request(self, method: str, path: str, json: Any = None, params: dict | None = None) -> Any:
        """Any API call (``{alias}`` in `path` is filled in); returns the parsed JSON or None.

        Raises the ApiError subclass of the answer's status, or TransportError.
        """
        path = path.replace("{alias}", str(self.alias))
        return self.transport.request(method, path, json=json, params=params).data

    # -- data centers ------------------------------------------------------------------------

    def datacenters(self) -> pd.DataFrame:
        """DataFrame (frames.DATACENTERS): the account's data centers and their root groups."""
        return frames.datacenters_frame(self._datacenter_list())

    def _datacenter_list(self) -> list:
        return self._get(f"/v2/datacenters/{self.alias}", {"groupLinks": "true"}, "list data centers") or []

    def datacenter(self, dc: str | None = None) -> dict:
        """One data center's JSON (with group links). Raises NotFoundError for an unknown one."""
        dc = self._dc(dc)
        return self._get(f"/v2/datacenters/{self.alias}/{dc}", {"groupLinks": "true"}, f"get data center {dc!r}")

    def root_group_id(self, dc: str | None = None) -> str:
        """The id of a data center's root ("{DC} Hardware") group."""
        dc = self._dc(dc)
        group = frames.link(self.datacenter(dc).get("links"), "group")
        if not group or not group.get("id"):
            raise NotFoundError(f"data center {dc!r} has no root group link", status=None)
        return group["id"]

    def capabilities(self, dc: str | None = None) -> Capabilities:
        """Deployment capabilities of `dc` (default: the session's location).

        Returns an object with ``.templates`` and ``.networks`` DataFrames and ``.raw``.
        """
        dc = self._dc(dc)
        raw = (
            self._get(
                f"/v2/datacenters/{self.alias}/{dc}/deploymentCapabilities",
                what=f"get deployment capabilities of {dc!r}",
            )
            or {}
        )
        return Capabilities(dc, frames.templates_frame(raw), frames.networks_frame(raw), raw)

    # -- groups --------------------------------------------------------------------------------

    def _root_ids(self, dc: str | None) -> list[str]:
        """Root group ids: of one data center, or of every data center of the account."""
        if dc is not None:
            return [self.root_group_id(dc)]
        ids = []
        for item in self._datacenter_list():
            group = frames.link(item.get("links"), "group")
            ids.append(group["id"] if group and group.get("id") else self.root_group_id(item["id"]))
        return ids

    def _group_json(self, group_id: str, detailed: bool = False) -> dict:
        params = {"serverDetail": "detailed"} if detailed else None
        return self._get(f"/v2/groups/{self.alias}/{group_id}", params, f"get group {group_id!r}") or {}

    def groups(self, dc: str | None = None) -> pd.DataFrame:
        """DataFrame (frames.GROUPS) of the group tree of `dc`, or of every data center.

        Each row has ``parent_id``, ``depth`` (0 = root) and ``path`` ("WA1 Hardware/Default
        Group"). Costs one request per data center (plus one to list them).
        """
        roots = [self._group_json(gid) for gid in self._root_ids(dc)]
        return frames.groups_frame(roots)

    def group(self, group_id: str) -> Group:
        """One group with its subtree; `group_id` may also be a name or a path (see resolve_group).

        Raises NotFoundError for an unknown group, ValidationError for an ambiguous name."""
        return Group(self._group_json(self.resolve_group(group_id)))

    def resolve_group(self, group: str, dc: str | None = None, *, field: str = "group") -> str:
        """The id of a group given by its id, its name or its path ("WA1 Hardware/Default Group").

        A 32-hex id is used as it is (no request). A name is looked up in `dc` (default: the
        session's data center), a path in `dc` or else in the whole account, ignoring case when
        nothing matches exactly. Raises ValidationError when a name fits several groups (each
        listed with its path and id) or `group` is not a string, NotFoundError (also a
        LookupError) when nothing fits: the message lists the groups there are.
        """
        return self._group_ref(group, dc, field=field, missing=NotFoundError)

    def _group_ref(self, group: Any, dc: str | None, *, field: str, missing: type[ApiError]) -> str:
        """resolve_group, raising `missing` when nothing fits: NotFoundError where the group is
        what is asked for, ValidationError where it is an argument of a change (as the API does)."""
        text = group_names.reference(group, field)
        if group_names.is_id(text):
            return text
        scope = dc if dc is not None else (None if group_names.is_path(text) else self.location)
        where = f"data center {str(scope).upper()}" if scope else "the account"
        return group_names.pick(self.groups(scope), text, where=where, field=field, missing=missing)

    def create_group(
        self, name: str, parent_id: str, description: str | None = None, custom_fields: list | None = None
    ) -> Group:
        """Create a group under `parent_id` (an id, a name or a path); returns the new Group (the
        API answers 201). Raises ValidationError for a refused or ambiguous parent."""
        _require(name=name, parent_id=parent_id)
        parent_id = self._group_ref(parent_id, None, field="parent_id", missing=ValidationError)
        body: dict[str, Any] = {"name": name, "parentGroupId": parent_id}
        if description is not None:
            body["description"] = description
        if custom_fields is not None:
            body["customFields"] = custom_fields
        data = self.transport.request("POST", f"/v2/groups/{self.alias}", json=body, what=f"create group {name!r}").data
        return Group(data or {})

    def update_group(self, group_id: str, **members) -> None:
        """Set `name`, `description`, `parent_id` and/or `custom_fields` (the API answers 204).

        `group_id` and `parent_id` may be ids, names or paths (see resolve_group)."""
        group_id = self.resolve_group(group_id)
        if "parent_id" in members:
            members["parent_id"] = self._group_ref(
                members["parent_id"], None, field="parent_id", missing=ValidationError
            )
        ops = _patch_ops(members, GROUP_MEMBERS, "update_group")
        # every group member is applied at once: sending it again after a lost answer is harmless
        self.transport.request(
            "PATCH", f"/v2/groups/{self.alias}/{group_id}", json=ops, repeatable=True, what=f"update group {group_id!r}"
        )

    def delete_group(self, group_id: str) -> Job:
        """Delete a group (an id, a name or a path) with every sub-group and server in it; returns its Job."""
        group_id = self.resolve_group(group_id)
        data = self.transport.request(
            "DELETE", f"/v2/groups/{self.alias}/{group_id}", what=f"delete group {group_id!r}"
        ).data
        return self._status_job(data, "delete_group", None, f"delete group {group_id}")

    # -- servers -------------------------------------------------------------------------------

    def servers(self, dc: str | None = None, group: str | None = None) -> pd.DataFrame:
        """DataFrame (frames.SERVERS): the servers of a group (with its sub-groups), of a data
        center, or of the whole account.

        Uses ``serverDetail=detailed`` on root groups: one request per data center (plus one to
        list them), whatever the number of servers. ``group_path`` starts at the group asked.
        `group` is an id, a name (looked up in `dc`, default the session's) or a path (see
        resolve_group).
        """
        if group is not None:
            roots = [self._group_json(self.resolve_group(group, dc), detailed=True)]
        else:
            roots = [self._group_json(gid, detailed=True) for gid in self._root_ids(dc)]
        return frames.servers_of_trees(roots)

    def server(self, id_or_uuid: str, *, deadline: Deadline | None = None) -> Server:
        """One server by id (``wa1aliasweb01``), by the 32-hex uuid of its create answer, or by
        that answer's ``self`` link (``/v2/servers/ALIAS/{uuid}?uuid=True``, followed as given).

        A uuid lookup is read again on 404 (within the transport's retries): CLC answers 404 for a
        short while after the create. `deadline` bounds the call, retries included. Raises
        NotFoundError for an unknown server.
        """
        key = str(id_or_uuid).strip()
        if not key:
            raise ValidationError("server id must not be empty", status=None, model_state={"id": ["must not be empty"]})
        path, what = f"/v2/servers/{self.alias}/{key}", f"get server {key!r}"
        params: dict | None = None
        retry: tuple[int, ...] = ()
        if key.lower().startswith("/v2/servers/"):  # a create answer's self link
            path, what, retry = key, f"get the server at {key!r}", (404,)
        elif UUID.fullmatch(key):
            params, what, retry = {"uuid": "true"}, f"get server with uuid {key!r}", (404,)
        return self._server_record(self._get(path, params, what, deadline=deadline, also_retry=retry))

    def _server_record(self, data: Any) -> Server:
        if not isinstance(data, dict):
            raise self._malformed(f"expected a server object, got {type(data).__name__}")
        return Server(data)

    def create_server(
        self,
        name: str,
        group_id: str,
        template: str,
        network_id: str | None = None,
        cpu: int | None = None,
        memory_gb: int | None = None,
        password: str | None = None,
        description: str = "",
        server_type: str = "standard",
        storage_type: str | None = None,
        managed_os: bool = False,
        **more,
    ) -> Job:
        """Queue a server build; returns its Job (``job.server()`` gives the new server).

        `group_id` is a group's id, name or path (see resolve_group); ``network=`` a network's id or
        name (in the group's data center), ``anti_affinity_policy_id=`` a policy's id or name
        (hyperscale servers). `storage_type` defaults to the one the server type takes (``hyperscale``
        for a hyperscale server, else ``standard``). `more` adds other Create Server fields (``primary_dns=``,
        ``additional_disks=``, ``ttl=``, ...; snake_case or the API's camelCase). Raises ValidationError (400, with the fields),
        OperationError if the API did not queue it. If the answer is lost on the way back, the
        server is looked up in the target group rather than created twice: the Job then follows
        the server's status (its ``id`` is None). To tell that server from an earlier one of the
        same name, the group's servers are listed first: one extra GET per create.
        """
        _require(name=name, group_id=group_id, template=template)
        group_id = self._group_ref(group_id, None, field="group_id", missing=ValidationError)
        body: dict[str, Any] = {
            "name": name,
            "description": description or "",
            "groupId": group_id,
            "sourceServerId": template,
            "isManagedOS": bool(managed_os),
            "type": server_type,
            "storageType": storage_type or ("hyperscale" if server_type == "hyperscale" else "standard"),
            "cpu": _whole(cpu, "cpu"),
            "memoryGB": _whole(memory_gb, "memoryGB"),
        }
        # endpoints/: a network and an anti-affinity policy may be given by name
        network_id = self._build_network(group_id, more.pop("network", None), network_id)
        if more.get("anti_affinity_policy_id") is not None:
            more["anti_affinity_policy_id"] = self._build_policy(more["anti_affinity_policy_id"])
        if network_id:
            body["networkId"] = network_id
        if password:
            self.transport.redactor.add(password)
            body["password"] = password
        for key, value in more.items():
            body[_camel(key)] = value
            if "password" in key.lower() and isinstance(value, str):
                self.transport.redactor.add(value)
        body = {k: v for k, v in body.items() if v is not None}
        what = f"create server {name!r} in group {group_id!r}"
        # one GET before the POST: the servers already in the group can never be taken for the
        # one a create with a lost answer made (same name, created within reconcile.CLOCK_SLACK)
        existing = reconcile.group_server_ids(self, group_id)
        for _round in range(2):
            started = datetime.now(timezone.utc)
            try:
                data = self.transport.request("POST", f"/v2/servers/{self.alias}", json=body, what=what).data
            except (TransportError, ServerError) as exc:
                if not reconcile.maybe_applied(exc):
                    raise
                found = reconcile.find_created(self, name, group_id, description or "", started, existing)
                if found is not None:
                    return Job(
                        self,
                        None,
                        kind="create",
                        server_id=found["id"],
                        name=f"create {found['name'] or name}",
                        follow=reconcile.Follow("create"),
                    )
                continue  # verified absent: sending it again cannot duplicate it
            return self._create_job(data, name)
        raise TransportError(
            f"{what}: no answer twice and no such server in the group; nothing was created",
            method="POST",
            path=f"/v2/servers/{self.alias}",
        )

    def _create_job(self, data: Any, name: str) -> Job:
        if not isinstance(data, dict):
            raise self._malformed(f"create server {name!r}: unexpected answer {data!r}")
        _raise_if_not_queued(data, name, "create")
        status = frames.link(data.get("links"), "status") or {}
        if not status.get("id"):
            raise self._malformed(f"create server {name!r}: no status link in {data!r}")
        me = frames.link(data.get("links"), "self") or {}
        return Job(self, status["id"], kind="create", name=f"create {name}", self_href=me.get("href"))

    def update_server(self, server_id: str, **members) -> Job | None:
        """Change a server: ``description``, ``group_id``, ``custom_fields`` (applied at once:
        returns None) and ``cpu``, ``memory_gb``, ``disks``, ``password`` (queued: returns a Job).
        ``group_id`` may be a group's id, name or path (see resolve_group).

        For ``password``, ``current_password=`` may be given; otherwise it is read from the
        server's credentials. Raises ValidationError for an unknown member or a refused value.
        If the answer to a cpu / memory change is lost, the returned Job (``id`` None) follows
        the server until it shows the new values, for at most ``job.watch_limit`` seconds
        (``reconcile.WATCH_LIMIT``, 3 s): then it ends failed (``wait()`` raises JobFailedError saying
        the change is not confirmed, what the server shows, and that calling again is safe), as
        the PATCH may never have been processed. Sync-only changes are simply sent again.
        """
        current = members.pop("current_password", None)
        if "password" in members:
            new = members["password"]
            if not isinstance(new, dict):
                if current is None:
                    current = self.credentials(server_id).password
                self.transport.redactor.add(new, current)
                members["password"] = {"current": current, "password": new}
        if "cpu" in members:
            members["cpu"] = _whole(members["cpu"], "cpu")
        if "memory_gb" in members:
            members["memory_gb"] = _whole(members["memory_gb"], "memory")
        if "group_id" in members:
            members["group_id"] = self._group_ref(members["group_id"], None, field="group_id", missing=ValidationError)
        ops = _patch_ops(members, SERVER_MEMBERS, "update_server")
        queued = set(members) - SYNC_MEMBERS
        what = f"update server {server_id!r}"
        try:
            reply = self.transport.request(
                "PATCH", f"/v2/servers/{self.alias}/{server_id}", json=ops, repeatable=not queued, what=what
            )
        except (TransportError, ServerError) as exc:
            follow = reconcile.update_follow({k: members[k] for k in queued})
            if not reconcile.maybe_applied(exc) or follow is None:
                raise
            # the answer (and its status id) is lost: follow the change on the server itself
            return Job(self, None, kind="update", server_id=server_id, name=f"update {server_id}", follow=follow)
        if reply.data is None:
            return None
        return self._status_job(reply.data, "update", server_id, f"update {server_id}")

    def delete_server(self, server_id: str) -> Job:
        """Queue the deletion of a server; returns its Job. Raises NotFoundError if unknown.

        If the answer is lost, the server is read: gone or queued for deletion gives a Job (``id``
        None) that ends when the server is gone; still there means the DELETE is sent again.
        """
        what = f"delete server {server_id!r}"
        for _round in range(2):
            try:
                data = self.transport.request("DELETE", f"/v2/servers/{self.alias}/{server_id}", what=what).data
                break
            except (TransportError, ServerError) as exc:
                if not reconcile.maybe_applied(exc):
                    raise
                # the answer is lost: the server shows whether the delete took effect
                if reconcile.delete_took_effect(self, server_id):
                    follow = reconcile.Follow("delete")
                    return Job(
                        self, None, kind="delete", server_id=server_id, name=f"delete {server_id}", follow=follow
                    )
        else:
            raise TransportError(
                f"{what}: no answer twice and the server is still there",
                method="DELETE",
                path=f"/v2/servers/{self.alias}/{server_id}",
            )
        _raise_if_not_queued(data, server_id, "delete")
        return self._status_job(data, "delete", server_id, f"delete {server_id}")

    def _status_job(self, data: Any, kind: str, server_id: str | None, name: str) -> Job:
        """A Job from any answer carrying a status link (bare link or object with links)."""
        link = None
        if isinstance(data, dict):
            link = data if str(data.get("rel", "")).lower() == "status" else frames.link(data.get("links"), "status")
        if not link or not link.get("id"):
            raise self._malformed(f"{name}: the answer has no status link: {data!r}")
        return Job(self, link["id"], kind=kind, server_id=server_id, name=name)

    # -- power and other operations -------------------------------------------------------------

    def power(self, operation: str, server_ids) -> JobSet:
        """Run a power operation (``reboot``, ``power_on``, ``shutDown``, ...) on servers.

        `server_ids`: one id, a list, a Server, or a DataFrame with an ``id`` column. Returns a
        JobSet (``not_queued`` lists refused servers). Raises OperationError if every server was
        refused, ValidationError for an unknown operation or an empty list.
        """
        op = _OPERATION_KEYS.get(str(operation).replace("_", "").lower())
        if op is None:
            raise ValidationError(
                f"unknown operation {operation!r}; expected one of {', '.join(POWER_OPERATIONS)}",
                status=None,
                model_state={"operation": [f"unknown: {operation!r}"]},
            )
        ids = _ids(server_ids)
        kind = _KIND[op]
        try:
            data = self.transport.request(
                "POST", f"/v2/operations/{self.alias}/servers/{op}", json=ids, what=f"{kind} {', '.join(ids)}"
            ).data
        except ValidationError as exc:
            if not isinstance(exc.body, list):  # a refusal may come as 400 with the item list
                raise
            data = exc.body
        if not isinstance(data, list):
            raise self._malformed(f"{kind}: expected a list of per-server results, got {data!r}")
        jobs, refused = [], []
        for item in data:
            entry = item if isinstance(item, dict) else {}  # a malformed item counts as refused
            link = frames.link(entry.get("links"), "status")
            if entry.get("isQueued") and link and link.get("id"):
                sid = entry.get("server")
                jobs.append(Job(self, link["id"], kind=kind, server_id=sid, name=f"{kind} {sid}"))
            else:
                refused.append({"server": entry.get("server"), "errorMessage": entry.get("errorMessage")})
        # Production answers the items in no particular order: put them back in the request's.
        order = {str(sid).lower(): n for n, sid in enumerate(ids)}
        jobs.sort(key=lambda job: order.get(str(job.server_id).lower(), len(order)))
        refused.sort(key=lambda item: order.get(str(item["server"]).lower(), len(order)))
        if not jobs:
            raise OperationError(not_queued_message(kind, refused), items=refused, operation=kind)
        return JobSet(jobs, not_queued=refused, operation=kind)

    def power_on(self, server_ids) -> JobSet:
        """``power("powerOn", server_ids)``: returns the JobSet; raises as ``power()`` does."""
        return self.power("powerOn", server_ids)

    def power_off(self, server_ids) -> JobSet:
        """``power("powerOff", server_ids)``: returns the JobSet; raises as ``power()`` does."""
        return self.power("powerOff", server_ids)

    def shut_down(self, server_ids) -> JobSet:
        """``power("shutDown", server_ids)``: returns the JobSet; raises as ``power()`` does."""
        return self.power("shutDown", server_ids)

    def reboot(self, server_ids) -> JobSet:
        """``power("reboot", server_ids)``: returns the JobSet; raises as ``power()`` does."""
        return self.power("reboot", server_ids)

    def reset(self, server_ids) -> JobSet:
        """``power("reset", server_ids)``: returns the JobSet; raises as ``power()`` does."""
        return self.power("reset", server_ids)

    def pause(self, server_ids) -> JobSet:
        """``power("pause", server_ids)``: returns the JobSet; raises as ``power()`` does."""
        return self.power("pause", server_ids)

    def archive(self, server_ids) -> JobSet:
        """``power("archive", server_ids)``: returns the JobSet; raises as ``power()`` does."""
        return self.power("archive", server_ids)

    def start_maintenance(self, server_ids) -> JobSet:
        """``power("startMaintenance", server_ids)``: returns the JobSet; raises as ``power()`` does."""
        return self.power("startMaintenance", server_ids)

    def stop_maintenance(self, server_ids) -> JobSet:
        """``power("stopMaintenance", server_ids)``: returns the JobSet; raises as ``power()`` does."""
        return self.power("stopMaintenance", server_ids)

    def job(self, status_id: str) -> Job:
        """A Job for a known status id (``wa1-12``); nothing is read until status()/wait()."""
        if not status_id or not isinstance(status_id, str):
            raise ValidationError(
                "status id must be a non-empty string like 'wa1-12'",
                status=None,
                model_state={"status_id": ["required"]},
            )
        return Job(self, status_id, kind="job", name=f"job {status_id}")

    def job_status(self, status_id: str, *, deadline: Deadline | None = None) -> str:
        """One read of ``GET /v2/operations/{alias}/status/{id}``: the job's status (``notStarted``,
        ``executing``, ``resumed``, ``succeeded``, ``failed``, ...).

        A 5xx or lost answer is read again by the transport (500 included: a status is never
        guessed); `deadline` bounds the read and its retries. Raises ServerError / TransportError
        when every attempt failed (ClcTimeoutError when the deadline passed first),
        MalformedResponseError when the answer has no ``status``.
        """
        path = f"/v2/operations/{self.alias}/status/{status_id}"
        what = f"read status of job {status_id}"
        reply = self.transport.request("GET", path, what=what, deadline=deadline, also_retry=(500,))
        data = reply.data
        if not isinstance(data, dict) or not isinstance(data.get("status"), str):
            # redacted like every other error text: the body is whatever the endpoint sent
            message = self.transport.redactor.text(
                f"{what}: GET {path} answered {reply.status} without a status: {data!r}"
            )
            raise MalformedResponseError(message[:400], method="GET", path=path)
        return data["status"]

    # -- credentials, public IPs, custom fields -------------------------------------------------

    def credentials(self, server_id: str) -> Credentials:
        """The server's administrator user and password (the password never shows in a repr)."""
        data = (
            self._get(
                f"/v2/servers/{self.alias}/{server_id}/credentials", what=f"get credentials of server {server_id!r}"
            )
            or {}
        )
        password = data.get("password") or ""
        self.transport.redactor.add(password)
        return Credentials(data.get("userName") or data.get("username") or "", password)

    def add_public_ip(self, server_id: str, ports, internal_ip: str | None = None, source_restrictions=None) -> Job:
        """Map a public IP to the server with these open `ports` (80, ("udp", 53),
        ("tcp", 8080, 8081) or the API's dicts); returns the Job."""
        body: dict[str, Any] = {"ports": _ports(ports)}
        if internal_ip:
            body["internalIPAddress"] = internal_ip
        if source_restrictions is not None:
            body["sourceRestrictions"] = _cidrs(source_restrictions)
        data = self.transport.request(
            "POST",
            f"/v2/servers/{self.alias}/{server_id}/publicIPAddresses",
            json=body,
            what=f"add a public IP to server {server_id!r}",
        ).data
        return self._status_job(data, "add_public_ip", server_id, f"add public IP {server_id}")

    def public_ip(self, server_id: str, ip: str) -> dict:
        """One public IP's JSON: internalIPAddress, ports, sourceRestrictions."""
        return (
            self._get(
                f"/v2/servers/{self.alias}/{server_id}/publicIPAddresses/{ip}",
                what=f"get public IP {ip} of server {server_id!r}",
            )
            or {}
        )

    def public_ips(self, server_id: str) -> list[str]:
        """The server's public IPs (there is no list endpoint: read from the server)."""
        return [
            i["public"]
            for i in (self.server(server_id).get("details") or {}).get("ipAddresses") or []
            if isinstance(i, dict) and i.get("public")
        ]

    def update_public_ip(self, server_id: str, ip: str, ports, source_restrictions=None) -> Job:
        """Replace a public IP's ports (and source restrictions); returns the Job."""
        body: dict[str, Any] = {"ports": _ports(ports)}
        if source_restrictions is not None:
            body["sourceRestrictions"] = _cidrs(source_restrictions)
        data = self.transport.request(
            "PUT",
            f"/v2/servers/{self.alias}/{server_id}/publicIPAddresses/{ip}",
            json=body,
            what=f"update public IP {ip} of server {server_id!r}",
        ).data
        return self._status_job(data, "update_public_ip", server_id, f"update public IP {ip}")

    def delete_public_ip(self, server_id: str, ip: str) -> Job:
        """Remove a public IP from the server; returns the Job."""
        data = self.transport.request(
            "DELETE",
            f"/v2/servers/{self.alias}/{server_id}/publicIPAddresses/{ip}",
            what=f"remove public IP {ip} of server {server_id!r}",
        ).data
        return self._status_job(data, "delete_public_ip", server_id, f"remove public IP {ip}")

    def custom_fields(self) -> pd.DataFrame:
        """DataFrame (frames.CUSTOM_FIELDS) of the account's custom fields."""
        raw = self._get(f"/v2/accounts/{self.alias}/customFields", what="list custom fields")
        return frames.custom_fields_frame(raw or [])


# every change call (create, update, delete, power, groups, public IPs, ...) is recorded for export_runbook
recording.install(Session)


# -- argument helpers ----------------------------------------------------------------------------


def _invalid(field: str, rule: str) -> ValidationError:
    return ValidationError(f"{field}: {rule}", status=None, model_state={field: [rule]})


def _require(**values) -> None:
    for field, value in values.items():
        if value is None or (isinstance(value, str) and not value.strip()):
            raise _invalid(field, "is required")


def _whole(value, field: str):
    """An integer from 4, "4" or 4.0; None stays None (the API then names what is missing)."""
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise _invalid(field, f"must be a whole number, got {value!r}") from None
    if not number.is_integer() or isinstance(value, bool):
        raise _invalid(field, f"must be a whole number, got {value!r}")
    return int(number)


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


def _patch_ops(members: dict, allowed: dict[str, str], caller: str) -> list[dict]:
    if not members:
        raise _invalid("members", f"{caller} needs at least one of {', '.join(allowed)}")
    unknown = [m for m in members if m not in allowed]
    if unknown:
        raise _invalid(unknown[0], f"{caller} cannot set {unknown[0]!r}; it can set {', '.join(allowed)}")
    return [{"op": "set", "member": allowed[k], "value": v} for k, v in members.items()]


def _ids(server_ids) -> list[str]:
    if isinstance(server_ids, pd.DataFrame):
        if "id" not in server_ids.columns:
            raise _invalid("server_ids", "a DataFrame needs an 'id' column")
        server_ids = server_ids["id"].tolist()
    elif isinstance(server_ids, (str, Server)):
        server_ids = [server_ids]
    ids = []
    for item in server_ids if isinstance(server_ids, Iterable) else [server_ids]:
        sid = item.get("id") if isinstance(item, dict) else item
        if not isinstance(sid, str) or not sid.strip():
            raise _invalid("server_ids", f"every server id must be a non-empty string, got {sid!r}")
        ids.append(sid.strip())
    if not ids:
        raise _invalid("server_ids", "at least one server id is required")
    return ids


def _ports(ports) -> list[dict]:
    if isinstance(ports, (int, str, dict, tuple)):
        ports = [ports]
    out = []
    for p in ports if isinstance(ports, Iterable) else [ports]:
        if isinstance(p, dict):
            out.append(p)
        elif (isinstance(p, int) and not isinstance(p, bool)) or (isinstance(p, str) and p.isdigit()):
            out.append({"protocol": "TCP", "port": int(p)})
        elif (
            isinstance(p, (tuple, list))
            and len(p) in (2, 3)
            and all(isinstance(n, Integral) or (isinstance(n, str) and n.isdigit()) for n in p[1:])
        ):
            entry = {"protocol": str(p[0]).upper(), "port": int(p[1])}
            if len(p) == 3:
                entry["portTo"] = int(p[2])
            out.append(entry)
        else:
            raise _invalid("ports", f"each port is a number, (protocol, port[, port_to]) or a dict; got {p!r}")
    if not out:
        raise _invalid("ports", "at least one port is required")
    return out


def _cidrs(restrictions) -> list[dict]:
    if isinstance(restrictions, str):
        restrictions = [restrictions]
    return [r if isinstance(r, dict) else {"cidr": str(r)} for r in restrictions]


def _raise_if_not_queued(data: Any, server: str, operation: str) -> None:
    """Raise OperationError when a single-server answer says ``isQueued: false``."""
    if isinstance(data, dict) and not data.get("isQueued", True):
        item = {"server": data.get("server") or server, "errorMessage": data.get("errorMessage")}
        raise OperationError(not_queued_message(operation, [item]), items=[item], operation=operation)
