"""ServerBuildForm's network and anti-affinity choices: networks from the networks API (claimed ones
too, the capabilities' when there is none), anti-affinity policies of the data center for hyperscale."""

from __future__ import annotations

import ipaddress

from widget_helpers import POLL, WAIT

from clc_notebook.widgets import ServerBuildForm

NETWORK = "a933432bd1234e84b6c4fa329e48cb8b"


def claimed(session, name: str) -> str:
    job = session.claim_network("WA1").wait(timeout=30)
    session.update_network(job.network_id, name)
    return job.network_id


def test_networks_include_claimed_ones_and_a_build_uses_the_choice(session):
    net = claimed(session, "Web tier")
    form = ServerBuildForm(session, poll=POLL)
    assert form.fields["network"].options == (("(automatic)", ""), ("My Network", NETWORK), ("Web tier", net))
    form.set(name="web", network=net, cpu=1, memory_gb=1)
    watch = form.build().wait(WAIT)
    assert watch.succeeded
    server = session.server(watch.jobs[0].server_id)
    assert ipaddress.IPv4Address(server.ip) in ipaddress.IPv4Network("172.16.0.0/24")


def test_without_a_networks_api_the_capabilities_networks_are_offered(session, sb):
    sb.set_faults({"errors": [{"rate": 1.0, "status": 404, "methods": ["GET"], "path": "^/v2-experimental/"}]})
    form = ServerBuildForm(session, poll=POLL)
    assert form.fields["network"].options == (("(automatic)", ""), ("My Network", NETWORK))
    assert form.fields["network"].value == NETWORK
    assert "Could not" not in form.status.value


def test_anti_affinity_policies_only_for_hyperscale(session):
    west = session.create_anti_affinity_policy("Web spread", dc="WA1")
    session.create_anti_affinity_policy("East", dc="VA1")
    form = ServerBuildForm(session, poll=POLL)
    row, field = form.rows["anti_affinity"], form.fields["anti_affinity"]
    assert row.layout.display == "none"  # a standard server cannot join a policy
    assert field.options == (("(none)", ""), ("Web spread", west["id"]))  # this data center's only
    form.set(server_type="hyperscale", storage_type="hyperscale")
    assert row.layout.display is None
    form.set(anti_affinity=west["id"], name="hs", cpu=1, memory_gb=1)
    assert form.create_arguments()["anti_affinity_policy_id"] == west["id"]
    watch = form.build().wait(WAIT)
    assert watch.succeeded
    server = session.server(watch.jobs[0].server_id)
    assert server["details"]["antiAffinityPolicy"]["id"] == west["id"]
    form.set(server_type="standard", storage_type="standard")  # back to standard: the choice goes
    assert field.value == "" and "anti_affinity_policy_id" not in form.create_arguments()
    assert row.layout.display == "none"


def test_a_data_center_change_reloads_the_policies(session):
    session.create_anti_affinity_policy("Web spread", dc="WA1")
    east = session.create_anti_affinity_policy("East", dc="VA1")
    form = ServerBuildForm(session, poll=POLL)
    form.set(dc="VA1")
    assert form.fields["anti_affinity"].options == (("(none)", ""), ("East", east["id"]))


def test_a_backend_without_policies_offers_none_and_still_builds(session, sb):
    sb.set_faults({"errors": [{"rate": 1.0, "status": 404, "methods": ["GET"], "path": "^/v2/antiAffinityPolicies/"}]})
    form = ServerBuildForm(session, poll=POLL)
    assert form.fields["anti_affinity"].options == (("(none)", ""),)
    assert "Could not" not in form.status.value
    sb.set_faults({})
    form.set(name="web", cpu=1, memory_gb=1)
    assert form.build().wait(WAIT).succeeded


def test_the_policy_choice_is_remembered_with_the_type(session):
    west = session.create_anti_affinity_policy("Web spread", dc="WA1")
    form = ServerBuildForm(session, poll=POLL)
    form.set(server_type="hyperscale", storage_type="hyperscale", anti_affinity=west["id"])
    again = ServerBuildForm(session, poll=POLL)  # the cell run again
    assert again.fields["server_type"].value == "hyperscale"
    assert again.fields["anti_affinity"].value == west["id"]
    assert again.rows["anti_affinity"].layout.display is None
