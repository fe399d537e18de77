"""The house's rooms, checked on every run: no module reaches into another's private names,
and no module grows past what one reader can hold (500 lines). The import contracts between
layers are checked by `lint-imports` (.importlinter)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("app", "models", "forms")
MAX_LINES = 500


def _modules() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def _private(name: str) -> bool:
    """`_x` is private; `__x__` (dunders) and `_` alone are not."""
    return name.startswith("_") and not name.startswith("__") and name != "_"


def _is_project_module(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _absolute(package: list[str], node: ast.ImportFrom) -> str:
    """The imported module's dotted name; `package` holds the importing module."""
    if not node.level:
        return node.module or ""
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def private_uses(source: str, package: list[str]) -> list[str]:
    """Each `from m import _x`, and each `m._x` on a module bound by an import."""
    tree = ast.parse(source)
    found: list[str] = []
    modules: set[str] = set()  # local names bound to modules
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                modules.add(alias.asname or alias.name.split(".")[0])
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(package, node)
            for alias in node.names:
                if _private(alias.name):
                    found.append(f"line {node.lineno}: from {module} import {alias.name}")
                elif _is_project_module(f"{module}.{alias.name}"):
                    modules.add(alias.asname or alias.name)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            root = node.value
            while isinstance(root, ast.Attribute):
                root = root.value
            if isinstance(root, ast.Name) and root.id in modules:
                found.append(f"line {node.lineno}: {ast.unparse(node)}")
    return found


def test_no_module_uses_a_private_name_of_another():
    offences = {}
    for path in _modules():
        package = list(path.relative_to(ROOT).parent.parts)
        if uses := private_uses(path.read_text(encoding="utf-8"), package):
            offences[str(path.relative_to(ROOT))] = uses
    assert offences == {}, (
        "private names used from another module (give each a public name in the right "
        f"layer): {offences}"
    )


def test_no_module_is_over_500_lines():
    long = {
        str(p.relative_to(ROOT)): n
        for p in _modules()
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long == {}, f"modules over {MAX_LINES} lines (split them by what they are about): {long}"


SESSION_WRITES = {"commit", "rollback", "add", "add_all", "delete", "merge", "flush"}
STATEMENT_WRITES = {"insert", "update", "delete"}


def session_writes(source: str) -> list[str]:
    """Each `….commit()`/`….rollback()` and each `db.session.<write>(…)`, and each insert,
    update or delete statement built from sqlalchemy's names."""
    tree = ast.parse(source)
    built = {
        alias.asname or alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sqlalchemy")
        for alias in node.names
        if alias.name in STATEMENT_WRITES
    }
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        if isinstance(f, ast.Attribute) and (
            f.attr in ("commit", "rollback")
            or (f.attr in SESSION_WRITES and ast.unparse(f.value).endswith("session"))
        ):
            found.append(f"line {node.lineno}: {ast.unparse(f)}()")
        elif isinstance(f, ast.Name) and f.id in built:
            found.append(f"line {node.lineno}: {f.id}(…)")
    return found


def test_views_neither_write_nor_commit():
    """One transaction per request (app/unit_of_work.py): views and API handlers call services,
    which write and audit; the request boundary commits or rolls back."""
    offences = {}
    for path in _modules():
        view = path.relative_to(ROOT).parts[:2] in (("app", "web"), ("app", "blueprints"))
        if view and (found := session_writes(path.read_text(encoding="utf-8"))):
            offences[str(path.relative_to(ROOT))] = found
    assert offences == {}, f"views writing or ending the transaction themselves: {offences}"


def test_the_write_check_finds_what_it_should():
    sample = (
        "from sqlalchemy import select, update as upd\n"
        "db.session.commit()\n"
        "db.session.add(row)\n"
        "db.session.execute(upd(T).values(a=1))\n"
        "db.session.execute(select(T))\n"
        "db.session.get(T, 1)\n"
        "items.add(1)\n"
    )
    assert session_writes(sample) == [
        "line 2: db.session.commit()",
        "line 3: db.session.add()",
        "line 4: upd(…)",
    ]


def test_the_private_name_check_finds_what_it_should():
    """The checker itself: an imported private name and a module's private attribute are
    found, relative imports included; a module's own private names, dunders and gettext's
    `_` are not."""
    sample = (
        "from app.services import cases\n"
        "from app.cli import _fail\n"
        "from flask_babel import gettext as _\n"
        "from ..services import _hidden\n"
        "from .. import errors\n"
        "import app.errors\n"
        "def _mine():\n"
        "    return cases._load, cases.__name__, app.errors._x, errors._y, _('x'), _mine\n"
    )
    assert private_uses(sample, ["app", "web"]) == [
        "line 2: from app.cli import _fail",
        "line 4: from app.services import _hidden",
        "line 8: cases._load",
        "line 8: app.errors._x",
        "line 8: errors._y",
    ]
