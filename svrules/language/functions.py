"""The built-in functions of SVR, one entry each: usage, type rule, Decimal meaning, wording.

Adding a built-in is one entry in `BUILT_INS`. The checker takes its type rule, the
closures (`engine.compiler`) and the generated evaluator (`engine.codegen`) both call its
`meaning`, and `words` says it with its `words`, so the four can never disagree.
Percent arguments of `ceil`, `floor` and `round` work in the written unit: `ceil(12.3%)`
is 13%, not 100%.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from svrules.core import decimals as d
from svrules.language import units

Part = TypeVar("Part")
Meaning = Callable[..., Decimal]


@dataclass(frozen=True)
class BuiltIn:
    """One built-in function: how it is called, typed, computed and said."""

    name: str
    usage: str
    type_rule: Callable[[str, list[str]], tuple[str | None, str | None]]
    exact: Callable[[bool], Meaning]
    """The Decimal meaning, given whether the result is a percent (the written unit)."""
    wording: Callable[[Sequence[Any], Decimal | None, str | None], list[Any]]
    """The call in words: (arguments in words, `round`'s places, result type) → parts."""

    def meaning(self, percent: bool) -> Meaning:
        return self.exact(percent)

    def words(
        self, args: Sequence[Part], places: Decimal | None, result_type: str | None
    ) -> list[Part | str]:
        """The call in words, as parts: the arguments as given, joined by plain strings."""
        return self.wording(args, places, result_type)


# ---------------------------------------------------------------- type rules


def _numeric(name: str, t: str) -> tuple[str | None, str | None]:
    if t in units.NUMERIC:
        return t, None
    return None, f"{name}() works on money, numbers and percents, not {units.a(t)}"


def _one_value(name: str, args: list[str]) -> tuple[str | None, str | None]:
    if len(args) != 1:
        return None, f"{name}() takes one value"
    return _numeric(name, args[0])


def _rounding(name: str, args: list[str]) -> tuple[str | None, str | None]:
    if len(args) != 2:
        return None, "round() takes a value and a number of decimal places: round(x, 2)"
    if args[1] != units.NUMBER:
        return None, "round()'s places must be a whole number"
    return _numeric(name, args[0])


def _one_type(args: list[str]) -> str:
    return " and ".join(sorted({units.a(t) for t in args}))


def _several(name: str, args: list[str]) -> tuple[str | None, str | None]:
    if len(args) < 2:
        return None, f"{name}() takes two or more values"
    if len(set(args)) != 1:
        return None, f"{name}() needs values of one type, not {_one_type(args)}"
    return _numeric(name, args[0])


def _clamping(name: str, args: list[str]) -> tuple[str | None, str | None]:
    if len(args) != 3:
        return None, "clamp() takes a value, a low and a high: clamp(x, low, high)"
    if len(set(args)) != 1:
        return None, f"clamp() needs values of one type, not {_one_type(args)}"
    return _numeric(name, args[0])


# ---------------------------------------------------------------- meanings


def _in_written_unit(whole: Callable[[Decimal], Decimal]) -> Callable[[Decimal], Decimal]:
    def percent(x: Decimal) -> Decimal:
        return whole(x.scaleb(2)).scaleb(-2)

    return percent


def _ceil(percent: bool) -> Meaning:
    return _in_written_unit(d.ceil) if percent else d.ceil


def _floor(percent: bool) -> Meaning:
    return _in_written_unit(d.floor) if percent else d.floor


def _round(percent: bool) -> Meaning:
    if percent:

        def round_percent(x: Decimal, places: Decimal) -> Decimal:
            return d.round_half_up(x.scaleb(2), int(places)).scaleb(-2)

        return round_percent

    def round_value(x: Decimal, places: Decimal) -> Decimal:
        return d.round_half_up(x, int(places))

    return round_value


def _abs(percent: bool) -> Meaning:
    return abs


def _min(percent: bool) -> Meaning:
    return min


def _max(percent: bool) -> Meaning:
    return max


def _clamp(percent: bool) -> Meaning:
    def clamp(x: Decimal, low: Decimal, high: Decimal) -> Decimal:
        return min(max(x, low), high)

    return clamp


# ---------------------------------------------------------------- words

_WHOLE = {units.MONEY: "whole pounds", units.PERCENT: "a whole percentage", units.NUMBER: "a whole number"}


def _whole(result_type: str | None) -> str:
    return _WHOLE.get(result_type or "", "a whole number")


def _ceil_words(args: Sequence[Any], places: Decimal | None, t: str | None) -> list[Any]:
    return [args[0], f", rounded up to {_whole(t)}"]


def _floor_words(args: Sequence[Any], places: Decimal | None, t: str | None) -> list[Any]:
    return [args[0], f", rounded down to {_whole(t)}"]


def _round_words(args: Sequence[Any], places: Decimal | None, t: str | None) -> list[Any]:
    if not places:
        return [args[0], f", rounded to {_whole(t)}"]
    unit = "place" if places == 1 else "places"
    return [args[0], f", rounded to {d.number_text(places)} decimal {unit}"]


def _abs_words(args: Sequence[Any], places: Decimal | None, t: str | None) -> list[Any]:
    return [args[0], ", ignoring its sign"]


def _listed(args: Sequence[Any]) -> list[Any]:
    parts: list[Any] = []
    for i, arg in enumerate(args):
        if i:
            parts.append(" and " if i == len(args) - 1 else ", ")
        parts.append(arg)
    return parts


def _min_words(args: Sequence[Any], places: Decimal | None, t: str | None) -> list[Any]:
    return ["the lower of " if len(args) == 2 else "the lowest of ", *_listed(args)]


def _max_words(args: Sequence[Any], places: Decimal | None, t: str | None) -> list[Any]:
    return ["the higher of " if len(args) == 2 else "the highest of ", *_listed(args)]


def _clamp_words(args: Sequence[Any], places: Decimal | None, t: str | None) -> list[Any]:
    return [args[0], ", but no less than ", args[1], " and no more than ", args[2]]


# ---------------------------------------------------------------- the table

BUILT_INS: dict[str, BuiltIn] = {
    f.name: f
    for f in (
        BuiltIn("ceil", "ceil(x)", _one_value, _ceil, _ceil_words),
        BuiltIn("floor", "floor(x)", _one_value, _floor, _floor_words),
        BuiltIn("round", "round(x, places)", _rounding, _round, _round_words),
        BuiltIn("min", "min(a, b, …)", _several, _min, _min_words),
        BuiltIn("max", "max(a, b, …)", _several, _max, _max_words),
        BuiltIn("abs", "abs(x)", _one_value, _abs, _abs_words),
        BuiltIn("clamp", "clamp(x, low, high)", _clamping, _clamp, _clamp_words),
    )
}
"""Every built-in, by name, in the order the docs list them."""


def function_result(name: str, args: list[str]) -> tuple[str | None, str | None]:
    """(result type, problem) for a call of a known built-in with these argument types."""
    return BUILT_INS[name].type_rule(name, args)


def usage_list() -> str:
    """The built-ins as a hint lists them: `ceil(x), floor(x), …`."""
    return ", ".join(f.usage for f in BUILT_INS.values())
