"""Hardening of what svrules reads and writes: deep JSON, whole-string matches, exact numbers, 10 places.

Each defect once exited 70 ("internal error") or silently changed a value; each is now a
located error naming the file, bid and field (or the right result). The CLI tests run
`python -m svrules` as a subprocess on real files; the property tests state the rules
for any input: a JSON number is read back exactly or refused, and no decimal in a
result has more than 10 places.
"""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from svrules import InputError, load_policy
from svrules.core.decimals import result_string
from svrules.engine.tender import TenderValidator, fast_converter, tender_from_text
from svrules.language import nodes as n

from .conftest import EXAMPLES, ROOT

BOROUGH = EXAMPLES / "example-borough"
POLICY = BOROUGH / "policy.svr"
TENDER = json.loads((BOROUGH / "tenders" / "spec-two-bids.json").read_text(encoding="utf-8"))
ACME = "bid 'Acme Facilities Ltd'"


def _svrules(*args: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "svrules", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _refused(tmp_path: Path, text: str, *phrases: str) -> str:
    """Evaluate `text` as a tender file: exit 1, the file and every phrase in stderr, no crash."""
    path = tmp_path / "tender.json"
    path.write_text(text, encoding="utf-8")
    run = _svrules("evaluate", POLICY, path)
    assert run.returncode == 1, run.stderr
    assert "internal error" not in run.stderr and "Traceback" not in run.stderr
    assert "tender.json" in run.stderr
    for phrase in phrases:
        assert phrase in run.stderr, run.stderr
    return run.stderr


def _with(path: list[Any], raw: str) -> str:
    """The spec's tender with one value replaced by raw JSON text."""
    marker = "@@VALUE@@"
    data = json.loads(json.dumps(TENDER))
    obj = data
    for key in path[:-1]:
        obj = obj[key]
    obj[path[-1]] = marker
    return json.dumps(data).replace(json.dumps(marker), raw)


# ---------------------------------------------------------------- 1. deep nesting


def test_deep_array_is_refused_at_its_line(tmp_path: Path) -> None:
    deep = "[" * 100_000 + "]" * 100_000
    text = json.dumps(TENDER, indent=1).replace('"local_hires_fte": 6', f'"local_hires_fte": {deep}', 1)
    err = _refused(tmp_path, text, "nested more than 64 levels", "hint:")
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.lstrip().startswith('"local_hires_fte"'))
    assert f"tender.json:{line}:" in err


def test_deep_objects_and_brackets_in_strings(tmp_path: Path) -> None:
    deep = '{"a": ' * 70 + "1" + "}" * 70
    _refused(tmp_path, _with(["bids", 0, "local_hires_fte"], deep), "nested more than 64 levels")
    # brackets inside strings do not count: this is just a wrong value
    text = _with(["bids", 0, "local_hires_fte"], json.dumps("[" * 1000))
    _refused(tmp_path, text, f"{ACME}, field 'local_hires_fte'", "expected a number")


def test_deep_report_and_batch_line(tmp_path: Path) -> None:
    highways = EXAMPLES / "midshire-highways"
    report = json.loads((highways / "reports" / "shire-surfacing-year-1.json").read_text(encoding="utf-8"))
    text = json.dumps(report).replace('"years_elapsed": 1', '"years_elapsed": ' + "[" * 5000 + "]" * 5000)
    path = tmp_path / "report.json"
    path.write_text(text, encoding="utf-8")
    run = _svrules("assess", highways / "policy.svr", path)
    assert run.returncode == 1 and "nested more than 64 levels" in run.stderr, run.stderr
    assert "internal error" not in run.stderr
    lines = tmp_path / "tenders.jsonl"
    good = json.dumps(TENDER)
    lines.write_text(good + "\n" + good.replace("6,", "[" * 100_000 + "]" * 100_000 + ",", 1) + "\n")
    run = _svrules("batch", POLICY, lines)
    assert "internal error" not in run.stderr, run.stderr
    out = [json.loads(line) for line in run.stdout.splitlines()]
    assert len(out) == 2 and "errors" not in out[0]
    assert out[1]["line"] == 2 and out[1]["errors"][0]["code"] == "json-too-deep"


# ---------------------------------------------------------------- 2. whole-string matches


def test_strings_with_a_final_newline_are_refused(tmp_path: Path) -> None:
    _refused(
        tmp_path,
        _with(["bids", 0, "sme_spend"], json.dumps("25%\n")),
        f"{ACME}, field 'sme_spend'",
        "is not a percent",
    )
    _refused(
        tmp_path,
        _with(["contract", "value"], json.dumps("5400000\n")),
        "the contract, field 'value'",
        "is not an amount",
    )
    _refused(
        tmp_path,
        _with(["contract", "tender_date"], json.dumps("2025-06-02\n")),
        "the contract, field 'tender_date'",
        "YYYY-MM-DD",
    )
    run = _svrules("evaluate", POLICY, BOROUGH / "tenders" / "spec-two-bids.json", "--as-of", "2025-06-02\n")
    assert run.returncode == 1 and "not a date" in run.stderr, run.stderr


# ---------------------------------------------------------------- 3. exact numbers


def test_underflow_is_refused_not_zero(tmp_path: Path) -> None:
    _refused(
        tmp_path,
        _with(["bids", 0, "sme_spend"], "1e-1000025"),
        f"{ACME}, field 'sme_spend'",
        "more than 28 decimal places",
        "hint:",
    )


def test_numbers_beyond_decimal_range_are_refused(tmp_path: Path) -> None:
    for raw, phrase in [
        ("1e99999999999999999999", "is too large (10^15 or more)"),
        ("-1e-99999999999999999999", "more than 28 decimal places"),
        ("1" * 100_000, "is too large"),
        ("0." + "1" * 100_000, "more than 28 significant digits"),
        ("1e-29", "more than 28 decimal places"),
        ("NaN", "NaN is not a number"),
        ("-Infinity", "not a number"),
    ]:
        err = _refused(
            tmp_path, _with(["bids", 0, "local_hires_fte"], raw), f"{ACME}, field 'local_hires_fte'", phrase
        )
        assert len(err) < 1000, "a runaway value is cut short in the message"
    for raw in ('"1e-30%"', '"0.00000000000000000000000000001%"'):
        _refused(tmp_path, _with(["bids", 0, "sme_spend"], raw), f"{ACME}, field 'sme_spend'")


def test_exact_extremes_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "tender.json"
    text = _with(["bids", 0, "sme_spend"], "1e-26").replace(
        '"apprenticeships": 5', '"apprenticeships": 5e0', 1
    )
    path.write_text(text.replace('"local_hires_fte": 6', '"local_hires_fte": 0e400', 1), encoding="utf-8")
    run = _svrules("evaluate", POLICY, path, "--format", "json")
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    acme = result["bids"][0]
    trace = {t["name"]: t["value"] for r in acme["requirements"] for t in r["trace"]}
    assert trace["bid.apprenticeships"] == "5"  # 5e0 is 5
    assert all(_places(s) <= 10 for s in _all_decimals(result))


def test_lone_surrogate_is_refused(tmp_path: Path) -> None:
    _refused(tmp_path, _with(["bids", 0, "bidder"], '"Acme \\udc00"'), "surrogate")
    ok = tmp_path / "ok.json"
    ok.write_text(_with(["bids", 0, "bidder"], '"Acme \\ud83d\\ude00"'), encoding="utf-8")
    run = _svrules("evaluate", POLICY, ok, "--format", "json")
    assert run.returncode == 0, run.stderr


_DECIMALS = st.decimals(allow_nan=True, allow_infinity=True) | st.builds(
    lambda digits, exponent: Decimal(f"{digits}e{exponent}"),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.integers(min_value=-(10**7), max_value=10**7),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_DECIMALS, st.sampled_from(["money", "number", "count", "percent"]))
def test_any_number_is_read_exactly_or_refused(value: Decimal, kind: str) -> None:
    """Fast and careful paths agree, and an accepted number is the number given (÷100 for a percent)."""
    decl = n.FieldDecl("x", kind)
    validator = TenderValidator({"x": decl}, {}, "t.json")
    careful = validator.record({"x": value}, {"x": decl}, "contract", "the contract")
    fast = fast_converter(decl)(value)
    if validator.problems:
        assert type(fast).__name__ == "Problem"
        assert all("\n" not in d.message and len(d.message) < 200 for d in validator.problems)
        return
    got = careful["x"]
    assert (got == fast and got.compare_total(fast) == 0) or (got == 0 and fast == 0)
    assert got == (value.scaleb(-2) if kind == "percent" else value)  # never another number


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="0123456789.-%e+\n \t£,", min_size=1, max_size=12))
def test_strings_match_whole(text: str) -> None:
    for kind in ("money", "percent"):
        decl = n.FieldDecl("x", kind)
        validator = TenderValidator({"x": decl}, {}, "t.json")
        validator.record({"x": text}, {"x": decl}, "contract", "the contract")
        if not validator.problems:
            assert text.strip() == text and "\n" not in text


@settings(max_examples=150, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=5),
                    lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=3), kids, max_size=3),
                    max_leaves=200))  # fmt: skip
def test_any_json_text_reads_or_is_refused(value: Any) -> None:
    text = json.dumps(value)
    try:
        tender_from_text(text, "t.json")
    except InputError as exc:
        assert exc.diagnostics[0].code == "json-too-deep"


# ---------------------------------------------------------------- 4. at most 10 places


def _places(text: str) -> int:
    return len(text.partition(".")[2])


def _all_decimals(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [s for v in value.values() for s in _all_decimals(v)]
    if isinstance(value, list):
        return [s for v in value for s in _all_decimals(v)]
    if isinstance(value, str) and value.lstrip("-").replace(".", "", 1).isdigit():
        return [value]
    assert not isinstance(value, float)
    return []


def test_money_lets_have_at_most_10_places(tmp_path: Path) -> None:
    policy = tmp_path / "policy.svr"
    policy.write_text(
        'policy thirds "Thirds":\n'
        '    version "1"\n'
        "    contract:\n"
        '        value: money "Value"\n'
        "    bid:\n"
        '        offer: money "Offer"\n'
        '    requirement thirds "Thirds":\n'
        "        let share = contract.value / 3 + bid.offer\n"
        "        met when share > £0\n",
        encoding="utf-8",
    )
    tender = tmp_path / "tender.json"
    tender.write_text(
        '{"contract": {"value": 900009000090000.91}, "bids": [{"bidder": "A", "offer": 215.625}]}',
        encoding="utf-8",
    )
    run = _svrules("evaluate", policy, tender, "--format", "json")
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    lets = result["bids"][0]["requirements"][0]["lets"]
    assert lets["share"] == "300003000030215.9283333333"
    assert all(_places(s) <= 10 for s in _all_decimals(result))
    trace = {t["name"]: t["value"] for t in result["bids"][0]["requirements"][0]["trace"]}
    assert trace["bid.offer"] == "215.625"  # not rounded to the penny


@settings(max_examples=200, deadline=None)
@given(st.decimals(allow_nan=False, allow_infinity=False, places=None), st.booleans())
def test_result_strings_have_at_most_10_places(value: Decimal, money: bool) -> None:
    text = result_string(value, money)
    assert "e" not in text.lower() and text != "-0"
    assert _places(text) <= 10
    assert abs(Decimal(text) - value) <= Decimal("0.00000000005")


def test_example_results_have_at_most_10_places() -> None:
    for folder in sorted(EXAMPLES.iterdir()):
        policy = load_policy(folder / "policy.svr")
        for tender in sorted((folder / "tenders").glob("*.json")):
            result = policy.evaluate(tender).to_json()
            assert all(_places(s) <= 10 for s in _all_decimals(result)), tender
