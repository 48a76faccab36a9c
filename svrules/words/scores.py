"""Each score form in English: how a criterion turns its value into a score.

The one wording of every form (bands, straight line, relative to the best or lowest
compliant tender, published scale, formula or chain of conditions), for documents and
policy pages alike: a paragraph and its table (`score_words`), a one-line method and the
scores a form can give. Each dispatch is an exhaustive `match` over `n.Score`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, assert_never

from svrules.language import nodes as n
from svrules.language import units
from svrules.words.expressions import Words
from svrules.words.preview import NOT_KNOWN
from svrules.words.runs import Inline, inline
from svrules.words.values import or_list, show

ValueOf = Callable[[n.Expr], Any]
"""An expression's value for one contract, or `NOT_KNOWN` when it cannot be worked out."""

ANY_SCORE = "any score from 0% to 100%"


@dataclass(frozen=True)
class ScoreWords:
    """A score form in words: a paragraph, and its table (header and rows) if it has one."""

    text: Inline
    header: tuple[str, ...] = ()
    rows: tuple[tuple[Inline, ...], ...] = ()
    numeric: tuple[bool, ...] = ()


def score_words(score: n.Score, words: Words, value_of: ValueOf | None = None) -> ScoreWords:
    """How a criterion is scored, in words; with `value_of`, thresholds and the ends of a
    straight line also show their values for one contract."""
    match score:
        case n.BandScore():
            return _bands(score, words, value_of)
        case n.LinearScore():
            return _linear(score, words, value_of)
        case n.RelativeScore(lowest=True):
            return ScoreWords(
                inline(
                    "Scored relative to the other compliant tenders, lower is better: the lowest value of ",
                    words(score.value),
                    " among the compliant tenders, divided by this tender's. A value of 0 is the best and scores 100%.",
                )
            )
        case n.RelativeScore():
            return ScoreWords(
                inline(
                    "Scored relative to the other compliant tenders, higher is better: ",
                    words(score.value),
                    " divided by the highest such value among the compliant tenders. If the highest value is 0, every tender scores 0%.",
                )
            )
        case n.ScaleScore():
            return ScoreWords(
                inline(
                    "Marked by the evaluation panel on a published scale: ",
                    words(score.value),
                    " must be one of these levels. A mark that is not one of them cannot be scored: the tender has no total until it is corrected.",
                ),
                ("Score", "Descriptor"),
                tuple(
                    (inline(show(_level(lv), units.PERCENT)), inline(lv.descriptor)) for lv in score.levels
                ),
                (True, False),
            )
        case n.ExprScore():
            return _formula(score, words)
        case _:
            assert_never(score)


def _bands(score: n.BandScore, words: Words, value_of: ValueOf | None) -> ScoreWords:
    rows = [
        (band_label(band, words, value_of), inline(show(band_result(band), units.PERCENT)))
        for band in score.bands
    ]
    if not any(band.test == "otherwise" for band in score.bands):
        rows.append((inline(ANYTHING_ELSE), inline(show(Decimal(0), units.PERCENT))))
    text = inline(
        "Scored in bands of ",
        words(score.value),
        ". The first band that matches, from the top, gives the score.",
    )
    return ScoreWords(text, ("Value", "Score"), tuple(rows), (False, True))


def _linear(score: n.LinearScore, words: Words, value_of: ValueOf | None) -> ScoreWords:
    value = words(score.value)
    low, high = known(score.low, words, value_of), known(score.high, words, value_of)
    lower_better = lower_is_better(score, value_of)
    if lower_better is None:
        return ScoreWords(
            inline(
                "Scored on a straight line: ",
                value,
                " at ",
                low,
                " scores 0% and at ",
                high,
                " scores 100%, in proportion in between, and held at 0% and 100% beyond them.",
            )
        )
    head, low_end, high_end = (
        ("Scored on a straight line, lower is better: ", " or more", " or less")
        if lower_better
        else ("Scored on a straight line: ", " or less", " or more")
    )
    return ScoreWords(
        inline(
            head,
            value,
            " of ",
            low,
            f"{low_end} scores 0%, ",
            high,
            f"{high_end} scores 100%, and a value in between scores in proportion.",
        )
    )


def _formula(score: n.ExprScore, words: Words) -> ScoreWords:
    chain = conditional_chain(score.value)
    if chain is None:
        return ScoreWords(inline("Scored as ", words(score.value), ", which must be from 0% to 100%."))
    rows = tuple(
        (
            inline("otherwise") if condition is None else words(condition),
            inline(show(result.value, units.PERCENT if result.kind == "percent" else units.NUMBER)),
        )
        for condition, result in chain
    )
    return ScoreWords(
        inline("Scored by the first of these conditions that holds, from the top:"),
        ("Condition", "Score"),
        rows,
        (False, True),
    )


def short_method(score: n.Score, words: Words) -> Inline:
    """How a criterion is scored, in one line for a table of criteria."""
    match score:
        case n.BandScore():
            return inline("in bands of ", words(score.value))
        case n.LinearScore():
            return inline(
                "on a straight line: ",
                words(score.value),
                " from ",
                words(score.low),
                " to ",
                words(score.high),
            )
        case n.RelativeScore(lowest=True):
            return inline("relative to the lowest compliant tender (lower is better): ", words(score.value))
        case n.RelativeScore():
            return inline("relative to the best compliant tender: ", words(score.value))
        case n.ScaleScore():
            return inline("panel mark on a published scale: ", words(score.value))
        case n.ExprScore():
            return inline("as ", words(score.value))
        case _:
            assert_never(score)


def scores_available(score: n.Score) -> str:
    """The scores a form can give: `100%, 60%, 20% or 0%`, or any score from 0% to 100%."""
    match score:
        case n.BandScore():
            results = [band_result(band) for band in score.bands]
            if not any(band.test == "otherwise" for band in score.bands):
                results.append(Decimal(0))
            return or_list(results)
        case n.ScaleScore():
            return or_list(_level(lv) for lv in score.levels)
        case n.ExprScore():
            chain = conditional_chain(score.value)
            return or_list(_decimal(result) for _, result in chain) if chain else ANY_SCORE
        case n.LinearScore() | n.RelativeScore():
            return ANY_SCORE
        case _:
            assert_never(score)


def score_exprs(score: n.Score) -> list[n.Expr]:
    """Every expression a score form reads: its value, and its thresholds or ends."""
    match score:
        case n.BandScore():
            return [score.value, *(band.threshold for band in score.bands if band.threshold is not None)]
        case n.LinearScore():
            return [score.value, score.low, score.high]
        case n.ExprScore() | n.RelativeScore() | n.ScaleScore():
            return [score.value]
        case _:
            assert_never(score)


# ---------------------------------------------------------------- bands, ratings and values

ANYTHING_ELSE = "anything else"


def band_label(band: n.Band, words: Words, value_of: ValueOf | None = None) -> Inline:
    """A band or rating line's test: `at least 3`, `at most £5,000,000`, `anything else`."""
    if band.threshold is None:
        return inline(ANYTHING_ELSE)
    word = "at least " if band.test == "at_least" else "at most "
    return inline(word, known(band.threshold, words, value_of))


def rating_words(line: n.Band) -> str:
    """A KPI rating line's rating: `approaching_target` → `approaching target`."""
    return str(line.result).replace("_", " ")


def band_result(band: n.Band) -> Decimal:
    """A band's score (a checked percent literal)."""
    return _decimal(band.result)


def _level(level: n.ScaleLevel) -> Decimal:
    return _decimal(level.level)


def _decimal(expr: n.Expr | str) -> Decimal:
    assert isinstance(expr, n.Literal) and isinstance(expr.value, Decimal), "checked: a written number"
    return expr.value


def conditional_chain(expr: n.Expr) -> list[tuple[n.Expr | None, n.Literal]] | None:
    """`100% if A else 50% if B else 0%` as [(A, 100%), (B, 50%), (None, 0%)], or None."""
    chain: list[tuple[n.Expr | None, n.Literal]] = []
    while isinstance(expr, n.Conditional):
        if not (isinstance(expr.then, n.Literal) and expr.then.kind in ("percent", "number")):
            return None
        chain.append((expr.condition, expr.then))
        expr = expr.otherwise
    if not chain or not (isinstance(expr, n.Literal) and expr.kind in ("percent", "number")):
        return None
    chain.append((None, expr))
    return chain


def known(expr: n.Expr, words: Words, value_of: ValueOf | None) -> Inline:
    """An expression in words, with its value for this contract when it can be worked out
    and the words do not already show it: `the threshold (here £5,000,000)`."""
    said = words(expr)
    if value_of is None or isinstance(expr, n.Literal):
        return said
    if isinstance(expr, n.Name) and expr.name in words.params:
        return said
    value = value_of(expr)
    if value is NOT_KNOWN:
        return said
    return inline(said, f" (here {show(value, words.checked.types.get(id(expr), ''))})")


def lower_is_better(score: n.LinearScore, value_of: ValueOf | None) -> bool | None:
    """Whether the line falls (its low end is the larger), when its ends are known."""
    ends: list[Any] = []
    for end in (score.low, score.high):
        if isinstance(end, n.Literal):
            ends.append(end.value)
        elif value_of is None or (value := value_of(end)) is NOT_KNOWN:
            return None
        else:
            ends.append(value)
    return bool(ends[0] > ends[1])
