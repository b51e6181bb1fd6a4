"""A local emulator of the CenturyLink Cloud API v2 (the embedded default backend of clc_notebook).

    from clc_notebook.sandbox import Sandbox
    with Sandbox(mode="polls") as sb:
        sb.url, sb.username, sb.password, sb.alias, sb.location

It imports nothing from the client side; see docs/sandbox.md.
"""

from .server import Sandbox

__all__ = ["Sandbox"]
