"""Lark parse tree → typed AST (`nodes`).

Owns the reading of literals (money, numbers, percents, dates, strings) and the shape of
each block: which items a rule takes, which are required, which may appear once. Both
kinds of problem become diagnostics, and building carries on so one run reports them all.
"""

from __future__ import annotations

import re
import textwrap
from datetime import date
from decimal import Decimal
from typing import Any

from lark import Token, Transformer, Tree, v_args
from lark.tree import Meta

from svrules.core.decimals import round_half_up
from svrules.core.diagnostics import Diagnostic
from svrules.core.source import Span
from svrules.language import nodes as n

_MONEY = re.compile(r"£(?P<whole>[0-9][0-9,]*)(?:\.(?P<frac>[0-9]+))?(?P<suffix>[A-Za-z]*)$")
_MULTIPLIERS = {"": 0, "k": 3, "m": 6, "bn": 9}  # powers of ten, applied exactly


def unescape(body: str) -> str:
    """Apply the two escapes of SVR strings, `\\"` and `\\\\`; other backslashes stay."""
    return re.sub(r'\\(["\\])', r"\1", body)


def long_string_value(raw: str) -> str:
    """The value of a `\"\"\"...\"\"\"` string: outer line breaks dropped, indentation removed."""
    body = unescape(raw[3:-3])
    if body.startswith("\n"):
        body = body[1:]
    last_break = body.rfind("\n")
    if last_break >= 0 and not body[last_break + 1 :].strip():
        body = body[:last_break]
    return textwrap.dedent(body)


def token_span(path: str, token: Token) -> Span:
    return Span(path, token.line, token.column, token.end_line, token.end_column)


class _Item:
    """A rule-body line on its way into its rule: kind, value and place."""

    __slots__ = ("kind", "span", "value")

    def __init__(self, kind: str, value: Any, span: Span):
        self.kind = kind
        self.value = value
        self.span = span


_ITEM_WORDS = {
    "ref": "ref",
    "applies": "applies when",
    "let": "let",
    "met_when": "met when",
    "explain": "explain",
    "clause": "clause",
    "weight": "weight",
    "score": "score",
    "unit": "unit",
    "proxy": "proxy",
    "material": "material",
    "rating": "rating",
}
_COMMON = {"ref", "applies", "let", "explain", "clause"}
_ALLOWED = {
    "requirement": _COMMON | {"met_when"},
    "criterion": _COMMON | {"weight", "score"},
    "measure": {"ref", "unit", "proxy"},
    "kpi": _COMMON | {"material", "rating"},
}
_REQUIRED = {
    "requirement": ["met_when"],
    "criterion": ["weight", "score"],
    "measure": ["proxy"],
    "kpi": ["rating"],
}
_REPEATABLE = {"ref", "let"}


@v_args(meta=True)
class AstBuilder(Transformer):
    """Turns the parse tree of one file into a `nodes.Policy`, collecting diagnostics."""

    def __init__(self, path: str):
        super().__init__()
        self.path = path
        self.diagnostics: list[Diagnostic] = []

    # ------------------------------------------------------------ helpers

    def _span(self, meta: Meta) -> Span:
        if getattr(meta, "empty", True):
            return n.NO_SPAN
        return Span(self.path, meta.line, meta.column, meta.end_line, meta.end_column)

    def _tok(self, token: Token) -> Span:
        return token_span(self.path, token)

    def _error(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, message, span, hint))

    def _warn(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        self.diagnostics.append(Diagnostic(code, message, span, hint, severity="warning"))

    # ------------------------------------------------------------ literals

    def string(self, meta: Meta, children: list[Token]) -> n.Text:
        token = children[0]
        if token.type == "LONG_STRING":
            return n.Text(long_string_value(str(token)), True, self._tok(token))
        return n.Text(unescape(str(token)[1:-1]), False, self._tok(token))

    def text(self, meta: Meta, children: list[n.Text]) -> n.Literal:
        t = children[0]
        return n.Literal("text", t.value, t.value, t.span)

    def yes(self, meta: Meta, children: list[Any]) -> n.Literal:
        return n.Literal("yes/no", True, "yes", self._span(meta))

    def no(self, meta: Meta, children: list[Any]) -> n.Literal:
        return n.Literal("yes/no", False, "no", self._span(meta))

    def number(self, meta: Meta, children: list[Token]) -> n.Literal:
        token = children[0]
        value = Decimal(str(token).replace(",", ""))
        return n.Literal("number", self._exact(value, token), str(token), self._tok(token))

    def percent(self, meta: Meta, children: list[Token]) -> n.Literal:
        token = children[0]
        digits = str(token)[:-1].replace(",", "")
        return n.Literal("percent", self._exact(Decimal(f"{digits}E-2"), token), str(token), self._tok(token))

    def date(self, meta: Meta, children: list[Token]) -> n.Literal:
        token = children[0]
        return n.Literal("date", self._date(token), str(token), self._tok(token))

    def _date(self, token: Token) -> date:
        try:
            return date.fromisoformat(str(token))
        except ValueError:
            self._error(
                "invalid-date",
                f"'{token}' is not a real day",
                self._tok(token),
                "dates are YYYY-MM-DD, e.g. 2025-04-01",
            )
            return date(1, 1, 1)

    def money(self, meta: Meta, children: list[Token]) -> n.Literal:
        token = children[0]
        return n.Literal("money", self._exact(self._money(token), token), str(token), self._tok(token))

    def _exact(self, value: Decimal, token: Token) -> Decimal:
        """Literals are held exactly: more than 28 significant digits cannot be computed with."""
        if len(value.as_tuple().digits) > 28:
            self._error(
                "too-many-digits",
                f"'{token}' has more than 28 significant digits",
                self._tok(token),
                "svrules computes with 28 significant digits; write fewer",
            )
        return value

    def _money(self, token: Token) -> Decimal:
        match = _MONEY.match(str(token))
        assert match is not None  # the grammar's MONEY terminal guarantees the shape
        whole, frac, suffix = match["whole"].replace(",", ""), match["frac"], match["suffix"]
        span = self._tok(token)
        if suffix not in _MULTIPLIERS:
            lowered = suffix.lower()
            hint = (
                f"write the multiplier in lower case: £{match['whole']}{lowered}"
                if lowered in _MULTIPLIERS
                else "amounts end in k (thousand), m (million) or bn (billion), or nothing"
            )
            self._error("bad-money", f"'{token}' is not an amount of money", span, hint)
            return Decimal(0)
        value = Decimal(f"{whole}.{frac or '0'}E{_MULTIPLIERS[suffix]}")
        if not suffix and frac is not None and len(frac) != 2:
            if len(frac) < 2:
                self._error(
                    "bad-money",
                    f"'{token}' has {len(frac)} digit of pence",
                    span,
                    f"write pence with two digits: £{whole}.{frac.ljust(2, '0')}",
                )
            else:
                self._error(
                    "bad-money",
                    f"'{token}' has a fraction of a penny",
                    span,
                    "amounts of money are whole pence, e.g. £12.60",
                )
        elif value != round_half_up(value, 2):
            self._error(
                "bad-money", f"'{token}' has a fraction of a penny", span, "amounts of money are whole pence"
            )
        return value

    def list(self, meta: Meta, children: list[Any]) -> n.ListLiteral:
        items = tuple(c for c in children if c is not None)
        for item in items:
            if isinstance(item, n.Literal) and item.kind == "number" and "," in item.text:
                self._warn(
                    "ambiguous-comma",
                    f"'{item.text}' is read as the single number {item.value}",
                    item.span,
                    "put a space after a comma that separates items: [100, 200]",
                )
        return n.ListLiteral(items, self._span(meta))

    # ------------------------------------------------------------ expressions

    def name(self, meta: Meta, children: list[Token]) -> n.Name:
        return n.Name(str(children[0]), self._tok(children[0]))

    def field(self, meta: Meta, children: list[Token]) -> n.Field:
        root, name = children
        return n.Field(str(root), str(name), self._span(meta))

    def call(self, meta: Meta, children: list[Any]) -> n.Call:
        func, *args = children
        return n.Call(str(func), tuple(a for a in args if a is not None), self._span(meta), self._tok(func))

    def negate(self, meta: Meta, children: list[Any]) -> n.Expr:
        operand = children[-1]
        if isinstance(operand, n.Literal) and operand.kind in ("money", "number", "percent"):
            value = -operand.value  # type: ignore[operator]
            return n.Literal(operand.kind, value, "-" + operand.text, self._span(meta))
        return n.Negate(operand, self._span(meta))

    def binary(self, meta: Meta, children: list[Any]) -> n.Binary:
        left, op, right = children
        return n.Binary(str(op), left, right, self._span(meta))

    def compare(self, meta: Meta, children: list[Any]) -> n.Compare:
        left, op, right = children
        return n.Compare(str(op), left, right, self._span(meta))

    def in_op(self, meta: Meta, children: list[Any]) -> n.Compare:
        return n.Compare("in", children[0], children[1], self._span(meta))

    def not_in_op(self, meta: Meta, children: list[Any]) -> n.Compare:
        return n.Compare("not in", children[0], children[1], self._span(meta))

    def and_op(self, meta: Meta, children: list[Any]) -> n.Logical:
        return n.Logical("and", children[0], children[1], self._span(meta))

    def or_op(self, meta: Meta, children: list[Any]) -> n.Logical:
        return n.Logical("or", children[0], children[1], self._span(meta))

    def not_op(self, meta: Meta, children: list[Any]) -> n.Not:
        return n.Not(children[0], self._span(meta))

    def conditional(self, meta: Meta, children: list[Any]) -> n.Conditional:
        then, condition, otherwise = children
        return n.Conditional(then, condition, otherwise, self._span(meta))

    # ------------------------------------------------------------ policy items

    def version(self, meta: Meta, children: list[Any]) -> _Item:
        return _Item("version", children[0], self._span(meta))

    def authority(self, meta: Meta, children: list[Any]) -> _Item:
        return _Item("authority", children[0], self._span(meta))

    def effective(self, meta: Meta, children: list[Token]) -> _Item:
        return _Item("effective", self._date(children[0]), self._span(meta))

    def summary(self, meta: Meta, children: list[Any]) -> _Item:
        return _Item("summary", children[0], self._span(meta))

    def applies(self, meta: Meta, children: list[Any]) -> _Item:
        return _Item("applies", children[0], self._span(meta))

    def field_type(self, meta: Meta, children: list[Token]) -> Token:
        return children[0]

    def one_of(self, meta: Meta, children: list[Any]) -> n.ListLiteral:
        return children[0]

    def range(self, meta: Meta, children: list[Any]) -> tuple[Any, Any]:
        return children[0], children[1]

    def field_decl(self, meta: Meta, children: list[Any]) -> n.FieldDecl:
        name, ftype, one_of, bounds, optional, description = children
        low, high = bounds if bounds else (None, None)
        return n.FieldDecl(
            str(name),
            str(ftype),
            one_of,
            low,
            high,
            optional is not None,
            description.value if description else None,
            self._span(meta),
            self._tok(ftype),
        )

    def contract_block(self, meta: Meta, children: list[Any]) -> _Item:
        return _Item("contract", tuple(children), self._span(meta))

    def bid_block(self, meta: Meta, children: list[Any]) -> _Item:
        return _Item("bid", tuple(children), self._span(meta))

    def delivery_block(self, meta: Meta, children: list[Any]) -> _Item:
        return _Item("delivery", tuple(children), self._span(meta))

    def param_value(self, meta: Meta, children: list[Any]) -> n.ParamValue:
        value, start = children
        start_lit = n.Literal("date", self._date(start), str(start), self._tok(start)) if start else None
        return n.ParamValue(value, start_lit, self._span(meta))

    def param(self, meta: Meta, children: list[Any]) -> _Item:
        name, *values = children
        param = n.Param(str(name), tuple(values), self._span(meta), self._tok(name))
        return _Item("param", param, self._span(meta))

    # ------------------------------------------------------------ rule items

    def ref(self, meta: Meta, children: list[Any]) -> _Item:
        return _Item("ref", children[0], self._span(meta))

    def let(self, meta: Meta, children: list[Any]) -> _Item:
        name, value = children
        return _Item("let", n.Let(str(name), value, self._span(meta), self._tok(name)), self._span(meta))

    def met_when(self, meta: Meta, children: list[Any]) -> _Item:
        return _Item("met_when", children[0], self._span(meta))

    def explain(self, meta: Meta, children: list[Any]) -> _Item:
        text = children[0]
        return _Item("explain", n.Template(text, False, text.span), self._span(meta))

    def clause_text(self, meta: Meta, children: list[Any]) -> _Item:
        text = children[0]
        clause = n.Clause(n.Template(text, False, text.span), None, self._span(meta))
        return _Item("clause", clause, self._span(meta))

    def clause_file(self, meta: Meta, children: list[Any]) -> _Item:
        text = children[0]
        # The file is read by the checker, which owns the policy's folder and its limits.
        clause = n.Clause(n.Template(text, True, text.span), text.value, self._span(meta))
        return _Item("clause", clause, self._span(meta))

    def weight(self, meta: Meta, children: list[Any]) -> _Item:
        return _Item("weight", children[0], self._span(meta))

    def unit(self, meta: Meta, children: list[Any]) -> _Item:
        return _Item("unit", children[0], self._span(meta))

    def proxy(self, meta: Meta, children: list[Any]) -> _Item:
        return _Item("proxy", children[0], self._span(meta))

    def material(self, meta: Meta, children: list[Any]) -> _Item:
        return _Item("material", True, self._span(meta))

    def at_least(self, meta: Meta, children: list[Any]) -> tuple[str, Any]:
        return "at_least", children[-1]

    def at_most(self, meta: Meta, children: list[Any]) -> tuple[str, Any]:
        return "at_most", children[-1]

    def otherwise(self, meta: Meta, children: list[Any]) -> tuple[str, Any]:
        return "otherwise", None

    def band(self, meta: Meta, children: list[Any]) -> n.Band:
        (test, threshold), result = children
        return n.Band(test, threshold, result, self._span(meta), getattr(result, "span", n.NO_SPAN))

    def rating_line(self, meta: Meta, children: list[Any]) -> n.Band:
        (test, threshold), rating = children
        return n.Band(test, threshold, str(rating), self._span(meta), self._tok(rating))

    def scale_level(self, meta: Meta, children: list[Any]) -> n.ScaleLevel:
        level, descriptor = children
        return n.ScaleLevel(level, descriptor.value, self._span(meta))

    def score_expr(self, meta: Meta, children: list[Any]) -> _Item:
        return _Item("score", n.ExprScore(children[0], self._span(meta)), self._span(meta))

    def score_bands(self, meta: Meta, children: list[Any]) -> _Item:
        value, *bands = children
        return _Item("score", n.BandScore(value, tuple(bands), self._span(meta)), self._span(meta))

    def score_linear(self, meta: Meta, children: list[Any]) -> _Item:
        value, low, high = children
        return _Item("score", n.LinearScore(value, low, high, self._span(meta)), self._span(meta))

    def score_relative(self, meta: Meta, children: list[Any]) -> _Item:
        return _Item("score", n.RelativeScore(children[0], False, self._span(meta)), self._span(meta))

    def score_lowest(self, meta: Meta, children: list[Any]) -> _Item:
        return _Item("score", n.RelativeScore(children[0], True, self._span(meta)), self._span(meta))

    def score_scale(self, meta: Meta, children: list[Any]) -> _Item:
        value, *levels = children
        return _Item("score", n.ScaleScore(value, tuple(levels), self._span(meta)), self._span(meta))

    def rating(self, meta: Meta, children: list[Any]) -> _Item:
        value, *lines = children
        return _Item("rating", n.Rating(value, tuple(lines), self._span(meta)), self._span(meta))

    # ------------------------------------------------------------ rules and themes

    def _rule(self, kind: str, meta: Meta, children: list[Any]) -> n.Rule | None:
        name, title, *items = children
        name_span = self._tok(name)
        found: dict[str, list[_Item]] = {}
        for item in items:
            if item.kind not in _ALLOWED[kind]:
                self._error(
                    "item-not-allowed",
                    f"a {kind} does not take '{_ITEM_WORDS[item.kind]}'",
                    item.span,
                    f"a {kind} takes: " + ", ".join(sorted(_ITEM_WORDS[k] for k in _ALLOWED[kind])),
                )
                continue
            if item.kind in found and item.kind not in _REPEATABLE:
                self._error(
                    "duplicate-item",
                    f"'{_ITEM_WORDS[item.kind]}' is given twice in {kind} '{name}'",
                    item.span,
                    "keep one of them",
                )
                continue
            found.setdefault(item.kind, []).append(item)
        missing = [k for k in _REQUIRED[kind] if k not in found]
        for k in missing:
            self._error(
                "missing-item",
                f"{kind} '{name}' has no '{_ITEM_WORDS[k]}'",
                name_span,
                f"add a '{_ITEM_WORDS[k]}' line to the {kind}",
            )
        if missing:
            return None

        def one(k: str) -> Any:
            return found[k][0].value if k in found else None

        base = {
            "name": str(name),
            "title": title.value,
            "theme": None,
            "refs": tuple(i.value for i in found.get("ref", [])),
            "applies": one("applies"),
            "lets": tuple(i.value for i in found.get("let", [])),
            "explain": one("explain"),
            "clause": one("clause"),
            "span": self._span(meta),
            "name_span": name_span,
        }
        if kind == "requirement":
            return n.Requirement(**base, met_when=one("met_when"))
        if kind == "criterion":
            return n.Criterion(**base, weight=one("weight"), score=one("score"))
        if kind == "measure":
            return n.Measure(**base, unit=one("unit"), proxy=one("proxy"))
        return n.Kpi(**base, material=bool(one("material")), rating=one("rating"))

    def requirement(self, meta: Meta, children: list[Any]) -> _Item:
        return _Item("rule", self._rule("requirement", meta, children), self._span(meta))

    def criterion(self, meta: Meta, children: list[Any]) -> _Item:
        return _Item("rule", self._rule("criterion", meta, children), self._span(meta))

    def measure(self, meta: Meta, children: list[Any]) -> _Item:
        return _Item("rule", self._rule("measure", meta, children), self._span(meta))

    def kpi(self, meta: Meta, children: list[Any]) -> _Item:
        return _Item("rule", self._rule("kpi", meta, children), self._span(meta))

    def theme(self, meta: Meta, children: list[Any]) -> _Item:
        name, title, *rules = children
        theme = n.Theme(str(name), title.value, self._span(meta), self._tok(name))
        placed = tuple(_replace_theme(item.value, str(name)) for item in rules if item.value is not None)
        return _Item("theme", (theme, placed), self._span(meta))

    # ------------------------------------------------------------ the policy

    def policy(self, meta: Meta, children: list[Any]) -> n.Policy:
        name, title, *items = children
        single: dict[str, Any] = {}
        params: list[n.Param] = []
        themes: list[n.Theme] = []
        rules: list[n.Rule] = []
        sections: list[tuple[str, Span]] = []
        for item in items:
            sections.append((item.kind, item.span))
            if item.kind == "param":
                params.append(item.value)
            elif item.kind == "theme":
                themes.append(item.value[0])
                rules.extend(item.value[1])
            elif item.kind == "rule":
                if item.value is not None:
                    rules.append(item.value)
            elif item.kind in single:
                word = {"applies": "applies when"}.get(item.kind, item.kind)
                self._error(
                    "duplicate-item",
                    f"the policy has more than one '{word}'",
                    item.span,
                    "keep one of them"
                    if item.kind not in ("contract", "bid", "delivery")
                    else f"declare every {item.kind} field in one '{item.kind}:' block",
                )
            else:
                single[item.kind] = item.value
        return n.Policy(
            name=str(name),
            title=title.value,
            version=single["version"].value if "version" in single else None,
            authority=single["authority"].value if "authority" in single else None,
            effective=single.get("effective"),
            summary=single["summary"].value if "summary" in single else None,
            applies=single.get("applies"),
            contract=single.get("contract", ()),
            bid=single.get("bid", ()),
            delivery=single.get("delivery", ()),
            params=tuple(params),
            themes=tuple(themes),
            rules=tuple(rules),
            span=self._span(meta),
            name_span=self._tok(name),
            sections=tuple(sections),
        )

    def start(self, meta: Meta, children: list[Any]) -> n.Policy:
        return children[-1]


def _replace_theme(rule: n.Rule, theme: str) -> n.Rule:
    from dataclasses import replace

    return replace(rule, theme=theme)


def build(tree: Tree, path: str) -> tuple[n.Policy, list[Diagnostic]]:
    """Build the AST of one parsed file; the diagnostics are the builder's own."""
    builder = AstBuilder(path)
    policy = builder.transform(tree)
    return policy, builder.diagnostics
