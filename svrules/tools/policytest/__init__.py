"""Policy tests: YAML cases beside a policy that evaluate a small tender and check the outcome.

Cases live in `POLICY/tests/*.yaml` next to `POLICY/policy.svr`; their numbers are exact
decimals, so a case means exactly what it says (docs/policy-tests.md). The parts: `reading`
(finding and reading files), `shape` (what a case may say), `running`, `expect` (a result
against the case) and `model` (the records); `svrules test` and the pytest plugin use them.
"""

from svrules.tools.policytest.expect import (
    CRITERION_OUTCOMES,
    REQUIREMENT_OUTCOMES,
    compare_expectations,
    expected_decimal,
    show,
    values_equal,
)
from svrules.tools.policytest.model import Case, CaseError, CaseResult, Mismatch, Where
from svrules.tools.policytest.reading import (
    CASE_SUFFIXES,
    POLICY_FILE,
    TESTS_FOLDER,
    CaseLoader,
    case_files,
    is_case_file,
    load_cases,
    policy_for,
)
from svrules.tools.policytest.running import (
    PolicyCache,
    Run,
    iter_results,
    run_case,
    run_paths,
    tender_json,
)
from svrules.tools.policytest.shape import (
    BID_KEYS,
    CASE_KEYS,
    CRITERION_KEYS,
    EXPECT_KEYS,
    SOCIAL_VALUE_KEYS,
)

__all__ = [
    "BID_KEYS",
    "CASE_KEYS",
    "CASE_SUFFIXES",
    "CRITERION_KEYS",
    "CRITERION_OUTCOMES",
    "EXPECT_KEYS",
    "POLICY_FILE",
    "REQUIREMENT_OUTCOMES",
    "SOCIAL_VALUE_KEYS",
    "TESTS_FOLDER",
    "Case",
    "CaseError",
    "CaseLoader",
    "CaseResult",
    "Mismatch",
    "PolicyCache",
    "Run",
    "Where",
    "case_files",
    "compare_expectations",
    "expected_decimal",
    "is_case_file",
    "iter_results",
    "load_cases",
    "policy_for",
    "run_case",
    "run_paths",
    "show",
    "tender_json",
    "values_equal",
]
