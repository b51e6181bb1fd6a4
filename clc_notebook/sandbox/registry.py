"""How a resource declares what it serves: `@route` on its handlers, `@effect` on its job effects.

The decorators only mark the functions; nothing is registered at import time. The backend reads the
marks of each resource class (`routes_of`, `effects_of`) when it builds the route table and the job
queue, so the route table stays introspectable (`API_ROUTES`) and each resource stays one module.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar

F = TypeVar("F", bound=Callable[..., Any])

_ROUTES = "_sandbox_routes"
_EFFECTS = "_sandbox_effects"


@dataclass(frozen=True)
class RouteMark:
    """One `@route`: the method and path template a handler answers, and how it is called."""

    method: str
    path: str
    auth: bool  # a valid bearer token is needed (checked before anything else: 401 before 400)
    body: bool  # the body is parsed before the handler runs (a malformed body is 400 before a 403)


@dataclass(frozen=True)
class EffectMark:
    """One `@effect`: the job kinds a function settles and their duration class (clock.DURATIONS)."""

    kinds: tuple[str, ...]
    duration: str


class RouteSpec(NamedTuple):
    """A route as the table lists it: path template, handler name, methods, whether a token is needed."""

    path: str
    handler: str
    methods: tuple[str, ...]
    auth: bool


def route(method: str, path: str, *, auth: bool = True, body: bool = False) -> Callable[[F], F]:
    """Mark a resource method `(self, call: Call) -> JSON | Reply` as the handler of `method path`.

    `auth=False` for the few calls without a token (login, control plane); `body=True` for handlers
    that read the request body. Stack several `@route`s to serve more than one path or method.
    """

    def mark(fn: F) -> F:
        setattr(fn, _ROUTES, (*getattr(fn, _ROUTES, ()), RouteMark(method.upper(), path, auth, body)))
        return fn

    return mark


def effect(*kinds: str, duration: str = "other") -> Callable[[F], F]:
    """Mark a resource method `(self, db, job: Job) -> None` as the settle step of jobs of `kinds`.

    It runs exactly once per job, when the job reaches its end (succeeded or failed: check
    `job.succeeded`), inside the transaction of the request that noticed it. `duration` names the job's
    length at speed 1 in `clock.DURATIONS` ("create", "delete", "power" or "other").
    """

    def mark(fn: F) -> F:
        setattr(fn, _EFFECTS, (*getattr(fn, _EFFECTS, ()), EffectMark(kinds, duration)))
        return fn

    return mark


def routes_of(cls: type) -> list[tuple[str, RouteMark]]:
    """(attribute name, mark) of every `@route` declared by a class, in the order of its source."""
    return [(name, mark) for name, value in vars(cls).items() for mark in getattr(value, _ROUTES, ())]


def effects_of(cls: type) -> list[tuple[str, EffectMark]]:
    """(attribute name, mark) of every `@effect` declared by a class, in the order of its source."""
    return [(name, mark) for name, value in vars(cls).items() for mark in getattr(value, _EFFECTS, ())]


def route_specs(classes: list[type]) -> list[RouteSpec]:
    """The route table of some classes, one entry per `@route`."""
    return [
        RouteSpec(mark.path, f"{cls.__name__}.{name}", (mark.method,), mark.auth)
        for cls in classes
        for name, mark in routes_of(cls)
    ]
