"""The package ships its type information (PEP 561)."""

from pathlib import Path

import clc_notebook

ROOT = Path(__file__).resolve().parents[2]


def test_py_typed_marker_is_in_the_package_and_declared_as_package_data():
    assert (Path(clc_notebook.__file__).parent / "py.typed").is_file()
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert '[tool.setuptools.package-data]\nclc_notebook = ["py.typed"]' in pyproject
