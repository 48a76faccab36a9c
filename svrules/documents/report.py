"""Results → text for people: a terminal table (Rich) and Markdown.

Owns how a `TenderResult` reads to a person: the ranking first, then why each bid that
failed a requirement failed it, then (in Markdown) every rule's outcome and reason.
JSON is the result's own `to_json()`; this module only presents.
"""

from __future__ import annotations

from decimal import Decimal

from rich.console import Console
from rich.table import Table

from svrules.core.decimals import date_text, money_text, number_text
from svrules.engine.results import BidResult, TenderResult

_OUTCOME = {
    "met": "met",
    "not_met": "not met",
    "not_applicable": "n/a",
    "error": "error",
    "scored": "scored",
    "not_scored": "not scored",
}


def _pct(value: Decimal | None) -> str:
    """A fraction as a percentage for people, to two places (results keep every digit)."""
    return "—" if value is None else number_text(value.scaleb(2), 2) + "%"


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
    """The ranking as a Rich table, with the reasons for every failed requirement below it."""
    console.print(f"[bold]{heading(result)}[/bold]")
    if not result.applies:
        console.print("The policy does not apply to this contract: nothing to evaluate.")
        return
    criteria = result.bids[0].criteria if result.bids else []
    table = Table(show_lines=False)
    table.add_column("Rank", justify="right")
    table.add_column("Bidder", no_wrap=True)
    table.add_column("Status", no_wrap=True)
    for c in criteria:
        table.add_column(f"{c.title}\n({_pct(c.weight)})", justify="right")
    table.add_column("Total", justify="right", no_wrap=True)
    table.add_column("Social value", justify="right", no_wrap=True)
    for bid in _order(result):
        cells = [str(bid.rank) if bid.rank is not None else "—", bid.bidder, _status(bid)]
        cells += [_pct(c.points) if c.outcome != "error" else "error" for c in bid.criteria]
        cells += [_pct(bid.total_score), money_text(bid.social_value.total)]
        table.add_row(*cells)
    console.print(table)
    console.print("Scores are points out of the whole tender's marks.", style="dim")
    for bid in result.bids:
        for r in [*bid.requirements, *bid.criteria]:
            if r.outcome in ("not_met", "error"):
                console.print(
                    f"[bold]{bid.bidder}[/bold] · {r.title}: {_OUTCOME[r.outcome]}. {r.reason}",
                    highlight=False,
                )


def to_markdown(result: TenderResult) -> str:
    """The whole result as Markdown: ranking, then each bid's rules with their reasons."""
    p = result.policy
    lines = [f"# {p.title}", ""]
    lines += [f"- Policy: `{p.id}`" + (f", version {p.version}" if p.version else "")]
    if p.authority:
        lines.append(f"- Authority: {p.authority}")
    lines += [f"- As of: {date_text(result.as_of)}", f"- Policy hash: `{p.hash}`"]
    if result.tender_title or result.tender_id:
        lines.append(f"- Tender: {result.tender_title or result.tender_id}")
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
            f"| {rank} | {_cell(bid.bidder)} | {_status(bid)} | {_pct(bid.total_score)} | {money_text(bid.social_value.total)} |"
        )
    for bid in result.bids:
        lines += ["", f"## {bid.bidder}", ""]
        if bid.requirements:
            lines += ["| Requirement | Outcome | Reason |", "|---|---|---|"]
            lines += [
                f"| {_cell(r.title)} | {_OUTCOME[r.outcome]} | {_cell(r.reason)} |" for r in bid.requirements
            ]
            lines.append("")
        if bid.criteria:
            lines += ["| Criterion | Weight | Score | Points | Reason |", "|---|---:|---:|---:|---|"]
            for c in bid.criteria:
                score = _pct(c.score) if c.outcome == "scored" else _OUTCOME[c.outcome]
                lines.append(
                    f"| {_cell(c.title)} | {_pct(c.weight)} | {score} | {_pct(c.points)} | {_cell(c.reason)} |"
                )
            lines.append("")
        sv = bid.social_value
        lines.append(
            f"Social value: {money_text(sv.total)}"
            + "".join(
                f"; {m.title}: {m.quantity:f} × {money_text(m.proxy)} = {money_text(m.value)}"
                for m in sv.measures
            )
        )
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
