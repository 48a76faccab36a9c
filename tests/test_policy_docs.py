"""`svrules docs`: a publishable Markdown page per policy, the same bytes every run."""

from __future__ import annotations

import re
import sys
from datetime import date
from pathlib import Path

import pytest

from svrules import load_policy
from svrules.core.decimals import date_text, percent_text
from svrules.language import nodes as n
from svrules.language.templates import render_value, typed
from svrules.tools.policy_pages import build_pages, policy_page, write_pages

from .conftest import EXAMPLES

AS_OF = date(2026, 1, 1)
POLICIES = sorted(EXAMPLES.glob("*/policy.svr"))


def run_cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    from svrules.cli import app as cli

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "argv", ["svrules", *map(str, args)])
        with pytest.raises(SystemExit) as exited:
            cli.main()
    captured = capsys.readouterr()
    return int(exited.value.code or 0), captured.out, captured.err


@pytest.fixture(scope="module")
def pages() -> dict[str, str]:
    return {page.name: page.text for page in build_pages(EXAMPLES, AS_OF)}


def test_one_page_per_example(pages: dict[str, str]) -> None:
    assert sorted(pages) == ["example-borough.md", "midshire-highways.md", "northfield-nhs.md"]


@pytest.mark.parametrize("path", POLICIES, ids=lambda p: p.parent.name)
def test_page_has_every_rule_weight_param_clause_and_ref(path: Path, pages: dict[str, str]) -> None:
    policy = load_policy(path)
    p = policy.checked.policy
    page = pages[f"{path.parent.name}.md"]
    assert page.startswith(f"# {p.title}\n")
    assert f"`{p.name}`" in page
    if p.version:
        assert f"| Version | {p.version} |" in page
    if p.effective:
        assert date_text(p.effective) in page
    if p.summary:
        assert " ".join(p.summary.split()) in " ".join(page.split())
    for rule in p.rules:
        assert f"Id: `{rule.name}`" in page, rule.name
        assert f": {rule.title}\n" in page, rule.title
        for ref in rule.refs:
            assert ref.value in page, ref.value
    for criterion in p.criteria:
        weight = percent_text(criterion.weight.value)  # type: ignore[arg-type]
        assert f"| {criterion.title} (`{criterion.name}`) |" in page
        assert f"**Worth {weight}** of the tender's marks." in page
    for param in p.params:
        for value in param.values:
            if value.start is not None:
                assert date_text(value.start.value) in page  # type: ignore[arg-type]
        assert f"| `{param.name}` |" in page
    for root in ("contract", "bid", "delivery"):
        for decl in getattr(p, root):
            assert f"`{root}.{decl.name}`" in page
    assert "```svr\n" + policy.checked.source.text.rstrip("\n") + "\n```" in page


def test_borough_page_in_plain_words(pages: dict[str, str]) -> None:
    page = pages["example-borough.md"]
    assert "| Applies to | contracts where the whole-life contract value is at least £100,000 |" in page
    assert "**A bid must** answer yes to “All contract staff are paid at least the Real Living Wage”." in page
    assert "**Applies when** the main procurement category is one of “services”, “works”" in page
    assert "**A bid must** state the apprenticeship starts over the contract of at least *needed*." in page
    assert (
        "- *needed* is (the whole-life contract value ÷ £1,000,000, rounded up to a whole number)"
        " × *apprenticeships per million* (2)"
    ) in page
    # bands table, linear range, relative formula
    assert "| at least 3 | 100% |\n| at least 2 | 60% |\n| at least 1 | 20% |\n| anything else | 0% |" in page
    assert (
        "the share of supply-chain spend with SMEs and VCSEs of 10% or less scores 0%, 40% or more scores 100%"
        in page
    )
    assert "the bid's social value divided by the highest such value among the compliant tenders" in page
    # weights table with the total and the rest
    assert "| **Total** |  | **10%** |  |" in page
    assert "The other 90% of the marks" in page
    # dated parameter: both values, the one in force on the as-of date marked
    assert "| `living_wage_rate` | £12.60 | 1 April 2024 |  |" in page
    assert "| `living_wage_rate` | £13.45 | 1 April 2025 | yes |" in page
    # the measure, its proxy and its bid field
    assert "| Weeks of local employment created (`local_employment_weeks`) | week | £520 |  |" in page
    assert "`bid.local_employment_weeks`" in page


def test_clauses_rendered_before_any_bid(pages: dict[str, str]) -> None:
    page = pages["example-borough.md"]
    # parameters in force on the as-of date are filled in; the contract and lets are placeholders
    assert "> than the Real Living Wage, currently £13.45 an hour." in page
    assert (
        "> The Supplier shall create no fewer than \\[needed\\] apprenticeship starts over the term of"
        in page
    )
    assert "> the Contract value of \\[contract.value\\], and shall report each start to the" in page
    # the part guarded by `{% if bid is defined %}` is left out before there is a bid
    assert "> The Supplier has committed in its Tender" not in page
    assert "Contract clause (from `clauses/apprenticeships.md.j2`), as published with the tender:" in page
    # the clause file itself is shown too
    assert "```jinja\nThe Supplier shall create no fewer than {{ needed }}" in page
    # explain text, with the bid's figures as placeholders
    assert (
        "> At least \\[needed\\] apprenticeship starts are required; the bid offers \\[bid.apprenticeships\\]."
        in page
    )


def test_as_of_chooses_the_parameter_values() -> None:
    policy = load_policy(EXAMPLES / "northfield-nhs" / "policy.svr")
    before = policy_page(policy, date(2026, 1, 1))
    after = policy_page(policy, date(2026, 5, 1))
    assert "commit to net zero by 2045;" in before and "to net zero by 2045 at the latest" in before
    assert "commit to net zero by 2040;" in after and "to net zero by 2040 at the latest" in after
    assert "| `net_zero_target` | 2040 | 1 April 2026 | yes |" in after
    early = policy_page(policy, date(2023, 1, 1))
    assert "| `net_zero_target` | not yet in force on 1 January 2023 |  |  |" in early
    assert "net zero by \\[net_zero_target\\]" in early


def test_northfield_and_midshire_forms(pages: dict[str, str]) -> None:
    northfield = pages["northfield-nhs.md"]
    assert "**A bid must:**" in northfield
    assert "- answer yes to “Has a published Carbon Reduction Plan”;" in northfield
    assert (
        "the lowest value of the whole-life price among the compliant tenders, divided by this tender's"
        in northfield
    )
    assert "| anything else | 0% |" in northfield  # bands without `otherwise`
    assert "*NHS net zero supplier roadmap*" in northfield
    assert "| Tonnes of CO2e saved over the term (`carbon_saved`) | tonne CO2e | £245.50 |  |" in northfield
    midshire = pages["midshire-highways.md"]
    assert "| 60% | Good: meets the requirement with some specific commitments |" in midshire
    assert "## KPIs" in midshire and "A **material** KPI" in midshire
    assert "| at least *due* × 75% | approaching target |" in midshire
    assert "## What the supplier reports" in midshire
    # a KPI clause names the winning bid: its figures are placeholders
    assert "> The Contractor shall deliver the \\[bid.apprenticeships\\] apprenticeship starts" in midshire


def test_words_for_parameters_follow_the_as_of_date() -> None:
    policy = load_policy(EXAMPLES / "example-borough" / "policy.svr")
    rate = policy.checked.param_types["living_wage_rate"]
    assert render_value(typed(policy.compiled.params[0].dated[-1][1], rate)) == "£13.45"
    page = policy_page(policy, date(2024, 6, 1))
    assert "currently £12.60 an hour." in page


def test_output_is_deterministic(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    code, _, err = run_cli(capsys, "docs", EXAMPLES, first, "--as-of", "2026-01-01")
    assert code == 0, err
    assert "wrote 3 policy pages and index.md" in err
    write_pages(EXAMPLES, second, AS_OF)
    names = sorted(p.name for p in first.iterdir())
    assert names == ["example-borough.md", "index.md", "midshire-highways.md", "northfield-nhs.md"]
    assert names == sorted(p.name for p in second.iterdir())
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    index = (first / "index.md").read_text(encoding="utf-8")
    assert "| [Example Borough Council social value policy](example-borough.md) |" in index
    assert "as of 1 January 2026" in index


def test_single_policy_folder_and_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    code, _, _ = run_cli(capsys, "docs", EXAMPLES / "midshire-highways", out, "--as-of", "2026-01-01")
    assert code == 0
    assert sorted(p.name for p in out.iterdir()) == ["index.md", "midshire-highways.md"]

    empty = tmp_path / "empty"
    empty.mkdir()
    code, _, err = run_cli(capsys, "docs", empty, tmp_path / "nowhere")
    assert code == 1 and "no policy found" in err
    assert not (tmp_path / "nowhere").exists()

    broken = tmp_path / "broken"
    broken.mkdir()
    text = (EXAMPLES / "midshire-highways" / "policy.svr").read_text(encoding="utf-8")
    (broken / "policy.svr").write_text(
        text.replace("bid.local_spend from", "bid.local_spnd from"), encoding="utf-8"
    )
    code, _, err = run_cli(capsys, "docs", broken, tmp_path / "nothing")
    assert code == 1 and "unknown field 'bid.local_spnd'" in err
    assert not (tmp_path / "nothing").exists()

    assert run_cli(capsys, "docs", empty)[0] == 2


def test_markdown_special_characters_are_escaped(tmp_path: Path) -> None:
    folder = tmp_path / "p"
    folder.mkdir()
    (folder / "policy.svr").write_text(
        'policy odd "Odd <b>policy</b> | pipes":\n'
        "    bid:\n"
        '        score_in: percent "A | B <i>mark</i>"\n'
        '    criterion c "Crit | one":\n'
        "        weight 100%\n"
        "        score bid.score_in\n",
        encoding="utf-8",
    )
    page = policy_page(load_policy(folder / "policy.svr"), AS_OF)
    assert page.startswith("# Odd &lt;b&gt;policy&lt;/b&gt; | pipes\n")
    assert "| Crit \\| one (`c`) |" in page
    assert "A \\| B &lt;i&gt;mark&lt;/i&gt;" in page
    assert "Scored as the A | B &lt;i&gt;mark&lt;/i&gt;, which must be from 0% to 100%." in page
    assert re.search(r"\| \*\*Total\*\* \|  \| \*\*100%\*\* \|  \|", page)
    assert "The other" not in page
    assert isinstance(load_policy(folder / "policy.svr").checked.policy.rules[0], n.Criterion)
