"""One idiom per concern across portal/ (issue "One place per peer"): logging with `extra=` fields only (the JSON
log formatter prints them as fields; a printf-style message hides them in text), `select()` rather than the legacy
`Model.query`, and exception classes named `…Error`. Across tests/ (issue 11): no test module imports another test
module (pytest would collect its tests twice and a change to one test file would break another); shared helpers live
in support modules."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PORTAL = ROOT / "portal"
MODULES = sorted(p for p in PORTAL.rglob("*.py") if "migrations" not in p.relative_to(PORTAL).parts)
TEST_MODULES = sorted((ROOT / "tests").rglob("test_*.py"))
LOG_METHODS = {"debug", "info", "warning", "error", "exception", "critical", "log"}


def tree(path):
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def where(path, node):
    return f"{path.relative_to(PORTAL.parent)}:{node.lineno}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PORTAL.parent)))
def test_logging_passes_values_as_extra_fields(path):
    printf = []
    for node in ast.walk(tree(path)):
        if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in LOG_METHODS
                and isinstance(node.func.value, ast.Name) and node.func.value.id in {"log", "logger", "logging"}):
            positional = node.args[1:] if node.func.attr != "log" else node.args[2:]
            if positional or any(isinstance(a, ast.JoinedStr) for a in node.args):
                printf.append(where(path, node))
    assert not printf, f"printf-style or f-string log calls (use extra=): {printf}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PORTAL.parent)))
def test_queries_use_select_not_model_query(path):
    legacy = [where(path, node) for node in ast.walk(tree(path))
              if isinstance(node, ast.Attribute) and node.attr == "query" and isinstance(node.value, ast.Name)
              and node.value.id[:1].isupper()]
    assert not legacy, f"Model.query (use db.session.execute(select(...))): {legacy}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PORTAL.parent)))
def test_exception_classes_end_in_error(path):
    def is_exception(node):
        names = {getattr(base, "id", getattr(base, "attr", "")) for base in node.bases}
        return any(name.endswith(("Error", "Exception")) for name in names)

    badly_named = [f"{where(path, node)} {node.name}" for node in ast.walk(tree(path))
                   if isinstance(node, ast.ClassDef) and is_exception(node) and not node.name.endswith("Error")]
    assert not badly_named, f"exception classes not named …Error: {badly_named}"


def imported_modules(path):
    """(node, dotted module name) for each module `path` imports: `import a.b`, `from a.b import c` (a.b, and a.b.c
    when c is a module of its own), relative imports resolved against the module's package."""
    package = path.parent.relative_to(ROOT).parts
    for node in ast.walk(tree(path)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else ()
            module = ".".join((*base, *(node.module.split(".") if node.module else ())))
            yield node, module
            for alias in node.names:
                folder = ROOT.joinpath(*module.split("."), alias.name)
                if folder.with_suffix(".py").is_file() or (folder / "__init__.py").is_file():
                    yield node, f"{module}.{alias.name}"


def test_no_test_module_imports_another_test_module():
    offenders = [f"{where(path, node)} imports {module}" for path in TEST_MODULES
                 for node, module in imported_modules(path) if module.rsplit(".", 1)[-1].startswith("test_")]
    assert TEST_MODULES
    assert not offenders, "test modules import test modules (move the shared names to a support module):\n" + "\n".join(
        offenders)
