"""The code keeps its shape: layers import only downwards, no import goes
round in a circle, and no module or class grows past its size.

The layers are the README's (Development): values at the bottom, then the
readers of sources, Whoosh's internals, the index, the query language,
searching, following, presenting, and the two front doors on top. Imports
are read from the source with ``ast``, those inside functions and
TYPE_CHECKING blocks included: a circle is one whichever way it is drawn.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "archive"
LAYERS = [
    # the values that cross modules, and what every layer may use
    ("archive", "archive.errors", "archive.model", "archive.escape", "archive.wire"),
    ("archive.config", "archive.locations", "archive.text"),
    ("archive.sources",),
    ("archive.whoosh_ext",),
    ("archive.index",),
    ("archive.query",),
    ("archive.search",),
    ("archive.follow",),
    ("archive.present",),
    ("archive.shell", "archive.cli", "archive.serving", "archive.launch", "archive.__main__"),
]
MAX_MODULE_LINES = 450
MAX_CLASS_LINES = 150


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def layer(name: str) -> int:
    """The layer of a module: that of the longest prefix named in LAYERS."""
    best, found = -1, -1
    for number, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (name == prefix or name.startswith(prefix + ".")) and len(prefix) > best:
                best, found = len(prefix), number
    assert found >= 0, f"{name} is in no layer"
    return found


def imports(path: Path, known: dict[str, Path]) -> Iterator[tuple[str, int]]:
    """The archive's modules a module imports, with the line of each import."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path.parent)
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            names = [f"{base}.{alias.name}" for alias in node.names] + [base]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name.startswith("archive"):
                yield name, node.lineno


def graph() -> dict[str, dict[str, int]]:
    known = modules()
    return {
        name: {target: line for target, line in imports(path, known) if target != name}
        for name, path in known.items()
    }


def test_every_module_is_in_a_layer() -> None:
    for name in modules():
        layer(name)


def test_no_module_imports_from_a_higher_layer() -> None:
    upward = [
        f"{name}:{line} imports {target}"
        for name, targets in graph().items()
        for target, line in targets.items()
        if layer(target) > layer(name)
    ]
    assert upward == []


def test_no_imports_go_round_in_a_circle() -> None:
    edges = {name: set(targets) for name, targets in graph().items()}
    edges = {
        name: {t for t in targets if not name.startswith(t + ".")}
        for name, targets in edges.items()
    }
    circles = []
    done: set[str] = set()

    def visit(name: str, path: list[str]) -> None:
        if name in path:
            circles.append(" -> ".join([*path[path.index(name) :], name]))
            return
        if name in done:
            return
        for target in sorted(edges.get(name, ())):
            visit(target, [*path, name])
        done.add(name)

    for name in sorted(edges):
        visit(name, [])
    assert circles == []


@pytest.mark.parametrize("name", sorted(modules()))
def test_modules_and_classes_stay_small(name: str) -> None:
    path = modules()[name]
    source = path.read_text("utf-8")
    assert len(source.splitlines()) <= MAX_MODULE_LINES, f"{name} has grown past its size"
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ClassDef):
            size = (node.end_lineno or node.lineno) - node.lineno + 1
            assert size <= MAX_CLASS_LINES, f"{name}.{node.name} is {size} lines"
