"""The session's record of what it changed: one `Change` per call that changes the account.

`install(Session)` wraps the Session methods named in `CHANGE_METHODS` (one hook point: neither the
methods nor the endpoint mixins know about it). Each wrapped call, when it is the outermost change call
of its thread (``reboot`` calls ``power``: one change, not two), appends a `Change` to the session's
`ChangeLog`: the method's name, its arguments bound to their names (secrets replaced by `SECRET`),
what it returned (the Job, JobSet, Group, ...: ids and outcome are read from it later) or the error it
raised. Reads are not recorded. `runbook.py` turns the log into a notebook that replays the changes;
`code_text` below writes one call as Python, for the runbook and for the widgets' code echo alike.

A call whose method reads something first to be replayable later (``add_public_ip``: the server's
addresses, to tell the new public IP and the private address it claims; a network's or anti-affinity policy's rename: its name until then,
which a runbook names it by) does that read here, and it shows in the history.
"""

from __future__ import annotations

import ast
import functools
import inspect
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from .jobs import Job, JobSet

# The batch operations on servers (one JobSet each); power_on etc. call power: the outermost call is
# the one recorded.
POWER_METHODS = (
    "power",
    "power_on",
    "power_off",
    "shut_down",
    "reboot",
    "reset",
    "pause",
    "archive",
    "start_maintenance",
    "stop_maintenance",
)
# The Session methods that change the account (reads are never recorded).
CHANGE_METHODS = (
    "create_server",
    "update_server",
    "delete_server",
    *POWER_METHODS,
    "create_group",
    "update_group",
    "delete_group",
    "add_public_ip",
    "update_public_ip",
    "delete_public_ip",
    "create_load_balancer",
    "update_load_balancer",
    "delete_load_balancer",
    "create_load_balancer_pool",
    "update_load_balancer_pool",
    "delete_load_balancer_pool",
    "set_load_balancer_nodes",
    "create_firewall_policy",
    "update_firewall_policy",
    "delete_firewall_policy",
    "create_cross_dc_firewall_policy",
    "enable_cross_dc_firewall_policy",
    "delete_cross_dc_firewall_policy",
    "claim_network",
    "update_network",
    "release_network",
    "add_secondary_nic",
    "remove_secondary_nic",
    "create_anti_affinity_policy",
    "update_anti_affinity_policy",
    "delete_anti_affinity_policy",
    "create_alert_policy",
    "update_alert_policy",
    "delete_alert_policy",
    "apply_alert_policy",
    "remove_alert_policy",
    "request",  # the escape hatch: recorded when it is not a GET (RECORDED_WHEN), so a runbook can say so
)
# method -> whether a call of it is a change, from its arguments (by default every call is)
RECORDED_WHEN: dict[str, Callable[[dict[str, Any]], bool]] = {
    "request": lambda arguments: str(arguments.get("method", "")).strip().upper() not in ("GET", "HEAD"),
}
SECRET_WORDS = ("password", "passwd", "secret", "token")


class Secret:
    """Stands for a secret argument (a server's password): the record never keeps the value."""

    def __repr__(self) -> str:
        return "SECRET"


SECRET = Secret()


@dataclass
class Change:
    """One change call: `method` (the Session method's name), `arguments` (name -> value as given,
    secrets as `SECRET`), `result` (what it returned), `error` (the error's text when it raised) and
    `before` (facts read before the call, see `BEFORE`)."""

    seq: int
    method: str
    arguments: dict[str, Any]
    result: Any = None
    error: str | None = None
    before: dict[str, Any] = field(default_factory=dict)

    @property
    def jobs(self) -> list[Job]:
        """The jobs the call started (none for a call answered at once, or one that raised)."""
        if isinstance(self.result, Job):
            return [self.result]
        if isinstance(self.result, JobSet):
            return list(self.result)
        return []

    @property
    def failed(self) -> bool:
        """True when the call raised, or every job it started ended ``failed``."""
        jobs = self.jobs
        return self.error is not None or (bool(jobs) and all(job.failed for job in jobs))

    @property
    def outcome(self) -> str:
        """A short text: "raised ...", "failed", "running", or "succeeded"."""
        if self.error is not None:
            return f"raised {self.error}"
        jobs = self.jobs
        if any(not job.done for job in jobs):
            return "running"
        return "failed" if jobs and all(job.failed for job in jobs) else "succeeded"


class ChangeLog:
    """A session's changes, in the order they were made (thread-safe)."""

    def __init__(self) -> None:
        self._changes: list[Change] = []
        self._lock = threading.Lock()

    def add(self, change: Change) -> None:
        with self._lock:
            change.seq = len(self._changes) + 1
            self._changes.append(change)

    def __iter__(self) -> Iterator[Change]:
        with self._lock:
            return iter(list(self._changes))

    def __len__(self) -> int:
        return len(self._changes)

    def __repr__(self) -> str:
        return f"<ChangeLog {len(self)} change(s)>"


_LOGS_LOCK = threading.Lock()
_local = threading.local()


def log_of(session: Any) -> ChangeLog:
    """The ChangeLog of `session` (made on first use)."""
    with _LOGS_LOCK:
        log = session.__dict__.get("_change_log")
        if log is None:
            log = session.__dict__["_change_log"] = ChangeLog()
        return log


def _public_ips_before(session: Any, arguments: dict[str, Any]) -> dict[str, Any]:
    """The server's addresses before a public IP is added (one read of the server): its public IPs,
    its ``ipAddresses`` items ({internal, public?}) and its primary private address."""
    server = session.server(arguments["server_id"])
    addresses = [dict(i) for i in (server.get("details") or {}).get("ipAddresses") or [] if isinstance(i, dict)]
    return {
        "public_ips": [str(i["public"]) for i in addresses if i.get("public")],
        "addresses": addresses,
        "ip": server.ip,
    }


def _network_before(session: Any, arguments: dict[str, Any]) -> dict[str, Any]:
    """The network a rename acts on and its name until then (a runbook names it so on another account)."""
    reference = str(arguments["network"]).strip()
    for name, network_id in session.network_choices(arguments.get("dc")):
        if reference.lower() == network_id.lower() or reference.casefold() == name.casefold():
            return {"id": network_id.lower(), "name": name}
    return {}


def _policy_before(session: Any, arguments: dict[str, Any]) -> dict[str, Any]:
    """The anti-affinity policy a rename acts on and its name until then."""
    reference = str(arguments["policy"]).strip()
    for row in session.anti_affinity_policies().to_dict("records"):
        if reference.lower() == str(row["id"]).lower() or reference.casefold() == str(row["name"]).casefold():
            return {"id": str(row["id"]).lower(), "name": str(row["name"])}
    return {}


# method -> a read made before the call, whose answer the runbook needs (kept in Change.before)
BEFORE: dict[str, Callable[[Any, dict[str, Any]], dict[str, Any]]] = {
    "add_public_ip": _public_ips_before,
    "update_network": _network_before,
    "update_anti_affinity_policy": _policy_before,
}


def install(cls: type) -> type:
    """Wrap every method of `cls` named in CHANGE_METHODS so that its calls are recorded; returns `cls`."""
    for name in CHANGE_METHODS:
        method = cls.__dict__.get(name) or getattr(cls, name, None)
        if method is not None and not getattr(method, "_records_changes", False):
            setattr(cls, name, _recorded(method))
    return cls


def _recorded(method: Callable[..., Any]) -> Callable[..., Any]:
    signature = inspect.signature(method)
    name = method.__name__

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        if getattr(_local, "depth", 0):  # inside another change call: that one is the change
            return method(self, *args, **kwargs)
        arguments = _arguments(signature, self, args, kwargs)
        if name in RECORDED_WHEN and not RECORDED_WHEN[name](arguments):  # a read through `request`
            return method(self, *args, **kwargs)
        _local.depth = 1
        try:
            change = Change(0, name, arguments)
            if name in BEFORE:
                try:
                    change.before = BEFORE[name](self, arguments)
                except Exception:  # the call itself will say what is wrong
                    change.before = {}
            try:
                change.result = method(self, *args, **kwargs)
            except BaseException as exc:  # an interrupt too: the change may not have happened
                change.error = _redacted(self, (f"{type(exc).__name__}: {exc}".splitlines() or [""])[0])
                raise
            finally:
                change.arguments = _scrubbed(self, change.arguments)
                log_of(self).add(change)
            return change.result
        finally:
            _local.depth = 0

    wrapper._records_changes = True  # type: ignore[attr-defined]
    return wrapper


def _arguments(signature: inspect.Signature, session: Any, args: tuple, kwargs: dict) -> dict[str, Any]:
    """The call's arguments by name (a ``**more`` folded in), as plain values."""
    try:
        bound = signature.bind(session, *args, **kwargs)
    except TypeError:  # the call itself raises the TypeError
        return {"args": [_plain(a) for a in args], **{k: _plain(v) for k, v in kwargs.items()}}
    found: dict[str, Any] = {}
    for key, value in list(bound.arguments.items())[1:]:  # without self
        if signature.parameters[key].kind is inspect.Parameter.VAR_KEYWORD:
            found.update({k: _plain(v) for k, v in value.items()})
        elif signature.parameters[key].kind is inspect.Parameter.VAR_POSITIONAL:
            found[key] = [_plain(v) for v in value]
        else:
            found[key] = _plain(value)
    return found


def _plain(value: Any) -> Any:
    """A copy of an argument as plain values: a DataFrame gives its ``id`` column, a record (Server,
    Group) its id, containers are copied."""
    if isinstance(value, pd.DataFrame):
        return [str(v) for v in value["id"]] if "id" in value.columns else value.to_dict("records")
    if isinstance(value, pd.Series):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, dict):
        if type(value) is not dict and isinstance(value.get("id"), str):
            return value["id"]
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _is_secret_name(name: Any) -> bool:
    low = str(name).lower()
    return any(word in low for word in SECRET_WORDS)


def _scrubbed(session: Any, value: Any, name: str = "") -> Any:
    """`value` with every secret replaced by SECRET: values of secret-named arguments or keys, and
    strings holding a secret the session knows (its redactor's)."""
    if _is_secret_name(name) and value not in (None, ""):
        return SECRET
    if isinstance(value, dict):
        return {k: _scrubbed(session, v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrubbed(session, v) for v in value]
    if isinstance(value, str) and _redacted(session, value) != value:
        return SECRET
    return value


def _redacted(session: Any, text: str) -> str:
    redactor = getattr(getattr(session, "_transport", None), "redactor", None)
    return redactor.text(text) if redactor is not None else text


# -- writing calls as Python ---------------------------------------------------------------------


class Code(str):
    """Python source standing for an argument's value (a variable, ``getpass()``): written as is."""


def literal(value: Any) -> str:
    """`value` as a Python literal (double-quoted strings, as code is usually written); a `Code` as it is."""
    if isinstance(value, Code):
        return str(value)
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        try:
            if ast.literal_eval(text) == value:
                return text
        except (ValueError, SyntaxError):
            pass
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, tuple):
        return "(" + ", ".join(literal(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in value.items()) + "}"
    return repr(value)


def code_text(call: str, arguments: list[tuple[str | None, Any]], *, width: int = 100) -> str:
    """``call(name=value, ...)`` as Python: values as literals (a `Code` as it is); `None` as a name
    gives a positional argument. Past `width` characters, one argument per line."""
    parts = [literal(value) if key is None else f"{key}={literal(value)}" for key, value in arguments]
    one_line = f"{call}({', '.join(parts)})"
    if len(one_line) <= width:
        return one_line
    return call + "(\n" + "".join(f"    {part},\n" for part in parts) + ")"


def without_defaults(method: Callable[..., Any], arguments: dict[str, Any]) -> dict[str, Any]:
    """`arguments` less those equal to the method's own default (a shorter, equivalent call)."""
    try:
        parameters = inspect.signature(method).parameters
    except (TypeError, ValueError):
        return dict(arguments)
    return {
        key: value
        for key, value in arguments.items()
        if key not in parameters
        or parameters[key].default is inspect.Parameter.empty
        or parameters[key].default != value
        or type(parameters[key].default) is not type(value)
    }
