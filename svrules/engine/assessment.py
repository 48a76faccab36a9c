"""Compiled policy + performance report → KPI ratings (Procurement Act 2023, ss.52 and 71).

Owns reading a performance report (the contract, the winning bid, the delivery figures
and the period), rating each KPI with the same compiled rules that scored the bid, the
OCDS code each rating is published under, and the section 52 check for contracts worth
more than £5m.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from svrules.core.diagnostics import Diagnostic, InputError
from svrules.engine.compiler import CompiledPolicy, CompiledRule, Env
from svrules.engine.explain import template_context
from svrules.engine.failures import RUN_TIME_FAILURES, MissingField, failure_text
from svrules.engine.results import json_value
from svrules.engine.runtime import policy_info, resolve_params
from svrules.engine.tender import TenderValidator, convert, read_tender_file
from svrules.language import nodes as n
from svrules.language import units
from svrules.language.checked import declared_fields
from svrules.language.templates import render, render_value, typed

OCDS_CODES = {
    "good": "met",
    "approaching_target": "slightlyBelow",
    "requires_improvement": "below",
    "inadequate": "significantlyBelow",
    "other": "other",
    "error": "other",
}
SECTION_52_THRESHOLD = Decimal(5_000_000)
REPORT_KEYS = ("contract", "bid", "delivery", "period", "id", "title")


@dataclass(frozen=True)
class Report:
    """A validated performance report."""

    contract: dict[str, Any]
    bidder: str
    bid: dict[str, Any]
    delivery: dict[str, Any]
    start: date
    end: date
    path: str


@dataclass(frozen=True)
class KpiResult:
    """One KPI's rating for the period, its reason and the values that decided it."""

    id: str
    title: str
    material: bool
    rating: str
    reason: str
    refs: tuple[str, ...]
    lets: dict[str, Any]
    trace: list[dict[str, Any]]

    @property
    def ocds(self) -> str | None:
        return OCDS_CODES.get(self.rating)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "material": self.material,
            "rating": self.rating,
            "ocds": self.ocds,
            "reason": self.reason,
            "refs": list(self.refs),
            "lets": self.lets,
            "trace": self.trace,
        }


@dataclass
class Assessment:
    """The KPI ratings of one period of one contract."""

    policy: Any
    bidder: str
    start: date
    end: date
    as_of: date
    kpis: list[KpiResult]
    section_52: dict[str, Any] = field(default_factory=dict)

    def kpi(self, kpi_id: str) -> KpiResult:
        return next(k for k in self.kpis if k.id == kpi_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "svrules": "1",
            "policy": self.policy.to_json(),
            "bidder": self.bidder,
            "period": {"start": self.start.isoformat(), "end": self.end.isoformat()},
            "as_of": self.as_of.isoformat(),
            "kpis": [k.to_json() for k in self.kpis],
            "section_52": self.section_52,
        }


def validate_report(compiled: CompiledPolicy, data: Any, path: str) -> Report:
    """Check a report against the policy's contract, bid and delivery declarations."""
    policy = compiled.policy
    validator = TenderValidator(declared_fields(policy, "contract"), declared_fields(policy, "bid"), path)
    if not isinstance(data, dict):
        validator.problem(
            "the file", "a report is a JSON object with contract, bid, delivery and period", code="bad-report"
        )
        raise InputError(validator.problems)
    validator.note_repeated(data, "the report")  # a repeated key would silently keep its last value
    for key in data:
        if key not in REPORT_KEYS:
            validator.problem(
                "the report",
                f"unknown key '{key}'",
                "a report holds contract, bid, delivery and period",
                "unknown-key",
            )
    contract = validator.record(data.get("contract"), validator.contract_fields, "contract", "the contract")
    raw_bid = data.get("bid")
    bidder = raw_bid.get("bidder") if isinstance(raw_bid, dict) else None
    if not isinstance(bidder, str) or not bidder.strip():
        validator.problem("the bid", "'bidder' must name the supplier", code="bad-bidder")
        bidder = "?"
    bid_values = {k: v for k, v in raw_bid.items() if k != "bidder"} if isinstance(raw_bid, dict) else raw_bid
    validator.note_repeated(raw_bid, f"bid '{bidder}'")
    bid = validator.record(bid_values, validator.bid_fields, "bid", f"bid '{bidder}'")
    validator.note_repeated(data.get("delivery"), "the delivery figures")
    delivery = validator.record(
        data.get("delivery"), declared_fields(policy, "delivery"), "delivery", "the delivery figures"
    )
    validator.note_repeated(data.get("period"), "the period")
    start, end = _period(data.get("period"), validator)
    if validator.problems:
        raise InputError(validator.problems)
    assert start is not None and end is not None  # a missing or bad period is one of the problems
    return Report(contract, bidder, bid, delivery, start, end, path)


def _period(raw: Any, validator: TenderValidator) -> tuple[date | None, date | None]:
    date_field = n.FieldDecl("period", "date")
    if not isinstance(raw, dict) or set(raw) != {"start", "end"}:
        validator.problem(
            "the report", '\'period\' must be {"start": "YYYY-MM-DD", "end": "YYYY-MM-DD"}', code="bad-period"
        )
        return None, None
    start, end = convert(raw["start"], date_field), convert(raw["end"], date_field)
    if not isinstance(start, date) or not isinstance(end, date):
        validator.problem("the period", 'start and end must be dates "YYYY-MM-DD"', code="bad-period")
        return None, None
    if end < start:
        validator.problem("the period", "the period ends before it starts", code="bad-period")
    return start, end


def assess(compiled: CompiledPolicy, report: Report, as_of: date | None = None) -> Assessment:
    """Rate every KPI for the report's period; the parameters in force at its end."""
    day = as_of or report.end
    params = resolve_params(compiled, day)
    env = Env(report.contract, report.bid, params, delivery=report.delivery)
    results = [_rate(compiled, rule, env) for rule in compiled.kpis]
    assessment = Assessment(policy_info(compiled), report.bidder, report.start, report.end, day, results)
    assessment.section_52 = _section_52(report.contract.get("value"), results)
    return assessment


def _rate(compiled: CompiledPolicy, rule: CompiledRule, env: Env) -> KpiResult:
    kpi = rule.rule
    assert isinstance(kpi, n.Kpi) and rule.test is not None
    env.lets = {}
    refs = tuple(t.value for t in kpi.refs)

    def result(rating: str, reason: str) -> KpiResult:
        lets = {k: json_value(v, rule.let_types.get(k, "")) for k, v in env.lets.items()}
        return KpiResult(
            kpi.name, kpi.title, kpi.material, rating, reason, refs, lets, _trace(compiled, kpi, env)
        )

    try:
        if rule.applies is not None and not rule.applies(env):
            return result("not_applicable", "does not apply to this contract")
    except MissingField:
        return result("not_applicable", "does not apply to this contract")
    try:
        for name, fn in rule.lets:
            env.lets[name] = fn(env)
        value = rule.test(env)
        rating, line = _first_line(rule, value, env)
    except MissingField as missing:
        return result("other", f"{missing.name} is not stated in the report, so the KPI is rated other")
    except RUN_TIME_FAILURES as exc:
        return result("error", failure_text(exc))
    if rule.explain is not None:
        reason = render(rule.explain, template_context(compiled, rule, env))
    else:
        reason = _generated_reason(compiled, kpi, value, rating, line, env)
    return result(rating, reason)


def _first_line(rule: CompiledRule, value: Any, env: Env) -> tuple[str, int | None]:
    assert rule.scorer is not None
    for index, (test, threshold, rating) in enumerate(rule.scorer.bands):
        if threshold is None or (value >= threshold(env) if test == "at_least" else value <= threshold(env)):
            return str(rating), index
    return "other", None


def _generated_reason(
    compiled: CompiledPolicy, kpi: n.Kpi, value: Any, rating: str, line: int | None, env: Env
) -> str:
    value_type = compiled.checked.types.get(id(kpi.rating.value), "")
    shown = render_value(typed(value, value_type))
    words = rating.replace("_", " ")
    if line is None:
        return f"{shown} matches no rating line, so the rating is other"
    band = kpi.rating.lines[line]
    if band.threshold is None:  # the `otherwise` line
        return f"{shown} is below every line, so the rating is {words}"
    threshold = _ExprValue(compiled, kpi)(band.threshold, env)
    word = "at least" if band.test == "at_least" else "at most"
    return f"{shown} is {word} {render_value(typed(threshold, value_type))}, so the rating is {words}"


class _ExprValue:
    """Evaluates one expression of a KPI again, to show a threshold in its reason."""

    def __init__(self, compiled: CompiledPolicy, kpi: n.Kpi):
        from svrules.engine.compiler import ExprCompiler

        self.compile = ExprCompiler(compiled.checked, frozenset(let.name for let in kpi.lets))

    def __call__(self, expr: n.Expr, env: Env) -> Any:
        return self.compile(expr)(env)


def _trace(compiled: CompiledPolicy, kpi: n.Kpi, env: Env) -> list[dict[str, Any]]:
    out, seen = [], set()
    exprs = (
        [let.value for let in kpi.lets]
        + [kpi.rating.value]
        + [b.threshold for b in kpi.rating.lines if b.threshold is not None]
    )
    for expr in exprs:
        for node in n.walk(expr):
            if isinstance(node, n.Field) and node.dotted not in seen:
                seen.add(node.dotted)
                decl = compiled.checked.fields(node.root)[node.name]
                out.append(
                    {
                        "name": node.dotted,
                        "value": json_value(
                            getattr(env, node.root).get(node.name), units.expression_type(decl.type)
                        ),
                    }
                )
    return out


def _section_52(value: Any, results: list[KpiResult]) -> dict[str, Any]:
    applicable = [k for k in results if k.rating != "not_applicable"]
    material = [k for k in applicable if k.material]
    problems = []
    over = isinstance(value, Decimal) and value > SECTION_52_THRESHOLD
    if over and len(applicable) < 3:
        problems.append(
            f"a contract worth more than £5,000,000 needs at least three KPIs; {len(applicable)} apply"
        )
    if over and len(material) > 3:
        problems.append(f"at most three KPIs may be marked material; {len(material)} are")
    return {
        "applies": over,
        "ok": not problems,
        "kpis": len(applicable),
        "material": len(material),
        "problems": problems,
    }


def assess_file(policy: Any, path: Path | str, as_of: date | None = None) -> Assessment:
    """Read, validate and assess a performance report file."""
    source, data = read_tender_file(path)
    if not policy.compiled.kpis:
        raise InputError(
            [
                Diagnostic(
                    "no-kpis",
                    "the policy declares no KPIs",
                    None,
                    "add 'kpi' rules to the policy",
                    path=source.path,
                )
            ]
        )
    return assess(policy.compiled, validate_report(policy.compiled, data, source.path), as_of)
