"""The assessment summary for a bidder (regulation 31 of the Procurement Regulations 2024):
the outcome and rank, each requirement, each criterion's score explained by the values in
the bidder's own tender and what would have scored higher, sub-totals and total; and the
file stems of bidders' summaries.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, DecimalException
from typing import Any

from svrules.core.diagnostics import Diagnostic, InputError
from svrules.documents.common import find_bid, measure_blocks, param_facts
from svrules.documents.model import Block, Bullets, Document, Facts, Paragraph, Section, Table
from svrules.documents.scoring import method_blocks
from svrules.documents.view import PolicyView
from svrules.engine.compiler import CompiledPolicy, CompiledRule, Env
from svrules.engine.failures import RUN_TIME_FAILURES, MissingField
from svrules.engine.results import BidResult, RuleResult, TenderResult
from svrules.language import nodes as n
from svrules.language import scores as s
from svrules.language import units
from svrules.words.preview import preview_env
from svrules.words.runs import Inline, inline, strong
from svrules.words.scores import band_result, conditional_chain, scores_available
from svrules.words.values import pct, points, show


def feedback(
    compiled: CompiledPolicy, result: TenderResult, bidder: str, compare_winner: bool = False
) -> Document:
    """The assessment summary for one bidder (regulation 31 of the Procurement Regulations 2024)."""
    view = PolicyView(compiled, param_facts(result))
    if not result.applies:
        raise InputError(
            [
                Diagnostic(
                    "policy-not-applicable",
                    f"policy '{view.policy.name}' does not apply to this tender's contract, so no tender was assessed",
                    None,
                    "check the contract's values",
                )
            ]
        )
    bid = find_bid(result, bidder)
    return _Feedback(view, result, bid, compare_winner).document()


def feedback_all(
    compiled: CompiledPolicy, result: TenderResult, compare_winner: bool = False
) -> list[tuple[str, Document]]:
    """Every bidder's assessment summary, in the tender's order, with unique file stems."""
    stems = file_stems([b.bidder for b in result.bids])
    return [(stems[b.bidder], feedback(compiled, result, b.bidder, compare_winner)) for b in result.bids]


def file_stems(bidders: list[str]) -> dict[str, str]:
    """Slugs of bidder names (`Dale & Sons Ltd` → `dale-sons-ltd`), unique and deterministic."""
    out: dict[str, str] = {}
    used: set[str] = set()
    for index, name in enumerate(bidders, start=1):
        ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
        stem = re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:60].strip("-") or f"bidder-{index}"
        candidate, k = stem, 2
        while candidate in used:
            candidate, k = f"{stem}-{k}", k + 1
        used.add(candidate)
        out[name] = candidate
    return out


@dataclass
class _Feedback:
    view: PolicyView
    result: TenderResult
    bid: BidResult
    compare: bool
    winner: BidResult | None = field(init=False, default=None)
    tied: list[BidResult] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        firsts = [b for b in self.result.bids if b.rank == 1]
        self.tied = firsts
        self.winner = firsts[0] if firsts else None

    def contract_env(self) -> Env:
        tender_contract = next((r.env.contract for r in self.bid.criteria if r.env is not None), None)
        return preview_env(tender_contract, None, self.view.words.params)

    def criterion_rule(self, c: RuleResult) -> CompiledRule:
        return self.view.rules[("criterion", c.id)]

    def document(self) -> Document:
        view, bid, result = self.view, self.bid, self.result
        p = view.policy
        facts: list[tuple[str, Inline]] = [("Supplier", inline(bid.bidder))]
        if result.tender_title or result.tender_id:
            facts.append(("Tender", inline(result.tender_title or result.tender_id or "")))
        facts += view.policy_facts()
        facts.append(("Assessed as of", inline(show(result.as_of, units.DATE))))
        facts.append(("Outcome", inline(self.outcome_words())))
        weights = sum((c.weight for c in view.compiled.criteria), Decimal(0))
        intro = [
            Paragraph(
                inline(
                    f"This assessment summary explains how {bid.bidder}'s tender was assessed against the social value requirements and award criteria of {p.title} (regulation 31 of the Procurement Regulations 2024)."
                ),
                "lead",
            ),
            Paragraph(
                inline(
                    f"The award criteria and assessment methodology are set out in full in the assessment methodology for this policy ({p.name}, {view.version_text}), published with the tender documents. A criterion's score is a percentage of its weight; its points are the score × the weight, as marks out of 100 for the whole tender. These criteria carry {show(weights, units.PERCENT)} of the marks"
                    + (
                        "."
                        if weights == 1
                        else f"; the other {show(1 - weights, units.PERCENT)} are assessed outside this policy."
                    )
                    + " Figures are shown to two decimal places; totals and ranks use the exact values."
                )
            ),
        ]
        sections = [Section("Outcome", "1", tuple(self.outcome_blocks()))]
        sections.append(Section("Requirements", "2", tuple(self.requirement_blocks())))
        if bid.compliant:
            sections.append(Section("Scores", "3", tuple(self.score_blocks())))
            sections.append(
                Section("How each criterion was scored", "4", tuple(self.criterion_sections("4")))
            )
            if bid.social_value.measures:
                sections.append(
                    Section(
                        "Social value offered", "5", tuple(measure_blocks(view, param_facts(result), bid))
                    )
                )
        return Document(
            "feedback",
            f"Assessment summary: {bid.bidder}",
            p.title,
            view.header("assessment summary"),
            tuple(facts),
            tuple(intro),
            tuple(sections),
            view.footer("Assessment summary"),
            date=result.as_of,
            author=p.authority,
        )

    # ------------------------------------------------------------ outcome

    def compliant_count(self) -> int:
        return sum(1 for b in self.result.bids if b.compliant)

    def outcome_words(self) -> str:
        bid = self.bid
        if not bid.compliant:
            return "disqualified: the tender does not meet every requirement, so it was not scored or ranked"
        if bid.total_score is None:
            titles = [c.title for c in bid.criteria if c.outcome == "error"]
            return (
                "not yet ranked: "
                + ", ".join(titles)
                + (" needs" if len(titles) == 1 else " need")
                + " attention"
            )
        ranked = len(self.result.ranked)
        if bid.rank == 1:
            return f"highest score ({points(bid.total_score)} points)" + (
                " — tied" if len(self.tied) > 1 else ""
            )
        return f"ranked {bid.rank} of {ranked} with {points(bid.total_score)} points"

    def outcome_blocks(self) -> list[Block]:
        """The outcome in a few paragraphs: why the tender was disqualified, what needs
        attention, or its points and rank, and where it fell behind the highest score."""
        bid = self.bid
        if not bid.compliant:
            return [self._disqualified()]
        if bid.total_score is None:
            return [
                _paragraph(
                    f"The criterion {c.title} could not be scored: {self.view.reason(self.criterion_rule(c), c)}. Until it is resolved your tender has no total score and no rank."
                )
                for c in bid.criteria
                if c.outcome == "error"
            ]
        available = bid.available_weight or Decimal(0)
        scored = _paragraph(
            f"Your tender meets every requirement and scored {points(bid.total_score)} points out of the {points(available)} available under these criteria."
        )
        if bid.rank != 1:
            return [scored, *self._behind_the_winner(bid.total_score)]
        if len(self.tied) > 1:
            others = ", ".join(b.bidder for b in self.tied if b is not bid)
            return [scored, _paragraph(f"It shares the highest score with {others}.")]
        return [
            scored,
            _paragraph(
                f"It is the highest-scoring of the {self.compliant_count()} compliant tenders under these criteria."
            ),
        ]

    def _disqualified(self) -> Paragraph:
        failed = [r for r in self.bid.requirements if r.outcome in ("not_met", "error")]
        which = "this requirement" if len(failed) == 1 else "these requirements"
        return _paragraph(
            f"Your tender was disqualified because it does not meet {which}: {'; '.join(r.title for r in failed)}. A tender must meet every requirement that applies to the contract to be scored, so your tender was not scored or ranked. Section 2 gives the reason for each requirement by reference to your tender."
        )

    def _behind_the_winner(self, total: Decimal) -> list[Block]:
        """The rank, the highest score, and the criteria where the winner gained more points."""
        bid, winner = self.bid, self.winner
        assert winner is not None and winner.total_score is not None
        out: list[Block] = [
            _paragraph(
                f"It ranked {bid.rank} of the {len(self.result.ranked)} ranked tenders. The highest-scoring tender scored {points(winner.total_score)} points, {points(winner.total_score - total)} more than yours."
            )
        ]
        pairs = list(zip(bid.criteria, winner.criteria, strict=True))
        behind = sorted(
            ((_points(t) - _points(m), m, t) for m, t in pairs if _points(t) > _points(m)),
            key=lambda item: -item[0],
        )
        if not behind:
            return out
        if self.compare:
            items = [
                f"{m.title}: {points(m.points)} points against {points(t.points)} (a difference of {points(gap)})"
                for gap, m, t in behind
            ]
        else:
            items = [
                f"{m.title}: your tender scored {pct(m.score)} of its {pct(m.weight)} weight"
                for _, m, _ in behind
            ]
        out.append(
            _paragraph(
                "The highest-scoring tender gained more points than yours on these criteria, largest difference first:"
            )
        )
        out.append(Bullets(tuple(inline(item) for item in items)))
        ahead = [m.title for m, t in pairs if _points(m) > _points(t)]
        if ahead:
            out.append(
                _paragraph(
                    f"Your tender gained more points than the highest-scoring tender on: {'; '.join(ahead)}."
                )
            )
        out.append(
            _paragraph(
                "Section 4 explains each of your scores by reference to your tender and what would have scored higher."
            )
        )
        return out

    # ------------------------------------------------------------ requirements

    def requirement_blocks(self) -> list[Block]:
        bid, view = self.bid, self.view
        if not bid.requirements:
            return [Paragraph(inline("The policy sets no pass or fail requirements."))]
        rows = []
        words_ = {
            "met": "met",
            "not_met": "not met",
            "not_applicable": "does not apply",
            "error": "could not be decided",
        }
        for r in bid.requirements:
            rows.append(
                (
                    inline(r.title),
                    inline(words_[r.outcome]),
                    inline(view.reason(view.rules[("requirement", r.id)], r)),
                )
            )
        out: list[Block] = [Table(("Requirement", "Outcome", "Reason"), tuple(rows))]
        for r in bid.requirements:
            if r.outcome not in ("not_met", "error"):
                continue
            crule = view.rules[("requirement", r.id)]
            assert isinstance(crule.rule, n.Requirement)
            inner: list[Block] = [
                Facts(
                    tuple(
                        [
                            (
                                "Outcome",
                                inline(
                                    "not met: the tender is disqualified"
                                    if r.outcome == "not_met"
                                    else "could not be decided: the tender is disqualified"
                                ),
                            ),
                            ("Required", view.words(crule.rule.met_when)),
                            ("Reason", inline(view.reason(crule, r))),
                        ]
                        + [("Source", inline(ref)) for ref in r.refs]
                    )
                ),
            ]
            table = self.trace_table(crule, r)
            if table:
                inner.append(table)
            out.append(Section(f"Not met: {r.title}", None, tuple(inner)))
        return out

    def trace_table(self, crule: CompiledRule, r: RuleResult) -> Table | None:
        """The values from the tender (and the contract) that decided an outcome."""
        view = self.view
        lets = {let.name: let.value for let in crule.rule.lets}
        rows = []
        for entry in r.trace:
            name = entry["name"]
            type_ = self._type_of(crule, name)
            value = None if entry.get("missing") else _from_json(entry["value"], type_)
            meaning = view.meaning(name, lets, "your tender")
            rows.append((view.words.label(name), meaning, inline(show(value, type_))))
        if not rows:
            return None
        return Table(("Value", "What it is", "Amount"), tuple(rows), (False, False, True))

    def _type_of(self, crule: CompiledRule, name: str) -> str:
        if name.startswith(("bid.", "contract.")):
            root, field_name = name.split(".", 1)
            return self.view.field_type(root, field_name)
        if name == "social_value":
            return units.MONEY
        if name in crule.let_types:
            return crule.let_types[name]
        return self.view.checked.param_types.get(name, "")

    # ------------------------------------------------------------ scores

    def rival(self) -> BidResult | None:
        """The highest-scoring tender, when the summary compares with it (not with itself)."""
        winner = self.winner
        return winner if self.compare and winner is not None and winner is not self.bid else None

    def score_blocks(self) -> list[Block]:
        """Each criterion's score and points (beside the winner's, when compared), the
        total, and sub-totals by theme."""
        bid, view, rival = self.bid, self.view, self.rival()
        header: tuple[str, ...] = ("Criterion", "Theme", "Weight", "Score", "Points")
        numeric: tuple[bool, ...] = (False, False, True, True, True)
        rows: list[tuple[Inline, ...]] = [
            (inline(c.title), inline(view.theme_title(c.theme)), inline(pct(c.weight)), *self._scored(c))
            for c in bid.criteria
        ]
        total: tuple[Inline, ...] = (
            inline("Total"),
            (),
            inline(pct(bid.available_weight)),
            (),
            inline(points(bid.total_score)),
        )
        if rival is not None:
            header += ("Winning tender's score", "Winning tender's points")
            numeric += (True, True)
            rows = [(*row, *self._scored(theirs)) for row, theirs in zip(rows, rival.criteria, strict=True)]
            total += ((), inline(points(rival.total_score)))
        return [Table(header, tuple(rows), numeric, total), *self._theme_totals(rival)]

    def _scored(self, c: RuleResult) -> tuple[Inline, Inline]:
        return inline(self.score_text(c)), inline(self.points_text(c))

    def _theme_totals(self, rival: BidResult | None) -> list[Block]:
        view = self.view
        rows: list[tuple[Inline, ...]] = []
        for theme in view.sections_in_order(c.rule for c in view.compiled.criteria):
            mine = [c for c in self.bid.criteria if c.theme == theme]
            weight = sum((c.weight or Decimal(0) for c in mine if c.outcome != "not_applicable"), Decimal(0))
            row: tuple[Inline, ...] = (
                inline(view.theme_title(theme)),
                inline(pct(weight)),
                inline(points(sum(map(_points, mine), Decimal(0)))),
            )
            if rival is not None:
                theirs = [c for c in rival.criteria if c.theme == theme]
                row += (inline(points(sum(map(_points, theirs), Decimal(0)))),)
            rows.append(row)
        header: tuple[str, ...] = ("Theme", "Weight available", "Points")
        if rival is not None:
            header += ("Winning tender's points",)
        table = Table(header, tuple(rows), (False, True, True, True)[: len(header)])
        return [Paragraph(inline(strong("Sub-totals by theme"))), table]

    @staticmethod
    def score_text(c: RuleResult) -> str:
        if c.outcome == "scored":
            return pct(c.score)
        return {"not_applicable": "does not apply", "error": "needs attention", "not_scored": "not scored"}[
            c.outcome
        ]

    @staticmethod
    def points_text(c: RuleResult) -> str:
        return points(c.points) if c.points is not None else "—"

    def criterion_sections(self, number: str) -> list[Block]:
        out: list[Block] = []
        for i, c in enumerate(self.bid.criteria, start=1):
            crule = self.criterion_rule(c)
            rule = crule.rule
            assert isinstance(rule, n.Criterion)
            facts: list[tuple[str, Inline]] = [
                ("Weight", inline(pct(c.weight))),
                ("Scores available", inline(scores_available(rule.score))),
                ("Your score", inline(self.your_score(c))),
            ]
            rival = self.rival()
            if rival is not None:
                facts.append(("Winning tender's score", inline(self.your_score(rival.criteria[i - 1]))))
            for ref in rule.refs:
                facts.append(("Source", inline(ref.value)))
            inner: list[Block] = [Facts(tuple(facts))]
            inner += method_blocks(self.view, crule, self.contract_env(), with_legend=False)
            if c.outcome == "not_applicable":
                inner.append(
                    Paragraph(
                        inline(
                            f"This criterion does not apply: {self.view.reason(crule, c)}. Its weight is not available to any tender."
                        )
                    )
                )
            else:
                inner.append(Paragraph(inline(strong("Why:"), " ", self.view.reason(crule, c))))
                table = self.trace_table(crule, c)
                if table:
                    inner.append(
                        Paragraph(
                            inline("The values from your tender and the contract that decided the score:")
                        )
                    )
                    inner.append(table)
                higher = self.to_score_higher(crule, c)
                if higher:
                    inner.append(Paragraph(inline(strong("To score higher:"), " ", higher)))
            out.append(Section(c.title, f"{number}.{i}", tuple(inner)))
        return out

    @staticmethod
    def your_score(c: RuleResult) -> str:
        if c.outcome == "scored":
            return f"{pct(c.score)}, which is {points(c.points)} of {points(c.weight)} points"
        return _Feedback.score_text(c)

    def to_score_higher(self, crule: CompiledRule, c: RuleResult) -> Inline | None:
        """What the next better score needed, for bands, straight lines and scales."""
        if c.outcome != "scored" or c.score is None or c.score >= 1:
            return None
        rule = crule.rule
        assert isinstance(rule, n.Criterion)
        score = rule.score
        value_type = self.view.checked.types.get(id(score.value), "")
        match c.detail, score:
            case s.Banded(value, band), n.BandScore():
                return self._next_band(crule, c, score, value, band, value_type)
            case s.Missing(field), _:
                return inline(
                    "your tender does not state ",
                    self.view.words.name(field),
                    "; a tender that states it is scored on its value.",
                )
            case s.OnLine(value, low, high), _:
                word = "or more" if high > low else "or less"
                return inline(
                    self.view.words(score.value),
                    f" of {show(high, value_type)} {word} would have scored 100% (yours was {show(value, value_type)}).",
                )
            case s.Computed(), n.ExprScore():
                return self._better_condition(score, c.score)
            case s.OnScale(), n.ScaleScore():
                return _next_level(score, c.score)
        return None

    def _next_band(
        self,
        crule: CompiledRule,
        c: RuleResult,
        score: n.BandScore,
        value: Decimal,
        band_index: int | None,
        value_type: str,
    ) -> Inline | None:
        """The nearest better band: its threshold as it stood for this tender, and its score."""
        index = band_index if band_index is not None else len(score.bands)
        for j in range(index - 1, -1, -1):
            band = score.bands[j]
            band_score = band_result(band)
            if band_score > (c.score or 0) and band.threshold is not None:
                shown = self._threshold_text(crule, c, j, band.threshold, value_type)
                word = "at least" if band.test == "at_least" else "at most"
                return inline(
                    self.view.words(score.value),
                    f" of {word} ",
                    shown,
                    f" (yours was {show(value, value_type)}) would have scored {show(band_score, units.PERCENT)}.",
                )
        return None

    def _threshold_text(
        self, crule: CompiledRule, c: RuleResult, index: int, threshold: n.Expr, value_type: str
    ) -> Inline:
        """A band's threshold as a value for this tender, or in words when it cannot be worked out."""
        compiled = crule.scorer.bands[index][1] if crule.scorer is not None else None
        env = c.env
        if env is not None and compiled is not None:
            run_env = Env(env.contract, env.bid, env.params, env.social_value, env.delivery)
            run_env.lets = dict(c.lets)
            try:
                return inline(show(compiled(run_env), value_type))
            except (MissingField, *RUN_TIME_FAILURES):
                pass
        return self.view.words(threshold)

    def _better_condition(self, score: n.ExprScore, current: Decimal) -> Inline | None:
        """For `score A if C else B`: the condition of the best branch that scores more."""
        chain = conditional_chain(score.value) or []
        better = [
            (cond, lit)
            for cond, lit in chain
            if cond is not None and isinstance(lit.value, Decimal) and lit.value > current
        ]
        if not better:
            return None
        cond, lit = better[-1]
        return inline(
            "a tender for which ",
            self.view.words(cond),
            f" would have scored {show(lit.value, units.PERCENT)}.",
        )


def _paragraph(text: str) -> Paragraph:
    return Paragraph(inline(text))


def _points(c: RuleResult) -> Decimal:
    return c.points or Decimal(0)


def _next_level(score: n.ScaleScore, current: Decimal) -> Inline | None:
    """The next published level above a mark, with its descriptor."""
    levels = [(lv.level.value, lv) for lv in score.levels if isinstance(lv.level, n.Literal)]
    above = sorted(
        ((v, lv) for v, lv in levels if isinstance(v, Decimal) and v > current), key=lambda p: p[0]
    )
    if not above:
        return None
    value, level = above[0]
    return inline(f"the next level, {show(value, units.PERCENT)}, is described as: {level.descriptor}")


def _from_json(value: Any, type_: str) -> Any:
    if value is None:
        return None
    if type_ in (units.MONEY, units.NUMBER, units.PERCENT, "count") and isinstance(value, str):
        try:
            return Decimal(value)
        except DecimalException:
            return value
    if type_ == units.DATE and isinstance(value, str):
        return date.fromisoformat(value)
    return value
