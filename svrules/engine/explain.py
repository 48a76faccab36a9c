"""Reasons and traces, built on demand.

Owns the plain-English reason of every outcome (the rule's rendered `explain`, or text
generated from the values that decided it) and the trace (those values, by name). The
runtime records only what it needs to rebuild them; nothing here runs per bid unless a
reason or trace is asked for.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from svrules.core.diagnostics import Diagnostic, PolicyError
from svrules.engine.compiler import CompiledPolicy, CompiledRule, Env, ExprCompiler
from svrules.engine.failures import MissingField, failure_text
from svrules.engine.results import json_value
from svrules.language import nodes as n
from svrules.language import scores as s
from svrules.language import units
from svrules.language.scores import Detail
from svrules.language.templates import (
    MissingOptional,
    TemplateRenderError,
    not_stated,
    render,
    render_value,
    typed,
)

if TYPE_CHECKING:
    from svrules.engine.results import RuleResult

_OUTCOME_WORDS = {"met": "met", "not_met": "not met"}


class Explainer:
    """Builds the reason and trace of any rule result of one evaluation."""

    def __init__(
        self,
        compiled: CompiledPolicy,
        contract: dict[str, Any],
        params: dict[str, Any],
        bidders: dict[int, str] | None = None,
    ):
        self.bidders = {} if bidders is None else bidders  # id of a bid's values → its bidder
        self.compiled = compiled
        self.checked = compiled.checked
        self.contract = contract
        self.params = params
        self.rules = compiled.rule_index

    def __call__(self, result: RuleResult) -> tuple[str, list[dict[str, Any]]]:
        rule = self.rules[(result.kind, result.id)]
        detail = result.detail
        env = result.env if result.env is not None else Env(self.contract, {}, self.params)
        env = _with_lets(env, result.lets)
        trace = self._trace(rule, result, env)
        return self._reason(rule, result, env, detail, trace), trace

    # ------------------------------------------------------------ trace

    def _deciding(self, rule: CompiledRule, result: RuleResult) -> list[n.Expr]:
        r = rule.rule
        exprs: list[n.Expr] = []
        if r.applies is not None:
            exprs.append(r.applies)
        if result.outcome in ("not_applicable", "not_scored"):
            return exprs
        exprs += [let.value for let in r.lets]
        if isinstance(r, n.Requirement):
            exprs.append(r.met_when)
        elif isinstance(r, n.Criterion):
            exprs += s.score_expressions(r.score)
        return exprs

    def _trace(self, rule: CompiledRule, result: RuleResult, env: Env) -> list[dict[str, Any]]:
        trace = []
        seen: set[str] = set()
        for expr in self._deciding(rule, result):
            for name, value, type_ in self._names(expr, rule, env):
                if name in seen:
                    continue
                seen.add(name)
                entry = {"name": name, "value": json_value(value, type_)}
                if value is None:
                    entry["missing"] = True
                trace.append(entry)
        return trace

    def _names(self, expr: n.Expr, rule: CompiledRule, env: Env) -> Iterator[tuple[str, Any, str]]:
        for node in n.walk(expr):
            if isinstance(node, n.Field):
                fields = self.checked.fields(node.root)
                values = getattr(env, node.root)
                yield node.dotted, values.get(node.name), units.expression_type(fields[node.name].type)
            elif isinstance(node, n.Name):
                name = node.name
                if name == "social_value":
                    yield name, env.social_value, units.MONEY
                elif name in rule.let_types:
                    yield name, env.lets.get(name), rule.let_types[name]
                elif name in self.checked.param_types:
                    yield name, env.params.get(name), self.checked.param_types[name]

    # ------------------------------------------------------------ reasons

    def _reason(
        self,
        rule: CompiledRule,
        result: RuleResult,
        env: Env,
        detail: Detail | None,
        trace: list[dict[str, Any]],
    ) -> str:
        values = self._values_text(rule, result, env)
        if isinstance(detail, s.Missing):
            then = "it is not met" if result.kind == "requirement" else "this criterion scores 0%"
            return f"{detail.field} is not stated in the bid, so {then}"
        if result.outcome == "error":
            return self._error_reason(rule, detail, values)
        if result.outcome == "not_applicable":
            return f"does not apply to this {'bid' if n.uses_bid(rule.rule.applies) else 'contract'}" + (
                f" ({values})" if values else ""
            )
        if result.outcome == "not_scored":
            return "not scored: the bid does not meet every requirement"
        scale_descriptor = detail.descriptor if isinstance(detail, s.OnScale) else None
        text = self._explain_text(rule, result, env)
        if text is not None:
            return " ".join(part for part in (scale_descriptor, text) if part)
        if scale_descriptor:
            return scale_descriptor
        if result.kind == "requirement":
            return self._requirement_reason(rule, result, env, values)
        return self._criterion_reason(rule, result, env, detail, values)

    def _explain_text(self, rule: CompiledRule, result: RuleResult, env: Env) -> str | None:
        """The rendered `explain`, or None when there is none or it needs an optional field
        the bid lacks (the outcome was decided without it: the reason is generated)."""
        if rule.explain is None:
            return None
        try:
            return render(rule.explain, self._template_context(rule, env))
        except TemplateRenderError as err:
            if isinstance(err.cause, MissingOptional):
                return None
            raise self._template_error(rule, result, env, err) from None

    def _template_error(
        self, rule: CompiledRule, result: RuleResult, env: Env, err: TemplateRenderError
    ) -> PolicyError:
        """An `explain` that failed: at its line, naming the rule and the bid."""
        span = self.checked.template_span(rule.key, "explain", err.line)
        cause = err.cause
        what = failure_text(cause) if isinstance(cause, ArithmeticError) else err.message
        bidder = self.bidders.get(id(env.bid))
        for_bid = f" for bid '{bidder}'" if bidder is not None else ""
        r = rule.rule
        message = f"the explain of {r.kind} '{r.name}' in policy '{self.checked.policy.name}' failed{for_bid}: {what}"
        return PolicyError([Diagnostic(err.code, message, span, err.hint)], self.checked.sources())

    def _values_text(self, rule: CompiledRule, result: RuleResult, env: Env) -> str:
        parts = []
        seen: set[str] = set()
        for expr in self._deciding(rule, result):
            for name, value, type_ in self._names(expr, rule, env):
                if name not in seen:
                    seen.add(name)
                    if value is None and name in rule.let_types:
                        parts.append(f"{name} could not be worked out")
                    else:
                        parts.append(f"{name} is {self._show(value, type_)}")
        return ", ".join(parts)

    def _show(self, value: Any, type_: str) -> str:
        return "not stated" if value is None else render_value(typed(value, type_))

    def _requirement_reason(self, rule: CompiledRule, result: RuleResult, env: Env, values: str) -> str:
        assert isinstance(rule.rule, n.Requirement)
        test = rule.rule.met_when
        truth = "true" if result.outcome == "met" else "false"
        if isinstance(test, n.Compare) and test.op not in ("in", "not in"):
            left, right = self._operand(test.left, rule, env), self._operand(test.right, rule, env)
            return (
                f"{values}: {left} {test.op} {right} is {truth}"
                if values
                else f"{left} {test.op} {right} is {truth}"
            )
        return (
            f"{values}, so the requirement is {_OUTCOME_WORDS[result.outcome]}"
            if values
            else f"the requirement is {_OUTCOME_WORDS[result.outcome]}"
        )

    def _operand(self, expr: n.Expr, rule: CompiledRule, env: Env) -> str:
        try:
            value = ExprCompiler(self.checked, frozenset(rule.let_types))(expr)(env)
        except (MissingField, ArithmeticError, Exception):
            return "?"
        return self._show(value, self.checked.types.get(id(expr), ""))

    def _criterion_reason(
        self, rule: CompiledRule, result: RuleResult, env: Env, detail: Detail | None, values: str
    ) -> str:
        score_text = (
            render_value(typed(result.score, units.PERCENT)) if result.score is not None else "no score"
        )
        prefix = f"{values}: " if values else ""
        value_type = self._value_type(rule)
        match detail:
            case s.Banded(value, None):
                return f"{prefix}no band matches, so the score is 0%"
            case s.Banded(value, int(index)) if isinstance(rule.rule, n.Criterion) and isinstance(
                rule.rule.score, n.BandScore
            ):
                band = rule.rule.score.bands[index]
                if band.test == "otherwise" or band.threshold is None:
                    return f"{prefix}no 'at least' or 'at most' band matches, so the score is {score_text}"
                word = "at least" if band.test == "at_least" else "at most"
                threshold = self._operand(band.threshold, rule, env)
                return f"{prefix}{self._show(value, value_type)} is {word} {threshold}, which scores {score_text}"
            case s.OnLine(value, low, high):
                return (
                    f"{prefix}{self._show(value, value_type)} on a straight line from {self._show(low, value_type)} (0%) "
                    f"to {self._show(high, value_type)} (100%) scores {score_text}"
                )
            case s.Relative(value, best):
                word = "lowest" if rule.scorer is not None and rule.scorer.kind == "lowest" else "best"
                return (
                    f"{prefix}{self._show(value, value_type)} against the {word} compliant bid's "
                    f"{self._show(best, value_type)} scores {score_text}"
                )
        return f"{prefix}the score is {score_text}"

    def _value_type(self, rule: CompiledRule) -> str:
        """The type of the value a criterion scores ("" for other rules)."""
        if isinstance(rule.rule, n.Criterion):
            return self.checked.types.get(id(rule.rule.score.value), "")
        return ""

    def _error_reason(self, rule: CompiledRule, detail: Detail | None, values: str) -> str:
        prefix = f"{values}: " if values else ""
        value_type = self._value_type(rule)
        match detail:
            case s.OutOfRange(score):
                return f"{prefix}the score is {self._show(score, units.PERCENT)}, outside 0% to 100%; the criterion needs attention"
            case s.Negative(value):
                return f"{prefix}a relative score needs a value of 0 or more, not {self._show(value, value_type)}"
            case s.OffScale(value):
                levels = ", ".join(
                    render_value(typed(level, units.PERCENT))
                    for level in (rule.scorer.levels if rule.scorer is not None else ())
                )
                return f"{self._show(value, value_type)} is not on the scale ({levels}); the panel's mark must be one of the levels"
            case s.SameEnds(_, end):
                return f"{prefix}a linear score needs two different ends, but both are {self._show(end, value_type)}"
            case s.Failed(problem):
                return f"{prefix}{problem}"
        return f"{prefix}the rule failed"

    def _template_context(self, rule: CompiledRule, env: Env) -> dict[str, Any]:
        return template_context(self.compiled, rule, env)


def template_context(
    compiled: CompiledPolicy, rule: CompiledRule, env: Env | None, *, with_bid: bool = True
) -> dict[str, Any]:
    """What a rule's templates see: parameters, lets, contract, bid (unless `with_bid` is
    false, as in a schedule published before bids exist), delivery (in KPIs) and `rule`."""
    checked = compiled.checked
    context: dict[str, Any] = {
        name: typed(value, checked.param_types[name]) for name, value in (env.params if env else {}).items()
    }
    r = rule.rule
    context["rule"] = {"id": r.name, "title": r.title, "refs": [t.value for t in r.refs]}
    if env is None:
        return context
    context.update({name: typed(value, rule.let_types.get(name, "")) for name, value in env.lets.items()})
    roots = ["contract", "bid"] if with_bid else ["contract"]
    if isinstance(r, n.Kpi):
        roots.append("delivery")
    for root in roots:
        fields = checked.fields(root)
        values = getattr(env, root)
        context[root] = {
            k: typed(v, units.expression_type(fields[k].type)) for k, v in values.items() if k in fields
        }
        for name, decl in fields.items():  # an optional field not stated: undefined, and says so
            if decl.optional and values.get(name) is None:
                context[root][name] = not_stated(f"{root}.{name}")
    return context


def _with_lets(env: Env, lets: dict[str, Any]) -> Env:
    copy = Env(env.contract, env.bid, env.params, env.social_value, env.delivery)
    copy.lets = lets
    return copy
