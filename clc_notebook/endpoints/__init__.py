"""Session methods by family of endpoints, one module each (a mixin class plus its frame builders).

`Session` inherits every mixin listed here. A family's module holds its methods, the fixed column
schemas of the frames it answers (``SCHEMAS``) and the builders of those frames; it calls the
Session's plumbing (`base.SessionParts`) and nothing else of it.

- networks.py: v2-experimental networks (list, addresses, claim, rename, release), secondary NICs
- policies.py: anti-affinity policies and alert policies (and alert policies on servers)
- operations.py: the Job of a v2-experimental operation (`OperationJob`)
"""

from __future__ import annotations

from . import networks, policies
from .networks import NetworkMethods
from .operations import OperationJob
from .policies import PolicyMethods

# Every frame schema of these families, by name (the core frames' are clc_notebook.frames.SCHEMAS).
SCHEMAS = {**networks.SCHEMAS, **policies.SCHEMAS}

__all__ = ["NetworkMethods", "PolicyMethods", "OperationJob", "SCHEMAS"]
