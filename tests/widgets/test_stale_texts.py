"""What a form shows must describe its current values: no stale refusal, no stale server state."""

from __future__ import annotations

import threading

from widget_helpers import POLL, WAIT, make_servers

from clc_notebook.widgets import ServerActions, ServerBuildForm

REFUSED = "Nothing was built: fix the marked field(s) first."


def test_a_refusal_goes_away_once_the_fields_change(session):
    form = ServerBuildForm(session, poll=POLL)
    form.set(name="this-name-is-far-too-long", cpu=64).build()
    assert REFUSED in form.status.value

    form.set(name="web", cpu=2)  # what notebook 02 does right after its demo of a refusal

    assert form.status.value == ""
    assert form.message("name") == "" and form.message("cpu") == ""


def test_any_field_change_clears_the_refusal_even_before_every_field_is_valid(session):
    form = ServerBuildForm(session, poll=POLL)
    form.set(name="web", cpu=64).build()
    assert REFUSED in form.status.value
    form.fields["description"].value = "something else"
    assert form.status.value == ""  # the refusal was about the values before
    assert "must be from 1 to 16" in form.message("cpu")  # the field's own message stays while it is wrong


def test_a_success_line_is_not_cleared_by_typing(session):
    form = ServerBuildForm(session, poll=POLL)
    form.set(name="web").build().wait(WAIT)
    form.set(name="db")
    assert "1 build(s) submitted." in form.status.value


def test_create_arguments_are_what_build_sends(session):
    form = ServerBuildForm(session, poll=POLL)
    form.set(name="web", cpu=3, memory_gb=6, description="d")
    args = form.create_arguments()
    assert (args["name"], args["cpu"], args["memory_gb"], args["description"]) == ("web", 3, 6, "d")
    assert "password" not in args
    assert not hasattr(form, "request")  # "request" means "send" elsewhere in the client


def _when(widget, predicate) -> threading.Event:
    """An event set as soon as `predicate()` holds, checked now and on every change of `widget`."""
    seen = threading.Event()

    def check(_change=None):
        if predicate():
            seen.set()

    widget.observe(check, names=["options", "value"])
    check()
    return seen


def test_labels_show_the_state_after_an_action(session, thread_errors):
    web, db = make_servers(session, ["web", "db"])
    actions = ServerActions(session, session.servers(), poll=POLL)

    def labels():
        return {value: label for label, value in actions.selector.options}

    assert labels() == {web: "WA1ALIASWEB01 (started)", db: "WA1ALIASDB01 (started)"}
    actions.selector.value = (web,)
    relabelled = _when(
        actions.selector,
        lambda: (
            labels() == {web: "WA1ALIASWEB01 (stopped)", db: "WA1ALIASDB01 (started)"}
            and actions.selector.value == (web,)
        ),
    )

    actions.run("power_off", confirm=True).wait(WAIT)

    assert relabelled.wait(WAIT), actions.selector.options  # the pick is kept too
    assert not thread_errors


def test_a_deleted_server_leaves_the_list(session):
    ids = make_servers(session, ["gone", "kept"])
    actions = ServerActions(session, ids, poll=POLL)
    left = _when(actions.selector, lambda: [value for _, value in actions.selector.options] == [ids[1]])

    actions.run("delete", servers=[ids[0]], confirm=True).wait(WAIT)

    assert left.wait(WAIT), actions.selector.options
    assert actions.selector.options[0][0] == "WA1ALIASKEPT01 (started)"
