"""Shared fixtures: where the project's bundled examples live."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SHARED_EXAMPLES = ROOT.parent / "shared" / "spec" / "examples"


@pytest.fixture
def examples() -> Path:
    return EXAMPLES
