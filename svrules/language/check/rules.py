"""The expressions and scoring passes: each rule's conditions, lets, score (by score form),
measures and KPI ratings, and the weights of the criteria.
"""

from __future__ import annotations

from decimal import Decimal
from typing import assert_never

from svrules.core.diagnostics import did_you_mean
from svrules.language import nodes as n
from svrules.language import units
from svrules.language.check.base import (
    RATINGS,
    RESERVED,
    Scope,
    literal_hint,
)
from svrules.language.check.declarations import Declarations
from svrules.language.checked import rule_key


class Rules(Declarations):
    """Checks rules, their scores and their weights."""

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
        match score:
            case n.BandScore():
                self._bands(score.bands, t, scope)
            case n.LinearScore():
                self._linear(score, t, scope)
            case n.ScaleScore():
                self._scale(score, t)
            case n.RelativeScore():
                pass  # any numeric value; a negative one is the bid's error at run time
            case _:
                assert_never(score)

    def _linear(self, score: n.LinearScore, t: str | None, scope: Scope) -> None:
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
            elif not 0 <= result.amount <= 1:
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
            if not 0 <= lit.amount <= 1:
                self.error("score-out-of-range", "a scale level must be from 0% to 100%", lit.span)
            if lit.value in seen:
                self.error("duplicate-scale-level", f"the level {lit.text} is given twice", lit.span)
            seen.add(lit.amount)

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
            self.error(*self._mismatch_code(expr, t, want), expr.span, literal_hint(want, expr))

    def _mismatch_code(self, expr: n.Expr, t: str, want: str) -> tuple[str, str]:
        if want == units.PERCENT and t == units.NUMBER and isinstance(expr, n.Literal):
            return "missing-percent", f"{expr.text} is a number, but a percent is compared here"
        return "unit-mismatch", f"expected {units.a(want)} here, not {units.a(t)}"

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
            if not 0 < w.amount <= 1:
                self.error("bad-weight", "a weight must be above 0% and at most 100%", w.span)
                continue
            total += w.amount
            if total > 1 and not crossed:
                crossed = True
                self.error(
                    "weights-over-100",
                    f"the weights add up to more than 100% here ({total.scaleb(2).normalize():f}%)",
                    w.span,
                    "lower this weight or another; price and quality share the same 100%",
                )
