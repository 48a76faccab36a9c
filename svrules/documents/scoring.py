"""How a criterion is scored, in words: the kind of scoring, a one-line method for a table
of criteria, the scores available, and `method_blocks` (the bands, straight line, relative
formula, conditions or published scale, with what each name means), which the schedule,
the methodology and the assessment summary share.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from svrules.documents.model import Block, Paragraph, Table
from svrules.documents.view import NOT_KNOWN, PolicyView, Unknown
from svrules.engine.compiler import CompiledRule, Env
from svrules.engine.failures import RUN_TIME_FAILURES, MissingField
from svrules.language import nodes as n
from svrules.language import units
from svrules.words.runs import Inline, code, inline
from svrules.words.wording import (
    joined,
    show,
    walk,
    words,
)


def score_kind(rule: n.Criterion) -> str:
    s = rule.score
    if isinstance(s, n.BandScore):
        return "bands"
    if isinstance(s, n.LinearScore):
        return "linear"
    if isinstance(s, n.RelativeScore):
        return "lowest" if s.lowest else "relative"
    if isinstance(s, n.ScaleScore):
        return "scale"
    return "expr"


def short_method(rule: n.Criterion) -> Inline:
    """One line for a table of criteria."""
    s = rule.score
    kind = score_kind(rule)
    if kind == "bands":
        return inline("in bands of ", words(s.value))
    if kind == "linear":
        return inline("on a straight line: ", words(s.value), " from ", words(s.low), " to ", words(s.high))  # type: ignore[union-attr]
    if kind == "relative":
        return inline("relative to the best compliant tender: ", words(s.value))
    if kind == "lowest":
        return inline("relative to the lowest compliant tender (lower is better): ", words(s.value))
    if kind == "scale":
        return inline("panel mark on a published scale: ", words(s.value))
    return inline("by the formula ", words(s.value))


def conditional_chain(expr: n.Expr) -> list[tuple[n.Expr | None, n.Literal]] | None:
    """`100% if A else 50% if B else 0%` as [(A, 100%), (B, 50%), (None, 0%)], or None."""
    chain: list[tuple[n.Expr | None, n.Literal]] = []
    while isinstance(expr, n.Conditional):
        if not (isinstance(expr.then, n.Literal) and expr.then.kind in ("percent", "number")):
            return None
        chain.append((expr.condition, expr.then))
        expr = expr.otherwise
    if not chain or not (isinstance(expr, n.Literal) and expr.kind in ("percent", "number")):
        return None
    chain.append((None, expr))
    return chain


def scores_available(rule: n.Criterion) -> str:
    s = rule.score
    if isinstance(s, n.BandScore):
        values = [b.result.value for b in s.bands]  # type: ignore[union-attr]
        if not any(b.test == "otherwise" for b in s.bands):
            values.append(Decimal(0))
        return _or_list(_distinct(values))
    if isinstance(s, n.ScaleScore):
        return _or_list(_distinct([lv.level.value for lv in s.levels]))  # type: ignore[union-attr, misc]
    if isinstance(s, n.ExprScore):
        chain = conditional_chain(s.value)
        if chain:
            return _or_list(_distinct([lit.value for _, lit in chain]))  # type: ignore[misc]
    return "any score from 0% to 100%"


def _distinct(values: list[Any]) -> list[Decimal]:
    out: list[Decimal] = []
    for v in values:
        if v not in out:
            out.append(v)
    return out


def _or_list(values: list[Decimal]) -> str:
    texts = [show(v, units.PERCENT) for v in values]
    return texts[0] if len(texts) == 1 else ", ".join(texts[:-1]) + " or " + texts[-1]


def method_blocks(
    view: PolicyView,
    crule: CompiledRule,
    env: Env | None,
    *,
    tender_word: str = "the tender",
    with_legend: bool = True,
) -> list[Block]:
    """How a criterion is scored, in words, with its bands or levels as a table."""
    rule = crule.rule
    assert isinstance(rule, n.Criterion)
    s = rule.score
    kind = score_kind(rule)
    blocks: list[Block] = []
    if isinstance(s, n.BandScore):
        blocks.append(
            Paragraph(
                inline(
                    "Scored in bands of ",
                    words(s.value),
                    ". The first band that matches, from the top, gives the score.",
                )
            )
        )
        rows = []
        for band in s.bands:
            if band.test == "otherwise":
                label = inline("anything else")
            else:
                label = inline(
                    "at least " if band.test == "at_least" else "at most ",
                    _known(view, band.threshold, crule, env),
                )
            rows.append((label, inline(show(band.result.value, units.PERCENT))))  # type: ignore[union-attr]
        if not any(b.test == "otherwise" for b in s.bands):
            rows.append((inline("anything else"), inline("0%")))
        blocks.append(Table(("Value", "Score"), tuple(rows), (False, True)))
    elif isinstance(s, n.LinearScore):
        low, high = _known(view, s.low, crule, env), _known(view, s.high, crule, env)
        lower_better = _lower_is_better(view, s, crule, env)
        if lower_better is None:
            text = inline(
                "Scored on a straight line: ",
                words(s.value),
                " at ",
                low,
                " scores 0% and at ",
                high,
                " scores 100%, in proportion in between, and held at 0% and 100% beyond them.",
            )
        elif lower_better:
            text = inline(
                "Scored on a straight line, lower is better: ",
                words(s.value),
                " of ",
                low,
                " or more scores 0%, ",
                high,
                " or less scores 100%, and a value in between scores in proportion.",
            )
        else:
            text = inline(
                "Scored on a straight line: ",
                words(s.value),
                " of ",
                low,
                " or less scores 0%, ",
                high,
                " or more scores 100%, and a value in between scores in proportion.",
            )
        blocks.append(Paragraph(text))
    elif kind == "relative":
        blocks.append(
            Paragraph(
                inline(
                    "Scored relative to the other compliant tenders: ",
                    words(s.value),
                    " divided by the highest such value among the compliant tenders (higher is better). If the highest value is 0, every tender scores 0%.",
                )
            )
        )
    elif kind == "lowest":
        blocks.append(
            Paragraph(
                inline(
                    "Scored relative to the other compliant tenders, lower is better: the lowest ",
                    words(s.value),
                    " among the compliant tenders divided by this tender's. A value of 0 is the best and scores 100%.",
                )
            )
        )
    elif isinstance(s, n.ScaleScore):
        blocks.append(
            Paragraph(
                inline(
                    "Marked by the evaluation panel on a published scale: ",
                    words(s.value),
                    " is the panel's moderated mark, which must be one of these levels. A mark that is not one of them cannot be scored: the tender has no total until it is corrected.",
                )
            )
        )
        rows = [(inline(show(lv.level.value, units.PERCENT)), inline(lv.descriptor)) for lv in s.levels]  # type: ignore[union-attr]
        blocks.append(Table(("Score", "Descriptor"), tuple(rows), (True, False)))
    else:
        chain = conditional_chain(s.value)
        if chain:
            blocks.append(
                Paragraph(inline("Scored by the first of these conditions that holds, from the top:"))
            )
            rows = [
                (
                    inline("otherwise") if cond is None else view.condition(cond),
                    inline(show(lit.value, units.PERCENT if lit.kind == "percent" else units.NUMBER)),
                )
                for cond, lit in chain
            ]
            blocks.append(Table(("Condition", "Score"), tuple(rows), (False, True)))
        else:
            blocks.append(
                Paragraph(
                    inline("Scored by the formula ", words(s.value), ", whose value must be from 0% to 100%.")
                )
            )
    optional = optional_bid_fields(view, [rule.applies, *(let.value for let in rule.lets), s.value])
    if optional:
        names = inline(*joined([inline(code(f"bid.{f}")) for f in optional]))
        blocks.append(
            Paragraph(inline("A tender that does not state ", names, " scores 0% on this criterion."), "note")
        )
    if with_legend:
        legend = view.legend([rule.applies, *_score_exprs(s)], crule, env, tender_word=tender_word)
        if legend:
            blocks.append(legend)
    return blocks


def _score_exprs(s: n.Score) -> list[n.Expr]:
    exprs = [s.value]
    if isinstance(s, n.LinearScore):
        exprs += [s.low, s.high]
    if isinstance(s, n.BandScore):
        exprs += [b.threshold for b in s.bands if b.threshold is not None]
    return exprs


def optional_bid_fields(view: PolicyView, exprs: Iterable[n.Expr | None]) -> list[str]:
    out: list[str] = []
    for expr in exprs:
        for node in walk(expr):
            if isinstance(node, n.Field) and node.root == "bid":
                decl = view.bid_fields.get(node.name)
                if (
                    decl is not None
                    and decl.optional
                    and node.name not in out
                    and not any(m.name == node.name for m in view.policy.measures)
                ):
                    out.append(node.name)
    return out


def _known(view: PolicyView, expr: n.Expr | None, crule: CompiledRule, env: Env | None) -> Inline:
    """An expression in words, with its value when the contract and parameters give it."""
    assert expr is not None
    text = words(expr)
    if isinstance(expr, n.Literal) or env is None:
        return text
    value = _value(view, expr, crule, env)
    if value is NOT_KNOWN:
        return text
    return inline(text, f" (here {show(value, view.checked.types.get(id(expr), ''))})")


def _value(view: PolicyView, expr: n.Expr, crule: CompiledRule, env: Env) -> Any:
    from svrules.engine.compiler import ExprCompiler

    try:
        return ExprCompiler(view.checked, frozenset(crule.let_types))(expr)(env)
    except (Unknown, MissingField, TypeError, KeyError, *RUN_TIME_FAILURES):
        return NOT_KNOWN


def _lower_is_better(view: PolicyView, s: n.LinearScore, crule: CompiledRule, env: Env | None) -> bool | None:
    if isinstance(s.low, n.Literal) and isinstance(s.high, n.Literal):
        return s.low.value > s.high.value  # type: ignore[operator]
    if env is None:
        return None
    low, high = _value(view, s.low, crule, env), _value(view, s.high, crule, env)
    if low is NOT_KNOWN or high is NOT_KNOWN:
        return None
    return bool(low > high)


def applies_words(rule: n.Rule) -> Inline:
    return inline("always") if rule.applies is None else inline("when ", words(rule.applies))
