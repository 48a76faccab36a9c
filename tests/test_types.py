"""The package type-checks: mypy (pinned in the test extra, settings in pyproject.toml) finds
nothing, so a dispatch over score forms that misses one fails here (`assert_never`)."""

from __future__ import annotations

import subprocess
import sys

from .conftest import ROOT


def test_mypy_finds_nothing() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-error-summary"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
