"""Documents: the schedule, the assessment summaries and the methodology, in three formats.

Goldens live in tests/golden/; `SVRULES_UPDATE_GOLDEN=1 pytest tests/test_render.py`
rewrites them (review the diff like any other change to the documents).
"""

from __future__ import annotations

import io
import json
import os
import sys
from decimal import Decimal
from pathlib import Path

import docx
import pytest

import svrules
from svrules.core.diagnostics import InputError, PolicyError, SvrulesError
from svrules.documents import file_stems

from .conftest import EXAMPLES

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("SVRULES_UPDATE_GOLDEN") == "1"
BOROUGH = EXAMPLES / "example-borough"
BOROUGH_TENDER = BOROUGH / "tenders" / "borough-cleaning-2025.json"
NHS = EXAMPLES / "northfield-nhs"
NHS_TENDER = NHS / "tenders" / "estates-fm-2026.json"
MIDSHIRE = EXAMPLES / "midshire-highways"
FORMATS = ("md", "html")


def golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"no golden {name}: run with SVRULES_UPDATE_GOLDEN=1"
    expected = path.read_text(encoding="utf-8")
    if text != expected:
        import difflib

        diff = "".join(
            difflib.unified_diff(
                expected.splitlines(True), text.splitlines(True), f"golden/{name}", "rendered", n=2
            )
        )
        pytest.fail(f"{name} differs from its golden (SVRULES_UPDATE_GOLDEN=1 to accept):\n{diff[:6000]}")


@pytest.fixture(scope="module")
def borough() -> svrules.Policy:
    return svrules.load_policy(BOROUGH / "policy.svr")


@pytest.fixture(scope="module")
def nhs() -> svrules.Policy:
    return svrules.load_policy(NHS / "policy.svr")


@pytest.fixture(scope="module")
def midshire() -> svrules.Policy:
    return svrules.load_policy(MIDSHIRE / "policy.svr")


# ---------------------------------------------------------------- goldens


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("example", ["example-borough", "midshire-highways", "northfield-nhs"])
def test_methodology_golden(example: str, fmt: str) -> None:
    policy = svrules.load_policy(EXAMPLES / example / "policy.svr")
    golden(f"methodology-{example}.{fmt}", policy.render_methodology(format=fmt))  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", FORMATS)
def test_schedule_published_with_the_tender_golden(borough: svrules.Policy, fmt: str) -> None:
    text = borough.render_schedule(tender=BOROUGH_TENDER, format=fmt)
    golden(f"schedule-borough-cleaning-2025.{fmt}", text)  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", FORMATS)
def test_schedule_for_the_winner_golden(borough: svrules.Policy, fmt: str) -> None:
    winner = borough.evaluate(BOROUGH_TENDER).ranked[0].bidder
    assert winner == "Borough Services CIC"
    text = borough.render_schedule(tender=BOROUGH_TENDER, bidder=winner, format=fmt)
    golden(f"schedule-borough-cleaning-2025-{file_stems([winner])[winner]}.{fmt}", text)  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", FORMATS)
def test_feedback_goldens_borough(borough: svrules.Policy, fmt: str) -> None:
    result = borough.evaluate(BOROUGH_TENDER)
    stems = file_stems([b.bidder for b in result.bids])
    for bid in result.bids:
        golden(f"feedback-borough-cleaning-2025-{stems[bid.bidder]}.{fmt}", result.feedback(bid.bidder, fmt))  # type: ignore[arg-type]


@pytest.mark.parametrize("fmt", FORMATS)
def test_feedback_goldens_nhs(nhs: svrules.Policy, fmt: str) -> None:
    result = nhs.evaluate(NHS_TENDER, as_of="2026-05-01")
    stems = file_stems([b.bidder for b in result.bids])
    for bid in result.bids:
        name = f"feedback-estates-fm-2026.as-of-2026-05-01-{stems[bid.bidder]}.{fmt}"
        golden(name, result.feedback(bid.bidder, fmt))  # type: ignore[arg-type]


def test_feedback_compare_winner_golden(borough: svrules.Policy) -> None:
    result = borough.evaluate(BOROUGH_TENDER)
    text = result.feedback("Acme Facilities Ltd", compare_winner=True)
    golden("feedback-borough-cleaning-2025-acme-facilities-ltd.compare-winner.md", text)  # type: ignore[arg-type]


# ---------------------------------------------------------------- what the documents say


def test_schedule_without_a_bid_hides_bid_wording(borough: svrules.Policy) -> None:
    text = borough.render_schedule(tender=BOROUGH_TENDER)
    assert "no fewer than 6 apprenticeship starts" in text  # the `let` and the parameter in force
    assert "£13.45 an hour" in text  # the living wage in force on the tender date
    assert "has committed in its Tender" not in text  # `bid is defined` is false


def test_schedule_with_a_bid_includes_its_commitments(borough: svrules.Policy) -> None:
    text = borough.render_schedule(tender=BOROUGH_TENDER, bidder="Borough Services CIC")
    assert "committed in its Tender to 7 apprenticeship starts" in text
    assert "| New local hires, full-time equivalent | 9.5 |" in text


def test_schedule_for_a_contract_file(borough: svrules.Policy, tmp_path: Path) -> None:
    wrapped = tmp_path / "contract.json"
    wrapped.write_text('{"contract": {"value": 500000, "category": "goods", "tender_date": "2024-05-01"}}')
    bare = tmp_path / "bare.json"
    bare.write_text('{"value": 500000, "category": "goods", "tender_date": "2024-05-01"}')
    text = borough.render_schedule(contract=wrapped)
    assert text == borough.render_schedule(contract=bare)
    assert "£12.60" in text  # the dated parameter in force on 1 May 2024
    assert "Not applicable to this contract: Pay the Real Living Wage" in text
    assert "Apprenticeship starts (the whole-life contract value is £500,000)" in text


def test_contract_is_validated_like_a_tender(borough: svrules.Policy) -> None:
    with pytest.raises(InputError) as caught:
        borough.render_schedule(contract={"contract": {"value": 500000, "category": "servics", "extra": 1}})
    messages = [d.message for d in caught.value.diagnostics]
    assert any("not one of" in m for m in messages)
    assert any("unknown field 'extra'" in m for m in messages)
    assert any("'tender_date' is missing" in m for m in messages)
    with pytest.raises(InputError, match="float"):
        borough.render_schedule(contract={"value": 5e5, "category": "goods", "tender_date": "2025-06-02"})


def test_a_policy_that_does_not_apply_is_an_error(borough: svrules.Policy) -> None:
    with pytest.raises(InputError) as caught:
        borough.render_schedule(contract={"value": 50000, "category": "goods", "tender_date": "2025-06-02"})
    (diag,) = caught.value.diagnostics
    assert diag.code == "policy-not-applicable"
    assert "contract.value is £50,000" in diag.message


def test_unknown_bidder_suggests_the_nearest(borough: svrules.Policy) -> None:
    with pytest.raises(InputError) as caught:
        borough.render_schedule(tender=BOROUGH_TENDER, bidder="Borough Services")
    (diag,) = caught.value.diagnostics
    assert diag.code == "unknown-bidder" and diag.hint == "did you mean 'Borough Services CIC'?"
    with pytest.raises(InputError, match="no bid from"):
        borough.evaluate(BOROUGH_TENDER).feedback("nobody at all")


def test_feedback_explains_by_the_tender_and_says_why_it_lost(borough: svrules.Policy) -> None:
    text = borough.evaluate(BOROUGH_TENDER).feedback("Acme Facilities Ltd")
    assert "| New local hires, full-time equivalent | from your tender | 6 |" in text
    assert "ranked 2 of 3 with 6.27 points" in text
    assert "The highest-scoring tender scored 10 points, 3.73 more than yours." in text
    assert "of at least 3 (yours was 2.5) would have scored 100%" in text
    assert "Winning tender" not in text  # only with --compare-winner


def test_feedback_for_a_disqualified_bid_has_no_scores(borough: svrules.Policy) -> None:
    text = borough.evaluate(BOROUGH_TENDER).feedback("Cheapside Cleaning plc")
    assert "disqualified" in text
    assert "| All contract staff are paid at least the Real Living Wage | from your tender | no |" in text
    assert "## 3 Scores" not in text and "points out of" not in text


def test_feedback_with_a_missing_optional_field(nhs: svrules.Policy) -> None:
    text = nhs.evaluate(NHS_TENDER, as_of="2026-05-01").feedback("Oakline Services LLP")
    assert "bid.staff_turnover is not stated in the bid, so this criterion scores 0%" in text
    assert "| Annual staff turnover on comparable contracts | from your tender | not stated |" in text


def test_kpi_clause_waits_for_the_bid(midshire: svrules.Policy) -> None:
    tender = MIDSHIRE / "tenders" / "highways-2026.json"
    published = midshire.render_schedule(tender=tender)
    assert "## 2 Key performance indicators" in published
    assert "completed when the contract is awarded" in published
    awarded = midshire.render_schedule(tender=tender, bidder="Shire Surfacing Ltd")
    assert "deliver the 6 apprenticeship starts" in awarded


def test_rule_that_depends_on_the_bid_may_apply(tmp_path: Path) -> None:
    policy = _edge_policy(tmp_path)
    text = policy.render_schedule(tender=tmp_path / "tender.json")
    assert "This requirement may apply: whether it applies depends on the tender" in text
    assert "completed when the contract is awarded" in text
    with_bid = policy.render_schedule(tender=tmp_path / "tender.json", bidder="A Ltd")
    assert "The Supplier shall give 3 FTE of local hires." in with_bid


def test_template_that_fails_names_policy_rule_and_line(tmp_path: Path) -> None:
    policy = _edge_policy(tmp_path, broken=True)
    with pytest.raises(PolicyError) as caught:
        policy.render_schedule(tender=tmp_path / "tender.json")
    (diag,) = caught.value.diagnostics
    assert diag.code == "render-failed"
    assert "the clause of criterion 'broken' in policy 'edge'" in diag.message
    assert "division by zero" in diag.message
    assert diag.span is not None and diag.span.line == 25
    assert "Value {{ contract.value / 0 }} here." in str(caught.value)  # the caret shows the line


# ---------------------------------------------------------------- formats


def test_html_escapes_everything_it_shows(tmp_path: Path) -> None:
    policy = _edge_policy(tmp_path)
    html = policy.evaluate(tmp_path / "tender.json").feedback("B <b>Ltd</b>", "html")
    assert "B &lt;b&gt;Ltd&lt;/b&gt;" in html and "<b>Ltd</b>" not in html
    assert html.startswith("<!DOCTYPE html>") and "@media print" in html
    md = policy.evaluate(tmp_path / "tender.json").feedback("B <b>Ltd</b>")
    assert "B &lt;b&gt;Ltd&lt;/b&gt;" in md and "<b>" not in md


MARKUP_BIDDER = "B *bold* [x](y) <b>Ltd</b>"


def test_a_bidder_name_is_never_markup(tmp_path: Path) -> None:
    from rich.console import Console

    from svrules.documents.report import print_table, to_markdown

    policy = _edge_policy(tmp_path)
    tender = json.loads((tmp_path / "tender.json").read_text(encoding="utf-8"))
    tender["bids"][1]["bidder"] = MARKUP_BIDDER
    result = policy.evaluate(json.dumps(tender))
    shown = "B \\*bold\\* \\[x\\](y) &lt;b&gt;Ltd&lt;/b&gt;"
    report = to_markdown(result)
    assert f"\n## {shown}\n" in report  # the bidder's heading
    assert f"| {shown} |" in report  # the ranking's row
    feedback_md = result.feedback(MARKUP_BIDDER)
    assert feedback_md.startswith(f"# Assessment summary: {shown}\n")
    for markdown in (report, feedback_md):
        assert MARKUP_BIDDER not in markdown and "<b>" not in markdown
    terminal = io.StringIO()
    print_table(result, Console(file=terminal, width=300))
    assert MARKUP_BIDDER in terminal.getvalue()  # shown as written, not read as Rich markup
    feedback_html = result.feedback(MARKUP_BIDDER, "html")
    assert "<h1>Assessment summary: B *bold* [x](y) &lt;b&gt;Ltd&lt;/b&gt;</h1>" in feedback_html
    assert "<b>" not in feedback_html


def test_docx_reads_back(borough: svrules.Policy) -> None:
    data = borough.render_schedule(tender=BOROUGH_TENDER, bidder="Borough Services CIC", format="docx")
    assert isinstance(data, bytes)
    document = docx.Document(io.BytesIO(data))
    headings = [p.text for p in document.paragraphs if p.style.name.startswith("Heading")]
    assert "1 Tackling economic inequality" in headings
    assert "1.1 Pay the Real Living Wage" in headings
    assert (
        document.sections[0].header.paragraphs[0].text
        == "example_borough · version 2025.2 · social value schedule"
    )
    cells = [[c.text for c in row.cells] for table in document.tables for row in table.rows]
    assert [
        "Weeks of local employment created",
        "week",
        "£520 per week",
        "500",
        "£260,000",
    ] in cells
    body = "\n".join(p.text for p in document.paragraphs)
    assert "committed in its Tender to 7 apprenticeship starts" in body
    assert document.core_properties.author == "Example Borough Council"


def test_docx_feedback_tables(borough: svrules.Policy) -> None:
    data = borough.evaluate(BOROUGH_TENDER).feedback("Dale & Sons Ltd", "docx")
    document = docx.Document(io.BytesIO(data))  # type: ignore[arg-type]
    cells = [[c.text for c in row.cells] for table in document.tables for row in table.rows]
    assert ["Local jobs", "Tackling economic inequality", "4%", "60%", "2.4"] in cells
    assert ["Total", "", "10%", "", "3"] in cells


def test_same_input_gives_same_bytes(borough: svrules.Policy) -> None:
    for fmt in ("md", "html", "docx"):
        first = borough.render_schedule(tender=BOROUGH_TENDER, bidder="Acme Facilities Ltd", format=fmt)
        again = borough.render_schedule(tender=BOROUGH_TENDER, bidder="Acme Facilities Ltd", format=fmt)
        assert first == again, fmt


def test_file_stems_are_slugs_and_unique() -> None:
    stems = file_stems(["Dale & Sons Ltd", "Dale Sons Ltd", "Ærø Café", "!!!"])
    assert list(stems.values()) == ["dale-sons-ltd", "dale-sons-ltd-2", "r-cafe", "bidder-4"]


# ---------------------------------------------------------------- the command line


def run(
    args: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str, str]:
    from svrules.cli.app import main

    monkeypatch.setattr(sys, "argv", ["svrules", *args])
    with pytest.raises(SystemExit) as exit_:
        main()
    out, err = capsys.readouterr()
    return int(exit_.value.code or 0), out, err


def test_cli_feedback_all_writes_one_file_per_bidder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out_dir = tmp_path / "feedback"
    code, _, err = run(
        ["render", "feedback", str(BOROUGH / "policy.svr"), str(BOROUGH_TENDER), "--all", "-o", str(out_dir)],
        monkeypatch,
        capsys,
    )
    assert code == 0, err
    assert sorted(p.name for p in out_dir.iterdir()) == [
        "acme-facilities-ltd.md",
        "borough-services-cic.md",
        "cheapside-cleaning-plc.md",
        "dale-sons-ltd.md",
    ]
    assert (out_dir / "dale-sons-ltd.md").read_text() == svrules.load_policy(BOROUGH / "policy.svr").evaluate(
        BOROUGH_TENDER
    ).feedback("Dale & Sons Ltd")


def test_cli_schedule_docx_and_methodology(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "schedule.docx"
    args = [
        "render",
        "schedule",
        str(BOROUGH / "policy.svr"),
        "--tender",
        str(BOROUGH_TENDER),
        "-o",
        str(target),
    ]
    assert run(args, monkeypatch, capsys)[0] == 0
    assert target.read_bytes()[:2] == b"PK"
    code, out, _ = run(["render", "methodology", str(NHS / "policy.svr")], monkeypatch, capsys)
    assert code == 0 and out.startswith("# Assessment methodology")


def test_cli_errors_exit_non_zero_and_write_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _edge_policy(tmp_path, broken=True)
    target = tmp_path / "out.md"
    code, _, err = run(
        [
            "render",
            "schedule",
            str(tmp_path / "policy.svr"),
            "--tender",
            str(tmp_path / "tender.json"),
            "-o",
            str(target),
        ],
        monkeypatch,
        capsys,
    )
    assert code == 1 and "policy.svr:25:" in err and "criterion 'broken'" in err and "Traceback" not in err
    assert not target.exists() and not list(tmp_path.glob(".out.md.*"))
    code, _, err = run(
        [
            "render",
            "feedback",
            str(BOROUGH / "policy.svr"),
            str(BOROUGH_TENDER),
            "--bidder",
            "Acme",
            "-o",
            str(target),
        ],
        monkeypatch,
        capsys,
    )
    assert code == 1 and "did you mean 'Acme Facilities Ltd'?" in err and not target.exists()
    small = tmp_path / "small.json"
    small.write_text(
        json.dumps({"contract": {"value": 1000, "category": "works", "tender_date": "2025-06-02"}})
    )
    code, _, err = run(
        ["render", "methodology", str(BOROUGH / "policy.svr"), "--contract", str(small)], monkeypatch, capsys
    )
    assert code == 1 and "does not apply" in err
    code, _, err = run(["render", "schedule", str(BOROUGH / "policy.svr")], monkeypatch, capsys)
    assert code == 2 and "--contract FILE or --tender FILE" in err


# ---------------------------------------------------------------- helpers

EDGE = '''policy edge "Edge policy":
    version "1"
    authority "Test Council"
    contract:
        value: money "Contract value"
    bid:
        hours: count optional "Volunteering hours"
        fte: number "Local hires"
    requirement volunteering "Volunteering":
        applies when bid.fte > 2
        met when bid.fte >= 1
        clause """
            The Supplier shall give {{ bid.fte }} FTE of local hires.
        """
    criterion local "Local":
        weight 5%
        let per_m = bid.fte / (contract.value / £1m)
        score linear per_m from 0 to 5
        clause "Local hires per £1m: {{ per_m }}."
    criterion broken "Broken":
        weight 5%
        score linear bid.fte from 0 to 10
        clause """
            Line one.
            Value {{ contract.value / 0 }} here.
        """
'''


def _edge_policy(folder: Path, broken: bool = False) -> svrules.Policy:
    text = EDGE if broken else EDGE.replace("Value {{ contract.value / 0 }} here.", "Value here.")
    (folder / "policy.svr").write_text(text, encoding="utf-8")
    tender = {
        "contract": {"value": 2000000},
        "bids": [{"bidder": "A Ltd", "fte": 3}, {"bidder": "B <b>Ltd</b>", "fte": 1, "hours": 5}],
    }
    (folder / "tender.json").write_text(json.dumps(tender), encoding="utf-8")
    return svrules.load_policy(folder / "policy.svr")


def test_api_accepts_decimal_mappings(borough: svrules.Policy) -> None:
    contract = {"value": Decimal("2400000"), "category": "services", "tender_date": "2025-06-02"}
    assert "£13.45" in borough.render_methodology(contract=contract)  # type: ignore[operator]
    assert isinstance(borough.render_methodology(format="docx"), bytes)
    with pytest.raises(SvrulesError):
        borough.render_schedule(tender=BOROUGH_TENDER, bidder="Nobody Ltd", format="html")


TIE = """policy tie "Tie policy":
    version "1"
    contract:
        value: money "Contract value"
    bid:
        mark: percent "Panel mark"
    criterion fair "Fair work":
        weight 10%
        score scale bid.mark:
            100%: "Excellent"
            60%: "Good"
            0%: "None"
"""


def test_feedback_for_ties_and_criteria_that_need_attention(tmp_path: Path) -> None:
    (tmp_path / "policy.svr").write_text(TIE, encoding="utf-8")
    marks = {"A": 60, "B": 60, "C": 50, "D": 0}
    tender = {"contract": {"value": 1000}, "bids": [{"bidder": b, "mark": m} for b, m in marks.items()]}
    result = svrules.load_policy(tmp_path / "policy.svr").evaluate(json.dumps(tender))
    a = result.feedback("A")
    assert "It shares the highest score with B." in a
    assert "the next level, 100%, is described as: Excellent" in a
    c = result.feedback("C")
    assert "not yet ranked: Fair work needs attention" in c
    assert "50% is not on the scale (100%, 60%, 0%)" in c
    d = result.feedback("D", compare_winner=True)
    assert "ranked 3 of 3 with 0 points" in d and "Fair work: 0 points against 6 (a difference of 6)" in d
