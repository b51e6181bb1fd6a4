"""ServerActions: pick servers, run a power operation, archive or delete, and watch the resulting jobs."""

from __future__ import annotations

import html
import re
import threading

import ipywidgets as widgets

from .fields import describe_error, require_session, set_message
from .progress import JobBoard
from .watch import JobWatch

# action -> (button label, Session method, destructive: needs a confirmation)
ACTIONS = {
    "reboot": ("Reboot", "reboot", False),
    "power_on": ("Power on", "power_on", False),
    "power_off": ("Power off", "power_off", True),
    "shut_down": ("Shut down", "shut_down", True),
    "reset": ("Reset (hard reboot)", "reset", True),
    "pause": ("Pause", "pause", False),
    "start_maintenance": ("Start maintenance", "start_maintenance", False),
    "stop_maintenance": ("Stop maintenance", "stop_maintenance", False),
    "archive": ("Archive", "archive", True),
    "delete": ("Delete", "delete_server", True),
}


class ConfirmationRequired(ValueError):
    """A destructive action was run from code without `confirm=True`."""


def action_key(action: str) -> str:
    """Normalise 'Power off', 'power-off', 'powerOff' or 'power_off' to 'power_off'.

    Raises ValueError naming the known actions when `action` is not one of them.
    """
    key = re.sub(r"(?<=[a-z])(?=[A-Z])", "_", str(action).strip())
    key = re.sub(r"[\s\-]+", "_", key).lower()
    if key not in ACTIONS:
        raise ValueError(f"unknown action {action!r}; the actions are: {', '.join(ACTIONS)}")
    return key


def server_choices(servers) -> list[tuple[str, str]]:
    """[(label, server id)] from a DataFrame (an `id` column), a Series, ids, Server records or one id."""
    if servers is None:
        return []
    if isinstance(servers, str):
        servers = [servers]
    columns = getattr(servers, "columns", None)
    if columns is not None:
        if "id" not in columns:
            raise ValueError("the servers DataFrame needs an 'id' column (as returned by session.servers())")
        records = servers.to_dict("records")
    else:
        records = [item if isinstance(item, dict) or hasattr(item, "get") else {"id": item} for item in list(servers)]
    choices = []
    for record in records:
        server_id = str(record.get("id") or "").lower()
        if not server_id:
            continue
        label = str(record.get("name") or server_id).upper()
        state = record.get("power_state") or record.get("status")
        choices.append((f"{label} ({state})" if state and str(state) != "nan" else label, server_id))
    return choices


class ServerActions(widgets.VBox):
    """Run an action on picked servers and show a JobBoard of the jobs plus the per-server refusals.

    `run(action, servers=None, confirm=False)` does the same from code and returns a JobWatch; destructive
    actions (power off, shut down, reset, archive, delete) need `confirm=True` there and a Confirm click here.
    When an action's jobs have ended, the list is read again (`refresh()`), so each label shows the server's
    state after the action ("WA1ALIASWEB01 (stopped)") and a deleted server leaves the list.
    """

    def __init__(self, session, servers, *, poll=None, timeout=None):
        self.session = require_session(session, "ServerActions")
        self.poll = poll
        self.timeout = timeout
        self.last_watch = None
        self._pending = None
        choices = server_choices(servers)
        self.selector = widgets.SelectMultiple(
            options=choices,
            value=tuple(v for _, v in choices),
            rows=min(max(len(choices), 2), 8),
            description="Servers",
            layout=widgets.Layout(width="30em"),
        )
        self.selector.add_class("clc-action-servers")
        self.action = widgets.Dropdown(
            options=[(label, key) for key, (label, _, _) in ACTIONS.items()],
            value="reboot",
            description="Action",
            layout=widgets.Layout(width="30em"),
        )
        self.action.add_class("clc-action")
        self.run_button = widgets.Button(description="Run", button_style="primary")
        self.run_button.add_class("clc-action-run")
        self.confirm_text = widgets.HTML()
        self.confirm_button = widgets.Button(description="Confirm", button_style="danger")
        self.confirm_button.add_class("clc-action-confirm")
        self.cancel_button = widgets.Button(description="Cancel")
        self.confirm_box = widgets.HBox(
            [self.confirm_text, self.confirm_button, self.cancel_button], layout=widgets.Layout(display="none")
        )
        self.status = widgets.HTML()
        self.status.add_class("clc-action-status")
        self.boards = widgets.VBox()
        super().__init__(
            [self.selector, widgets.HBox([self.action, self.run_button]), self.confirm_box, self.status, self.boards]
        )
        self.add_class("clc-server-actions")
        self.run_button.on_click(lambda _b: self._guard(self._ask))
        self.confirm_button.on_click(lambda _b: self._guard(self._confirmed))
        self.cancel_button.on_click(lambda _b: self._guard(self._cancel))

    # --- public ------------------------------------------------------------------------------------
    @property
    def awaiting_confirmation(self) -> bool:
        """True while the Confirm / Cancel question is shown."""
        return self.confirm_box.layout.display != "none"

    def run(self, action: str, servers=None, *, confirm: bool = False) -> JobWatch:
        """Run `action` on `servers` (default: the picked ones); return the JobWatch of the jobs.

        Raises ValueError for an unknown action or no servers, ConfirmationRequired for a destructive
        action without `confirm=True`. Per-server refusals ("already in desired state") do not raise:
        they are listed under the board and in `watch.not_queued`.
        """
        key = action_key(action)
        label, method, destructive = ACTIONS[key]
        ids = [v for _, v in server_choices(servers)] if servers is not None else list(self.selector.value)
        if not ids:
            raise ValueError(f"{label}: no server picked")
        if destructive and not confirm:
            raise ConfirmationRequired(f"{label} is destructive: pass confirm=True to run it on {', '.join(ids)}")
        set_message(self.status, f"{label}: submitting for {len(ids)} server(s)…", kind="info")
        if key == "delete":
            jobs, refused = self._delete(ids)
        else:
            jobs, refused = self._operation(method, ids)
        board = JobBoard(
            jobs,
            not_queued=refused,
            title=f"{label}: {len(ids)} server(s)",
            poll=self.poll,
            timeout=self.timeout,
            start=False,
        )
        self.boards.children = self.boards.children + (board,)
        watch = board.start()
        self._refresh_when_done(watch)
        queued = len(jobs)
        refused_text = f", {len(refused)} refused" if refused else ""
        set_message(
            self.status, f"{label}: {queued} job(s) queued{refused_text}", kind="ok" if not refused else "error"
        )
        self.last_watch = watch
        return watch

    def refresh(self, servers=None) -> None:
        """Read the offered servers again and relabel them with their current state; keep the pick.

        With `servers` (as in the constructor), offer those instead, e.g. after new builds. A server that
        no longer exists leaves the list. Raises what `session.servers()` raises.
        """
        if servers is None:
            offered = {value for _, value in self.selector.options}
            servers = self.session.servers()
            servers = servers[servers["id"].str.lower().isin(offered)]
        choices = server_choices(servers)
        picked = [value for value in self.selector.value if value in {v for _, v in choices}]
        self.selector.options = choices  # this empties the pick (ipywidgets): put it back
        self.selector.value = tuple(picked)
        self.selector.rows = min(max(len(choices), 2), 8)

    def __repr__(self) -> str:
        picked, offered = len(self.selector.value), len(self.selector.options)
        return f"ServerActions({picked} of {offered} servers picked, action={self.action.value!r})"

    # --- internals ---------------------------------------------------------------------------------
    def _operation(self, method, ids):
        try:
            jobset = getattr(self.session, method)(ids)
        except Exception as exc:
            refused = _refusals_from_error(exc, ids)
            return [], refused
        return list(jobset), list(getattr(jobset, "not_queued", None) or [])

    def _delete(self, ids):
        jobs, refused = [], []
        for server_id in ids:
            try:
                jobs.append(self.session.delete_server(server_id))
            except Exception as exc:
                refused.append({"server": server_id, "errorMessage": describe_error(exc)})
        return jobs, refused

    def _refresh_when_done(self, watch) -> None:
        """Relabel the servers once `watch` has ended, from a thread so the cell (and the click) is not held."""

        def refresh_after_the_jobs() -> None:
            watch.wait()
            try:
                self.refresh()
            except Exception as exc:  # a thread's traceback would land in whatever cell runs
                set_message(self.status, f"Could not read the servers again: {describe_error(exc)}")

        threading.Thread(target=refresh_after_the_jobs, name="clc-actions-refresh", daemon=True).start()

    def _guard(self, handler) -> None:
        try:
            handler()
        except Exception as exc:  # a click handler's exception would only reach a log
            set_message(self.status, describe_error(exc))

    def _ask(self) -> None:
        key = self.action.value
        label, _, destructive = ACTIONS[key]
        ids = list(self.selector.value)
        if not ids:
            set_message(self.status, f"{label}: pick at least one server first.")
            return
        if not destructive:
            self.run(key)
            return
        self._pending = (key, ids)
        names = ", ".join(i.upper() for i in ids)
        warning = " This cannot be undone." if key == "delete" else ""
        self.confirm_text.value = (
            f"<b>{html.escape(label)}</b> {len(ids)} server(s): {html.escape(names)}?{warning}&nbsp;"
        )
        self.confirm_box.layout.display = "flex"
        set_message(self.status, None)

    def _confirmed(self) -> None:
        pending, self._pending = self._pending, None
        self.confirm_box.layout.display = "none"
        if pending:
            self.run(pending[0], pending[1], confirm=True)

    def _cancel(self) -> None:
        self._pending = None
        self.confirm_box.layout.display = "none"
        set_message(self.status, "Cancelled; nothing was sent.", kind="info")


def _refusals_from_error(exc, ids) -> list[dict]:
    """Per-server refusals from an error raised for the whole call (OperationError.items: every server refused)."""
    found = [
        dict(server=i.get("server"), errorMessage=i.get("errorMessage") or describe_error(exc))
        for i in getattr(exc, "items", None) or []
        if isinstance(i, dict) and not i.get("isQueued", False)
    ]
    if found:
        return found
    return [{"server": server_id, "errorMessage": describe_error(exc)} for server_id in ids]
