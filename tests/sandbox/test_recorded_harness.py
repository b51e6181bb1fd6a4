"""The replay harness's own pieces (tests/sandbox/recorded): path grammar, shapes, comparison, set-up
planning. Without these the replay test could pass by comparing nothing."""

from __future__ import annotations

import re

from recorded.compare import diff
from recorded.corpus import CORPUS_PATH, Interaction, Scenario, load
from recorded.coverage import ROUTES, UNRECORDED_ROUTES, route_of
from recorded.deviations import DEVIATIONS, explain
from recorded.paths import family, parse, template
from recorded.replay import _select, created_entities, existing_entities, recent
from recorded.scenario import _claimed_ips
from recorded.shapes import shape
from recorded.world import SandboxApi, World, stand_in_template


def test_paths_are_typed_by_position_and_keep_their_case():
    p = parse("/v2/servers/ALTD/de1altdweb01/publicIPAddresses/10.1.2.3?x=1")
    assert p.template == "/v2/servers/{ALIAS}/{server}/publicIPAddresses/{ip}"
    assert [(s.kind, s.value) for s in p.slots] == [("alias", "ALTD"), ("server", "de1altdweb01"), ("ip", "10.1.2.3")]
    assert template("/v2/servers/altd/0123456789abcdef0123456789abcdef") == "/v2/servers/{alias}/{uuid}"
    assert template("/v2/operations/altd/servers/powerOn") == "/v2/operations/{alias}/servers/powerOn"
    assert template("http://api.ctl.io/v2-experimental/networks/altd/CA1/x") == (
        "http://{host}/v2-experimental/networks/{alias}/{DC}/{network}"
    )
    assert family("GET", "/v2/operations/{alias}/status/{status}") == "jobs"
    assert family("POST", "/v2/servers/{alias}/{server}/publicIPAddresses") == "public IPs"


def test_shapes_keep_structure_not_values():
    answer = {
        "id": "0123456789abcdef0123456789abcdef",
        "status": "active",
        "changeInfo": {"createdDate": "2015-06-14T16:13:49Z"},
        "ipAddresses": [{"internal": "10.0.0.1"}, {"internal": "10.0.0.2", "public": "1.2.3.4"}],
        "links": [{"rel": "self", "href": "/v2/servers/altd/wa1altdweb01", "verbs": ["GET", "PATCH"], "id": "x"}],
    }
    assert shape(answer) == {
        "id": "id32",
        "status": "=active",
        "changeInfo": {"createdDate": "date"},
        "ipAddresses": [{"internal": "ipv4", "public?": "ipv4"}],
        "links": {"@links": ["self /v2/servers/{alias}/{server} [GET,PATCH] +id"]},
    }


def test_comparison_finds_each_kind_of_difference():
    recorded = shape({"a": 1, "b": "x", "when": "2015-06-14T16:13:49Z", "links": [{"rel": "self", "href": "/v2/x"}]})
    same = shape({"a": 2, "b": "y", "when": "2016-01-01T00:00:00Z", "links": [{"rel": "self", "href": "/v2/x"}]})
    assert diff(recorded, same) == []
    other = shape({"a": 1.5, "c": None, "when": "2015-06-14", "links": [{"rel": "self", "href": "/v2/x", "verbs": []}]})
    kinds = {(d.kind, d.where) for d in diff(recorded, other)}
    assert kinds == {
        ("type", "a"),
        ("missing key", "b"),
        ("extra key", "c"),
        ("type", "when"),
        ("link", "links[rel=self]"),
    }


def test_an_optional_key_may_be_missing_but_a_constant_one_may_not():
    recorded = shape([{"internal": "10.0.0.1"}, {"internal": "10.0.0.2", "public": "1.2.3.4"}])
    assert diff(recorded, shape([{"internal": "10.0.0.9"}])) == []
    assert [d.kind for d in diff(recorded, shape([{"public": "1.2.3.4"}]))] == ["missing key"]


def test_set_up_creates_what_the_account_had_but_not_what_the_scenario_creates():
    def it(method: str, path: str, binds: tuple = ()) -> Interaction:
        return Interaction("s", "0", method, path, "servers", 200, binds=binds)

    scenario = Scenario(
        "s",
        "repo:path",
        {},
        (
            it("GET", "/v2/servers/{ALIAS}/{server#1}"),  # the account had it
            it("POST", "/v2/servers/{ALIAS}", binds=((("links", {"rel": "status"}, "id"), "{status#1}"),)),
            it("GET", "/v2/operations/{ALIAS}/status/{status#1}"),  # learnt from the answer before
        ),
    )
    existing, absent = existing_entities(scenario)
    assert existing == ["server#1"] and absent == set()


def test_a_group_or_server_a_read_shows_existed_unless_the_scenario_made_it():
    child = (("groups", {"#": 0}, "id"), "{group#2}")
    scenario = Scenario(
        "s",
        "repo:path",
        {
            "{group#1}": {"name": "Parent"},
            "{group#2}": {"name": "Child", "parent": "{group#1}"},
            "{group#3}": {"name": "Made here", "parent": "{group#1}"},
            "{server#1}": {"group": "{group#3}"},
        },
        (
            Interaction("s", "0", "GET", "/v2/groups/{ALIAS}/{group#1}", "groups", 200, binds=(child,)),
            Interaction("s", "1", "GET", "/v2/groups/{ALIAS}/{group#2}", "groups", 200),
            Interaction("s", "2", "POST", "/v2/groups/{ALIAS}", "groups", 201, binds=((("id",), "{group#3}"),)),
            Interaction(
                "s", "3", "GET", "/v2/groups/{ALIAS}/{group#3}", "groups", 200, binds=((("x",), "{server#1}"),)
            ),
            Interaction("s", "4", "GET", "/v2/servers/{ALIAS}/{server#1}", "servers", 200),
        ),
    )
    created = created_entities(scenario)
    existing, _ = existing_entities(scenario, created)
    # the child a listing showed existed before; the server in a group the scenario made did not
    assert created == {"group#3"} and existing == ["group#1", "group#2"]


def test_a_template_the_sandbox_lacks_stands_in_for_one_with_the_same_capabilities():
    templates = [
        {"name": "CENTOS-7-64-TEMPLATE", "capabilities": ["hyperscale", "cpuAutoscale"]},
        {"name": "WIN2012R2DTC-64", "capabilities": ["hyperscale", "managedOS"]},
        {"name": "RHEL-6-64-TEMPLATE", "capabilities": ["hyperscale", "managedOS"]},
    ]
    managed = {"isManagedOS": True, "type": "standard"}
    assert stand_in_template("RHEL-5-64-TEMPLATE", templates, managed) == "RHEL-6-64-TEMPLATE"
    assert stand_in_template("UBUNTU-12-64-TEMPLATE", templates, managed) == "WIN2012R2DTC-64"
    assert stand_in_template("CENTOS-5-64-TEMPLATE", templates, {"type": "hyperscale"}) == "CENTOS-7-64-TEMPLATE"
    assert stand_in_template("centos-7-64-template", templates, managed) is None  # the sandbox has it
    assert stand_in_template("RHEL-5-64-TEMPLATE", templates[:1], managed) is None  # none fits: refused


def test_requests_are_counted_for_the_route_the_sandbox_router_picks():
    assert route_of("POST", "/v2-experimental/networks/alias/wa1/claim") == (
        "POST /v2-experimental/networks/{alias}/{dc}/claim"
    )
    assert route_of("POST", "/v2/SERVERS/ALIAS/") == "POST /v2/servers/{alias}"  # any case, trailing slash
    assert route_of("GET", "/v2/servers/alias/x?uuid=true") == "GET /v2/servers/{alias}/{server}"
    assert route_of("PATCH", "/v2/datacenters/alias") is None and route_of("GET", "/v2/invoice/a/2015/7") is None
    assert set(UNRECORDED_ROUTES) < set(ROUTES)


def test_the_committed_corpus_is_small_cited_and_free_of_secrets():
    corpus = CORPUS_PATH.read_text(encoding="utf-8")
    assert len(corpus.encode()) < 1_200_000
    assert not re.search(r"[\w.+-]+@[\w-]+\.[a-z]{2,}", corpus)  # no e-mail address
    assert not re.search(r"eyJ[\w-]{10,}", corpus)  # no bearer token (JWT)
    assert "cloud_user_password" not in corpus and '"<password>"' in corpus
    scenarios = load()
    assert all(sc.source.split(":", 1)[0].startswith("CenturyLinkCloud/clc-") for sc in scenarios)
    assert sum(len(sc.interactions) for sc in scenarios) > 3000


def test_deviations_match_only_what_they_name():
    dev = next(d for d in DEVIATIONS if d.id == "group-contents")
    missing = diff(
        shape({"links": [{"rel": "self", "href": "/v2/x"}, {"rel": "server", "href": "/v2/servers/a/b"}]}),
        shape({"links": [{"rel": "self", "href": "/v2/x"}]}),
    )
    assert [explain("s", "GET /v2/groups/{ALIAS}/{group}", x) for x in missing] == [dev]
    assert [explain("s", "GET /v2/servers/{ALIAS}/{server}", x) for x in missing] == [None]


def test_binds_reach_into_hrefs_and_statistics_dates_move_to_the_sandbox_clock():
    answer = {"links": [{"rel": "self", "href": "http://h/v2-experimental/firewallPolicies/a/de1/" + "f" * 32}]}
    world = World(SandboxApi.__new__(SandboxApi), Scenario("s", "src", {}, ()))
    assert _select(world, answer, ("links", {"rel": "self"}, "href", {"slot": 2})) == "f" * 32
    assert _select(world, answer, ("links", {"rel": "self"}, "href", {"slot": 5})) is None
    now = 1_700_000_000.0  # 2023-11-14T22:13:20Z
    moved = recent({"start": "2015-07-23T12:00:00", "end": "2015-07-23T12:15:00", "type": "realtime"}, now)
    assert moved == {"start": "2023-11-14T20:45:00", "end": "2023-11-14T21:00:00", "type": "realtime"}
    assert recent({"type": "latest"}, now) == {"type": "latest"}


def test_claimed_addresses_are_counted_on_the_primary_network():
    assert _claimed_ips([{"internal": "10.1.2.12"}, {"public": "p", "internal": "10.1.2.13"}]) == 1
    assert _claimed_ips([{"internal": "10.1.2.12"}, {"internal": "10.9.5.12"}]) == 0  # another network
    assert _claimed_ips([]) == 0
