"""The sandbox's resources, one module each (routes, rules, representation and job effects side by side).

`RESOURCES` is the registry: the backend builds them in this order, each with the shared `Context` and,
by parameter name, the resources its constructor asks for (`def __init__(self, ctx, servers: Servers)`
gets the `Servers` built before it). A resource may only ask for resources listed above it; one built
on another extends it through that one's hooks (`Groups.add_members`, `Servers.add_on`). Optional:
`tables = {name: "column definitions"}` (created if missing, emptied by a reset), `migrate(self, db)`
(brings those tables of a state file written by an older version up to their definitions) and
`seed(self, db)` (run after the tutorial's account is seeded). See docs/sandbox.md, "How to add a resource".
"""

from __future__ import annotations

import inspect
from typing import Any

from ..context import Context
from ..registry import effects_of
from .accounts import Accounts
from .alert_policies import AlertPolicies
from .anti_affinity import AntiAffinityPolicies
from .autoscale_policies import AutoscalePolicies
from .billing import Billing
from .cross_dc_firewall_policies import CrossDcFirewallPolicies
from .datacenters import Datacenters
from .experimental_operations import ExperimentalOperations
from .firewall_policies import FirewallPolicies
from .groups import Groups
from .jobs import Jobs
from .load_balancers import LoadBalancers
from .networks import Networks
from .operations import Operations
from .public_ips import PublicIps
from .secondary_nics import SecondaryNics
from .servers import Servers
from .statistics import Statistics

RESOURCES: list[type] = [
    Accounts,
    Datacenters,
    Groups,
    Servers,
    Operations,
    Billing,
    Statistics,
    LoadBalancers,
    FirewallPolicies,
    CrossDcFirewallPolicies,
    Jobs,
    ExperimentalOperations,
    Networks,
    PublicIps,
    SecondaryNics,
    AntiAffinityPolicies,
    AlertPolicies,
    AutoscalePolicies,
]


def build(ctx: Context, classes: list[type] = RESOURCES) -> dict[str, Any]:
    """One object per resource class, by its `name`, in order: its own `tables` created (and migrated),
    its `@effect`s registered with the job queue. Raises ValueError for a dependency not built before
    the resource asking for it."""
    built: dict[str, Any] = {}
    for cls in classes:
        wanted = list(inspect.signature(cls).parameters)[1:]  # after ctx
        missing = [name for name in wanted if name not in built]
        if missing:
            raise ValueError(f"{cls.__name__} needs {', '.join(missing)}: list it after them in RESOURCES")
        ctx.store.add_tables(getattr(cls, "tables", {}))
        resource = cls(ctx, **{name: built[name] for name in wanted})
        migrate = getattr(resource, "migrate", None)
        if migrate is not None:
            with ctx.store.transaction() as db:
                migrate(db)
        for attribute, mark in effects_of(cls):
            for kind in mark.kinds:
                ctx.jobs.register(kind, getattr(resource, attribute), mark.duration)
        built[cls.name] = resource  # type: ignore[attr-defined]
    return built
