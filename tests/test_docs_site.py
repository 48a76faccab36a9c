"""The documentation site: its SVR examples are real, and it builds with the policy pages.

Every ```svr block in the language reference (and the home page) is checked: a complete
policy as it stands, a fragment (rules, a `contract:`/`bid:` block, parameters, rule lines)
inside a small policy that declares the fields the examples use. Only blocks marked
`<!-- fragment -->` (alternatives side by side, lines that need another rule's `let`)
are left out, and there are few of them. A complete policy from the docs is evaluated
against a small tender. Then the site is built, as `mkdocs build --strict`, from a copy
of docs/ with `svrules docs examples/` written into it.
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
import yaml

from svrules import check_file, load_policy
from svrules.tools.policy_pages import write_pages

from .conftest import EXAMPLES, ROOT

DOCS = ROOT / "docs"
PAGES = [*sorted((DOCS / "language").glob("*.md")), DOCS / "index.md"]
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.M | re.S)
_RULE = re.compile(r"^(requirement|criterion|measure|kpi|theme) ")
_SECTION = re.compile(r"^(contract|bid|delivery):")
_RULE_ITEM = re.compile(r"^(weight|score|met when|applies when|let|ref|explain|clause) ")
MAX_UNCHECKED = 8


@dataclass(frozen=True)
class Block:
    page: Path
    line: int
    text: str
    fragment_marked: bool

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"

    @property
    def first(self) -> str:
        return next(
            line for line in self.text.splitlines() if line.strip() and not line.lstrip().startswith("#")
        )


def svr_blocks() -> list[Block]:
    blocks = []
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for match in _FENCE.finditer(text):
            if match.group(1) != "svr":
                continue
            before = text[: match.start()].rstrip("\n").rsplit("\n", 1)[-1]
            line = text.count("\n", 0, match.start()) + 1
            blocks.append(
                Block(page, line, textwrap.dedent(match.group(2)), before.strip() == "<!-- fragment -->")
            )
    return blocks


BLOCKS = svr_blocks()

SKELETON_CONTRACT = """\
    contract:
        value: money "Whole-life contract value"
        category: text one of ["goods", "services", "works"] "Main procurement category"
        duration_years: count from 1 to 15 "Contract term in years"
        tender_date: date "Date the tender was published"
"""
SKELETON_BID = """\
    bid:
        pays_real_living_wage: yes/no
        apprenticeships: count
        local_hires_fte: number
        sme_spend: percent
        volunteering_hours: count optional
        carbon_reduction_plan: yes/no
        net_zero_year: count from 2025 to 2100
        price: money
        emissions_cut: percent
        training_weeks: number
        staff_turnover: percent optional
        local_spend: percent
        fair_work_mark: percent
        community_fund_offered: yes/no
        community_fund: money optional
"""
SKELETON_DELIVERY = """\
    delivery:
        years_elapsed: count from 1 to 10
        apprenticeship_starts: count
        local_spend: percent
        staff_below_rlw: count
        complaints_resolved_in_time: percent optional
"""
SKELETON_PARAMS = {
    "living_wage_rate": "    param living_wage_rate = £12.60 from 2024-04-01, £13.45 from 2025-04-01\n",
    "apprenticeships_per_million": "    param apprenticeships_per_million = 2\n",
    "carbon_plan_threshold": "    param carbon_plan_threshold = £5m\n",
    "net_zero_target": "    param net_zero_target = 2045 from 2024-01-01, 2040 from 2026-04-01\n",
}


def _indent(text: str, by: int = 4) -> str:
    return textwrap.indent(text, " " * by)


def wrap(block: Block) -> str | None:
    """The block as a complete policy, or None when it is not one the skeleton can hold."""
    text, first = block.text, block.first
    if first.startswith("policy "):
        return text
    sections = {"contract": SKELETON_CONTRACT, "bid": SKELETON_BID, "delivery": SKELETON_DELIVERY}
    params = dict(SKELETON_PARAMS)
    body = ""
    if _RULE.match(first):
        body = _indent(text)
    elif _SECTION.match(first):
        for name in sections:
            if re.search(rf"^{name}:", text, re.M):
                sections[name] = ""
        body = _indent(text)
    elif first.startswith("param "):
        for name in re.findall(r"^param (\w+)", text, re.M):
            params.pop(name, None)
        body = _indent(text)
    elif first.startswith("applies when") and len(text.strip().splitlines()) == 1:
        body = _indent(text)
    elif _RULE_ITEM.match(first):
        items = text
        if re.search(r"^met when", text, re.M):
            kind = "requirement"
        elif re.search(r"^(weight|score)", text, re.M):
            kind = "criterion"
            items += "" if re.search(r"^weight", text, re.M) else "weight 1%\n"
            items += "" if re.search(r"^score", text, re.M) else "score 0%\n"
        else:
            kind = "requirement"
            items += "met when yes\n"
        body = _indent(f'{kind} docs_example "A rule from the docs":\n' + _indent(items))
    else:
        return None
    return 'policy docs_example "Docs":\n' + "".join(sections.values()) + "".join(params.values()) + body


def test_the_docs_have_svr_blocks() -> None:
    assert len(BLOCKS) > 40
    complete = [b for b in BLOCKS if b.first.startswith("policy ") and not b.fragment_marked]
    assert len(complete) >= 2, "the language reference shows at least two complete policies"
    unchecked = [b.where for b in BLOCKS if b.fragment_marked]
    assert len(unchecked) <= MAX_UNCHECKED, f"too many blocks left unchecked: {unchecked}"


@pytest.mark.parametrize("block", [b for b in BLOCKS if not b.fragment_marked], ids=lambda b: b.where)
def test_svr_block_checks(block: Block, tmp_path: Path) -> None:
    policy = wrap(block)
    assert policy is not None, f"{block.where}: wrap this block, or mark it <!-- fragment -->"
    path = tmp_path / "policy.svr"
    path.write_text(policy, encoding="utf-8")
    shutil.copytree(EXAMPLES / "example-borough" / "clauses", tmp_path / "clauses")  # for `clause from`
    _, diagnostics, _ = check_file(path)
    errors = [f"{d.span.line if d.span else '-'}: {d.message}" for d in diagnostics if d.severity == "error"]
    assert not errors, f"{block.where}:\n{policy}\n" + "\n".join(errors)


def test_no_svr_left_in_text_fences() -> None:
    keywords = re.compile(
        r"^\s*(policy|requirement|criterion|measure|kpi|theme|param|applies when|met when) "
    )
    for page in PAGES:
        for match in _FENCE.finditer(page.read_text(encoding="utf-8")):
            if match.group(1) == "text":
                assert not keywords.match(match.group(2)), f"{page.name}: SVR in a ```text block"


def test_a_complete_docs_policy_evaluates(tmp_path: Path) -> None:
    outline = next(b for b in BLOCKS if b.page.name == "index.md" and "language" in b.page.parts)
    assert outline.first.startswith("policy example_borough")
    path = tmp_path / "policy.svr"
    path.write_text(outline.text, encoding="utf-8")
    policy = load_policy(path)
    tender = {
        "contract": {"value": 2400000},
        "bids": [
            {"bidder": "Able Ltd", "apprenticeships": 6, "sme_spend": "25%", "local_employment_weeks": 10},
            {"bidder": "Baker Ltd", "apprenticeships": 5, "sme_spend": "40%"},
        ],
    }
    result = policy.evaluate(json.dumps(tender), as_of="2025-06-02").to_json()
    able, baker = result["bids"]
    assert able["requirements"][0]["outcome"] == "met"
    assert able["requirements"][0]["lets"] == {"needed": "6"}
    assert able["criteria"][0]["score"] == "0.5"
    assert able["rank"] == 1
    assert able["social_value"]["total"] == "5200"
    assert baker["compliant"] is False
    assert baker["rank"] is None


def test_python_on_the_home_page_runs(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(ROOT)
    page = (DOCS / "index.md").read_text(encoding="utf-8")
    blocks = re.findall(r"^```python\n(.*?)^```$", page, re.M | re.S)
    assert blocks
    for code in blocks:
        exec(compile(code, "docs/index.md", "exec"), {})
    assert "example_borough" in capsys.readouterr().out


def test_every_command_is_in_the_cli_reference() -> None:
    import typer

    from svrules.cli.app import app

    commands = sorted(typer.main.get_command(app).commands)  # type: ignore[attr-defined]
    assert {"check", "evaluate", "schema", "diff", "docs"} <= set(commands)
    reference = (DOCS / "cli.md").read_text(encoding="utf-8")
    missing = [c for c in commands if f"## `svrules {c}`" not in reference]
    assert not missing, f"document these commands in docs/cli.md: {missing}"


def _mkdocs_available() -> bool:
    return importlib.util.find_spec("mkdocs") is not None and importlib.util.find_spec("material") is not None


@pytest.mark.skipif(
    not _mkdocs_available(), reason="mkdocs and mkdocs-material are not installed (pip install -e '.[docs]')"
)
def test_site_builds_strict_with_policy_pages(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    shutil.copytree(DOCS, docs)
    written = write_pages(EXAMPLES, docs / "policies", date(2026, 1, 1))
    config = yaml.safe_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    config["docs_dir"] = str(docs)
    pages = sorted(p.name for p in written if p.name != "index.md")
    config["nav"].append({"Policies": ["policies/index.md", *(f"policies/{name}" for name in pages)]})
    config_path = tmp_path / "mkdocs.yml"
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    site = tmp_path / "site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-q", "-f", str(config_path), "-d", str(site)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    borough = (site / "policies" / "example-borough" / "index.html").read_text(encoding="utf-8")
    assert "Pay the Real Living Wage" in borough
    # ```svr blocks are highlighted by the svr Pygments lexer: keywords get their own spans
    assert '<span class="k">policy</span>' in borough
    language = (site / "language" / "requirements" / "index.html").read_text(encoding="utf-8")
    assert '<span class="k">requirement</span>' in language
    assert (site / "cli" / "index.html").is_file()
    assert (site / "diff" / "index.html").is_file()
    assert (site / "api" / "index.html").is_file()
