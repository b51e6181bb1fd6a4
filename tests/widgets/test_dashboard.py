"""Dashboard: login first, then the build form and the server actions; new servers join the list."""

from __future__ import annotations

import threading

from widget_helpers import POLL, WAIT

from clc_notebook.widgets import Dashboard, LoginForm, ServerActions, ServerBuildForm


def test_login_then_build_and_the_new_servers_join_the_actions(thread_errors):
    dashboard = Dashboard(sandbox={"mode": "polls"}, poll=POLL)
    assert dashboard.children == (dashboard.login, dashboard.account)
    assert isinstance(dashboard.login, LoginForm) and dashboard.account.children == ()

    dashboard.login.connect_button.click()  # empty URL: the embedded sandbox
    try:
        assert dashboard.session is not None and dashboard.session.backend == "embedded sandbox"
        assert isinstance(dashboard.form, ServerBuildForm) and isinstance(dashboard.actions, ServerActions)
        assert dashboard.form in dashboard.account.children and dashboard.actions in dashboard.account.children
        assert dashboard.actions.selector.options == ()  # the account has no server yet
        assert dashboard.form.status.value == ""  # no stale text on first show
        listed = threading.Event()
        dashboard.actions.selector.observe(
            lambda change: listed.set() if len(change["new"]) == 2 else None, names="options"
        )

        dashboard.form.set(name="web", count=2)
        dashboard.form.build_button.click()
        dashboard.form.last_watch.wait(WAIT)

        assert listed.wait(WAIT), dashboard.actions.selector.options
        labels = sorted(label for label, _ in dashboard.actions.selector.options)
        assert labels == ["WA1ALIASWEB01 (started)", "WA1ALIASWEB02 (started)"]
        assert repr(dashboard) == "Dashboard(logged in as demouser1)"
        assert not thread_errors
    finally:
        if dashboard.session is not None:
            dashboard.session.close()
