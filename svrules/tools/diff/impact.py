"""A tender evaluated under two versions of a policy, and what changes for each bidder.

Owns `tender_impact` and `compare_results`: per bidder, the compliance, rank, total score,
social value, and each requirement's or criterion's outcome, score and points that differ.
Values are carried as results carry them (decimal strings), so the JSON form is exact.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from svrules.api import Policy
from svrules.core.decimals import result_string
from svrules.tools.diff.changes import keys_in_order

if TYPE_CHECKING:
    from svrules.engine.results import BidResult, RuleResult, TenderResult


@dataclass
class Delta:
    """A value under the old policy and under the new one."""

    old: Any
    new: Any

    @property
    def changed(self) -> bool:
        return self.old != self.new

    def to_json(self) -> dict[str, Any]:
        return {"old": self.old, "new": self.new}


@dataclass
class RuleImpact:
    """A requirement or criterion whose outcome, score or points differ for a bid."""

    id: str
    kind: str
    outcome: Delta
    score: Delta
    points: Delta

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": self.kind,
            "outcome": self.outcome.to_json(),
            "score": self.score.to_json(),
            "points": self.points.to_json(),
        }


@dataclass
class BidImpact:
    """What changes for one bidder."""

    bidder: str
    compliant: Delta
    rank: Delta
    total_score: Delta
    social_value: Delta
    rules: list[RuleImpact]

    @property
    def changed(self) -> bool:
        return bool(self.rules) or any(
            d.changed for d in (self.compliant, self.rank, self.total_score, self.social_value)
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "bidder": self.bidder,
            "changed": self.changed,
            "compliant": self.compliant.to_json(),
            "rank": self.rank.to_json(),
            "total_score": self.total_score.to_json(),
            "social_value": self.social_value.to_json(),
            "rules": [r.to_json() for r in self.rules],
        }


@dataclass
class TenderImpact:
    """A tender evaluated under both versions, and what changes for each bidder."""

    tender: str
    as_of: Delta
    applies: Delta
    bids: list[BidImpact]

    @property
    def changed(self) -> bool:
        return self.applies.changed or any(b.changed for b in self.bids)

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.tender,
            "changed": self.changed,
            "as_of": self.as_of.to_json(),
            "applies": self.applies.to_json(),
            "bids": [b.to_json() for b in self.bids],
        }


def tender_impact(old: Policy, new: Policy, tender: Path, as_of: date | None = None) -> TenderImpact:
    """Evaluate `tender` under both versions; raises `InputError` if either rejects it."""
    before = old.evaluate(tender, as_of=as_of)
    after = new.evaluate(tender, as_of=as_of)
    return compare_results(before, after, str(tender))


def compare_results(before: TenderResult, after: TenderResult, tender: str = "") -> TenderImpact:
    """Per bidder, the outcomes, scores, ranks and totals that differ between two results."""
    olds = {b.bidder: b for b in before.bids}
    news = {b.bidder: b for b in after.bids}
    bids = [_bid_impact(name, olds.get(name), news.get(name)) for name in keys_in_order(olds, news)]
    return TenderImpact(
        tender,
        Delta(before.as_of.isoformat(), after.as_of.isoformat()),
        Delta(before.applies, after.applies),
        bids,
    )


def _dec(value: Decimal | None, money: bool = False) -> str | None:
    return None if value is None else result_string(value, money)


def _bid_impact(bidder: str, a: BidResult | None, b: BidResult | None) -> BidImpact:
    def get(bid: BidResult | None, attr: str) -> Any:
        return None if bid is None else getattr(bid, attr)

    rules: list[RuleImpact] = []
    old_rules = {r.id: r for r in ([*a.requirements, *a.criteria] if a else [])}
    new_rules = {r.id: r for r in ([*b.requirements, *b.criteria] if b else [])}
    for rule_id in keys_in_order(old_rules, new_rules):
        ra, rb = old_rules.get(rule_id), new_rules.get(rule_id)
        impact = RuleImpact(
            rule_id,
            _either(ra, rb).kind,
            Delta(_rule_attr(ra, "outcome"), _rule_attr(rb, "outcome")),
            Delta(_dec(_rule_attr(ra, "score")), _dec(_rule_attr(rb, "score"))),
            Delta(_dec(_rule_attr(ra, "points")), _dec(_rule_attr(rb, "points"))),
        )
        if impact.outcome.changed or impact.score.changed or impact.points.changed:
            rules.append(impact)
    return BidImpact(
        bidder,
        Delta(get(a, "compliant"), get(b, "compliant")),
        Delta(get(a, "rank"), get(b, "rank")),
        Delta(_dec(get(a, "total_score")), _dec(get(b, "total_score"))),
        Delta(
            _dec(a.social_value.total, True) if a else None,
            _dec(b.social_value.total, True) if b else None,
        ),
        rules,
    )


def _rule_attr(rule: RuleResult | None, attr: str) -> Any:
    return None if rule is None else getattr(rule, attr)


def _either(a: RuleResult | None, b: RuleResult | None) -> RuleResult:
    """The rule's result under whichever version has it."""
    found = a or b
    assert found is not None  # each id comes from one version or the other
    return found
