"""clc_notebook: drive the CenturyLink Cloud REST API v2 from Jupyter.

    import clc_notebook as clc
    s = clc.connect()            # arguments, else CLC_V2_API_* environment, else the embedded sandbox
    s.servers()                  # a DataFrame of every server of the account

The public names are pinned by tests/client/test_public_api.py.
"""

from ._version import __version__
from .errors import (
    ApiError,
    AuthenticationError,
    ClcError,
    ClcTimeoutError,
    ConfigurationError,
    JobError,
    JobFailedError,
    JobTimeoutError,
    MalformedResponseError,
    NotFoundError,
    OperationError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    TransportError,
    ValidationError,
)
from .jobs import Job, JobSet, TextProgress
from .records import Capabilities, Credentials, Group, Server
from .session import Session, connect

__all__ = [
    "__version__",
    "connect",
    "Session",
    "Job",
    "JobSet",
    "TextProgress",
    "Server",
    "Group",
    "Credentials",
    "Capabilities",
    "ClcError",
    "ConfigurationError",
    "ApiError",
    "ValidationError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NotFoundError",
    "RateLimitError",
    "ServerError",
    "TransportError",
    "ClcTimeoutError",
    "MalformedResponseError",
    "JobError",
    "JobFailedError",
    "JobTimeoutError",
    "OperationError",
]
