"""The privacy rule is written once: only the manifest module reads a field's `visibility`.

Every output reaches fields through `Manifest.public_fields` (a record's
`spec.public_fields`), which asks `Field.public`.  A second copy of the rule
(`f["visibility"] == "public"` in a view) is how a staff field would one day
leak through a new output, so this test reads the source of every module of
the server, of the map's scripts and of the benchmarks, and refuses any other
reader.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from mapserver.layers.manifest import Field

ROOT = Path(__file__).resolve().parent.parent
RULE = "mapserver/layers/manifest.py"
# Modules that name `visibility` only to WRITE one (or to declare the key), with why.
WRITERS = {
    "mapserver/layers/manifest.schema.json": "declares the key and its two values",
    "mapserver/ingest/describe.py": "a file loaded without a manifest gets staff-only fields",
    "mapserver/layers/edits.py": "lists visibility among the field keys a planner may change",
    "mapserver/admin/pages.py": "turns the describe form's choice into the new visibility",
    "mapserver/templates/admin/layer.html": "names the describe form's select visibility_<field>",
}
SCANNED = ("mapserver/**/*.py", "mapserver/**/*.html", "mapserver/**/*.json",
           "mapserver/**/*.sql", "mapserver/**/*.js", "static/js/**/*.js", "bench/*.py")
WORD = re.compile(r"visibility", re.I)
# A read in a template or a script: f.visibility, f['visibility'], f.get('visibility').
# (A DOM element's style.visibility is CSS, not a field.)
TEXT_READ = re.compile(r"(?<!style)\.visibility\b|\[\s*['\"]visibility['\"]\s*\]"
                       r"|get\(\s*['\"]visibility['\"]")


def modules() -> list[Path]:
    found = {path for pattern in SCANNED for path in ROOT.glob(pattern)}
    return sorted(p for p in found if "node_modules" not in p.parts)


def _docstrings(tree: ast.AST) -> set[int]:
    """Return the ids of the docstring nodes (prose, not code)."""
    ids = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def _is_word(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and node.value == "visibility"


def _reads(node: ast.AST) -> bool:
    """Return whether one AST node reads a `visibility` (loading it, not writing it)."""
    if isinstance(node, ast.Subscript):
        return isinstance(node.ctx, ast.Load) and _is_word(node.slice)
    if isinstance(node, ast.Attribute):
        return isinstance(node.ctx, ast.Load) and node.attr == "visibility"
    if isinstance(node, ast.Call):
        func = node.func
        if isinstance(func, ast.Name) and func.id == "getattr":
            return len(node.args) > 1 and _is_word(node.args[1])
        if isinstance(func, ast.Attribute) and func.attr in ("get", "pop", "setdefault"):
            return bool(node.args) and _is_word(node.args[0])
    if isinstance(node, ast.Compare):
        return _is_word(node.left) and any(isinstance(op, ast.In | ast.NotIn) for op in node.ops)
    return False


def python_uses(source: str) -> tuple[bool, list[int]]:
    """Return whether Python code names `visibility` outside prose, and the lines reading it.

    A read: ``x["visibility"]`` or ``x.visibility`` being loaded, ``x.get("visibility")``,
    ``getattr(x, "visibility")``, ``"visibility" in x``.  Writing a dict literal with
    the key, or assigning it, is not a read.
    """
    tree = ast.parse(source)
    prose = _docstrings(tree)
    named, reads = False, []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            named |= id(node) not in prose and bool(WORD.search(node.value))
        elif isinstance(node, ast.Name | ast.arg | ast.keyword | ast.Attribute):
            text = getattr(node, "id", None) or getattr(node, "arg", None) or \
                getattr(node, "attr", None) or ""
            named |= bool(WORD.search(text))
        if _reads(node):
            reads.append(node.lineno)
    return named, reads


def uses(path: Path) -> tuple[bool, list[int]]:
    """Return whether a module names `visibility` in its code, and the lines that read it."""
    source = path.read_text(encoding="utf-8")
    if path.suffix == ".py":
        return python_uses(source)
    lines = source.splitlines()
    return (bool(WORD.search(source)),
            [n for n, line in enumerate(lines, 1) if TEXT_READ.search(line)])


def test_the_scan_sees_the_server_and_the_scripts():
    names = {p.relative_to(ROOT).as_posix() for p in modules()}
    assert {RULE, "mapserver/tiles/sql.py", "mapserver/site/search.py", "static/js/popup.js",
            "mapserver/templates/admin/layer.html", *WRITERS} <= names
    assert len(names) > 100


@pytest.mark.parametrize("code", [
    'public = [f for f in fields if f["visibility"] == "public"]',
    "hidden = field.visibility != 'public'",
    'shown = spec.get("visibility", "staff")',
    'shown = getattr(field, "visibility")',
    'known = "visibility" in spec',
])
def test_the_scan_catches_every_way_of_reading_the_rule(code):
    named, reads = python_uses(code)
    assert named and reads == [1]


@pytest.mark.parametrize("code", [
    'spec = {"name": "x", "visibility": "staff"}',
    'KEYS = {"title", "visibility"}',
    'def f():\n    """Say who may see the visibility."""\n',
])
def test_writing_or_naming_the_key_is_not_reading_it(code):
    assert python_uses(code)[1] == []


def test_no_module_but_the_manifest_reads_a_fields_visibility():
    readers = {}
    for path in modules():
        name = path.relative_to(ROOT).as_posix()
        lines = uses(path)[1]
        if lines and name != RULE:
            readers[name] = lines
    assert readers == {}, "use record.spec.public_fields (Field.public), not visibility"


def test_only_the_listed_writers_name_visibility_and_each_still_does():
    named = {path.relative_to(ROOT).as_posix() for path in modules() if uses(path)[0]}
    assert named - {RULE} == set(WRITERS), "a writer must be listed in WRITERS, with why"


def test_the_rule_itself():
    def field(visibility):
        return Field(name="x", type="text", description={"en": "x"}, visibility=visibility)

    assert field("public").public
    assert not field("staff").public
    assert not field("Public").public   # only the schema's exact word opens a field
