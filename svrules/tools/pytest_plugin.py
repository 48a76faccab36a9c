"""pytest plugin: collects policy test files (`policies/<name>/tests/*.yaml`).

Registered under the entry point `pytest11: svrules`, so `pytest policies/` runs every
case as a test item, one item per case, and a failing item shows the same diff as
`svrules test`. Only YAML files in a `tests/` folder next to a `policy.svr` are
collected, never unrelated YAML.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from svrules.tools.policytest import (
    Case,
    CaseError,
    CaseResult,
    PolicyCache,
    is_case_file,
    load_cases,
    run_case,
)

_CACHE = pytest.StashKey[PolicyCache]()


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    if is_case_file(file_path):
        return PolicyTestFile.from_parent(parent, path=file_path)
    return None


def _cache(config: pytest.Config) -> PolicyCache:
    if _CACHE not in config.stash:
        config.stash[_CACHE] = PolicyCache()
    return config.stash[_CACHE]


class PolicyTestFailed(Exception):
    """A case whose evaluation differs from what it expects, or that cannot run."""

    def __init__(self, result: CaseResult):
        super().__init__(result.report())
        self.result = result


class PolicyTestFile(pytest.File):
    """One YAML file of cases."""

    def collect(self) -> Iterator[PolicyTestItem]:
        try:
            cases = load_cases(self.path)
        except CaseError as exc:
            raise self.CollectError(str(exc)) from None
        for case in cases:
            yield PolicyTestItem.from_parent(self, name=case.name, case=case)


class PolicyTestItem(pytest.Item):
    """One case: evaluate its tender, compare with `expect`."""

    def __init__(self, *, case: Case, **kwargs: Any):
        super().__init__(**kwargs)
        self.case = case

    def runtest(self) -> None:
        result = run_case(self.case, _cache(self.config))
        if not result.passed:
            raise PolicyTestFailed(result)

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, PolicyTestFailed):
            result = excinfo.value.result
            head = "policy test could not run" if result.status == "error" else "policy test failed"
            return f"{head}: {self.case.name}\n{result.report()}"
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int | None, str]:
        line = self.case.line
        return self.path, (line - 1) if line else None, f"policy case: {self.case.name}"
