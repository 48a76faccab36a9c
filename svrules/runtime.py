"""Compiled policy + validated tender → results.

Owns the meaning of an evaluation: the as-of date and the parameters in force, whether
the policy applies, each requirement's outcome, compliance, each criterion's score
(relative scores among the compliant bids), points, totals, social value and ranks.
A rule's run-time failure becomes its `error` outcome; the rest of the run goes on.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal, DecimalException
from typing import Any

from . import decimals as d
from .compiler import CompiledPolicy, CompiledRule, Env, MissingField, RuleFailure
from .diagnostics import Diagnostic, InputError
from .explain import Explainer
from .results import BidResult, MeasureValue, PolicyInfo, RuleResult, SocialValue, TenderResult
from .tender import Tender

MET, NOT_MET, NOT_APPLICABLE, ERROR = "met", "not_met", "not_applicable", "error"
SCORED, NOT_SCORED = "scored", "not_scored"
_FAILURES = (RuleFailure, DecimalException, ArithmeticError)


def today_in_uk() -> date:
    """The day of evaluation in the UK (Europe/London)."""
    try:
        from zoneinfo import ZoneInfo

        return datetime.now(ZoneInfo("Europe/London")).date()
    except Exception:  # no time zone database on this machine: UTC is at most an hour out
        return datetime.utcnow().date()


def resolve_as_of(compiled: CompiledPolicy, tender: Tender, as_of: date | None) -> date:
    """`--as-of`, else `contract.tender_date` when declared and stated, else today in the UK."""
    if as_of is not None:
        return as_of
    declared = compiled.checked.fields("contract").get("tender_date")
    stated = tender.contract.get("tender_date")
    if declared is not None and declared.type == "date" and isinstance(stated, date):
        return stated
    return today_in_uk()


def resolve_params(compiled: CompiledPolicy, as_of: date) -> dict[str, Any]:
    """Every parameter's value in force on the as-of date, in declaration order."""
    values: dict[str, Any] = {}
    env = Env({}, {}, values)
    for param in compiled.params:
        if param.dated:
            first = param.dated[0][0]
            if as_of < first:
                raise InputError(
                    [
                        Diagnostic(
                            "as-of-before-param",
                            f"the as-of date {as_of.isoformat()} is before parameter '{param.param.name}' "
                            f"takes effect (its first date is {first.isoformat()})",
                            None,
                            f"evaluate with --as-of {first.isoformat()} or later, or give the parameter an earlier value",
                        )
                    ]
                )
            values[param.param.name] = next(v for start, v in reversed(param.dated) if start <= as_of)
        else:
            assert param.value is not None
            try:
                values[param.param.name] = param.value(env)
            except _FAILURES as exc:
                raise InputError(
                    [
                        Diagnostic(
                            "param-error",
                            f"parameter '{param.param.name}' cannot be computed: {exc}",
                            param.param.span,
                        )
                    ]
                ) from None
    return values


def policy_info(compiled: CompiledPolicy) -> PolicyInfo:
    p = compiled.policy
    return PolicyInfo(p.name, p.title, p.version, p.authority, p.effective, compiled.checked.hash)


def evaluate(compiled: CompiledPolicy, tender: Tender, as_of: date | None = None) -> TenderResult:
    """Evaluate every bid of a validated tender."""
    day = resolve_as_of(compiled, tender, as_of)
    params = resolve_params(compiled, day)
    typed_params = {p.param.name: (params[p.param.name], p.type) for p in compiled.params}
    contract_value = (
        tender.contract.get("value") if isinstance(tender.contract.get("value"), Decimal) else None
    )
    result = TenderResult(
        policy_info(compiled), day, False, typed_params, [], tender.id, tender.title, contract_value
    )
    if not _policy_applies(compiled, tender.contract, params):
        return result
    result.applies = True
    explainer = Explainer(compiled, tender.contract, params)
    proxies = [(m, m.proxy(Env({}, {}, params))) for m in compiled.measures]
    for bid in tender.bids:
        result.bids.append(
            _evaluate_bid(
                compiled, explainer, tender.contract, bid.bidder, bid.values, params, proxies, contract_value
            )
        )
    _score_relative(compiled, result.bids)
    _total_and_rank(result.bids)
    return result


def _policy_applies(compiled: CompiledPolicy, contract: dict[str, Any], params: dict[str, Any]) -> bool:
    if compiled.applies is None:
        return True
    try:
        return bool(compiled.applies(Env(contract, {}, params)))
    except MissingField:
        return False
    except _FAILURES as exc:
        raise InputError(
            [
                Diagnostic(
                    "applies-error",
                    f"the policy's 'applies when' cannot be decided: {exc}",
                    compiled.policy.applies.span if compiled.policy.applies else None,
                )
            ]
        ) from None


def _social_value(
    proxies: list[tuple[Any, Decimal]], bid: dict[str, Any], contract_value: Decimal | None
) -> SocialValue:
    measures = []
    total = d.ZERO
    for measure, proxy in proxies:
        quantity = bid.get(measure.measure.name, d.ZERO)
        value = d.CONTEXT.multiply(quantity, proxy)
        total = d.CONTEXT.add(total, value)
        unit = measure.measure.unit.value if measure.measure.unit else None
        measures.append(
            MeasureValue(measure.measure.name, measure.measure.title, unit, quantity, proxy, value)
        )
    ratio = d.CONTEXT.divide(total, contract_value) if contract_value else None
    return SocialValue(total, ratio, tuple(measures))


def _evaluate_bid(
    compiled: CompiledPolicy,
    explainer: Explainer,
    contract: dict[str, Any],
    bidder: str,
    values: dict[str, Any],
    params: dict[str, Any],
    proxies: list[tuple[Any, Decimal]],
    contract_value: Decimal | None,
) -> BidResult:
    social = _social_value(proxies, values, contract_value)
    env = Env(contract, values, params, social.total)
    requirements = [_requirement(rule, env, explainer) for rule in compiled.requirements]
    compliant = all(r.outcome in (MET, NOT_APPLICABLE) for r in requirements)
    if compliant:
        criteria = [_criterion(rule, env, explainer) for rule in compiled.criteria]
    else:
        criteria = [_not_scored(rule, explainer) for rule in compiled.criteria]
    bid = BidResult(bidder, compliant, requirements, criteria, social)
    for r in (*requirements, *criteria):
        r.detail = (env, r.detail)
    return bid


def _result(
    rule: CompiledRule,
    kind: str,
    outcome: str,
    lets: dict[str, Any],
    explainer: Explainer,
    detail: Any = None,
    score: Decimal | None = None,
) -> RuleResult:
    r = rule.rule
    return RuleResult(
        r.name,
        r.title,
        r.theme,
        kind,
        outcome,
        tuple(t.value for t in r.refs),
        lets,
        rule.let_types,
        weight=rule.weight if kind == "criterion" else None,
        score=score,
        detail=detail,
        explainer=explainer,
    )


def _applies(rule: CompiledRule, env: Env) -> str | None:
    """None when the rule applies, else the outcome that ends it (with `env.lets` reset)."""
    env.lets = {}
    if rule.applies is None:
        return None
    try:
        return None if rule.applies(env) else NOT_APPLICABLE
    except MissingField:
        return NOT_APPLICABLE


def _bind_lets(rule: CompiledRule, env: Env) -> None:
    for name, fn in rule.lets:
        env.lets[name] = fn(env)


def _requirement(rule: CompiledRule, env: Env, explainer: Explainer) -> RuleResult:
    try:
        stop = _applies(rule, env)
        if stop:
            return _result(rule, "requirement", stop, env.lets, explainer)
        _bind_lets(rule, env)
        outcome = MET if rule.test(env) else NOT_MET  # type: ignore[misc]
        return _result(rule, "requirement", outcome, env.lets, explainer)
    except MissingField as missing:
        return _result(rule, "requirement", NOT_MET, env.lets, explainer, ("missing", missing.name))
    except _FAILURES as exc:
        return _result(rule, "requirement", ERROR, env.lets, explainer, ("error", _failure_text(exc)))


def _failure_text(exc: BaseException) -> str:
    if isinstance(exc, RuleFailure):
        return str(exc)
    if isinstance(exc, ZeroDivisionError):
        return "division by zero"
    return f"the arithmetic failed ({type(exc).__name__})"


def _not_scored(rule: CompiledRule, explainer: Explainer) -> RuleResult:
    return _result(rule, "criterion", NOT_SCORED, {}, explainer)


def _criterion(rule: CompiledRule, env: Env, explainer: Explainer) -> RuleResult:
    try:
        stop = _applies(rule, env)
        if stop:
            result = _result(rule, "criterion", stop, env.lets, explainer)
            result.points = d.ZERO
            return result
        _bind_lets(rule, env)
        score, detail = _score(rule, env)
    except MissingField as missing:
        return _result(rule, "criterion", SCORED, env.lets, explainer, ("missing", missing.name), d.ZERO)
    except _FAILURES as exc:
        return _result(rule, "criterion", ERROR, env.lets, explainer, ("error", _failure_text(exc)))
    if score is None and detail[0] == "error":
        return _result(rule, "criterion", ERROR, env.lets, explainer, detail)
    # A relative score is pending (score None) until every compliant bid has its value.
    return _result(rule, "criterion", SCORED, env.lets, explainer, detail, score)


def _score(rule: CompiledRule, env: Env) -> tuple[Decimal | None, tuple[Any, ...]]:
    s = rule.scorer
    assert s is not None
    value = s.value(env)
    if s.kind == "expr":
        score = d.round10(value)
        if not d.ZERO <= score <= d.ONE:
            return None, ("error", "out-of-range", value)
        return score, ("expr", value)
    if s.kind == "bands":
        for index, (test, threshold, band_score) in enumerate(s.bands):
            if test == "otherwise" or (
                value >= threshold(env) if test == "at_least" else value <= threshold(env)
            ):  # type: ignore[misc]
                return band_score, ("band", value, index)
        return d.ZERO, ("band", value, None)
    if s.kind == "linear":
        low, high = s.low(env), s.high(env)  # type: ignore[misc]
        if low == high:
            return None, ("error", "linear-ends", value, low)
        fraction = d.CONTEXT.divide(d.CONTEXT.subtract(value, low), d.CONTEXT.subtract(high, low))
        return d.round10(min(max(fraction, d.ZERO), d.ONE)), ("linear", value, low, high)
    if s.kind in ("relative", "lowest"):
        if value < 0:
            return None, ("error", "negative", value)
        return None, ("relative", value)
    descriptor = s.levels.get(value)
    if descriptor is None:
        return None, ("error", "off-scale", value)
    return d.round10(value), ("scale", value, descriptor)


def _score_relative(compiled: CompiledPolicy, bids: list[BidResult]) -> None:
    for index, rule in enumerate(compiled.criteria):
        if rule.scorer is None or rule.scorer.kind not in ("relative", "lowest"):
            continue
        pending = [b.criteria[index] for b in bids if b.compliant]
        pending = [c for c in pending if c.score is None and c.outcome == SCORED]
        values = [c.detail[1][1] for c in pending]
        if not values:
            continue
        lowest = rule.scorer.kind == "lowest"
        best = min(values) if lowest else max(values)
        for c, value in zip(pending, values, strict=True):
            c.score = d.round10(_relative(value, best, lowest))
            env, detail = c.detail
            c.detail = (env, (*detail, best))


def _relative(value: Decimal, best: Decimal, lowest: bool) -> Decimal:
    if lowest:
        return d.ONE if not value else d.CONTEXT.divide(best, value)
    return d.ZERO if not best else d.CONTEXT.divide(value, best)


def _total_and_rank(bids: Iterable[BidResult]) -> None:
    ranked: list[BidResult] = []
    for bid in bids:
        if not bid.compliant:
            continue
        bid.available_weight = sum((c.weight for c in bid.criteria if c.outcome != NOT_APPLICABLE), d.ZERO)  # type: ignore[misc]
        for c in bid.criteria:
            if c.outcome == SCORED and c.score is not None:
                c.points = d.round10(d.CONTEXT.multiply(c.score, c.weight))  # type: ignore[arg-type]
        if any(c.outcome == ERROR for c in bid.criteria):
            continue
        bid.total_score = sum((c.points for c in bid.criteria if c.points is not None), d.ZERO)
        ranked.append(bid)
    for bid in ranked:
        assert bid.total_score is not None
        bid.rank = 1 + sum(1 for other in ranked if other.total_score > bid.total_score)  # type: ignore[operator]
