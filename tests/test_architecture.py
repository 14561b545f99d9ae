"""Rules of the code's shape that import-linter cannot see (docs/architecture.md).

`make test` runs `lint-imports` for the import contracts in setup.cfg; these tests cover the rest:
no module over 600 lines, and few imports of Ritmo's own modules made inside functions, where they
would hide import cycles from the linter and from readers.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "lti_tool"

MAX_MODULE_LINES = 600
MAX_FUNCTION_LEVEL_IMPORTS = 10

#: The factory, the CLI and the server wiring: they import late on purpose (the settings first, one
#: command's dependencies only when it runs, the app only in the process that serves it).
WIRING = frozenset(
    {
        "__init__.py",
        "cli.py",
        "commands.py",
        "server.py",
        "wsgi.py",
        "jobs/celery_app.py",
    }
)

_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def _modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(node: ast.Import | ast.ImportFrom, module: str, is_package: bool) -> list[str]:
    """The absolute module names an import statement names."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level == 0:
        return [node.module or ""]
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return [".".join([*base, node.module] if node.module else base)]


def nested_own_imports(source: str, module: str, is_package: bool = False) -> list[tuple[int, str]]:
    """(line, statement) of each import of an ``lti_tool`` module made inside a function or class."""
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST, nested: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom) and nested:
                names = _imported(child, module, is_package)
                if any(name == "lti_tool" or name.startswith("lti_tool.") for name in names):
                    found.append((child.lineno, ast.unparse(child)))
            visit(child, nested or isinstance(child, _SCOPES))

    visit(ast.parse(source), False)
    return found


def test_no_module_is_over_600_lines() -> None:
    too_long = {
        str(path.relative_to(PACKAGE.parent)): lines
        for path in _modules()
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert not too_long, f"split these by what each part owns (at most {MAX_MODULE_LINES} lines): {too_long}"


def test_few_function_level_imports_of_ritmo_modules_outside_the_wiring() -> None:
    found = [
        f"{path.relative_to(PACKAGE.parent)}:{line}: {statement}"
        for path in _modules()
        if path.relative_to(PACKAGE).as_posix() not in WIRING
        for line, statement in nested_own_imports(
            path.read_text(encoding="utf-8"), _module_name(path), path.name == "__init__.py"
        )
    ]
    assert len(found) <= MAX_FUNCTION_LEVEL_IMPORTS, (
        f"{len(found)} imports of Ritmo's own modules in functions (at most {MAX_FUNCTION_LEVEL_IMPORTS}):"
        " import at the top, and fix the cycle that stops you\n" + "\n".join(found)
    )


SAMPLE = '''
from __future__ import annotations

import json
from lti_tool.db import db

if True:
    from lti_tool import audit


def late():
    import lti_tool.mail
    from . import models
    from .. import errors
    import requests
    from json import dumps

    def inner():
        from lti_tool.launch import keys


class Holder:
    from lti_tool import text
'''


def test_the_count_finds_imports_inside_functions_and_classes_only() -> None:
    found = nested_own_imports(SAMPLE, "lti_tool.mentoring.goals.views")
    assert found == [
        (12, "import lti_tool.mail"),
        (13, "from . import models"),
        (14, "from .. import errors"),
        (19, "from lti_tool.launch import keys"),
        (23, "from lti_tool import text"),
    ]


@pytest.mark.parametrize(
    ("module", "is_package", "expected"),
    [
        ("lti_tool.demo.platform", False, ["lti_tool.demo.ags"]),
        ("lti_tool.demo", True, ["lti_tool.demo.ags"]),
    ],
)
def test_relative_imports_resolve_from_the_module_or_the_package(
    module: str, is_package: bool, expected: list[str]
) -> None:
    node = ast.parse("from .ags import Gradebook").body[0]
    assert isinstance(node, ast.ImportFrom)
    assert _imported(node, module, is_package) == expected
