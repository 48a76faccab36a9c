"""Policy tests: every case under policies/ passes, and the runner and plugin report well.

(a) Each YAML case in `policies/<name>/tests/` is one test here, run through the Python
runner (`svrules.policytest`), so the project's pytest run covers the policy repository.
(b) The runner, `svrules test` and the pytest plugin are tested on deliberately wrong
cases in a temporary folder: a wrong expectation fails with its diff, and bad input (an
unknown rule or bidder, malformed YAML, an unknown key, a rejected tender) is an error
naming the file and line.
"""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from svrules.api import check_file
from svrules.tools.policytest import (
    Case,
    CaseError,
    CaseResult,
    PolicyCache,
    case_files,
    is_case_file,
    load_cases,
    run_case,
    run_paths,
    tender_json,
    values_equal,
)

from .conftest import ROOT

pytest_plugins = ["pytester"]

POLICIES = ROOT / "policies"
POLICY_NAMES = [
    "central-government",
    "metropolitan-council",
    "nhs-trust",
    "welsh-authority",
    "scottish-authority",
]


# ---------------------------------------------------------------- (a) the policy repository


def _policy_cases() -> list[object]:
    files, errors = case_files([POLICIES])
    params: list[object] = [pytest.param(e, id=f"path:{e.path}") for e in errors]
    for file in files:
        rel = file.relative_to(POLICIES)
        try:
            cases = load_cases(file)
        except CaseError as exc:
            params.append(pytest.param(exc, id=str(rel)))
            continue
        params += [pytest.param(case, id=f"{rel}::{case.name}") for case in cases]
    return params


_CACHE = PolicyCache()


@pytest.mark.parametrize("case", _policy_cases())
def test_policy_case(case: Case | CaseError) -> None:
    if isinstance(case, CaseError):
        pytest.fail(str(case), pytrace=False)
    result = run_case(case, _CACHE)
    if not result.passed:
        pytest.fail(result.report(), pytrace=False)


@pytest.mark.parametrize("name", POLICY_NAMES)
def test_each_policy_checks_clean_and_has_eight_cases(name: str) -> None:
    folder = POLICIES / name
    _, diagnostics, _ = check_file(folder / "policy.svr")
    assert diagnostics == []
    assert list((folder / "clauses").iterdir()), "each policy keeps a clause file"
    files, errors = case_files([folder])
    assert not errors
    assert sum(len(load_cases(f)) for f in files) >= 8


def test_every_rule_cites_its_source() -> None:
    from svrules.api import load_policy

    for name in POLICY_NAMES:
        policy = load_policy(POLICIES / name / "policy.svr")
        unsourced = [r.name for r in policy.checked.policy.rules if not r.refs]
        assert not unsourced, f"{name}: rules without a ref: {unsourced}"


def test_the_policy_repository_runs_quickly() -> None:
    run = run_paths([POLICIES])
    assert run.ok, "\n".join(r.report() for r in run.results if not r.passed)
    assert run.seconds < 10


# ---------------------------------------------------------------- (b) the runner itself

MINI_POLICY = """\
policy mini "A small policy for testing the test runner":
    contract:
        value: money "Contract value"
        tender_date: date "Tender date"

    bid:
        apprenticeships: count "Apprenticeship starts"
        local_jobs: number "Local jobs"
        volunteering_hours: count optional "Volunteering hours"

    param rate = £12.60 from 2024-10-22, £13.45 from 2025-10-22

    requirement apprenticeships "Apprenticeship starts":
        ref "a test"
        applies when contract.value >= £1m
        let needed = ceil(contract.value / £1m)
        met when bid.apprenticeships >= needed
        explain "At least {{ needed }} starts; the bid offers {{ bid.apprenticeships }}."

    criterion local_jobs "Local jobs":
        ref "a test"
        weight 10%
        score bands bid.local_jobs:
            at least 3: 100%
            at least 1: 20%
"""

GOOD_CASE = """\
name: a passing case
contract: {value: 2400000, tender_date: 2025-06-02}
bids:
  - {bidder: A, apprenticeships: 3, local_jobs: 1}
  - {bidder: B, apprenticeships: 2, local_jobs: 5}
expect:
  params: {rate: "12.60"}
  bids:
    A:
      compliant: true
      rank: 1
      criteria: {local_jobs: {score: 20%, points: "0.02"}}
    B: {compliant: false, requirements: {apprenticeships: not_met}, criteria: null}
"""


def _policy(root: Path, *cases: str, name: str = "cases.yaml") -> Path:
    folder = root / "mini"
    (folder / "tests").mkdir(parents=True, exist_ok=True)
    (folder / "policy.svr").write_text(MINI_POLICY, encoding="utf-8")
    case_file = folder / "tests" / name
    case_file.write_text("---\n".join(cases), encoding="utf-8")
    return case_file


def _only(case_file: Path) -> CaseResult:
    [case] = load_cases(case_file)
    return run_case(case)


def test_a_good_case_passes(tmp_path: Path) -> None:
    result = _only(_policy(tmp_path, GOOD_CASE))
    assert result.status == "pass", result.report()


def test_a_wrong_score_fails_with_the_diff(tmp_path: Path) -> None:
    case_file = _policy(tmp_path, GOOD_CASE.replace("score: 20%", "score: 0.6"))
    result = _only(case_file)
    assert result.status == "fail"
    assert "bid 'A', criterion local_jobs: score expected 0.6, got 0.2" in result.report()
    assert f"{case_file}:12:" in result.report()  # the line of the wrong expectation


def test_every_wrong_field_is_reported(tmp_path: Path) -> None:
    wrong = GOOD_CASE.replace("rank: 1", "rank: 2").replace("not_met", "met").replace('"12.60"', '"13.45"')
    result = _only(_policy(tmp_path, wrong))
    report = result.report()
    assert "bid 'A': rank expected 2, got 1" in report
    assert "bid 'B', requirement apprenticeships: outcome expected met, got not_met" in report
    assert "parameter rate expected 13.45, got 12.6" in report
    assert len(result.mismatches) == 3


def test_reasons_and_mentions(tmp_path: Path) -> None:
    case = GOOD_CASE.replace(
        "criteria: null",
        'criteria: null, reasons: {apprenticeships: "At least 3 starts; the bid offers 2."},\n'
        "       reason_mentions: {apprenticeships: [starts, offers 2]}",
    )
    result = _only(_policy(tmp_path, case))
    assert result.report() == ""
    assert result.status == "pass"
    result = _only(_policy(tmp_path, case.replace("offers 2.", "offers 3.")))
    assert (
        "reason expected 'At least 3 starts; the bid offers 3.', got 'At least 3 starts; the bid offers 2.'"
        in (result.report())
    )
    result = _only(_policy(tmp_path, case.replace("[starts, offers 2]", "[wanted]")))
    assert "does not mention 'wanted'" in result.report()


def test_an_unknown_rule_is_an_error_with_file_and_line(tmp_path: Path) -> None:
    case_file = _policy(tmp_path, GOOD_CASE.replace("criteria: {local_jobs:", "criteria: {local_job:"))
    result = _only(case_file)
    assert result.status == "error"
    assert f"{case_file}:12: error: unknown criterion 'local_job'" in result.report()
    assert "did you mean 'local_jobs'?" in result.report()


def test_an_unknown_bidder_is_an_error_with_file_and_line(tmp_path: Path) -> None:
    case_file = _policy(tmp_path, GOOD_CASE.replace("    B: {", "    C: {"))
    result = _only(case_file)
    assert result.status == "error"
    assert f"{case_file}:13: error: unknown bidder 'C'" in result.report()
    assert "A, B" in result.report()


def test_malformed_yaml_is_an_error_with_file_and_line(tmp_path: Path) -> None:
    case_file = _policy(tmp_path, GOOD_CASE.replace("  - {bidder: B,", "  - {bidder: B"))
    case_file.write_text(case_file.read_text().replace("local_jobs: 5}", "local_jobs: 5"), encoding="utf-8")
    with pytest.raises(CaseError) as caught:
        load_cases(case_file)
    assert str(caught.value).startswith(f"{case_file}:5: error: malformed YAML")


def test_an_unknown_key_is_an_error_with_file_and_line(tmp_path: Path) -> None:
    case_file = _policy(tmp_path, GOOD_CASE.replace("expect:", "expected:"))
    with pytest.raises(CaseError) as caught:
        load_cases(case_file)
    assert f"{case_file}:6: error: unknown key 'expected' in case" in str(caught.value)
    assert "did you mean 'expect'?" in str(caught.value)
    case_file = _policy(
        tmp_path, GOOD_CASE.replace("      compliant: true", "      compliant: true\n      rnak: 1")
    )
    with pytest.raises(CaseError) as caught:
        load_cases(case_file)
    assert f"{case_file}:11: error: unknown key 'rnak' in bid 'A'" in str(caught.value)


def test_a_repeated_key_is_an_error(tmp_path: Path) -> None:
    case_file = _policy(
        tmp_path, GOOD_CASE.replace("apprenticeships: 3,", "apprenticeships: 3, apprenticeships: 4,")
    )
    with pytest.raises(CaseError, match=r"cases\.yaml:4: error: 'apprenticeships' is given twice"):
        load_cases(case_file)


def test_a_tender_the_policy_rejects_shows_the_diagnostics(tmp_path: Path) -> None:
    case_file = _policy(tmp_path, GOOD_CASE.replace("apprenticeships: 3,", "apprenticeships: 2.5,"))
    result = _only(case_file)
    assert result.status == "error"
    report = result.report()
    assert f"{case_file}:2: error: the policy rejects this case's tender" in report
    assert "bid 'A'" in report and "apprenticeships" in report


def test_an_expected_rejection_passes(tmp_path: Path) -> None:
    case = (
        "name: too early\ncontract: {value: 10, tender_date: 2024-10-21}\n"
        "bids: [{bidder: A, apprenticeships: 0, local_jobs: 0}]\nexpect: {rejected: [rate, 2024-10-22]}\n"
    )
    assert _only(_policy(tmp_path, case)).status == "pass"
    accepted = case.replace("2024-10-21", "2024-10-22")
    result = _only(_policy(tmp_path, accepted))
    assert result.status == "fail"
    assert "expected the policy to reject the tender" in result.report()


def test_numbers_stay_exact_and_dates_stay_text(tmp_path: Path) -> None:
    case = GOOD_CASE.replace("local_jobs: 1}", "local_jobs: 0.1}").replace(
        "local_jobs: 5}", "local_jobs: 1.10}"
    )
    [loaded] = load_cases(_policy(tmp_path, case))
    bids = loaded.data["bids"]
    assert bids[0]["local_jobs"] == Decimal("0.1") and isinstance(bids[0]["local_jobs"], Decimal)
    assert str(bids[1]["local_jobs"]) == "1.10"
    assert loaded.data["contract"]["tender_date"] == "2025-06-02"
    text = tender_json(loaded)
    assert '"local_jobs": 0.1}' in text and '"local_jobs": 1.10}' in text
    assert '"tender_date": "2025-06-02"' in text


def test_expected_values_compare_exactly_after_rounding_to_ten_places() -> None:
    assert values_equal("0.6666666667", Decimal(2) / Decimal(3))
    assert values_equal("60%", Decimal("0.6"))
    assert values_equal("£1,250.50", Decimal("1250.5"))
    assert values_equal("£1.5m", Decimal("1500000"))
    assert not values_equal("0.6666666666", Decimal(2) / Decimal(3))
    assert not values_equal(None, Decimal(0))
    assert values_equal(True, True) and not values_equal(1, True)


def test_only_yaml_in_tests_next_to_a_policy_is_a_case_file(tmp_path: Path) -> None:
    case_file = _policy(tmp_path, GOOD_CASE)
    stray = tmp_path / "mini" / "notes.yaml"
    stray.write_text("a: 1\n", encoding="utf-8")
    elsewhere = tmp_path / "other" / "tests" / "x.yaml"
    elsewhere.parent.mkdir(parents=True)
    elsewhere.write_text("a: 1\n", encoding="utf-8")
    assert is_case_file(case_file)
    assert not is_case_file(stray) and not is_case_file(elsewhere)
    files, errors = case_files([tmp_path])
    assert files == [case_file] and not errors
    assert case_files([tmp_path / "mini"])[0] == [case_file]
    assert case_files([case_file])[0] == [case_file]
    files, errors = case_files([stray, tmp_path / "missing"])
    assert files == [] and [e.message for e in errors] == ["not a policy test file", "no such file or folder"]


def test_a_policy_with_errors_is_reported_for_its_cases(tmp_path: Path) -> None:
    case_file = _policy(tmp_path, GOOD_CASE)
    (tmp_path / "mini" / "policy.svr").write_text(MINI_POLICY.replace("bid.local_jobs:", "bid.local_job:"))
    result = _only(case_file)
    assert result.status == "error"
    assert "the policy has errors" in result.report()
    assert "unknown field 'bid.local_job'" in result.report()


# ---------------------------------------------------------------- `svrules test`


def _svrules(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "svrules", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_svrules_test_prints_each_case_the_diff_and_a_summary(tmp_path: Path) -> None:
    _policy(
        tmp_path,
        GOOD_CASE,
        GOOD_CASE.replace("a passing case", "a failing case").replace("rank: 1", "rank: 2"),
    )
    done = _svrules("test", "mini", cwd=tmp_path)
    assert done.returncode == 1
    out = done.stdout
    assert "PASS  mini/tests/cases.yaml: a passing case" in out
    assert "FAIL  mini/tests/cases.yaml: a failing case" in out
    assert "mini/tests/cases.yaml:25: bid 'A': rank expected 2, got 1" in out
    assert "2 cases: 1 passed, 1 failed, 0 errors in " in out
    assert "Traceback" not in out + done.stderr


def test_svrules_test_passes_and_defaults_to_policies(tmp_path: Path) -> None:
    (tmp_path / "policies").mkdir()
    _policy(tmp_path / "policies", GOOD_CASE)
    done = _svrules("test", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 case: 1 passed, 0 failed, 0 errors" in done.stdout


def test_svrules_test_reports_bad_input_without_a_traceback(tmp_path: Path) -> None:
    case_file = _policy(tmp_path, "name: broken\ncontract: [\n")
    done = _svrules("test", str(case_file), "nowhere", cwd=tmp_path)
    assert done.returncode == 1
    assert "ERROR nowhere: error: no such file or folder" in done.stdout
    assert f"ERROR {case_file}:3: error: malformed YAML" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


# ---------------------------------------------------------------- the pytest plugin


def _pytest_args(*args: str) -> list[str]:
    autoload_off = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    return [*(["-p", "svrules.tools.pytest_plugin"] if autoload_off else []), "-p", "no:cacheprovider", *args]


def test_the_plugin_collects_cases_as_items(pytester: pytest.Pytester) -> None:
    root = pytester.path
    _policy(
        root,
        GOOD_CASE,
        GOOD_CASE.replace("a passing case", "a failing case").replace("score: 20%", "score: 0.6"),
    )
    (root / "mini" / "notes.yaml").write_text("not: a case\n")
    (root / "elsewhere" / "tests").mkdir(parents=True)
    (root / "elsewhere" / "tests" / "data.yaml").write_text("not: a case\n")
    result = pytester.runpytest(*_pytest_args("-v", "mini", "elsewhere"))
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*cases.yaml::a passing case PASSED*",
            "*cases.yaml::a failing case FAILED*",
            "*policy test failed: a failing case*",
            "*cases.yaml:26: bid 'A', criterion local_jobs: score expected 0.6, got 0.2*",
        ]
    )
    assert "notes.yaml" not in result.stdout.str() and "data.yaml" not in result.stdout.str()


def test_the_plugin_reports_a_malformed_file_as_a_collection_error(pytester: pytest.Pytester) -> None:
    _policy(pytester.path, "name: broken\ncontract: [\n")
    result = pytester.runpytest(*_pytest_args("mini"))
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*cases.yaml:3: error: malformed YAML*"])
    assert "Traceback" not in result.stdout.str()


def test_the_plugin_reports_an_unknown_rule_as_a_failure_with_its_line(pytester: pytest.Pytester) -> None:
    _policy(
        pytester.path, GOOD_CASE.replace("requirements: {apprenticeships:", "requirements: {apprentices:")
    )
    result = pytester.runpytest(*_pytest_args("mini"))
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*policy test could not run*", "*cases.yaml:13: error: unknown requirement 'apprentices'*"]
    )
