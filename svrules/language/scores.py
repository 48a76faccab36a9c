"""The score forms of SVR, one entry each, and the typed records of how a score came about.

A criterion's `score` takes one of five forms (a formula, bands, a straight line, relative
to the best compliant bid, a published scale). `SCORE_FORMS` says for each its name, its
AST node, whether it waits for every bid, and the detail record its scores carry. The
evaluators write those records; reasons (`engine.explain`) and documents read them by
field name, never by position.

The generated evaluator keeps a detail in its compact form, a tuple whose first item is
the record's class (`(Banded, value, 2)`): building a tuple costs ~40 ns where a record
costs ~300 ns, at a dozen rules per bid and 100k bids a second. `detail_record` turns the
compact form into the record when a result is first read; nothing else unpacks it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple, assert_never

from svrules.language import nodes as n

# ---------------------------------------------------------------- detail records


class Computed(NamedTuple):
    """`score EXPR`: the value the formula gave (the score itself)."""

    value: Decimal


class Banded(NamedTuple):
    """`score bands`: the value and the index of the band it fell in (None: below every band)."""

    value: Decimal
    band: int | None


class OnLine(NamedTuple):
    """`score linear`: the value and the two ends of the line."""

    value: Decimal
    low: Decimal
    high: Decimal


class Relative(NamedTuple):
    """`score relative`: the value and the best compliant bid's (None until every bid is in)."""

    value: Decimal
    best: Decimal | None = None


class OnScale(NamedTuple):
    """`score scale`: the panel's mark and the level's descriptor."""

    value: Decimal
    descriptor: str


class Missing(NamedTuple):
    """An optional field the bid does not state was needed (`bid.local_spend`)."""

    field: str


class Failed(NamedTuple):
    """The arithmetic failed (division by zero): what it is called in the reason."""

    problem: str


class OutOfRange(NamedTuple):
    """`score EXPR` gave a value outside 0% to 100%."""

    score: Decimal


class Negative(NamedTuple):
    """`score relative` met a value below 0."""

    value: Decimal


class OffScale(NamedTuple):
    """`score scale` met a mark that is not one of the published levels."""

    value: Decimal


class SameEnds(NamedTuple):
    """`score linear` whose two ends are equal, so no line can be drawn."""

    value: Decimal
    end: Decimal


ScoreDetail = Computed | Banded | OnLine | Relative | OnScale
"""How a score came about."""
Problem = Missing | Failed | OutOfRange | Negative | OffScale | SameEnds
"""Why a rule has no outcome of its own: a missing field, or an `error`."""
Detail = ScoreDetail | Problem


def detail_record(compact: tuple[Any, ...] | None) -> Detail | None:
    """The record of a compact detail `(RecordClass, *fields)`; None stays None."""
    if compact is None:
        return None
    record: Detail = compact[0](*compact[1:])
    return record


# ---------------------------------------------------------------- score forms


@dataclass(frozen=True)
class ScoreForm:
    """One score form: its name, its AST node, and what its scores carry."""

    name: str
    node: type[n.Score]
    detail: type[ScoreDetail]
    waits_for_every_bid: bool = False


SCORE_FORMS: dict[type[n.Score], ScoreForm] = {
    form.node: form
    for form in (
        ScoreForm("expr", n.ExprScore, Computed),
        ScoreForm("bands", n.BandScore, Banded),
        ScoreForm("linear", n.LinearScore, OnLine),
        ScoreForm("relative", n.RelativeScore, Relative, waits_for_every_bid=True),
        ScoreForm("scale", n.ScaleScore, OnScale),
    )
}
"""Every score form, by its AST node."""


def form_of(score: n.Score) -> ScoreForm:
    """The table entry of a score."""
    return SCORE_FORMS[type(score)]


def scorer_kind(score: n.Score) -> str:
    """The name the compiled scorer goes by: the form's, with `lowest` for lower-is-better."""
    match score:
        case n.RelativeScore(lowest=True):
            return "lowest"
        case n.ExprScore() | n.BandScore() | n.LinearScore() | n.RelativeScore() | n.ScaleScore():
            return form_of(score).name
        case _:
            assert_never(score)


def score_expressions(score: n.Score) -> list[n.Expr]:
    """The expressions a score reads: its value, then its ends or band thresholds."""
    match score:
        case n.LinearScore():
            return [score.value, score.low, score.high]
        case n.BandScore():
            return [score.value, *(b.threshold for b in score.bands if b.threshold is not None)]
        case n.ExprScore() | n.RelativeScore() | n.ScaleScore():
            return [score.value]
        case _:
            assert_never(score)
