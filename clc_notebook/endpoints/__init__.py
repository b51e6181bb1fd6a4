"""Session methods by family of endpoints, one module each (a mixin class plus its frame builders).

`Session` inherits every mixin listed here. A family's module holds its methods, the fixed column
schemas of the frames it answers (``SCHEMAS``) and the builders of those frames; it calls the
Session's plumbing (`base.SessionParts`) and nothing else of it.

- load_balancers.py: shared load balancers, their pools and nodes
- firewall.py: intra- and cross-data-center firewall policies
- monitoring.py: group monitoring statistics (a time series) and group billing
- lost_answers.py: what a synchronous change does when its answer is lost
- networks.py: v2-experimental networks (list, addresses, claim, rename, release), secondary NICs
- policies.py: anti-affinity policies and alert policies (and alert policies on servers)
- operations.py: the Job of a v2-experimental operation (`OperationJob`)
"""

from __future__ import annotations

from . import firewall, load_balancers, monitoring, networks, policies
from .firewall import FirewallMethods
from .load_balancers import LoadBalancerMethods
from .monitoring import MonitoringMethods
from .networks import NetworkMethods
from .operations import OperationJob
from .policies import PolicyMethods

# Every frame schema of these families, by name (the core frames' are clc_notebook.frames.SCHEMAS).
SCHEMAS = {
    **load_balancers.SCHEMAS,
    **firewall.SCHEMAS,
    **monitoring.SCHEMAS,
    **networks.SCHEMAS,
    **policies.SCHEMAS,
}

__all__ = [
    "FirewallMethods",
    "LoadBalancerMethods",
    "MonitoringMethods",
    "NetworkMethods",
    "PolicyMethods",
    "OperationJob",
    "SCHEMAS",
]
