"""Templates hardened: nesting, memory, numbers, records, failures and optional fields.

Each defect is driven through the command line (`python -m svrules`) on real files, and
must end in the right result or a located, clear error: never an internal error (exit
70) or a traceback.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from .conftest import ROOT

POLICY = """policy probe "Template probe":
    version "1"

    contract:
        value: money "Whole-life contract value"

    bid:
        ok: yes/no "Meets the commitment"
        fte: number "Local hires"
        year: count optional "Net zero target year"

    param needed = 3

    requirement commitment "The commitment":
        let q = {let}
        met when {met}
        explain "{explain}"
"""
EXPLAIN_LINE = 17
TENDER = {"contract": {"value": 1000000}, "bids": [{"bidder": "A Ltd", "ok": False, "fte": 2}]}


def run(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "svrules", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def write(tmp_path: Path, explain: str, met: str = "bid.ok", let: str = "bid.fte") -> Path:
    policy = tmp_path / "policy.svr"
    text = (
        POLICY.replace("{explain}", explain.replace('"', '\\"')).replace("{met}", met).replace("{let}", let)
    )
    policy.write_text(text, encoding="utf-8")
    (tmp_path / "tender.json").write_text(json.dumps(TENDER), encoding="utf-8")
    return policy


def clean(proc: subprocess.CompletedProcess[str]) -> None:
    out = proc.stdout + proc.stderr
    assert proc.returncode != 70, out
    assert "internal error" not in out and "Traceback" not in out, out


def text(proc: subprocess.CompletedProcess[str]) -> str:
    return proc.stdout + proc.stderr


def evaluate(policy: Path) -> subprocess.CompletedProcess[str]:
    return run("evaluate", policy, policy.parent / "tender.json", "--format", "json")


def requirement(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (bid,) = json.loads(proc.stdout)["bids"]
    (result,) = bid["requirements"]
    return dict(result)


# ---------------------------------------------------------------- 1. nesting


@pytest.mark.parametrize(
    ("explain", "limit"),
    [
        ("{% for a in [1] %}" * 25 + "x" + "{% endfor %}" * 25, "at most 8"),
        ("{% if 1 %}" * 200 + "x" + "{% endif %}" * 200, "at most 8"),
        ("{{ " + "(" * 1000 + "1" + ")" * 1000 + " }}", "at most 20"),
        ("{{ " + " + ".join(["1"] * 1000) + " }}", "at most 20"),
        ("{{ " + "not " * 5000 + "1 }}", "at most 20"),
    ],
    ids=["25-fors", "200-ifs", "1000-brackets", "1000-terms", "5000-nots"],
)
def test_deep_templates_are_refused_at_check(tmp_path: Path, explain: str, limit: str) -> None:
    policy = write(tmp_path, explain)
    proc = run("check", policy)
    clean(proc)
    assert proc.returncode == 1
    assert f"policy.svr:{EXPLAIN_LINE}:" in text(proc)
    assert "error: " in text(proc) and limit in text(proc)
    clean(evaluate(policy))


def test_what_check_accepts_renders(tmp_path: Path) -> None:
    explain = "{% for a in [1] %}" * 8 + "x" + "{% endfor %}" * 8 + "{{ " + "(" * 20 + "1" + ")" * 20 + " }}"
    policy = write(tmp_path, explain)
    assert run("check", policy).returncode == 0
    assert requirement(evaluate(policy))["reason"] == "x1"


# ---------------------------------------------------------------- 2. memory


def test_join_is_measured_before_it_is_built(tmp_path: Path) -> None:
    policy = write(tmp_path, "{% set x = 'b' * 1000000 %}{{ ('a' * 3000) | join(x) }}")
    started = time.perf_counter()
    proc = evaluate(policy)
    clean(proc)
    assert time.perf_counter() - started < 20
    assert proc.returncode == 1
    assert "'join' would build a text of 2,999,003,000 characters" in proc.stderr
    assert f"policy.svr:{EXPLAIN_LINE}:" in proc.stderr and "requirement 'commitment'" in proc.stderr


# ---------------------------------------------------------------- 3. numbers


def test_template_numbers_are_exact_decimals(tmp_path: Path) -> None:
    explain = (
        "{{ 0.1 + 0.2 }} {{ 1/3 }} {{ needed * 0.5 }} {{ contract.value * 0.1 }} {{ 7 // 2 }} {{ '-' * 3 }}"
    )
    policy = write(tmp_path, explain)
    assert run("check", policy).returncode == 0
    assert requirement(evaluate(policy))["reason"] == "0.3 0.3333333333 1.5 £100,000 3 ---"


def test_a_template_result_too_large_is_named(tmp_path: Path) -> None:
    proc = evaluate(write(tmp_path, "{{ 1e999999 * 10 }}"))
    clean(proc)
    assert proc.returncode == 1 and "the result is too large" in proc.stderr
    assert "inf" not in proc.stdout


# ---------------------------------------------------------------- 4. records


@pytest.mark.parametrize("root", ["contract", "bid", "rule"])
def test_a_whole_record_is_refused_at_check(tmp_path: Path, root: str) -> None:
    proc = run("check", write(tmp_path, f"It is {{{{ {root} }}}}."))
    clean(proc)
    assert proc.returncode == 1
    assert f"policy.svr:{EXPLAIN_LINE}:" in text(proc)
    assert f"'{root}' is a whole record" in text(proc) and "hint: name one of its fields" in text(proc)
    assert "Decimal(" not in text(proc)


# ---------------------------------------------------------------- 5. a failing explain


def test_a_failing_explain_names_file_rule_and_bid(tmp_path: Path) -> None:
    proc = evaluate(write(tmp_path, "{{ 1 / 0 }}"))
    clean(proc)
    assert proc.returncode == 1
    assert f"policy.svr:{EXPLAIN_LINE}:" in proc.stderr
    assert "requirement 'commitment'" in proc.stderr and "policy 'probe'" in proc.stderr
    assert "bid 'A Ltd'" in proc.stderr and "division by zero" in proc.stderr


# ---------------------------------------------------------------- 6. optional fields


def test_an_explain_needing_a_missing_optional_field_gives_the_generated_reason(tmp_path: Path) -> None:
    policy = write(tmp_path, "The bid commits to {{ bid.year }}.", met="bid.ok and bid.year <= 2050")
    check = run("check", policy)
    clean(check)
    assert check.returncode == 0 and "warning: this explain reads bid.year" in text(check)
    result = requirement(evaluate(policy))
    assert result["outcome"] == "not_met"
    assert "bid.ok is no" in result["reason"] and "not met" in result["reason"]


def test_no_warning_for_a_field_the_rule_always_reads(tmp_path: Path) -> None:
    check = run("check", write(tmp_path, "The bid commits to {{ bid.year }}.", met="bid.year <= 2050"))
    assert check.returncode == 0 and "warning" not in text(check).replace("0 warnings", "")


def test_the_shipped_policies_guard_their_optional_fields() -> None:
    """nhs-trust's explains test `bid.net_zero_year is defined`, as the warning asks."""
    proc = run("check", ROOT / "policies")
    clean(proc)
    assert proc.returncode == 0, text(proc)
    assert "warning" not in text(proc).replace("0 warnings", "")


# ---------------------------------------------------------------- 7. failure wording


@pytest.mark.parametrize("let", ["0 / 0", "bid.fte / 0"])
def test_a_failed_let_is_a_division_by_zero_and_not_unstated(tmp_path: Path, let: str) -> None:
    result = requirement(evaluate(write(tmp_path, "fine", met="q > 1", let=let)))
    assert result["outcome"] == "error"
    assert result["reason"].endswith("q could not be worked out: division by zero")
    assert "not stated" not in result["reason"]


def test_the_nhs_trust_policy_evaluates_a_bid_without_a_net_zero_year(tmp_path: Path) -> None:
    """Neither a commitment nor a plan, no net zero year: `and` stops early, so the outcome
    is not_met; the explain says the bid states no year; the tender is evaluated."""
    bid = {
        "bidder": "Ilkley Care Ltd",
        "price": 2500000,
        "carbon_reduction_plan": False,
        "net_zero_commitment": False,
        "emissions_cut": 10,
        "zero_emission_fleet": 0,
        "health_inequalities_mark": 0.5,
    }
    contract = {"value": 3000000, "category": "health_care", "duration_years": 3, "tender_date": "2025-06-02"}
    tender = tmp_path / "tender.json"
    tender.write_text(json.dumps({"contract": contract, "bids": [bid]}), encoding="utf-8")
    proc = run("evaluate", ROOT / "policies" / "nhs-trust" / "policy.svr", tender, "--format", "json")
    clean(proc)
    assert proc.returncode == 0, text(proc)
    (result,) = json.loads(proc.stdout)["bids"]
    (commitment,) = [r for r in result["requirements"] if r["id"] == "net_zero_commitment"]
    assert commitment["outcome"] == "not_met"
    assert commitment["reason"].endswith("the bid states no net zero year.")


@pytest.mark.parametrize(
    ("signal", "words"),
    [
        ("DivisionByZero", "division by zero"),
        ("DivisionUndefined", "division by zero"),
        ("DivisionImpossible", "the whole-number division is too large"),
        ("InvalidOperation", "the calculation has no numeric result"),
        ("Overflow", "the result is too large"),
        ("Underflow", "the result is too small to hold"),
        ("Subnormal", "the result is too small to hold exactly"),
        ("Inexact", "the result cannot be held exactly"),
        ("Rounded", "the result had to be rounded"),
        ("Clamped", "the result's exponent had to be adjusted"),
        ("ConversionSyntax", "a text is not a number"),
        ("FloatOperation", "a binary fraction was mixed with a decimal"),
    ],
)
def test_every_decimal_failure_is_named_in_words(signal: str, words: str) -> None:
    import decimal

    from svrules.engine.failures import failure_text

    condition = getattr(decimal, signal)
    assert failure_text(condition()) == words
    # the C implementation raises the trapped signal, naming the condition in its args
    assert failure_text(decimal.InvalidOperation([condition])) == words or not issubclass(
        condition, decimal.InvalidOperation
    )


def test_failure_text_of_a_real_zero_over_zero() -> None:
    from decimal import Decimal

    from svrules.core.decimals import CONTEXT
    from svrules.engine.failures import failure_text

    with pytest.raises(ArithmeticError) as caught:
        CONTEXT.divide(Decimal(0), Decimal(0))
    assert failure_text(caught.value) == "division by zero"
