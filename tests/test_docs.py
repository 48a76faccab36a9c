"""Docs are part of the feature: every diagnostic code svrules can emit is documented, and
every module of the package is on the architecture map."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from .conftest import ROOT

_EMITTERS = re.compile(
    r'(?:Diagnostic\(|self\.error\(|self\.warn\(|self\.problem\(|_error\(|_warn\(|Problem\()\s*"([a-z0-9-]+)"'
)
_CODE_ARGS = re.compile(r'code\s*=\s*"([a-z0-9-]+)"|,\s*"([a-z]+(?:-[a-z0-9]+)+)"\)')


def _emitted_codes() -> set[str]:
    codes: set[str] = set()
    for path in (ROOT / "svrules").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        codes |= set(_EMITTERS.findall(text))
        codes |= {a or b for a, b in _CODE_ARGS.findall(text)}
    return codes


def test_every_diagnostic_code_is_documented() -> None:
    documented = (ROOT / "docs" / "diagnostics.md").read_text(encoding="utf-8")
    codes = _emitted_codes()
    assert len(codes) > 60, sorted(codes)
    missing = sorted(code for code in codes if f"`{code}`" not in documented)
    assert not missing, f"document these codes in docs/diagnostics.md: {missing}"


def test_architecture_lists_every_module() -> None:
    """docs/architecture.md has a line for every module, so the map follows the moves."""
    architecture = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    package = ROOT / "svrules"
    modules = sorted(str(p.relative_to(package)) for p in package.rglob("*.py") if _has_code(p))
    missing = [m for m in modules if f"`{m}`" not in architecture and f"`svrules/{m}`" not in architecture]
    assert not missing, f"describe these modules in docs/architecture.md: {missing}"


def _has_code(path: Path) -> bool:
    """A package's `__init__` that only names its layer or re-exports is covered by its folder."""
    if path.name != "__init__.py":
        return True
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return any(isinstance(node, ast.FunctionDef | ast.ClassDef) for node in tree.body)
