"""The written forms of SVR values: money, numbers and percents as a policy spells them.

Owns the one table of money multipliers (`k`, `m`, `bn`) and the reading and writing of
money literals (`£2.4m` ↔ 2400000), so the builder, the printer and the policy tests' YAML
agree. The forms people read (`£2,400,000`) are `svrules.core.decimals`'.
"""

from __future__ import annotations

import re
from decimal import Decimal

from svrules.core.decimals import PENNY, plain

MONEY_MULTIPLIERS: dict[str, int] = {"": 0, "k": 3, "m": 6, "bn": 9}
"""A money literal's suffix → the power of ten it multiplies by (applied exactly)."""

_LARGEST_FIRST = sorted(((s, p) for s, p in MONEY_MULTIPLIERS.items() if s), key=lambda sp: -sp[1])

_MONEY_AMOUNT = re.compile(r"(?P<sign>-?)£(?P<whole>[0-9][0-9,]*)(?:\.(?P<frac>[0-9]+))?(?P<suffix>k|m|bn)?")
"""A money amount as policies write it: `£1,250.50`, `-£5`, `£250k`, `£1.5m`, `£2bn`."""


def money_value(whole: str, frac: str | None, suffix: str = "") -> Decimal:
    """The exact amount of `£WHOLE.FRAC SUFFIX`: `whole` may carry a sign and commas."""
    digits = whole.replace(",", "")
    return Decimal(f"{digits}.{frac or '0'}E{MONEY_MULTIPLIERS[suffix]}")


def read_money(text: str) -> Decimal | None:
    """The exact amount a money literal means, or None if `text` is not one."""
    match = _MONEY_AMOUNT.fullmatch(text)
    if match is None:
        return None
    return money_value(match["sign"] + match["whole"], match["frac"], match["suffix"] or "")


def money_literal(value: Decimal) -> str:
    """`£520`, `£12.60`, `£250k`, `£1.5m`, `£2bn`, `-£5`: the shortest exact literal.

    A multiplier form is a candidate when the amount is from 1 to 999.99 of that unit
    (any number of billions) with at most two decimals (`£1.25k`, `£5.19m`, not
    `£1.2345m` or `£5,193k`); plain pounds have thousands commas and pence only when not
    whole (`£1,234,567`, `£1,234.50`). The shortest wins; on a tie, plain pounds.
    """
    sign = "-" if value < 0 else ""
    amount = abs(value)
    best = _pounds(amount)
    for suffix, power in _LARGEST_FIRST:
        units = amount / Decimal(10) ** power
        if units >= 1 and (units < 1000 or suffix == "bn") and units == units.quantize(PENNY):
            candidate = f"£{_grouped(units)}{suffix}"
            if len(candidate) < len(best):
                best = candidate
    return sign + best


def _pounds(amount: Decimal) -> str:
    """`£1,234,567` or `£1,234.50`: thousands commas, pence only when not whole pounds."""
    if amount == amount.to_integral_value():
        return f"£{int(amount):,}"
    if amount == amount.quantize(PENNY):
        return f"£{amount.quantize(PENNY):,.2f}"
    # not a policy amount (the builder refuses a fraction of a penny); keep it exact
    return f"£{plain(amount, None)}"


def _grouped(value: Decimal) -> str:
    """Digits with thousands commas and no trailing fractional zeros: `1,500.5`."""
    whole, dot, frac = plain(value, None).partition(".")
    return f"{int(whole):,}" + (dot + frac)


def number_literal(value: Decimal) -> str:
    """Plain digits, no grouping (`1,000` beside a list's commas is a known trap)."""
    return plain(value, None)


def percent_literal(value: Decimal) -> str:
    """The stored fraction in percentage points: 0.125 → `12.5%`."""
    return plain(value.scaleb(2), None) + "%"


__all__ = [
    "MONEY_MULTIPLIERS",
    "money_literal",
    "money_value",
    "number_literal",
    "percent_literal",
    "read_money",
]
