"""The public face of clc_notebook changes only on purpose: these tests pin it."""

import inspect

import clc_notebook as clc
from clc_notebook import errors

PUBLIC = {
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
}


def test_all_is_pinned():
    assert set(clc.__all__) == PUBLIC
    assert len(clc.__all__) == len(PUBLIC), "no duplicates in __all__"
    for name in clc.__all__:
        assert hasattr(clc, name), name


def test_error_tree_matches_the_contract():
    parent = {
        "ApiError": "ClcError",
        "AuthenticationError": "ApiError",
        "PermissionDeniedError": "ApiError",
        "NotFoundError": "ApiError",
        "ValidationError": "ApiError",
        "RateLimitError": "ApiError",
        "ServerError": "ApiError",
        "TransportError": "ClcError",
        "ClcTimeoutError": "TransportError",
        "MalformedResponseError": "TransportError",
        "JobError": "ClcError",
        "JobFailedError": "JobError",
        "JobTimeoutError": "JobError",
        "OperationError": "ClcError",
        "ConfigurationError": "ClcError",
    }
    for child, base in parent.items():
        assert issubclass(getattr(errors, child), getattr(errors, base)), (child, base)
        assert getattr(clc, child) is getattr(errors, child)
    # the second axes: catchable as the builtin a Python user would reach for
    assert issubclass(clc.ValidationError, ValueError)
    assert issubclass(clc.NotFoundError, LookupError)
    assert issubclass(clc.ClcTimeoutError, TimeoutError)
    assert issubclass(clc.JobTimeoutError, TimeoutError)
    assert issubclass(clc.TransportError, ConnectionError)


def test_connect_signature_matches_the_contract():
    params = inspect.signature(clc.connect).parameters
    assert list(params)[:3] == ["url", "username", "password"]
    for name in ("token", "alias", "location", "timeout", "sandbox", "quiet"):
        assert params[name].kind is inspect.Parameter.KEYWORD_ONLY, name
    assert params["timeout"].default == (5, 30)
    assert params["quiet"].default is False


def test_session_has_the_contract_methods():
    names = [
        "datacenters",
        "capabilities",
        "groups",
        "group",
        "servers",
        "server",
        "create_server",
        "update_server",
        "delete_server",
        "power",
        "reboot",
        "power_on",
        "power_off",
        "shut_down",
        "reset",
        "pause",
        "archive",
        "start_maintenance",
        "stop_maintenance",
        "create_group",
        "update_group",
        "delete_group",
        "credentials",
        "add_public_ip",
        "public_ip",
        "update_public_ip",
        "delete_public_ip",
        "custom_fields",
        "job",
        "request",
        "close",
    ]
    for name in names:
        assert callable(getattr(clc.Session, name)), name
    assert isinstance(inspect.getattr_static(clc.Session, "history"), property)
    for name in ("status", "wait", "server"):
        assert callable(getattr(clc.Job, name)), name
    for name in ("done", "succeeded", "failed", "elapsed"):
        assert isinstance(inspect.getattr_static(clc.Job, name), property), name
    for name in ("wait", "summary"):
        assert callable(getattr(clc.JobSet, name)), name


def test_api_error_repr_shows_the_status():
    err = clc.NotFoundError("gone", status=404)
    assert repr(err) == "NotFoundError(status=404, message='gone')"
