"""Moved to tests/sandbox_api.py (one `Api` and one set of tutorial ids for every test directory).

Kept only so sandbox tests written on other branches before the move still import; new tests import
from `sandbox_api`. Safe to delete once no test imports it.
"""

from sandbox_api import (  # noqa: F401
    ALIAS,
    ARCHIVE_GROUP,
    DEFAULT_GROUP,
    FINAL,
    NETWORK,
    ROOT,
    TEMPLATES_GROUP,
    Api,
    rels,
    server_body,
)
