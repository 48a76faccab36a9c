# ruff: noqa: RUF009 - every node gets its own span field; `_span()` builds it
"""The typed AST of an SVR policy.

Frozen dataclasses with domain names, built from the Lark tree by `builder` and read by
every later stage. Every node carries a `span` that is left out of equality, so two
policies that mean the same are equal however they were laid out.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal as TypingLiteral

from svrules.core.source import Span

NO_SPAN = Span("", 0, 0, 0, 0)


def _span() -> Span:
    return field(default=NO_SPAN, compare=False, repr=False)


# ---------------------------------------------------------------- expressions

LiteralKind = TypingLiteral["money", "number", "percent", "date", "text", "yes/no"]


@dataclass(frozen=True)
class Literal:
    """A written value: money and numbers exact, percents as fractions (25% is 0.25)."""

    kind: LiteralKind
    value: Decimal | date | str | bool
    text: str = field(default="", compare=False)
    span: Span = _span()

    @property
    def amount(self) -> Decimal:
        """The value of a money, number or percent literal (its kind says it is one)."""
        assert isinstance(self.value, Decimal), self
        return self.value

    @property
    def day(self) -> date:
        """The value of a date literal (its kind says it is one)."""
        assert isinstance(self.value, date), self
        return self.value


@dataclass(frozen=True)
class ListLiteral:
    """`["services", "works"]`, for `in` and `not in`."""

    items: tuple[Expr, ...]
    span: Span = _span()

    def values(self) -> frozenset[Decimal | date | str | bool]:
        """The written values of a checked list (every item is a literal)."""
        return frozenset(item.value for item in self.items if isinstance(item, Literal))


@dataclass(frozen=True)
class Name:
    """A parameter, a `let` binding or `social_value`."""

    name: str
    span: Span = _span()


@dataclass(frozen=True)
class Field:
    """`contract.value`, `bid.apprenticeships` or `delivery.local_spend`."""

    root: str
    name: str
    span: Span = _span()

    @property
    def dotted(self) -> str:
        return f"{self.root}.{self.name}"


@dataclass(frozen=True)
class Negate:
    """Unary minus."""

    operand: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Binary:
    """Arithmetic: `+`, `-`, `*`, `/`."""

    op: str
    left: Expr
    right: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Compare:
    """`==`, `!=`, `<`, `<=`, `>`, `>=`, `in` and `not in`; comparisons do not chain."""

    op: str
    left: Expr
    right: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Logical:
    """`and` / `or`, evaluated left to right and only as far as needed."""

    op: str
    left: Expr
    right: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Not:
    """`not X`."""

    operand: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Conditional:
    """`A if C else B`."""

    then: Expr
    condition: Expr
    otherwise: Expr
    span: Span = _span()


@dataclass(frozen=True)
class Call:
    """A built-in function call such as `ceil(x)` or `clamp(x, 0, 1)`."""

    function: str
    args: tuple[Expr, ...]
    span: Span = _span()
    name_span: Span = _span()


Expr = Literal | ListLiteral | Name | Field | Negate | Binary | Compare | Logical | Not | Conditional | Call


def children(expr: Expr) -> tuple[Expr, ...]:
    """The expressions directly inside `expr`."""
    if isinstance(expr, Binary | Compare | Logical):
        return (expr.left, expr.right)
    if isinstance(expr, Negate | Not):
        return (expr.operand,)
    if isinstance(expr, Conditional):
        return (expr.then, expr.condition, expr.otherwise)
    if isinstance(expr, Call):
        return expr.args
    if isinstance(expr, ListLiteral):
        return expr.items
    return ()


def walk(expr: Expr | None) -> Iterator[Expr]:
    """`expr` and every expression inside it, outermost first (nothing for None)."""
    if expr is None:
        return
    yield expr
    for child in children(expr):
        yield from walk(child)


def uses_bid(expr: Expr | None) -> bool:
    """Whether the expression reads any `bid.` field."""
    return any(isinstance(e, Field) and e.root == "bid" for e in walk(expr))


# ---------------------------------------------------------------- templates and text


@dataclass(frozen=True)
class Text:
    """A string as written: its value after escapes and triple-quote dedenting."""

    value: str
    triple: bool = False
    span: Span = _span()

    @property
    def first_line(self) -> int:
        """The .svr line of the value's first line (triple quotes drop the opening break)."""
        return self.span.line + (1 if self.triple and self.span.end_line > self.span.line else 0)


@dataclass(frozen=True)
class Template:
    """Jinja text of an `explain` or `clause`, inline or from a file beside the policy."""

    text: Text
    from_file: bool = False
    span: Span = _span()


# ---------------------------------------------------------------- declarations


@dataclass(frozen=True)
class FieldDecl:
    """`NAME: TYPE [one of [...]] [from A to B] [optional] ["description"]`."""

    name: str
    type: str
    one_of: ListLiteral | None = None
    low: Expr | None = None
    high: Expr | None = None
    optional: bool = False
    description: str | None = None
    span: Span = _span()
    type_span: Span = _span()


@dataclass(frozen=True)
class ParamValue:
    """One value of a parameter, with the date it takes effect from (if dated)."""

    value: Expr
    start: Literal | None = None
    span: Span = _span()


@dataclass(frozen=True)
class Param:
    """`param NAME = EXPR`, or dated: `param NAME = V1 from D1, V2 from D2`."""

    name: str
    values: tuple[ParamValue, ...]
    span: Span = _span()
    name_span: Span = _span()

    @property
    def dated(self) -> bool:
        return any(v.start is not None for v in self.values)


# ---------------------------------------------------------------- rules


@dataclass(frozen=True)
class Let:
    """`let NAME = EXPR`, in scope for the rest of its rule and its templates."""

    name: str
    value: Expr
    span: Span = _span()
    name_span: Span = _span()


@dataclass(frozen=True)
class Band:
    """`at least X: P%`, `at most X: P%` or `otherwise: P%` (a KPI rating line too)."""

    test: TypingLiteral["at_least", "at_most", "otherwise"]
    threshold: Expr | None
    result: Expr | str
    span: Span = _span()
    result_span: Span = _span()


@dataclass(frozen=True)
class ScaleLevel:
    """`P%: "descriptor"` in a `score scale` block."""

    level: Expr
    descriptor: str
    span: Span = _span()


@dataclass(frozen=True)
class ExprScore:
    """`score EXPR`: a value from 0 to 1."""

    value: Expr
    span: Span = _span()


@dataclass(frozen=True)
class BandScore:
    """`score bands EXPR:` and its band lines."""

    value: Expr
    bands: tuple[Band, ...]
    span: Span = _span()


@dataclass(frozen=True)
class LinearScore:
    """`score linear EXPR from A to B`."""

    value: Expr
    low: Expr
    high: Expr
    span: Span = _span()


@dataclass(frozen=True)
class RelativeScore:
    """`score relative EXPR` or, with `lowest`, lower is better."""

    value: Expr
    lowest: bool = False
    span: Span = _span()


@dataclass(frozen=True)
class ScaleScore:
    """`score scale EXPR:` and its published levels."""

    value: Expr
    levels: tuple[ScaleLevel, ...]
    span: Span = _span()


Score = ExprScore | BandScore | LinearScore | RelativeScore | ScaleScore


@dataclass(frozen=True)
class Rating:
    """`rating EXPR:` and its lines, in a KPI."""

    value: Expr
    lines: tuple[Band, ...]
    span: Span = _span()


@dataclass(frozen=True)
class Clause:
    """A rule's contract wording: inline text or `clause from "PATH"`."""

    template: Template
    path: str | None = None
    span: Span = _span()


@dataclass(frozen=True)
class RuleBase:
    """What every rule has: id, title, theme, refs, `applies when`, `let`s and templates."""

    name: str
    title: str
    theme: str | None
    refs: tuple[Text, ...]
    applies: Expr | None
    lets: tuple[Let, ...]
    explain: Template | None
    clause: Clause | None
    span: Span = field(compare=False, repr=False)
    name_span: Span = field(compare=False, repr=False)


@dataclass(frozen=True)
class Requirement(RuleBase):
    """A pass/fail gate: `met when EXPR`."""

    met_when: Expr

    kind = "requirement"


@dataclass(frozen=True)
class Criterion(RuleBase):
    """A scored award criterion: `weight P%` and one `score` form."""

    weight: Expr
    score: Score

    kind = "criterion"

    @property
    def weight_percent(self) -> Decimal:
        """The weight as a fraction (5% is 0.05): a written percent, as the checker requires."""
        assert isinstance(self.weight, Literal), self.weight
        return self.weight.amount


@dataclass(frozen=True)
class Measure(RuleBase):
    """Monetised social value: quantity (a bid field of the same name) × proxy."""

    unit: Text | None
    proxy: Expr

    kind = "measure"


@dataclass(frozen=True)
class Kpi(RuleBase):
    """A key performance indicator rating delivery figures (Procurement Act 2023 s.52)."""

    material: bool
    rating: Rating

    kind = "kpi"


Rule = Requirement | Criterion | Measure | Kpi


@dataclass(frozen=True)
class Theme:
    """`theme NAME "Title":`, grouping rules for reports and clause headings."""

    name: str
    title: str
    span: Span = _span()
    name_span: Span = _span()


@dataclass(frozen=True)
class Policy:
    """A whole `.svr` file."""

    name: str
    title: str
    version: str | None
    authority: str | None
    effective: date | None
    summary: str | None
    applies: Expr | None
    contract: tuple[FieldDecl, ...]
    bid: tuple[FieldDecl, ...]
    delivery: tuple[FieldDecl, ...]
    params: tuple[Param, ...]
    themes: tuple[Theme, ...]
    rules: tuple[Requirement | Criterion | Measure | Kpi, ...]
    span: Span = _span()
    name_span: Span = _span()
    sections: tuple[tuple[str, Span], ...] = field(default=(), compare=False, repr=False)

    @property
    def requirements(self) -> list[Requirement]:
        return [r for r in self.rules if isinstance(r, Requirement)]

    @property
    def criteria(self) -> list[Criterion]:
        return [r for r in self.rules if isinstance(r, Criterion)]

    @property
    def measures(self) -> list[Measure]:
        return [r for r in self.rules if isinstance(r, Measure)]

    @property
    def kpis(self) -> list[Kpi]:
        return [r for r in self.rules if isinstance(r, Kpi)]
