"""KPI assessment of performance reports: ratings, OCDS codes, section 52, bad reports."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from svrules import InputError, load_policy
from svrules.engine.assessment import assess_file

from .conftest import EXAMPLES

MIDSHIRE = EXAMPLES / "midshire-highways"

TWO_KPIS = """policy two_kpis "Two KPIs":
    contract:
        value: money
    bid:
        starts: count
    delivery:
        done: count
        target: count
    kpi starts "Starts":
        material
        rating delivery.done:
            at least bid.starts: good
            otherwise: inadequate
    kpi ratio "Done per target":
        material
        rating delivery.done / delivery.target:
            at least 1: good
            at least 0.5: requires_improvement
"""


def _report(tmp_path: Path, value: int, done: int, target: int) -> Path:
    path = tmp_path / "report.json"
    path.write_text(
        json.dumps(
            {
                "contract": {"value": value},
                "bid": {"bidder": "A", "starts": 4},
                "delivery": {"done": done, "target": target},
                "period": {"start": "2026-04-01", "end": "2027-03-31"},
            }
        ),
        encoding="utf-8",
    )
    return path


@pytest.fixture
def two_kpis(tmp_path: Path):
    path = tmp_path / "policy.svr"
    path.write_text(TWO_KPIS, encoding="utf-8")
    return load_policy(path)


def test_section_52_needs_three_kpis_above_five_million(two_kpis, tmp_path: Path) -> None:
    big = assess_file(two_kpis, _report(tmp_path, 5_000_001, 4, 4))
    assert big.section_52["ok"] is False
    assert "at least three KPIs" in big.section_52["problems"][0]
    exactly = assess_file(two_kpis, _report(tmp_path, 5_000_000, 4, 4))
    assert exactly.section_52 == {"applies": False, "ok": True, "kpis": 2, "material": 2, "problems": []}


def test_division_by_zero_is_an_error_rating_published_as_other(two_kpis, tmp_path: Path) -> None:
    a = assess_file(two_kpis, _report(tmp_path, 100, 3, 0))
    ratio = a.kpi("ratio")
    assert (ratio.rating, ratio.ocds) == ("error", "other")
    assert "division by zero" in ratio.reason
    assert a.kpi("starts").rating == "inadequate"


def test_no_matching_line_and_no_otherwise_is_other(two_kpis, tmp_path: Path) -> None:
    a = assess_file(two_kpis, _report(tmp_path, 100, 1, 4))
    assert (a.kpi("ratio").rating, a.kpi("ratio").ocds) == ("other", "other")


@pytest.mark.parametrize(
    ("change", "code", "where"),
    [
        (lambda r: r.pop("delivery"), "bad-tender", "the delivery figures"),
        (lambda r: r["delivery"].pop("apprenticeship_starts"), "missing-field", "the delivery figures"),
        (lambda r: r.update(extra=1), "unknown-key", "the report"),
        (lambda r: r.update(period={"start": "2027-04-01"}), "bad-period", "the report"),
        (lambda r: r.update(period={"start": "2027-04-01", "end": "2026-03-31"}), "bad-period", "the period"),
        (
            lambda r: r["delivery"].update(local_spend="57"),
            "wrong-type",
            "the delivery figures, field 'local_spend'",
        ),
    ],
)
def test_bad_reports_name_the_place(tmp_path: Path, change, code: str, where: str) -> None:
    report = json.loads((MIDSHIRE / "reports" / "shire-surfacing-year-2.json").read_text(encoding="utf-8"))
    change(report)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(report), encoding="utf-8")
    with pytest.raises(InputError) as caught:
        assess_file(load_policy(MIDSHIRE / "policy.svr"), path)
    assert any(d.code == code and where in (d.where or "") for d in caught.value.diagnostics), caught.value


def test_assess_cli_json_and_text() -> None:
    report = MIDSHIRE / "reports" / "shire-surfacing-year-1.json"
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "svrules",
            "assess",
            str(MIDSHIRE / "policy.svr"),
            str(report),
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    data = json.loads(run.stdout)
    assert {k["id"]: k["ocds"] for k in data["kpis"]} == {
        "apprenticeship_starts": "below",
        "local_spend": "below",
        "living_wage": "met",
        "complaints": "other",
    }
    text = subprocess.run(
        [sys.executable, "-m", "svrules", "assess", str(MIDSHIRE / "policy.svr"), str(report)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert "Section 52: ok" in text.stdout
    no_kpis = subprocess.run(
        [
            sys.executable,
            "-m",
            "svrules",
            "assess",
            str(EXAMPLES / "example-borough" / "policy.svr"),
            str(report),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (
        no_kpis.returncode == 1 and "declares no KPIs" in no_kpis.stderr and "Traceback" not in no_kpis.stderr
    )
