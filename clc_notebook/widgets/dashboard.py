"""Dashboard: the login form; once logged in, the build form and the server actions of the account."""

from __future__ import annotations

import threading
from typing import Any

import ipywidgets as widgets

from .actions import ServerActions
from .build_form import ServerBuildForm
from .fields import describe_error, set_message
from .login import LoginForm


class Dashboard(widgets.VBox):
    """What `make dashboard` shows: forms and job boards, nothing else.

    Starts with a `LoginForm` (keyword arguments go to it, e.g. `sandbox={"mode": "polls"}`). After a
    login, `form` (a `ServerBuildForm`) and `actions` (a `ServerActions` over the account's servers)
    appear under it; when the builds of a Build click have ended, the servers they made join the list.
    `session` is the logged-in Session (None before).
    """

    def __init__(self, *, poll: float | None = None, timeout: float | None = None, **login_options) -> None:
        self.poll = poll
        self.timeout = timeout
        self.session: Any = None
        self.form: ServerBuildForm | None = None
        self.actions: ServerActions | None = None
        self.login = LoginForm(on_login=self._show_account, **login_options)
        self.account = widgets.VBox()
        super().__init__([self.login, self.account])
        self.add_class("clc-dashboard")

    def _show_account(self, session) -> None:  # a clc_notebook Session (not imported: widgets sit above it)
        self.session = session
        self.form = form = ServerBuildForm(session, poll=self.poll, timeout=self.timeout)
        self.actions = actions = ServerActions(session, session.servers(), poll=self.poll, timeout=self.timeout)
        # registered after the form's own handler, so it runs once build() has made its watch
        form.build_button.on_click(lambda _button: self._list_new_servers_when_built(form, actions))
        self.account.children = [
            widgets.HTML("<h3>Build servers</h3>"),
            form,
            widgets.HTML("<h3>Act on servers</h3>"),
            actions,
        ]

    def _list_new_servers_when_built(self, form: ServerBuildForm, actions: ServerActions) -> None:
        watch, session = form.last_watch, self.session
        if watch is None or not watch.jobs:
            return

        def list_them() -> None:
            watch.wait()
            try:
                actions.refresh(session.servers())
            except Exception as exc:  # from a thread: shown in the form, never raised into a cell
                set_message(actions.status, f"Could not list the servers again: {describe_error(exc)}")

        threading.Thread(target=list_them, name="clc-dashboard-refresh", daemon=True).start()

    def __repr__(self) -> str:
        who = f"logged in as {self.session.username}" if self.session is not None else "not connected"
        return f"Dashboard({who})"
