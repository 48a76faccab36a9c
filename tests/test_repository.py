"""The policy repository stays clean: every policy checks without a warning and is fmt-clean."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from svrules.api import check_file

from .conftest import ROOT

POLICIES = sorted((ROOT / "policies").glob("*/policy.svr"))


def test_the_repository_holds_at_least_five_policies_with_tests() -> None:
    assert len(POLICIES) >= 5
    for policy in POLICIES:
        cases = list((policy.parent / "tests").glob("*.yaml"))
        assert cases, f"{policy.parent.name} has no tests"


@pytest.mark.parametrize("policy", POLICIES, ids=lambda p: p.parent.name)
def test_policy_checks_without_errors_or_warnings(policy: Path) -> None:
    checked, diagnostics, _ = check_file(policy)
    assert checked is not None
    assert diagnostics == [], [d.message for d in diagnostics]


def test_every_policy_is_fmt_clean() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "svrules", "fmt", "--check", str(ROOT / "policies")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
