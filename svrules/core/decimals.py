"""Exact decimal arithmetic, rounding and the written forms of values.

Owns the one decimal context svrules computes in (28 significant digits), rounding half
up ("like a person rounds"), the plain-digit strings results carry, and the forms values
take in templates and reasons (`£2,400,000`, `12.5%`, `1 April 2025`). The forms a
policy itself writes (`£2.4m`) are `svrules.core.literals`'.
"""

from __future__ import annotations

from datetime import date
from decimal import (
    ROUND_CEILING,
    ROUND_FLOOR,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)

CONTEXT = Context(prec=28, rounding=ROUND_HALF_EVEN, traps=[DivisionByZero, InvalidOperation, Overflow])
"""The one context every computation uses, passed explicitly: no global state is changed."""

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)
TEN_PLACES = Decimal("1e-10")
PENNY = Decimal("0.01")


_ROUNDING = Context(prec=100, rounding=ROUND_HALF_UP, traps=[InvalidOperation])
"""Rounding to a number of places is exact whatever the size of the value."""


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
    """Plain digits: no exponent, no trailing fractional zeros, no `-0`."""
    exponent = value.as_tuple().exponent  # a letter for NaN and infinity, which are not rounded
    if max_places is not None and isinstance(exponent, int) and -exponent > max_places:
        value = round_half_up(value, max_places)
    text = f"{value:f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def result_string(value: Decimal, is_money: bool = False) -> str:
    """A decimal as results carry it: money keeps every digit, others at most 10 places."""
    return plain(value, None if is_money else 10)


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
