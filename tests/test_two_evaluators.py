"""The two evaluators agree: closures (`engine.compiler`) and the generated function
(`engine.codegen`) give exactly the same values for every built-in function and every
score form, on values Hypothesis picks.

The closures serve parameters, reasons and documents; the generated function serves bulk
evaluation. Both take each built-in's meaning from `language/functions.py`, but each
writes its own expression plumbing and codegen writes the score forms' arithmetic itself,
so a slip in either shows here as an inequality. Scores are checked against a reference
worked from the closures' values with `fractions.Fraction`.
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from functools import cache
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from svrules.api import Policy, check_source
from svrules.core.source import SourceFile
from svrules.engine.compiler import CompiledPolicy, Env, ExprCompiler, compile_policy
from svrules.language import nodes as n
from svrules.language import scores as s
from svrules.language.functions import BUILT_INS
from svrules.language.scores import SCORE_FORMS, detail_record

POLICY = """policy two_paths "Two evaluators":
    contract:
        value: money "Contract value"
    bid:
        x: number "A number"
        y: number "Another number"
        m: money "An amount"
        p: percent "A share"
        q: percent "Another share"
        mark: percent "The panel's mark"
    requirement builtins "Every built-in":
        let ceil_n = ceil(bid.x)
        let ceil_p = ceil(bid.p)
        let ceil_m = ceil(bid.m)
        let floor_n = floor(bid.x)
        let floor_p = floor(bid.p)
        let round_n = round(bid.x, 2)
        let round_p = round(bid.p, 1)
        let round_m = round(bid.m, 0)
        let abs_n = abs(bid.x - bid.y)
        let min_2 = min(bid.x, bid.y)
        let min_3 = min(bid.x, bid.y, 0)
        let max_3 = max(bid.p, bid.q, 50%)
        let clamp_m = clamp(bid.m, £100, £5k)
        let mixed = round(max(bid.x, 1) / min(bid.y, -1) * 3, 3)
        met when ceil_n >= floor_n
    criterion formula "Formula":
        weight 10%
        score clamp(bid.p, 0%, 100%)
    criterion bands "Bands":
        weight 10%
        score bands bid.x / 2:
            at least 4: 100%
            at least 1.5: 50%
            at most -3: 10%
    criterion line "Straight line":
        weight 10%
        score linear bid.m from £1k to £9k
    criterion best "Relative":
        weight 10%
        score relative bid.q
    criterion scale "Scale":
        weight 10%
        score scale bid.mark:
            0%: "None"
            50%: "Some"
            100%: "Full"
"""

LETS = [
    "ceil_n", "ceil_p", "ceil_m", "floor_n", "floor_p", "round_n", "round_p", "round_m",
    "abs_n", "min_2", "min_3", "max_3", "clamp_m", "mixed",
]  # fmt: skip


@cache
def compiled() -> CompiledPolicy:
    checked, diagnostics = check_source(SourceFile("two-paths.svr", POLICY), Path("."))
    assert checked is not None and not [d for d in diagnostics if d.severity == "error"], diagnostics
    return compile_policy(checked)


def test_every_built_in_and_score_form_is_covered() -> None:
    """A new built-in or score form must join this test (and so be checked on both paths)."""
    policy = compiled().policy
    called = {
        e.function for let in policy.requirements[0].lets for e in n.walk(let.value) if isinstance(e, n.Call)
    }
    assert called == set(BUILT_INS)
    assert {type(rule.score) for rule in policy.criteria} == set(SCORE_FORMS)


decimals = st.decimals(min_value=-10_000, max_value=10_000, places=3, allow_nan=False, allow_infinity=False)
shares = st.integers(-5_000, 15_000).map(lambda v: Decimal(v).scaleb(-4))  # -50% to 150%, to 0.01%
money = st.integers(-(10**8), 10**8).map(lambda v: Decimal(v).scaleb(-2))
marks = st.sampled_from([Decimal(0), Decimal("0.5"), Decimal(1), Decimal("0.25")])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(x=decimals, y=decimals, m=money, p=shares, q=shares, mark=marks)
def test_closures_and_generated_code_agree(
    x: Decimal, y: Decimal, m: Decimal, p: Decimal, q: Decimal, mark: Decimal
) -> None:
    policy = compiled()
    bid = {"x": x, "y": y, "m": m, "p": p, "q": q, "mark": mark}
    contract = {"value": Decimal(1_000_000)}
    _, _, requirements, _, criteria, _, _ = policy.evaluate_bid(bid, contract, {}, [])
    _, generated_lets, _ = requirements[0]
    closure_lets = _closure_lets(policy, bid, contract)
    for name in LETS:
        assert _same(generated_lets.get(name), closure_lets[name]), (
            name,
            generated_lets.get(name),
            closure_lets[name],
        )
    for rule, raw in zip(policy.criteria, criteria, strict=True):
        env = Env(contract, bid, {})
        _check_criterion(rule.rule, rule.scorer, raw, env)


def _closure_lets(policy: CompiledPolicy, bid: dict[str, Any], contract: dict[str, Any]) -> dict[str, Any]:
    rule = policy.requirements[0]
    env = Env(contract, bid, {})
    values: dict[str, Any] = {}
    for name, fn in rule.lets:
        try:
            values[name] = fn(env)
        except ArithmeticError as exc:  # the generated code fails the same way (the rule's error)
            values[name] = type(exc)
            break
        env.lets[name] = values[name]
    return values


def _same(generated: Any, closure: Any) -> bool:
    if isinstance(closure, type):  # the closures failed: the generated rule stopped there too
        return generated is None
    return type(generated) is type(closure) and generated == closure and str(generated) == str(closure)


def _check_criterion(rule: n.Rule, scorer: Any, raw: list[Any], env: Env) -> None:
    assert isinstance(rule, n.Criterion)
    outcome, score, _, _, compact = raw
    detail = detail_record(compact)
    value = scorer.value(env)
    match detail:
        case s.Computed(v):
            assert v == value and score == value
        case s.OutOfRange(v):
            assert v == value and not (0 <= value <= 1) and outcome == "error"
        case s.Banded(v, band):
            assert v == value
            assert (band, score) == _band_reference(rule.score, scorer, value, env)
        case s.OnLine(v, low, high):
            assert (v, low, high) == (value, scorer.low(env), scorer.high(env))
            assert Fraction(score) == _line_reference(Fraction(v), Fraction(low), Fraction(high))
        case s.Relative(v):
            assert v == value and value >= 0 and score is None  # scored when every bid is in
        case s.Negative(v):
            assert v == value < 0
        case s.OnScale(v, descriptor):
            assert v == value and score == value and scorer.levels[value] == descriptor
        case s.OffScale(v):
            assert v == value and value not in scorer.levels and outcome == "error"
        case _:
            raise AssertionError(f"unexpected detail {detail!r} for {rule.name}")


def _band_reference(score: n.Score, scorer: Any, value: Decimal, env: Env) -> tuple[int | None, Decimal]:
    assert isinstance(score, n.BandScore)
    for index, (test, threshold, result) in enumerate(scorer.bands):
        if test == "otherwise":
            return index, result
        limit = threshold(env)
        if (value >= limit) if test == "at_least" else (value <= limit):
            return index, result
    return None, Decimal(0)


def _line_reference(value: Fraction, low: Fraction, high: Fraction) -> Fraction:
    share = min(max((value - low) / (high - low), Fraction(0)), Fraction(1))
    scaled = share * 10**10  # rounded half up to ten places, as every score is
    whole = scaled.numerator // scaled.denominator
    return Fraction(whole + (1 if scaled - whole >= Fraction(1, 2) else 0), 10**10)


def test_the_api_path_is_the_generated_one() -> None:
    """`Policy.evaluate` goes through the generated function this test compares."""
    policy = Policy(compiled(), [])
    tender = {
        "contract": {"value": "1000000"},
        "bids": [{"bidder": "A", "x": 3, "y": -2, "m": "2500", "p": 40, "q": 10, "mark": 50}],
    }
    result = policy.evaluate(tender).bids[0]
    lets = result.requirement("builtins").lets
    assert lets["ceil_n"] == Decimal(3) and lets["min_3"] == Decimal(-2) and lets["clamp_m"] == Decimal(2500)
    env = Env({"value": Decimal(1_000_000)}, {"x": Decimal(3), "y": Decimal(-2)}, {})
    call = compiled().policy.requirements[0].lets[9].value  # min(bid.x, bid.y)
    assert ExprCompiler(compiled().checked)(call)(env) == lets["min_2"] == Decimal(-2)
