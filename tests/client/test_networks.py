"""Client: networks (v2-experimental) and secondary NICs against the real sandbox: frames with fixed
columns, the claim as a waitable Job, names resolved to ids, create_server(network=)."""

from __future__ import annotations

import ipaddress

import pandas as pd
import pytest
from sandbox_api import NETWORK, TEMPLATE

import clc_notebook as clc
from clc_notebook import endpoints, frames
from clc_notebook.endpoints import OperationJob
from clc_notebook.endpoints.networks import IP_ADDRESSES, NETWORKS


def _dtypes(df: pd.DataFrame) -> list[tuple[str, str]]:
    return [(c, str(t)) for c, t in df.dtypes.items()]


@pytest.mark.parametrize("name", sorted(endpoints.SCHEMAS))
def test_empty_endpoint_frames_have_their_schema(name):
    schema = endpoints.SCHEMAS[name]
    df = frames.frame(schema, {})
    assert df.empty and _dtypes(df) == list(schema)
    assert all(c == c.lower() and " " not in c for c, _ in schema)


def claimed(s, dc: str = "WA1") -> str:
    job = s.claim_network(dc).wait(timeout=30)
    assert job.succeeded and job.network_id
    return job.network_id


def test_networks_frame(s):
    df = s.networks()
    assert _dtypes(df) == list(NETWORKS)
    assert df.loc[0, "id"] == NETWORK and df.loc[0, "name"] == "My Network"
    assert df.loc[0, "vlan"] == 200 and df.loc[0, "location"] == "WA1" and df.loc[0, "netmask"] == "255.255.0.0"
    assert df.attrs["raw"][0]["id"] == NETWORK
    assert list(s.networks("va1")["location"]) == ["VA1"]
    with pytest.raises(clc.NotFoundError):
        s.networks("XX9")


def test_claim_is_a_job_that_names_its_network(s, sb):
    seen = []
    job = s.claim_network()
    assert isinstance(job, OperationJob) and isinstance(job, clc.Job) and job.kind == "claim_network"
    assert job.network_id is None
    job.wait(timeout=30, progress=lambda j, status, elapsed: seen.append(status))
    assert seen == ["queued", "running", "succeeded"]  # the operation's own words, waited through
    assert job.succeeded and job.record["summary"]["locationId"] == "WA1"
    assert job.network_id in set(s.networks()["id"])
    assert sb.jobs()[-1]["kind"] == "claimNetwork"


def test_a_failed_claim_raises_and_names_no_network(s, sb):
    sb.set_faults({"job_failure_rate": 1.0})
    job = s.claim_network()
    with pytest.raises(clc.JobFailedError):
        job.wait(timeout=30)
    assert job.failed and job.network_id is None
    assert list(s.networks()["id"]) == [NETWORK]


def test_operations_and_jobs_wait_together(s, default_group):
    build = s.create_server(name="web", group_id=default_group, template=TEMPLATE, cpu=1, memory_gb=1)
    claim = s.claim_network()
    clc.JobSet([build, claim]).wait(timeout=30)
    assert build.succeeded and claim.succeeded
    assert "claim_network" in set(clc.JobSet([build, claim]).summary()["kind"])


def test_ip_addresses_by_type(s, default_group):
    net = claimed(s)
    server = s.create_server(name="web", group_id=default_group, template=TEMPLATE, cpu=1, memory_gb=1, network=net)
    ip = server.wait(timeout=30).server().ip
    used = s.ip_addresses(net, type="claimed")
    assert _dtypes(used) == list(IP_ADDRESSES)
    assert list(used["address"]) == [ip] and used.loc[0, "server"] == server.server().name
    assert bool(used.loc[0, "primary"]) and bool(used.loc[0, "claimed"])
    free = s.ip_addresses(net, type="FREE")
    assert ip not in set(free["address"]) and len(free) == 252
    assert len(s.ip_addresses(net)) == 253  # default: all
    before = s.calls
    with pytest.raises(clc.ValidationError) as err:
        s.ip_addresses(net, type="some")
    assert err.value.status is None and "type" in err.value.model_state and s.calls == before


def test_names_resolve_to_ids(s):
    net = claimed(s)
    s.update_network(net, "Web tier", "front servers")
    assert s.resolve_network("Web tier") == net and s.resolve_network("web TIER") == net
    before = s.calls
    assert s.resolve_network(net.upper()) == net and s.calls == before  # an id costs no request
    got = s.network("Web tier")
    assert (got["name"], got["description"]) == ("Web tier", "front servers")
    with pytest.raises(clc.NotFoundError) as err:
        s.resolve_network("Nope")
    assert "My Network" in str(err.value) and "Web tier" in str(err.value)
    s.update_network(claimed(s), "Web tier")  # now two are called so
    with pytest.raises(clc.ValidationError) as err:
        s.resolve_network("Web tier")
    assert "2 networks" in str(err.value)


def test_update_and_release(s):
    net = claimed(s)
    with pytest.raises(clc.ValidationError):
        s.update_network(net, "  ")
    s.update_network(net, "Temp")
    assert s.network(net)["description"] == "vlan_300_172.16.0"  # None keeps the description
    s.release_network("Temp")
    assert net not in set(s.networks()["id"])
    with pytest.raises(clc.NotFoundError):
        s.release_network(net)


def test_release_is_refused_while_servers_use_it(s, default_group):
    net = claimed(s)
    s.create_server(name="web", group_id=default_group, template=TEMPLATE, cpu=1, memory_gb=1, network=net).wait(
        timeout=30
    )
    with pytest.raises(clc.ValidationError) as err:
        s.release_network(net)
    assert err.value.status == 400 and "WA1ALIASWEB01" in str(err.value)


def test_create_server_takes_a_network_name(s, default_group):
    net = claimed(s)
    s.update_network(net, "Web tier")
    job = s.create_server(name="web", group_id=default_group, template=TEMPLATE, cpu=1, memory_gb=1, network="Web tier")
    server = job.wait(timeout=30).server()
    assert ipaddress.IPv4Address(server.ip) in ipaddress.IPv4Network("172.16.0.0/24")
    posts = len(s.history[s.history["method"] == "POST"])
    with pytest.raises(clc.ValidationError) as err:
        s.create_server(name="web", group_id=default_group, template=TEMPLATE, cpu=1, memory_gb=1, network="Nope")
    assert "network" in err.value.model_state
    assert len(s.history[s.history["method"] == "POST"]) == posts  # nothing was sent
    with pytest.raises(clc.ValidationError):
        s.create_server(name="web", group_id=default_group, template=TEMPLATE, network="Web tier", network_id=NETWORK)


def test_without_a_networks_api_names_come_from_the_capabilities(s, sb):
    """A backend that answers 404 to v2-experimental networks: the deployable networks are used."""
    sb.set_faults({"errors": [{"rate": 1.0, "status": 404, "methods": ["GET"], "path": "^/v2-experimental/networks/"}]})
    assert s.network_choices() == [("My Network", NETWORK)]
    assert s.resolve_network("My Network") == NETWORK
    with pytest.raises(clc.NotFoundError):
        s.network_choices("XX9")


def test_secondary_nics(s, built):
    net = claimed(s)
    s.update_network(net, "Back end")
    job = s.add_secondary_nic(built.id, "Back end", ip_address="172.16.0.20")
    assert isinstance(job, OperationJob) and job.server_id == built.id
    job.wait(timeout=30)
    assert s.server(built.id)["details"]["secondaryIPAddresses"] == [{"internal": "172.16.0.20"}]
    assert s.ip_addresses("Back end", type="claimed").loc[0, "server"] == built.name
    with pytest.raises(clc.ValidationError) as err:
        s.add_secondary_nic(built.id, "Back end")
    assert "body.networkId" in err.value.model_state
    s.remove_secondary_nic(built.id, net).wait(timeout=30)
    assert s.server(built.id)["details"]["secondaryIPAddresses"] == []
    with pytest.raises(clc.NotFoundError):
        s.remove_secondary_nic(built.id, net)


def test_operation_status_reads_ride_out_unavailable_answers(s, sb):
    """503s on the operation's status reads are read again (as for any job), never taken as an end."""
    job = s.claim_network()
    sb.set_faults({"seed": 3, "errors": [{"rate": 0.5, "status": 503, "path": "^/v2-experimental/operations/"}]})
    job.wait(timeout=60)
    assert job.succeeded and job.network_id
