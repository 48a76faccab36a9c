"""Tender files → validated contract and bids.

Owns reading tender JSON exactly (numbers become `Decimal`, never float; repeated keys,
NaN and Infinity are refused) and validating the contract and every bid against the
policy's field declarations. Every problem is collected, naming the bid and the field,
so one run lists them all; nothing is evaluated unless the whole tender is valid.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from itertools import accumulate
from pathlib import Path
from typing import Any, NamedTuple

from svrules.core.decimals import EXACT, HELD, exact_input
from svrules.core.diagnostics import Diagnostic, InputError, did_you_mean
from svrules.core.identifiers import checked_identifier
from svrules.core.limits import (
    MAX_JSON_DEPTH,
    MAX_NUMBER_DIGITS,
    MAX_NUMBER_PLACES,
    NUMBER_MAGNITUDE_DIGITS,
)
from svrules.core.source import (
    SourceFile,
    SourceReadError,
    Span,
    decode_source,
    read_source,
)
from svrules.language import nodes as n

# Input strings are matched whole, with `fullmatch`: `$` would also match before a final "\n".
_MONEY_STRING = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_PERCENT_STRING = re.compile(r"(-?[0-9]+(\.[0-9]+)?)%")
_DATE_STRING = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_LIMIT = Decimal(10) ** NUMBER_MAGNITUDE_DIGITS
TOP_LEVEL_KEYS = ("contract", "bids", "id", "title")
_TOP_LEVEL = frozenset(TOP_LEVEL_KEYS)


class Bid(NamedTuple):
    """One bid: its bidder and its values, converted to the declared types."""

    bidder: str
    values: dict[str, Any]


class Tender(NamedTuple):
    """A validated tender: the contract's values and the bids in input order."""

    contract: dict[str, Any]
    bids: tuple[Bid, ...]
    id: str | None = None
    title: str | None = None
    path: str | None = None


class _Pairs(dict[str, Any]):
    """A JSON object that remembers keys it saw more than once."""

    repeated: list[str] = []  # noqa: RUF012 - shared and never changed: set per object when keys repeat


def _pairs(items: list[tuple[str, Any]]) -> _Pairs:
    out = _Pairs(items)  # built in C; only an object with a repeated key needs the loop
    if len(out) != len(items):
        seen: set[str] = set()
        repeated: list[str] = []
        for key, _ in items:
            if key in seen:
                repeated.append(key)
            seen.add(key)
        out.repeated = repeated
    return out


class _NotANumber:
    """A JSON number that is no Decimal svrules can hold: NaN, Infinity, or an exponent out of range."""

    def __init__(self, text: str, reason: str = "not-a-number"):
        self.text = text
        self.reason = reason  # a key of `_NOT_HELD`


def _decimal_or_marker(text: str) -> Decimal | _NotANumber:
    """A JSON number as a Decimal, or a marker when its exponent is beyond Decimal's range."""
    try:
        return Decimal(text)
    except InvalidOperation:
        return _NotANumber(
            text, "too-many-places" if text.lower().partition("e")[2][:1] == "-" else "too-large"
        )


def _plain_object(value: Any) -> bool:
    """A JSON object with no repeated key (as parsed here, or a plain dict from Python)."""
    kind = type(value)
    return kind is dict or (kind is _Pairs and not value.repeated)


def parse_json(source: SourceFile) -> Any:
    """Parse JSON text exactly, or raise `InputError` at the line and column of the fault.

    Nesting deeper than `MAX_JSON_DEPTH` is refused before decoding (the decoder recurses
    once per level); a number whose exponent `Decimal` cannot hold becomes a marker that
    validation names at its bid and field; text with half a UTF-16 surrogate pair is refused.
    """
    _refuse_deep_nesting(source)
    try:
        try:
            data = _decode(source.text, Decimal)
        except InvalidOperation:  # an exponent beyond Decimal's range (1e99999999999999999999)
            data = _decode(source.text, _decimal_or_marker)
    except json.JSONDecodeError as exc:
        raise _located(source, exc.pos, "bad-json", f"not valid JSON: {exc.msg.lower()}",
                       "check the file with a JSON validator") from None  # fmt: skip
    lone = _LONE_ESCAPE.search(source.text) if "\\u" in source.text else None
    if lone is not None and _has_lone_surrogate(data):  # it could not be written out as UTF-8
        raise _located(source, lone.start(), "bad-text", f"text holds {lone.group()}, half of a UTF-16 "
                       "surrogate pair, which is not a character", "write the character itself")  # fmt: skip
    return data


def _decode(text: str, parse_float: Any) -> Any:
    return json.loads(text, parse_float=parse_float, parse_int=Decimal, parse_constant=_NotANumber,
                      object_pairs_hook=_pairs)  # fmt: skip


def _located(source: SourceFile, offset: int, code: str, message: str, hint: str) -> InputError:
    """An error at a character offset of the file: its line and column are named."""
    line = source.text.count("\n", 0, offset) + 1
    column = offset - source.text.rfind("\n", 0, offset)
    span = Span.point(source.path, line, column)
    return InputError([Diagnostic(code, message, span, hint)], {source.path: source})


_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)  # linear: an unclosed string ends the text
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")
_JSON_BRACKET = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?|[\[\]{}]', re.DOTALL)
_DEPTH_STEPS = str.maketrans({"[": "\x01", "{": "\x01", "]": "\xff", "}": "\xff"})


def _refuse_deep_nesting(source: SourceFile) -> None:
    """Refuse arrays and objects nested deeper than `MAX_JSON_DEPTH` (brackets in strings aside), in C."""
    text = source.text
    if text.count("[") + text.count("{") <= MAX_JSON_DEPTH:
        return
    brackets = _NOT_A_BRACKET.sub("", _JSON_STRING.sub("", text))
    steps = memoryview(brackets.translate(_DEPTH_STEPS).encode("latin-1")).cast("b")
    if max(accumulate(steps), default=0) <= MAX_JSON_DEPTH:
        return
    depth = 0
    for match in _JSON_BRACKET.finditer(text):  # only now, to name the line and column
        depth += {"[": 1, "{": 1, "]": -1, "}": -1}.get(match.group(), 0)
        if depth > MAX_JSON_DEPTH:
            raise _located(source, match.start(), "json-too-deep", f"arrays and objects are nested more than "
                           f"{MAX_JSON_DEPTH} levels deep here", "a tender or report needs only a few levels; "
                           "check how the file was made (see docs/limits.md)")  # fmt: skip


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
_LONE_ESCAPE = re.compile(  # a high half not followed by a low one, or a low half not after a high one
    r"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)


def _has_lone_surrogate(value: Any) -> bool:
    """Whether decoded JSON holds half a surrogate pair (a whole pair decodes to one character)."""
    if isinstance(value, str):
        return _LONE_SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(_has_lone_surrogate(k) or _has_lone_surrogate(v) for k, v in value.items())
    return isinstance(value, list) and any(_has_lone_surrogate(v) for v in value)


def read_tender_file(path: Path | str) -> tuple[SourceFile, Any]:
    """Read a tender (or any input) file as exact JSON."""
    try:
        source = read_source(path)
    except SourceReadError as exc:
        raise InputError(
            [Diagnostic("unreadable-file", exc.message, None, exc.hint, path=exc.path)]
        ) from None
    return source, parse_json(source)


def tender_from_text(text: str | bytes, path: str = "<tender>") -> tuple[SourceFile, Any]:
    try:  # text must be valid Unicode (no lone surrogates), bytes valid UTF-8
        source = decode_source(path, text)
    except SourceReadError as exc:
        raise InputError([Diagnostic("unreadable-file", exc.message, None, exc.hint, path=path)]) from None
    return source, parse_json(source)


@dataclass(frozen=True)
class RecordSpec:
    """A block of field declarations, prepared once per policy for fast validation."""

    fields: Mapping[str, n.FieldDecl]
    converters: dict[str, Any]
    required: frozenset[str]
    fast: Any = None  # generated: the values of a record that is plainly valid, else None


def record_spec(fields: Mapping[str, n.FieldDecl] | RecordSpec) -> RecordSpec:
    if isinstance(fields, RecordSpec):
        return fields
    converters = {name: fast_converter(decl) for name, decl in fields.items()}
    required = frozenset(name for name, d in fields.items() if not d.optional)
    return RecordSpec(fields, converters, required, _fast_record(fields))


class TenderValidator:
    """Checks one tender object against the policy's `contract:` and `bid:` declarations."""

    def __init__(
        self,
        contract_fields: Mapping[str, n.FieldDecl] | RecordSpec,
        bid_fields: Mapping[str, n.FieldDecl] | RecordSpec,
        path: str,
    ):
        self.contract_spec = record_spec(contract_fields)
        self.bid_spec = record_spec(bid_fields)
        self.contract_fields = self.contract_spec.fields
        self.bid_fields = self.bid_spec.fields
        self.path = path
        self.problems: list[Diagnostic] = []

    def problem(self, where: str, message: str, hint: str | None = None, code: str = "bad-input") -> None:
        self.problems.append(Diagnostic(code, message, None, hint, path=self.path, where=where))

    def validate(self, data: Any) -> Tender:
        """The validated tender, or `InputError` listing every problem (bid and field)."""
        quick = self._plainly_valid(data)
        if quick is not None:
            return quick
        if not isinstance(data, dict):
            self.problem(
                "the file", "a tender is a JSON object with 'contract' and 'bids'", code="bad-tender"
            )
            raise InputError(self.problems)
        self.note_repeated(data, "the tender")
        for key in data:
            if key not in TOP_LEVEL_KEYS:
                self.problem(
                    "the tender",
                    f"unknown key '{key}'",
                    did_you_mean(key, TOP_LEVEL_KEYS)
                    or "a tender holds contract, bids, and optionally id and title",
                    "unknown-key",
                )
        for key in ("id", "title"):
            if key in data and not isinstance(data[key], str):
                self.problem("the tender", f"'{key}' must be a string", code="wrong-type")
        contract = self.record(data.get("contract"), self.contract_fields, "contract", "the contract")
        bids = self._bids(data.get("bids"))
        if self.problems:
            raise InputError(self.problems)
        return Tender(contract, tuple(bids), data.get("id"), data.get("title"), self.path)

    def _plainly_valid(self, data: Any) -> Tender | None:
        """The tender when every part of it takes the fast path; None at the first doubt."""
        contract_fast, bid_fast = self.contract_spec.fast, self.bid_spec.fast
        if (
            not _plain_object(data)
            or contract_fast is None
            or bid_fast is None
            or not _TOP_LEVEL.issuperset(data)
        ):
            return None
        contract, raw_bids = data.get("contract"), data.get("bids")
        if not _plain_object(contract) or type(raw_bids) is not list or not raw_bids:
            return None
        tender_id, title = data.get("id"), data.get("title")
        if (tender_id is not None and type(tender_id) is not str) or (
            title is not None and type(title) is not str
        ):
            return None
        try:
            return self._plainly_valid_parts(contract, raw_bids, tender_id, title, contract_fast, bid_fast)
        except ArithmeticError:  # a NaN in a mapping: the full path explains
            return None

    def _plainly_valid_parts(
        self,
        contract: Any,
        raw_bids: list[Any],
        tender_id: Any,
        title: Any,
        contract_fast: Any,
        bid_fast: Any,
    ) -> Tender | None:
        contract_values = contract_fast(contract, None)
        if contract_values is None:
            return None
        bids = []
        seen = set()
        for item in raw_bids:
            if not _plain_object(item):
                return None
            bidder = item.get("bidder")
            if type(bidder) is not str or bidder in seen or not bidder.strip():
                return None
            seen.add(bidder)
            values = bid_fast(item, "bidder")
            if values is None:
                return None
            bids.append(Bid(bidder, values))
        return Tender(contract_values, tuple(bids), tender_id, title, self.path)

    def _bids(self, raw: Any) -> list[Bid]:
        if raw is None:
            self.problem(
                "the tender",
                "'bids' is missing",
                'add "bids": [ ... ] with at least one bid',
                "missing-field",
            )
            return []
        if not isinstance(raw, list) or not raw:
            self.problem("the tender", "'bids' must be a list of at least one bid", code="bad-tender")
            return []
        bids: list[Bid] = []
        seen: set[str] = set()
        for index, item in enumerate(raw, start=1):
            if not isinstance(item, dict):
                self.problem(f"bid {index}", "a bid must be a JSON object", code="bad-tender")
                continue
            bidder = item.get("bidder")
            if not isinstance(bidder, str) or not bidder.strip():
                self.problem(
                    f"bid {index}", "'bidder' must be a non-empty string naming the bidder", code="bad-bidder"
                )
                where = f"bid {index}"
                bidder = f"bid {index}"
            else:
                where = f"bid '{bidder}'"
                if bidder in seen:
                    self.problem(
                        where,
                        f"bidder '{bidder}' appears more than once",
                        "each bid needs its own bidder name",
                        "duplicate-bidder",
                    )
                seen.add(bidder)
            if isinstance(item, _Pairs) and item.repeated:
                self.note_repeated(item, where)
            values = self.record(item, self.bid_fields, "bid", where, skip="bidder")
            bids.append(Bid(bidder, values))
        return bids

    def note_repeated(self, obj: Any, where: str) -> None:
        for key in getattr(obj, "repeated", []):
            self.problem(where, f"key '{key}' appears more than once", "keep one of them", "repeated-key")

    def record(
        self,
        raw: Any,
        fields: Mapping[str, n.FieldDecl] | RecordSpec,
        root: str,
        where: str,
        skip: str | None = None,
    ) -> dict[str, Any]:
        """The converted values of one record; `skip` names a key that is not a field (`bidder`)."""
        if raw is None and root == "contract":
            self.problem("the tender", "'contract' is missing", 'add "contract": { ... }', "missing-field")
            return {}
        if not isinstance(raw, dict):
            self.problem(where, f"the {root} must be a JSON object", code="bad-tender")
            return {}
        if root == "contract":
            self.note_repeated(raw, where)
        spec = self._spec(fields)
        if spec.fast is not None:
            try:
                values = spec.fast(raw, skip)
            except ArithmeticError:  # a NaN in a mapping: the field-by-field path explains
                values = None
            if values is not None:
                return values
        converters = spec.converters
        values = {}
        for key, value in raw.items():
            convert_value = converters.get(key)
            if convert_value is None:
                if key != skip:
                    self._unknown(where, key, spec.fields)
            elif value is None:
                if key in spec.required:
                    decl = spec.fields[key]
                    self.problem(
                        f"{where}, field '{key}'",
                        "null for a required field",
                        f"give a {decl.type} value",
                        "missing-field",
                    )
            else:
                converted = convert_value(value)
                if type(converted) is Problem:
                    self.problem(f"{where}, field '{key}'", converted.message, converted.hint, converted.code)
                else:
                    values[key] = converted
        missing = spec.required.difference(raw)
        for name in sorted(missing, key=list(spec.fields).index):
            decl = spec.fields[name]
            self.problem(
                where,
                f"required field '{name}' is missing",
                f'add "{name}": a {decl.type} value' + (f" ({decl.description})" if decl.description else ""),
                "missing-field",
            )
        return values

    def _spec(self, fields: Mapping[str, n.FieldDecl] | RecordSpec) -> RecordSpec:
        if fields is self.bid_fields:
            return self.bid_spec
        if fields is self.contract_fields:
            return self.contract_spec
        return record_spec(fields)

    def _unknown(self, where: str, key: str, fields: Mapping[str, n.FieldDecl]) -> None:
        self.problem(
            where,
            f"unknown field '{key}'",
            did_you_mean(key, fields) or f"the policy declares: {', '.join(fields) or 'no fields'}",
            "unknown-field",
        )


@dataclass(frozen=True)
class Problem:
    """Why a JSON value is not a value of its declared field."""

    message: str
    hint: str | None = None
    code: str = "wrong-type"


_SHOWN_CHARS = 60
"""A value quoted in a message is cut to this many characters."""


def _show(value: Any) -> str:
    """A value as a message quotes it: as JSON writes it, cut short."""
    if isinstance(value, _NotANumber):
        text = value.text
    elif isinstance(value, Decimal):
        small = value.is_finite() and -30 < value.adjusted() < 30
        text = f"{value:f}" if small else str(value)
    else:
        try:
            text = json.dumps(value, default=lambda v: getattr(v, "text", str(v)), ensure_ascii=False)
        except (ValueError, RecursionError):  # a cycle, or nesting no file can hold, given from Python
            text = "a list" if isinstance(value, list | tuple) else "an object"
    if len(text) > _SHOWN_CHARS:
        text = text[: _SHOWN_CHARS - 1] + "…"
    return text.encode("utf-8", "backslashreplace").decode("utf-8")  # half a surrogate pair, escaped


_NOT_HELD = {  # why `exact_input` refuses a number: (the message, the hint)
    "not-a-number": ("{} is not a number", "write a number in digits"),
    "too-large": (f"{{}} is too large (10^{NUMBER_MAGNITUDE_DIGITS} or more)",
                  "numbers and amounts must be below 1,000,000,000,000,000 in size"),
    "too-many-digits": (f"{{}} has more than {MAX_NUMBER_DIGITS} significant digits",
                        "write fewer digits; values are never rounded"),
    "too-many-places": (f"{{}} has more than {MAX_NUMBER_PLACES} decimal places",
                        f"write at most {MAX_NUMBER_PLACES} decimal places; values are never rounded"),
}  # fmt: skip


def _exact(value: Decimal) -> Decimal | Problem:
    """The value itself when svrules can hold it exactly (`exact_input`); why not, otherwise."""
    held = exact_input(value)
    if isinstance(held, Decimal):
        return held
    message, hint = _NOT_HELD[held]
    return Problem(message.format(_show(value)), hint, "bad-number")


def _number(value: Any) -> Decimal | Problem:
    if type(value) is Decimal:
        return _exact(value)
    if isinstance(value, float):
        return Problem(
            f"{value!r} is a float, which cannot hold money or scores exactly",
            "read JSON with json.loads(text, parse_float=Decimal), or pass the file's path or text",
            "float-input",
        )
    if isinstance(value, _NotANumber):
        message, hint = _NOT_HELD[value.reason]
        return Problem(message.format(_show(value)), hint, "bad-number")
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        return Problem(f"expected a number, got {_show(value)}")
    return _exact(Decimal(value))


def convert(value: Any, decl: n.FieldDecl) -> Any:
    """A JSON value as the declared type's runtime value, or a `Problem`."""
    result = _CONVERTERS[decl.type](value, decl)
    if isinstance(result, Problem):
        return result
    return _in_range(result, decl)


def _money(value: Any, decl: n.FieldDecl) -> Decimal | Problem:
    if isinstance(value, dict):
        if isinstance(value, _Pairs) and value.repeated:
            return Problem(
                f"key '{value.repeated[0]}' appears more than once in the amount",
                "keep one of them",
                "repeated-key",
            )
        currency = value.get("currency", "GBP")
        extra = set(value) - {"amount", "currency"}
        if extra or "amount" not in value:
            return Problem(
                "an amount object holds 'amount' and optionally 'currency'",
                'write {"amount": 1500000, "currency": "GBP"}',
            )
        if currency != "GBP":
            return Problem(
                f"amounts must be in pounds sterling (GBP), not {_show(currency)}",
                "convert the amount to GBP before evaluation",
                "wrong-currency",
            )
        value = value["amount"]
    if type(value) is Decimal:
        return _exact(value)
    if isinstance(value, str):
        if not _MONEY_STRING.fullmatch(value):
            return Problem(
                f"{_show(value)} is not an amount", 'write digits only, e.g. "5400000.00" (no £, no commas)'
            )
        return _exact(Decimal(value))
    return _number(value)


def _plain_number(value: Any, decl: n.FieldDecl) -> Decimal | Problem:
    return _number(value)


def _count(value: Any, decl: n.FieldDecl) -> Decimal | Problem:
    number = _number(value)
    if isinstance(number, Problem):
        return number
    if number != number.to_integral_value() or number < 0:
        return Problem(f"expected a whole number of 0 or more, got {_show(value)}")
    return number


def _percent(value: Any, decl: n.FieldDecl) -> Decimal | Problem:
    if isinstance(value, str):
        match = _PERCENT_STRING.fullmatch(value)
        if not match:
            return Problem(
                f"{_show(value)} is not a percent", 'write a number from 0 to 100, or a string like "25%"'
            )
        number: Decimal | Problem = _exact(Decimal(match[1]))
    else:
        number = _number(value)
    if isinstance(number, Problem):
        return number
    if not 0 <= number <= 100:
        return Problem(
            f"{_show(value)} is not a percent from 0 to 100",
            'percents are written 0 to 100 (25 or "25%")',
            "out-of-range",
        )
    try:
        return number.scaleb(-2, EXACT)
    except ArithmeticError:  # not reached for a number `_exact` let through; never a rounded value
        return Problem(f"{_show(value)} cannot be held exactly as a fraction", code="bad-number")


def _yes_no(value: Any, decl: n.FieldDecl) -> bool | Problem:
    if isinstance(value, bool):
        return value
    return Problem(f"expected true or false, got {_show(value)}")


def _text(value: Any, decl: n.FieldDecl) -> str | Problem:
    if not isinstance(value, str):
        return Problem(f"expected a string, got {_show(value)}")
    if decl.one_of is not None:
        options = declared_options(decl.one_of)
        if value not in options:
            return Problem(
                f"{_show(value)} is not one of {', '.join(json.dumps(o) for o in options)}",
                did_you_mean(value, options),
                "not-one-of",
            )
    return value


def _date(value: Any, decl: n.FieldDecl) -> date | Problem:
    if not isinstance(value, str) or not _DATE_STRING.fullmatch(value):
        return Problem(f'expected a date "YYYY-MM-DD", got {_show(value)}')
    try:
        return date.fromisoformat(value)
    except ValueError:
        return Problem(f"{_show(value)} is not a real day")


_CONVERTERS = {
    "money": _money, "number": _plain_number, "count": _count, "percent": _percent,
    "yes/no": _yes_no, "text": _text, "date": _date,
}  # fmt: skip


def declared_options(one_of: n.ListLiteral) -> tuple[str, ...]:
    """The texts of a checked `one of [...]` list, in order (the checker allows texts only)."""
    options: list[str] = []
    for item in one_of.items:
        if not (isinstance(item, n.Literal) and isinstance(item.value, str)):
            raise ValueError(f"'one of' holds quoted texts only, not {item!r}")
        options.append(item.value)
    return tuple(options)


def declared_range(decl: n.FieldDecl) -> tuple[n.Literal, n.Literal] | None:
    """The bounds of a checked `from A to B`, written values (None for a field without one)."""
    if decl.low is None or decl.high is None:
        return None
    if not (isinstance(decl.low, n.Literal) and isinstance(decl.high, n.Literal)):
        raise ValueError(f"the bounds of '{decl.name}' are not written values")
    return decl.low, decl.high


def _in_range(value: Any, decl: n.FieldDecl) -> Any:
    bounds = declared_range(decl)
    if bounds is None:
        return value
    low, high = bounds
    if not low.value <= value <= high.value:
        return Problem(
            f"{_show(value)} is outside the declared range",
            f"expected from {low.text} to {high.text}",
            "out-of-range",
        )
    return value


def parse_as_of(text: str) -> date:
    """An `--as-of` date, exactly YYYY-MM-DD."""
    if not _DATE_STRING.fullmatch(text):
        raise InputError(
            [Diagnostic("bad-as-of", f"'{text}' is not a date", None, "write --as-of YYYY-MM-DD")]
        )
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(
            [Diagnostic("bad-as-of", f"'{text}' is not a real day", None, "write --as-of YYYY-MM-DD")]
        ) from None


_SLOW = object()
_PLUS = Decimal.__pos__


def _exactly_held(v: Decimal) -> bool:
    """Given back digit for digit by `_HELD`: the check `_exact` makes, fast (zeros aside)."""
    try:
        return -_LIMIT < v < _LIMIT and v.compare_total(HELD.plus(v)) == 0
    except ArithmeticError:  # NaN and friends: the slow path explains
        return False


def fast_converter(decl: n.FieldDecl) -> Any:
    """A converter for one field: the common, valid case in a few C calls, else `convert`.

    Validation runs for every field of every bid, so the usual shapes (a Decimal or int
    for numbers, a bool, a string) are accepted here directly; anything else, and every
    problem, goes through `convert`, which explains itself.
    """
    if decl.low is not None or decl.high is not None:
        return lambda v: convert(v, decl)  # declared ranges are rare: take the full path
    kind = decl.type
    slow = convert

    if kind in ("money", "number"):

        def number(v: Any) -> Any:
            t = type(v)
            if t is Decimal and _exactly_held(v):
                return v
            if t is int and -_LIMIT < v < _LIMIT:
                return Decimal(v)
            return slow(v, decl)

        return number
    if kind == "count":

        def count(v: Any) -> Any:
            t = type(v)
            if t is Decimal and _exactly_held(v) and v >= 0 and v == v.to_integral_value():
                return v
            if t is int and 0 <= v < _LIMIT:
                return Decimal(v)
            return slow(v, decl)

        return count
    if kind == "percent":

        def percent(v: Any) -> Any:
            t = type(v)
            if (t is int or (t is Decimal and _exactly_held(v))) and 0 <= v <= 100:
                return Decimal(v).scaleb(-2, EXACT)
            return slow(v, decl)

        return percent
    if kind == "yes/no":
        return lambda v: v if type(v) is bool else slow(v, decl)
    if kind == "text" and decl.one_of is not None:
        options = frozenset(declared_options(decl.one_of))
        return lambda v: v if type(v) is str and v in options else slow(v, decl)
    if kind == "text":
        return lambda v: v if type(v) is str else slow(v, decl)
    return lambda v: slow(v, decl)


_NUMBER_TEST = (
    "(t is Decimal and -LIMIT < v < LIMIT and v.compare_total(PLUS(v)) == 0) or (t is int and -LIMIT < v < LIMIT)",
    "DEC(v)",
)
_FAST_TESTS = {
    # (the test for a plainly valid value, the stored value): Decimal and int numbers, bools, strings
    # `v.compare_total(PLUS(v)) == 0`: held exactly, digit for digit (`exact_input`)
    "money": _NUMBER_TEST,
    "number": _NUMBER_TEST,
    "count": (
        "(t is Decimal and 0 <= v < LIMIT and v.compare_total(PLUS(v)) == 0 and v == v.to_integral_value()) or (t is int and 0 <= v < LIMIT)",
        "DEC(v)",
    ),
    "percent": (
        "((t is Decimal and v.compare_total(PLUS(v)) == 0) or t is int) and 0 <= v <= 100",
        "DEC(v).scaleb(-2, CTX)",
    ),
    "yes/no": ("t is bool", "v"),
    "text": ("t is str", "v"),
}


def _fast_record(fields: Mapping[str, n.FieldDecl]) -> Any:
    """Generate a function that returns the values of a record that is plainly valid.

    It answers None at the first doubt (an unknown key, a missing field, a value of an
    unusual shape, a declared range, a date), and the field-by-field path then explains.
    The source is built from the declarations only: field names are checked identifiers
    and every value is a constant passed in.
    """
    constants: dict[str, Any] = {
        "Decimal": Decimal, "DEC": Decimal, "LIMIT": _LIMIT, "PLUS": HELD.plus, "CTX": EXACT,
        "ALLOWED": frozenset(fields), "ABSENT": _SLOW,
    }  # fmt: skip
    lines = [
        "def fast(raw, skip):",
        "    if not ALLOWED.issuperset(raw.keys() - {skip}):",
        "        return None",
        "    out = {}",
    ]
    for i, (name, decl) in enumerate(fields.items()):
        if decl.type not in _FAST_TESTS or decl.low is not None:
            return None  # dates and ranges: the per-field path handles every record
        try:
            key = checked_identifier(name)
        except ValueError:
            return None  # not a name a policy declares: the per-field path explains
        test, stored = _FAST_TESTS[decl.type]
        if decl.one_of is not None:
            constants[f"OPTIONS{i}"] = frozenset(declared_options(decl.one_of))
            test = f"{test} and v in OPTIONS{i}"
        lines.append(f"    v = raw.get({key!r}, ABSENT)")
        lines.append("    t = type(v)")
        if decl.optional:
            lines.append("    if v is ABSENT or v is None:")
            lines.append("        pass")
            lines.append(f"    elif {test}:")
        else:
            lines.append(f"    if {test}:")
        lines.append(f"        out[{key!r}] = {stored}")
        lines.append("    else:")
        lines.append("        return None")
    lines.append("    return out")
    namespace = dict(constants)
    exec(
        compile("\n".join(lines) + "\n", "<svrules record validator>", "exec"), namespace
    )  # generated from declarations only
    return namespace["fast"]
