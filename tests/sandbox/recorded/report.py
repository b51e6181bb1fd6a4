"""Counting replay outcomes per endpoint family, and the Markdown report of a replay run."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from .compare import Difference
from .coverage import ROUTES, UNRECORDED_ROUTES, route_of
from .deviations import explain
from .replay import DIFFERENT, NOT_IMPLEMENTED, SAME, SKIPPED, UNRESOLVED, Outcome


@dataclass
class Family:
    """The counts of one endpoint family."""

    recorded: int = 0
    same: int = 0
    kept: int = 0  # different, but every difference is a kept deviation
    unexplained: int = 0  # with at least one difference no deviation explains
    not_implemented: int = 0
    unresolved: int = 0
    skipped: int = 0

    @property
    def replayed(self) -> int:
        return self.same + self.kept + self.unexplained


@dataclass
class Summary:
    """Per-family counts, the unexplained differences by class, and which deviations were used."""

    families: dict[str, Family] = field(default_factory=dict)
    unexplained: dict[tuple[str, str, str, str], list[tuple[Outcome, Difference]]] = field(default_factory=dict)
    used: Counter[str] = field(default_factory=Counter)
    not_implemented: Counter[str] = field(default_factory=Counter)
    routes: Counter[str] = field(default_factory=Counter)  # route of the sandbox -> replayed interactions
    unrouted: Counter[str] = field(default_factory=Counter)  # replayed endpoints no route matched (none expected)

    @property
    def replayed(self) -> int:
        return sum(f.replayed for f in self.families.values())

    @property
    def unresolved(self) -> int:
        return sum(f.unresolved for f in self.families.values())

    def uncovered(self) -> list[str]:
        """The sandbox's routes no replayed interaction reached, in route table order."""
        return [r for r in ROUTES if not self.routes[r]]


def difference_class(o: Outcome, d: Difference) -> tuple[str, str, str, str]:
    """(family, endpoint, kind, where) with list prefixes folded: one line of the report per class."""
    where = re.sub(r"^((groups|servers)\[\]\.)+", "", d.where)
    return (o.family, o.endpoint, d.kind, where)


def summarize(outcomes: list[Outcome]) -> Summary:
    s = Summary()
    for o in outcomes:
        fam = s.families.setdefault(o.family, Family())
        fam.recorded += 1
        if o.category in (SAME, DIFFERENT):  # replayed: count it for the route that answered
            method = o.endpoint.split(" ", 1)[0]
            route = route_of(method, o.path)
            if route is None:
                s.unrouted[o.endpoint] += 1
            else:
                s.routes[route] += 1
        if o.category == SAME:
            fam.same += 1
        elif o.category == NOT_IMPLEMENTED:
            fam.not_implemented += 1
            s.not_implemented[o.endpoint] += 1
        elif o.category == UNRESOLVED:
            fam.unresolved += 1
        elif o.category == SKIPPED:
            fam.skipped += 1
        elif o.category == DIFFERENT:
            left = []
            for d in o.differences:
                dev = explain(o.scenario, o.endpoint, d)
                if dev is None:
                    left.append(d)
                else:
                    s.used[dev.id] += 1
            if left:
                fam.unexplained += 1
                for d in left:
                    s.unexplained.setdefault(difference_class(o, d), []).append((o, d))
            else:
                fam.kept += 1
    return s


def unexplained_lines(s: Summary, family: str | None = None, examples: int = 1) -> list[str]:
    """One line per class of unexplained difference (most frequent first), with an example."""
    out = []
    items = [(k, v) for k, v in s.unexplained.items() if family is None or k[0] == family]
    for (_family, endpoint, kind, where), cases in sorted(items, key=lambda kv: -len(kv[1])):
        at = f" at {where}" if where else ""
        out.append(f"{len(cases):5d} x {endpoint}: {kind}{at}")
        for o, d in cases[:examples]:
            out.append(f"        e.g. {o.scenario} #{o.at}: recorded {d.recorded[:120]}; sandbox {d.sandbox[:120]}")
    return out


def render(s: Summary, seconds: float) -> str:
    """The Markdown report written by the test (test-artifacts/recorded-replay.md)."""
    lines = [
        "# Replay of recorded production traffic",
        "",
        f"{sum(f.recorded for f in s.families.values())} recorded interactions, {s.replayed} replayed "
        f"and compared, in {seconds:.1f} s.",
        "",
        "| family | recorded | replayed | same | kept deviations | unexplained | not implemented | unresolved |"
        " production 5xx |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, f in sorted(s.families.items()):
        lines.append(
            f"| {name} | {f.recorded} | {f.replayed} | {f.same} | {f.kept} | {f.unexplained} | "
            f"{f.not_implemented} | {f.unresolved} | {f.skipped} |"
        )
    lines += ["", "## Unexplained differences", "", "```", *unexplained_lines(s, examples=2), "```"]
    lines += ["", "## Kept deviations used", ""]
    lines += [f"- {dev}: {n}" for dev, n in s.used.most_common()]
    lines += ["", "## Endpoints not implemented", ""]
    lines += [f"- {endpoint}: {n}" for endpoint, n in s.not_implemented.most_common()]
    uncovered = s.uncovered()
    lines += [
        "",
        "## Route coverage",
        "",
        f"{len(ROUTES) - len(uncovered)} of the sandbox's {len(ROUTES)} API routes answered replayed interactions;"
        f" {len(uncovered)} have no recording (listed in docs/sandbox.md, tested by tests/sandbox/test_sb_*.py).",
        "",
        "| route | replayed |",
        "| --- | ---: |",
    ]
    for route in ROUTES:
        mark = " (no recording)" if route in UNRECORDED_ROUTES else ""
        lines.append(f"| `{route}`{mark} | {s.routes[route]} |")
    lines += [f"| {endpoint} (no sandbox route) | {n} |" for endpoint, n in s.unrouted.most_common()]
    return "\n".join(lines) + "\n"
