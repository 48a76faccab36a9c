"""`svrules diff`: changes in meaning, not in layout, and what they do to a tender."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from svrules import load_policy
from svrules.core.source import SourceFile
from svrules.language import nodes as n
from svrules.language.builder import build
from svrules.language.parser import parse
from svrules.tools.diff import DiffError, diff_policies, expr_text

from .conftest import EXAMPLES, ROOT

BOROUGH = EXAMPLES / "example-borough"
TENDER = BOROUGH / "tenders" / "borough-cleaning-2025.json"


def run_cli(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str, str]:
    """Run `svrules ARGS` in this process (the real entry point, with its exit codes)."""
    from svrules.cli import app as cli

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sys, "argv", ["svrules", *map(str, args)])
        with pytest.raises(SystemExit) as exited:
            cli.main()
    captured = capsys.readouterr()
    return int(exited.value.code or 0), captured.out, captured.err


def variant(tmp_path: Path, name: str, *edits: tuple[str, str], source: Path = BOROUGH) -> Path:
    """A copy of an example folder with text replacements applied to its policy.svr."""
    folder = tmp_path / name
    shutil.copytree(source, folder)
    policy = folder / "policy.svr"
    text = policy.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    policy.write_text(text, encoding="utf-8")
    return policy


def diff_json(capsys: pytest.CaptureFixture[str], old: Path, new: Path, *args: str) -> dict:
    code, out, err = run_cli(capsys, "diff", old, new, "--format", "json", *args)
    assert code == 0, err
    return json.loads(out)


def changes_of(data: dict, kind: str | None = None) -> list[dict]:
    return [c for c in data["changes"] if kind is None or c["kind"] == kind]


# ---------------------------------------------------------------- no change in meaning


REFORMATTED = (
    ("applies when contract.value >= £100k", "applies when (contract.value >= £100,000)  # the threshold"),
    (
        "    param apprenticeships_per_million = 2\n",
        "    param apprenticeships_per_million = 2.0\n\n\n# tuned yearly\n",
    ),
    (
        'explain "Staff must be paid at least {{ living_wage_rate | money }} an hour."',
        'explain """\n                Staff must be paid at least {{ living_wage_rate | money }} an hour.\n            """',
    ),
    ("weight 4%", "weight 4.0%"),
    ("local_hires_fte / (contract.value / £1m)", "local_hires_fte / ((contract.value) / £1,000,000)"),
    ("    ", "  "),  # two-space indentation throughout (last: the edits above match four spaces)
)


def test_reformatting_only_is_no_change_in_meaning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    new = variant(tmp_path, "new", *REFORMATTED)
    assert load_policy(new).hash != load_policy(BOROUGH / "policy.svr").hash
    code, out, _ = run_cli(capsys, "diff", BOROUGH / "policy.svr", new)
    assert code == 0
    assert "No change in meaning." in out
    data = diff_json(capsys, BOROUGH / "policy.svr", new)
    assert data["changed"] is False
    assert data["changes"] == []


def test_same_file_markdown_says_no_change(capsys: pytest.CaptureFixture[str]) -> None:
    policy = EXAMPLES / "midshire-highways" / "policy.svr"
    code, out, _ = run_cli(capsys, "diff", policy, policy, "--format", "markdown")
    assert code == 0
    assert out.startswith("# Changes to Midshire County Council highways social value policy")
    assert "No change in meaning." in out


# ---------------------------------------------------------------- changes


def test_weight_change(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new = variant(tmp_path, "new", ("weight 4%", "weight 5%"))
    data = diff_json(capsys, BOROUGH / "policy.svr", new)
    assert data["changed"] is True
    [change] = data["changes"]
    assert change["kind"] == "rule_changed"
    assert (change["target"], change["id"], change["aspect"]) == ("criterion", "local_jobs", "weight")
    assert (change["old"], change["new"]) == ("4%", "5%")
    _, out, _ = run_cli(capsys, "diff", BOROUGH / "policy.svr", new)
    assert "criterion local_jobs: weight 4% → 5%" in out


def test_param_dated_value_added(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new = variant(
        tmp_path,
        "new",
        ("£13.45 from 2025-04-01", "£13.45 from 2025-04-01, £14.00 from 2026-04-01"),
        ("param apprenticeships_per_million = 2", "param apprenticeships_per_million = 3"),
    )
    data = diff_json(capsys, BOROUGH / "policy.svr", new)
    rate, per_million = changes_of(data, "param_changed")
    assert rate["id"] == "living_wage_rate"
    assert rate["old"] == [
        {"value": "£12.60", "from": "2024-04-01"},
        {"value": "£13.45", "from": "2025-04-01"},
    ]
    assert rate["new"][-1] == {"value": "£14.00", "from": "2026-04-01"}
    assert rate["details"] == ["added £14.00 from 2026-04-01"]
    assert per_million["details"] == ["value 2 → 3"]
    _, out, _ = run_cli(capsys, "diff", BOROUGH / "policy.svr", new)
    assert "added £14.00 from 2026-04-01" in out


def test_param_dated_value_changed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new = variant(tmp_path, "new", ("£13.45 from 2025-04-01", "£13.60 from 2025-04-01"))
    [change] = diff_json(capsys, BOROUGH / "policy.svr", new)["changes"]
    assert change["details"] == ["value from 2025-04-01: £13.45 → £13.60"]


def test_rule_removed_and_rank_change_with_tender(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    start = '        requirement living_wage "Pay the Real Living Wage":'
    text = (BOROUGH / "policy.svr").read_text(encoding="utf-8")
    block = text[text.index(start) : text.index('        requirement apprenticeships "')]
    new = variant(tmp_path, "new", (block, ""))
    data = diff_json(capsys, BOROUGH / "policy.svr", new, "--tender", str(TENDER))
    [removed] = changes_of(data, "rule_removed")
    assert (removed["target"], removed["id"]) == ("requirement", "living_wage")
    assert removed["old"] == {"title": "Pay the Real Living Wage", "theme": "economic"}

    bids = {b["bidder"]: b for b in data["tender"]["bids"]}
    cheapside, dale = bids["Cheapside Cleaning plc"], bids["Dale & Sons Ltd"]
    assert cheapside["compliant"] == {"old": False, "new": True}
    assert cheapside["rank"] == {"old": None, "new": 3}
    assert dale["rank"] == {"old": 3, "new": 4}
    assert data["tender"]["as_of"] == {"old": "2025-06-02", "new": "2025-06-02"}
    lw = next(r for r in cheapside["rules"] if r["id"] == "living_wage")
    assert lw["outcome"] == {"old": "not_met", "new": None}
    assert bids["Borough Services CIC"]["rank"] == {"old": 1, "new": 1}

    code, out, _ = run_cli(capsys, "diff", BOROUGH / "policy.svr", new, "--tender", TENDER)
    assert code == 0
    assert 'requirement living_wage "Pay the Real Living Wage" removed (theme economic)' in out
    assert "Dale & Sons Ltd: rank 3 → 4" in out
    assert "Cheapside Cleaning plc: compliant no → yes; rank none → 3" in out


def test_markdown_shows_names_as_written(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A bidder's or a policy's words never become Markdown markup in the diff report."""
    tender = json.loads(TENDER.read_text(encoding="utf-8"))
    tender["bids"][2]["bidder"] = "B *bold* [x](y) <b>Ltd</b>"
    tender_path = tmp_path / "tender.json"
    tender_path.write_text(json.dumps(tender), encoding="utf-8")
    new = variant(tmp_path, "new", ("weight 4%", "weight 2%"))
    code, out, _ = run_cli(
        capsys, "diff", BOROUGH / "policy.svr", new, "--tender", tender_path, "--format", "markdown"
    )
    assert code == 0
    assert "- B \\*bold\\* \\[x\\](y) &lt;b&gt;Ltd&lt;/b&gt;: no change" in out
    assert "<b>" not in out


def test_tender_with_as_of_and_no_change(capsys: pytest.CaptureFixture[str]) -> None:
    policy = EXAMPLES / "northfield-nhs" / "policy.svr"
    tender = EXAMPLES / "northfield-nhs" / "tenders" / "estates-fm-2026.json"
    code, out, _ = run_cli(capsys, "diff", policy, policy, "--tender", tender, "--as-of", "2026-05-01")
    assert code == 0
    assert "as of 1 May 2026" in out
    assert "no outcome, score or rank changes for any bidder" in out


def test_clause_text_changed_inline_and_in_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new = variant(
        tmp_path,
        "new",
        ("no less\n                than the Real", "no less\n                than the full Real"),
    )
    clause_file = new.parent / "clauses" / "apprenticeships.md.j2"
    clause_file.write_text(
        clause_file.read_text(encoding="utf-8").replace("within 30 days", "within 20 working days"),
        encoding="utf-8",
    )
    data = diff_json(capsys, BOROUGH / "policy.svr", new)
    inline, from_file = changes_of(data, "rule_changed")
    assert (inline["id"], inline["aspect"]) == ("living_wage", "clause")
    assert (
        "-than the Real Living Wage, currently {{ living_wage_rate | money }} an hour." in inline["text_diff"]
    )
    assert (
        "+than the full Real Living Wage, currently {{ living_wage_rate | money }} an hour."
        in inline["text_diff"]
    )
    assert (from_file["id"], from_file["aspect"]) == ("apprenticeships", "clause")
    assert "+Authority within 20 working days." in from_file["text_diff"]
    _, out, _ = run_cli(capsys, "diff", BOROUGH / "policy.svr", new)
    assert "requirement living_wage: clause text changed" in out
    assert "      -Authority within 30 days." in out


def test_conditions_lets_scores_and_fields(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new = variant(
        tmp_path,
        "new",
        ('version "2025.2"', 'version "2025.3"'),
        ("applies when contract.value >= £100k", "applies when contract.value >= £250k"),
        (
            'applies when contract.category in ["services", "works"]',
            'applies when contract.category != "goods"',
        ),
        ("* apprenticeships_per_million", "* apprenticeships_per_million + 1"),
        ("at least 2: 60%", "at least 2: 70%"),
        ("from 10% to 40%", "from 10% to 50%"),
        ("volunteering_hours: count optional", "volunteering_hours: number"),
        ("sme_spend: percent", 'community_fund: money optional "Community fund"\n        sme_spend: percent'),
    )
    data = diff_json(capsys, BOROUGH / "policy.svr", new)
    found = {(c["kind"], c["target"], c["id"], c["aspect"]): c for c in data["changes"]}
    assert found["metadata_changed", "policy", None, "version"]["new"] == "2025.3"
    assert found["applies_changed", "policy", None, "applies_when"]["new"] == "contract.value >= £250k"
    applies = found["rule_changed", "requirement", "living_wage", "applies_when"]
    assert (applies["old"], applies["new"]) == (
        'contract.category in ["services", "works"]',
        'contract.category != "goods"',
    )
    let = found["rule_changed", "requirement", "apprenticeships", "let"]
    assert let["name"] == "needed"
    assert let["new"] == "ceil(contract.value / £1m) * apprenticeships_per_million + 1"
    bands = found["rule_changed", "criterion", "local_jobs", "score"]
    assert "-    at least 2: 60%" in bands["text_diff"] and "+    at least 2: 70%" in bands["text_diff"]
    linear = found["rule_changed", "criterion", "supply_chain", "score"]
    assert linear["new"] == "linear bid.sme_spend from 10% to 50%"
    assert linear["text_diff"] is None
    assert found["field_changed", "bid", "volunteering_hours", "type"]["new"] == "number"
    assert found["field_changed", "bid", "volunteering_hours", "optional"]["new"] is False
    assert found["field_added", "bid", "community_fund", None]["new"] == 'money optional "Community fund"'
    _, out, _ = run_cli(capsys, "diff", BOROUGH / "policy.svr", new)
    assert "policy: applies when contract.value >= £100k → contract.value >= £250k" in out
    assert "bid.volunteering_hours: optional yes → no" in out


def test_rule_moved_between_themes_and_theme_added(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    moved = (
        '        measure local_employment_weeks "Weeks of local employment created":\n'
        '            unit "week"\n'
        "            proxy £520\n"
    )
    new = variant(
        tmp_path,
        "new",
        (moved, ""),
        (
            'theme community "Stronger communities":\n',
            'theme community "Stronger communities":\n\n' + moved,
        ),
    )
    data = diff_json(capsys, BOROUGH / "policy.svr", new)
    [change] = data["changes"]
    assert change["kind"] == "rule_moved"
    assert (change["old"], change["new"]) == ("economic", "community")
    assert data["notes"] == []


def test_different_ids_are_an_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    other = EXAMPLES / "northfield-nhs" / "policy.svr"
    code, out, err = run_cli(capsys, "diff", BOROUGH / "policy.svr", other)
    assert code == 1
    assert out == ""
    assert "two different policies: 'example_borough' and 'northfield_nhs'" in err
    assert "--allow-rename" in err
    renamed = variant(tmp_path, "new", ("policy example_borough ", "policy borough_policy "))
    code, _, _ = run_cli(capsys, "diff", BOROUGH / "policy.svr", renamed)
    assert code == 1
    data = diff_json(capsys, BOROUGH / "policy.svr", renamed, "--allow-rename")
    [change] = data["changes"]
    assert (change["kind"], change["old"], change["new"]) == (
        "policy_renamed",
        "example_borough",
        "borough_policy",
    )


def test_policy_with_errors_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = variant(tmp_path, "new", ("met when bid.apprenticeships", "met when bid.apprentices"))
    code, out, err = run_cli(capsys, "diff", BOROUGH / "policy.svr", broken)
    assert code == 1
    assert out == ""
    assert "unknown field 'bid.apprentices'" in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    policy = BOROUGH / "policy.svr"
    assert run_cli(capsys, "diff", policy)[0] == 2
    assert run_cli(capsys, "diff", policy, policy, "--rev", "HEAD")[0] == 2
    assert run_cli(capsys, "diff", policy, policy, "--as-of", "2025-01-01")[0] == 2


def test_json_output_is_stable_structure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    new = variant(tmp_path, "new", ("weight 4%", "weight 5%"), ("proxy £520", "proxy £530"))
    data = diff_json(capsys, BOROUGH / "policy.svr", new, "--tender", str(TENDER))
    assert set(data) == {"svrules_diff", "old", "new", "changed", "changes", "notes", "tender"}
    assert data["svrules_diff"] == "1"
    assert set(data["old"]) == {"source", "id", "title", "version", "hash"}
    for change in data["changes"]:
        assert set(change) == {
            "kind",
            "target",
            "id",
            "aspect",
            "name",
            "old",
            "new",
            "details",
            "text_diff",
            "summary",
        }
    assert set(data["tender"]) == {"path", "changed", "as_of", "applies", "bids"}
    for bid in data["tender"]["bids"]:
        assert set(bid) == {"bidder", "changed", "compliant", "rank", "total_score", "social_value", "rules"}
    acme = data["tender"]["bids"][0]
    assert acme["social_value"] == {"old": "162240", "new": "165360"}


# ---------------------------------------------------------------- git revisions


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", "-c", "commit.gpgsign=false", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_rev_compares_with_git_revision(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    shutil.copytree(BOROUGH, repo / "borough")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "first")
    policy = repo / "borough" / "policy.svr"
    policy.write_text(policy.read_text(encoding="utf-8").replace("weight 4%", "weight 5%"), encoding="utf-8")
    clause = repo / "borough" / "clauses" / "apprenticeships.md.j2"
    clause.write_text(clause.read_text(encoding="utf-8").replace("30 days", "20 days"), encoding="utf-8")

    data = diff_json_rev(capsys, policy, "HEAD")
    assert data["old"]["source"].startswith("HEAD:")
    kinds = {(c["id"], c["aspect"]) for c in data["changes"]}
    assert kinds == {("local_jobs", "weight"), ("apprenticeships", "clause")}

    code, _, err = run_cli(capsys, "diff", policy, "--rev", "no-such-rev")
    assert code == 1 and "'no-such-rev' is not a revision" in err
    new_file = repo / "borough" / "copy.svr"
    shutil.copy(policy, new_file)
    code, _, err = run_cli(capsys, "diff", new_file, "--rev", "HEAD")
    assert code == 1 and "revision HEAD has no file 'borough/copy.svr'" in err


def diff_json_rev(capsys: pytest.CaptureFixture[str], policy: Path, rev: str) -> dict:
    code, out, err = run_cli(capsys, "diff", policy, "--rev", rev, "--format", "json")
    assert code == 0, err
    return json.loads(out)


def test_rev_outside_git_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = variant(tmp_path, "plain", ("weight 4%", "weight 4%"))
    if subprocess.run(["git", "rev-parse"], cwd=tmp_path, capture_output=True).returncode == 0:
        pytest.skip("the temporary folder is inside a git repository")
    code, out, err = run_cli(capsys, "diff", policy, "--rev", "HEAD")
    assert code == 1
    assert out == ""
    assert "is not in a git repository" in err


def test_diff_policies_api_raises_for_different_policies() -> None:
    a = load_policy(BOROUGH / "policy.svr").checked
    b = load_policy(EXAMPLES / "northfield-nhs" / "policy.svr").checked
    with pytest.raises(DiffError, match="two different policies"):
        diff_policies(a, b)
    assert diff_policies(a, b, allow_rename=True).changed


# ---------------------------------------------------------------- the expression printer


def _parse_expr(text: str) -> n.Expr:
    source = SourceFile("<expr>", f'policy p "P":\n    applies when {text}\n')
    policy, diagnostics = build(parse(source), source.path)
    assert not [d for d in diagnostics if d.severity == "error"], (text, diagnostics)
    assert policy.applies is not None
    return policy.applies


def test_printer_round_trips_every_expression_of_the_examples() -> None:
    policies = sorted(EXAMPLES.glob("*/policy.svr")) + sorted((ROOT / "tests" / "corpus").rglob("*.svr"))
    seen = 0
    for path in policies:
        try:
            policy = load_policy(path).checked.policy
        except Exception:
            continue  # corpus policies with errors
        exprs = [policy.applies] if policy.applies is not None else []
        for rule in policy.rules:
            exprs += [rule.applies] if rule.applies is not None else []
            exprs += [let.value for let in rule.lets]
            if isinstance(rule, n.Requirement):
                exprs.append(rule.met_when)
            if isinstance(rule, n.Criterion):
                exprs.append(rule.score.value)
        for expr in exprs:
            assert _parse_expr(expr_text(expr)) == expr, expr_text(expr)
            seen += 1
    assert seen > 20


_names = st.sampled_from(["a", "rate", "needed"]).map(lambda s: n.Name(s))
_fields = st.sampled_from(["value", "price"]).map(lambda s: n.Field("bid", s))
_numbers = st.sampled_from(["0", "2", "1.5", "1,000"]).map(
    lambda s: n.Literal("number", Decimal(s.replace(",", "")), s)
)
_atoms = st.one_of(_names, _fields, _numbers)


def _extend(children: st.SearchStrategy[n.Expr]) -> st.SearchStrategy[n.Expr]:
    return st.one_of(
        st.builds(n.Binary, st.sampled_from(["+", "-", "*", "/"]), children, children),
        st.builds(n.Compare, st.sampled_from(["<", ">=", "=="]), children, children),
        st.builds(n.Logical, st.sampled_from(["and", "or"]), children, children),
        st.builds(n.Not, children),
        st.builds(n.Negate, children.filter(lambda e: not isinstance(e, n.Literal))),  # -2 is a literal
        st.builds(n.Conditional, children, children, children),
        st.builds(lambda a, b: n.Call("max", (a, b)), children, children),
    )


@settings(max_examples=300, deadline=None)
@given(st.recursive(_atoms, _extend, max_leaves=8))
def test_printer_round_trips_any_expression(expr: n.Expr) -> None:
    printed = expr_text(expr)
    assert _parse_expr(printed) == expr, printed


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*/policy.svr")), ids=lambda p: p.parent.name)
def test_svrules_fmt_output_is_no_change_in_meaning(path: Path, tmp_path: Path) -> None:
    formatter = pytest.importorskip("svrules.tools.fmt")
    folder = tmp_path / path.parent.name
    shutil.copytree(path.parent, folder)
    formatted = folder / "policy.svr"
    formatted.write_text(formatter.format_policy(path.read_text(encoding="utf-8")), encoding="utf-8")
    diff = diff_policies(load_policy(path).checked, load_policy(formatted).checked)
    assert diff.changes == [], [c.summary for c in diff.changes]


def test_the_example_in_docs_diff_md_is_real(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    page = (ROOT / "docs" / "diff.md").read_text(encoding="utf-8")
    block = page.split("## An example", 1)[1].split("```console\n", 1)[1].split("```", 1)[0]
    command, expected = block.split("\n", 1)
    variant(
        tmp_path,
        "new",
        ('version "2025.2"', 'version "2025.3"'),
        ("£13.45 from 2025-04-01", "£13.45 from 2025-04-01, £14.00 from 2026-04-01"),
        ("weight 4%", "weight 5%"),
        ("at least 2: 60%", "at least 2: 70%"),
    )
    shutil.copytree(BOROUGH, tmp_path / "old")
    (tmp_path / "examples").symlink_to(EXAMPLES)
    monkeypatch.chdir(tmp_path)
    code, out, _ = run_cli(capsys, *command.removeprefix("$ svrules ").split())
    assert code == 0
    assert out == expected
