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
    evaluate_for_document,
    find_bid,
    measure_blocks,
    param_facts,
    references_block,
    summary_paragraphs,
)
from svrules.documents.model import Block, ClauseBlock, Document, Facts, Paragraph, Section, Table
from svrules.documents.scoring import short_method
from svrules.documents.view import PolicyView, PreviewLets, RuleState
from svrules.engine.compiler import CompiledPolicy, CompiledRule, Env
from svrules.engine.results import TenderResult
from svrules.engine.tender import Tender
from svrules.language import nodes as n
from svrules.language import units
from svrules.language.templates import TemplateRenderError
from svrules.words.runs import Inline, code, inline, plain_text
from svrules.words.wording import joined, show, words


def schedule(
    compiled: CompiledPolicy, tender: Tender, bidder: str | None = None, as_of: date | None = None
) -> Document:
    """The social value schedule for a contract: published with the tender (no bidder), or
    the contract schedule for one bid, with its commitments in the wording."""
    view = PolicyView(compiled)
    result = evaluate_for_document(view, tender, as_of)
    params = param_facts(result)
    bid = find_bid(result, bidder) if bidder is not None else None
    values = next(b.values for b in tender.bids if b.bidder == bidder) if bid is not None else None
    env = view.env(tender.contract, values, params, bid.social_value.total if bid else None)
    p = view.policy

    facts = view.policy_facts()
    if tender.title or tender.id:
        facts.insert(0, ("Contract", inline(tender.title or tender.id or "")))
    facts.append(("Values as of", inline(show(result.as_of, units.DATE))))
    if bid is not None:
        facts.append(("Supplier", inline(bid.bidder)))
    if bid is None:
        intro = [
            Paragraph(
                inline(
                    f"This schedule sets out the social value terms of the contract, as published with the tender. Each clause is worded with the values of {p.title} in force on {show(result.as_of, units.DATE)}. Where a clause depends on the successful supplier's tender, it is completed when the contract is awarded."
                ),
                "lead",
            )
        ]
    else:
        intro = [
            Paragraph(
                inline(
                    f"This schedule sets out the social value terms of the contract with {bid.bidder}. Each clause is worded with the values of {p.title} in force on {show(result.as_of, units.DATE)} and includes the commitments made in {bid.bidder}'s tender, which form part of the contract."
                ),
                "lead",
            )
        ]
        if not bid.compliant:
            failed = [r.title for r in bid.requirements if r.outcome in ("not_met", "error")]
            intro.append(
                Paragraph(
                    inline(
                        f"Note: this tender does not meet every requirement ({'; '.join(failed)}), so it was not scored or ranked."
                    ),
                    "note",
                )
            )

    sections: list[Section] = []
    if p.summary:
        sections.append(
            Section("Summary", None, tuple(Paragraph(inline(par)) for par in summary_paragraphs(p.summary)))
        )
    about: list[Block] = [
        Facts(
            tuple(
                (
                    view.describe_field("contract", k),
                    inline(show(tender.contract.get(k), view.field_type("contract", k))),
                )
                for k in view.contract_fields
            )
        )
    ]
    sections.append(Section("The contract", None, tuple(about)))

    rules = [*compiled.requirements, *compiled.criteria]
    rules.sort(key=lambda r: _position(p, r.rule))
    number = 0
    cited: list[tuple[str, str]] = []
    for theme in view.sections_in_order(r.rule for r in rules):
        in_theme = [r for r in rules if r.rule.theme == theme]
        number += 1
        blocks: list[Block] = []
        without: list[Inline] = []
        excluded: list[Inline] = []
        clause_no = 0
        for crule in in_theme:
            state = view.state(crule, env)
            kind = _rule_kind(crule.rule)
            if state.applies == "no":
                excluded.append(
                    inline(crule.rule.title, " (", state.reason or inline("its 'applies when' is false"), ")")
                )
                continue
            if state.applies == "error":
                excluded.append(inline(crule.rule.title, " (", state.reason, ")"))
                continue
            refs = tuple(t.value for t in crule.rule.refs)
            cited += [(crule.rule.title, ref) for ref in refs]
            notes: list[str] = []
            if state.applies == "maybe":
                notes.append(f"This {crule.rule.kind} may apply: {plain_text(state.reason)}.")
            if crule.clause is None:
                without.append(inline(crule.rule.title, f" ({kind})"))
                continue
            clause_no += 1
            text, note = _clause_text(view, crule, state, bid is not None)
            if note:
                notes.append(note)
            blocks.append(
                ClauseBlock(
                    f"{number}.{clause_no}",
                    crule.rule.title,
                    kind,
                    tuple(summary_paragraphs(text)) if text else (),
                    refs,
                    tuple(notes),
                )
            )
        if without:
            blocks.append(
                Paragraph(
                    inline(
                        "Also assessed under this heading, with no contract wording: ", *joined(without), "."
                    ),
                    "note",
                )
            )
        if excluded:
            blocks.append(
                Paragraph(inline("Not applicable to this contract: ", *joined(excluded), "."), "note")
            )
        sections.append(Section(view.theme_title(theme), str(number), tuple(blocks)))

    if compiled.kpis:
        number += 1
        sections.append(_kpi_section(view, env, str(number), bid is not None, cited))
    if compiled.criteria:
        number += 1
        sections.append(Section("Award criteria and weights", str(number), (_criteria_table(view, env),)))
    if compiled.measures:
        number += 1
        sections.append(
            Section("Social value measures", str(number), tuple(measure_blocks(view, params, bid)))
        )
    if bid is not None:
        number += 1
        sections.append(Section("Commitments in the tender", str(number), _commitments(view, values or {})))
    if compiled.params:
        number += 1
        sections.append(Section("Values in force", str(number), (_params_table(view, result),)))
    number += 1
    for m in p.measures:
        cited += [(m.title, t.value) for t in m.refs]
    sections.append(Section("References", str(number), references_block(cited)))

    title = "Social value schedule" if bid is None else f"Social value schedule: {bid.bidder}"
    return Document(
        "schedule",
        title,
        p.title,
        view.header("social value schedule"),
        tuple(facts),
        tuple(intro),
        tuple(sections),
        view.footer("Schedule"),
        date=result.as_of,
        author=p.authority,
    )


def _position(policy: n.Policy, rule: n.Rule) -> int:
    for i, r in enumerate(policy.rules):
        if r is rule:
            return i
    return len(policy.rules)


def _rule_kind(rule: n.Rule) -> str:
    if isinstance(rule, n.Criterion):
        return f"award criterion, weight {show(rule.weight.value, units.PERCENT)}"
    if isinstance(rule, n.Kpi):
        return "key performance indicator" + (", material" if rule.material else "")
    return "requirement"


def _clause_text(
    view: PolicyView, crule: CompiledRule, state: RuleState, has_bid: bool
) -> tuple[str | None, str | None]:
    assert state.env is not None
    try:
        return view.render_template(crule, "clause", view.context(crule, state.env)), None
    except TemplateRenderError as err:
        if err.needs_delivery:
            return (
                None,
                "The wording of this clause depends on the delivery figures reported during the contract.",
            )
        missing = [
            k
            for k, why in (state.env.lets.pending.items() if isinstance(state.env.lets, PreviewLets) else [])
            if why == "missing"
        ]
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


def _kpi_section(
    view: PolicyView, env: Env, number: str, has_bid: bool, cited: list[tuple[str, str]]
) -> Section:
    blocks: list[Block] = []
    rows = []
    lets: list[Inline] = []
    clause_no = 0
    for crule in view.compiled.kpis:
        rule = crule.rule
        assert isinstance(rule, n.Kpi)
        state = view.state(crule, env)
        if state.applies == "no":
            continue
        parts: list[Any] = []
        for i, line in enumerate(rule.rating.lines):
            if i:
                parts.append("; ")
            if line.test == "otherwise":
                parts.append("otherwise")
            else:
                parts += ["at least " if line.test == "at_least" else "at most ", words(line.threshold)]  # type: ignore[arg-type]
            parts.append(f": {str(line.result).replace('_', ' ')}")
        rows.append(
            (
                inline(rule.title),
                inline("yes" if rule.material else "no"),
                inline(words(rule.rating.value)),
                inline(*parts),
            )
        )
        for let in rule.lets:
            lets.append(inline(code(let.name), f" ({rule.title}) is worked out as ", words(let.value)))
        refs = tuple(t.value for t in rule.refs)
        cited += [(rule.title, ref) for ref in refs]
        if crule.clause is not None:
            clause_no += 1
            text, note = _clause_text(view, crule, state, has_bid)
            blocks.append(
                ClauseBlock(
                    f"{number}.{clause_no}",
                    rule.title,
                    _rule_kind(rule),
                    tuple(summary_paragraphs(text)) if text else (),
                    refs,
                    (note,) if note else (),
                )
            )
    table = Table(
        ("Key performance indicator", "Material", "Rated on", "Ratings, first match from the top"),
        tuple(rows),
    )
    intro = Paragraph(
        inline(
            "The Supplier's performance is assessed at least every twelve months against these key performance indicators (Procurement Act 2023, section 52), each rated good, approaching target, requires improvement, inadequate or other."
        )
    )
    where = [Paragraph(inline("Where ", *joined(lets), "."))] if lets else []
    return Section("Key performance indicators", number, (intro, table, *where, *blocks))


def _criteria_table(view: PolicyView, env: Env) -> Table:
    rows = []
    total = Decimal(0)
    for crule in view.compiled.criteria:
        rule = crule.rule
        assert isinstance(rule, n.Criterion)
        state = view.state(crule, env)
        weight = rule.weight.value
        note = {"no": " (does not apply to this contract)", "maybe": " (may apply)"}.get(state.applies, "")
        if state.applies != "no":
            total += weight  # type: ignore[operator]
        rows.append(
            (
                inline(rule.title, note),
                inline(view.theme_title(rule.theme)),
                inline(show(weight, units.PERCENT)),
                short_method(rule),
            )
        )
    return Table(
        ("Criterion", "Theme", "Weight", "How it is scored"),
        tuple(rows),
        (False, False, True, False),
        (inline("Total"), inline(""), inline(show(total, units.PERCENT)), inline("")),
    )


def _commitments(view: PolicyView, values: Mapping[str, Any]) -> tuple[Block, ...]:
    measures = {m.name for m in view.policy.measures}
    rows = []
    for name, decl in view.bid_fields.items():
        if name in measures:
            continue
        value = values.get(name)
        rows.append(
            (
                inline(decl.description or name),
                inline(code(f"bid.{name}")),
                inline(show(value, units.expression_type(decl.type))),
            )
        )
    lead = Paragraph(
        inline(
            "The tender's answers, as evaluated; the clauses above that use them make them part of the contract."
        )
    )
    return (lead, Table(("Commitment", "Field", "In the tender"), tuple(rows), (False, False, True)))


def _params_table(view: PolicyView, result: TenderResult) -> Table:
    rows = []
    for name, (value, type_) in result.params.items():
        rows.append((inline(code(name)), inline(show(value, type_)), inline(view.param_schedule(name))))
    return Table(
        ("Parameter", f"In force on {show(result.as_of, units.DATE)}", "Set by the policy"), tuple(rows)
    )
