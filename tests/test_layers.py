"""The package's shape holds: imports flow down the pipeline's layers, no import cycles, no
module reaches into another's private names, and no module or function grows past what one
person reads (800 and 60 lines; a longer function says why in a `# long:` comment).

The layers contract is import-linter's (`[tool.importlinter]` in pyproject.toml); the rest
is checked here over the source, imports inside functions included, so a lazy import
cannot hide an upward dependency.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

from .conftest import ROOT

PACKAGE = ROOT / "svrules"
MAX_MODULE_LINES = 800


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _imports(module: str, path: Path) -> Iterator[tuple[int, str, str | None]]:
    """(line, imported module, imported name or None) for every import in the file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, None
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = (
                    module.split(".")[: -node.level] if path.name != "__init__.py" or node.level > 1 else []
                )
                parts = parts or module.split(".")
                base = ".".join([*parts, *([node.module] if node.module else [])])
            for alias in node.names:
                full = f"{base}.{alias.name}"
                yield (node.lineno, full, None) if full in MODULES else (node.lineno, base, alias.name)


def test_layers_contract_holds() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    run = subprocess.run([str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stdout + run.stderr


def test_no_module_imports_another_modules_private_names() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line}: {target}.{name}"
        for module, path in MODULES.items()
        for line, target, name in _imports(module, path)
        if target.startswith("svrules") and name and name.startswith("_") and target != module
    ]
    assert not found, "\n".join(found)


def test_no_import_cycles() -> None:
    graph = {
        module: {target for _, target, _ in _imports(module, path) if target in MODULES and target != module}
        for module, path in MODULES.items()
    }
    # a package's __init__ re-exporting its modules is not a cycle of meaning
    graph = {m: {t for t in ts if not m.startswith(t + ".")} for m, ts in graph.items()}
    cycle = _find_cycle(graph)
    assert cycle is None, " → ".join(cycle or [])


def _find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert _find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _find_cycle({"a": {"b"}, "b": set()}) is None


# Modules still being split up; the list only shrinks (a module that got short must leave it).
STILL_TOO_LONG: set[str] = set()


def test_no_module_is_too_long() -> None:
    long = {
        str(path.relative_to(ROOT))
        for path in MODULES.values()
        if path.read_text(encoding="utf-8").count("\n") > MAX_MODULE_LINES
    }
    assert long == STILL_TOO_LONG, f"over {MAX_MODULE_LINES} lines: {sorted(long)}"


MAX_FUNCTION_LINES = 60


def test_no_function_is_too_long_without_a_reason() -> None:
    """A function over 60 lines needs a `# long: …` comment on the line above its `def`."""
    long = []
    for path in MODULES.values():
        lines = path.read_text(encoding="utf-8").splitlines()
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                size = (node.end_lineno or node.lineno) - node.lineno + 1
                first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
                reason = first > 1 and lines[first - 2].strip().startswith("# long:")
                if size > MAX_FUNCTION_LINES and not reason:
                    long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}: {size} lines")
    assert not long, "\n".join(long)
