"""ServerBuildForm: build from the form, watch the stages, validation next to the fields, failures."""

from __future__ import annotations

import pytest
from widget_helpers import POLL, WAIT, Recorder, distinct

from clc_notebook.widgets import ServerBuildForm
from clc_notebook.widgets.fields import message_text


def posts_to_servers(session) -> int:
    history = session.history
    return int(((history["method"] == "POST") & history["path"].str.startswith("/v2/servers/")).sum())


def attach_recorders(form):
    """Record every new board's rows from the moment the board is shown (before polling starts)."""
    recorded = []

    def on_board(change):
        for row in change["new"][-1].rows:
            recorded.append(
                {
                    "bar_style": Recorder(row.bar, "bar_style"),
                    "value": Recorder(row.bar, "value"),
                    "status": Recorder(row.status_text, "value"),
                }
            )

    form.boards.observe(on_board, names="children")
    return recorded


def test_build_click_shows_each_stage_and_ends_full_and_green(session, thread_errors):
    form = ServerBuildForm(session, poll=POLL)
    recorded = attach_recorders(form)
    form.fields["name"].value = "web"
    form.build_button.click()
    watch = form.last_watch.wait(WAIT)

    assert watch.succeeded and not watch.failed
    (board,) = form.boards.children
    (row,) = board.rows
    assert row.bar.value == row.bar.max
    assert distinct(recorded[0]["status"].values) == ["submitted", "queued", "executing", "succeeded"]
    assert distinct(recorded[0]["bar_style"].values) == ["info", "success"]
    assert distinct(recorded[0]["value"].values) == [0, 1, 2, 3]
    assert board.summary.value == "1 of 1 done (1 succeeded)"
    # The row names the server the build made, and that server exists.
    servers = session.servers()
    assert list(servers["name"].str.upper()) == ["WA1ALIASWEB01"]
    assert row.result == "WA1ALIASWEB01" and row.name_text.value == "create web → WA1ALIASWEB01"
    assert "1 build(s) submitted" in form.status.value
    assert not thread_errors


def test_build_n_launches_identically_configured_servers(session):
    form = ServerBuildForm(session, poll=POLL)
    form.set(name="app", cpu=1, memory_gb=2, count=3, description="three of a kind")
    watch = form.build().wait(WAIT)

    assert watch.succeeded and len(watch.jobs) == 3
    board = watch.board
    assert board.summary.value == "3 of 3 done (3 succeeded)"
    assert all(row.bar.value == row.bar.max and row.bar.bar_style == "success" for row in board.rows)
    servers = session.servers()
    assert sorted(servers["name"].str.upper()) == ["WA1ALIASAPP01", "WA1ALIASAPP02", "WA1ALIASAPP03"]
    assert set(servers["cpu"]) == {1} and set(servers["memory_mb"]) == {2048}
    assert set(servers["description"]) == {"three of a kind"}


BAD_FIELDS = [
    ({"name": "web server"}, "name", "only letters, digits and '-'"),
    ({"name": "web_1"}, "name", "only letters, digits and '-'"),
    ({"name": "toolongname"}, "name", "at most 5"),
    ({"name": ""}, "name", "required"),
    ({"cpu": 0}, "cpu", "from 1 to 16"),
    ({"cpu": 17}, "cpu", "from 1 to 16"),
    ({"memory_gb": 0}, "memory_gb", "from 1 to 128"),
    ({"memory_gb": 129}, "memory_gb", "from 1 to 128"),
    ({"password": "abc;def"}, "password", "may not contain ;"),
    ({"password": "it's"}, "password", "may not contain '"),
    ({"count": 0}, "count", "from 1 to 10"),
    ({"server_type": "hyperscale"}, "storage_type", "hyperscale storage"),
    ({"storage_type": "hyperscale"}, "storage_type", "only for hyperscale servers"),
]


@pytest.mark.parametrize(
    "values, field, expected", BAD_FIELDS, ids=[f"{f}={list(v.values())[0]!r}" for v, f, _ in BAD_FIELDS]
)
def test_each_bad_field_gets_its_message_and_nothing_is_sent(session, values, field, expected):
    form = ServerBuildForm(session, poll=POLL)
    form.set(**{"name": "web", **values})
    before = posts_to_servers(session)

    watch = form.build()

    assert expected in form.message(field)
    assert list(watch.errors) == [field]
    others = {name: form.message(name) for name in form.fields if name != field}
    assert not any(others.values()), others
    assert watch.done and not watch.jobs and not watch.succeeded
    assert "Nothing was built" in form.status.value
    assert form.boards.children == ()
    assert posts_to_servers(session) == before
    assert session.servers().empty


def test_name_is_checked_while_typing(session):
    form = ServerBuildForm(session, poll=POLL)
    assert form.message("name") == ""  # an untouched empty name is not an error yet
    form.fields["name"].value = "web!"
    assert "only letters, digits and '-'" in form.message("name")
    form.fields["name"].value = "web12"
    assert form.message("name") == ""
    form.fields["name"].value = "web123"  # ALIAS (5) + 6 > 10
    assert "alias 'ALIAS' + name may have at most 10 characters" in form.message("name")


def test_api_model_state_shows_next_to_the_field(session):
    form = ServerBuildForm(session, poll=POLL)
    form.set(name="web")
    # A template the data center does not offer: the local checks pass, the API refuses it.
    form.fields["template"].options = list(form.fields["template"].options) + [("retired", "NO-SUCH-TEMPLATE")]
    form.fields["template"].value = "NO-SUCH-TEMPLATE"

    watch = form.build()

    assert "NO-SUCH-TEMPLATE" in form.message("template")
    assert "template" in watch.errors and not watch.jobs and not watch.succeeded
    assert "Nothing was built: the API refused: " in message_text(form.status)
    assert session.servers().empty


def test_api_name_rule_maps_to_the_name_field(session):
    form = ServerBuildForm(session, poll=POLL)
    form.alias = ""  # as if the local rule did not know the alias: only the API can catch the length
    form.set(name="abcdefgh")

    watch = form.build()

    assert "must not exceed 10" in form.message("name")
    assert list(watch.errors) == ["name"] and session.servers().empty


def test_failed_build_shows_failed_with_its_reason(session, sandbox):
    sandbox.set_faults({"job_failure_rate": 1.0})
    form = ServerBuildForm(session, poll=POLL)
    recorded = attach_recorders(form)
    form.set(name="doom")

    watch = form.build().wait(WAIT)

    (row,) = watch.board.rows
    assert row.state == "failed" and row.bar.bar_style == "danger"
    assert row.bar.value < row.bar.max
    assert row.status_text.value.startswith("failed: ") and row.reason in row.status_text.value
    assert "failed" in row.reason
    assert distinct(recorded[0]["bar_style"].values) == ["info", "danger"]
    assert watch.failed_jobs == watch.jobs and not watch.succeeded
    assert watch.board.summary.value == "1 of 1 done (1 failed)"
    assert session.servers().empty  # a failed build removes the half-made server


def test_rerunning_the_cell_keeps_typed_values_but_never_the_password(session, sandbox):
    first = ServerBuildForm(session)
    first.set(name="db", cpu=4, memory_gb=16, description="database", managed_os=True, password="S3cret!pw")

    again = ServerBuildForm(session)  # the same cell run again

    assert {k: again.fields[k].value for k in ("name", "cpu", "memory_gb", "description", "managed_os")} == {
        "name": "db",
        "cpu": 4,
        "memory_gb": 16,
        "description": "database",
        "managed_os": True,
    }
    assert again.fields["password"].value == ""
    assert again.fields["group"].value == first.fields["group"].value

    import clc_notebook as clc

    other = clc.connect(url=sandbox.url, username=sandbox.username, password=sandbox.password, quiet=True)
    try:
        fresh = ServerBuildForm(other)  # another session starts from the defaults
        assert fresh.fields["name"].value == "" and fresh.fields["cpu"].value == 2
    finally:
        other.close()


def test_password_is_sent_but_never_shown_or_kept(session):
    secret = "Xyzzy-42!pw"
    form = ServerBuildForm(session, poll=POLL)
    form.set(name="sec", password=secret)
    assert secret not in repr(form)

    watch = form.build().wait(WAIT)

    assert watch.succeeded
    assert form.fields["password"].value == ""  # not left in the page's widget state
    server_id = watch.jobs[0].server()["id"]
    assert session.credentials(server_id).password == secret  # it did reach the server
    shown = [repr(form), repr(watch), form.status.value] + [m.value for m in form.messages.values()]
    shown += [r.status_text.value for r in watch.board.rows] + [r.name_text.value for r in watch.board.rows]
    assert not any(secret in text for text in shown)
    assert secret not in session.history.to_string()


def test_choices_follow_the_data_center(session):
    form = ServerBuildForm(session, poll=POLL)
    dcs = [value for _, value in form.fields["dc"].options]
    assert form.fields["dc"].value == "WA1" and len(dcs) > 1
    other = next(dc for dc in dcs if dc != "WA1")

    form.fields["dc"].value = other

    labels = [label for label, _ in form.fields["group"].options]
    assert labels and all(label.startswith(f"{other} Hardware") for label in labels)
    assert not any(label.endswith(("Archive", "Templates")) for label in labels)
    assert form.fields["template"].value is not None


def test_background_polling_prints_nothing(session, capfd, thread_errors):
    form = ServerBuildForm(session, poll=POLL)
    form.set(name="quiet", count=2)
    capfd.readouterr()

    form.build().wait(WAIT)

    out, err = capfd.readouterr()
    assert out == "" and err == ""
    assert not thread_errors


def test_status_reads_through_dropped_and_refused_answers_still_end_green_and_print_nothing(
    session, sandbox, capfd, thread_errors
):
    form = ServerBuildForm(session, poll=POLL)
    form.set(name="rough", count=2)
    sandbox.set_faults(
        {
            "seed": 1,
            "drops": [{"rate": 0.4, "methods": ["GET"], "path": "/status/"}],
            "errors": [{"rate": 0.3, "status": 503, "methods": ["GET"], "path": "/status/"}],
        }
    )
    capfd.readouterr()

    watch = form.build().wait(WAIT)

    assert watch.succeeded and [row.status_text.value for row in watch.board.rows] == ["succeeded"] * 2
    assert capfd.readouterr() == ("", "")
    assert not thread_errors


def test_a_missing_session_is_a_clear_error():
    with pytest.raises(TypeError, match="ServerBuildForm needs a logged-in Session .* \\(got NoneType\\)"):
        ServerBuildForm(None)


def test_an_unknown_data_center_is_said_not_silently_replaced(session):
    form = ServerBuildForm(session, dc="xx9")
    assert form.fields["dc"].value == "WA1"
    assert message_text(form.status) == "Data center 'XX9' is not one of this account's (WA1, VA1, UC1); showing WA1."


def test_a_lower_case_data_center_is_accepted(session):
    form = ServerBuildForm(session, dc="va1")
    assert form.fields["dc"].value == "VA1" and form.status.value == ""


def test_an_unreachable_api_is_reported_in_the_form_not_raised():
    import clc_notebook as clc
    from clc_notebook.sandbox import Sandbox

    sb = Sandbox(mode="polls")
    sb.start()
    s = clc.connect(url=sb.url, username=sb.username, password=sb.password, quiet=True, retries=0)
    try:
        form = ServerBuildForm(s, poll=POLL)
        form.set(name="lost")
        sb.stop()  # the API goes away after the form was filled

        form.build_button.click()  # no exception escapes the click

        watch = form.last_watch
        assert not watch.jobs and not watch.succeeded and "" in watch.errors
        text = message_text(form.status)
        assert text.startswith("Nothing was built: it could not be sent: ") and "cannot connect" in text
        assert form.boards.children == ()
    finally:
        s.close()
        sb.stop()
