"""Single API objects returned by a Session: Server, Group, Credentials, Capabilities."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from . import frames


class Server(dict):
    """One server as the API returned it (a dict), with shortcuts and a notebook display.

    ``s["details"]["memoryMB"]`` works as in the JSON; ``.row`` is the flattened SERVERS row.
    """

    @property
    def id(self) -> str | None:
        return self.get("id")

    @property
    def name(self) -> str | None:
        return self.get("name")

    @property
    def status(self) -> str | None:
        return self.get("status")

    @property
    def power_state(self) -> str | None:
        return (self.get("details") or {}).get("powerState")

    @property
    def ip(self) -> str | None:
        return self.row["ip"]

    @property
    def row(self) -> dict:
        return frames.server_row(self)

    def to_frame(self) -> pd.DataFrame:
        """A one-row DataFrame with the SERVERS columns."""
        return frames.servers_frame([self], raw=dict(self))

    def link(self, rel: str) -> dict | None:
        return frames.link(self.get("links"), rel)

    def __repr__(self) -> str:
        return f"<Server {self.get('name')} {self.get('status')} {self.power_state or '-'} {self.ip or ''}>".replace(
            " >", ">"
        )

    def _repr_html_(self) -> str:
        from .display import server_html

        return server_html(self)


class Group(dict):
    """One group (with its subtree) as the API returned it; ``.frame()`` flattens the tree."""

    @property
    def id(self) -> str | None:
        return self.get("id")

    @property
    def name(self) -> str | None:
        return self.get("name")

    @property
    def parent_id(self) -> str | None:
        return (frames.link(self.get("links"), "parentGroup") or {}).get("id")

    def frame(self) -> pd.DataFrame:
        return frames.groups_frame([dict(self)])

    def __repr__(self) -> str:
        return f"<Group {self.get('name')!r} {self.get('id')} {self.get('locationId') or ''}>"

    def _repr_html_(self) -> str:
        from .display import group_html

        return group_html(self)


@dataclass(frozen=True)
class Credentials:
    """A server's administrator login. The password is kept out of repr and str."""

    username: str
    password: str = field(repr=False)

    def __str__(self) -> str:
        return f"{self.username} / ***"


@dataclass
class Capabilities:
    """Deployment capabilities of a data center: templates and networks frames, the raw JSON."""

    datacenter: str
    templates: pd.DataFrame
    networks: pd.DataFrame
    raw: dict = field(repr=False)

    @property
    def template_names(self) -> list[str]:
        return list(self.templates["name"].dropna())

    def __repr__(self) -> str:
        return f"<Capabilities {self.datacenter}: {len(self.templates)} templates, {len(self.networks)} networks>"

    def _repr_html_(self) -> str:
        from .display import frame_html

        return frame_html(self.templates, f"{self.datacenter} templates") + frame_html(
            self.networks, f"{self.datacenter} networks"
        )
