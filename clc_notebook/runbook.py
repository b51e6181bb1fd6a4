"""A session's changes as a papermill runbook: what `Session.export_runbook(path)` writes.

The source is the session's change record (`recording.ChangeLog`): creates, updates, power operations,
deletes, group and public-IP changes (and the other families' changes), in the order they were made;
reads are left out. The notebook written here:

* a first code cell tagged ``parameters``: ``url``, ``username``, ``password`` (None: the environment,
  else the embedded sandbox, as ``clc.connect()`` does), ``dc``, ``timeout``, and one parameter per
  value worth changing: each new server's and group's name, each group, network, anti-affinity
  policy and server the session found in the account (a group by its name, or its path where the
  name is not unique; a network by its name in ``dc``; a policy by its name), resolved to ids at
  run time, so that the runbook runs in another data center or account;
* one cell per change, each waiting on its job. An id the original session got from the API (a new
  server's, group's, public IP's, network's, policy's) is never copied: the cell that creates it keeps
  what the API answers in a variable (``server_1_id``), and later cells use that variable;
* a change that failed in the original session (the call raised, or its job failed) is not replayed:
  a note says what it was and how it failed. A power operation is replayed on the servers whose job
  succeeded (matched by server id, never by position); the refused ones are named in the note. A raw
  ``s.request()`` that is not a GET is a note too ("not replayed: raw request"): its effect is unknown;
* a last cell, `check_state`, compares what the run reached with what the session had at export time
  (each server's name, cpu, memory, description, power state and group; each new group's name,
  description and parent; what was deleted is gone) and fails the run when anything differs.

No password or token is written: a server password the session set is read, at run time, from the
``server_password`` parameter or ``$CLC_SERVER_PASSWORD``. The title tells to give the login password
in ``$CLC_V2_API_PASSWD`` rather than with ``-p password`` (papermill stores parameters in its output).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd

from . import group_names
from .config import ENV_PASSWORD, ENV_SERVER_PASSWORD
from .endpoints.base import HEX_ID
from .errors import ClcError, NotFoundError
from .jobs import Job, JobSet
from .recording import POWER_METHODS, SECRET, Change, Code, code_text, literal, log_of, without_defaults

SERVER_PASSWORD_VARIABLE = ENV_SERVER_PASSWORD
# update_server members that the API applies at once (answer 204, no job)
ASYNC_RESULTS = (Job, JobSet)


def export(session: Any, path: str | Path, *, timeout: float = 600) -> Path:
    """Write the runbook of `session`'s changes to `path` (a .ipynb); returns the path.

    Jobs still running are waited for first (at most `timeout` s), so each change's outcome is known.
    Raises JobTimeoutError when they do not end in time, ClcError when the session is closed.
    """
    changes = list(log_of(session))
    running = [job for change in changes for job in change.jobs if not job.done]
    if running:
        JobSet(running).wait(timeout=timeout, raise_on_failure=False)
    notebook = _Writer(session, changes).notebook()
    target = Path(path)
    target.write_text(json.dumps(notebook, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return target


@dataclass
class _Param:
    name: str
    value: Any
    comment: str = ""


@dataclass
class _Step:
    """One replayed change: its code, or (not replayed) a note."""

    code: str | None
    note: str | None = None


@dataclass
class _Writer:
    session: Any
    changes: list[Change]
    params: list[_Param] = field(default_factory=list)
    setup: list[str] = field(default_factory=list)  # lines resolving the account's groups by name
    steps: list[_Step] = field(default_factory=list)
    servers: dict[str, str] = field(default_factory=dict)  # server id (lower) -> variable holding it
    groups: dict[str, str] = field(default_factory=dict)  # group id (lower) -> variable holding it
    created_servers: list[tuple[str, str]] = field(default_factory=list)  # (id, name parameter)
    created_groups: list[tuple[str, str]] = field(default_factory=list)  # (id, name parameter)
    found_servers: list[str] = field(default_factory=list)  # ids of servers the session found
    networks: dict[str, str] = field(default_factory=dict)  # an account network's id (lower) -> variable
    policies: dict[str, str] = field(default_factory=dict)  # an account policy's id (lower) -> variable
    group_by_name: dict[str, str] = field(default_factory=dict)  # a new group's name (casefold) -> id
    others: dict[str, str] = field(default_factory=dict)  # any other new id (lower) -> variable
    # (server id, private address) -> the variable holding it: an address a public IP's add claimed
    addresses: dict[tuple[str, str], str] = field(default_factory=dict)
    _addresses_now: dict[str, list[dict]] = field(default_factory=dict)  # server id -> its ipAddresses
    counters: dict[str, int] = field(default_factory=dict)
    uses_password: bool = False
    _account_groups: pd.DataFrame | None = None
    _network_choices: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # dc -> (name, id)
    _account_policies: pd.DataFrame | None = None
    # what the session renamed (a network, a policy): (kind, id) -> its name until then, and back
    first_names: dict[tuple[str, str], str] = field(default_factory=dict)
    former_names: dict[tuple[str, str], str] = field(default_factory=dict)

    # -- the notebook ------------------------------------------------------------------------------

    def notebook(self) -> dict:
        self.dc = str(self.session.location or "")
        for change in self.changes:  # an account's network or policy is named as it was before a rename
            kind = RENAMES.get(change.method)
            if kind and change.before.get("id") and change.before.get("name"):
                self.first_names.setdefault((kind, change.before["id"]), change.before["name"])
                self.former_names.setdefault((kind, change.before["name"].casefold()), change.before["id"])
        for change in self.changes:
            self.steps.append(self._step(change))
        check = self._check_cell()  # may add parameters (groups the servers are in)
        cells = [_markdown(self._title())]
        cells.append(_code(self._parameters(), tags=["parameters"]))
        cells.append(_code(self._connect()))
        for number, step in enumerate(self.steps, 1):
            if step.note:
                cells.append(_markdown(f"**{number}.** {step.note}"))
            if step.code:
                cells.append(_code(step.code))
        cells.append(_markdown("The state this run reached, compared with the recorded session's:"))
        cells.append(_code(check))
        for i, cell in enumerate(cells):
            cell["id"] = f"cell-{i}"
        return {
            "cells": cells,
            "metadata": {
                "kernelspec": {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"},
                "language_info": {"name": "python"},
            },
            "nbformat": 4,
            "nbformat_minor": 5,
        }

    def _title(self) -> str:
        replayed = sum(1 for step in self.steps if step.code)
        skipped = len(self.steps) - replayed
        extra = f", {skipped} not replayed (a note says why)" if skipped else ""
        return (
            "# Runbook: the changes of a clc_notebook session\n\n"
            f"Written by `Session.export_runbook()`: {len(self.steps)} change(s) in the order they were made"
            f"{extra}; each step waits for its job. Run it with papermill, the password in the environment "
            f"(`password` left `None` reads `{ENV_PASSWORD}`):\n\n"
            f"    read -rs {ENV_PASSWORD} && export {ENV_PASSWORD}\n"
            "    papermill runbook.ipynb out.ipynb -p url URL -p username USER\n\n"
            "Do not pass `-p password`: papermill writes every parameter into the output notebook (its "
            "injected-parameters cell), so the password would be stored in `out.ipynb`. The same goes for "
            f"`server_password` (leave it `None` and set `{SERVER_PASSWORD_VARIABLE}`). "
            "Without `url`, the environment (`CLC_V2_API_URL`, ...) is used, else the embedded sandbox. "
            "The last cell fails the run when the state reached differs from the recorded one."
        )

    def _parameters(self) -> str:
        lines = [
            "# Parameters (papermill -p NAME VALUE). url, username, password: None takes the environment",
            "# (CLC_V2_API_URL, ...), else the embedded sandbox, as clc.connect() does. Leave password None",
            f"# and set {ENV_PASSWORD}: papermill writes a -p value into its output notebook.",
            "url = None",
            "username = None",
            "password = None",
            f"dc = {literal(self.dc)}  # the data center the groups and networks below are looked up in",
            "timeout = 600  # seconds each step may wait for its job",
            "poll = None  # seconds between two status reads (None: the client's growing interval)",
        ]
        if self.uses_password:
            lines.append(f"server_password = None  # None: ${SERVER_PASSWORD_VARIABLE}, else the platform's own")
        for param in self.params:
            comment = f"  # {param.comment}" if param.comment else ""
            lines.append(f"{param.name} = {literal(param.value)}{comment}")
        return "\n".join(lines)

    def _connect(self) -> str:
        lines = ["import clc_notebook as clc"]
        if self.uses_password:
            lines.insert(0, "import os")
        lines += ["", "s = clc.connect(url, username, password)"]
        if self.uses_password:
            lines.append(f'server_password = server_password or os.environ.get("{SERVER_PASSWORD_VARIABLE}")')
        if self.setup:
            lines += ["", "# what of the account this runbook uses, by name"] + self.setup
        return "\n".join(lines)

    # -- names for ids -------------------------------------------------------------------------------

    def _next(self, kind: str) -> int:
        self.counters[kind] = self.counters.get(kind, 0) + 1
        return self.counters[kind]

    def _param(self, name: str, value: Any, comment: str = "") -> Code:
        self.params.append(_Param(name, value, comment))
        return Code(name)

    def _groups_frame(self) -> pd.DataFrame:
        if self._account_groups is None:
            self._account_groups = self.session.groups()
        return self._account_groups

    def group(self, reference: Any) -> Code:
        """The variable holding a group: a new one's, or the account's (a parameter, looked up by name)."""
        text = str(reference).strip()
        if group_names.is_id(text) and text.lower() in self.groups:
            return Code(self.groups[text.lower()])
        if not group_names.is_id(text):
            made = self.group_by_name.get(text.split("/")[-1].strip().casefold())
            if made is not None:
                return Code(self.groups[made])
        frame = self._groups_frame()
        found = self._find_group(frame, text)
        if found is not None and found["id"].lower() in self.groups:
            return Code(self.groups[found["id"].lower()])
        number = self._next("group")
        variable = f"group_{number}_id"
        if found is None:  # not in the account any more (deleted by the session): the reference as given
            value, comment = text, "as the recorded session named it"
        else:
            same_dc = frame[frame["location"].astype(str).str.upper() == str(found["location"]).upper()]
            unique = (same_dc["name"].astype(str).str.casefold() == str(found["name"]).casefold()).sum() == 1
            in_dc = str(found["location"]).upper() == self.dc.upper()
            value = found["name"] if unique and in_dc else found["path"]
            comment = "a group of the account: its name in dc (or its path)"
            self.groups[found["id"].lower()] = variable
        self._param(f"group_{number}", value, comment)
        self.setup.append(f"{variable} = s.resolve_group(group_{number}, dc)")
        return Code(variable)

    def _find_group(self, frame: pd.DataFrame, text: str) -> dict | None:
        if group_names.is_id(text):
            rows = frame[frame["id"].astype(str).str.lower() == text.lower()]
            return rows.iloc[0].to_dict() if len(rows) else None
        in_dc = frame if group_names.is_path(text) else frame[frame["location"].astype(str).str.upper() == self.dc]
        try:
            found = group_names.pick(in_dc, text, where="the account", field="group", missing=NotFoundError)
        except ClcError:
            return None
        return frame[frame["id"] == found].iloc[0].to_dict()

    def server(self, reference: Any) -> Code:
        """The variable holding a server: a new one's, or one of the account (a parameter)."""
        server_id = str(reference).strip().lower()
        if server_id not in self.servers:
            number = self._next("server")
            self.servers[server_id] = self._param(f"server_{number}_id", server_id, "a server of the account")
            self.found_servers.append(server_id)
        return Code(self.servers[server_id])

    def network(self, reference: Any) -> Any:
        """The variable holding a network: a claimed one's, or the account's (a parameter: its name,
        resolved in `dc` at run time). A network no longer in the account stays as given."""
        text = str(reference).strip()
        for table in (self.others, self.networks):
            if text.lower() in table:
                return Code(table[text.lower()])
        former = self.former_names.get(("network", text.casefold()))
        found = self._find_network(former or text)
        if found is None:
            return reference
        dc, name, network_id = found
        name = self.first_names.get(("network", network_id), name)
        for table in (self.others, self.networks):  # a name of a network already named
            if network_id in table:
                return Code(table[network_id])
        number = self._next("network")
        variable = f"network_{number}_id"
        self.networks[network_id] = variable
        unique = not any(n.casefold() == name.casefold() and i.lower() != network_id for n, i in self._networks_in(dc))
        in_dc = dc.upper() == self.dc.upper()
        if unique:
            value, comment = name, "a network of the account: its name in " + ("dc" if in_dc else dc)
        else:  # the id is the only unambiguous reference
            value, comment = network_id, f"a network of the account (its name is not unique in {dc})"
        self._param(f"network_{number}", value, comment)
        where = "dc" if in_dc else literal(dc)
        self.setup.append(f"{variable} = s.resolve_network(network_{number}, {where})")
        return Code(variable)

    def _networks_in(self, dc: str) -> list[tuple[str, str]]:
        if dc not in self._network_choices:
            try:
                self._network_choices[dc] = self.session.network_choices(dc)
            except ClcError:
                self._network_choices[dc] = []
        return self._network_choices[dc]

    def _find_network(self, text: str) -> tuple[str, str, str] | None:
        """(data center, name, id) of the account's network `text` (an id, or a name), looked for in
        `dc` first, then in the other data centers."""
        by_id = bool(HEX_ID.fullmatch(text))
        for dc in self._datacenters():
            for name, network_id in self._networks_in(dc):
                if (network_id.lower() == text.lower()) if by_id else (name.casefold() == text.casefold()):
                    return dc, name, network_id.lower()
        return None

    def _datacenters(self) -> Iterator[str]:
        yield self.dc
        try:
            listed = [str(dc) for dc in self.session.datacenters()["id"]]
        except ClcError:
            listed = []
        yield from (dc for dc in listed if dc.upper() != self.dc.upper())

    def anti_affinity_policy(self, reference: Any) -> Any:
        """The variable holding an anti-affinity policy: a new one's, or the account's (a parameter:
        its name, resolved at run time). A policy no longer in the account stays as given."""
        text = str(reference).strip()
        for table in (self.others, self.policies):
            if text.lower() in table:
                return Code(table[text.lower()])
        if self._account_policies is None:
            self._account_policies = self.session.anti_affinity_policies()
        frame = self._account_policies
        text = self.former_names.get(("anti_affinity_policy", text.casefold()), text)
        by_id = bool(HEX_ID.fullmatch(text))
        column = frame["id"].astype(str).str.lower() if by_id else frame["name"].astype(str).str.casefold()
        rows = frame[column == (text.lower() if by_id else text.casefold())]
        if len(rows) != 1:
            return reference
        policy_id = str(rows.iloc[0]["id"]).lower()
        name = self.first_names.get(("anti_affinity_policy", policy_id), str(rows.iloc[0]["name"]))
        for table in (self.others, self.policies):
            if policy_id in table:
                return Code(table[policy_id])
        number = self._next("anti_affinity_policy")
        variable = f"anti_affinity_policy_{number}_id"
        self.policies[policy_id] = variable
        others = frame[frame["id"].astype(str).str.lower() != policy_id]
        unique = not (others["name"].astype(str).str.casefold() == name.casefold()).any()
        if unique:
            value, comment = name, "an anti-affinity policy of the account: its name"
        else:  # the id is the only unambiguous reference
            value, comment = policy_id, "an anti-affinity policy of the account (its name is not unique)"
        self._param(f"anti_affinity_policy_{number}", value, comment)
        self.setup.append(f"{variable} = s.resolve_anti_affinity_policy(anti_affinity_policy_{number})")
        return Code(variable)

    def value(self, value: Any) -> Any:
        """An argument with every id the session learnt replaced by the variable holding it."""
        if isinstance(value, str):
            key = value.strip().lower()
            for table in (self.servers, self.groups, self.others):
                if key in table:
                    return Code(table[key])
            return value
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if isinstance(value, dict):
            return {k: self.value(v) for k, v in value.items()}
        return value

    def secret(self, name: str) -> Code:
        self.uses_password = True
        return Code("server_password")

    # -- one step per change -------------------------------------------------------------------------

    def _step(self, change: Change) -> _Step:
        if change.failed:
            how = change.outcome if change.error else "its job failed"
            return _Step(None, f"Not replayed: `{_plain_call(change)}` failed in the recorded session ({how}).")
        method = getattr(self.session, change.method, None)
        if method is not None:  # arguments equal to the method's defaults say nothing: left out
            change = replace(change, arguments=without_defaults(method, change.arguments))
        handler = getattr(self, f"_{change.method}", None)
        if handler is None and change.method in POWER_METHODS:
            handler = self._power
        return handler(change) if handler is not None else self._generic(change)

    def _create_server(self, change: Change) -> _Step:
        job = change.result
        server_id = job.server_id if isinstance(job, Job) else None
        if not server_id:
            return _Step(None, f"Not replayed: `{_plain_call(change)}` built a server whose id is unknown.")
        args = dict(change.arguments)
        number = self._next("server")
        name = self._param(f"server_{number}_name", args.pop("name"), "the new server's short name")
        group = self.group(args.pop("group_id"))
        rest = self._arguments(args, drop=("current_password",))
        variable = f"server_{number}_id"
        self.servers[server_id.lower()] = variable
        self.created_servers.append((server_id.lower(), str(name)))
        call = code_text("s.create_server", [("name", name), ("group_id", group), *rest])
        return _Step(f"{variable} = {call}.wait(timeout=timeout, poll=poll).server_id")

    def _update_server(self, change: Change) -> _Step:
        args = dict(change.arguments)
        server = self.server(args.pop("server_id"))
        if "group_id" in args:
            args["group_id"] = self.group(args["group_id"])
        members = self._arguments(args, drop=("current_password",))
        call = code_text("s.update_server", [(None, server), *members])
        code = call + (".wait(timeout=timeout, poll=poll)" if isinstance(change.result, ASYNC_RESULTS) else "")
        if args.get("password") is SECRET:
            code = "if server_password:  # the recorded session changed the password\n    " + code
        return _Step(code)

    def _request(self, change: Change) -> _Step:
        """A raw request (``s.request("POST", ...)``): what it changed is unknown, so it is not replayed."""
        return _Step(
            None,
            f"Not replayed: raw request `{_plain_call(change)}` (the runbook cannot tell what it changed; "
            "repeat it by hand if the run needs it).",
        )

    def _delete_server(self, change: Change) -> _Step:
        server = self.server(change.arguments["server_id"])
        return _Step(f"s.delete_server({server}).wait(timeout=timeout, poll=poll)")

    def _power(self, change: Change) -> _Step:
        jobs = change.jobs
        done = _unique(job.server_id for job in jobs if job.succeeded and job.server_id)
        if not done:
            return _Step(None, f"Not replayed: `{_plain_call(change)}` changed no server in the recorded session.")
        servers = [self.server(server_id) for server_id in done]
        left_out = _unique(
            [str(job.server_id) for job in jobs if not job.succeeded]
            + [str(item.get("server")).lower() for item in getattr(change.result, "not_queued", [])]
        )
        note = None
        if left_out:
            note = f"`{change.method}` left out for {', '.join(left_out)}: refused or failed in the recorded session."
        if change.method == "power":
            call = code_text("s.power", [(None, change.arguments.get("operation")), (None, servers)])
        else:
            call = code_text(f"s.{change.method}", [(None, servers)])
        return _Step(f"{call}.wait(timeout=timeout, poll=poll)", note)

    def _create_group(self, change: Change) -> _Step:
        group = change.result
        args = dict(change.arguments)
        number = self._next("group")
        name = self._param(f"group_{number}_name", args.pop("name"), "the new group's name")
        parent = self.group(args.pop("parent_id"))
        variable = f"group_{number}_id"
        group_id = str(group.get("id") or "").lower()
        self.groups[group_id] = variable
        self.group_by_name[str(group.get("name") or name).casefold()] = group_id
        self.created_groups.append((group_id, str(name)))
        call = code_text("s.create_group", [("name", name), ("parent_id", parent), *self._arguments(args)])
        return _Step(f"{variable} = {call}.id")

    def _update_group(self, change: Change) -> _Step:
        args = dict(change.arguments)
        reference = args.pop("group_id")
        group = self.group(reference)
        if "parent_id" in args:
            args["parent_id"] = self.group(args["parent_id"])
        made = next((gid for gid, variable in self.groups.items() if variable == group), None)
        if isinstance(args.get("name"), str) and made in dict(self.created_groups):
            self.group_by_name[args["name"].casefold()] = made  # later calls may name it by its new name
        return _Step(code_text("s.update_group", [(None, group), *self._arguments(args)]))

    def _delete_group(self, change: Change) -> _Step:
        group = self.group(change.arguments["group_id"])
        return _Step(f"s.delete_group({group}).wait(timeout=timeout, poll=poll)")

    def _add_public_ip(self, change: Change) -> _Step:
        args = dict(change.arguments)
        server_id = str(args.pop("server_id")).lower()
        server = self.server(server_id)
        internal = args.get("internal_ip")
        if isinstance(internal, str) and internal:
            args["internal_ip"] = self._private_address(change, server_id, internal)
        call = code_text("s.add_public_ip", [(None, server), *self._arguments(args)])
        lines = [f"before = set(s.public_ips({server}))", f"{call}.wait(timeout=timeout, poll=poll)"]
        made = self._new_public_ip(change, server_id)
        if made is not None:
            variable = f"public_ip_{self._next('public_ip')}"
            self.others[made] = variable
            lines.append(f"{variable} = (set(s.public_ips({server})) - before).pop()  # the address just added")
            claimed = None if internal else self._claimed_address(change, server_id, made)
            if claimed is not None and self._named_later(change, server_id, claimed):
                self.addresses[(server_id, claimed)] = f"{variable}_internal"
                lines.append(
                    f'{variable}_internal = s.public_ip({server}, {variable})["internalIPAddress"]'
                    "  # the private address it claimed"
                )
        return _Step("\n".join(lines))

    def _private_address(self, change: Change, server_id: str, address: str) -> Any:
        """A server's private address as read at run time: one a public IP added before claimed, or the
        server's primary one; any other address as recorded."""
        if (server_id, address) in self.addresses:
            return Code(self.addresses[(server_id, address)])
        if address == change.before.get("ip"):
            return Code(f"s.server({self.server(server_id)}).ip")
        return address

    def _looks(self, change: Change, server_id: str) -> Iterator[tuple[float, list[dict]]]:
        """(seq, the server's ``ipAddresses`` items) of each later look at the server: the reads of
        later public-IP adds, then the server now (seq infinite)."""
        for later in self._on_server(server_id, "add_public_ip", after=change.seq):
            if "addresses" in later.before:
                yield later.seq, later.before["addresses"]
        if server_id not in self._addresses_now:
            try:
                details = self.session.server(server_id).get("details") or {}
            except ClcError:
                details = {}
            self._addresses_now[server_id] = [i for i in details.get("ipAddresses") or [] if isinstance(i, dict)]
        yield float("inf"), self._addresses_now[server_id]

    def _new_public_ip(self, change: Change, server_id: str) -> str | None:
        """The address the add made: the first public IP not there before the call that a later
        public-IP change names or a later look at the server shows."""
        before = {str(ip) for ip in change.before.get("public_ips", [])}
        named = [
            str(later.arguments.get("ip"))
            for later in self._on_server(server_id, "update_public_ip", "delete_public_ip", after=change.seq)
        ]
        seen = [str(i["public"]) for _, look in self._looks(change, server_id) for i in look if i.get("public")]
        for ip in named + seen:
            if ip not in before and ip not in self.others:
                return ip
        return None

    def _claimed_address(self, change: Change, server_id: str, made: str) -> str | None:
        """The private address an add without `internal_ip` claimed: the one a later look at the server
        maps `made` onto; or, were `made` removed before any look, the one new address a later look
        shows when this add was the only claim in between."""
        looks = list(self._looks(change, server_id))
        for _, look in looks:
            for item in look:
                if str(item.get("public")) == made and item.get("internal"):
                    return str(item["internal"])
        known = {str(i.get("internal")) for i in change.before.get("addresses", [])} | {str(change.before.get("ip"))}
        for seq, look in looks:
            new = {str(i["internal"]) for i in look if i.get("internal") and str(i["internal"]) not in known}
            claims = [
                c
                for c in self._on_server(server_id, "add_public_ip", after=change.seq - 1)
                if c.seq < seq and not c.arguments.get("internal_ip")
            ]
            if new:
                return new.pop() if len(new) == 1 and claims == [change] else None
        return None

    def _named_later(self, change: Change, server_id: str, address: str) -> bool:
        """True when a later public-IP add on the server maps onto `address`."""
        return any(
            later.arguments.get("internal_ip") == address
            for later in self._on_server(server_id, "add_public_ip", after=change.seq)
        )

    def _on_server(self, server_id: str, *methods: str, after: int) -> Iterator[Change]:
        """The changes after the `after`-th made by `methods` on the server `server_id`, in order."""
        for change in self.changes:
            on_server = str(change.arguments.get("server_id", "")).lower() == server_id
            if change.seq > after and change.method in methods and on_server:
                yield change

    def _update_public_ip(self, change: Change) -> _Step:
        args = dict(change.arguments)
        server = self.server(args.pop("server_id"))
        ip = self.value(args.pop("ip"))
        call = code_text("s.update_public_ip", [(None, server), (None, ip), *self._arguments(args)])
        return _Step(f"{call}.wait(timeout=timeout, poll=poll)")

    def _delete_public_ip(self, change: Change) -> _Step:
        server = self.server(change.arguments["server_id"])
        ip = self.value(change.arguments["ip"])
        return _Step(
            f"{code_text('s.delete_public_ip', [(None, server), (None, ip)])}.wait(timeout=timeout, poll=poll)"
        )

    def _generic(self, change: Change) -> _Step:
        """Any other change: its arguments with known ids replaced; what it creates kept in a variable."""
        args = self._arguments(change.arguments)
        if change.method in ANTI_AFFINITY_METHODS:  # `policy`: an id or a name, as in create_server
            args = [(k, self.anti_affinity_policy(change.arguments[k]) if k == "policy" else v) for k, v in args]
        call = code_text(f"s.{change.method}", args)
        result = change.result
        network_id = getattr(result, "network_id", None) if isinstance(result, Job) else None
        if change.method == "claim_network":  # a new network: its id is the job's
            variable = f"network_{self._next('network')}_id"
            if network_id:
                self.others[str(network_id).lower()] = variable
            return _Step(f"{variable} = {call}.wait(timeout=timeout, poll=poll).network_id")
        if isinstance(result, ASYNC_RESULTS):
            return _Step(f"{call}.wait(timeout=timeout, poll=poll)")
        if change.method.startswith("create_") and isinstance(result, dict) and result.get("id"):
            kind = change.method.removeprefix("create_")
            variable = f"{kind}_{self._next(kind)}_id"
            self.others[str(result["id"]).lower()] = variable
            return _Step(f'{variable} = {call}["id"]')
        return _Step(call)

    def _arguments(self, args: dict[str, Any], drop: tuple[str, ...] = ()) -> list[tuple[str | None, Any]]:
        found: list[tuple[str | None, Any]] = []
        for key, value in args.items():
            if key in drop:
                continue
            if value is SECRET:
                found.append((key, self.secret(key)))
            elif key == "dc" and isinstance(value, str) and value.upper() == self.dc.upper():
                found.append((key, Code("dc")))
            elif key in NETWORK_ARGUMENTS and isinstance(value, str):
                found.append((key, self.network(value)))
            elif key in POLICY_ARGUMENTS and isinstance(value, str):
                found.append((key, self.anti_affinity_policy(value)))
            else:
                found.append((key, self.value(value)))
        return found

    # -- the final check -----------------------------------------------------------------------------

    def _check_cell(self) -> str:
        servers: list[tuple[Code, str]] = []
        names = dict(self.created_servers)
        for server_id in [sid for sid, _ in self.created_servers] + self.found_servers:
            variable = Code(self.servers[server_id])
            try:
                server = self.session.server(server_id)
            except NotFoundError:
                servers.append((variable, "None,  # deleted"))
                continue
            row = server.row
            want: list[tuple[str, Any]] = []
            if server_id in names:
                want.append(("name", Code(names[server_id])))
            want += [
                ("cpu", _number(row.get("cpu"))),
                ("memory_gb", _number(row.get("memory_gb"))),
                ("description", row.get("description") or ""),
                ("power_state", row.get("power_state")),
            ]
            if row.get("group_id"):
                want.append(("group_id", self.group(str(row["group_id"]))))
            servers.append((variable, _dict_source(want) + ","))
        groups: list[tuple[Code, str]] = []
        for group_id, name in self.created_groups:
            variable = Code(self.groups[group_id])
            frame = self._fresh_groups()
            rows = frame[frame["id"].astype(str).str.lower() == group_id]
            if rows.empty:
                groups.append((variable, "None,  # deleted"))
                continue
            row = rows.iloc[0]
            want = [("name", Code(name) if str(row["name"]) == self._param_value(name) else row["name"])]
            want.append(("description", row["description"] if isinstance(row["description"], str) else ""))
            if isinstance(row["parent_id"], str) and row["parent_id"]:
                want.append(("parent_id", self.group(row["parent_id"])))
            groups.append((variable, _dict_source(want) + ","))
        lines = ["from clc_notebook.runbook import check_state", "", "check_state(", "    s,"]
        lines.append("    servers={" + ("" if servers else "},"))
        lines += [f"        {variable}: {source}" for variable, source in servers]
        if servers:
            lines.append("    },")
        lines.append("    groups={" + ("" if groups else "},"))
        lines += [f"        {variable}: {source}" for variable, source in groups]
        if groups:
            lines.append("    },")
        lines.append(")")
        return "\n".join(lines)

    def _fresh_groups(self) -> pd.DataFrame:
        if getattr(self, "_groups_now", None) is None:
            self._groups_now = self.session.groups()
        return self._groups_now

    def _param_value(self, name: str) -> Any:
        return next((p.value for p in self.params if p.name == name), None)


# arguments naming an account's network or anti-affinity policy (by id or name): parameters by name
NETWORK_ARGUMENTS = ("network", "network_id")
POLICY_ARGUMENTS = ("anti_affinity_policy_id",)
ANTI_AFFINITY_METHODS = ("update_anti_affinity_policy", "delete_anti_affinity_policy")
RENAMES = {"update_network": "network", "update_anti_affinity_policy": "anti_affinity_policy"}


def check_state(session: Any, servers: dict | None = None, groups: dict | None = None) -> None:
    """Compare the account with the state a runbook should reach; raise AssertionError listing each
    difference (so a papermill run fails), else print one line.

    `servers` maps a server id to what it should show (``name``: the short name the server was built
    with, matched as the end of its real name; ``cpu``, ``memory_gb``, ``description``,
    ``power_state``, ``group_id``), or to None when it should be gone. `groups` maps a group id to its
    ``name``, ``description``, ``parent_id``, or None when it should be gone.
    """
    problems: list[str] = []
    for server_id, want in (servers or {}).items():
        try:
            server = session.server(server_id)
        except NotFoundError:
            if want is not None:
                problems.append(f"server {server_id}: not found")
            continue
        if want is None:
            if str(server.get("status") or "").lower() != "deleted":
                problems.append(f"server {server_id}: still there, expected deleted")
            continue
        row = server.row
        for key, expected in want.items():
            got = row.get(key)
            got = (got or "") if key == "description" else got  # no description: None or ""
            if key == "name":
                if not re.fullmatch(rf"[A-Z0-9]*{re.escape(str(expected).upper())}\d+", str(got).upper()):
                    problems.append(f"server {server_id}: name {got!r} does not end in {str(expected).upper()}NN")
            elif key == "group_id":
                if str(got).lower() != str(expected).lower():
                    problems.append(f"server {server_id}: in group {got}, expected {expected}")
            elif got != expected:
                problems.append(f"server {server_id}: {key} is {got!r}, expected {expected!r}")
    frame = session.groups() if groups else None
    for group_id, want in (groups or {}).items():
        assert frame is not None
        rows = frame[frame["id"].astype(str).str.lower() == str(group_id).lower()]
        if rows.empty:
            if want is not None:
                problems.append(f"group {group_id}: not found")
            continue
        if want is None:
            problems.append(f"group {group_id}: still there, expected deleted")
            continue
        row = rows.iloc[0].to_dict()
        for key, expected in want.items():
            got = row.get(key)
            got = "" if key == "description" and not isinstance(got, str) else got
            if str(got).lower() != str(expected).lower() if key == "parent_id" else got != expected:
                problems.append(f"group {group_id}: {key} is {got!r}, expected {expected!r}")
    if problems:
        raise AssertionError("the runbook did not reach the recorded state:\n  " + "\n  ".join(problems))
    print(f"state reached as recorded: {len(servers or {})} server(s), {len(groups or {})} group(s) checked")


# -- small helpers ---------------------------------------------------------------------------------


def _markdown(text: str) -> dict:
    return {"cell_type": "markdown", "metadata": {}, "source": text}


def _code(source: str, tags: list[str] | None = None) -> dict:
    return {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {"tags": tags} if tags else {},
        "outputs": [],
        "source": source,
    }


def _plain_call(change: Change) -> str:
    """The recorded call with its values as they were (a note, never run)."""
    return code_text(f"s.{change.method}", list(change.arguments.items()), width=10_000)


def _unique(values: Any) -> list[str]:
    seen: list[str] = []
    for value in values:
        if value and str(value).lower() not in seen:
            seen.append(str(value).lower())
    return seen


def _number(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _dict_source(items: list[tuple[str, Any]], indent: str = "        ", width: int = 100) -> str:
    """A dict display of `items` (values as literals, a `Code` as it is): one line, or one item a line."""
    parts = [f"{literal(k)}: {literal(v)}" for k, v in items]
    one_line = "{" + ", ".join(parts) + "}"
    if len(indent) + len(one_line) <= width:
        return one_line
    return "{\n" + "".join(f"{indent}    {part},\n" for part in parts) + indent + "}"
