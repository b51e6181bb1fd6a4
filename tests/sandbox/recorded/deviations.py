"""The reviewed list of differences from recorded production that the sandbox keeps, each with its reason.

A difference the replay finds is *explained* when an entry here matches it; every other difference
fails tests/sandbox/test_recorded.py. Every entry must appear, by its id, in the "Deviations from
production" table of docs/sandbox.md, and must still match something (a stale entry fails the test
too, so an entry is removed when the sandbox catches up).

Entries are about the recorded *account* or the *harness*, never about a sandbox bug: a bug is fixed,
not listed. Patterns (`*` any characters, `|` between alternatives) match the endpoint (`GET /v2/servers/{ALIAS}/{server}`), the
difference's kind and where (`details.cpuAutoscalePolicy`, `servers[].details...`) and the scenario.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .compare import Difference


@dataclass(frozen=True)
class Deviation:
    """One kept difference: what it matches and why it is kept."""

    id: str
    reason: str
    endpoint: str = "*"
    kind: str = "*"
    where: str = "*"
    scenario: str = "*"
    sandbox: str = "*"  # what the sandbox answered, as the difference says it (`400*template*`)

    def matches(self, scenario: str, endpoint: str, d: Difference) -> bool:
        return (
            _like(endpoint, self.endpoint)
            and _like(d.kind, self.kind)
            and _like(d.where, self.where)
            and _like(scenario, self.scenario)
            and _like(d.sandbox, self.sandbox)
        )


def _like(text: str, pattern: str) -> bool:
    """Whether `text` matches `pattern`: `*` is any run of characters, `|` separates alternatives."""
    return any(
        re.fullmatch(".*".join(re.escape(part) for part in alternative.split("*")), text) is not None
        for alternative in pattern.split("|")
    )


DEVIATIONS: tuple[Deviation, ...] = (
    Deviation(
        id="account-custom-fields",
        reason="The recorded account had text and option custom fields; the sandbox's seeded "
        "account also has a checkbox field.",
        endpoint="GET /v2/accounts/{ALIAS}/customFields",
        kind="value",
        where="[].type",
    ),
    Deviation(
        id="account-templates",
        reason="The recorded account built from RHEL-5-64-TEMPLATE, which the sandbox's template list "
        "(RHEL 6, CentOS 6/7, Ubuntu 14, Windows 2012 R2) lacks; replay set-up builds from the sandbox "
        "template with the same capabilities (RHEL-6-64-TEMPLATE), so the server's os is RHEL 6.",
        endpoint="GET /v2/servers/*",
        kind="value",
        where="os",
        scenario="node: Create server with managed OS operation*",
        sandbox="=redHat6_64Bit",
    ),
    Deviation(
        id="managed-os-build",
        reason="Production's managed-OS server was still underConstruction (no details, few links) in the "
        "read right after its build job said succeeded, and active in the next; a single observation, "
        "so the sandbox's server is active when its build job is, managed or not.",
        endpoint="GET /v2/servers/*",
        kind="value|extra key|extra link|link",
        where="status|details|links[rel=*]",
        scenario="node: Create server with managed OS operation*",
    ),
    Deviation(
        id="group-contents",
        reason="Replay set-up creates only the servers a scenario uses, so a group the recorded "
        "account filled with other servers has fewer `server` links.",
        endpoint="GET /v2/groups/*",
        kind="missing link",
        where="*links[rel=server]",
    ),
    Deviation(
        id="secondary-ips-key",
        reason="Production added details.secondaryIPAddresses between 2015-08-11 and 2015-08-18 "
        "(every recorded server answer up to the 11th lacks it, every one from the 18th has it); the "
        "sandbox answers as production did from then on.",
        endpoint="GET /v2/servers/*|GET /v2/groups/*",
        kind="extra key",
        where="*details.secondaryIPAddresses",
    ),
    Deviation(
        id="network-links-absolute",
        reason="Production answered a network's links absolute (http://api.ctl.io/v2-experimental/...) in "
        "most recordings and root-relative in some; the sandbox answers them absolute, as documented.",
        endpoint="GET /v2-experimental/networks/*",
        kind="link",
        where="*links[rel=self]|*links[rel=ipAddresses]|*links[rel=release]",
        sandbox="http://{host}/*",
    ),
    Deviation(
        id="network-release-204",
        reason="Production answered a network release 204 in some recordings and 200 with {} in others; "
        "the sandbox answers 204, as documented.",
        endpoint="POST /v2-experimental/networks/*/release",
        kind="status",
        sandbox="204",
    ),
    Deviation(
        id="nic-operation-uri",
        reason="Production answered a secondary NIC's operation uri absolute (http://api.ctl.io/...), which "
        "clc-sdk (and so the Ansible modules) cannot follow: it prefixes every path with its endpoint. "
        "The sandbox answers it root-relative, like the network claim's.",
        endpoint="POST /v2/servers/*/networks|DELETE /v2/servers/*/networks/*",
        kind="href",
        where="uri",
        sandbox="href:/v2-experimental/operations/*",
    ),
    Deviation(
        id="claim-status-links",
        reason="One recorded claim status, read in the second the claim was made, has no summary.links; "
        "every other finished claim links its network, and so does the sandbox's.",
        endpoint="GET /v2-experimental/operations/*",
        kind="extra key",
        where="summary.links",
        scenario="java: server/network/claim/after",
    ),
    Deviation(
        id="aa-delete-unknown",
        reason="The Node SDK once deleted the anti-affinity policy `undefined` (an SDK bug) and production "
        "answered 204; the sandbox answers an unknown policy 404, as for every other unknown id.",
        endpoint="DELETE /v2/antiAffinityPolicies/{ALIAS}/undefined",
        kind="status",
        sandbox="404*",
    ),
    Deviation(
        id="wiremock-in-flight",
        reason="These Java SDK test folders mix WireMock mappings of several recording runs: "
        "servers read mid-build or mid-delete by one run sit next to reads of another, and no "
        "order of the mappings makes the sandbox's clock agree with all of them.",
        endpoint="GET /v2/servers/*",
        kind="value|status|missing key|extra key|missing link|extra link",
        where="status|details||links[rel=*]",
        scenario="java: server/statistics/monitoring",
    ),
    Deviation(
        id="wiremock-in-flight-self",
        reason="The same folder: the self link of a server the sandbox has finished building offers "
        "DELETE, the recorded one was read mid-build.",
        endpoint="GET /v2/servers/*",
        kind="link",
        where="links[rel=self]",
        scenario="java: server/statistics/monitoring",
    ),
    Deviation(
        id="wiremock-mixed-runs",
        reason="The Java SDK's group-operations test folder holds mappings of two recording runs: a "
        "group created by one run (with a description) is used by the other, so set-up creates it "
        "before a listing that production answered before that group existed.",
        endpoint="GET /v2/groups/*",
        kind="extra key",
        where="groups[].groups[].description",
        scenario="java: server/groups/test_group_operations",
    ),
    Deviation(
        id="wiremock-same-second",
        reason="In the Java SDK's alert update-fields folder a read and the update of the same policy "
        "share a second: the read shows the policy before the update, the replay sends it after.",
        endpoint="GET /v2/alertPolicies/*",
        kind="value",
        where="triggers[].metric",
        scenario="java: policy/alert/modify/update-fields",
    ),
    Deviation(
        id="wiremock-policy-servers",
        reason="The Java SDK's infrastructure-policies folder mixes recording runs: reads of an "
        "anti-affinity policy listing the servers a later request of the folder creates come first.",
        endpoint="GET /v2/antiAffinityPolicies/*|PUT /v2/antiAffinityPolicies/*",
        kind="missing link",
        where="*links[rel=server]",
        scenario="java: server/groups/infrastructure-policies",
    ),
    Deviation(
        id="wiremock-ip-order",
        reason="The Java SDK's add-IP test folder keeps a read of the server from before its "
        "public IP link appeared next to one from after; their order is lost.",
        endpoint="GET /v2/servers/*",
        kind="extra link",
        where="links[rel=publicIPAddress]",
        scenario="java: server/servers/ip/add_ip_test",
    ),
)


def explain(scenario: str, endpoint: str, d: Difference) -> Deviation | None:
    """The kept deviation that explains a difference, or None (an unexplained difference)."""
    for dev in DEVIATIONS:
        if dev.matches(scenario, endpoint, d):
            return dev
    return None
