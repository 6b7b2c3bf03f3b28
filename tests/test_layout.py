"""The package layout keeps its promises: dependencies run one way, with no import circle.

Read from the source with `ast` (nothing is imported): the domain and the core never
import Flask or the web-facing packages, and the module-level import graph of the
package has no cycle (imports inside functions, made on first use, are not edges of
start-up and may point anywhere below).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "mapserver"
WEB = ("site", "ogc", "admin", "kpi", "tileserver", "web", "cli")
DOMAIN = ("tiles", "cadastral", "ingest", "layers", "auth")
CORE = ("settings", "db", "errors", "params", "migrations", "devdb", "audit")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path, *, top_level_only: bool) -> set[str]:
    tree = ast.parse(path.read_text())
    nodes = tree.body if top_level_only else ast.walk(tree)
    found = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


MODULES = {module_name(p): p for p in PACKAGE.rglob("*.py")}


def _part(name: str) -> str:
    return name.split(".")[1] if name.count(".") else ""


@pytest.mark.parametrize("name", sorted(n for n in MODULES if _part(n) in DOMAIN + CORE))
def test_domain_and_core_never_import_flask_or_the_web(name):
    used = imports(MODULES[name], top_level_only=False)
    web_libraries = {u for u in used if u.split(".")[0] in ("flask", "werkzeug")}
    assert web_libraries <= {"werkzeug.security", "werkzeug.security.check_password_hash",
                             "werkzeug.security.generate_password_hash"}, name  # scrypt hashes
    assert not {u for u in used if u.startswith("mapserver.") and _part(u) in WEB}, name


def test_tiles_cadastral_and_ingest_never_import_flask():
    for name, path in MODULES.items():
        if _part(name) in ("tiles", "cadastral", "ingest"):
            assert not any(u.split(".")[0] == "flask" for u in imports(path,
                                                                      top_level_only=False))


def test_no_import_circle_at_start_up():
    graph = {name: {u for u in imports(path, top_level_only=True) if u in MODULES} - {name}
             for name, path in MODULES.items()}
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(name, trail):
        state[name] = 1
        for target in graph[name]:
            if state.get(target) == 1:
                raise AssertionError("import circle: " + " -> ".join([*trail, target]))
            if target not in state:
                visit(target, [*trail, target])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
