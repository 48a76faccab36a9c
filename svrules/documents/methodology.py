"""The assessment methodology (Procurement Act 2023, section 23(3)): how tenders are
assessed under a policy, which requirements disqualify, and how each criterion is scored
and weighted, in words; for any contract the policy covers, or for one contract.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from svrules.documents.common import (
    Part,
    evaluate_for_document,
    measure_blocks,
    numbered,
    references_block,
    summary_section,
)
from svrules.documents.model import Block, Document, Facts, Paragraph, Section, Table
from svrules.documents.scoring import method_blocks
from svrules.documents.view import PolicyView
from svrules.engine.compiler import CompiledPolicy, CompiledRule, Env
from svrules.engine.runtime import resolve_params
from svrules.engine.tender import Tender
from svrules.language import nodes as n
from svrules.language import units
from svrules.words.expressions import SOCIAL_VALUE
from svrules.words.preview import preview_env
from svrules.words.runs import Inline, inline
from svrules.words.scores import scores_available
from svrules.words.values import show

InForce = Mapping[str, tuple[Any, str]]
"""Each parameter's value on the document's date, with its type."""


def methodology(
    compiled: CompiledPolicy, tender: Tender | None = None, as_of: date | None = None
) -> Document:
    """How tenders are assessed under the policy (Procurement Act 2023, section 23(3))."""
    env: Env | None = None
    day: date | None = as_of
    in_force: InForce | None = None
    if tender is not None:
        view, result = evaluate_for_document(compiled, tender, as_of)
        env = preview_env(tender.contract, None, view.words.params)
        day, in_force = result.as_of, result.params
    else:
        if as_of is not None:
            values = resolve_params(compiled, as_of)
            in_force = {prm.param.name: (values[prm.param.name], prm.type) for prm in compiled.params}
        view = PolicyView(compiled, {k: v for k, (v, _t) in in_force.items()} if in_force else None)
    p = view.policy
    facts = view.policy_facts()
    if tender is not None and (tender.title or tender.id):
        facts.insert(0, ("Contract", inline(tender.title or tender.id or "")))
    if day is not None:
        facts.append(("Values as of", inline(show(day, units.DATE))))
    intro = Paragraph(
        inline(
            f"This is the assessment methodology for the social value award criteria of {p.title} (Procurement Act 2023, section 23(3)): how each tender is assessed, which requirements disqualify a tender, and how each criterion is scored and weighted."
        ),
        "lead",
    )
    sections = summary_section(p)
    if tender is not None:
        sections.append(Section("The contract", None, (Facts(view.contract_facts(tender.contract)),)))
    sections += numbered(_parts(view, env, in_force, day))
    return Document(
        "methodology",
        "Assessment methodology",
        p.title,
        view.header("assessment methodology"),
        tuple(facts),
        (intro,),
        tuple(sections),
        view.footer("Methodology"),
        date=day or p.effective,
        author=p.authority,
    )


def _parts(view: PolicyView, env: Env | None, in_force: InForce | None, day: date | None) -> list[Part]:
    """The numbered sections, each as its title and how to build it from its number."""
    compiled = view.compiled
    parts: list[Part] = [("How tenders are assessed", lambda _: _overview(view))]
    if compiled.requirements:
        parts.append(("Requirements: pass or fail", lambda number: _requirement_blocks(view, env, number)))
    if compiled.criteria:
        parts.append(("Award criteria", lambda number: _criterion_blocks(view, env, number)))
    if compiled.measures:
        parts.append(("Social value measures", lambda _: _measures(view, in_force)))
    if compiled.params:
        parts.append(("Parameters", lambda _: _parameters(view, in_force, day)))
    cited = [(r.title, t.value) for r in view.policy.rules if not isinstance(r, n.Kpi) for t in r.refs]
    parts.append(("References", lambda _: references_block(cited)))
    return parts


def _overview(view: PolicyView) -> list[Block]:
    p = view.policy
    weights = sum((c.weight for c in view.compiled.criteria), Decimal(0))
    rest = (
        "."
        if weights == 1
        else f"; the other {show(1 - weights, units.PERCENT)} are assessed outside this policy (for example price and quality)."
    )
    covers = (
        [Paragraph(inline("The policy covers a contract when ", view.words(p.applies), "."))]
        if p.applies
        else []
    )
    return [
        *covers,
        Paragraph(
            inline(
                "A tender must meet every requirement that applies to the contract. A tender that fails one is disqualified: it is not scored or ranked."
            )
        ),
        Paragraph(
            inline(
                f"Each compliant tender is then scored on each award criterion from 0% to 100%. A criterion's points are its score × its weight, as marks out of 100 for the whole tender. These criteria carry {show(weights, units.PERCENT)} of the marks{rest}"
            )
        ),
        Paragraph(
            inline(
                "Scores, points and totals are worked out exactly and rounded half up to 10 decimal places. Tenders are ranked by their total points, highest first; equal totals share a rank. Relative scores compare the compliant tenders only."
            )
        ),
    ]


def _measures(view: PolicyView, in_force: InForce | None) -> list[Block]:
    params = {k: v for k, (v, _t) in in_force.items()} if in_force is not None else None
    blocks = measure_blocks(view, params, None)
    users = [
        c.rule.title
        for c in view.compiled.criteria
        if isinstance(c.rule, n.Criterion)
        and any(isinstance(e, n.Name) and e.name == SOCIAL_VALUE for e in n.walk(c.rule.score.value))
    ]
    if users:
        blocks.append(Paragraph(inline("The social value is scored by: ", "; ".join(users), ".")))
    return blocks


def _parameters(view: PolicyView, in_force: InForce | None, day: date | None) -> list[Block]:
    params = view.compiled.params
    header: tuple[str, ...] = ("Parameter", "Value")
    rows: list[tuple[Inline, ...]] = [
        (view.words.label(prm.param.name), view.param_schedule(prm.param.name)) for prm in params
    ]
    if in_force is not None and day is not None:
        rows = [
            (*row, inline(show(in_force[prm.param.name][0], prm.type)))
            for row, prm in zip(rows, params, strict=True)
        ]
        header += (f"In force on {show(day, units.DATE)}",)
    lead = Paragraph(inline("Values the policy sets; a dated value applies from its date."))
    return [lead, Table(header, tuple(rows))]


def _applies_fact(view: PolicyView, crule: CompiledRule, env: Env | None) -> Inline:
    condition = crule.rule.applies
    if env is None:
        return (
            inline("to every contract the policy covers")
            if condition is None
            else inline("when ", view.words(condition))
        )
    state = view.state(crule, env)
    if state.applies == "yes":
        return (
            inline("to this contract")
            if condition is None
            else inline("to this contract (", view.words(condition), ")")
        )
    if state.applies == "maybe" and condition is not None:
        return inline("depending on the tender: when ", view.words(condition))
    return inline("not to this contract (", state.reason, ")")


Fact = tuple[str, Inline]


def _rule_facts(
    view: PolicyView, crule: CompiledRule, env: Env | None, before: tuple[Fact, ...], after: tuple[Fact, ...]
) -> Facts:
    """A rule's theme, the facts before, when it applies, the facts after, its sources."""
    rule = crule.rule
    theme = [("Theme", inline(view.theme_title(rule.theme)))] if rule.theme else []
    applies = ("Applies", _applies_fact(view, crule, env))
    sources = [("Source", inline(ref.value)) for ref in rule.refs]
    return Facts((*theme, *before, applies, *after, *sources))


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
        inner: list[Block] = [_rule_facts(view, crule, env, (), (("Met when", view.words(rule.met_when)),))]
        note = view.unstated_note(
            [rule.applies, *(let.value for let in rule.lets), rule.met_when], "does not meet this requirement"
        )
        if note:
            inner.append(Paragraph(note, "note"))
        state_env = view.state(crule, env).env if env is not None else None
        legend = view.legend([rule.applies, rule.met_when], crule, state_env)
        if legend:
            inner.append(legend)
        blocks.append(Section(rule.title, f"{number}.{i}", tuple(inner)))
    return blocks


def _criterion_blocks(view: PolicyView, env: Env | None, number: str) -> list[Block]:
    criteria = view.compiled.criteria
    rows = []
    for crule in criteria:
        rule = crule.rule
        assert isinstance(rule, n.Criterion)
        weight = inline(show(rule.weight_percent, units.PERCENT))
        rows.append(
            (
                inline(rule.title),
                inline(view.theme_title(rule.theme)),
                weight,
                inline(scores_available(rule.score)),
            )
        )
    total = show(sum((c.weight for c in criteria), Decimal(0)), units.PERCENT)
    blocks: list[Block] = [
        Table(
            ("Criterion", "Theme", "Weight", "Scores available"),
            tuple(rows),
            (False, False, True, False),
            (inline("Total"), (), inline(total), ()),
        )
    ]
    for i, crule in enumerate(criteria, start=1):
        rule = crule.rule
        assert isinstance(rule, n.Criterion)
        facts = _rule_facts(
            view,
            crule,
            env,
            (("Weight", inline(show(rule.weight_percent, units.PERCENT))),),
            (("Scores available", inline(scores_available(rule.score))),),
        )
        state_env = view.state(crule, env).env if env is not None else None
        inner = [facts, *method_blocks(view, crule, state_env)]
        blocks.append(Section(rule.title, f"{number}.{i}", tuple(inner)))
    return blocks
