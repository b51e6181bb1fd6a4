"""The sandbox's answers that are not successes: raised by the backend, turned into responses by the routes."""

from __future__ import annotations

NOT_FOUND_MESSAGE = "The requested resource does not exist."
INVALID_MESSAGE = "The request is invalid."
UNAUTHORIZED_MESSAGE = "Authorization has been denied for this request."
BAD_LOGIN_MESSAGE = "We didn't recognize the username or password you entered. Please try again."


class ApiProblem(Exception):
    """An HTTP error answer: `status`, a JSON `body` (None = empty body) and extra `headers`."""

    status = 400

    def __init__(self, body: object = None, status: int | None = None, headers: dict | None = None):
        super().__init__(body)
        if status is not None:
            self.status = status
        self.body = body
        self.headers = headers or {}


class BadRequest(ApiProblem):
    """400 with `{"message"}` or, when `model_state` is given, `{"message", "modelState"}`."""

    status = 400

    def __init__(self, message: str = INVALID_MESSAGE, model_state: dict | None = None):
        body: dict = {"message": message}
        if model_state:
            body["modelState"] = model_state
        super().__init__(body)
        self.model_state = model_state or {}


class Unauthorized(ApiProblem):
    status = 401

    def __init__(self, message: str = UNAUTHORIZED_MESSAGE):
        super().__init__({"message": message})


class Forbidden(ApiProblem):
    status = 403

    def __init__(self, message: str = "The account alias in the request is not accessible with these credentials."):
        super().__init__({"message": message})


class NotFound(ApiProblem):
    """404: `{"message": ...}`, or an empty body (`empty=True`) as for an unknown server."""

    status = 404

    def __init__(self, message: str = NOT_FOUND_MESSAGE, empty: bool = False):
        super().__init__(None if empty else {"message": message})


def field_error(field: str, message: str) -> BadRequest:
    """A 400 whose modelState names one body field (``body.<field>``)."""
    return BadRequest(model_state={f"body.{field}" if field else "": [message]})
