"""Lark parse tree → typed AST (`nodes`).

Owns the reading of literals (money, numbers, percents, dates, strings) and the shape of
each block: which items a rule takes, which are required, which may appear once. Both
kinds of problem become diagnostics, and building carries on so one run reports them all.
"""

from __future__ import annotations

import datetime as dt
import re
import textwrap
from collections.abc import Callable
from decimal import Decimal
from typing import Literal as TypingLiteral
from typing import NamedTuple, TypedDict, TypeVar

from lark import Token, Transformer, Tree, v_args
from lark.tree import Meta

from svrules.core.decimals import round_half_up
from svrules.core.diagnostics import Diagnostic
from svrules.core.literals import MONEY_MULTIPLIERS, money_value
from svrules.core.source import Span
from svrules.language import nodes as n

_MONEY = re.compile(r"£(?P<whole>[0-9][0-9,]*)(?:\.(?P<frac>[0-9]+))?(?P<suffix>[A-Za-z]*)$")


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
    """Where a lexed token is (the lexer gives every token of a parse tree its place)."""
    line, column, end_line, end_column = token.line, token.column, token.end_line, token.end_column
    if line is None or column is None or end_line is None or end_column is None:
        raise ValueError(f"the token {token!r} has no place in the source")
    return Span(path, line, column, end_line, end_column)


class _Item:
    """A policy or rule-body line on its way into its block: kind, value and place.

    Lark hands items over untyped, so `value` is read back through the `_as…` checks,
    by the type that the item's callback built for its kind.
    """

    __slots__ = ("kind", "span", "value")

    def __init__(self, kind: str, value: object, span: Span):
        self.kind = kind
        self.value = value
        self.span = span


class _Themed(NamedTuple):
    """A `theme` block's value: the theme and its rules, each placed in it."""

    theme: n.Theme
    rules: tuple[n.Rule, ...]


_T = TypeVar("_T")
_Narrow = Callable[[object], _T]
_BandTest = tuple[TypingLiteral["at_least", "at_most", "otherwise"], n.Expr | None]


def _built(what: str, value: object) -> TypeError:
    return TypeError(f"the builder expected {what} here, not {type(value).__name__}")


def _as(cls: type[_T]) -> _Narrow[_T]:
    """A check that an item's value is the `cls` its callback builds."""

    def narrow(value: object) -> _T:
        if isinstance(value, cls):
            return value
        raise _built(cls.__name__, value)

    return narrow


def _as_expr(value: object) -> n.Expr:
    if isinstance(value, n.Expr):
        return value
    raise _built("an expression", value)


def _as_score(value: object) -> n.Score:
    if isinstance(value, n.Score):
        return value
    raise _built("a score", value)


def _as_rule(value: object) -> n.Rule:
    if isinstance(value, n.Rule):
        return value
    raise _built("a rule", value)


def _as_fields(value: object) -> tuple[n.FieldDecl, ...]:
    if isinstance(value, tuple):
        return tuple(map(_as(n.FieldDecl), value))
    raise _built("field declarations", value)


class _Found:
    """The items of one block by kind, in order, each read back as its kind's type."""

    def __init__(self) -> None:
        self._values: dict[str, list[object]] = {}

    def __contains__(self, kind: str) -> bool:
        return kind in self._values

    def add(self, item: _Item) -> None:
        self._values.setdefault(item.kind, []).append(item.value)

    def every(self, kind: str, narrow: _Narrow[_T]) -> tuple[_T, ...]:
        return tuple(map(narrow, self._values.get(kind, ())))

    def first(self, kind: str, narrow: _Narrow[_T]) -> _T | None:
        values = self._values.get(kind)
        return narrow(values[0]) if values else None

    def one(self, kind: str, narrow: _Narrow[_T]) -> _T:
        """A required item, present once its block has been checked."""
        return narrow(self._values[kind][0])


class _RuleFields(TypedDict):
    """What every kind of rule is built with (`nodes.RuleBase`)."""

    name: str
    title: str
    theme: str | None
    refs: tuple[n.Text, ...]
    applies: n.Expr | None
    lets: tuple[n.Let, ...]
    explain: n.Template | None
    clause: n.Clause | None
    span: Span
    name_span: Span


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


@v_args(meta=True, inline=True)
class AstBuilder(Transformer[Token, n.Policy]):
    """Turns the parse tree of one file into a `nodes.Policy`, collecting diagnostics.

    Each callback takes its grammar rule's children as arguments, typed as the grammar
    makes them: a terminal is a `Token`, an `expr` an `n.Expr`, a `string` an `n.Text`,
    and an optional `[...]` part is None when it is absent.
    """

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

    def string(self, meta: Meta, token: Token) -> n.Text:
        if token.type == "LONG_STRING":
            return n.Text(long_string_value(str(token)), True, self._tok(token))
        return n.Text(unescape(str(token)[1:-1]), False, self._tok(token))

    def text(self, meta: Meta, text: n.Text) -> n.Literal:
        return n.Literal("text", text.value, text.value, text.span)

    def yes(self, meta: Meta) -> n.Literal:
        return n.Literal("yes/no", True, "yes", self._span(meta))

    def no(self, meta: Meta) -> n.Literal:
        return n.Literal("yes/no", False, "no", self._span(meta))

    def number(self, meta: Meta, token: Token) -> n.Literal:
        value = Decimal(str(token).replace(",", ""))
        return n.Literal("number", self._exact(value, token), str(token), self._tok(token))

    def percent(self, meta: Meta, token: Token) -> n.Literal:
        digits = str(token)[:-1].replace(",", "")
        return n.Literal("percent", self._exact(Decimal(f"{digits}E-2"), token), str(token), self._tok(token))

    def date(self, meta: Meta, token: Token) -> n.Literal:
        return n.Literal("date", self._date(token), str(token), self._tok(token))

    def _date(self, token: Token) -> dt.date:
        try:
            return dt.date.fromisoformat(str(token))
        except ValueError:
            self._error(
                "invalid-date",
                f"'{token}' is not a real day",
                self._tok(token),
                "dates are YYYY-MM-DD, e.g. 2025-04-01",
            )
            return dt.date(1, 1, 1)

    def money(self, meta: Meta, token: Token) -> n.Literal:
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
        if suffix not in MONEY_MULTIPLIERS:
            lowered = suffix.lower()
            hint = (
                f"write the multiplier in lower case: £{match['whole']}{lowered}"
                if lowered in MONEY_MULTIPLIERS
                else "amounts end in k (thousand), m (million) or bn (billion), or nothing"
            )
            self._error("bad-money", f"'{token}' is not an amount of money", span, hint)
            return Decimal(0)
        value = money_value(whole, frac, suffix)
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

    def list(self, meta: Meta, *items: n.Expr | None) -> n.ListLiteral:
        present = tuple(item for item in items if item is not None)
        for item in present:
            if isinstance(item, n.Literal) and item.kind == "number" and "," in item.text:
                self._warn(
                    "ambiguous-comma",
                    f"'{item.text}' is read as the single number {item.value}",
                    item.span,
                    "put a space after a comma that separates items: [100, 200]",
                )
        return n.ListLiteral(present, self._span(meta))

    # ------------------------------------------------------------ expressions

    def name(self, meta: Meta, token: Token) -> n.Name:
        return n.Name(str(token), self._tok(token))

    def field(self, meta: Meta, root: Token, name: Token) -> n.Field:
        return n.Field(str(root), str(name), self._span(meta))

    def call(self, meta: Meta, function: Token, *args: n.Expr | None) -> n.Call:
        present = tuple(arg for arg in args if arg is not None)
        return n.Call(str(function), present, self._span(meta), self._tok(function))

    def negate(self, meta: Meta, operand: n.Expr) -> n.Expr:
        if (
            isinstance(operand, n.Literal)
            and operand.kind in ("money", "number", "percent")
            and isinstance(operand.value, Decimal)
        ):
            return n.Literal(operand.kind, -operand.value, "-" + operand.text, self._span(meta))
        return n.Negate(operand, self._span(meta))

    def binary(self, meta: Meta, left: n.Expr, op: Token, right: n.Expr) -> n.Binary:
        return n.Binary(str(op), left, right, self._span(meta))

    def compare(self, meta: Meta, left: n.Expr, op: Token, right: n.Expr) -> n.Compare:
        return n.Compare(str(op), left, right, self._span(meta))

    def in_op(self, meta: Meta, left: n.Expr, right: n.Expr) -> n.Compare:
        return n.Compare("in", left, right, self._span(meta))

    def not_in_op(self, meta: Meta, left: n.Expr, right: n.Expr) -> n.Compare:
        return n.Compare("not in", left, right, self._span(meta))

    def and_op(self, meta: Meta, left: n.Expr, right: n.Expr) -> n.Logical:
        return n.Logical("and", left, right, self._span(meta))

    def or_op(self, meta: Meta, left: n.Expr, right: n.Expr) -> n.Logical:
        return n.Logical("or", left, right, self._span(meta))

    def not_op(self, meta: Meta, operand: n.Expr) -> n.Not:
        return n.Not(operand, self._span(meta))

    def conditional(self, meta: Meta, then: n.Expr, condition: n.Expr, otherwise: n.Expr) -> n.Conditional:
        return n.Conditional(then, condition, otherwise, self._span(meta))

    # ------------------------------------------------------------ policy items

    def version(self, meta: Meta, text: n.Text) -> _Item:
        return _Item("version", text, self._span(meta))

    def authority(self, meta: Meta, text: n.Text) -> _Item:
        return _Item("authority", text, self._span(meta))

    def effective(self, meta: Meta, token: Token) -> _Item:
        return _Item("effective", self._date(token), self._span(meta))

    def summary(self, meta: Meta, text: n.Text) -> _Item:
        return _Item("summary", text, self._span(meta))

    def applies(self, meta: Meta, condition: n.Expr) -> _Item:
        return _Item("applies", condition, self._span(meta))

    def field_type(self, meta: Meta, token: Token) -> Token:
        return token

    def one_of(self, meta: Meta, options: n.ListLiteral) -> n.ListLiteral:
        return options

    def range(self, meta: Meta, low: n.Expr, high: n.Expr) -> tuple[n.Expr, n.Expr]:
        return low, high

    def field_decl(
        self,
        meta: Meta,
        name: Token,
        ftype: Token,
        one_of: n.ListLiteral | None,
        bounds: tuple[n.Expr, n.Expr] | None,
        optional: Token | None,
        description: n.Text | None,
    ) -> n.FieldDecl:
        low, high = bounds if bounds is not None else (None, None)
        return n.FieldDecl(
            str(name),
            str(ftype),
            one_of,
            low,
            high,
            optional is not None,
            description.value if description is not None else None,
            self._span(meta),
            self._tok(ftype),
        )

    def contract_block(self, meta: Meta, *fields: n.FieldDecl) -> _Item:
        return _Item("contract", fields, self._span(meta))

    def bid_block(self, meta: Meta, *fields: n.FieldDecl) -> _Item:
        return _Item("bid", fields, self._span(meta))

    def delivery_block(self, meta: Meta, *fields: n.FieldDecl) -> _Item:
        return _Item("delivery", fields, self._span(meta))

    def param_value(self, meta: Meta, value: n.Expr, start: Token | None) -> n.ParamValue:
        start_lit = (
            n.Literal("date", self._date(start), str(start), self._tok(start)) if start is not None else None
        )
        return n.ParamValue(value, start_lit, self._span(meta))

    def param(self, meta: Meta, name: Token, *values: n.ParamValue) -> _Item:
        param = n.Param(str(name), values, self._span(meta), self._tok(name))
        return _Item("param", param, self._span(meta))

    # ------------------------------------------------------------ rule items

    def ref(self, meta: Meta, text: n.Text) -> _Item:
        return _Item("ref", text, self._span(meta))

    def let(self, meta: Meta, name: Token, value: n.Expr) -> _Item:
        return _Item("let", n.Let(str(name), value, self._span(meta), self._tok(name)), self._span(meta))

    def met_when(self, meta: Meta, condition: n.Expr) -> _Item:
        return _Item("met_when", condition, self._span(meta))

    def explain(self, meta: Meta, text: n.Text) -> _Item:
        return _Item("explain", n.Template(text, False, text.span), self._span(meta))

    def clause_text(self, meta: Meta, text: n.Text) -> _Item:
        clause = n.Clause(n.Template(text, False, text.span), None, self._span(meta))
        return _Item("clause", clause, self._span(meta))

    def clause_file(self, meta: Meta, path: n.Text) -> _Item:
        # The file is read by the checker, which owns the policy's folder and its limits.
        clause = n.Clause(n.Template(path, True, path.span), path.value, self._span(meta))
        return _Item("clause", clause, self._span(meta))

    def weight(self, meta: Meta, value: n.Expr) -> _Item:
        return _Item("weight", value, self._span(meta))

    def unit(self, meta: Meta, text: n.Text) -> _Item:
        return _Item("unit", text, self._span(meta))

    def proxy(self, meta: Meta, value: n.Expr) -> _Item:
        return _Item("proxy", value, self._span(meta))

    def material(self, meta: Meta) -> _Item:
        return _Item("material", True, self._span(meta))

    def at_least(self, meta: Meta, threshold: n.Expr) -> _BandTest:
        return "at_least", threshold

    def at_most(self, meta: Meta, threshold: n.Expr) -> _BandTest:
        return "at_most", threshold

    def otherwise(self, meta: Meta) -> _BandTest:
        return "otherwise", None

    def band(self, meta: Meta, test: _BandTest, result: n.Expr) -> n.Band:
        kind, threshold = test
        return n.Band(kind, threshold, result, self._span(meta), result.span)

    def rating_line(self, meta: Meta, test: _BandTest, rating: Token) -> n.Band:
        kind, threshold = test
        return n.Band(kind, threshold, str(rating), self._span(meta), self._tok(rating))

    def scale_level(self, meta: Meta, level: n.Expr, descriptor: n.Text) -> n.ScaleLevel:
        return n.ScaleLevel(level, descriptor.value, self._span(meta))

    def score_expr(self, meta: Meta, value: n.Expr) -> _Item:
        return _Item("score", n.ExprScore(value, self._span(meta)), self._span(meta))

    def score_bands(self, meta: Meta, value: n.Expr, *bands: n.Band) -> _Item:
        return _Item("score", n.BandScore(value, bands, self._span(meta)), self._span(meta))

    def score_linear(self, meta: Meta, value: n.Expr, low: n.Expr, high: n.Expr) -> _Item:
        return _Item("score", n.LinearScore(value, low, high, self._span(meta)), self._span(meta))

    def score_relative(self, meta: Meta, value: n.Expr) -> _Item:
        return _Item("score", n.RelativeScore(value, False, self._span(meta)), self._span(meta))

    def score_lowest(self, meta: Meta, value: n.Expr) -> _Item:
        return _Item("score", n.RelativeScore(value, True, self._span(meta)), self._span(meta))

    def score_scale(self, meta: Meta, value: n.Expr, *levels: n.ScaleLevel) -> _Item:
        return _Item("score", n.ScaleScore(value, levels, self._span(meta)), self._span(meta))

    def rating(self, meta: Meta, value: n.Expr, *lines: n.Band) -> _Item:
        return _Item("rating", n.Rating(value, lines, self._span(meta)), self._span(meta))

    # ------------------------------------------------------------ rules and themes

    def _rule_items(self, kind: str, name: Token, items: tuple[_Item, ...]) -> _Found | None:
        """A rule's items, each one it does not take or has twice reported and left out;
        None when an item it requires is missing (and reported).
        """
        found = _Found()
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
            found.add(item)
        missing = [k for k in _REQUIRED[kind] if k not in found]
        for k in missing:
            self._error(
                "missing-item",
                f"{kind} '{name}' has no '{_ITEM_WORDS[k]}'",
                self._tok(name),
                f"add a '{_ITEM_WORDS[k]}' line to the {kind}",
            )
        return None if missing else found

    def _rule(
        self, kind: str, meta: Meta, name: Token, title: n.Text, items: tuple[_Item, ...]
    ) -> n.Rule | None:
        found = self._rule_items(kind, name, items)
        if found is None:
            return None
        base = _RuleFields(
            name=str(name),
            title=title.value,
            theme=None,
            refs=found.every("ref", _as(n.Text)),
            applies=found.first("applies", _as_expr),
            lets=found.every("let", _as(n.Let)),
            explain=found.first("explain", _as(n.Template)),
            clause=found.first("clause", _as(n.Clause)),
            span=self._span(meta),
            name_span=self._tok(name),
        )
        if kind == "requirement":
            return n.Requirement(**base, met_when=found.one("met_when", _as_expr))
        if kind == "criterion":
            # Any expression is kept as the weight, for the checker to report one that is not a
            # written percent.
            weight = found.one("weight", _as_expr)
            return n.Criterion(**base, weight=weight, score=found.one("score", _as_score))
        if kind == "measure":
            return n.Measure(
                **base, unit=found.first("unit", _as(n.Text)), proxy=found.one("proxy", _as_expr)
            )
        return n.Kpi(**base, material="material" in found, rating=found.one("rating", _as(n.Rating)))

    def requirement(self, meta: Meta, name: Token, title: n.Text, *items: _Item) -> _Item:
        return _Item("rule", self._rule("requirement", meta, name, title, items), self._span(meta))

    def criterion(self, meta: Meta, name: Token, title: n.Text, *items: _Item) -> _Item:
        return _Item("rule", self._rule("criterion", meta, name, title, items), self._span(meta))

    def measure(self, meta: Meta, name: Token, title: n.Text, *items: _Item) -> _Item:
        return _Item("rule", self._rule("measure", meta, name, title, items), self._span(meta))

    def kpi(self, meta: Meta, name: Token, title: n.Text, *items: _Item) -> _Item:
        return _Item("rule", self._rule("kpi", meta, name, title, items), self._span(meta))

    def theme(self, meta: Meta, name: Token, title: n.Text, *rules: _Item) -> _Item:
        theme = n.Theme(str(name), title.value, self._span(meta), self._tok(name))
        placed = tuple(
            _replace_theme(_as_rule(item.value), str(name)) for item in rules if item.value is not None
        )
        return _Item("theme", _Themed(theme, placed), self._span(meta))

    # ------------------------------------------------------------ the policy

    def policy(self, meta: Meta, name: Token, title: n.Text, *items: _Item) -> n.Policy:
        single = _Found()
        params: list[n.Param] = []
        themes: list[n.Theme] = []
        rules: list[n.Rule] = []
        sections: list[tuple[str, Span]] = []
        for item in items:
            sections.append((item.kind, item.span))
            if item.kind == "param":
                params.append(_as(n.Param)(item.value))
            elif item.kind == "theme":
                themed = _as(_Themed)(item.value)
                themes.append(themed.theme)
                rules.extend(themed.rules)
            elif item.kind == "rule":
                if item.value is not None:
                    rules.append(_as_rule(item.value))
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
                single.add(item)
        text = _as(n.Text)
        version, authority, summary = (single.first(k, text) for k in ("version", "authority", "summary"))
        return n.Policy(
            name=str(name),
            title=title.value,
            version=version.value if version is not None else None,
            authority=authority.value if authority is not None else None,
            effective=single.first("effective", _as(dt.date)),
            summary=summary.value if summary is not None else None,
            applies=single.first("applies", _as_expr),
            contract=single.first("contract", _as_fields) or (),
            bid=single.first("bid", _as_fields) or (),
            delivery=single.first("delivery", _as_fields) or (),
            params=tuple(params),
            themes=tuple(themes),
            rules=tuple(rules),
            span=self._span(meta),
            name_span=self._tok(name),
            sections=tuple(sections),
        )

    def start(self, meta: Meta, policy: n.Policy) -> n.Policy:
        return policy


def _replace_theme(rule: n.Rule, theme: str) -> n.Rule:
    from dataclasses import replace

    return replace(rule, theme=theme)


def build(tree: Tree[Token], path: str) -> tuple[n.Policy, list[Diagnostic]]:
    """Build the AST of one parsed file; the diagnostics are the builder's own."""
    builder = AstBuilder(path)
    policy = builder.transform(tree)
    return policy, builder.diagnostics
