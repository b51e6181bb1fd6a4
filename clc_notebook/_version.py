"""The package version, as installed (falls back to the source tree's version)."""

try:
    from importlib.metadata import PackageNotFoundError, version

    __version__ = version("clc_notebook")
except PackageNotFoundError:  # not installed (a bare source checkout): keep in step with pyproject.toml
    __version__ = "0.1.0"
