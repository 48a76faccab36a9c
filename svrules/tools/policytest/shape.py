"""What a case must look like, checked before the policy is loaded.

Owns the keys a case, its `expect` and each bid's expectations may have (an unknown key
is an error with a did-you-mean hint, never silently ignored) and the types of its parts,
so a mistake in a case is reported at its line rather than as a puzzling mismatch.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

from svrules.core.diagnostics import did_you_mean
from svrules.tools.policytest.model import Case, CaseError, Where

CASE_KEYS = ("name", "description", "as_of", "contract", "bids", "expect")
EXPECT_KEYS = ("applies", "as_of", "params", "bids", "rejected")
BID_KEYS = (
    "compliant",
    "rank",
    "total_score",
    "available_weight",
    "requirements",
    "criteria",
    "social_value",
    "reasons",
    "reason_mentions",
    "lets",
)
CRITERION_KEYS = ("outcome", "score", "points")
SOCIAL_VALUE_KEYS = ("total", "ratio_to_contract_value", "measures")

_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def make_case(path: Path, index: int, policy: Path, data: Any, lines: dict[Where, int]) -> Case:
    """The case one YAML document describes; `CaseError` at the line of what is wrong."""
    line = lines.get(())
    if not isinstance(data, dict):
        raise CaseError(path, line, "a case must be a mapping with name, contract, bids and expect")
    _known_keys(path, lines, data, CASE_KEYS, (), "case")
    for required in ("name", "contract", "bids", "expect"):
        if required not in data:
            raise CaseError(path, line, f"the case has no '{required}'")
    name = data["name"]
    if not isinstance(name, str) or not name.strip():
        raise CaseError(path, lines.get(("name",)), "'name' must be non-empty text")
    case = Case(path, index, name.strip(), policy, data, lines)
    _check_shape(case)
    return case


def _known_keys(
    path: Path, lines: dict[Where, int], data: dict[str, Any], known: tuple[str, ...], where: Where, what: str
) -> None:
    for key in data:
        if key not in known:
            hint = did_you_mean(str(key), known)
            raise CaseError(
                path,
                lines.get((*where, key)),
                f"unknown key '{key}' in {what}",
                f"hint: {hint or 'the keys of ' + what + ' are: ' + ', '.join(known)}",
            )


def _check_shape(case: Case) -> None:
    """What can be checked without the policy: types and keys of the case's parts."""
    data = case.data
    if not isinstance(data["contract"], dict):
        raise case.error("'contract' must be a mapping of field: value", "contract")
    bids = data["bids"]
    if not isinstance(bids, list) or not bids:
        raise case.error("'bids' must be a list of bids, each with a 'bidder'", "bids")
    for i, bid in enumerate(bids):
        if not isinstance(bid, dict):
            raise case.error("each bid must be a mapping of field: value", "bids", i)
        if not isinstance(bid.get("bidder"), str):
            raise case.error("each bid needs a 'bidder' name (text)", "bids", i)
    if "as_of" in data:
        _check_date(case, data["as_of"], "as_of")
    _check_expect(case, data["expect"])


def _check_expect(case: Case, expect: Any) -> None:
    if not isinstance(expect, dict):
        raise case.error("'expect' must be a mapping", "expect")
    _known_keys(case.path, case.lines, expect, EXPECT_KEYS, ("expect",), "expect")
    if "rejected" in expect and set(expect) - {"rejected"}:
        raise case.error("'rejected' cannot be combined with other expectations", "expect", "rejected")
    if "as_of" in expect:
        _check_date(case, expect["as_of"], "expect", "as_of")
    for key in ("params", "bids"):
        if expect.get(key) is not None and not isinstance(expect[key], dict):
            raise case.error(f"'{key}' must be a mapping of name: expectation", "expect", key)
    for bidder, want in (expect.get("bids") or {}).items():
        _check_bid_expectations(case, bidder, want)


def _check_bid_expectations(case: Case, bidder: Any, want: Any) -> None:
    where = ("expect", "bids", bidder)
    if not isinstance(want, dict):
        raise case.error(f"the expectations for bid '{bidder}' must be a mapping", *where)
    _known_keys(case.path, case.lines, want, BID_KEYS, where, f"bid '{bidder}'")
    for key in ("requirements", "reasons", "reason_mentions", "lets"):
        if key in want and not isinstance(want[key], dict):
            raise case.error(f"'{key}' must be a mapping of rule id: value", *where, key)
    criteria = want.get("criteria")
    if criteria is not None and not isinstance(criteria, dict):
        raise case.error(
            "'criteria' must be a mapping of criterion id: expectation, or null", *where, "criteria"
        )
    for rule, value in (criteria or {}).items():
        if isinstance(value, dict):
            what = f"criterion {rule}"
            _known_keys(case.path, case.lines, value, CRITERION_KEYS, (*where, "criteria", rule), what)
    social = want.get("social_value")
    if isinstance(social, dict):
        _known_keys(
            case.path, case.lines, social, SOCIAL_VALUE_KEYS, (*where, "social_value"), "social_value"
        )


def _check_date(case: Case, value: Any, *where: Any) -> None:
    ok = isinstance(value, str) and _DATE.fullmatch(value)
    if ok:
        try:
            date.fromisoformat(value)
        except ValueError:
            ok = False
    if not ok:
        raise case.error(f"'{value}' is not a date: write YYYY-MM-DD", *where)
