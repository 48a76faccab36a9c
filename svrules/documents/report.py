"""Results → text for people: a terminal table (Rich) and Markdown.

Owns how a `TenderResult` reads to a person: the ranking first, then why each bid that
failed a requirement failed it, then (in Markdown) every rule's outcome and reason.
JSON is the result's own `to_json()`; this module only presents.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape as markup
from rich.table import Table

from svrules.core.decimals import date_text, money_text, number_text
from svrules.documents.writers import markdown as md
from svrules.engine.results import BidResult, TenderResult
from svrules.words.values import pct

_OUTCOME = {
    "met": "met",
    "not_met": "not met",
    "not_applicable": "n/a",
    "error": "error",
    "scored": "scored",
    "not_scored": "not scored",
}


def _status(bid: BidResult) -> str:
    if not bid.compliant:
        return "non-compliant"
    if bid.needs_attention:
        return "needs attention: " + ", ".join(bid.needs_attention)
    return "compliant"


def _order(result: TenderResult) -> list[BidResult]:
    """Ranked bids first (by rank, then input order), then the rest in input order."""
    ranked = sorted((b for b in result.bids if b.rank is not None), key=lambda b: b.rank or 0)
    return ranked + [b for b in result.bids if b.rank is None]


def heading(result: TenderResult) -> str:
    p = result.policy
    version = f" (version {p.version})" if p.version else ""
    return f"{p.title}{version}, as of {date_text(result.as_of)}"


def print_table(result: TenderResult, console: Console) -> None:
    """The ranking as a Rich table, with the reasons for every failed requirement below it;
    names and reasons are escaped, so `[x]` in a bidder's name is never Rich markup."""
    console.print(f"[bold]{markup(heading(result))}[/bold]")
    if not result.applies:
        console.print("The policy does not apply to this contract: nothing to evaluate.")
        return
    criteria = result.bids[0].criteria if result.bids else []
    table = Table(show_lines=False)
    table.add_column("Rank", justify="right")
    table.add_column("Bidder", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    for c in criteria:
        table.add_column(f"{markup(c.title)}\n({pct(c.weight)})", justify="right")
    table.add_column("Total", justify="right", no_wrap=True)
    table.add_column("Social value", justify="right", no_wrap=True)
    for bid in _order(result):
        cells = [str(bid.rank) if bid.rank is not None else "—", markup(bid.bidder), markup(_status(bid))]
        cells += [pct(c.points) if c.outcome != "error" else "error" for c in bid.criteria]
        cells += [pct(bid.total_score), money_text(bid.social_value.total)]
        table.add_row(*cells)
    console.print(table)
    console.print("Scores are points out of the whole tender's marks.", style="dim")
    for bid in result.bids:
        for r in [*bid.requirements, *bid.criteria]:
            if r.outcome in ("not_met", "error"):
                console.print(
                    f"[bold]{markup(bid.bidder)}[/bold] · {markup(r.title)}: {_OUTCOME[r.outcome]}. {markup(r.reason)}",
                    highlight=False,
                )


def to_markdown(result: TenderResult) -> str:
    """The whole result as Markdown: ranking, then each bid's rules with their reasons.
    Every name and reason is escaped by the one Markdown rule (`writers.markdown`)."""
    p = result.policy
    lines = [f"# {md.line(p.title)}", ""]
    lines += [f"- Policy: {md.code(p.id)}" + (f", version {md.escape(p.version)}" if p.version else "")]
    if p.authority:
        lines.append(f"- Authority: {md.escape(p.authority)}")
    lines += [f"- As of: {date_text(result.as_of)}", f"- Policy hash: {md.code(p.hash)}"]
    if result.tender_title or result.tender_id:
        lines.append(f"- Tender: {md.escape(result.tender_title or result.tender_id or '')}")
    lines.append("")
    if not result.applies:
        lines.append("The policy does not apply to this contract.")
        return "\n".join(lines) + "\n"
    lines += [
        "## Ranking",
        "",
        "| Rank | Bidder | Status | Total score | Social value |",
        "|---:|---|---|---:|---:|",
    ]
    for bid in _order(result):
        rank = str(bid.rank) if bid.rank is not None else "—"
        lines.append(
            f"| {rank} | {md.text_cell(bid.bidder)} | {md.text_cell(_status(bid))} | {pct(bid.total_score)} | {money_text(bid.social_value.total)} |"
        )
    for bid in result.bids:
        lines += ["", f"## {md.line(bid.bidder)}", "", *_bid_lines(bid)]
    return "\n".join(lines) + "\n"


def _bid_lines(bid: BidResult) -> list[str]:
    """One bid's requirements and criteria, with their reasons, and its social value."""
    lines = []
    if bid.requirements:
        lines += ["| Requirement | Outcome | Reason |", "|---|---|---|"]
        lines += [
            f"| {md.text_cell(r.title)} | {_OUTCOME[r.outcome]} | {md.text_cell(r.reason)} |"
            for r in bid.requirements
        ]
        lines.append("")
    if bid.criteria:
        lines += ["| Criterion | Weight | Score | Points | Reason |", "|---|---:|---:|---:|---|"]
        for c in bid.criteria:
            score = pct(c.score) if c.outcome == "scored" else _OUTCOME[c.outcome]
            lines.append(
                f"| {md.text_cell(c.title)} | {pct(c.weight)} | {score} | {pct(c.points)} | {md.text_cell(c.reason)} |"
            )
        lines.append("")
    sv = bid.social_value
    measures = "".join(
        f"; {m.title}: {number_text(m.quantity, 10)} × {money_text(m.proxy)} = {money_text(m.value)}"
        for m in sv.measures
    )
    lines.append(md.line(f"Social value: {money_text(sv.total)}{measures}"))
    return lines
