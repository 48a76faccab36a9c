"""Property-based tests: exact literals, rounding, scoring, ranking and robustness.

These generate inputs with Hypothesis and check the promises of the language spec
(/work/shared/spec/language.md) that hold for every input, not just the worked examples:
literals are exact decimals, written values read back as themselves, linear and relative
scores follow their formulas exactly, ranks are competition ranks independent of input
order, any valid tender evaluates, and any text given to the checker gives diagnostics
rather than an exception.

Reference values are computed with `fractions.Fraction` and integers, never with the
`decimal` module, so a rounding slip in svrules cannot hide in the reference too.
"""

from __future__ import annotations

import json
import re
import tempfile
from datetime import date
from decimal import Decimal
from fractions import Fraction
from functools import cache
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, event, example, given, settings
from hypothesis import strategies as st

from svrules.api import Policy, check_source, load_policy
from svrules.core.decimals import (
    money_text,
    number_text,
    percent_text,
    plain,
    round_half_up,
)
from svrules.core.diagnostics import InputError, render
from svrules.core.source import SourceFile
from svrules.engine.compiler import compile_policy
from svrules.language import nodes as n
from svrules.language.builder import build
from svrules.language.parser import ParseFailed, parse

from .conftest import EXAMPLES

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SLOW = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])

REQUIREMENT_OUTCOMES = {"met", "not_met", "not_applicable", "error"}
CRITERION_OUTCOMES = {"scored", "not_applicable", "not_scored", "error"}
PLAIN = re.compile(r"-?(0|[1-9][0-9]*)(\.[0-9]*[1-9])?")


# --------------------------------------------------------------------------- references


def half_up(value: Fraction, places: int) -> Fraction:
    """Round half away from zero to `places` decimal places, in exact arithmetic."""
    scale = 10**places
    scaled = abs(value) * scale
    whole = scaled.numerator // scaled.denominator
    if scaled - whole >= Fraction(1, 2):
        whole += 1
    return Fraction(whole if value >= 0 else -whole, scale)


def round_sig_half_even(value: Fraction, digits: int = 28) -> Fraction:
    """`value` rounded to `digits` significant digits, half to even (the 28-digit context)."""
    if value == 0:
        return value
    sign = 1 if value > 0 else -1
    magnitude = abs(value)
    exponent = len(str(magnitude.numerator // magnitude.denominator)) - 1 if magnitude >= 1 else 0
    if magnitude < 1:
        exponent = -1
        while magnitude * Fraction(10) ** (-exponent) < 1:
            exponent -= 1
    unit = Fraction(10) ** (exponent - digits + 1)
    q = magnitude / unit
    whole = q.numerator // q.denominator
    rest = q - whole
    if rest > Fraction(1, 2) or (rest == Fraction(1, 2) and whole % 2 == 1):
        whole += 1
    return sign * whole * unit


def divided(a: Fraction, b: Fraction) -> Fraction:
    """A division as the spec defines it: exact, then rounded to 28 significant digits."""
    return round_sig_half_even(a / b)


def dec(value: Fraction) -> Decimal:
    """An exact Fraction with a terminating decimal expansion, as a Decimal (for messages)."""
    return Decimal(value.numerator) / Decimal(value.denominator)


def json_number(value: Decimal) -> str:
    """A Decimal written as a JSON number without losing a digit."""
    return format(value, "f")


# --------------------------------------------------------------------------- helpers


def build_text(text: str, path: str = "prop.svr") -> tuple[n.Policy, list[Any]]:
    tree = parse(SourceFile(path, text, text.encode()))
    return build(tree, path)


def param_literal(expr_text: str) -> n.Literal:
    """Parse `param x = EXPR` in a tiny policy and return the built literal."""
    text = f'policy lit "Literal":\n    param x = {expr_text}\n'
    policy, diagnostics = build_text(text)
    errors = [d for d in diagnostics if d.severity == "error"]
    assert not errors, (expr_text, errors)
    (param,) = policy.params
    (value,) = param.values
    assert value.start is None
    literal = value.value
    assert isinstance(literal, n.Literal), (expr_text, literal)
    return literal


def assert_exact(literal: n.Literal, kind: str, intended: Fraction) -> None:
    assert literal.kind == kind
    assert type(literal.value) is Decimal, type(literal.value)
    assert not isinstance(literal.value, float)
    assert literal.value.is_finite()
    assert literal.value == dec(intended), (literal.text, literal.value, intended)
    # Equal as exact rationals too, whatever the Decimal's exponent happens to be.
    assert Fraction(literal.value) == intended, (literal.text, literal.value, intended)


_TMP = tempfile.TemporaryDirectory(prefix="svrules-props-")


@cache
def policy_from_text(text: str) -> Policy:
    """Load a policy written to a temporary file through the public API (cached by text)."""
    path = Path(_TMP.name) / f"p{abs(hash(text))}" / "policy.svr"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return load_policy(path)


def tender_json(contract: dict[str, str], bids: list[dict[str, str]]) -> str:
    """A tender as JSON text; values are already JSON fragments (exact numbers as text)."""

    def obj(fields: dict[str, str]) -> str:
        return "{" + ", ".join(f"{json.dumps(k)}: {v}" for k, v in fields.items()) + "}"

    return '{"contract": ' + obj(contract) + ', "bids": [' + ", ".join(obj(b) for b in bids) + "]}"


def with_commas(digits: int, grouped: bool) -> str:
    return f"{digits:,}" if grouped else str(digits)


# --------------------------------------------------------------------------- literals

WHOLE = st.integers(min_value=0, max_value=10**14)


@st.composite
def money_literals(draw: st.DrawFn) -> tuple[str, Fraction]:
    """An SVR money literal and the exact amount it means."""
    form = draw(st.sampled_from(["whole", "pence", "suffix"]))
    whole = draw(WHOLE)
    grouped = draw(st.booleans())
    if form == "whole":
        return f"£{with_commas(whole, grouped)}", Fraction(whole)
    if form == "pence":
        pence = draw(st.integers(0, 99))
        return f"£{with_commas(whole, grouped)}.{pence:02d}", whole + Fraction(pence, 100)
    suffix, power = draw(st.sampled_from([("k", 3), ("m", 6), ("bn", 9)]))
    whole = draw(st.integers(0, 10 ** (14 - power)))
    # Any number of decimals that still leaves whole pence: up to power + 2 of them.
    places = draw(st.integers(0, power + 2))
    frac = draw(st.integers(0, 10**places - 1)) if places else 0
    frac_text = f".{frac:0{places}d}" if places else ""
    amount = (whole + Fraction(frac, 10**places)) * 10**power
    return f"£{with_commas(whole, grouped)}{frac_text}{suffix}", amount


@FAST
@given(money_literals(), st.booleans())
def test_money_literals_are_exact_decimals(case: tuple[str, Fraction], negative: bool) -> None:
    text, amount = case
    if negative:
        text, amount = "-" + text, -amount
    literal = param_literal(text)
    assert_exact(literal, "money", amount)
    assert literal.text == text


@FAST
@given(
    st.integers(0, 10**9),
    st.booleans(),
    st.integers(0, 8),
    st.data(),
    st.booleans(),
)
def test_percent_literals_are_exact_fractions(
    whole: int, grouped: bool, places: int, data: st.DataObject, negative: bool
) -> None:
    frac = data.draw(st.integers(0, 10**places - 1)) if places else 0
    text = f"{with_commas(whole, grouped)}{f'.{frac:0{places}d}' if places else ''}%"
    intended = (whole + Fraction(frac, 10**places)) / 100
    if negative:
        text, intended = "-" + text, -intended
    assert_exact(param_literal(text), "percent", intended)


def test_percent_literal_examples() -> None:
    assert param_literal("12.5%").value == Decimal("0.125")
    assert Fraction(param_literal("12.5%").value) == Fraction(1, 8)
    assert param_literal("1,250%").value == Decimal("12.5")
    assert param_literal("£1.5m").value == Decimal(1_500_000)
    assert param_literal("£2bn").value == Decimal(2 * 10**9)
    assert param_literal("£1,234.50").value == Decimal("1234.5")


@FAST
@given(st.integers(0, 10**14), st.booleans(), st.integers(0, 12), st.data())
def test_number_literals_are_exact(whole: int, grouped: bool, places: int, data: st.DataObject) -> None:
    frac = data.draw(st.integers(0, 10**places - 1)) if places else 0
    text = f"{with_commas(whole, grouped)}{f'.{frac:0{places}d}' if places else ''}"
    assert_exact(param_literal(text), "number", whole + Fraction(frac, 10**places))


@FAST
@given(
    st.integers(0, 10**9),
    st.one_of(
        st.tuples(st.just(""), st.integers(3, 6)),  # £1.234 … fraction of a penny, or £12.6
        st.tuples(st.just(""), st.just(1)),
        st.tuples(st.just("k"), st.integers(6, 8)),
        st.tuples(st.just("m"), st.integers(9, 11)),
    ),
    st.data(),
)
def test_money_literals_that_are_not_whole_pence_are_errors(
    whole: int, shape: tuple[str, int], data: st.DataObject
) -> None:
    suffix, places = shape
    # The last decimal is non-zero, so the amount is not whole pence (or, with one digit
    # and no multiplier, the pence are not written with two digits).
    frac = data.draw(st.integers(0, 10 ** (places - 1) - 1)) * 10 + data.draw(st.integers(1, 9))
    text = f"£{whole}.{frac:0{places}d}{suffix}"
    _policy, diagnostics = build_text(f'policy lit "Literal":\n    param x = {text}\n')
    codes = [d.code for d in diagnostics if d.severity == "error"]
    assert codes == ["bad-money"], (text, diagnostics)
    assert all(d.hint for d in diagnostics)


# --------------------------------------------------------------------------- written forms

DECIMALS = st.builds(
    lambda sign, coefficient, exponent: Decimal((sign, tuple(int(c) for c in str(coefficient)), exponent)),
    st.integers(0, 1),
    st.integers(0, 10**18),
    st.integers(-10, 5),
)


@FAST
@given(DECIMALS)
def test_plain_round_trips_and_is_plain(value: Decimal) -> None:
    text = plain(value)
    assert Decimal(text) == value
    assert "e" not in text.lower()
    assert not text.endswith(".")
    assert not ("." in text and text.endswith("0"))
    assert text != "-0"
    assert PLAIN.fullmatch(text), text
    # Read back as an SVR number (with a unary minus), it is the same value.
    assert Fraction(param_literal(text).value) == Fraction(value)


@FAST
@given(
    st.integers(0, 1),
    st.integers(0, 10**24),
    st.integers(11, 24),
)
def test_plain_rounds_half_up_beyond_ten_places(sign: int, coefficient: int, places: int) -> None:
    exact = Fraction(coefficient, 10**places) * (-1 if sign else 1)
    value = Decimal((sign, tuple(int(c) for c in str(coefficient)), -places))
    text = plain(value)
    assert Fraction(Decimal(text)) == half_up(exact, 10)
    assert "e" not in text.lower() and text != "-0" and PLAIN.fullmatch(text), text


@FAST
@given(st.integers(-(10**15) + 1, 10**15 - 1), st.integers(0, 4))
def test_money_text_reads_back_as_the_amount_to_the_penny(coefficient: int, places: int) -> None:
    exact = Fraction(coefficient, 10**places)
    value = Decimal(coefficient).scaleb(-places)
    text = money_text(value)
    assert re.fullmatch(r"-?£[0-9]{1,3}(,[0-9]{3})*(\.[0-9]{2})?", text), text
    pennies = half_up(exact, 2)
    assert text.endswith(".00") is False
    if pennies.denominator == 1:
        assert "." not in text, text  # whole pounds are written without pence
    literal = param_literal(text)
    assert literal.kind == "money"
    assert Fraction(literal.value) == pennies, (value, text)


@FAST
@given(st.integers(-(10**13), 10**13), st.integers(0, 14))
def test_percent_text_reads_back(coefficient: int, places: int) -> None:
    exact = Fraction(coefficient, 10**places)  # a fraction: 0.25 is 25%
    value = Decimal(coefficient).scaleb(-places)
    text = percent_text(value)
    assert text.endswith("%") and "e" not in text.lower() and not text.startswith("-0%"), text
    assert PLAIN.fullmatch(text[:-1]), text
    literal = param_literal(text)
    assert literal.kind == "percent"
    # Percentage points keep at most 10 places (rounded half up).
    assert Fraction(literal.value) == half_up(exact * 100, 10) / 100, (value, text)


@FAST
@example(Decimal(10**20), 10)
@given(DECIMALS, st.integers(0, 10))
def test_number_text_rounds_half_up(value: Decimal, places: int) -> None:
    text = number_text(value, places)
    assert Fraction(Decimal(text)) == half_up(Fraction(value), places)
    assert PLAIN.fullmatch(text), text


# Products of two valid inputs (each below 10^15 in magnitude) reach 10^30, so a value with
# 28 significant digits and any exponent up to that size can meet a template or a reason.
LARGE = st.builds(
    lambda sign, coefficient, exponent: Decimal((sign, tuple(int(c) for c in str(coefficient)), exponent)),
    st.integers(0, 1),
    st.integers(0, 10**28 - 1),
    st.integers(-12, 4),
)


@FAST
@example(Decimal(10**26))  # £10^26: money rendered to the penny needs 29 digits
@example(Decimal(10**18))  # number(10) of 10^18 needs 29 digits
@given(LARGE)
def test_written_forms_of_large_values_are_exact(value: Decimal) -> None:
    exact = Fraction(value)
    money = money_text(value)
    assert Fraction(Decimal(money.replace("£", "").replace(",", ""))) == half_up(exact, 2), (value, money)
    for places in (0, 1, 2, 10):
        text = number_text(value, places)
        assert PLAIN.fullmatch(text), text
        assert Fraction(Decimal(text)) == half_up(exact, places), (value, places, text)
    text = plain(value)
    assert PLAIN.fullmatch(text) and Fraction(Decimal(text)) == half_up(exact, 10), (value, text)


@st.composite
def rounding_cases(draw: st.DrawFn) -> tuple[Decimal, int]:
    """A decimal and a number of places; often exactly half way, or just either side of it."""
    places = draw(st.integers(0, 10))
    sign = draw(st.integers(0, 1))
    kind = draw(st.sampled_from(["any", "tie", "near-tie"]))
    if kind == "any":
        coefficient, exponent = draw(st.integers(0, 10**20)), draw(st.integers(0, 12))
    else:
        kept = draw(st.integers(0, 10**12))
        tail = draw(st.integers(1, 6))  # digits after the rounding place
        half = 5 * 10 ** (tail - 1)
        nudge = 0 if kind == "tie" else draw(st.sampled_from([-1, 1]))
        coefficient, exponent = kept * 10**tail + half + nudge, places + tail
    value = Decimal((sign, tuple(int(c) for c in str(coefficient)), -exponent))
    return value, places


@FAST
@given(rounding_cases())
def test_round_half_up_matches_fraction_reference(case: tuple[Decimal, int]) -> None:
    value, places = case
    assume(abs(value) < 10**15)
    rounded = round_half_up(value, places)
    assert type(rounded) is Decimal
    assert Fraction(rounded) == half_up(Fraction(value), places), (value, places, rounded)
    assert -rounded.as_tuple().exponent == places  # type: ignore[operator]
    # number(places) in templates uses the same rounding and writes it plainly.
    assert Fraction(Decimal(number_text(value, places))) == half_up(Fraction(value), places)


def test_round_half_up_examples() -> None:
    assert round_half_up(Decimal("-0.125"), 2) == Decimal("-0.13")
    assert round_half_up(Decimal("0.125"), 2) == Decimal("0.13")
    assert round_half_up(Decimal("2.5"), 0) == Decimal(3)
    assert round_half_up(Decimal("-2.5"), 0) == Decimal(-3)


# --------------------------------------------------------------------------- linear scores

LINEAR_POLICY = """policy linear_prop "Linear":
    contract:
        value: money "Contract value"
        lo: {ftype} "Linear start"
        hi: {ftype} "Linear end"
    bid:
        x: {ftype} "The scored value"
    criterion c "C":
        weight 10%
        score linear bid.x from {low} to {high}
"""


def _decimal_text(value: Fraction) -> str:
    return json_number(dec(value))


def _literal_text(value: Fraction, ftype: str) -> str:
    """An SVR literal for `value` (a percent is given as a fraction: 1/4 is 25%)."""
    if ftype == "percent":
        return _decimal_text(value * 100) + "%"
    return _decimal_text(value)


def _input_text(value: Fraction, ftype: str, as_string: bool) -> str:
    """A JSON fragment for `value` (a percent in points, as a number or a "25%" string)."""
    if ftype == "percent":
        points = _decimal_text(value * 100)
        return json.dumps(points + "%") if as_string else points
    return _decimal_text(value)


@st.composite
def linear_cases(draw: st.DrawFn) -> tuple[str, Fraction, Fraction, list[Fraction], list[bool]]:
    ftype = draw(st.sampled_from(["number", "percent"]))
    if ftype == "percent":
        # Percents from 0% to 100% with up to two decimals of a point.
        points = st.integers(0, 10_000).map(lambda v: Fraction(v, 10_000))
    else:
        points = st.integers(-(10**7), 10**7).map(lambda v: Fraction(v, 1000))
    low = draw(points)
    high = draw(points.filter(lambda v: v != low))
    xs = draw(st.lists(points, min_size=1, max_size=7))
    xs += draw(st.lists(st.sampled_from([low, high]), max_size=2))
    flags = [draw(st.booleans()) for _ in xs]
    return ftype, low, high, xs, flags


def _linear_reference(x: Fraction, low: Fraction, high: Fraction) -> Fraction:
    fraction = divided(x - low, high - low)
    return half_up(min(max(fraction, Fraction(0)), Fraction(1)), 10)


@FAST
@given(linear_cases(), st.booleans())
def test_linear_scores_are_exact_bounded_and_monotone(
    case: tuple[str, Fraction, Fraction, list[Fraction], list[bool]], ends_from_contract: bool
) -> None:
    ftype, low, high, xs, as_string = case
    source = LINEAR_POLICY.format(
        ftype=ftype,
        low="contract.lo" if ends_from_contract else _literal_text(low, ftype),
        high="contract.hi" if ends_from_contract else _literal_text(high, ftype),
    )
    policy = policy_from_text(source)
    contract = {
        "value": "1000000",
        "lo": _input_text(low, ftype, False),
        "hi": _input_text(high, ftype, False),
    }
    bids = [
        {"bidder": json.dumps(f"Bidder {i}"), "x": _input_text(x, ftype, s)}
        for i, (x, s) in enumerate(zip(xs, as_string, strict=True))
    ]
    result = policy.evaluate(tender_json(contract, bids))
    assert [b.bidder for b in result.bids] == [f"Bidder {i}" for i in range(len(xs))]
    scores: list[tuple[Fraction, Fraction]] = []
    for bid, x in zip(result.bids, xs, strict=True):
        (criterion,) = bid.criteria
        assert criterion.outcome == "scored", (criterion.outcome, criterion.reason)
        score = criterion.score
        assert type(score) is Decimal
        exact = Fraction(score)
        assert 0 <= exact <= 1, (x, score)
        if (high > low and x <= low) or (high < low and x >= low):
            assert exact == 0, (x, low, high, score)
        if (high > low and x >= high) or (high < low and x <= high):
            assert exact == 1, (x, low, high, score)
        assert exact == _linear_reference(x, low, high), (x, low, high, score)
        assert Fraction(criterion.points) == half_up(exact / 10, 10)
        scores.append((x, exact))
    scores.sort()
    for (x1, s1), (x2, s2) in pairwise(scores):
        if high > low:
            assert s1 <= s2, (x1, s1, x2, s2)
        else:
            assert s1 >= s2, (x1, s1, x2, s2)


@SLOW
@given(st.integers(-1000, 1000), st.lists(st.integers(-2000, 2000), min_size=1, max_size=4))
def test_linear_with_equal_ends_at_run_time_is_an_error(end: int, xs: list[int]) -> None:
    policy = policy_from_text(LINEAR_POLICY.format(ftype="number", low="contract.lo", high="contract.hi"))
    contract = {"value": "1000000", "lo": str(end), "hi": str(end)}
    bids = [{"bidder": json.dumps(f"B{i}"), "x": str(x)} for i, x in enumerate(xs)]
    result = policy.evaluate(tender_json(contract, bids))
    for bid in result.bids:
        (criterion,) = bid.criteria
        assert criterion.outcome == "error"
        assert criterion.score is None and criterion.points is None
        assert bid.rank is None and bid.total_score is None
        assert bid.needs_attention == ["c"]
        assert isinstance(criterion.reason, str) and criterion.reason.strip()


# --------------------------------------------------------------------------- ranking

RANK_POLICY = """policy rank_prop "Ranking":
    contract:
        value: money "Contract value"
    bid:
        ok: yes/no "Meets the gate"
        a: percent "First mark"
        b: percent "Second mark"
    requirement gate "Gate":
        met when bid.ok
    criterion ca "A":
        weight 30%
        score bid.a
    criterion cb "B":
        weight 20%
        score bid.b
"""

# Marks chosen so that totals tie often and in several ways (0.3 × 20% = 0.2 × 30%).
MARKS = st.sampled_from([0, 10, 20, 30, 45, 50, 60, 90, 100, 12.5, 33.33, 66.67])


@st.composite
def rank_bids(draw: st.DrawFn) -> list[tuple[str, bool, Fraction, Fraction]]:
    count = draw(st.integers(1, 8))
    out = []
    for i in range(count):
        ok = draw(st.sampled_from([True, True, True, False]))  # mostly compliant
        a = Fraction(str(draw(MARKS))) / 100
        b = Fraction(str(draw(MARKS))) / 100
        out.append((f"Bidder {i}", ok, a, b))
    return out


def _rank_tender(bids: list[tuple[str, bool, Fraction, Fraction]]) -> str:
    return tender_json(
        {"value": "500000"},
        [
            {
                "bidder": json.dumps(name),
                "ok": "true" if ok else "false",
                "a": _decimal_text(a * 100),
                "b": json.dumps(_decimal_text(b * 100) + "%"),
            }
            for name, ok, a, b in bids
        ],
    )


@FAST
@given(rank_bids(), st.randoms(use_true_random=False))
def test_ranks_are_competition_ranks_and_ignore_input_order(
    bids: list[tuple[str, bool, Fraction, Fraction]], rnd: Any
) -> None:
    policy = policy_from_text(RANK_POLICY)
    result = policy.evaluate(_rank_tender(bids))
    assert [b.bidder for b in result.bids] == [name for name, *_ in bids]  # input order kept

    expected_total = {
        name: half_up(a * Fraction(3, 10), 10) + half_up(b * Fraction(2, 10), 10)
        for name, ok, a, b in bids
        if ok
    }
    for bid, (name, ok, _a, _b) in zip(result.bids, bids, strict=True):
        assert bid.compliant is ok
        if not ok:
            assert bid.rank is None and bid.total_score is None
            assert all(c.outcome == "not_scored" and c.score is None for c in bid.criteria)
        else:
            assert Fraction(bid.total_score) == expected_total[name], (name, bid.total_score)
            assert bid.rank == 1 + sum(1 for t in expected_total.values() if t > expected_total[name])

    ranked = [b for b in result.bids if b.rank is not None]
    assert len(ranked) == len(expected_total)
    ordered = sorted(ranked, key=lambda b: -Fraction(b.total_score))
    for position, bid in enumerate(ordered, start=1):
        before = ordered[position - 2] if position > 1 else None
        if before is not None and before.total_score == bid.total_score:
            assert bid.rank == before.rank  # a tie shares the rank
        else:
            assert bid.rank == position  # the next rank counts every bid above it (1, 1, 3)
    for x in ranked:
        for y in ranked:
            assert (x.total_score == y.total_score) == (x.rank == y.rank), (x.bidder, y.bidder)
    if ranked:
        assert min(b.rank for b in ranked) == 1
    assert [b.bidder for b in result.ranked] == [b.bidder for b in sorted(ranked, key=lambda b: b.rank)]

    shuffled = list(bids)
    rnd.shuffle(shuffled)
    again = policy.evaluate(_rank_tender(shuffled))
    assert [b.bidder for b in again.bids] == [name for name, *_ in shuffled]
    for bid in result.bids:
        other = again.bid(bid.bidder)
        assert other.rank == bid.rank
        assert other.total_score == bid.total_score
        assert [(c.outcome, c.score, c.points) for c in other.criteria] == [
            (c.outcome, c.score, c.points) for c in bid.criteria
        ]


# --------------------------------------------------------------------------- relative scores

RELATIVE_POLICY = """policy relative_prop "Relative":
    contract:
        value: money "Contract value"
    bid:
        ok: yes/no "Meets the gate"
        v: number "The value scored"
    requirement gate "Gate":
        met when bid.ok
    criterion high "Higher is better":
        weight 10%
        score relative bid.v
    criterion low "Lower is better":
        weight 10%
        score relative lowest bid.v
"""

VALUES = st.one_of(
    st.just(Fraction(0)),
    st.integers(0, 10**8).map(lambda v: Fraction(v, 100)),
    st.integers(1, 10**12).map(Fraction),
)


def _relative_tender(bids: list[tuple[str, bool, Fraction]]) -> str:
    return tender_json(
        {"value": "500000"},
        [
            {"bidder": json.dumps(name), "ok": "true" if ok else "false", "v": _decimal_text(v)}
            for name, ok, v in bids
        ],
    )


def _scores(result: Any) -> dict[str, list[tuple[str, Decimal | None]]]:
    return {b.bidder: [(c.outcome, c.score) for c in b.criteria] for b in result.bids if b.compliant}


@FAST
@given(
    st.lists(st.tuples(st.booleans(), VALUES), min_size=1, max_size=7),
    st.sampled_from([Fraction(10**14), Fraction(0), Fraction(1, 100)]),
)
def test_relative_scores_follow_the_best_compliant_bid(
    raw: list[tuple[bool, Fraction]], outsider: Fraction
) -> None:
    bids = [(f"Bidder {i}", ok, v) for i, (ok, v) in enumerate(raw)]
    policy = policy_from_text(RELATIVE_POLICY)
    result = policy.evaluate(_relative_tender(bids))
    compliant = [v for _, ok, v in bids if ok]
    for bid, (_name, ok, v) in zip(result.bids, bids, strict=True):
        high, low = bid.criteria
        if not ok:
            assert high.outcome == low.outcome == "not_scored"
            assert high.score is None and low.score is None
            continue
        assert high.outcome == low.outcome == "scored"
        best = max(compliant)
        want_high = Fraction(0) if best == 0 else half_up(divided(v, best), 10)
        assert Fraction(high.score) == want_high, (v, best, high.score)
        if v == best and best > 0:
            assert high.score == 1
        lowest = min(compliant)
        want_low = Fraction(1) if v == 0 else half_up(divided(lowest, v), 10)
        assert Fraction(low.score) == want_low, (v, lowest, low.score)
        if v == lowest:
            assert low.score == 1
        assert 0 <= high.score <= 1 and 0 <= low.score <= 1

    # A non-compliant bid, however extreme its value, changes no one else's score.
    with_outsider = [*bids, ("Outsider", False, outsider)]
    again = policy.evaluate(_relative_tender(with_outsider))
    assert _scores(again) == _scores(result)
    assert {b.bidder: b.rank for b in again.bids if b.bidder != "Outsider"} == {
        b.bidder: b.rank for b in result.bids
    }
    assert again.bid("Outsider").rank is None


# --------------------------------------------------------------------------- example policies

EXAMPLE_POLICIES = sorted(EXAMPLES.glob("*/policy.svr"))
LIMIT = 10**15


@st.composite
def exact_decimals(draw: st.DrawFn, low: Fraction | None = None, high: Fraction | None = None) -> Decimal:
    """Decimals below 10^15 in magnitude with at most 28 significant digits, edges included."""
    special = [Fraction(0), Fraction(1), Fraction(LIMIT - 1), Fraction(1, 10**13), Fraction(-(LIMIT - 1))]
    if low is not None or high is not None:
        lo = low if low is not None else Fraction(-(LIMIT - 1))
        hi = high if high is not None else Fraction(LIMIT - 1)
        candidates = [v for v in [*special, lo, hi] if lo <= v <= hi]
        places = draw(st.integers(0, 4))
        scale = 10**places
        start = -((-lo * scale).numerator // (-lo * scale).denominator)  # ceil(lo * scale)
        stop = (hi * scale).numerator // (hi * scale).denominator  # floor(hi * scale)
        strategies = [st.sampled_from(candidates)] if candidates else []
        if start <= stop:
            strategies.append(st.integers(start, stop).map(lambda v: Fraction(v, scale)))
        value = draw(st.one_of(*strategies))
    else:
        places = draw(st.integers(0, 13))
        magnitude = draw(
            st.one_of(
                st.integers(0, 1000),
                st.integers(0, 10 ** min(28, 15 + places) - 1),
            )
        )
        value = draw(
            st.one_of(
                st.sampled_from(special),
                st.just(Fraction(magnitude, 10**places)).filter(lambda v: abs(v) < LIMIT),
                # Everyday amounts, so that policies apply and bids comply often enough.
                st.integers(0, 10**11).map(lambda v: Fraction(v, 100)),
                st.integers(0, 10**4).map(lambda v: Fraction(v * 10**5)),
                st.integers(0, 10**4).map(lambda v: Fraction(v * 10**5)),
            )
        )
        if draw(st.integers(0, 7)) == 0:
            value = -value
    assume(abs(value) < LIMIT)
    result = Decimal(value.numerator) / Decimal(value.denominator)
    assume(Fraction(result) == value and len(result.as_tuple().digits) <= 28)
    return result


def _bound(expr: Any, scale: int = 1) -> Fraction | None:
    if expr is None:
        return None
    assert isinstance(expr, n.Literal), expr
    return Fraction(expr.value) * scale  # type: ignore[arg-type]


@st.composite
def field_values(draw: st.DrawFn, decl: n.FieldDecl) -> str:
    """A JSON fragment holding a valid value of the declared field."""
    kind = decl.type
    if kind == "yes/no":
        return draw(st.sampled_from(["true", "true", "false"]))
    if kind == "text":
        if decl.one_of is not None:
            return json.dumps(draw(st.sampled_from([item.value for item in decl.one_of.items])))  # type: ignore[union-attr]
        return json.dumps(draw(st.text(max_size=20)))
    if kind == "date":
        low = decl.low.value if decl.low is not None else date(2000, 1, 1)  # type: ignore[union-attr]
        high = decl.high.value if decl.high is not None else date(2100, 12, 31)  # type: ignore[union-attr]
        recent = st.dates(max(low, date(2025, 1, 1)), min(high, date(2030, 12, 31)))  # type: ignore[type-var]
        day = draw(st.one_of(recent, recent, st.dates(low, high)))  # type: ignore[arg-type]
        return json.dumps(day.isoformat())
    if kind == "count":
        low = max(_bound(decl.low) or Fraction(0), Fraction(0))
        high = _bound(decl.high) or Fraction(LIMIT - 1)
        start = -((-low).numerator // (-low).denominator)
        stop = high.numerator // high.denominator
        value = draw(
            st.one_of(
                st.sampled_from([start, stop]),
                st.integers(start, min(stop, start + 50)),
                st.integers(start, stop),
            )
        )
        return draw(st.sampled_from([str(value), f"{value}.0", f"{value}.00"]))
    if kind == "percent":
        low = _bound(decl.low, 100) if decl.low is not None else Fraction(0)
        high = _bound(decl.high, 100) if decl.high is not None else Fraction(100)
        low, high = max(low, Fraction(0)), min(high, Fraction(100))  # type: ignore[type-var]
        common = [Decimal(v) for v in (0, 10, 20, 25, 40, 50, 60, 100) if low <= v <= high]
        points = draw(st.one_of(st.sampled_from(common), exact_decimals(low, high)))
        as_string = draw(st.booleans())
        return json.dumps(json_number(points) + "%") if as_string else json_number(points)
    value = draw(exact_decimals(_bound(decl.low), _bound(decl.high)))
    if kind == "money":
        form = draw(st.sampled_from(["number", "string", "ocds", "ocds-no-currency"]))
        if form == "string":
            return json.dumps(json_number(value))
        if form == "ocds":
            return '{"amount": ' + json_number(value) + ', "currency": "GBP"}'
        if form == "ocds-no-currency":
            return '{"amount": ' + json_number(value) + "}"
        return json_number(value)
    assert kind == "number", kind
    return json_number(value)


@st.composite
def records(draw: st.DrawFn, fields: dict[str, n.FieldDecl]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, decl in fields.items():
        if decl.optional:
            choice = draw(st.sampled_from(["value", "missing", "null"]))
            if choice == "missing":
                continue
            if choice == "null":
                out[name] = "null"
                continue
        out[name] = draw(field_values(decl))
    return out


@cache
def example_policy(path: Path) -> Policy:
    return load_policy(path)


def _fragment(value: Any) -> str:
    if isinstance(value, Decimal):
        return json_number(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {_fragment(v)}" for k, v in value.items()) + "}"
    return json.dumps(value)


@cache
def example_contracts(folder: Path) -> list[dict[str, str]]:
    """The contracts of the example's own tenders, so that generated bids meet a policy that applies."""
    contracts = []
    for tender in sorted((folder / "tenders").glob("*.json")):
        data = json.loads(tender.read_text(encoding="utf-8"), parse_float=Decimal, parse_int=Decimal)
        contracts.append({k: _fragment(v) for k, v in data["contract"].items()})
    return contracts


def _assert_plain(value: Any, where: str) -> None:
    assert value is None or (isinstance(value, str) and PLAIN.fullmatch(value)), (where, value)


@pytest.mark.parametrize("path", EXAMPLE_POLICIES, ids=lambda p: p.parent.name)
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_any_valid_tender_evaluates(path: Path, data: st.DataObject) -> None:
    policy = example_policy(path)
    contract = data.draw(
        st.one_of(
            records(policy.checked.fields("contract")), st.sampled_from(example_contracts(path.parent))
        ),
        label="contract",
    )
    bids = data.draw(st.lists(records(policy.checked.fields("bid")), min_size=1, max_size=4), label="bids")
    text = tender_json(contract, [{"bidder": json.dumps(f"Bidder {i}"), **b} for i, b in enumerate(bids)])
    try:
        tender = policy.validate(text)
    except InputError as exc:  # the generator makes only valid values
        raise AssertionError(f"a valid tender was refused:\n{text}\n{exc}") from None
    try:
        result = policy.evaluate(tender)
    except InputError as exc:
        # The one documented refusal of a valid tender: an as-of date before a dated
        # parameter's first date (spec, "Edge cases settled").
        assert [d.code for d in exc.diagnostics] == ["as-of-before-param"], str(exc)
        event("as-of before a dated parameter")
        return
    out = result.to_json()
    event(f"applies={result.applies}")
    for b in result.bids:
        event(f"compliant={b.compliant}")
        for r in (*b.requirements, *b.criteria):
            event(f"{r.id}: {r.outcome}")
    json.dumps(out, allow_nan=False)  # serialisable as it is: no Decimal, no float, no date
    assert result.applies == out["applies"]
    assert len(out["bids"]) == (len(bids) if result.applies else 0)
    for name, value in out["params"].items():
        if isinstance(value, str) and not isinstance(result.params[name][0], str):
            _assert_plain(value, f"params.{name}")
    ranked_totals = []
    for bid in out["bids"]:
        assert isinstance(bid["compliant"], bool)
        for req in bid["requirements"]:
            assert req["outcome"] in REQUIREMENT_OUTCOMES, req
            assert isinstance(req["reason"], str) and req["reason"].strip(), req
        for crit in bid["criteria"]:
            assert crit["outcome"] in CRITERION_OUTCOMES, crit
            assert isinstance(crit["reason"], str) and crit["reason"].strip(), crit
            for key in ("weight", "score", "points"):
                _assert_plain(crit[key], f"{bid['bidder']}.{crit['id']}.{key}")
            if crit["outcome"] == "scored":
                assert crit["score"] is not None and 0 <= Decimal(crit["score"]) <= 1, crit
            else:
                assert crit["score"] is None, crit
            if crit["outcome"] == "not_applicable":
                assert crit["points"] == "0", crit
        compliant = all(r["outcome"] in ("met", "not_applicable") for r in bid["requirements"])
        assert bid["compliant"] is compliant
        if not compliant:
            assert bid["rank"] is None and bid["total_score"] is None
            assert all(c["outcome"] == "not_scored" for c in bid["criteria"])
        elif any(c["outcome"] == "error" for c in bid["criteria"]):
            assert bid["rank"] is None and bid["total_score"] is None
        else:
            assert isinstance(bid["rank"], int) and bid["total_score"] is not None
            points = sum(Decimal(c["points"]) for c in bid["criteria"] if c["points"] is not None)
            assert Decimal(bid["total_score"]) == points
            ranked_totals.append((Decimal(bid["total_score"]), bid["rank"]))
        for key in ("total_score", "available_weight"):
            _assert_plain(bid[key], f"{bid['bidder']}.{key}")
        social = bid["social_value"]
        _assert_plain(social["total"], "social_value.total")
        _assert_plain(social["ratio_to_contract_value"], "social_value.ratio")
        for measure in social["measures"]:
            for key in ("quantity", "proxy", "value"):
                _assert_plain(measure[key], f"measure.{key}")
    for total, rank in ranked_totals:
        assert rank == 1 + sum(1 for other, _ in ranked_totals if other > total)


PRODUCT_POLICY = """policy product_prop "Large products":
    contract:
        value: money "Contract value"
    bid:
        x: number "A quantity"
    requirement generated "Reason generated from the trace":
        met when contract.value * bid.x >= -£1
    requirement rendered "Reason rendered from explain":
        let offered = contract.value * bid.x
        met when offered >= -£1
        explain "The bid is worth {{ offered }} over {{ bid.x | number(10) }} units."
    criterion per_unit "Per unit":
        weight 10%
        let squared = bid.x * bid.x
        score linear bid.x from 0 to 10
        explain "{{ squared | number(2) }} square units."
"""


@SLOW
@example(Decimal(10**14), Decimal(10**14))
@given(exact_decimals(), exact_decimals())
def test_reasons_render_for_any_valid_values(value: Decimal, x: Decimal) -> None:
    """Valid inputs (below 10^15) multiply to up to 10^30; every reason must still render."""
    policy = policy_from_text(PRODUCT_POLICY)
    tender = tender_json({"value": json_number(value)}, [{"bidder": '"A"', "x": json_number(x)}])
    (bid,) = policy.evaluate(tender).bids
    for rule in (*bid.requirements, *bid.criteria):
        assert isinstance(rule.reason, str) and rule.reason.strip(), rule.id
        json.dumps(rule.to_json(), allow_nan=False)


# --------------------------------------------------------------------------- the checker

FRAGMENTS = [
    "\n", "    ", ":", "\t", "#", '"', '"""', "£", "%", "(", ")", "[", "]", ",", "-", "=", "==",
    "{{", "}}", "{%", "%}", "£1.234", "£12.6", "£2M", "1,000", "[100,200]", "2025-02-30",
    "true", "yes", "no", "bid.", "contract.", "delivery.", "social_value", "score linear ",
    "from 0% to 0%", " if ", " else ", "weight 101%", "\ufeff", "\r\n", "é", "\x00",
    "let x = 1 / 0\n", "met when ", "requirement r \"R\":\n", "theme t \"T\":\n",
]  # fmt: skip


@st.composite
def mutated_examples(draw: st.DrawFn) -> tuple[str, Path]:
    path = draw(st.sampled_from(EXAMPLE_POLICIES))
    text = path.read_text(encoding="utf-8")
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "duplicate-line", "text"]))
        if action == "insert":
            text = text[:at] + draw(st.sampled_from(FRAGMENTS)) + text[at:]
        elif action == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 40)) :]
        elif action == "duplicate-line":
            lines = text.split("\n")
            i = draw(st.integers(0, len(lines) - 1))
            lines.insert(i, lines[i])
            text = "\n".join(lines)
        else:
            text = text[:at] + draw(st.text(max_size=8)) + text[at:]
    return text, path.parent


def _check_never_raises(text: str, folder: Path) -> None:
    source = SourceFile(str(folder / "fuzz.svr"), text, text.encode("utf-8", "surrogatepass"))
    checked, diagnostics = check_source(source, folder)
    assert isinstance(diagnostics, list)
    for diag in diagnostics:
        assert diag.severity in ("error", "warning")
        assert diag.message.strip()
        assert diag.span is not None or diag.path, diag
        if diag.span is not None:
            assert diag.span.line >= 1 and diag.span.column >= 1, diag
        render(diag, {source.path: source})
    errors = [d for d in diagnostics if d.severity == "error"]
    if checked is None:
        assert errors, "no policy and no error"
        return
    if not errors:
        compile_policy(checked)  # what the checker accepts, the compiler compiles


@settings(max_examples=150, deadline=None)
@given(st.text())
def test_checker_never_raises_on_arbitrary_text(text: str) -> None:
    _check_never_raises(text, Path("."))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated_examples())
def test_checker_never_raises_on_damaged_policies(case: tuple[str, Path]) -> None:
    _check_never_raises(*case)


def test_parse_failure_is_reported_not_raised() -> None:
    with pytest.raises(ParseFailed) as failed:
        parse(SourceFile("x.svr", "policy", b"policy"))
    assert failed.value.diagnostics
