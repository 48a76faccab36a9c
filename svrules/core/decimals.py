"""Exact decimal arithmetic, rounding and the written forms of values.

Owns the one decimal context svrules computes in (28 significant digits), which numbers
read from input it holds exactly, rounding half up ("like a person rounds"), the
plain-digit strings results carry (at most 10 places, money included), and the forms
values take in templates and reasons (`£2,400,000`, `12.5%`, `1 April 2025`). The forms a
policy itself writes (`£2.4m`) are `svrules.core.literals`'.
"""

from __future__ import annotations

from datetime import date
from decimal import (
    MAX_EMAX,
    MIN_EMIN,
    ROUND_CEILING,
    ROUND_FLOOR,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
    Underflow,
)

from svrules.core.limits import MAX_NUMBER_DIGITS, MAX_NUMBER_PLACES, NUMBER_MAGNITUDE_DIGITS

CONTEXT = Context(prec=28, rounding=ROUND_HALF_EVEN, traps=[DivisionByZero, InvalidOperation, Overflow])
"""The one context every computation uses, passed explicitly: no global state is changed."""

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
TEN_PLACES = Decimal("1e-10")
PENNY = Decimal("0.01")


_ROUNDING = Context(prec=100, rounding=ROUND_HALF_UP, traps=[InvalidOperation])
"""Rounding to a number of places is exact whatever the size of the value."""

HELD = Context(
    prec=MAX_NUMBER_DIGITS,
    Emax=NUMBER_MAGNITUDE_DIGITS - 1,
    Emin=MAX_NUMBER_DIGITS - 1 - MAX_NUMBER_PLACES,  # so the smallest step is 10^-MAX_NUMBER_PLACES
    rounding=ROUND_HALF_EVEN,
    traps=[InvalidOperation, Overflow],
)
"""An input number is held exactly when this context's `plus` gives it back digit for digit."""
_DIGITS = Context(prec=MAX_NUMBER_DIGITS, Emin=MIN_EMIN, Emax=MAX_EMAX, traps=[InvalidOperation])
EXACT = Context(prec=60, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, Overflow, Underflow, Inexact])
"""For scaling an input (a percent by 0.01): the exact result, or an `ArithmeticError`."""


def exact_input(value: Decimal) -> Decimal | str:
    """An input number as svrules holds it, or why it cannot be held exactly.

    Held: finite, below 10^15 in size, at most 28 significant digits and 28 decimal places
    (`svrules.core.limits`). The reasons are `not-a-number`, `too-large`, `too-many-digits`
    and `too-many-places`. Every test works on the exponent or in C, so a number with
    millions of digits or an exponent of millions costs no more than any other. Any zero is
    held (`0e400` is 0); nothing else is ever changed.
    """
    if not value.is_finite():
        return "not-a-number"
    if not value.is_zero() and value.adjusted() >= NUMBER_MAGNITUDE_DIGITS:
        return "too-large"
    try:
        if value.compare_total(HELD.plus(value)) == 0:
            return value
        if value.is_zero():
            return ZERO
        if value.compare_total(_DIGITS.plus(value)) != 0:
            return "too-many-digits"
    except ArithmeticError:  # an exponent even Decimal's widest context cannot take
        pass
    return "too-many-places"


def round_half_up(value: Decimal, places: int) -> Decimal:
    """Round half away from zero to `places` decimal places (−0.125 → −0.13 at two).

    Computed with 100 significant digits, so any value svrules meets rounds exactly.
    """
    try:
        return value.quantize(Decimal(1).scaleb(-places), context=_ROUNDING)
    except InvalidOperation:  # over 100 digits: it has no fraction left to round
        return value


def round10(value: Decimal) -> Decimal:
    """Scores, points and totals are rounded to 10 places as they are made."""
    return value.quantize(TEN_PLACES, context=_ROUNDING)


def ceil(value: Decimal) -> Decimal:
    return value.to_integral_value(rounding=ROUND_CEILING, context=CONTEXT)


def floor(value: Decimal) -> Decimal:
    return value.to_integral_value(rounding=ROUND_FLOOR, context=CONTEXT)


def plain(value: Decimal, max_places: int | None = 10) -> str:
    """Plain digits: no exponent, no trailing fractional zeros, no `-0`; at most `max_places`."""
    exponent = value.as_tuple().exponent  # a letter for NaN and infinity, which are not rounded
    if max_places is not None and isinstance(exponent, int) and -exponent > max_places:
        value = round_half_up(value, max_places)
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def result_string(value: Decimal, is_money: bool = False) -> str:
    """A decimal as results carry it: plain digits, at most 10 places rounded half up.

    Money included (spec, "Arithmetic, rounding and rendering"): it is not rounded to the
    penny (`215.625` stays `215.625`), but a `let` of £1 ÷ 3 is `0.3333333333`. `is_money`
    is kept for callers that say what the value is; the rule is the same.
    """
    return plain(value, 10)


def money_text(value: Decimal) -> str:
    """`£2,400,000`, `£13.45`, `£12.60`, `-£5`: pence only when not whole pounds."""
    pennies = round_half_up(value, 2)
    sign = "-" if pennies < 0 else ""
    pennies = abs(pennies)
    if pennies == pennies.to_integral_value():
        return f"{sign}£{int(pennies):,}"
    return f"{sign}£{pennies:,.2f}"


def number_text(value: Decimal, places: int | None = None) -> str:
    """`15`, `2.5`, `12000`: no grouping; with `places`, rounded half up to at most that many."""
    if places is not None:
        value = round_half_up(value, places)
    return plain(value)


def percent_text(value: Decimal) -> str:
    """A fraction in percentage points: 0.125 → `12.5%`, one third → `33.3333333333%`."""
    return plain(value.scaleb(2)) + "%"


def date_text(value: date) -> str:
    """`1 April 2025`."""
    return f"{value.day} {value:%B %Y}"
