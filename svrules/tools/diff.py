"""The change in meaning between two versions of a policy, for review.

Two policies are compared as typed ASTs (spans, comments and layout are not part of
them), so a change that only reformats a file is "no change in meaning". What changed
is a flat list of `Change`s: metadata, the policy's `applies when`, fields, parameters
(with their dated values), themes, and each rule's conditions, weight, score, `let`s,
refs and templates. With a tender, `tender_impact` evaluates it under both versions and
lists, per bidder, the outcomes, scores and ranks that change.

`diff_policies(old, new)` takes two `CheckedPolicy`s; `load_revision(path, rev)` loads a
policy as it was at a git revision. The JSON form (`PolicyDiff.to_json`) is a stable,
documented structure (docs/diff.md).
"""

from __future__ import annotations

import difflib
import posixpath
import subprocess
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from svrules.api import Policy, check_source
from svrules.core.decimals import (
    date_text,
    money_text,
    number_text,
    result_string,
)
from svrules.core.diagnostics import PolicyError
from svrules.core.source import SourceReadError, decode_source
from svrules.engine.compiler import compile_policy
from svrules.language import nodes as n
from svrules.language.builder import build
from svrules.language.checker import CheckedPolicy
from svrules.language.parser import ParseFailed, parse
from svrules.tools import fmt as formatter

if TYPE_CHECKING:
    from svrules.engine.results import BidResult, RuleResult, TenderResult

DIFF_FORMAT_VERSION = "1"


class DiffError(Exception):
    """A diff that cannot be made: different policies, or a revision that cannot be read."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint

    def render(self) -> str:
        return f"error: {self.message}" + (f"\n    hint: {self.hint}" if self.hint else "")


# ---------------------------------------------------------------- printing SVR


def quote(text: str) -> str:
    """An SVR string literal for `text` on one line (the formatter's escaping)."""
    return formatter.string_text(text, triple=False)


def expr_text(expr: n.Expr) -> str:
    """An expression as the author wrote its values, with the brackets its meaning needs."""
    return formatter.expr_text(expr, as_written=True)


def literal_text(lit: n.Literal) -> str:
    """A literal as the author wrote it."""
    return expr_text(lit)


def _opt_expr(expr: n.Expr | None) -> str | None:
    return None if expr is None else expr_text(expr)


def band_text(band: n.Band) -> str:
    result = band.result if isinstance(band.result, str) else expr_text(band.result)
    if band.test == "otherwise":
        return f"otherwise: {result}"
    word = "at least" if band.test == "at_least" else "at most"
    return f"{word} {expr_text(band.threshold)}: {result}"  # type: ignore[arg-type]


def score_text(score: n.Score) -> str:
    """A criterion's `score` as SVR, without the keyword; band and scale lines indented."""
    if isinstance(score, n.ExprScore):
        return expr_text(score.value)
    if isinstance(score, n.BandScore):
        return "\n".join([f"bands {expr_text(score.value)}:", *("    " + band_text(b) for b in score.bands)])
    if isinstance(score, n.LinearScore):
        return f"linear {expr_text(score.value)} from {expr_text(score.low)} to {expr_text(score.high)}"
    if isinstance(score, n.RelativeScore):
        return f"relative {'lowest ' if score.lowest else ''}{expr_text(score.value)}"
    lines = [f"    {expr_text(lv.level)}: {quote(lv.descriptor)}" for lv in score.levels]
    return "\n".join([f"scale {expr_text(score.value)}:", *lines])


def rating_text(rating: n.Rating) -> str:
    return "\n".join([f"{expr_text(rating.value)}:", *("    " + band_text(b) for b in rating.lines)])


def field_decl_text(decl: n.FieldDecl) -> str:
    """`TYPE [one of [...]] [from A to B] [optional] ["description"]`: a declaration after its name."""
    parts = [decl.type]
    if decl.one_of is not None:
        parts.append("one of " + expr_text(decl.one_of))
    if decl.low is not None and decl.high is not None:
        parts.append(f"from {expr_text(decl.low)} to {expr_text(decl.high)}")
    if decl.optional:
        parts.append("optional")
    if decl.description is not None:
        parts.append(quote(decl.description))
    return " ".join(parts)


def param_values(param: n.Param) -> list[dict[str, str | None]]:
    """A parameter's values as `{"value": SVR text, "from": ISO date or null}`, in order."""
    return [
        {"value": expr_text(v.value), "from": v.start.value.isoformat() if v.start else None}  # type: ignore[union-attr]
        for v in param.values
    ]


def param_text(param: n.Param) -> str:
    return ", ".join(
        v["value"] + (f" from {v['from']}" if v["from"] else "")  # type: ignore[operator]
        for v in param_values(param)
    )


# ---------------------------------------------------------------- changes


@dataclass
class Change:
    """One change in meaning. `old`/`new` are JSON values (SVR text, lists, booleans)."""

    kind: str
    target: str
    id: str | None = None
    aspect: str | None = None
    name: str | None = None
    old: Any = None
    new: Any = None
    details: list[str] = field(default_factory=list)
    text_diff: str | None = None

    @property
    def summary(self) -> str:
        """One line for people, e.g. `criterion local_jobs: weight 4% → 5%`."""
        who = _who(self)
        if self.kind == "field_added":
            return f"{who} added: {self.new}"
        if self.kind == "field_removed":
            return f"{who} removed (was {self.old})"
        if self.kind in ("rule_added", "rule_removed"):
            info = self.new if self.kind == "rule_added" else self.old
            verb = "added" if self.kind == "rule_added" else "removed"
            return f"{who} {quote(info['title'])} {verb} ({_theme_name(info['theme'])})"
        if self.kind in ("theme_added", "theme_removed"):
            title = self.new if self.kind == "theme_added" else self.old
            return f"{who} {quote(title)} {'added' if self.kind == 'theme_added' else 'removed'}"
        if self.kind == "param_added":
            return f"{who} added: {_short(self.new)}"
        if self.kind == "param_removed":
            return f"{who} removed (was {_short(self.old)})"
        if self.kind == "param_changed":
            return f"{who}: {_short(self.old)} → {_short(self.new)}"
        if self.kind == "rule_moved":
            return f"{who} moved from {_theme_name(self.old)} to {_theme_name(self.new)}"
        if self.kind == "policy_renamed":
            return f"policy id {self.old} → {self.new}"
        aspect = (self.aspect or "").replace("_", " ")
        if self.aspect == "let":
            aspect = f"let {self.name}"
            if self.old is None:
                return f"{who}: {aspect} added: {self.name} = {self.new}"
            if self.new is None:
                return f"{who}: {aspect} removed (was {self.old})"
        if self.text_diff is not None and self.aspect in ("explain", "clause", "summary"):
            return f"{who}: {aspect} text changed"
        if self.text_diff is not None:
            return f"{who}: {aspect} changed"
        return f"{who}: {aspect} {_short(self.old)} → {_short(self.new)}"

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "target": self.target,
            "id": self.id,
            "aspect": self.aspect,
            "name": self.name,
            "old": self.old,
            "new": self.new,
            "details": list(self.details),
            "text_diff": self.text_diff,
            "summary": self.summary,
        }


def _who(change: Change) -> str:
    if change.target == "policy":
        return "policy"
    if change.target in ("contract", "bid", "delivery"):
        return f"{change.target}.{change.id}"
    return f"{change.target} {change.id}" if change.id else change.target


def _theme_name(theme: str | None) -> str:
    return f"theme {theme}" if theme else "no theme (directly under the policy)"


def _short(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        if value and isinstance(value[0], dict):
            return ", ".join(
                str(v.get("value")) + (f" from {v['from']}" if v.get("from") else "") for v in value
            )
        return "[" + ", ".join(quote(v) if isinstance(v, str) else str(v) for v in value) + "]"
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items() if v is not None)
    return str(value)


def text_diff(old: str | None, new: str | None, old_label: str = "old", new_label: str = "new") -> str:
    """A unified diff of two texts (a template, a summary), without trailing spaces."""
    lines = difflib.unified_diff(
        (old or "").splitlines(), (new or "").splitlines(), old_label, new_label, lineterm="", n=2
    )
    return "\n".join(line.rstrip() for line in lines)


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


# ---------------------------------------------------------------- comparing


_RULE_KINDS = ("requirement", "criterion", "measure", "kpi")


def diff_policies(
    old: CheckedPolicy,
    new: CheckedPolicy,
    *,
    old_label: str | None = None,
    new_label: str | None = None,
    allow_rename: bool = False,
) -> PolicyDiff:
    """The changes in meaning from `old` to `new`; `DiffError` if they are different policies."""
    po, pn = old.policy, new.policy
    if po.name != pn.name and not allow_rename:
        raise DiffError(
            f"these are two different policies: '{po.name}' and '{pn.name}'",
            "compare two versions of the same policy, or pass --allow-rename if the policy was renamed",
        )
    sides = (
        PolicySide(old_label or old.source.path, po.name, po.title, po.version, old.hash),
        PolicySide(new_label or new.source.path, pn.name, pn.title, pn.version, new.hash),
    )
    differ = _Differ(old, new)
    differ.run()
    return PolicyDiff(sides[0], sides[1], differ.changes, differ.notes)


class _Differ:
    def __init__(self, old: CheckedPolicy, new: CheckedPolicy):
        self.old, self.new = old, new
        self.changes: list[Change] = []
        self.notes: list[str] = []

    def add(self, change: Change) -> None:
        self.changes.append(change)

    def run(self) -> None:
        self.metadata()
        self.fields()
        self.params()
        self.themes()
        self.rules()

    def metadata(self) -> None:
        po, pn = self.old.policy, self.new.policy
        if po.name != pn.name:
            self.add(Change("policy_renamed", "policy", aspect="id", old=po.name, new=pn.name))
        for aspect in ("title", "version", "authority", "effective", "summary"):
            a, b = getattr(po, aspect), getattr(pn, aspect)
            if a == b:
                continue
            a_json = a.isoformat() if isinstance(a, date) else a
            b_json = b.isoformat() if isinstance(b, date) else b
            change = Change("metadata_changed", "policy", aspect=aspect, old=a_json, new=b_json)
            if aspect == "summary":
                change.text_diff = text_diff(a, b)
            self.add(change)
        if po.applies != pn.applies:
            self.add(
                Change(
                    "applies_changed",
                    "policy",
                    aspect="applies_when",
                    old=_opt_expr(po.applies),
                    new=_opt_expr(pn.applies),
                )
            )

    def fields(self) -> None:
        for root in ("contract", "bid", "delivery"):
            olds = {d.name: d for d in getattr(self.old.policy, root)}
            news = {d.name: d for d in getattr(self.new.policy, root)}
            for name in _union(olds, news):
                a, b = olds.get(name), news.get(name)
                if a is None:
                    self.add(Change("field_added", root, name, new=field_decl_text(b)))  # type: ignore[arg-type]
                elif b is None:
                    self.add(Change("field_removed", root, name, old=field_decl_text(a)))
                elif a != b:
                    self._field_changed(root, a, b)
            if list(olds) != list(news) and set(olds) == set(news):
                self.notes.append(f"the fields of '{root}:' are declared in a different order")

    def _field_changed(self, root: str, a: n.FieldDecl, b: n.FieldDecl) -> None:
        # Nodes are compared (a literal's spelling is not part of its meaning), then printed.
        aspects: list[tuple[str, Any, Any, Any, Any]] = [
            ("type", a.type, b.type, a.type, b.type),
            ("one_of", a.one_of, b.one_of, _opt_expr(a.one_of), _opt_expr(b.one_of)),
            ("range", (a.low, a.high), (b.low, b.high), _range(a), _range(b)),
            ("optional", a.optional, b.optional, a.optional, b.optional),
            ("description", a.description, b.description, a.description, b.description),
        ]
        for aspect, old_node, new_node, old, new in aspects:
            if old_node != new_node:
                self.add(Change("field_changed", root, a.name, aspect, old=old, new=new))

    def params(self) -> None:
        olds = {p.name: p for p in self.old.policy.params}
        news = {p.name: p for p in self.new.policy.params}
        for name in _union(olds, news):
            a, b = olds.get(name), news.get(name)
            if a is None:
                self.add(Change("param_added", "param", name, new=param_values(b)))  # type: ignore[arg-type]
            elif b is None:
                self.add(Change("param_removed", "param", name, old=param_values(a)))
            elif a != b:
                self.add(
                    Change(
                        "param_changed",
                        "param",
                        name,
                        "values",
                        old=param_values(a),
                        new=param_values(b),
                        details=_param_details(a, b),
                    )
                )

    def themes(self) -> None:
        olds = {t.name: t for t in self.old.policy.themes}
        news = {t.name: t for t in self.new.policy.themes}
        for name in _union(olds, news):
            a, b = olds.get(name), news.get(name)
            if a is None:
                self.add(Change("theme_added", "theme", name, new=b.title))  # type: ignore[union-attr]
            elif b is None:
                self.add(Change("theme_removed", "theme", name, old=a.title))
            elif a.title != b.title:
                self.add(Change("theme_changed", "theme", name, "title", old=a.title, new=b.title))

    def rules(self) -> None:
        olds = {_key(r): r for r in self.old.policy.rules}
        news = {_key(r): r for r in self.new.policy.rules}
        for key in _union(olds, news):
            a, b = olds.get(key), news.get(key)
            if a is not None and b is not None and a.kind != b.kind:
                self._removed(a)
                self._added(b)
            elif a is None:
                self._added(b)  # type: ignore[arg-type]
            elif b is None:
                self._removed(a)
            else:
                self._rule(a, b)
        common = [k for k in olds if k in news]
        if common != [k for k in news if k in olds]:
            self.notes.append("rules are listed in a different order (results list rules in file order)")

    def _added(self, rule: n.Rule) -> None:
        self.add(Change("rule_added", rule.kind, rule.name, new={"title": rule.title, "theme": rule.theme}))

    def _removed(self, rule: n.Rule) -> None:
        self.add(Change("rule_removed", rule.kind, rule.name, old={"title": rule.title, "theme": rule.theme}))

    def _rule(self, a: n.Rule, b: n.Rule) -> None:
        kind, name = a.kind, a.name

        def changed(aspect: str, old: Any, new: Any, **extra: Any) -> None:
            if old != new:
                self.add(Change("rule_changed", kind, name, aspect, old=old, new=new, **extra))

        def changed_expr(aspect: str, old: n.Expr | None, new: n.Expr | None) -> None:
            if old != new:  # compared as nodes: `£100k` and `£100,000` are the same value
                self.add(Change("rule_changed", kind, name, aspect, old=_opt_expr(old), new=_opt_expr(new)))

        if a.theme != b.theme:
            self.add(Change("rule_moved", kind, name, "theme", old=a.theme, new=b.theme))
        changed("title", a.title, b.title)
        changed_expr("applies_when", a.applies, b.applies)
        self._lets(a, b)
        if isinstance(a, n.Requirement) and isinstance(b, n.Requirement):
            changed_expr("met_when", a.met_when, b.met_when)
        if isinstance(a, n.Criterion) and isinstance(b, n.Criterion):
            changed_expr("weight", a.weight, b.weight)
            if a.score != b.score:
                old, new = score_text(a.score), score_text(b.score)
                multi = "\n" in old or "\n" in new
                self.add(
                    Change(
                        "rule_changed",
                        kind,
                        name,
                        "score",
                        old=old,
                        new=new,
                        text_diff=text_diff(old, new) if multi else None,
                    )
                )
        if isinstance(a, n.Measure) and isinstance(b, n.Measure):
            changed("unit", a.unit.value if a.unit else None, b.unit.value if b.unit else None)
            changed_expr("proxy", a.proxy, b.proxy)
        if isinstance(a, n.Kpi) and isinstance(b, n.Kpi):
            changed("material", a.material, b.material)
            if a.rating != b.rating:
                old, new = rating_text(a.rating), rating_text(b.rating)
                self.add(
                    Change(
                        "rule_changed", kind, name, "rating", old=old, new=new, text_diff=text_diff(old, new)
                    )
                )
        changed("refs", [t.value for t in a.refs], [t.value for t in b.refs])
        for template in ("explain", "clause"):
            old_text = self._template(self.old, a, template)
            new_text = self._template(self.new, b, template)
            if old_text != new_text:
                diff = text_diff(old_text, new_text)
                changed(template, old_text, new_text, text_diff=diff)
            elif template == "clause" and _clause_place(a) != _clause_place(b):
                self.notes.append(
                    f"{kind} {name}: the clause is now {_clause_place(b)} (was {_clause_place(a)}); its text is the same"
                )

    def _lets(self, a: n.Rule, b: n.Rule) -> None:
        olds = {let.name: let.value for let in a.lets}
        news = {let.name: let.value for let in b.lets}
        for name in _union(olds, news):
            old, new = olds.get(name), news.get(name)
            if old != new:
                self.add(
                    Change(
                        "rule_changed", a.kind, a.name, "let", name, old=_opt_expr(old), new=_opt_expr(new)
                    )
                )

    @staticmethod
    def _template(checked: CheckedPolicy, rule: n.Rule, kind: str) -> str | None:
        source = checked.templates.get((_key_text(rule), kind))
        if source is not None:
            return source.text
        template = rule.explain if kind == "explain" else (rule.clause.template if rule.clause else None)
        return None if template is None else template.text.value


def _key(rule: n.Rule) -> tuple[str, str]:
    return ("kpi" if rule.kind == "kpi" else "rule", rule.name)


def _key_text(rule: n.Rule) -> str:
    return f"kpi:{rule.name}" if rule.kind == "kpi" else rule.name


def _clause_place(rule: n.Rule) -> str:
    if rule.clause is None:
        return "absent"
    return f"in the file '{rule.clause.path}'" if rule.clause.path else "written in the policy"


def _range(decl: n.FieldDecl) -> str | None:
    if decl.low is None or decl.high is None:
        return None
    return f"from {expr_text(decl.low)} to {expr_text(decl.high)}"


def _union(a: Iterable[Any], b: Iterable[Any]) -> list[Any]:
    """Keys of `a` in order, then the keys only `b` has, in order."""
    out = list(a)
    seen = set(out)
    out += [k for k in b if k not in seen]
    return out


def _param_details(a: n.Param, b: n.Param) -> list[str]:
    if not a.dated and not b.dated:
        return [f"value {expr_text(a.values[0].value)} → {expr_text(b.values[0].value)}"]
    if a.dated != b.dated:
        return [f"now {'dated' if b.dated else 'one value for all dates'}: {param_text(a)} → {param_text(b)}"]
    olds = {v.start.value: v.value for v in a.values}  # type: ignore[union-attr]
    news = {v.start.value: v.value for v in b.values}  # type: ignore[union-attr]
    details = []
    for day in sorted(set(olds) | set(news)):
        old, new = olds.get(day), news.get(day)
        if old is None:
            details.append(f"added {expr_text(new)} from {day.isoformat()}")  # type: ignore[arg-type]
        elif new is None:
            details.append(f"removed {expr_text(old)} from {day.isoformat()}")
        elif old != new:
            details.append(f"value from {day.isoformat()}: {expr_text(old)} → {expr_text(new)}")
    return details


# ---------------------------------------------------------------- tender impact


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
    bids = [_bid_impact(name, olds.get(name), news.get(name)) for name in _union(olds, news)]
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
    for rule_id in _union(old_rules, new_rules):
        ra, rb = old_rules.get(rule_id), new_rules.get(rule_id)
        impact = RuleImpact(
            rule_id,
            (ra or rb).kind,  # type: ignore[union-attr]
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


# ---------------------------------------------------------------- loading a git revision


def _git(args: list[str], cwd: Path) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except FileNotFoundError:
        raise DiffError("git is not installed", "give OLD and NEW as two files instead of --rev") from None


def revision_source(path: Path, rev: str) -> tuple[str, bytes, Path, str]:
    """`(display name, bytes, repository root, path in the repository)` of `path` at `rev`."""
    folder = path.resolve().parent
    if not folder.is_dir():
        raise DiffError(
            f"'{path.parent}' is not a folder", "give the path of the policy file in a git working tree"
        )
    top = _git(["rev-parse", "--show-toplevel"], folder)
    if top.returncode != 0:
        raise DiffError(
            f"'{path}' is not in a git repository, so --rev {rev} cannot be read",
            "give OLD and NEW as two files instead",
        )
    root = Path(top.stdout.decode().strip()).resolve()
    rel = path.resolve().relative_to(root).as_posix()
    if _git(["rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}"], root).returncode != 0:
        raise DiffError(
            f"'{rev}' is not a revision of the repository at {root}", "give a commit, tag or branch"
        )
    shown = _git(["show", f"{rev}:{rel}"], root)
    if shown.returncode != 0:
        raise DiffError(
            f"revision {rev} has no file '{rel}'",
            "the policy may have been added or moved since; give OLD and NEW as two files",
        )
    return f"{rev}:{rel}", shown.stdout, root, rel


def load_revision(path: Path, rev: str) -> Policy:
    """The policy at `path` as it was at git revision `rev`, with its clause files."""
    display, raw, root, rel = revision_source(path, rev)
    try:
        source = decode_source(display, raw)
    except SourceReadError as exc:
        raise DiffError(f"{display}: {exc.message}", exc.hint) from None
    folder_rel = posixpath.dirname(rel)
    with tempfile.TemporaryDirectory(prefix="svrules-rev-") as tmp:
        folder = Path(tmp)
        try:
            built, _ = build(parse(source), source.path)
            clause_paths = [r.clause.path for r in built.rules if r.clause is not None and r.clause.path]
        except ParseFailed:
            clause_paths = []
        for clause in clause_paths:
            inside = posixpath.normpath(posixpath.join(folder_rel, clause))
            if inside.startswith("../") or posixpath.isabs(clause):
                continue  # the checker reports a path that leaves the folder
            shown = _git(["show", f"{rev}:{inside}"], root)
            if shown.returncode == 0:
                target = folder / posixpath.normpath(clause)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(shown.stdout)
        checked, diagnostics = check_source(source, folder)
        sources = {source.path: source}
        errors = [d for d in diagnostics if d.severity == "error"]
        if checked is None or errors:
            raise PolicyError(diagnostics, sources)
        return Policy(compile_policy(checked), diagnostics)


# ---------------------------------------------------------------- text and Markdown


_SECTIONS = (
    ("Policy", ("policy_renamed", "metadata_changed", "applies_changed")),
    ("Fields", ("field_added", "field_removed", "field_changed")),
    ("Parameters", ("param_added", "param_removed", "param_changed")),
    ("Themes", ("theme_added", "theme_removed", "theme_changed")),
    ("Rules", ("rule_added", "rule_removed", "rule_moved", "rule_changed")),
)


def _render(diff: PolicyDiff, markdown: bool) -> str:
    out: list[str] = []
    old, new = diff.old, diff.new
    title = f"{new.title} ({new.id})"
    versions = (
        f"version {new.version or '(none)'}"
        if old.version == new.version
        else f"version {old.version or '(none)'} → {new.version or '(none)'}"
    )
    if markdown:
        out += [f"# Changes to {title}", "", f"`{old.label}` → `{new.label}`, {versions}", ""]
    else:
        out += [f"Changes to {title}", f"{old.label} → {new.label}, {versions}", ""]
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


def _change_lines(change: Change, markdown: bool) -> list[str]:
    summary = change.summary
    lines = [f"- {_md_summary(change)}" if markdown else f"  {summary}"]
    for detail in change.details:
        lines.append(f"    - {detail}" if markdown else f"      {detail}")
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
    who = _who(change)
    text = change.summary
    if text.startswith(who):
        text = f"**{who}**" + text[len(who) :]
    return text


def _pct(value: str | None) -> str:
    return "—" if value is None else number_text(Decimal(value).scaleb(2), 4) + "%"


def _money(value: str | None) -> str:
    return "—" if value is None else money_text(Decimal(value))


def _impact_lines(impact: TenderImpact, markdown: bool) -> list[str]:
    days = sorted({impact.as_of.old, impact.as_of.new})
    when = " / ".join(date_text(date.fromisoformat(d)) for d in days)
    head = f"Tender {impact.tender} (as of {when})"
    out = [f"## {head}", ""] if markdown else [head]
    if impact.applies.changed:
        out.append(
            _line(f"the policy applies: {_yes(impact.applies.old)} → {_yes(impact.applies.new)}", markdown)
        )
    if not impact.changed:
        out += [_line("no outcome, score or rank changes for any bidder", markdown), ""]
        return out
    for bid in impact.bids:
        if not bid.changed:
            out.append(_line(f"{bid.bidder}: no change", markdown))
            continue
        parts = []
        if bid.compliant.changed:
            parts.append(f"compliant {_yes(bid.compliant.old)} → {_yes(bid.compliant.new)}")
        if bid.rank.changed:
            parts.append(f"rank {_rank(bid.rank.old)} → {_rank(bid.rank.new)}")
        if bid.total_score.changed:
            parts.append(f"total {_pct(bid.total_score.old)} → {_pct(bid.total_score.new)}")
        if bid.social_value.changed:
            parts.append(f"social value {_money(bid.social_value.old)} → {_money(bid.social_value.new)}")
        name = f"**{bid.bidder}**" if markdown else bid.bidder
        out.append(_line(f"{name}: " + ("; ".join(parts) if parts else "rank and total unchanged"), markdown))
        for rule in bid.rules:
            bits = []
            if rule.outcome.changed:
                bits.append(f"{_word(rule.outcome.old)} → {_word(rule.outcome.new)}")
            if rule.score.changed:
                bits.append(f"score {_pct(rule.score.old)} → {_pct(rule.score.new)}")
            if rule.points.changed:
                bits.append(f"points {_pct(rule.points.old)} → {_pct(rule.points.new)}")
            text = f"{rule.kind} {rule.id}: " + ", ".join(bits)
            out.append(f"    - {text}" if markdown else f"      {text}")
    out.append("")
    return out


def _line(text: str, markdown: bool) -> str:
    return f"- {text}" if markdown else f"  {text}"


def _yes(value: Any) -> str:
    return "—" if value is None else ("yes" if value else "no")


def _rank(value: int | None) -> str:
    return "none" if value is None else str(value)


def _word(outcome: str | None) -> str:
    return "(absent)" if outcome is None else outcome.replace("_", " ")


__all__ = [
    "Change",
    "DiffError",
    "PolicyDiff",
    "TenderImpact",
    "compare_results",
    "diff_policies",
    "expr_text",
    "field_decl_text",
    "literal_text",
    "load_revision",
    "param_text",
    "score_text",
    "tender_impact",
]
