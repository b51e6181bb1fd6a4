"""LoginForm: URL (empty = embedded sandbox), username, password, optional alias; Connect."""

from __future__ import annotations

import html
import os

import ipywidgets as widgets

from ..config import ENV_ALIAS, ENV_URL, ENV_USERNAME
from . import memory
from .fields import describe_error, set_message, styled

FORM_KEY = "LoginForm"
REMEMBERED = ("url", "username", "alias")  # never the password


class _Kernel:
    """Stands for "this kernel" in the per-session memory: a login form has no session yet."""


_THIS_KERNEL = _Kernel()


class LoginForm(widgets.VBox):
    """Log in with `clc_notebook.connect` and keep the Session in `.session`.

    `on_login(callback)` registers `callback(session)`, called after each successful login. Errors (bad
    credentials, unreachable URL) are shown in the form and kept in `.error`; the password is cleared
    from the widget after every attempt so it never stays in the page's widget state.
    Extra keyword arguments go to `clc_notebook.connect` (e.g. `retries=1`); `sandbox={...}` (options of the
    embedded sandbox) is used only when the URL field is empty: a typed URL is always the one connected to.
    """

    def __init__(self, *, url=None, username=None, alias=None, on_login=None, **connect_options):
        self.session = None
        self.error = None
        self._callbacks = []
        # quiet: connect() would print a line, and a click handler's print lands in no useful place
        self._sandbox_options = connect_options.pop("sandbox", None) or {}
        self._connect_options = {"quiet": True, **connect_options}
        # An argument wins, then what was typed when the cell last ran, then the environment.
        recalled = memory.recall(_THIS_KERNEL, FORM_KEY)
        env = os.environ

        def initial(value, name, variable):
            return value if value is not None else recalled.get(name, env.get(variable, ""))

        self.fields = {
            "url": widgets.Text(
                value=initial(url, "url", ENV_URL),
                description="API URL",
                placeholder="empty: the embedded sandbox",
            ),
            "username": widgets.Text(
                value=initial(username, "username", ENV_USERNAME),
                description="Username",
                placeholder="empty for the sandbox: demouser1",
            ),
            "password": widgets.Password(description="Password"),
            "alias": widgets.Text(
                value=initial(alias, "alias", ENV_ALIAS), description="Account alias", placeholder="optional"
            ),
        }
        for name in REMEMBERED:
            self.fields[name].observe(lambda change, name=name: self._remember(name, change["new"]), names="value")
        for name, widget in self.fields.items():
            styled(widget, f"clc-login-{name}")
        self.connect_button = widgets.Button(description="Connect", button_style="primary")
        self.connect_button.add_class("clc-login-connect")
        self.status = widgets.HTML()
        self.status.add_class("clc-login-status")
        super().__init__(list(self.fields.values()) + [widgets.HBox([self.connect_button, self.status])])
        self.add_class("clc-login-form")
        if on_login is not None:
            self.on_login(on_login)
        self.connect_button.on_click(lambda _b: self.connect())

    @staticmethod
    def _remember(name: str, value) -> None:
        memory.remember(_THIS_KERNEL, FORM_KEY, name, value)

    def on_login(self, callback) -> None:
        """Call `callback(session)` after each successful login."""
        self._callbacks.append(callback)

    def connect(self):
        """Log in with the typed values; return the Session, or None when it failed (see `.error`)."""
        import clc_notebook  # the client; imported here because the widgets sit above it

        f = self.fields
        url = f["url"].value.strip() or None
        password = f["password"].value or None
        set_message(self.status, f"Connecting to {url or 'the embedded sandbox'}…", kind="info")
        username = f["username"].value.strip() or None
        try:
            if url is None:
                # Empty URL means the embedded sandbox, even when credentials are configured elsewhere.
                session = clc_notebook.connect(sandbox=self._sandbox_options, **self._connect_options)
            else:
                session = clc_notebook.connect(
                    url=url,
                    username=username,
                    password=password,
                    alias=f["alias"].value.strip() or None,
                    **self._connect_options,
                )
        except Exception as exc:
            self.error = exc
            where = url or "the embedded sandbox"
            set_message(self.status, f"Could not log in to {where}: {describe_error(exc)}")
            return None
        finally:
            f["password"].value = ""
        self.session, self.error = session, None
        who = getattr(session, "username", None) or "?"
        where = getattr(session, "backend", None) or getattr(session, "url", "?")
        self.status.value = (
            f"<span style='color:#1b5e20'>Logged in as <b>{html.escape(str(who))}</b>, account "
            f"<b>{html.escape(str(session.alias))}</b>, data center "
            f"<b>{html.escape(str(getattr(session, 'location', '?')))}</b>, on "
            f"{html.escape(str(where))}</span>"
        )
        if url is None and username and username != who:
            self.status.value += (
                " <span style='color:#555'>(the embedded sandbox has its own account; "
                "the username typed was not used)</span>"
            )
        for callback in self._callbacks:
            try:
                callback(session)
            except Exception as exc:  # the login worked; say the callback did not
                set_message(self.status, f"Logged in, but the on_login callback failed: {describe_error(exc)}")
        return session

    def __repr__(self) -> str:
        state = f"logged in as {self.session.username}" if self.session is not None else "not connected"
        return f"LoginForm({state})"
