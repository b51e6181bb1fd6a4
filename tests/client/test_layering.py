"""The client's layers (docs/DESIGN.md): a module imports only modules of its own or a lower layer, so
no cycle can exist at run time. Imports under ``if TYPE_CHECKING:`` are for the type checker only and
are not counted; imports inside functions are (they run)."""

from __future__ import annotations

import ast
from pathlib import Path

import clc_notebook

PACKAGE = Path(clc_notebook.__file__).parent

LAYERS = [
    {"errors", "deadline", "frames", "display", "_version", "group_names"},
    {"config"},
    {"transport", "curl"},  # curl: the history (the transport's records) as curl commands
    {"records"},
    {"reconcile"},
    {"jobs"},
    {"endpoints"},  # Session's mixins, one per API family
    {"recording", "runbook"},  # the record of a session's changes, and the runbook written from it
    {"session"},
    {"widgets", "exercises"},  # both receive a Session; the exercise checks use only its public methods
    {"__init__"},
]


def _layer(module: str) -> int:
    top = module.split(".")[0]
    return next(i for i, layer in enumerate(LAYERS) if top in layer)


def _runtime_imports(path: Path, module: str) -> set[str]:
    """The clc_notebook modules `module` imports at run time (relative to the package)."""
    tree = ast.parse(path.read_text())
    package = module.split(".")[:-1]  # the package the module is in ("widgets.watch" -> widgets)
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return  # for the type checker only
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
            if node.module:
                found.add(".".join([*base, node.module]))
            else:
                found.update(".".join([*base, alias.name]) for alias in node.names)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [node.module] if isinstance(node, ast.ImportFrom) else [a.name for a in node.names]
            found.update(n.removeprefix("clc_notebook.") for n in names if n and n.startswith("clc_notebook."))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return {name.lstrip(".") for name in found if name}


def _client_modules():
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE).with_suffix("")
        if relative.parts[0] == "sandbox":
            continue
        yield path, ".".join(relative.parts)


def test_every_client_module_imports_only_its_own_or_lower_layers():
    problems = []
    for path, module in _client_modules():
        mine = _layer(module) if module != "__init__" else len(LAYERS) - 1
        for imported in _runtime_imports(path, module):
            if imported.split(".")[0] == "sandbox":
                if module != "session":
                    problems.append(f"{module} imports the sandbox (only connect() may start one)")
                continue
            if _layer(imported) > mine:
                problems.append(f"{module} (layer {mine}) imports {imported} (layer {_layer(imported)})")
    assert not problems, problems


def test_jobs_and_widgets_reach_the_session_only_through_the_objects_they_are_given():
    for path, module in _client_modules():
        if module in ("jobs", "exercises") or module.startswith("widgets"):
            imported = {name.split(".")[0] for name in _runtime_imports(path, module)}
            assert not imported & {"session", "transport"}, (module, imported)
