"""Compiled policy + validated tender → results.

Owns the meaning of an evaluation: the as-of date and the parameters in force, whether
the policy applies, each requirement's outcome, compliance, each criterion's score
(relative scores among the compliant bids), points, totals, social value and ranks.
A rule's run-time failure becomes its `error` outcome; the rest of the run goes on.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal, localcontext
from types import MappingProxyType
from typing import Any

from svrules.core import decimals as d
from svrules.core.diagnostics import Diagnostic, InputError
from svrules.engine.compiler import CompiledPolicy, CompiledRule, Env
from svrules.engine.explain import Explainer
from svrules.engine.failures import RUN_TIME_FAILURES, MissingField
from svrules.engine.results import (
    BidResult,
    MeasureValue,
    PolicyInfo,
    RuleResult,
    SocialValue,
    TenderResult,
)
from svrules.engine.tender import Tender
from svrules.language.scores import detail_record

MET, NOT_MET, NOT_APPLICABLE, ERROR = "met", "not_met", "not_applicable", "error"
SCORED, NOT_SCORED = "scored", "not_scored"


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
    declared = compiled.contract_fields.get("tender_date")
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
                            path=compiled.checked.source.path,
                        )
                    ]
                )
            values[param.param.name] = next(v for start, v in reversed(param.dated) if start <= as_of)
        else:
            assert param.value is not None
            try:
                values[param.param.name] = param.value(env)
            except RUN_TIME_FAILURES as exc:
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
    """The policy's metadata as results carry it (made once per compiled policy)."""
    info = compiled.__dict__.get("_info")
    if info is None:
        p = compiled.policy
        info = compiled.__dict__["_info"] = PolicyInfo(
            p.name, p.title, p.version, p.authority, p.effective, compiled.checked.hash
        )
    return info


def evaluate(compiled: CompiledPolicy, tender: Tender, as_of: date | None = None) -> TenderResult:
    """Evaluate every bid of a validated tender."""
    day = resolve_as_of(compiled, tender, as_of)
    params, typed_params, proxies = _in_force(compiled, day)
    contract_value = (
        tender.contract.get("value") if isinstance(tender.contract.get("value"), Decimal) else None
    )
    result = TenderResult(
        policy_info(compiled), day, False, typed_params, [], tender.id, tender.title, contract_value
    )
    if not _policy_applies(compiled, tender.contract, params):
        return result
    result.applies = True
    materializer = _Materializer(compiled, proxies, contract_value, tender.contract, params)
    result.bids = _evaluate_bids(compiled, materializer, tender, params, [proxy for _, proxy in proxies])
    if compiled.has_relative:
        _score_relative(compiled, result.bids)
        _total_and_rank(compiled, result.bids)
    elif len(result.bids) == 1:
        only = result.bids[0]
        only.rank = 1 if only.total_score is not None else None
    else:
        assign_ranks([bid for bid in result.bids if bid.total_score is not None])
    return result


def _in_force(compiled: CompiledPolicy, day: date) -> tuple[dict[str, Any], Any, list[Any]]:
    """Parameters, their typed form and the measures' proxies on a day (kept per day:
    they depend on nothing else, and bulk work evaluates many tenders on one day)."""
    cache = compiled.__dict__.setdefault("_in_force", {})
    found = cache.get(day)
    if found is None:
        params = resolve_params(compiled, day)
        typed = MappingProxyType({p.param.name: (params[p.param.name], p.type) for p in compiled.params})
        proxies = [(m, m.proxy(Env({}, {}, params))) for m in compiled.measures]
        if len(cache) > 1000:
            cache.clear()
        found = cache[day] = (params, typed, proxies)
    return found


def _policy_applies(compiled: CompiledPolicy, contract: dict[str, Any], params: dict[str, Any]) -> bool:
    if compiled.applies is None:
        return True
    try:
        return bool(compiled.applies(Env(contract, {}, params)))
    except MissingField:
        return False
    except RUN_TIME_FAILURES as exc:
        raise InputError(
            [
                Diagnostic(
                    "applies-error",
                    f"the policy's 'applies when' cannot be decided: {exc}",
                    compiled.policy.applies.span if compiled.policy.applies else None,
                )
            ]
        ) from None


def _evaluate_bids(
    compiled: CompiledPolicy,
    materializer: _Materializer,
    tender: Tender,
    params: dict[str, Any],
    proxy_values: list[Decimal],
) -> list[BidResult]:
    """Every bid through the policy's generated evaluator, in the one decimal context."""
    evaluate_bid = compiled.evaluate_bid
    contract = tender.contract
    out = []
    collecting = gc.isenabled()
    gc.disable()  # results hold no cycles; a collection per few hundred bids only costs time
    try:
        with localcontext(d.CONTEXT):
            for bid in tender.bids:
                social, quantities, requirements, failed, criteria, available, total = evaluate_bid(
                    bid.values, contract, params, proxy_values
                )
                result = BidResult(
                    bid.bidder,
                    not failed,
                    materializer,
                    bid.values,
                    social,
                    requirements,
                    criteria,
                    quantities,
                )
                result.available_weight, result.total_score = available, total
                result.failed_requirements = failed
                out.append(result)
    finally:
        if collecting:
            gc.enable()
    return out


def social_value(
    proxies: list[tuple[Any, Decimal]],
    quantities: list[Decimal],
    total: Decimal,
    contract_value: Decimal | None,
) -> SocialValue:
    """The reported form of a bid's social value: per measure, total, ratio to the contract value."""
    measures = []
    for (measure, proxy), quantity in zip(proxies, quantities, strict=True):
        m = measure.measure
        value = d.CONTEXT.multiply(quantity, proxy)
        measures.append(
            MeasureValue(m.name, m.title, m.unit.value if m.unit else None, quantity, proxy, value)
        )
    ratio = d.CONTEXT.divide(total, contract_value) if contract_value else None
    return SocialValue(total, ratio, tuple(measures))


class _Materializer:
    """Turns a bid's compact outcomes into `RuleResult`s and its `SocialValue`, on first access.

    Evaluating keeps per rule only a tuple (requirements) or a short list (criteria), so
    bulk evaluation does not build objects nobody reads.
    """

    def __init__(
        self,
        compiled: CompiledPolicy,
        proxies: list[tuple[Any, Decimal]],
        contract_value: Decimal | None,
        contract: dict[str, Any],
        params: dict[str, Any],
    ):
        self.compiled = compiled
        self._explainer: Explainer | None = None
        self.bidders: dict[int, str] = {}  # id of a bid's values → its bidder, for reasons' errors
        self.proxies = proxies
        self.contract_value = contract_value
        self.contract = contract
        self.params = params

    @property
    def explainer(self) -> Explainer:
        """Made when a reason is first asked for."""
        if self._explainer is None:
            self._explainer = Explainer(self.compiled, self.contract, self.params, self.bidders)
        return self._explainer

    def env(self, bid: BidResult) -> Env:
        self.bidders[id(bid._values)] = bid.bidder
        return Env(self.contract, bid._values, self.params, bid._social_total)

    def requirements(self, bid: BidResult) -> list[RuleResult]:
        env = self.env(bid)
        return [
            self._result(rule, "requirement", outcome, lets, env, detail)
            for rule, (outcome, lets, detail) in zip(
                self.compiled.requirements, bid._raw_requirements, strict=True
            )
        ]

    def criteria(self, bid: BidResult) -> list[RuleResult]:
        env = self.env(bid)
        out = []
        for rule, (outcome, score, points, lets, detail) in zip(
            self.compiled.criteria, bid._raw_criteria, strict=True
        ):
            result = self._result(rule, "criterion", outcome, lets, env, detail)
            result.weight, result.score, result.points = rule.weight, score, points
            out.append(result)
        return out

    def social_value(self, bid: BidResult) -> SocialValue:
        return social_value(self.proxies, bid._quantities, bid._social_total, self.contract_value)

    def _result(
        self,
        rule: CompiledRule,
        kind: str,
        outcome: str,
        lets: dict[str, Any],
        env: Env,
        detail: tuple[Any, ...] | None,
    ) -> RuleResult:
        r = rule.rule
        return RuleResult(
            r.name,
            r.title,
            r.theme,
            kind,
            outcome,
            self.compiled.refs[id(rule)],
            lets,
            rule.let_types,
            detail=detail_record(detail),
            env=env,
            explainer=self.explainer,
        )


def _score_relative(compiled: CompiledPolicy, bids: list[BidResult]) -> None:
    for index, rule in enumerate(compiled.criteria):
        if rule.scorer is None or rule.scorer.kind not in ("relative", "lowest"):
            continue
        pending = [b._raw_criteria[index] for b in bids if b.compliant]
        pending = [c for c in pending if c[0] == SCORED and c[1] is None]
        if not pending:
            continue
        values = [c[4][1] for c in pending]
        lowest = rule.scorer.kind == "lowest"
        best = min(values) if lowest else max(values)
        for c, value in zip(pending, values, strict=True):
            c[1] = d.round10(_relative(value, best, lowest))
            c[4] = (*c[4], best)


def _relative(value: Decimal, best: Decimal, lowest: bool) -> Decimal:
    if lowest:
        return d.ONE if not value else d.CONTEXT.divide(best, value)
    return d.ZERO if not best else d.CONTEXT.divide(value, best)


def _total_and_rank(compiled: CompiledPolicy, bids: Iterable[BidResult]) -> None:
    weights = [rule.weight for rule in compiled.criteria]
    ranked: list[BidResult] = []
    for bid in bids:
        if not bid.compliant:
            continue
        available = d.ZERO
        total: Decimal | None = d.ZERO
        for raw, weight in zip(bid._raw_criteria, weights, strict=True):
            outcome = raw[0]
            if outcome is NOT_APPLICABLE:
                continue
            available += weight
            if outcome is SCORED:
                raw[2] = d.round10(d.CONTEXT.multiply(raw[1], weight))
                if total is not None:
                    total += raw[2]
            else:
                total = None
        bid.available_weight = available
        if total is not None:
            bid.total_score = total
            ranked.append(bid)
    assign_ranks(ranked)


def _total(bid: BidResult) -> Decimal:
    """A ranked bid's total score (only bids with a total are ranked)."""
    assert bid.total_score is not None
    return bid.total_score


def assign_ranks(bids: list[BidResult]) -> None:
    """Competition ranks, highest total first: equal totals share a rank (1, 1, 3)."""
    ordered = sorted(bids, key=_total, reverse=True)
    previous: Decimal | None = None
    rank = 0
    for position, bid in enumerate(ordered, start=1):
        if bid.total_score != previous:
            rank, previous = position, bid.total_score
        bid.rank = rank
