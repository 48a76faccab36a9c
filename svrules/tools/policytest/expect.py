"""Comparing one evaluation with what a case expects, field by field and exactly.

Numbers are compared after rounding both half up to 10 places, and `60%` and `£1,250.50`
are read as policies read them; a rule, bidder or let the policy does not have is an error
of the case (with a did-you-mean hint), not a mismatch.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation
from typing import Any

from svrules.api import Policy
from svrules.core.diagnostics import did_you_mean
from svrules.core.literals import read_money
from svrules.engine.results import BidResult, RuleResult, TenderResult
from svrules.tools.policytest.model import Case, CaseError, Mismatch, Where

REQUIREMENT_OUTCOMES = ("met", "not_met", "not_applicable", "error")
CRITERION_OUTCOMES = ("scored", "not_applicable", "not_scored", "error")

_PLACES = Decimal("1e-10")
_WIDE = Context(prec=60)


def compare_expectations(case: Case, policy: Policy, result: TenderResult) -> list[Mismatch]:
    """Every mismatch between `result` and the case's `expect`; `CaseError` if it names unknowns."""
    return _Comparer(case, policy, result).compare()


class _Comparer:
    """Compares one evaluation with a case's `expect`, collecting every mismatch."""

    def __init__(self, case: Case, policy: Policy, result: TenderResult):
        self.case = case
        self.policy = policy
        self.result = result
        self.out: list[Mismatch] = []
        rules = policy.checked.policy.rules
        self.requirements = [r.name for r in rules if r.kind == "requirement"]
        self.criteria = [r.name for r in rules if r.kind == "criterion"]
        self.measures = [r.name for r in rules if r.kind == "measure"]
        self.lets = {r.name: [let.name for let in r.lets] for r in rules}

    def mismatch(self, where: Where, what: str, expected: Any, actual: Any, note: str | None = None) -> None:
        self.out.append(
            Mismatch(str(self.case.path), self.case.line_of(*where), what, show(expected), show(actual), note)
        )

    def compare(self) -> list[Mismatch]:
        expect = self.case.data["expect"]
        if "applies" in expect:
            self.same(("expect", "applies"), "applies", expect["applies"], self.result.applies)
        if "as_of" in expect:
            self.same(("expect", "as_of"), "as_of", expect["as_of"], self.result.as_of.isoformat())
        for name, want in (expect.get("params") or {}).items():
            where = ("expect", "params", name)
            if name not in self.result.params:
                raise self.unknown("parameter", name, list(self.result.params), where)
            value, _type = self.result.params[name]
            self.same(where, f"parameter {name}", want, value)
        bidders = [b["bidder"] for b in self.case.data["bids"]]
        for bidder in expect.get("bids") or {}:
            if bidder not in bidders:
                where = ("expect", "bids", bidder)
                raise self.unknown("bidder", str(bidder), bidders, where, "bidders in this case")
        for bidder, want in (expect.get("bids") or {}).items():
            where = ("expect", "bids", bidder)
            if not self.result.applies:
                self.mismatch(
                    where,
                    f"bid '{bidder}'",
                    "a result",
                    "none",
                    "the policy does not apply, so no bid is evaluated",
                )
                continue
            self.bid(self.result.bid(bidder), want, where)
        return self.out

    def unknown(
        self, what: str, name: str, known: list[str], where: Where, among: str | None = None
    ) -> CaseError:
        hint = did_you_mean(name, known)
        listing = ", ".join(known) if known else "none"
        among = among or f"{what}s of the policy"
        detail = f"hint: {hint or f'the {among} are: {listing}'}"
        return self.case.error(f"unknown {what} '{name}'", *where, detail=detail)

    def bid(self, bid: BidResult, want: dict[str, Any], where: Where) -> None:
        label = f"bid '{bid.bidder}'"
        for key in ("compliant", "rank", "total_score", "available_weight"):
            if key in want:
                self.same((*where, key), f"{label}: {key}", want[key], getattr(bid, key))
        for rule, outcome in (want.get("requirements") or {}).items():
            w = (*where, "requirements", rule)
            if rule not in self.requirements:
                raise self.unknown("requirement", str(rule), self.requirements, w)
            self.outcome(
                w,
                f"{label}, requirement {rule}",
                outcome,
                bid.requirement(rule).outcome,
                REQUIREMENT_OUTCOMES,
            )
        if "criteria" in want:
            self.criteria_of(bid, want["criteria"], (*where, "criteria"), label)
        if "social_value" in want:
            self.social_value(bid, want["social_value"], (*where, "social_value"), label)
        self.reasons(bid, want, where, label)
        self.lets_of(bid, want, where, label)

    def reasons(self, bid: BidResult, want: dict[str, Any], where: Where, label: str) -> None:
        """A rule's reason, word for word (`reasons`), or words it must mention."""
        for rule, text in (want.get("reasons") or {}).items():
            w = (*where, "reasons", rule)
            found = self.rule(bid, rule, w)
            if str(text) != found.reason:
                self.mismatch(w, f"{label}, {found.kind} {rule}: reason", str(text), found.reason)
        for rule, words in (want.get("reason_mentions") or {}).items():
            w = (*where, "reason_mentions", rule)
            found = self.rule(bid, rule, w)
            for word in words if isinstance(words, list) else [words]:
                if str(word) not in found.reason:
                    self.mismatch(
                        w,
                        f"{label}, {found.kind} {rule}: reason",
                        word,
                        found.reason,
                        f"does not mention {str(word)!r}: {found.reason!r}",
                    )

    def lets_of(self, bid: BidResult, want: dict[str, Any], where: Where, label: str) -> None:
        """The values a rule's `let`s took for this bid."""
        for rule, values in (want.get("lets") or {}).items():
            w = (*where, "lets", rule)
            found = self.rule(bid, rule, w)
            if not isinstance(values, dict):
                raise self.case.error("'lets' of a rule must be a mapping of name: value", *w)
            for name, value in values.items():
                if name not in self.lets.get(rule, []):
                    raise self.unknown(
                        f"let of {rule}", str(name), self.lets.get(rule, []), (*w, name), f"lets of {rule}"
                    )
                self.same(
                    (*w, name), f"{label}, {found.kind} {rule}: let {name}", value, found.lets.get(name)
                )

    def rule(self, bid: BidResult, rule: Any, where: Where) -> RuleResult:
        for found in (*bid.requirements, *bid.criteria):
            if found.id == rule:
                return found
        raise self.unknown(
            "rule",
            str(rule),
            self.requirements + self.criteria,
            where,
            "requirements and criteria of the policy",
        )

    def criteria_of(self, bid: BidResult, want: Any, where: Where, label: str) -> None:
        if want is None:  # a non-compliant bid: nothing is scored
            for c in bid.criteria:
                if c.outcome != "not_scored":
                    self.mismatch(where, f"{label}, criterion {c.id}: outcome", "not_scored", c.outcome)
            return
        for rule, expected in want.items():
            w = (*where, rule)
            if rule not in self.criteria:
                raise self.unknown("criterion", str(rule), self.criteria, w)
            found = bid.criterion(rule)
            what = f"{label}, criterion {rule}"
            if isinstance(expected, str) and not _NUMBER_LIKE.match(expected.strip()):
                self.outcome(w, what, expected, found.outcome, CRITERION_OUTCOMES)
            elif isinstance(expected, dict):
                if "outcome" in expected:
                    self.outcome(
                        (*w, "outcome"), what, expected["outcome"], found.outcome, CRITERION_OUTCOMES
                    )
                for key in ("score", "points"):
                    if key in expected:
                        self.same((*w, key), f"{what}: {key}", expected[key], getattr(found, key))
            elif expected is None:
                self.same(w, f"{what}: score", None, found.score)
            else:  # a bare number or percent is the score
                self.same(w, f"{what}: score", expected, found.score)

    def social_value(self, bid: BidResult, want: Any, where: Where, label: str) -> None:
        sv = bid.social_value
        if not isinstance(want, dict):
            self.same(where, f"{label}: social_value", want, sv.total)
            return
        if "total" in want:
            self.same((*where, "total"), f"{label}: social_value total", want["total"], sv.total)
        if "ratio_to_contract_value" in want:
            self.same(
                (*where, "ratio_to_contract_value"),
                f"{label}: social_value ratio_to_contract_value",
                want["ratio_to_contract_value"],
                sv.ratio_to_contract_value,
            )
        measures = want.get("measures") or {}
        if not isinstance(measures, dict):
            raise self.case.error("'measures' must be a mapping of measure id: value", *where, "measures")
        values = {m.id: m.value for m in sv.measures}
        for rule, value in measures.items():
            w = (*where, "measures", rule)
            if rule not in self.measures:
                raise self.unknown("measure", str(rule), self.measures, w)
            self.same(w, f"{label}, measure {rule}: value", value, values.get(rule))

    def outcome(self, where: Where, what: str, expected: Any, actual: str, allowed: tuple[str, ...]) -> None:
        if expected not in allowed:
            raise self.case.error(f"'{expected}' is not an outcome: use one of {', '.join(allowed)}", *where)
        if expected != actual:
            self.mismatch(where, f"{what}: outcome", expected, actual)

    def same(self, where: Where, what: str, expected: Any, actual: Any) -> None:
        try:
            equal = values_equal(expected, actual)
        except ValueError as exc:
            raise self.case.error(f"{what}: {exc}", *where) from None
        if not equal:
            shown = show(expected)
            if (
                isinstance(actual, Decimal)
                and isinstance(expected, str)
                and ("%" in expected or "£" in expected)
            ):
                shown = f"{show(expected_decimal(expected))} ({expected.strip()})"
            self.out.append(
                Mismatch(str(self.case.path), self.case.line_of(*where), what, shown, show(actual))
            )


# ---------------------------------------------------------------- comparing values


def values_equal(expected: Any, actual: Any) -> bool:
    """Exact comparison; decimals after rounding both half up to 10 places."""
    if expected is None or actual is None:
        return expected is None and actual is None
    if isinstance(actual, bool) or isinstance(expected, bool):
        return isinstance(actual, bool) and isinstance(expected, bool) and expected == actual
    if isinstance(actual, Decimal | int):
        return _round(expected_decimal(expected)) == _round(Decimal(actual))
    if isinstance(actual, date):
        return str(expected) == actual.isoformat()
    return str(expected) == str(actual)


def expected_decimal(value: Any) -> Decimal:
    """An expected number: `0.6`, `"0.6"`, `60%` (a fraction, 0.6) or `£1,250.50`."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return Decimal(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            if text.endswith("%"):
                return _WIDE.divide(Decimal(text[:-1].strip()), Decimal(100))
            if text.startswith("£") or text.startswith("-£"):
                return _money(text)
            return Decimal(text)
        except InvalidOperation:
            pass
    raise ValueError(f"expected a number, not {show(value)}")


def _money(text: str) -> Decimal:
    """`£1,250.50`, `-£5`, `£250k`, `£1.5m` or `£2bn`, as in policies."""
    amount = read_money(text)
    if amount is None:
        raise InvalidOperation(text)
    return amount


def _round(value: Decimal) -> Decimal:
    return value.quantize(_PLACES, rounding=ROUND_HALF_UP, context=_WIDE)


def show(value: Any) -> str:
    """A value as the diff shows it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Decimal):
        if value.is_finite():
            text = format(_round(value).normalize(_WIDE), "f")
            return "0" if text in ("-0", "0") else text
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return repr(value) if not _IDENT.fullmatch(value) else value
    return str(value)


_NUMBER_LIKE = re.compile(r"-?£?[0-9.]")
_IDENT = re.compile(r"[A-Za-z0-9_.%£,\-]+")
