"""A whole diff of two policies, and its forms for people and for tools.

Owns `PolicyDiff` (both sides, the changes, the notes, an optional tender impact) and
its three forms: plain text for review in a terminal, Markdown for a pull request, and
the stable JSON documented in docs/diff.md (`DIFF_FORMAT_VERSION`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from svrules.core.decimals import date_text, money_text, number_text
from svrules.documents.writers import markdown as md
from svrules.tools.diff.changes import Change
from svrules.tools.diff.impact import BidImpact, RuleImpact, TenderImpact

DIFF_FORMAT_VERSION = "1"


@dataclass(frozen=True)
class PolicySide:
    """What the diff says about one version: where it came from and its metadata."""

    label: str
    id: str
    title: str
    version: str | None
    hash: str

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.label,
            "id": self.id,
            "title": self.title,
            "version": self.version,
            "hash": self.hash,
        }


@dataclass
class PolicyDiff:
    """Everything that changed in meaning between two versions of a policy."""

    old: PolicySide
    new: PolicySide
    changes: list[Change]
    notes: list[str] = field(default_factory=list)
    impact: TenderImpact | None = None

    @property
    def changed(self) -> bool:
        """Whether the meaning changed (notes about order or layout do not count)."""
        return bool(self.changes)

    def to_json(self) -> dict[str, Any]:
        return {
            "svrules_diff": DIFF_FORMAT_VERSION,
            "old": self.old.to_json(),
            "new": self.new.to_json(),
            "changed": self.changed,
            "changes": [c.to_json() for c in self.changes],
            "notes": list(self.notes),
            "tender": self.impact.to_json() if self.impact else None,
        }

    def to_text(self) -> str:
        return _render(self, markdown=False)

    def to_markdown(self) -> str:
        return _render(self, markdown=True)


# ---------------------------------------------------------------- text and Markdown


_SECTIONS = (
    ("Policy", ("policy_renamed", "metadata_changed", "applies_changed")),
    ("Fields", ("field_added", "field_removed", "field_changed")),
    ("Parameters", ("param_added", "param_removed", "param_changed")),
    ("Themes", ("theme_added", "theme_removed", "theme_changed")),
    ("Rules", ("rule_added", "rule_removed", "rule_moved", "rule_changed")),
)


def _render(diff: PolicyDiff, markdown: bool) -> str:
    out = _title_lines(diff, markdown)
    if not diff.changes:
        out += ["No change in meaning.", ""]
    for heading, kinds in _SECTIONS:
        changes = [c for c in diff.changes if c.kind in kinds]
        if not changes:
            continue
        out += [f"## {heading}", ""] if markdown else [heading]
        for change in changes:
            out += _change_lines(change, markdown)
        out.append("")
    if diff.notes:
        out += ["## Notes (no change in meaning)", ""] if markdown else ["Notes (no change in meaning)"]
        out += [f"- {note}" if markdown else f"  {note}" for note in diff.notes]
        out.append("")
    if diff.impact is not None:
        out += _impact_lines(diff.impact, markdown)
    return "\n".join(out).rstrip("\n") + "\n"


def _title_lines(diff: PolicyDiff, markdown: bool) -> list[str]:
    old, new = diff.old, diff.new
    title = f"{new.title} ({new.id})"
    versions = (
        f"version {new.version or '(none)'}"
        if old.version == new.version
        else f"version {old.version or '(none)'} → {new.version or '(none)'}"
    )
    if markdown:
        return [
            f"# Changes to {md.escape(title)}",
            "",
            f"{md.code(old.label)} → {md.code(new.label)}, {versions}",
            "",
        ]
    return [f"Changes to {title}", f"{old.label} → {new.label}, {versions}", ""]


def _change_lines(change: Change, markdown: bool) -> list[str]:
    summary = change.summary
    lines = [f"- {_md_summary(change)}" if markdown else f"  {summary}"]
    for detail in change.details:
        lines.append(f"    - {md.escape(detail)}" if markdown else f"      {detail}")
    if change.text_diff:
        if markdown:
            lines += [
                "",
                "    ```diff",
                *("    " + line for line in change.text_diff.splitlines()),
                "    ```",
                "",
            ]
        else:
            lines += ["      " + line for line in change.text_diff.splitlines()]
    return lines


def _md_summary(change: Change) -> str:
    who = change.who
    text = change.summary
    if text.startswith(who):
        return f"**{md.escape(who)}**" + md.escape(text[len(who) :])
    return md.escape(text)


def _pct(value: str | None) -> str:
    return "—" if value is None else number_text(Decimal(value).scaleb(2), 4) + "%"


def _money(value: str | None) -> str:
    return "—" if value is None else money_text(Decimal(value))


def _impact_lines(impact: TenderImpact, markdown: bool) -> list[str]:
    days = sorted({impact.as_of.old, impact.as_of.new})
    when = " / ".join(date_text(date.fromisoformat(d)) for d in days)
    head = f"Tender {impact.tender} (as of {when})"
    out = [f"## {md.escape(head)}", ""] if markdown else [head]
    if impact.applies.changed:
        out.append(
            _line(f"the policy applies: {_yes(impact.applies.old)} → {_yes(impact.applies.new)}", markdown)
        )
    if not impact.changed:
        out += [_line("no outcome, score or rank changes for any bidder", markdown), ""]
        return out
    for bid in impact.bids:
        out += _bid_lines(bid, markdown)
    out.append("")
    return out


def _bid_lines(bid: BidImpact, markdown: bool) -> list[str]:
    if not bid.changed:
        return [_line(f"{md.escape(bid.bidder) if markdown else bid.bidder}: no change", markdown)]
    parts = []
    if bid.compliant.changed:
        parts.append(f"compliant {_yes(bid.compliant.old)} → {_yes(bid.compliant.new)}")
    if bid.rank.changed:
        parts.append(f"rank {_rank(bid.rank.old)} → {_rank(bid.rank.new)}")
    if bid.total_score.changed:
        parts.append(f"total {_pct(bid.total_score.old)} → {_pct(bid.total_score.new)}")
    if bid.social_value.changed:
        parts.append(f"social value {_money(bid.social_value.old)} → {_money(bid.social_value.new)}")
    changes = "; ".join(parts) if parts else "rank and total unchanged"
    if markdown:
        lines = [f"- **{md.escape(bid.bidder)}**: {md.escape(changes)}"]
    else:
        lines = [_line(f"{bid.bidder}: {changes}", markdown)]
    for rule in bid.rules:
        text = f"{rule.kind} {rule.id}: " + ", ".join(_rule_changes(rule))
        lines.append(f"    - {md.escape(text)}" if markdown else f"      {text}")
    return lines


def _rule_changes(rule: RuleImpact) -> list[str]:
    bits = []
    if rule.outcome.changed:
        bits.append(f"{_word(rule.outcome.old)} → {_word(rule.outcome.new)}")
    if rule.score.changed:
        bits.append(f"score {_pct(rule.score.old)} → {_pct(rule.score.new)}")
    if rule.points.changed:
        bits.append(f"points {_pct(rule.points.old)} → {_pct(rule.points.new)}")
    return bits


def _line(text: str, markdown: bool) -> str:
    return f"- {text}" if markdown else f"  {text}"


def _yes(value: Any) -> str:
    return "—" if value is None else ("yes" if value else "no")


def _rank(value: int | None) -> str:
    return "none" if value is None else str(value)


def _word(outcome: str | None) -> str:
    return "(absent)" if outcome is None else outcome.replace("_", " ")
