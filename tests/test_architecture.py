"""The package's shape: no import cycle, no private name used across modules, short modules, lazy heavy imports.

Imports are read from the source (every ``import``, at module level or inside a function), so a cycle hidden
by a function-level import is found too. Run alone: ``python -m pytest tests/test_architecture.py -v``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "splade_beir"
MAX_LINES = 300
HEAVY = ("torch", "transformers", "beir", "pytrec_eval", "sentence_transformers", "bm25s", "ray", "matplotlib")


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imported(name: str, path: Path) -> list[tuple[str, list[str], int]]:
    """``(module, names imported from it, line)`` for every import of a splade_beir module in ``path``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            out += [(a.name, [], node.lineno) for a in node.names if a.name.split(".")[0] == "splade_beir"]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] == "splade_beir":
                out.append((target, [a.name for a in node.names], node.lineno))
    return out


def import_graph() -> dict[str, set[str]]:
    """Module -> the splade_beir modules it imports (``from pkg import submodule`` counts as the submodule)."""
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for name, path in MODULES.items():
        for target, names, _ in imported(name, path):
            subs = [f"{target}.{n}" for n in names if f"{target}.{n}" in MODULES]
            graph[name].update(subs or [target])
            if subs and len(subs) < len(names):
                graph[name].add(target)
        graph[name].discard(name)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_the_cycle_finder_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle():
    assert cycles(import_graph()) == []


def test_no_private_name_is_imported_across_modules():
    offenders = []
    for name, path in MODULES.items():
        for target, names, line in imported(name, path):
            offenders += [f"{path.relative_to(PACKAGE.parent)}:{line}: {target}.{n}"
                          for n in names if n.startswith("_") and not n.startswith("__")]
    assert offenders == []


def module_aliases(tree: ast.AST) -> set[str]:
    """The names a file binds to splade_beir modules (``import splade_beir.x as y``, ``from splade_beir import x``)."""
    aliases = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            aliases |= {a.asname or a.name.split(".")[0] for a in node.names if a.name.startswith("splade_beir")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("splade_beir"):
            aliases |= {a.asname or a.name for a in node.names if f"{node.module}.{a.name}" in MODULES}
    return aliases


def test_tests_use_no_private_names():
    tests = Path(__file__).resolve().parent
    offenders = []
    for path in sorted(tests.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        aliases = module_aliases(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("splade_beir"):
                offenders += [f"{path.name}:{node.lineno}: {a.name}" for a in node.names
                              if a.name.startswith("_") and not a.name.startswith("__")]
            if (isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__")
                    and isinstance(node.value, (ast.Name, ast.Attribute))):
                root = node.value
                while isinstance(root, ast.Attribute):
                    root = root.value
                if isinstance(root, ast.Name) and root.id in aliases:
                    offenders.append(f"{path.name}:{node.lineno}: {ast.unparse(node)}")
    assert offenders == []


def test_modules_are_short():
    long = {str(p.relative_to(PACKAGE.parent)): n for p in MODULES.values()
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def test_every_stage_folder_says_what_it_is():
    for folder in (p for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()):
        doc = ast.get_docstring(ast.parse((folder / "__init__.py").read_text()))
        assert doc, folder


@pytest.mark.parametrize("statement", [
    "import splade_beir",
    "import splade_beir.reporting.tables",
    "import splade_beir.tables; splade_beir.tables.build_parser()",
    "import splade_beir.config; splade_beir.config.load_config('eval_configs/demo.yaml')",
    "import splade_beir.evaluate",
])
def test_reading_results_and_configs_imports_nothing_heavy(statement):
    code = f"import sys; {statement}; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=PACKAGE.parent)
    assert out.stdout.strip() == ""
