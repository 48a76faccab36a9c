"""The social value schedule: the contract wording (each applicable rule's `clause`,
rendered with the parameters in force), the key performance indicators, the criteria and
weights, the measures and every reference; published with the tender (no bid) or for one
bid (its commitments in the wording).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from svrules.documents.common import (
    Part,
    evaluate_for_document,
    find_bid,
    measure_blocks,
    numbered,
    references_block,
    summary_paragraphs,
    summary_section,
)
from svrules.documents.model import Block, ClauseBlock, Document, Facts, Paragraph, Section, Table
from svrules.documents.view import PolicyView, RuleState
from svrules.engine.compiler import CompiledPolicy, CompiledRule, Env
from svrules.engine.results import BidResult, TenderResult
from svrules.engine.tender import Tender
from svrules.language import nodes as n
from svrules.language import units
from svrules.language.templates import TemplateRenderError
from svrules.words.expressions import name_words
from svrules.words.preview import PreviewLets, preview_env
from svrules.words.runs import Inline, inline, joined, plain_text
from svrules.words.scores import band_label, rating_words, short_method
from svrules.words.values import show


def schedule(
    compiled: CompiledPolicy, tender: Tender, bidder: str | None = None, as_of: date | None = None
) -> Document:
    """The social value schedule for a contract: published with the tender (no bidder), or
    the contract schedule for one bid, with its commitments in the wording."""
    view, result = evaluate_for_document(compiled, tender, as_of)
    bid = find_bid(result, bidder) if bidder is not None else None
    values = next(b.values for b in tender.bids if b.bidder == bidder) if bid is not None else None
    env = preview_env(tender.contract, values, view.words.params, bid.social_value.total if bid else None)
    p = view.policy
    cited: list[tuple[str, str]] = []
    sections = [
        *summary_section(p),
        Section("The contract", None, (Facts(view.contract_facts(tender.contract)),)),
    ]
    themes = _theme_sections(view, env, bid is not None, cited)
    sections += themes
    sections += numbered(_parts(view, env, result, bid, values, cited), first=len(themes) + 1)
    return Document(
        "schedule",
        "Social value schedule" if bid is None else f"Social value schedule: {bid.bidder}",
        p.title,
        view.header("social value schedule"),
        _facts(view, tender, result, bid),
        _intro(view, result, bid),
        tuple(sections),
        view.footer("Schedule"),
        date=result.as_of,
        author=p.authority,
    )


def _facts(
    view: PolicyView, tender: Tender, result: TenderResult, bid: BidResult | None
) -> tuple[tuple[str, Inline], ...]:
    contract = [("Contract", inline(tender.title or tender.id or ""))] if tender.title or tender.id else []
    supplier = [("Supplier", inline(bid.bidder))] if bid is not None else []
    as_of = ("Values as of", inline(show(result.as_of, units.DATE)))
    return (*contract, *view.policy_facts(), as_of, *supplier)


def _intro(view: PolicyView, result: TenderResult, bid: BidResult | None) -> tuple[Paragraph, ...]:
    title, day = view.policy.title, show(result.as_of, units.DATE)
    if bid is None:
        return (
            Paragraph(
                inline(
                    f"This schedule sets out the social value terms of the contract, as published with the tender. Each clause is worded with the values of {title} in force on {day}. Where a clause depends on the successful supplier's tender, it is completed when the contract is awarded."
                ),
                "lead",
            ),
        )
    lead = Paragraph(
        inline(
            f"This schedule sets out the social value terms of the contract with {bid.bidder}. Each clause is worded with the values of {title} in force on {day} and includes the commitments made in {bid.bidder}'s tender, which form part of the contract."
        ),
        "lead",
    )
    if bid.compliant:
        return (lead,)
    failed = "; ".join(r.title for r in bid.requirements if r.outcome in ("not_met", "error"))
    note = Paragraph(
        inline(
            f"Note: this tender does not meet every requirement ({failed}), so it was not scored or ranked."
        ),
        "note",
    )
    return (lead, note)


def _parts(
    view: PolicyView,
    env: Env,
    result: TenderResult,
    bid: BidResult | None,
    values: Mapping[str, Any] | None,
    cited: list[tuple[str, str]],
) -> list[Part]:
    """The numbered sections after the themes; `cited` gathers the references as they are built."""
    compiled = view.compiled
    parts: list[Part] = []
    if compiled.kpis:
        parts.append(
            (
                "Key performance indicators",
                lambda number: _kpi_blocks(view, env, number, bid is not None, cited),
            )
        )
    if compiled.criteria:
        parts.append(("Award criteria and weights", lambda _: (_criteria_table(view, env),)))
    if compiled.measures:
        parts.append(("Social value measures", lambda _: measure_blocks(view, view.words.params, bid)))
    if bid is not None:
        parts.append(("Commitments in the tender", lambda _: _commitments(view, values or {})))
    if compiled.params:
        parts.append(("Values in force", lambda _: (_params_table(view, result),)))
    measures = [(m.title, t.value) for m in view.policy.measures for t in m.refs]
    parts.append(("References", lambda _: references_block([*cited, *measures])))
    return parts


def _theme_sections(view: PolicyView, env: Env, has_bid: bool, cited: list[tuple[str, str]]) -> list[Section]:
    """One numbered section per theme: its clauses, then what is assessed without wording
    and what does not apply."""
    rules = [*view.compiled.requirements, *view.compiled.criteria]
    rules.sort(key=lambda r: _position(view.policy, r.rule))
    sections = []
    for number, theme in enumerate(view.sections_in_order(r.rule for r in rules), start=1):
        in_theme = [r for r in rules if r.rule.theme == theme]
        blocks = _theme_blocks(view, env, in_theme, str(number), has_bid, cited)
        sections.append(Section(view.theme_title(theme), str(number), tuple(blocks)))
    return sections


def _theme_blocks(
    view: PolicyView,
    env: Env,
    rules: list[CompiledRule],
    number: str,
    has_bid: bool,
    cited: list[tuple[str, str]],
) -> list[Block]:
    blocks: list[Block] = []
    without: list[Inline] = []
    excluded: list[Inline] = []
    for crule in rules:
        rule, state = crule.rule, view.state(crule, env)
        if state.applies in ("no", "error"):
            excluded.append(inline(rule.title, " (", state.reason or inline("it does not apply"), ")"))
            continue
        refs = tuple(t.value for t in rule.refs)
        cited += [(rule.title, ref) for ref in refs]
        if crule.clause is None:
            without.append(inline(rule.title, f" ({_rule_kind(rule)})"))
            continue
        notes = (
            [f"This {rule.kind} may apply: {plain_text(state.reason)}."] if state.applies == "maybe" else []
        )
        text, note = _clause_text(view, crule, state, has_bid)
        if note:
            notes.append(note)
        paragraphs = tuple(summary_paragraphs(text)) if text else ()
        clause_no = f"{number}.{len(blocks) + 1}"
        blocks.append(ClauseBlock(clause_no, rule.title, _rule_kind(rule), paragraphs, refs, tuple(notes)))
    if without:
        also = inline("Also assessed under this heading, with no contract wording: ", joined(without), ".")
        blocks.append(Paragraph(also, "note"))
    if excluded:
        blocks.append(Paragraph(inline("Not applicable to this contract: ", joined(excluded), "."), "note"))
    return blocks


def _position(policy: n.Policy, rule: n.Rule) -> int:
    for i, r in enumerate(policy.rules):
        if r is rule:
            return i
    return len(policy.rules)


def _rule_kind(rule: n.Rule) -> str:
    if isinstance(rule, n.Criterion):
        return f"award criterion, weight {show(rule.weight_percent, units.PERCENT)}"
    if isinstance(rule, n.Kpi):
        return "key performance indicator" + (", material" if rule.material else "")
    return "requirement"


def _clause_text(
    view: PolicyView, crule: CompiledRule, state: RuleState, has_bid: bool
) -> tuple[str | None, str | None]:
    try:
        return view.render_template(crule, "clause", view.context(crule, state.env)), None
    except TemplateRenderError as err:
        if err.needs_delivery:
            return (
                None,
                "The wording of this clause depends on the delivery figures reported during the contract.",
            )
        pending = state.env.lets.pending if isinstance(state.env.lets, PreviewLets) else {}
        missing = [name_words(name) for name, why in pending.items() if why == "missing"]
        if has_bid and missing:
            return (
                None,
                f"The wording of this clause depends on values the tender does not state ({', '.join(missing)}).",
            )
        if has_bid:
            raise view.template_error(crule, "clause", err) from None
        return (
            None,
            "The wording of this clause depends on the successful supplier's tender; it is completed when the contract is awarded.",
        )


def _kpi_blocks(
    view: PolicyView, env: Env, number: str, has_bid: bool, cited: list[tuple[str, str]]
) -> list[Block]:
    """The KPIs that apply: a table of their ratings, what their lets are, their clauses."""
    words = view.words
    rows: list[tuple[Inline, ...]] = []
    lets: list[Inline] = []
    clauses: list[Block] = []
    for crule in view.compiled.kpis:
        rule = crule.rule
        assert isinstance(rule, n.Kpi)
        state = view.state(crule, env)
        if state.applies == "no":
            continue
        ratings = joined(
            [inline(band_label(line, words), f": {rating_words(line)}") for line in rule.rating.lines], "; "
        )
        rows.append(
            (inline(rule.title), inline("yes" if rule.material else "no"), words(rule.rating.value), ratings)
        )
        lets += [
            inline(words.name(let.name), f" ({rule.title}) is worked out as ", words(let.value))
            for let in rule.lets
        ]
        refs = tuple(t.value for t in rule.refs)
        cited += [(rule.title, ref) for ref in refs]
        if crule.clause is not None:
            text, note = _clause_text(view, crule, state, has_bid)
            paragraphs = tuple(summary_paragraphs(text)) if text else ()
            clause_no = f"{number}.{len(clauses) + 1}"
            clauses.append(
                ClauseBlock(
                    clause_no, rule.title, _rule_kind(rule), paragraphs, refs, (note,) if note else ()
                )
            )
    intro = Paragraph(
        inline(
            "The Supplier's performance is assessed at least every twelve months against these key performance indicators (Procurement Act 2023, section 52), each rated good, approaching target, requires improvement, inadequate or other."
        )
    )
    table = Table(
        ("Key performance indicator", "Material", "Rated on", "Ratings, first match from the top"),
        tuple(rows),
    )
    where = [Paragraph(inline("Where ", joined(lets), "."))] if lets else []
    return [intro, table, *where, *clauses]


def _criteria_table(view: PolicyView, env: Env) -> Table:
    rows = []
    total = Decimal(0)
    for crule in view.compiled.criteria:
        rule = crule.rule
        assert isinstance(rule, n.Criterion)
        applies = view.state(crule, env).applies
        note = {"no": " (does not apply to this contract)", "maybe": " (may apply)"}.get(applies, "")
        if applies != "no":
            total += crule.weight
        rows.append(
            (
                inline(rule.title, note),
                inline(view.theme_title(rule.theme)),
                inline(show(crule.weight, units.PERCENT)),
                short_method(rule.score, view.words),
            )
        )
    return Table(
        ("Criterion", "Theme", "Weight", "How it is scored"),
        tuple(rows),
        (False, False, True, False),
        (inline("Total"), (), inline(show(total, units.PERCENT)), ()),
    )


def _commitments(view: PolicyView, values: Mapping[str, Any]) -> tuple[Block, ...]:
    measures = {m.name for m in view.policy.measures}
    rows = [
        (view.words.label(f"bid.{name}"), inline(show(values.get(name), units.expression_type(decl.type))))
        for name, decl in view.bid_fields.items()
        if name not in measures
    ]
    lead = Paragraph(
        inline(
            "The tender's answers, as evaluated; the clauses above that use them make them part of the contract."
        )
    )
    return (lead, Table(("Commitment", "In the tender"), tuple(rows), (False, True)))


def _params_table(view: PolicyView, result: TenderResult) -> Table:
    rows = [
        (view.words.label(name), inline(show(value, type_)), view.param_schedule(name))
        for name, (value, type_) in result.params.items()
    ]
    return Table(
        ("Parameter", f"In force on {show(result.as_of, units.DATE)}", "Set by the policy"), tuple(rows)
    )
