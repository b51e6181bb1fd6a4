"""Dropdown options built from the client's DataFrames: [(label, value), ...]."""

from __future__ import annotations

# Groups a server cannot be built into.
SYSTEM_GROUP_TYPES = ("archive", "templates")


def column(df, *names):
    """The first of `names` that `df` has as a column, or None."""
    for name in names:
        if df is not None and name in getattr(df, "columns", ()):
            return name
    return None


def _rows(df, label_col, value_col):
    if df is None or label_col is None or value_col is None:
        return []
    return [
        (str(label), str(value))
        for label, value in zip(df[label_col], df[value_col], strict=True)
        if value is not None and str(value) != ""
    ]


def datacenter_options(df) -> list[tuple[str, str]]:
    """Data centers as ("WA1 - US West (Seattle)", "WA1"): upper-case ids, as the API's locationId."""
    value_col = column(df, "id", "location", "location_id")
    options = _rows(df, column(df, "name", value_col) if value_col else None, value_col)
    return [(label, value.upper()) for label, value in options]


def template_options(df) -> list[tuple[str, str]]:
    """Templates as ("RHEL-6-64-TEMPLATE: RedHat 6 | 64-bit", "RHEL-6-64-TEMPLATE")."""
    name_col = column(df, "name", "template")
    desc_col = column(df, "description")
    if name_col is None:
        return []
    options = []
    for _, row in df.iterrows():
        name = str(row[name_col])
        desc = str(row[desc_col]) if desc_col and row[desc_col] else ""
        options.append((f"{name}: {desc}" if desc and desc != name else name, name))
    return options


def network_options(df) -> list[tuple[str, str]]:
    """Deployable networks as ("My Network", "<network id>")."""
    value_col = column(df, "network_id", "id", "networkId")
    return _rows(df, column(df, "name", value_col) if value_col else None, value_col)


def group_options(df) -> list[tuple[str, str]]:
    """Groups a server can go into, labelled by their path ("WA1 Hardware / Default Group")."""
    if df is None or column(df, "id") is None:
        return []
    type_col = column(df, "type")
    if type_col is not None:
        df = df[~df[type_col].astype(str).str.lower().isin(SYSTEM_GROUP_TYPES)]
    return _rows(df, column(df, "path", "name"), "id")
