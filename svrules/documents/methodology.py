"""The assessment methodology (Procurement Act 2023, section 23(3)): how tenders are
assessed under a policy, which requirements disqualify, and how each criterion is scored
and weighted, in words; for any contract the policy covers, or for one contract.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from svrules.documents.common import (
    evaluate_for_document,
    measure_blocks,
    param_facts,
    references_block,
    summary_paragraphs,
)
from svrules.documents.model import Block, Document, Facts, Paragraph, Section, Table
from svrules.documents.scoring import method_blocks, optional_bid_fields, scores_available
from svrules.documents.view import PolicyView
from svrules.engine.compiler import CompiledPolicy, CompiledRule, Env
from svrules.engine.runtime import resolve_params
from svrules.engine.tender import Tender
from svrules.language import nodes as n
from svrules.language import units
from svrules.words.runs import Inline, code, inline
from svrules.words.wording import (
    joined,
    show,
    walk,
    words,
)


def methodology(
    compiled: CompiledPolicy, tender: Tender | None = None, as_of: date | None = None
) -> Document:
    """How tenders are assessed under the policy (Procurement Act 2023, section 23(3))."""
    view = PolicyView(compiled)
    p = view.policy
    result = evaluate_for_document(view, tender, as_of) if tender is not None else None
    env = (
        view.env(tender.contract, None, param_facts(result))
        if tender is not None and result is not None
        else None
    )
    day, in_force = (result.as_of, result.params) if result is not None else (as_of, None)
    if result is None and as_of is not None:
        values = resolve_params(compiled, as_of)
        in_force = {prm.param.name: (values[prm.param.name], prm.type) for prm in compiled.params}
    facts = view.policy_facts()
    if tender is not None and (tender.title or tender.id):
        facts.insert(0, ("Contract", inline(tender.title or tender.id or "")))
    if day is not None:
        facts.append(("Values as of", inline(show(day, units.DATE))))
    weights = sum((c.weight for c in compiled.criteria), Decimal(0))
    intro = [
        Paragraph(
            inline(
                f"This is the assessment methodology for the social value award criteria of {p.title} (Procurement Act 2023, section 23(3)): how each tender is assessed, which requirements disqualify a tender, and how each criterion is scored and weighted."
            ),
            "lead",
        )
    ]
    sections: list[Section] = []
    if p.summary:
        sections.append(
            Section("Summary", None, tuple(Paragraph(inline(par)) for par in summary_paragraphs(p.summary)))
        )
    if tender is not None:
        sections.append(
            Section(
                "The contract",
                None,
                (
                    Facts(
                        tuple(
                            (
                                view.describe_field("contract", k),
                                inline(show(tender.contract.get(k), view.field_type("contract", k))),
                            )
                            for k in view.contract_fields
                        )
                    ),
                ),
            )
        )
    overview = [
        *(
            [Paragraph(inline("The policy covers a contract when ", view.condition(p.applies), "."))]
            if p.applies is not None
            else []
        ),
        Paragraph(
            inline(
                "A tender must meet every requirement that applies to the contract. A tender that fails one is disqualified: it is not scored or ranked."
            )
        ),
        Paragraph(
            inline(
                f"Each compliant tender is then scored on each award criterion from 0% to 100%. A criterion's points are its score × its weight, as marks out of 100 for the whole tender. These criteria carry {show(weights, units.PERCENT)} of the marks"
                + (
                    "."
                    if weights == 1
                    else f"; the other {show(1 - weights, units.PERCENT)} are assessed outside this policy (for example price and quality)."
                )
            )
        ),
        Paragraph(
            inline(
                "Scores, points and totals are worked out exactly and rounded half up to 10 decimal places. Tenders are ranked by their total points, highest first; equal totals share a rank. Relative scores compare the compliant tenders only."
            )
        ),
    ]
    number = 1
    sections.append(Section("How tenders are assessed", str(number), tuple(overview)))
    if compiled.requirements:
        number += 1
        sections.append(
            Section(
                "Requirements: pass or fail", str(number), tuple(_requirement_blocks(view, env, str(number)))
            )
        )
    if compiled.criteria:
        number += 1
        sections.append(
            Section("Award criteria", str(number), tuple(_criterion_blocks(view, env, str(number))))
        )
    if compiled.measures:
        number += 1
        params = {k: v for k, (v, _t) in in_force.items()} if in_force is not None else {}
        blocks = measure_blocks(view, params, None) if in_force is not None else _measure_blocks_undated(view)
        users = [
            c.rule.title
            for c in compiled.criteria
            if any(isinstance(e, n.Name) and e.name == "social_value" for e in walk(c.rule.score.value))
        ]  # type: ignore[union-attr]
        if users:
            blocks.append(Paragraph(inline("The social value is scored by: ", "; ".join(users), ".")))
        sections.append(Section("Social value measures", str(number), tuple(blocks)))
    if compiled.params:
        number += 1
        rows = [
            (inline(code(prm.param.name)), inline(view.param_schedule(prm.param.name)))
            for prm in compiled.params
        ]
        header: tuple[str, ...] = ("Parameter", "Value")
        if in_force is not None and day is not None:
            rows = [
                (r[0], r[1], inline(show(in_force[prm.param.name][0], prm.type)))
                for r, prm in zip(rows, compiled.params, strict=True)
            ]
            header += (f"In force on {show(day, units.DATE)}",)
        sections.append(
            Section(
                "Parameters",
                str(number),
                (
                    Paragraph(inline("Values the policy sets; a dated value applies from its date.")),
                    Table(header, tuple(rows)),
                ),
            )
        )
    cited = [(r.title, t.value) for r in p.rules if not isinstance(r, n.Kpi) for t in r.refs]
    number += 1
    sections.append(Section("References", str(number), references_block(cited)))
    return Document(
        "methodology",
        "Assessment methodology",
        p.title,
        view.header("assessment methodology"),
        tuple(facts),
        tuple(intro),
        tuple(sections),
        view.footer("Methodology"),
        date=day or p.effective,
        author=p.authority,
    )


def _measure_blocks_undated(view: PolicyView) -> list[Block]:
    rows = []
    for m in view.compiled.measures:
        unit = m.measure.unit.value if m.measure.unit else "unit"
        rows.append(
            (
                inline(m.measure.title, " (", code(f"bid.{m.measure.name}"), ")"),
                inline(unit),
                inline(words(m.measure.proxy), f" per {unit}"),
            )
        )
    lead = Paragraph(
        inline(
            "A tender's social value is the sum, over these measures, of the quantity it commits to × the proxy value of one unit. A measure the tender does not state counts as 0."
        )
    )
    return [lead, Table(("Measure", "Unit", "Proxy value"), tuple(rows), (False, False, True))]


def _applies_fact(view: PolicyView, crule: CompiledRule, env: Env | None) -> Inline:
    rule = crule.rule
    if env is None:
        return (
            inline("to every contract the policy covers")
            if rule.applies is None
            else inline("when ", view.condition(rule.applies))
        )
    state = view.state(crule, env)
    if state.applies == "yes":
        return (
            inline("to this contract")
            if rule.applies is None
            else inline("to this contract (", view.condition(rule.applies), ")")
        )
    if state.applies == "maybe":
        return inline("depending on the tender: when ", view.condition(rule.applies))  # type: ignore[arg-type]
    return inline("not to this contract (", state.reason, ")")


def _requirement_blocks(view: PolicyView, env: Env | None, number: str) -> list[Block]:
    blocks: list[Block] = [
        Paragraph(
            inline(
                "Each requirement below is pass or fail. Failing any requirement that applies disqualifies the tender."
            )
        )
    ]
    for i, crule in enumerate(view.compiled.requirements, start=1):
        rule = crule.rule
        assert isinstance(rule, n.Requirement)
        state = view.state(crule, env) if env is not None else None
        facts: list[tuple[str, Inline]] = [
            ("Applies", _applies_fact(view, crule, env)),
            ("Met when", view.condition(rule.met_when)),
        ]
        if rule.theme:
            facts.insert(0, ("Theme", inline(view.theme_title(rule.theme))))
        for ref in rule.refs:
            facts.append(("Source", inline(ref.value)))
        inner: list[Block] = [Facts(tuple(facts))]
        optional = optional_bid_fields(view, [rule.applies, *(let.value for let in rule.lets), rule.met_when])
        if optional:
            inner.append(
                Paragraph(
                    inline(
                        "A tender that does not state ",
                        *joined([inline(code(f"bid.{f}")) for f in optional]),
                        " does not meet this requirement.",
                    ),
                    "note",
                )
            )
        legend = view.legend([rule.applies, rule.met_when], crule, state.env if state else None)
        if legend:
            inner.append(legend)
        blocks.append(Section(rule.title, f"{number}.{i}", tuple(inner)))
    return blocks


def _criterion_blocks(view: PolicyView, env: Env | None, number: str) -> list[Block]:
    rows = []
    for crule in view.compiled.criteria:
        rule = crule.rule
        assert isinstance(rule, n.Criterion)
        rows.append(
            (
                inline(rule.title),
                inline(view.theme_title(rule.theme)),
                inline(show(rule.weight.value, units.PERCENT)),
                inline(scores_available(rule)),
            )
        )
    total = sum((c.weight for c in view.compiled.criteria), Decimal(0))
    blocks: list[Block] = [
        Table(
            ("Criterion", "Theme", "Weight", "Scores available"),
            tuple(rows),
            (False, False, True, False),
            (inline("Total"), inline(""), inline(show(total, units.PERCENT)), inline("")),
        )
    ]
    for i, crule in enumerate(view.compiled.criteria, start=1):
        rule = crule.rule
        assert isinstance(rule, n.Criterion)
        state = view.state(crule, env) if env is not None else None
        facts: list[tuple[str, Inline]] = [
            ("Weight", inline(show(rule.weight.value, units.PERCENT))),
            ("Applies", _applies_fact(view, crule, env)),
            ("Scores available", inline(scores_available(rule))),
        ]
        if rule.theme:
            facts.insert(0, ("Theme", inline(view.theme_title(rule.theme))))
        for ref in rule.refs:
            facts.append(("Source", inline(ref.value)))
        inner: list[Block] = [Facts(tuple(facts)), *method_blocks(view, crule, state.env if state else None)]
        blocks.append(Section(rule.title, f"{number}.{i}", tuple(inner)))
    return blocks
