"""Evaluation results and their JSON form.

Owns the result types (`TenderResult`, `BidResult`, `RuleResult`, `SocialValue`) and the
public JSON shape procurement tools code against: decimals as strings of plain digits
with at most 10 places (money included, `core.decimals.result_string`), percents and
weights as fractions, dates as ISO strings. Reasons and traces are built on first use,
so evaluating many bids does not pay for text nobody reads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from svrules.core.decimals import result_string
from svrules.language import units
from svrules.language.scores import Detail

if TYPE_CHECKING:
    from svrules.engine.compiler import Env

Explainer = Callable[["RuleResult"], tuple[str, list[dict[str, Any]]]]


def json_value(value: Any, type_: str) -> Any:
    """A typed value as the result JSON carries it."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        return result_string(value, is_money=type_ == units.MONEY)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, frozenset | list | tuple):
        return [json_value(v, units.list_item(type_) or "") for v in value]
    return value


def decimal_json(value: Decimal | None, is_money: bool = False) -> str | None:
    return None if value is None else result_string(value, is_money)


@dataclass(frozen=True)
class PolicyInfo:
    """The policy's metadata, carried into every result."""

    id: str
    title: str
    version: str | None
    authority: str | None
    effective: date | None
    hash: str

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "version": self.version,
            "authority": self.authority,
            "effective": self.effective.isoformat() if self.effective else None,
            "hash": self.hash,
        }


@dataclass(eq=False)
class RuleResult:
    """One requirement's or criterion's outcome for one bid."""

    id: str
    title: str
    theme: str | None
    kind: str
    outcome: str
    refs: tuple[str, ...]
    lets: dict[str, Any]
    let_types: dict[str, str]
    weight: Decimal | None = None
    score: Decimal | None = None
    points: Decimal | None = None
    detail: Detail | None = None
    """How the outcome came about (a band, a line, a missing field, an error), by field name."""
    env: Env | None = field(default=None, repr=False)
    """The values the rule saw (contract, bid, parameters), for reasons and documents."""
    explainer: Explainer | None = field(default=None, repr=False)
    _explained: tuple[str, list[dict[str, Any]]] | None = field(default=None, repr=False)

    def _explain(self) -> tuple[str, list[dict[str, Any]]]:
        if self._explained is None:
            self._explained = self.explainer(self) if self.explainer else ("", [])
        return self._explained

    @property
    def reason(self) -> str:
        """The plain-English reason: the rendered `explain`, or text generated from the trace."""
        return self._explain()[0]

    @property
    def trace(self) -> list[dict[str, Any]]:
        """The values that decided the outcome, by name."""
        return self._explain()[1]

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "theme": self.theme,
            "outcome": self.outcome,
        }
        if self.kind == "criterion":
            out["weight"] = decimal_json(self.weight)
            out["score"] = decimal_json(self.score)
            out["points"] = decimal_json(self.points)
        out["reason"] = self.reason
        out["refs"] = list(self.refs)
        out["lets"] = {k: json_value(v, self.let_types.get(k, "")) for k, v in self.lets.items()}
        out["trace"] = self.trace
        return out


@dataclass(frozen=True)
class MeasureValue:
    """One measure's quantity, proxy and monetised value for a bid."""

    id: str
    title: str
    unit: str | None
    quantity: Decimal
    proxy: Decimal
    value: Decimal

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "unit": self.unit,
            "quantity": result_string(self.quantity),
            "proxy": result_string(self.proxy, True),
            "value": result_string(self.value, True),
        }


@dataclass(frozen=True)
class SocialValue:
    """A bid's monetised social value: per measure, in total and per pound of contract."""

    total: Decimal
    ratio_to_contract_value: Decimal | None
    measures: tuple[MeasureValue, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "total": result_string(self.total, True),
            "ratio_to_contract_value": decimal_json(self.ratio_to_contract_value),
            "measures": [m.to_json() for m in self.measures],
        }


class BidResult:
    """Everything decided about one bid.

    Outcomes are kept compactly while bids are evaluated; `requirements`, `criteria` and
    `social_value` become full result objects the first time they are read.
    """

    __slots__ = (
        "_criteria",
        "_materializer",
        "_quantities",
        "_raw_criteria",
        "_raw_requirements",
        "_requirements",
        "_social_total",
        "_social_value",
        "_values",
        "available_weight",
        "bidder",
        "compliant",
        "failed_requirements",
        "rank",
        "total_score",
    )

    def __init__(
        self,
        bidder: str,
        compliant: bool,
        materializer: Any,
        values: dict[str, Any],
        social_total: Decimal,
        raw_requirements: list[Any],
        raw_criteria: list[Any],
        quantities: list[Decimal],
    ):
        self.bidder = bidder
        self.compliant = compliant
        self.total_score: Decimal | None = None
        self.available_weight: Decimal | None = None
        self.rank: int | None = None
        self.failed_requirements: list[str] = []  # ids of the requirements not met or in error
        self._materializer = materializer
        self._values = values
        self._social_total = social_total
        self._raw_requirements = raw_requirements
        self._raw_criteria = raw_criteria
        self._quantities = quantities
        self._requirements: list[RuleResult] | None = None
        self._criteria: list[RuleResult] | None = None
        self._social_value: SocialValue | None = None

    def __repr__(self) -> str:
        return f"BidResult(bidder={self.bidder!r}, compliant={self.compliant}, total_score={self.total_score}, rank={self.rank})"

    @property
    def requirements(self) -> list[RuleResult]:
        """Each requirement's outcome, reason and trace, in policy order."""
        if self._requirements is None:
            self._requirements = self._materializer.requirements(self)
        return self._requirements

    @property
    def criteria(self) -> list[RuleResult]:
        """Each criterion's outcome, score, points, reason and trace, in policy order."""
        if self._criteria is None:
            self._criteria = self._materializer.criteria(self)
        return self._criteria

    @property
    def social_value(self) -> SocialValue:
        """The bid's monetised social value."""
        if self._social_value is None:
            self._social_value = self._materializer.social_value(self)
        return self._social_value

    @property
    def needs_attention(self) -> list[str]:
        """Criteria in `error`, which leave the bid without a total or a rank."""
        rules = self._materializer.compiled.criteria
        return [rule.id for rule, raw in zip(rules, self._raw_criteria, strict=True) if raw[0] == "error"]

    def requirement(self, rule_id: str) -> RuleResult:
        return next(r for r in self.requirements if r.id == rule_id)

    def criterion(self, rule_id: str) -> RuleResult:
        return next(c for c in self.criteria if c.id == rule_id)

    def to_summary_json(self) -> dict[str, Any]:
        """Outcomes and numbers without reasons: what bulk evaluation needs."""
        rules = self._materializer.compiled.criteria
        return {
            "bidder": self.bidder,
            "compliant": self.compliant,
            "rank": self.rank,
            "total_score": decimal_json(self.total_score),
            "failed_requirements": self.failed_requirements,
            "needs_attention": self.needs_attention,
            "scores": {
                rule.id: decimal_json(raw[1]) for rule, raw in zip(rules, self._raw_criteria, strict=True)
            },
            "social_value": result_string(self._social_total, True),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "bidder": self.bidder,
            "compliant": self.compliant,
            "rank": self.rank,
            "total_score": decimal_json(self.total_score),
            "available_weight": decimal_json(self.available_weight),
            "needs_attention": self.needs_attention,
            "requirements": [r.to_json() for r in self.requirements],
            "criteria": [c.to_json() for c in self.criteria],
            "social_value": self.social_value.to_json(),
        }


FeedbackRenderer = Callable[["TenderResult", str, str, bool], "str | bytes"]
"""Writes a bidder's assessment summary: (result, bidder, format, compare_winner) → document."""


@dataclass(eq=False)
class TenderResult:
    """The evaluation of one tender against one policy on one as-of date."""

    policy: PolicyInfo
    as_of: date
    applies: bool
    params: dict[str, tuple[Any, str]]
    bids: list[BidResult]
    tender_id: str | None = None
    tender_title: str | None = None
    contract_value: Decimal | None = None
    render_feedback: FeedbackRenderer | None = field(default=None, repr=False)

    def bid(self, bidder: str) -> BidResult:
        """The result of one bid, by its bidder's exact name."""
        for b in self.bids:
            if b.bidder == bidder:
                return b
        raise KeyError(bidder)

    def feedback(self, bidder: str, format: str = "md", compare_winner: bool = False) -> str | bytes:
        """The bidder's assessment summary (regulation 31): Markdown, HTML (text) or DOCX (bytes).

        Documents sit above the engine, so the result does not write them itself: the API
        that made it (`Policy.evaluate`) hands it `render_feedback`.
        """
        if self.render_feedback is None:
            raise RuntimeError(
                "this result was not made by svrules.Policy.evaluate: use Policy.render_feedback"
            )
        return self.render_feedback(self, bidder, format, compare_winner)

    @property
    def ranked(self) -> list[BidResult]:
        """The ranked bids, best first (bids without a rank are left out)."""
        return sorted((b for b in self.bids if b.rank is not None), key=lambda b: b.rank or 0)

    def to_summary_json(self) -> dict[str, Any]:
        """A compact result for bulk work: outcomes and numbers, no reasons or traces."""
        return {
            "svrules": "1",
            "policy": {"id": self.policy.id, "version": self.policy.version, "hash": self.policy.hash},
            "tender": {"id": self.tender_id, "title": self.tender_title},
            "as_of": self.as_of.isoformat(),
            "applies": self.applies,
            "bids": [b.to_summary_json() for b in self.bids],
        }

    def to_json(self) -> dict[str, Any]:
        """The result as the public JSON contract (see docs/results.md)."""
        return {
            "svrules": "1",
            "policy": self.policy.to_json(),
            "tender": {"id": self.tender_id, "title": self.tender_title},
            "as_of": self.as_of.isoformat(),
            "applies": self.applies,
            "params": {k: json_value(v, t) for k, (v, t) in self.params.items()},
            "bids": [b.to_json() for b in self.bids],
        }
