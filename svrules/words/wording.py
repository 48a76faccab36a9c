"""Values and expressions in words, as a policy lead writes them: `show` for a typed value
(`£2,400,000`, `25%`), `pct` and `points` for scores, `words` for an expression (names in
code, × ÷ ≥ for operators), `walk` over an expression's nodes.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from svrules.core.decimals import number_text
from svrules.language import nodes as n
from svrules.language import units
from svrules.language.templates import render_value, typed
from svrules.words.runs import Inline, code, inline

_PERCENT_TYPES = (units.PERCENT,)


def show(value: Any, type_: str) -> str:
    """A value as a policy lead writes it (`£2,400,000`, `25%`, `1 April 2025`)."""
    return "not stated" if value is None else render_value(typed(value, type_))


def pct(value: Decimal | None) -> str:
    """A fraction as a percentage to two places, for scores and weights."""
    return "—" if value is None else number_text(value.scaleb(2), 2) + "%"


def points(value: Decimal | None) -> str:
    """Points as marks out of 100 for the whole tender, to two places."""
    return "—" if value is None else number_text(value.scaleb(2), 2)


def _literal(lit: n.Literal) -> str:
    if lit.kind == "text":
        return f'"{lit.value}"'
    if lit.kind == "yes/no":
        return "yes" if lit.value else "no"
    return show(lit.value, lit.kind)


_OPS = {"*": "×", "/": "÷", "+": "+", "-": "−"}
_CMP = {"==": "=", "!=": "≠", "<": "<", "<=": "≤", ">": ">", ">=": "≥"}
_PREC = {"+": 6, "-": 6, "*": 7, "/": 7}


def words(expr: n.Expr, prec: int = 0) -> Inline:
    """An expression in readable form: names in code, × ÷ ≥ for operators, values written out."""
    own, out = _words(expr)
    return inline("(", out, ")") if own < prec else out


def _words(expr: n.Expr) -> tuple[int, Inline]:
    if isinstance(expr, n.Literal):
        return 9, inline(_literal(expr))
    if isinstance(expr, n.ListLiteral):
        return 9, inline(", ".join(_literal(i) for i in expr.items if isinstance(i, n.Literal)))
    if isinstance(expr, n.Field):
        return 9, inline(code(expr.dotted))
    if isinstance(expr, n.Name):
        return 9, inline(code(expr.name))
    if isinstance(expr, n.Negate):
        return 8, inline("−", words(expr.operand, 8))
    if isinstance(expr, n.Binary):
        p = _PREC[expr.op]
        return p, inline(words(expr.left, p), f" {_OPS[expr.op]} ", words(expr.right, p + 1))
    if isinstance(expr, n.Compare):
        if expr.op in ("in", "not in"):
            word = " is one of " if expr.op == "in" else " is not one of "
            return 5, inline(words(expr.left, 6), word, words(expr.right, 6))
        return 5, inline(words(expr.left, 6), f" {_CMP[expr.op]} ", words(expr.right, 6))
    if isinstance(expr, n.Logical):
        p = 3 if expr.op == "and" else 2
        return p, inline(words(expr.left, p), f" {expr.op} ", words(expr.right, p + 1))
    if isinstance(expr, n.Not):
        return 4, inline("not ", words(expr.operand, 4))
    if isinstance(expr, n.Conditional):
        return 1, inline(
            words(expr.then, 2), " if ", words(expr.condition, 2), ", otherwise ", words(expr.otherwise, 1)
        )
    assert isinstance(expr, n.Call)
    return 1, _call_words(expr)


def _call_words(expr: n.Call) -> Inline:
    args = expr.args
    fn = expr.function
    if fn in ("ceil", "floor"):
        return inline(words(args[0], 2), ", rounded up" if fn == "ceil" else ", rounded down")
    if fn == "round":
        places = args[1].value if isinstance(args[1], n.Literal) else None
        to = "a whole number" if places == 0 else f"{show(places, units.NUMBER)} decimal places"
        return inline(words(args[0], 2), f", rounded to {to}")
    if fn == "abs":
        return inline("the absolute value of ", words(args[0], 9))
    if fn == "clamp":
        return inline(words(args[0], 2), ", kept between ", words(args[1], 6), " and ", words(args[2], 6))
    word = {"min": ("lower", "lowest"), "max": ("higher", "highest")}[fn][len(args) > 2]
    parts: list[Any] = [f"the {word} of "]
    for i, arg in enumerate(args):
        if i:
            parts.append(" and " if i == len(args) - 1 else ", ")
        parts.append(words(arg, 6))
    return inline(*parts)


walk = n.walk


def uses_bid(expr: n.Expr | None) -> bool:
    """Whether the value depends on the bid: a `bid.` field or the bid's `social_value`."""
    return any(
        (isinstance(e, n.Field) and e.root == "bid") or (isinstance(e, n.Name) and e.name == "social_value")
        for e in walk(expr)
    )


def joined(items: list[Inline]) -> list[Any]:
    out: list[Any] = []
    for i, item in enumerate(items):
        if i:
            out.append(" and " if i == len(items) - 1 else ", ")
        out.append(item)
    return out
