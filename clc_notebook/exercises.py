"""Self-checking exercises: the "create and configure a server" tutorial as tasks, each with a check that
looks at the trainee's own account and answers "done", or a hint saying what is still missing.

    from clc_notebook import exercises
    exercises.check_login(s)                                    # task 1
    exercises.check_capabilities(s, NETWORK_ID, TEMPLATE)       # task 2
    exercises.check_group(s, DEFAULT_GROUP)                     # task 3
    exercises.check_server(s)                                   # task 4: "web", 2 CPUs, 4 GB, active
    exercises.check_uuid(s, UUID)                               # task 5
    exercises.check_description(s)                              # task 6
    exercises.check_reboot(s, REBOOT)                           # task 7

Every check returns a `Check` (true when passed; shown as a green or orange box in a notebook). A check
never raises for a task not done, a wrong value or a failed API call: that is what its hint is for.
notebooks/06-exercises.ipynb is the exercise sheet.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

from .errors import ClcError

TEMPLATE = "RHEL-6-64-TEMPLATE"  # the tutorial's template
SERVER_NAME, CPU, MEMORY_GB = "web", 2, 4
DESCRIPTION = "My web server"
NEW_DESCRIPTION = "A very important server"
DEFAULT_GROUP = "Default Group"
UUID = re.compile(r"[0-9a-fA-F]{32}")


@dataclass(frozen=True)
class Check:
    """The answer of one check: `passed`, and a `message` (what was found, or a hint when not passed)."""

    task: str
    passed: bool
    message: str

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return f"{'PASSED' if self.passed else 'NOT YET'} {self.task}: {self.message}"

    def _repr_html_(self) -> str:
        colour, mark, verdict = ("#1a7f37", "&#10004;", "Passed") if self.passed else ("#b35900", "&#10008;", "Not yet")
        return (
            f'<div style="border-left:4px solid {colour};padding:4px 10px;margin:2px 0">'
            f'<b style="color:{colour}">{mark} {verdict}: {html.escape(self.task)}</b><br>'
            f"{html.escape(self.message)}</div>"
        )


def _passed(task: str, message: str) -> Check:
    return Check(task, True, message)


def _hint(task: str, message: str) -> Check:
    return Check(task, False, message)


def _logged_in(s: Any) -> bool:
    return s is not None and not getattr(s, "closed", False) and bool(getattr(s, "alias", None))


NO_SESSION = "There is no open session yet: run the task 1 cell (s = clc.connect(...)) first."


def check_login(s: Any) -> Check:
    """Task 1: `s` is a Session logged in to the trainee's account (one call checks the token works)."""
    task = "log in"
    if not _logged_in(s):
        return _hint(task, NO_SESSION + " With a roster, use your username and password from it.")
    try:
        s.request("GET", "/v2/accounts/{alias}")
    except ClcError as exc:
        return _hint(task, f"The session cannot use the API ({exc}). Log in again with clc.connect(...).")
    return _passed(task, f"Logged in as {s.username} to account {s.alias}, home data center {s.location}.")


def check_capabilities(s: Any, network_id: Any, template: Any) -> Check:
    """Task 2: `network_id` is a deployable network of the home data center and `template` the tutorial's
    template, both as its deployment capabilities list them."""
    task = "network and template"
    if not _logged_in(s):
        return _hint(task, NO_SESSION)
    if not network_id or not template:
        missing = " and ".join(n for n, v in (("NETWORK_ID", network_id), ("TEMPLATE", template)) if not v)
        return _hint(task, f"Set {missing}: read s.capabilities() and look at .networks and .templates.")
    try:
        caps = s.capabilities()
    except ClcError as exc:
        return _hint(task, f"Could not read the deployment capabilities: {exc}")
    networks = set(caps.networks["network_id"])
    if str(network_id) not in networks:
        return _hint(
            task, f"{network_id!r} is not a network of {s.location}: take a network_id from s.capabilities().networks."
        )
    if str(template) not in set(caps.templates["name"]):
        return _hint(task, f"{template!r} is not a template of {s.location}: see s.capabilities().templates.")
    if str(template) != TEMPLATE:
        return _hint(task, f"{template} exists, but the tutorial builds from {TEMPLATE}.")
    return _passed(task, f"Network {network_id} and template {template}.")


def check_group(s: Any, group_id: Any) -> Check:
    """Task 3: `group_id` is the id of the Default Group of the home data center."""
    task = "find the Default Group"
    if not _logged_in(s):
        return _hint(task, NO_SESSION)
    if not group_id:
        return _hint(
            task, f"Set DEFAULT_GROUP: read the root group's tree with s.groups() and take the id of {DEFAULT_GROUP!r}."
        )
    try:
        groups = s.groups(s.location)
    except ClcError as exc:
        return _hint(task, f"Could not read the groups: {exc}")
    wanted = groups[groups["name"] == DEFAULT_GROUP]
    if str(group_id).lower() in set(wanted["id"]):
        return _passed(task, f"{DEFAULT_GROUP} is {group_id}.")
    found = groups[groups["id"] == str(group_id).lower()]
    if len(found):
        return _hint(task, f"{group_id} is the group {found['name'].iloc[0]!r}, not {DEFAULT_GROUP!r}.")
    return _hint(task, f"{group_id!r} is not a group of {s.location}: look at s.groups() again.")


def _web_servers(s: Any, name: str):
    """The account's servers built from `name` in the home data center (DC + ALIAS + NAME + NN), newest last."""
    servers = s.servers(s.location)
    prefix = f"{s.location}{s.alias}{name}".lower()
    mine = servers[servers["id"].str.fullmatch(re.escape(prefix) + r"\d{2,}")]
    return mine.sort_values("id")


def check_server(s: Any, name: str = SERVER_NAME, cpu: int = CPU, memory_gb: int = MEMORY_GB) -> Check:
    """Task 4: a server built from `name` exists in the Default Group, active, with `cpu` CPUs and
    `memory_gb` GB."""
    task = f"build the server {name!r}"
    if not _logged_in(s):
        return _hint(task, NO_SESSION)
    try:
        mine = _web_servers(s, name)
    except ClcError as exc:
        return _hint(task, f"Could not list the servers: {exc}")
    if mine.empty:
        return _hint(
            task,
            f"No server named {s.location}{s.alias}{name.upper()}NN yet: call s.create_server(name={name!r}, ...) "
            "with the group, template and network of tasks 2 and 3, then wait for its job.",
        )
    server = mine.iloc[-1]
    label = server["name"] or server["id"].upper()
    if server["status"] != "active":
        return _hint(task, f"{label} is {server['status']}: wait for its build (job.wait()).")
    if server["group_name"] != DEFAULT_GROUP:
        return _hint(task, f"{label} is in the group {server['group_name']!r}, not {DEFAULT_GROUP!r}.")
    if server["cpu"] != cpu or server["memory_gb"] != memory_gb:
        return _hint(
            task,
            f"{label} has {server['cpu']} CPU(s) and {server['memory_gb']:g} GB; the task asks for {cpu} and "
            f"{memory_gb} GB (build another one with the right size).",
        )
    return _passed(task, f"{label} is active in {DEFAULT_GROUP} with {cpu} CPUs and {memory_gb} GB.")


def check_uuid(s: Any, uuid: Any, name: str = SERVER_NAME) -> Check:
    """Task 5: `uuid` (from the create answer's `self` link) names the server built from `name`."""
    task = "find the server by its uuid"
    if not _logged_in(s):
        return _hint(task, NO_SESSION)
    if not uuid:
        return _hint(task, "Set UUID: the create answer's self link ends with it (job.self_href).")
    if not UUID.fullmatch(str(uuid)):
        return _hint(task, f"{uuid!r} is not a uuid: it is 32 hexadecimal characters, as in job.self_href.")
    try:
        server = s.server(str(uuid))
    except ClcError as exc:
        return _hint(task, f"No server of your account has the uuid {uuid}: {exc}")
    prefix = f"{s.location}{s.alias}{name}".lower()
    if not str(server.get("id", "")).startswith(prefix):
        return _hint(task, f"That uuid is the server {server.get('name')}, not your {name!r} server.")
    return _passed(task, f"The uuid {uuid} is {server.get('name')}.")


def check_description(s: Any, description: str = NEW_DESCRIPTION, name: str = SERVER_NAME) -> Check:
    """Task 6: the server built from `name` carries `description`."""
    task = "change the description"
    if not _logged_in(s):
        return _hint(task, NO_SESSION)
    try:
        mine = _web_servers(s, name)
    except ClcError as exc:
        return _hint(task, f"Could not list the servers: {exc}")
    if mine.empty:
        return _hint(task, f"There is no {name!r} server yet: do task 4 first.")
    server = mine.iloc[-1]
    if server["description"] != description:
        return _hint(
            task,
            f"{server['name']} says {server['description']!r}; set {description!r} with s.update_server(...).",
        )
    return _passed(task, f"{server['name']} says {description!r}.")


def check_reboot(s: Any, reboot: Any, name: str = SERVER_NAME) -> Check:
    """Task 7: `reboot` (the JobSet of s.reboot([...]) or one Job) rebooted the server built from `name`,
    and the account's API says its job succeeded."""
    task = "reboot the server"
    if not _logged_in(s):
        return _hint(task, NO_SESSION)
    jobs = [reboot] if hasattr(reboot, "kind") else list(reboot or [])
    jobs = [j for j in jobs if getattr(j, "kind", None) == "reboot" and getattr(j, "id", None)]
    if not jobs:
        return _hint(task, "Set REBOOT to what s.reboot([server id]) returns, then wait for it (.wait()).")
    prefix = f"{s.location}{s.alias}{name}".lower()
    ours = [j for j in jobs if str(j.server_id or "").startswith(prefix)]
    if not ours:
        return _hint(task, f"That reboot is of another server: reboot your {name!r} server.")
    try:
        status = s.job(ours[-1].id).status()
    except ClcError as exc:
        return _hint(task, f"Could not read the reboot's job: {exc}")
    if status == "failed":
        return _hint(task, "The reboot failed: run it again.")
    if status != "succeeded":
        return _hint(task, f"The reboot is {status}: wait for it to end (REBOOT.wait()).")
    return _passed(task, f"{ours[-1].server_id.upper()} was rebooted (job {ours[-1].id} succeeded).")
