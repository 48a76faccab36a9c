"""Docs are part of the feature: every diagnostic code svrules can emit is documented."""

from __future__ import annotations

import re

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
