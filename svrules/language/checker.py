"""Typed AST → checked policy.

The checker runs named passes over a policy (declarations → parameters → expressions and
units → scoring → templates → style), each appending diagnostics and carrying on, so one
run reports every problem. Its product, `CheckedPolicy`, records the type of every
expression and the text of every template, which is all the compiler needs.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from pathlib import Path

from svrules.core.diagnostics import Diagnostic, Related, did_you_mean
from svrules.core.source import (
    SourceFile,
    SourceReadError,
    Span,
    read_source,
)
from svrules.language import functions, units
from svrules.language import nodes as n
from svrules.language.templates import TemplateProblem, TemplateScope, check_template

RESERVED = frozenset(
    [
        "yes",
        "no",
        "not",
        "and",
        "or",
        "in",
        "if",
        "else",
        "contract",
        "bid",
        "delivery",
        "social_value",
        "rule",
    ]
)
# The hint an error gets when its call site has nothing more specific to say.
DEFAULT_HINTS = {
    "unit-mismatch": "units must combine: money with money, percents with percents; money × a number or percent is money (table in docs/language/values.md)",
    "bad-call": "the built-ins are " + functions.usage_list(),
    "score-out-of-range": "write a percent from 0% to 100%",
    "duplicate-scale-level": "give each level once, with one descriptor",
    "bad-range": "write the bounds in the field's own unit, e.g. from 0% to 100% for a percent",
    "bad-score": "score money, a number or a percent",
    "bad-weight": "a weight is a percent above 0% and at most 100%, e.g. 'weight 5%'",
    "template-syntax": "check the {{ … }} and {% … %} tags; inside them write plain values, not £ amounts",
    "param-missing-date": "write each value as VALUE from YYYY-MM-DD",
}
RATINGS = ("good", "approaching_target", "requires_improvement", "inadequate", "other")
_SNAKE = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True)
class TemplateSource:
    """A template's text and where its first line sits, for diagnostics and rendering."""

    text: str
    path: str
    first_line: int
    kind: str  # "explain" or "clause"


@dataclass
class CheckedPolicy:
    """A policy whose names, types, units, dates and templates are known to be right."""

    policy: n.Policy
    source: SourceFile
    folder: Path
    types: dict[int, str] = field(default_factory=dict)
    param_types: dict[str, str] = field(default_factory=dict)
    let_types: dict[str, dict[str, str]] = field(default_factory=dict)
    templates: dict[tuple[str, str], TemplateSource] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(d.severity == "error" for d in self.diagnostics)

    @cached_property
    def hash(self) -> str:
        """sha256 of the policy's bytes and every template file it uses, by relative path."""
        digest = hashlib.sha256()
        digest.update(self.source.raw)
        for rel in sorted(self.files):
            digest.update(b"\0" + rel.encode() + b"\0" + self.files[rel])
        return "sha256:" + digest.hexdigest()

    def type_of(self, expr: n.Expr) -> str:
        return self.types[id(expr)]

    def fields(self, root: str) -> dict[str, n.FieldDecl]:
        return declared_fields(self.policy, root)


def declared_fields(policy: n.Policy, root: str) -> dict[str, n.FieldDecl]:
    """The fields of `contract`, `bid` (with one optional number per measure) or `delivery`."""
    decls = {"contract": policy.contract, "bid": policy.bid, "delivery": policy.delivery}[root]
    out = {d.name: d for d in decls}
    if root == "bid":
        for m in policy.measures:
            out.setdefault(
                m.name,
                n.FieldDecl(m.name, "number", optional=True, description=m.title, span=m.name_span),
            )
    return out


@dataclass
class Scope:
    """What an expression may name where it stands."""

    roots: dict[str, dict[str, n.FieldDecl]]
    names: dict[str, str]
    context: str  # for messages: "a parameter", "the policy's 'applies when'", …
    let_spans: dict[str, Span] = field(default_factory=dict)  # where each let of the rule is bound


class Checker:
    """Runs the passes over one policy; see the module docstring."""

    def __init__(self, policy: n.Policy, source: SourceFile, folder: Path):
        self.p = policy
        self.out = CheckedPolicy(policy, source, folder)
        self.path = source.path

    # ------------------------------------------------------------ reporting

    def error(
        self, code: str, message: str, span: Span, hint: str | None = None, related: tuple[Related, ...] = ()
    ) -> None:
        hint = hint or DEFAULT_HINTS.get(code)
        self.out.diagnostics.append(Diagnostic(code, message, span, hint, "error", related))

    def warn(self, code: str, message: str, span: Span, hint: str | None = None) -> None:
        self.out.diagnostics.append(Diagnostic(code, message, span, hint, "warning"))

    # ------------------------------------------------------------ passes

    def run(self) -> CheckedPolicy:
        self.declarations()
        self.parameters()
        self.expressions()
        self.scoring()
        self.templates()
        self.style()
        return self.out

    def declarations(self) -> None:
        """Field blocks, ids of themes and rules, and names nobody may declare."""
        for root in ("contract", "bid", "delivery"):
            decls = {"contract": self.p.contract, "bid": self.p.bid, "delivery": self.p.delivery}[root]
            seen: dict[str, n.FieldDecl] = {}
            for decl in decls:
                self._field_decl(root, decl, seen)
        bid_names = {d.name for d in self.p.bid}
        for m in self.p.measures:
            if m.name in bid_names:
                self.error(
                    "measure-field-clash",
                    f"measure '{m.name}' is also declared in 'bid:'",
                    m.name_span,
                    "a measure declares its own bid field; remove the one in 'bid:'",
                )
        self._unique(((t.name, t.name_span) for t in self.p.themes), "duplicate-theme", "theme")
        self._unique(
            ((r.name, r.name_span) for r in self.p.rules if r.kind != "kpi"), "duplicate-rule", "rule"
        )
        self._unique(((r.name, r.name_span) for r in self.p.kpis), "duplicate-kpi", "KPI")
        for rule in self.p.rules:
            self._not_reserved(rule.name, rule.name_span, f"a {rule.kind}")

    def _field_decl(self, root: str, decl: n.FieldDecl, seen: dict[str, n.FieldDecl]) -> None:
        if decl.name in seen:
            self.error(
                "duplicate-field",
                f"field '{root}.{decl.name}' is declared twice",
                decl.span,
                "keep one declaration",
                (Related(seen[decl.name].span, "first declared here"),),
            )
            return
        seen[decl.name] = decl
        self._not_reserved(decl.name, decl.span, "a field")
        if decl.type not in units.FIELD_TYPES:
            hint = did_you_mean(decl.type, units.FIELD_TYPES)
            if decl.type.lower() in ("bool", "boolean", "yes", "yesno", "yes_no"):
                hint = "write 'yes/no'"
            self.error(
                "unknown-type",
                f"unknown type '{decl.type}'",
                decl.type_span,
                hint or "types are " + ", ".join(units.FIELD_TYPES),
            )
            return
        if decl.one_of is not None:
            if decl.type != "text":
                self.error(
                    "one-of-not-text",
                    "'one of' is for text fields only",
                    decl.one_of.span,
                    "use 'from A to B' to bound a number",
                )
            elif not decl.one_of.items or not all(
                isinstance(i, n.Literal) and i.kind == "text" for i in decl.one_of.items
            ):
                self.error(
                    "bad-one-of",
                    "'one of' needs a list of quoted texts",
                    decl.one_of.span,
                    'write: one of ["goods", "services", "works"]',
                )
        if decl.low is not None and decl.high is not None:
            self._field_range(root, decl)

    def _field_range(self, root: str, decl: n.FieldDecl) -> None:
        want = units.expression_type(decl.type)
        if want not in units.NUMERIC and want != units.DATE:
            self.error("bad-range", f"'from A to B' does not apply to a {decl.type} field", decl.span)
            return
        bounds = []
        for bound in (decl.low, decl.high):
            assert bound is not None
            if not isinstance(bound, n.Literal) or _literal_type(bound) != want:
                self.error(
                    "bad-range",
                    f"the bounds of '{root}.{decl.name}' must be written values of type {decl.type}",
                    bound.span,
                    _literal_hint(want, bound),
                )
                return
            bounds.append(bound.value)
        if bounds[0] > bounds[1]:  # type: ignore[operator]
            self.error(
                "bad-range",
                "the range is empty: its low bound is above its high bound",
                decl.low.span,
                "write the lower bound first",
            )  # type: ignore[union-attr]

    def _unique(self, items: Iterator[tuple[str, Span]], code: str, what: str) -> None:
        seen: dict[str, Span] = {}
        for name, span in items:
            if name in seen:
                self.error(
                    code,
                    f"{what} '{name}' is declared twice",
                    span,
                    f"give each {what} its own id",
                    (Related(seen[name], "first declared here"),),
                )
            else:
                seen[name] = span

    def _not_reserved(self, name: str, span: Span, what: str) -> None:
        if name in RESERVED:
            self.error(
                "reserved-name",
                f"'{name}' is a reserved word and cannot name {what}",
                span,
                "choose another name",
            )

    def parameters(self) -> None:
        """Parameters: unique, literal-only when dated, dates ascending, earlier params only."""
        names: dict[str, str] = {}
        for param in self.p.params:
            if param.name in names:
                self.error(
                    "duplicate-param",
                    f"parameter '{param.name}' is declared twice",
                    param.name_span,
                    "give each parameter its own name",
                )
                continue
            self._not_reserved(param.name, param.name_span, "a parameter")
            scope = Scope({}, dict(names), "a parameter")
            t = self._param(param, scope)
            names[param.name] = t or "?"
        self.out.param_types = {k: v for k, v in names.items() if v != "?"}

    def _param(self, param: n.Param, scope: Scope) -> str | None:
        types = []
        for value in param.values:
            types.append(self.infer(value.value, scope))
        if param.dated:
            previous = None
            for value in param.values:
                if value.start is None:
                    self.error(
                        "param-missing-date",
                        f"every value of dated parameter '{param.name}' needs 'from DATE'",
                        value.span,
                        "write: VALUE from YYYY-MM-DD",
                    )
                    return None
                if not isinstance(value.value, n.Literal):
                    self.error(
                        "dated-param-not-literal",
                        "the values of a dated parameter must be written values",
                        value.value.span,
                        "write the value itself, e.g. £13.45",
                    )
                if previous is not None and value.start.value <= previous:  # type: ignore[operator]
                    self.error(
                        "param-dates-order",
                        "the dates of a parameter must go up strictly",
                        value.start.span,
                        "list its values from the earliest date to the latest",
                    )
                previous = value.start.value
        elif len(param.values) > 1:
            self.error(
                "param-missing-date",
                f"parameter '{param.name}' has several values but no dates",
                param.values[1].span,
                "write each value with 'from DATE'",
            )
            return None
        known = [t for t in types if t]
        if len(set(known)) > 1:
            self.error(
                "unit-mismatch",
                f"the values of parameter '{param.name}' have different types",
                param.span,
                "give every dated value the same unit",
            )
            return None
        if (
            known
            and units.list_item(known[0]) is None
            and known[0] not in (*units.NUMERIC, units.BOOL, units.TEXT, units.DATE)
        ):
            return None
        return known[0] if len(known) == len(types) else None

    # ------------------------------------------------------------ expressions

    def _scope(self, rule: n.Rule | None, *, bid: bool = True, social_value: bool = True) -> Scope:
        roots = {"contract": self.out.fields("contract")}
        if bid:
            roots["bid"] = self.out.fields("bid")
        if isinstance(rule, n.Kpi):
            roots["delivery"] = self.out.fields("delivery")
        names = dict(self.out.param_types)
        if social_value:
            names["social_value"] = units.MONEY
        context = f"{rule.kind} '{rule.name}'" if rule else "the policy's 'applies when'"
        return Scope(roots, names, context)

    def expressions(self) -> None:
        """Every expression's type, and the type each place demands."""
        if self.p.applies is not None:
            self.expect_bool(
                self.p.applies, self._scope(None, bid=False, social_value=False), "'applies when'"
            )
        for rule in self.p.rules:
            scope = self._scope(rule)
            if rule.applies is not None:
                self.expect_bool(rule.applies, scope, "'applies when'")
            self._lets(rule, scope)
            if isinstance(rule, n.Requirement):
                self.expect_bool(rule.met_when, scope, "'met when'")
            elif isinstance(rule, n.Criterion):
                self._score(rule, scope)
            elif isinstance(rule, n.Measure):
                self._measure(rule)
            elif isinstance(rule, n.Kpi):
                self._rating(rule, scope)

    def _lets(self, rule: n.Rule, scope: Scope) -> None:
        lets: dict[str, str] = {}
        for let in rule.lets:
            t = self.infer(let.value, scope)
            if let.name in self.out.param_types or any(p.name == let.name for p in self.p.params):
                self.error(
                    "let-shadows-param",
                    f"'{let.name}' is already a parameter",
                    let.name_span,
                    "give the let another name",
                )
            elif let.name in lets:
                self.error(
                    "duplicate-let",
                    f"'{let.name}' is bound twice in {rule.kind} '{rule.name}'",
                    let.name_span,
                    "give each let its own name",
                )
            elif let.name in RESERVED:
                self._not_reserved(let.name, let.name_span, "a let")
            if t:
                lets[let.name] = t
                scope.names[let.name] = t
                scope.let_spans[let.name] = let.span
        self.out.let_types[rule_key(rule)] = lets

    def expect_bool(self, expr: n.Expr, scope: Scope, where: str) -> None:
        t = self.infer(expr, scope)
        if t and t != units.BOOL:
            self.error(
                "not-yes-no",
                f"{where} needs a yes/no condition, not {units.a(t)}",
                expr.span,
                "compare the value, e.g. bid.apprenticeships >= 2",
            )

    def _score(self, rule: n.Criterion, scope: Scope) -> None:
        score = rule.score
        if isinstance(score, n.ExprScore):
            t = self.infer(score.value, scope)
            if t and t not in (units.PERCENT, units.NUMBER):
                self.error(
                    "bad-score",
                    f"a score must be a percent or a number from 0 to 1, not {units.a(t)}",
                    score.value.span,
                    "use 'score bands', 'score linear' or 'score relative' to turn it into a score",
                )
            return
        t = self.infer(score.value, scope)
        if t and t not in units.NUMERIC:
            self.error(
                "bad-score",
                f"a scored value must be money, a number or a percent, not {units.a(t)}",
                score.value.span,
            )
            return
        if isinstance(score, n.BandScore):
            self._bands(score.bands, t, scope)
        elif isinstance(score, n.LinearScore):
            for bound in (score.low, score.high):
                self._same_type(bound, t, scope, "a linear score's end")
            if (
                isinstance(score.low, n.Literal)
                and isinstance(score.high, n.Literal)
                and score.low.value == score.high.value
            ):
                self.error(
                    "linear-empty-range",
                    "a linear score needs two different ends",
                    score.span,
                    "make 'from' and 'to' differ",
                )
        elif isinstance(score, n.ScaleScore):
            self._scale(score, t)

    def _bands(self, bands: tuple[n.Band, ...], t: str | None, scope: Scope) -> None:
        for band in bands:
            if band.threshold is not None:
                self._same_type(band.threshold, t, scope, "a band's threshold")
            result = band.result
            if not (isinstance(result, n.Literal) and result.kind == "percent"):
                self.error(
                    "bad-band-score",
                    "a band's score must be a written percent",
                    band.result_span,
                    "write e.g. 'at least 3: 100%'",
                )
            elif not 0 <= result.value <= 1:  # type: ignore[operator]
                self.error("score-out-of-range", "a band's score must be from 0% to 100%", band.result_span)
        otherwise = [b for b in bands if b.test == "otherwise"]
        if otherwise and otherwise[0] is not bands[-1]:
            self.error(
                "unreachable-band",
                "lines after 'otherwise' can never match",
                bands[bands.index(otherwise[0]) + 1].span,
                "put 'otherwise' last",
            )

    def _scale(self, score: n.ScaleScore, t: str | None) -> None:
        if t and t != units.PERCENT:
            self.error(
                "bad-score",
                f"a scale scores a percent mark, not {units.a(t)}",
                score.value.span,
                "declare the mark as a percent field",
            )
        seen: set[Decimal] = set()
        for level in score.levels:
            lit = level.level
            if not (isinstance(lit, n.Literal) and lit.kind == "percent"):
                self.error(
                    "bad-scale-level",
                    "a scale level must be a written percent",
                    lit.span,
                    'write e.g. 60%: "Good"',
                )
                continue
            if not 0 <= lit.value <= 1:  # type: ignore[operator]
                self.error("score-out-of-range", "a scale level must be from 0% to 100%", lit.span)
            if lit.value in seen:
                self.error("duplicate-scale-level", f"the level {lit.text} is given twice", lit.span)
            seen.add(lit.value)  # type: ignore[arg-type]

    def _measure(self, rule: n.Measure) -> None:
        scope = Scope({}, dict(self.out.param_types), f"measure '{rule.name}'")
        t = self.infer(rule.proxy, scope)
        if t and t != units.MONEY:
            self.error(
                "bad-proxy",
                f"a proxy is money per unit, not {units.a(t)}",
                rule.proxy.span,
                "write e.g. 'proxy £520'",
            )

    def _rating(self, rule: n.Kpi, scope: Scope) -> None:
        t = self.infer(rule.rating.value, scope)
        if t and t not in units.NUMERIC:
            self.error(
                "bad-score",
                f"a rating compares money, a number or a percent, not {units.a(t)}",
                rule.rating.value.span,
            )
            t = None
        for line in rule.rating.lines:
            if line.threshold is not None:
                self._same_type(line.threshold, t, scope, "a rating line's threshold")
            if line.result not in RATINGS:
                self.error(
                    "unknown-rating",
                    f"unknown rating '{line.result}'",
                    line.result_span,
                    did_you_mean(str(line.result), RATINGS) or "ratings are " + ", ".join(RATINGS),
                )

    def _same_type(self, expr: n.Expr, want: str | None, scope: Scope, what: str) -> None:
        t = self.infer(expr, scope)
        if t and want and t != want:
            self.error(*self._mismatch_code(expr, t, want), expr.span, _literal_hint(want, expr))

    def _mismatch_code(self, expr: n.Expr, t: str, want: str) -> tuple[str, str]:
        if want == units.PERCENT and t == units.NUMBER and isinstance(expr, n.Literal):
            return "missing-percent", f"{expr.text} is a number, but a percent is compared here"
        return "unit-mismatch", f"expected {units.a(want)} here, not {units.a(t)}"

    # ------------------------------------------------------------ inference

    def infer(self, expr: n.Expr, scope: Scope) -> str | None:
        """The type of an expression, or None after reporting why it has none."""
        t = self._infer(expr, scope)
        if t is not None:
            self.out.types[id(expr)] = t
        return t

    def _infer(self, expr: n.Expr, scope: Scope) -> str | None:
        if isinstance(expr, n.Literal):
            return _literal_type(expr)
        if isinstance(expr, n.ListLiteral):
            return self._list(expr, scope)
        if isinstance(expr, n.Name):
            return self._name(expr, scope)
        if isinstance(expr, n.Field):
            return self._field(expr, scope)
        if isinstance(expr, n.Negate):
            t = self.infer(expr.operand, scope)
            if t and t not in units.NUMERIC:
                self.error("unit-mismatch", f"cannot negate {units.a(t)}", expr.span)
                return None
            return t
        if isinstance(expr, n.Binary):
            return self._binary(expr, scope)
        if isinstance(expr, n.Compare):
            return self._compare(expr, scope)
        if isinstance(expr, n.Logical | n.Not):
            parts = [expr.operand] if isinstance(expr, n.Not) else [expr.left, expr.right]
            ok = True
            for part in parts:
                t = self.infer(part, scope)
                if t and t != units.BOOL:
                    word = "not" if isinstance(expr, n.Not) else f"'{expr.op}'"
                    self.error(
                        "not-yes-no",
                        f"{word} needs yes/no values, not {units.a(t)}",
                        part.span,
                        "compare the value first, e.g. bid.local_spend >= 20%",
                    )
                    ok = False
            return units.BOOL if ok else None
        if isinstance(expr, n.Conditional):
            return self._conditional(expr, scope)
        assert isinstance(expr, n.Call)
        return self._call(expr, scope)

    def _list(self, expr: n.ListLiteral, scope: Scope) -> str | None:
        types = set()
        for item in expr.items:
            if not isinstance(item, n.Literal):
                self.error(
                    "list-not-literal",
                    "a list holds written values only",
                    item.span,
                    'write e.g. ["services", "works"]',
                )
                return None
            types.add(self.infer(item, scope))
        if len(types) > 1:
            self.error("unit-mismatch", "a list's values must all have one type", expr.span)
            return None
        return units.list_of(types.pop() if types else "nothing")

    def _name(self, expr: n.Name, scope: Scope) -> str | None:
        bound = scope.let_spans.get(expr.name)
        if (
            bound is not None
            and bound.path == expr.span.path
            and (expr.span.line, expr.span.column) < (bound.line, bound.column)
        ):
            self.error(
                "unknown-name",
                f"'{expr.name}' is used before its let",
                expr.span,
                f"move 'let {expr.name} = …' (line {bound.line}) above its first use",
            )
            return None
        if expr.name in scope.names:
            return scope.names[expr.name]
        if expr.name in ("true", "false", "True", "False"):
            self.error(
                "true-false",
                f"'{expr.name}' is not a yes/no value",
                expr.span,
                f"write '{'yes' if expr.name.lower() == 'true' else 'no'}'",
            )
            return None
        if expr.name in ("contract", "bid", "delivery"):
            self.error("bare-root", f"'{expr.name}' needs a field", expr.span, f"write {expr.name}.FIELD")
            return None
        if expr.name == "social_value":
            self.error(
                "unknown-name",
                f"'social_value' cannot be used in {scope.context}",
                expr.span,
                "social value is known only when a bid is evaluated",
            )
            return None
        later = [let.name for r in self.p.rules for let in r.lets]
        hint = did_you_mean(expr.name, scope.names)
        if not hint and expr.name in later:
            hint = "a let can be used only after it, in its own rule"
        self.error(
            "unknown-name",
            f"unknown name '{expr.name}'",
            expr.span,
            hint or "names are parameters, the rule's lets, social_value and contract./bid. fields",
        )
        return None

    def _field(self, expr: n.Field, scope: Scope) -> str | None:
        if expr.root not in ("contract", "bid", "delivery"):
            hint = did_you_mean(expr.root, ["contract", "bid", "delivery"])
            self.error(
                "unknown-field",
                f"unknown name '{expr.root}.{expr.name}'",
                expr.span,
                hint or "fields are written contract.NAME or bid.NAME",
            )
            return None
        if expr.root not in scope.roots:
            reason = "only in KPIs" if expr.root == "delivery" else "where a bid is evaluated"
            self.error(
                "field-out-of-scope",
                f"'{expr.dotted}' cannot be used in {scope.context}",
                expr.span,
                f"{expr.root} fields can be used {reason}",
            )
            return None
        fields = scope.roots[expr.root]
        if expr.name not in fields:
            self.error(
                "unknown-field",
                f"unknown field '{expr.dotted}'",
                expr.span,
                did_you_mean(expr.name, fields, prefix=f"{expr.root}.") or f"declare it under '{expr.root}:'",
            )
            return None
        return (
            units.expression_type(fields[expr.name].type)
            if fields[expr.name].type in units.FIELD_TYPES
            else None
        )

    def _binary(self, expr: n.Binary, scope: Scope) -> str | None:
        left, right = self.infer(expr.left, scope), self.infer(expr.right, scope)
        if not (left and right):
            return None
        result = units.arithmetic(expr.op, left, right)
        if result is None:
            hint = None
            for side, t in ((expr.left, left), (expr.right, right)):
                if (
                    isinstance(side, n.Literal)
                    and side.kind == "number"
                    and units.MONEY in (left, right)
                    and t == units.NUMBER
                ):
                    hint = f"write the amount as money: £{side.text}"
            if hint is None and expr.op in "*/" and left == right == units.MONEY:
                hint = "multiply or divide money by a number or a percent" if expr.op == "*" else None
            self.error(
                "unit-mismatch",
                units.arithmetic_error(expr.op, left, right),
                expr.span,
                hint,
                (
                    Related(expr.left.span, f"this is {units.a(left)}"),
                    Related(expr.right.span, f"this is {units.a(right)}"),
                ),
            )
        return result

    def _compare(self, expr: n.Compare, scope: Scope) -> str | None:
        left, right = self.infer(expr.left, scope), self.infer(expr.right, scope)
        if not (left and right):
            return units.BOOL
        if expr.op in ("in", "not in"):
            item = units.list_item(right)
            if item is None:
                self.error(
                    "unit-mismatch",
                    f"'{expr.op}' needs a list on its right, not {units.a(right)}",
                    expr.right.span,
                    'write e.g. contract.category in ["services", "works"]',
                )
            elif item not in (left, "nothing"):
                self.error("unit-mismatch", f"cannot look for {units.a(left)} in {units.a(right)}", expr.span)
            return units.BOOL
        if units.comparable(expr.op, left, right):
            return units.BOOL
        for side, other in ((expr.right, left), (expr.left, right)):
            if isinstance(side, n.Literal) and side.kind == "number" and other == units.PERCENT:
                self.error(
                    "missing-percent",
                    f"cannot compare a percent with the number {side.text}",
                    expr.span,
                    f"did you mean {side.text}%?",
                    (Related(side.span, "this is a number"),),
                )
                return units.BOOL
            if isinstance(side, n.Literal) and side.kind == "number" and other == units.MONEY:
                self.error(
                    "unit-mismatch",
                    f"cannot compare money with the number {side.text}",
                    expr.span,
                    f"did you mean £{side.text}?",
                )
                return units.BOOL
        if left == right:
            self.error(
                "unit-mismatch",
                f"{units.a(left)} cannot be compared with '{expr.op}'",
                expr.span,
                "use == or != for text and yes/no values",
            )
        else:
            self.error(
                "unit-mismatch",
                f"cannot compare {units.a(left)} with {units.a(right)}",
                expr.span,
                None,
                (
                    Related(expr.left.span, f"this is {units.a(left)}"),
                    Related(expr.right.span, f"this is {units.a(right)}"),
                ),
            )
        return units.BOOL

    def _conditional(self, expr: n.Conditional, scope: Scope) -> str | None:
        cond = self.infer(expr.condition, scope)
        if cond and cond != units.BOOL:
            self.error(
                "not-yes-no", f"'if' needs a yes/no condition, not {units.a(cond)}", expr.condition.span
            )
        then, other = self.infer(expr.then, scope), self.infer(expr.otherwise, scope)
        if then and other and then != other:
            self.error(
                "unit-mismatch",
                f"the two branches have different types: {units.a(then)} and {units.a(other)}",
                expr.span,
                "make both branches the same kind of value",
            )
            return None
        return then if then and other else None

    def _call(self, expr: n.Call, scope: Scope) -> str | None:
        if expr.function not in functions.BUILT_INS:
            self.error(
                "unknown-function",
                f"unknown function '{expr.function}'",
                expr.name_span,
                did_you_mean(expr.function, list(functions.BUILT_INS))
                or "functions are " + ", ".join(functions.BUILT_INS),
            )
            for arg in expr.args:
                self.infer(arg, scope)
            return None
        args = [self.infer(a, scope) for a in expr.args]
        if not all(args):
            return None
        result, problem = functions.function_result(expr.function, [a for a in args if a])
        if problem:
            self.error("bad-call", problem, expr.span)
            return None
        if expr.function == "round":
            places = expr.args[1]
            if not (
                isinstance(places, n.Literal) and places.value == int(places.value) and places.value >= 0
            ):  # type: ignore[arg-type]
                self.error(
                    "bad-call",
                    "round()'s places must be a written whole number",
                    places.span,
                    "e.g. round(x, 2)",
                )
        return result

    # ------------------------------------------------------------ scoring

    def scoring(self) -> None:
        """Weights: written percents, above 0%, adding up to at most 100%."""
        total = Decimal(0)
        crossed = False
        for rule in self.p.criteria:
            w = rule.weight
            if not (isinstance(w, n.Literal) and w.kind == "percent"):
                self.error(
                    "bad-weight", "a weight must be a written percent", w.span, "write e.g. 'weight 5%'"
                )
                continue
            if not 0 < w.value <= 1:  # type: ignore[operator]
                self.error("bad-weight", "a weight must be above 0% and at most 100%", w.span)
                continue
            total += w.value  # type: ignore[operator]
            if total > 1 and not crossed:
                crossed = True
                self.error(
                    "weights-over-100",
                    f"the weights add up to more than 100% here ({total.scaleb(2).normalize():f}%)",
                    w.span,
                    "lower this weight or another; price and quality share the same 100%",
                )

    # ------------------------------------------------------------ templates

    def templates(self) -> None:
        """Explain and clause templates: files inside the folder, names, fields and filters."""
        for rule in self.p.rules:
            for kind, template in (
                ("explain", rule.explain),
                ("clause", rule.clause.template if rule.clause else None),
            ):
                if template is None:
                    continue
                source = self._template_source(rule, kind, template)
                if source is None:
                    continue
                self.out.templates[(rule_key(rule), kind)] = source
                scope = self._template_scope(rule)
                guard = kind == "clause" and not isinstance(rule, n.Kpi)
                problems = check_template(source.text, scope, bid_guard=guard)
                for problem, span in zip(problems, self._template_spans(problems, source), strict=True):
                    related = ()
                    if source.path != self.path:
                        related = (Related(template.span, "the template of this rule"),)
                    if problem.severity == "warning":
                        self.warn(problem.code, problem.message, span, problem.hint)
                    else:
                        self.error(problem.code, problem.message, span, problem.hint, related)

    def _template_spans(self, problems: list[TemplateProblem], source: TemplateSource) -> list[Span]:
        """Where each template problem goes: its needle inside `{{ }}` or `{% %}` on its line.

        Jinja gives lines, not columns. When several problems name the same text on one
        line they take its last occurrences in order, so a loop variable used after its
        loop is underlined there, not at the loop.
        """
        count: dict[tuple[int, str], int] = {}
        for p in problems:
            if p.needle:
                count[(p.line, p.needle)] = count.get((p.line, p.needle), 0) + 1
        seen: dict[tuple[int, str], int] = {}
        spans = []
        for p in problems:
            line = source.first_line + p.line - 1
            text = self._line_of(source.path, line)
            indent = len(text) - len(text.lstrip())
            span = Span(source.path, line, indent + 1, line, max(len(text) + 1, indent + 2))
            if p.needle:
                places = _needle_places(text, p.needle)
                key = (p.line, p.needle)
                k = seen.get(key, 0)
                seen[key] = k + 1
                index = len(places) - count[key] + k
                if places and 0 <= index < len(places):
                    at = places[index]
                    span = Span(source.path, line, at + 1, line, at + 1 + len(p.needle))
            spans.append(span)
        return spans

    def _template_source(self, rule: n.Rule, kind: str, template: n.Template) -> TemplateSource | None:
        if not template.from_file:
            return TemplateSource(template.text.value, self.path, template.text.first_line, kind)
        rel = template.text.value
        folder = self.out.folder.resolve()
        target = self.out.folder / rel
        if Path(rel).is_absolute() or not _inside(target, folder):
            self.error(
                "template-outside-folder",
                f"'{rel}' is outside the policy's folder",
                template.span,
                "keep clause files in the policy's folder, e.g. clauses/NAME.md.j2",
            )
            return None
        try:
            src = read_source(target, display=str(Path(self.path).parent / rel))
        except SourceReadError as exc:
            self.error(
                "template-not-found" if "no such" in exc.message else "template-unreadable",
                f"cannot read '{rel}': {exc.message}",
                template.span,
                exc.hint,
            )
            return None
        self.out.files[rel] = src.raw
        self._sources[src.path] = src
        return TemplateSource(src.text, src.path, 1, kind)

    def _line_of(self, path: str, line: int) -> str:
        source = self._sources.get(path, self.out.source)
        return source.line_text(line)

    def _template_scope(self, rule: n.Rule) -> TemplateScope:
        names = dict(self.out.param_types)
        names.update(self.out.let_types.get(rule_key(rule), {}))
        roots: dict[str, dict[str, str]] = {
            root: {k: units.expression_type(v.type) for k, v in self.out.fields(root).items()}
            for root in ("contract", "bid")
        }
        if isinstance(rule, n.Kpi):
            roots["delivery"] = {
                k: units.expression_type(v.type) for k, v in self.out.fields("delivery").items()
            }
        roots["rule"] = {"id": units.TEXT, "title": units.TEXT, "refs": units.list_of(units.TEXT)}
        return TemplateScope(names, roots)

    # ------------------------------------------------------------ style

    def style(self) -> None:
        """Warnings: ids are conventionally snake_case."""
        named = [(self.p.name, self.p.name_span, "policy id")]
        named += [(t.name, t.name_span, "theme id") for t in self.p.themes]
        named += [(r.name, r.name_span, f"{r.kind} id") for r in self.p.rules]
        named += [(p.name, p.name_span, "parameter") for p in self.p.params]
        named += [(let.name, let.name_span, "let") for r in self.p.rules for let in r.lets]
        for block in (self.p.contract, self.p.bid, self.p.delivery):
            named += [(d.name, d.span, "field") for d in block]
        for name, span, what in named:
            if not _SNAKE.match(name):
                self.warn(
                    "not-snake-case",
                    f"{what} '{name}' is not snake_case",
                    span,
                    f"write it as '{_snake(name)}'",
                )

    _sources: dict[str, SourceFile] = {}  # noqa: RUF012 - replaced per instance in check()


def _needle_places(text: str, needle: str) -> list[int]:
    """Offsets of `needle` as a whole word inside template tags, loop targets left out."""
    places = []
    for tag in re.finditer(r"\{\{.*?\}\}|\{%.*?%\}", text):
        for match in re.finditer(rf"(?<![\w.]){re.escape(needle)}(?!\w)", tag.group(0)):
            before = tag.group(0)[: match.start()]
            if re.search(r"\bfor\s+[\w\s,]*$", before):
                continue  # the loop's own target
            places.append(tag.start() + match.start())
    if not places:
        at = text.find(needle)
        places = [at] if at >= 0 else []
    return places


def rule_key(rule: n.Rule) -> str:
    return f"kpi:{rule.name}" if rule.kind == "kpi" else rule.name


def _inside(target: Path, folder: Path) -> bool:
    try:
        return target.resolve().is_relative_to(folder)
    except OSError:
        return False


def _literal_type(lit: n.Literal) -> str:
    return units.BOOL if lit.kind == "yes/no" else lit.kind


def _literal_hint(want: str | None, expr: n.Expr) -> str | None:
    if isinstance(expr, n.Literal) and expr.kind == "number":
        if want == units.PERCENT:
            return f"did you mean {expr.text}%?"
        if want == units.MONEY:
            return f"did you mean £{expr.text}?"
    return None


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def check(policy: n.Policy, source: SourceFile, folder: Path) -> CheckedPolicy:
    """Run every pass; the result's `diagnostics` hold what they found."""
    checker = Checker(policy, source, folder)
    checker._sources = {source.path: source}
    return checker.run()
