"""The spec's worked examples, evaluated and compared field by field.

Each `examples/<name>/expected/*.json` (KPI report files aside) names a tender and,
optionally, an as-of date; the evaluation must give exactly the outcomes, scores,
points, totals, social value, ranks, params, lets and reasons it lists.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from svrules import load_policy
from svrules.core.decimals import round10

from .conftest import EXAMPLES, SHARED_EXAMPLES

EXPECTED = sorted(EXAMPLES.glob("*/expected/*.json"))
TENDER_CASES = [p for p in EXPECTED if "tender" in json.loads(p.read_text(encoding="utf-8"))]


def _same_decimal(actual: str | None, expected: str | None) -> bool:
    if expected is None or actual is None:
        return actual is expected
    return round10(Decimal(actual)) == round10(Decimal(expected))


def _evaluate(case: Path) -> tuple[dict[str, Any], dict[str, Any], Any]:
    expected = json.loads(case.read_text(encoding="utf-8"))
    folder = case.parent.parent
    as_of = case.stem.split(".as-of-")[1] if ".as-of-" in case.stem else None
    policy = load_policy(folder / "policy.svr")
    result = policy.evaluate(folder / expected["tender"], as_of=as_of)
    return expected, result.to_json(), result


def test_every_example_has_cases() -> None:
    assert len(TENDER_CASES) >= 5
    assert {p.parent.parent.name for p in TENDER_CASES} == {
        "example-borough",
        "northfield-nhs",
        "midshire-highways",
    }


@pytest.mark.parametrize("case", TENDER_CASES, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_expected_outcome(case: Path) -> None:
    expected, actual, result = _evaluate(case)
    assert actual["policy"]["id"] == expected["policy"]
    assert actual["as_of"] == expected["as_of"]
    assert actual["applies"] == expected["applies"]
    for name, value in expected.get("params", {}).items():
        assert _same_decimal(actual["params"][name], value), name
    bids = {b["bidder"]: b for b in actual["bids"]}
    assert set(bids) == set(expected["bids"])
    for bidder, want in expected["bids"].items():
        _compare_bid(bidder, bids[bidder], want)
    for key, text in expected.get("reasons", {}).items():
        bidder, rule = key.split("/")
        bid = result.bid(bidder)
        found = [r for r in (*bid.requirements, *bid.criteria) if r.id == rule]
        assert found and found[0].reason == text, key


def _compare_bid(bidder: str, got: dict[str, Any], want: dict[str, Any]) -> None:
    assert got["compliant"] == want["compliant"], bidder
    outcomes = {r["id"]: r for r in got["requirements"]}
    for rule, outcome in want["requirements"].items():
        assert outcomes[rule]["outcome"] == outcome, f"{bidder}/{rule}"
    for dotted, value in want.get("lets", {}).items():
        rule, name = dotted.split(".")
        rules = {r["id"]: r for r in (*got["requirements"], *got["criteria"])}
        assert _same_decimal(rules[rule]["lets"][name], value), f"{bidder}/{dotted}"
    criteria = {c["id"]: c for c in got["criteria"]}
    if want.get("criteria") is None:
        assert all(c["outcome"] == "not_scored" and c["score"] is None for c in got["criteria"]), bidder
    else:
        for rule, w in want["criteria"].items():
            c = criteria[rule]
            assert c["outcome"] == w.get("outcome", "scored"), f"{bidder}/{rule}"
            if "score" in w:
                assert _same_decimal(c["score"], w["score"]), f"{bidder}/{rule} score {c['score']}"
            if "points" in w:
                assert _same_decimal(c["points"], w["points"]), f"{bidder}/{rule} points {c['points']}"
            if "reason_mentions" in w:
                assert w["reason_mentions"] in c["reason"], f"{bidder}/{rule}: {c['reason']}"
    if "total_score" in want:
        assert _same_decimal(got["total_score"], want["total_score"]), bidder
    if "rank" in want:
        assert got["rank"] == want["rank"], bidder
    if "social_value" in want:
        sv = want["social_value"]
        assert _same_decimal(got["social_value"]["total"], sv["total"]), bidder
        assert _same_decimal(got["social_value"]["ratio_to_contract_value"], sv["ratio_to_contract_value"]), (
            bidder
        )
        measures = {m["id"]: m["value"] for m in got["social_value"]["measures"]}
        for key, value in sv.items():
            if key not in ("total", "ratio_to_contract_value"):
                assert _same_decimal(measures[key], value), f"{bidder}/{key}"


def test_bundled_examples_match_the_spec() -> None:
    """The bundled copy must not drift from the spec's examples when they are at hand."""
    if not SHARED_EXAMPLES.is_dir():
        pytest.skip("the spec's examples are not beside this checkout")
    shared = {
        p.relative_to(SHARED_EXAMPLES): p.read_bytes() for p in SHARED_EXAMPLES.rglob("*") if p.is_file()
    }
    bundled = {p.relative_to(EXAMPLES): p.read_bytes() for p in EXAMPLES.rglob("*") if p.is_file()}
    assert shared == bundled


REPORT_CASES = [p for p in EXPECTED if "report" in json.loads(p.read_text(encoding="utf-8"))]


def test_every_expected_file_is_a_tender_or_a_report() -> None:
    assert len(REPORT_CASES) == 2
    assert len(TENDER_CASES) + len(REPORT_CASES) == len(EXPECTED)


@pytest.mark.parametrize("case", REPORT_CASES, ids=lambda p: f"{p.parent.parent.name}/{p.stem}")
def test_expected_kpi_assessment(case: Path) -> None:
    from svrules.engine.assessment import assess_file

    expected = json.loads(case.read_text(encoding="utf-8"))
    folder = case.parent.parent
    assessment = assess_file(load_policy(folder / "policy.svr"), folder / expected["report"])
    actual = assessment.to_json()
    assert actual["policy"]["id"] == expected["policy"]
    assert actual["period"] == expected["period"]
    kpis = {k["id"]: k for k in actual["kpis"]}
    assert set(kpis) == set(expected["kpis"])
    for kpi_id, want in expected["kpis"].items():
        got = kpis[kpi_id]
        assert (got["rating"], got["ocds"], got["material"]) == (
            want["rating"],
            want["ocds"],
            want["material"],
        ), kpi_id
        if "reason_mentions" in want:
            assert want["reason_mentions"] in got["reason"], got["reason"]
    assert actual["section_52"]["ok"] is (expected["section_52"] == "ok")
    for kpi_id, text in expected.get("reasons", {}).items():
        assert kpis[kpi_id]["reason"] == text
