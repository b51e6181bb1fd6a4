"""One exception tree for everything clc_notebook raises.

    ClcError
    ├── ConfigurationError          (also ValueError) settings missing or contradictory
    ├── ApiError                    the API answered with an error status
    │   ├── ValidationError         400 (also ValueError); status None = caught before sending
    │   ├── AuthenticationError     401, or a refused login (400 on /authentication/login)
    │   ├── PermissionDeniedError   403
    │   ├── NotFoundError           404 (also LookupError)
    │   ├── RateLimitError          429 (after the retries)
    │   └── ServerError             5xx (after the retries)
    ├── TransportError              no usable answer (also ConnectionError)
    │   ├── ClcTimeoutError         no answer in time (also TimeoutError)
    │   └── MalformedResponseError  a success status with a body that is not the JSON expected
    ├── JobError
    │   ├── JobFailedError          a job ended "failed"
    │   └── JobTimeoutError         the deadline passed first (also TimeoutError)
    └── OperationError              the API refused to queue an item (isQueued: false)

Messages name what was asked and what came back. No message, str or repr ever holds a password or
a bearer token: texts built from a server's answer go through the transport's redactor first.
"""

from __future__ import annotations

from typing import Any


class ClcError(Exception):
    """Root of every error raised by clc_notebook."""


class ConfigurationError(ClcError, ValueError):
    """The settings (arguments or environment) are incomplete or contradictory."""


class ApiError(ClcError):
    """The API answered with an error status.

    Attributes: ``status`` (int, or None for a problem found before sending), ``message`` (the API's
    text), ``model_state`` (dict field -> list of messages, possibly empty), ``method``, ``path``,
    ``body`` (the parsed answer, redacted).
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        model_state: dict | None = None,
        method: str | None = None,
        path: str | None = None,
        body: Any = None,
        summary: str | None = None,
    ):
        self.status = status
        self.message = message
        self.model_state = dict(model_state or {})
        self.method = method
        self.path = path
        self.body = body
        super().__init__(summary or message)

    @property
    def fields(self) -> list[str]:
        """The field names the API complained about, without the ``body.`` prefix."""
        return [k.split(".", 1)[1] if k.lower().startswith("body.") else k for k in self.model_state]

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, message={self.message!r})"


class ValidationError(ApiError, ValueError):
    """400: the request was refused as invalid; ``model_state`` names the fields."""


class AuthenticationError(ApiError):
    """401 (token missing, expired or rejected), or a login refused with 400."""


class PermissionDeniedError(ApiError):
    """403: the account or role may not do this (for example another account's alias)."""


class NotFoundError(ApiError, LookupError):
    """404: the thing asked for does not exist."""


class RateLimitError(ApiError):
    """429 still answered after the retries."""


class ServerError(ApiError):
    """5xx still answered after the retries (or on a call that is never retried)."""


class TransportError(ClcError, ConnectionError):
    """No usable answer: connection refused or reset, an answer lost, an unreadable body.

    ``sent`` is False when the request certainly never reached the server (connection refused),
    True or None when it may have been applied and only the answer was lost.
    """

    def __init__(self, message: str, *, method: str | None = None, path: str | None = None, sent: bool | None = None):
        self.method = method
        self.path = path
        self.sent = sent
        super().__init__(message)


class ClcTimeoutError(TransportError, TimeoutError):
    """No answer within the configured timeout (after the retries for safe calls)."""


class MalformedResponseError(TransportError):
    """A success status whose body is not the JSON the API documents."""


class JobError(ClcError):
    """A problem with an asynchronous job; ``jobs`` lists the jobs concerned."""

    def __init__(self, message: str, *, jobs: list | None = None):
        self.jobs = list(jobs or [])
        super().__init__(message)

    @property
    def job(self):
        """The first job concerned (or None)."""
        return self.jobs[0] if self.jobs else None


class JobFailedError(JobError):
    """One or more jobs ended with status ``failed``."""


class JobTimeoutError(JobError, TimeoutError):
    """The deadline passed while jobs were still running; ``jobs`` are the unfinished ones."""


class OperationError(ClcError):
    """The API refused to queue an operation for one or more servers (``isQueued: false``).

    ``items`` is a list of ``{"server": ..., "errorMessage": ...}``.
    """

    def __init__(self, message: str, *, items: list | None = None, operation: str | None = None):
        self.items = list(items or [])
        self.operation = operation
        super().__init__(message)


__all__ = [
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
