"""Values as people write them: `£2,400,000`, `25%`, `1 April 2025`, yes/no, quoted text.

Owns how a typed value, a written literal, a score and points read in documents and
policy pages. The rules themselves (two places for scores, curly quotes for text) live
here once; `words.expressions` and every document use these.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from svrules.core.decimals import number_text
from svrules.language import nodes as n
from svrules.language import units
from svrules.language.templates import render_value, typed


def show(value: Any, type_: str) -> str:
    """A value of a type as a policy lead writes it (`£2,400,000`, `25%`, `1 April 2025`)."""
    return "not stated" if value is None else render_value(typed(value, type_))


def literal(lit: n.Literal) -> str:
    """A written value: text in curly quotes, everything else as `show` writes it."""
    if lit.kind == "text":
        return f"“{lit.value}”"
    return show(lit.value, units.BOOL if lit.kind == "yes/no" else lit.kind)


def pct(value: Decimal | None) -> str:
    """A fraction as a percentage to two places, for scores and weights (— when there is none)."""
    return "—" if value is None else number_text(value.scaleb(2), 2) + "%"


def points(value: Decimal | None) -> str:
    """Points as marks out of 100 for the whole tender, to two places (— when there are none)."""
    return "—" if value is None else number_text(value.scaleb(2), 2)


def or_list(values: Iterable[Decimal], type_: str = units.PERCENT) -> str:
    """Distinct values in order, as prose: `100%, 60%, 20% or 0%`."""
    texts: list[str] = []
    for value in values:
        text = show(value, type_)
        if text not in texts:
            texts.append(text)
    return texts[0] if len(texts) == 1 else ", ".join(texts[:-1]) + " or " + texts[-1]
