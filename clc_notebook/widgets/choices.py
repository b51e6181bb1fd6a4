"""Dropdown options built from the client's DataFrames: [(label, value), ...].

The frames have fixed columns (clc_notebook.frames.SCHEMAS), so each function reads its columns by name.
"""

from __future__ import annotations

import pandas as pd

# Groups a server cannot be built into.
SYSTEM_GROUP_TYPES = ("archive", "templates")


def _rows(df, label_col: str, value_col: str) -> list[tuple[str, str]]:
    return [
        (str(label), str(value))
        for label, value in zip(df[label_col], df[value_col], strict=True)
        if value is not None and str(value) != ""
    ]


def datacenter_options(df) -> list[tuple[str, str]]:
    """Data centers as ("WA1 - US West (Seattle)", "WA1"): upper-case ids, as the API's locationId."""
    return [(label, value.upper()) for label, value in _rows(df, "name", "id")]


def template_options(df) -> list[tuple[str, str]]:
    """Templates as ("RHEL-6-64-TEMPLATE: RedHat 6 | 64-bit", "RHEL-6-64-TEMPLATE")."""
    options = []
    for name, description in zip(df["name"], df["description"], strict=True):
        name, description = str(name), ("" if pd.isna(description) else str(description))
        options.append((f"{name}: {description}" if description and description != name else name, name))
    return options


def network_options(df) -> list[tuple[str, str]]:
    """Deployable networks as ("My Network", "<network id>")."""
    return _rows(df, "name", "network_id")


def network_choice_options(choices) -> list[tuple[str, str]]:
    """(name, id) pairs of `Session.network_choices` as dropdown options, empty ids dropped."""
    return [(str(label), str(value)) for label, value in choices if value]


def anti_affinity_options(df, dc) -> list[tuple[str, str]]:
    """Anti-affinity policies of data center `dc` as ("Web spread", "<policy id>")."""
    return _rows(df[df["location"].astype(str).str.upper() == str(dc).upper()], "name", "id")


def group_options(df) -> list[tuple[str, str]]:
    """Groups a server can go into, labelled by their path ("WA1 Hardware/Default Group")."""
    df = df[~df["type"].astype(str).str.lower().isin(SYSTEM_GROUP_TYPES)]
    return _rows(df, "path", "id")
