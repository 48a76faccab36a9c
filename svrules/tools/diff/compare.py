"""Comparing two versions of a policy: the list of changes in meaning between them.

Compared as AST nodes, so layout, comments and spelling (`£100k`, `£100,000`) never count;
what did change is printed as the author wrote it, in a fixed order: metadata, `applies
when`, fields, parameters, themes, then each rule in file order.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from svrules.language import nodes as n
from svrules.language.checked import CheckedPolicy
from svrules.language.printer import expr_text, field_decl_text, param_text, rating_text, score_text
from svrules.tools.diff.changes import Change, DiffError, keys_in_order, text_diff
from svrules.tools.diff.report import PolicyDiff, PolicySide


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


def param_values(param: n.Param) -> list[dict[str, str | None]]:
    """A parameter's values as `{"value": SVR text, "from": ISO date or null}`, in order."""
    return [
        {"value": expr_text(v.value), "from": _day(v.start).isoformat() if v.start else None}
        for v in param.values
    ]


class _Differ:
    """Walks both versions side by side, collecting changes and notes in listing order."""

    def __init__(self, old: CheckedPolicy, new: CheckedPolicy):
        self.old, self.new = old, new
        self.changes: list[Change] = []
        self.notes: list[str] = []

    def add(self, change: Change) -> None:
        self.changes.append(change)

    def run(self) -> None:
        self.metadata()
        for root in ("contract", "bid", "delivery"):
            self.fields(root)
        self.params()
        self.themes()
        self.rules()

    # ------------------------------------------------------------------ the policy

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
            old, new = _opt_expr(po.applies), _opt_expr(pn.applies)
            self.add(Change("applies_changed", "policy", aspect="applies_when", old=old, new=new))

    def fields(self, root: str) -> None:
        olds = {d.name: d for d in _declared(self.old.policy, root)}
        news = {d.name: d for d in _declared(self.new.policy, root)}
        for name in keys_in_order(olds, news):
            if name not in olds:
                self.add(Change("field_added", root, name, new=field_decl_text(news[name])))
            elif name not in news:
                self.add(Change("field_removed", root, name, old=field_decl_text(olds[name])))
            elif olds[name] != news[name]:
                self.field_changed(root, olds[name], news[name])
        if list(olds) != list(news) and set(olds) == set(news):
            self.notes.append(f"the fields of '{root}:' are declared in a different order")

    def field_changed(self, root: str, a: n.FieldDecl, b: n.FieldDecl) -> None:
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
        for name in keys_in_order(olds, news):
            if name not in olds:
                self.add(Change("param_added", "param", name, new=param_values(news[name])))
            elif name not in news:
                self.add(Change("param_removed", "param", name, old=param_values(olds[name])))
            elif olds[name] != news[name]:
                a, b = olds[name], news[name]
                details = _param_details(a, b)
                old, new = param_values(a), param_values(b)
                self.add(Change("param_changed", "param", name, "values", old=old, new=new, details=details))

    def themes(self) -> None:
        olds = {t.name: t for t in self.old.policy.themes}
        news = {t.name: t for t in self.new.policy.themes}
        for name in keys_in_order(olds, news):
            if name not in olds:
                self.add(Change("theme_added", "theme", name, new=news[name].title))
            elif name not in news:
                self.add(Change("theme_removed", "theme", name, old=olds[name].title))
            elif olds[name].title != news[name].title:
                old, new = olds[name].title, news[name].title
                self.add(Change("theme_changed", "theme", name, "title", old=old, new=new))

    # ------------------------------------------------------------------ rules

    def rules(self) -> None:
        olds = {_key(r): r for r in self.old.policy.rules}
        news = {_key(r): r for r in self.new.policy.rules}
        for key in keys_in_order(olds, news):
            if key not in olds:
                self.added(news[key])
            elif key not in news:
                self.removed(olds[key])
            elif olds[key].kind != news[key].kind:
                self.removed(olds[key])
                self.added(news[key])
            else:
                self.rule(olds[key], news[key])
        common = [k for k in olds if k in news]
        if common != [k for k in news if k in olds]:
            self.notes.append("rules are listed in a different order (results list rules in file order)")

    def added(self, rule: n.Rule) -> None:
        self.add(Change("rule_added", rule.kind, rule.name, new={"title": rule.title, "theme": rule.theme}))

    def removed(self, rule: n.Rule) -> None:
        self.add(Change("rule_removed", rule.kind, rule.name, old={"title": rule.title, "theme": rule.theme}))

    def rule(self, a: n.Rule, b: n.Rule) -> None:
        if a.theme != b.theme:
            self.add(Change("rule_moved", a.kind, a.name, "theme", old=a.theme, new=b.theme))
        self.changed(a, "title", a.title, b.title)
        self.changed_expr(a, "applies_when", a.applies, b.applies)
        self.lets(a, b)
        self.body(a, b)
        self.changed(a, "refs", [t.value for t in a.refs], [t.value for t in b.refs])
        for template in ("explain", "clause"):
            self.template(a, b, template)

    def changed(self, rule: n.Rule, aspect: str, old: Any, new: Any, **extra: Any) -> None:
        if old != new:
            self.rule_changed(rule, aspect, old, new, **extra)

    def rule_changed(self, rule: n.Rule, aspect: str, old: Any, new: Any, **extra: Any) -> None:
        self.add(Change("rule_changed", rule.kind, rule.name, aspect, old=old, new=new, **extra))

    def changed_expr(self, rule: n.Rule, aspect: str, old: n.Expr | None, new: n.Expr | None) -> None:
        if old != new:  # compared as nodes: `£100k` and `£100,000` are the same value
            self.rule_changed(rule, aspect, _opt_expr(old), _opt_expr(new))

    def body(self, a: n.Rule, b: n.Rule) -> None:
        """What only one kind of rule has: a condition, a weight and score, a proxy, a rating."""
        if isinstance(a, n.Requirement) and isinstance(b, n.Requirement):
            self.changed_expr(a, "met_when", a.met_when, b.met_when)
        if isinstance(a, n.Criterion) and isinstance(b, n.Criterion):
            self.changed_expr(a, "weight", a.weight, b.weight)
            if a.score != b.score:
                old, new = score_text(a.score), score_text(b.score)
                multi = "\n" in old or "\n" in new
                self.rule_changed(a, "score", old, new, text_diff=text_diff(old, new) if multi else None)
        if isinstance(a, n.Measure) and isinstance(b, n.Measure):
            self.changed(a, "unit", a.unit.value if a.unit else None, b.unit.value if b.unit else None)
            self.changed_expr(a, "proxy", a.proxy, b.proxy)
        if isinstance(a, n.Kpi) and isinstance(b, n.Kpi):
            self.changed(a, "material", a.material, b.material)
            if a.rating != b.rating:
                old, new = rating_text(a.rating), rating_text(b.rating)
                self.rule_changed(a, "rating", old, new, text_diff=text_diff(old, new))

    def lets(self, a: n.Rule, b: n.Rule) -> None:
        olds = {let.name: let.value for let in a.lets}
        news = {let.name: let.value for let in b.lets}
        for name in keys_in_order(olds, news):
            old, new = olds.get(name), news.get(name)
            if old != new:
                self.rule_changed(a, "let", _opt_expr(old), _opt_expr(new), name=name)

    def template(self, a: n.Rule, b: n.Rule, kind: str) -> None:
        old_text = _template_text(self.old, a, kind)
        new_text = _template_text(self.new, b, kind)
        if old_text != new_text:
            self.changed(a, kind, old_text, new_text, text_diff=text_diff(old_text, new_text))
        elif kind == "clause" and _clause_place(a) != _clause_place(b):
            self.notes.append(
                f"{a.kind} {a.name}: the clause is now {_clause_place(b)} (was {_clause_place(a)}); its text is the same"
            )


def _declared(policy: n.Policy, root: str) -> tuple[n.FieldDecl, ...]:
    return {"contract": policy.contract, "bid": policy.bid, "delivery": policy.delivery}[root]


def _template_text(checked: CheckedPolicy, rule: n.Rule, kind: str) -> str | None:
    """An `explain` or `clause` template's text (a clause file's, as the checker read it)."""
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


def _opt_expr(expr: n.Expr | None) -> str | None:
    return None if expr is None else expr_text(expr)


def _range(decl: n.FieldDecl) -> str | None:
    if decl.low is None or decl.high is None:
        return None
    return f"from {expr_text(decl.low)} to {expr_text(decl.high)}"


def _day(start: n.Literal) -> date:
    assert isinstance(start.value, date)  # the builder reads a parameter's `from` as a date
    return start.value


def _dated_values(param: n.Param) -> dict[date, n.Expr]:
    values: dict[date, n.Expr] = {}
    for v in param.values:
        assert v.start is not None  # the checker gives every value of a dated parameter a date
        values[_day(v.start)] = v.value
    return values


def _param_details(a: n.Param, b: n.Param) -> list[str]:
    if not a.dated and not b.dated:
        return [f"value {expr_text(a.values[0].value)} → {expr_text(b.values[0].value)}"]
    if a.dated != b.dated:
        return [f"now {'dated' if b.dated else 'one value for all dates'}: {param_text(a)} → {param_text(b)}"]
    olds, news = _dated_values(a), _dated_values(b)
    details = []
    for day in sorted(set(olds) | set(news)):
        old, new = olds.get(day), news.get(day)
        if old is None:
            details.append(f"added {expr_text(news[day])} from {day.isoformat()}")
        elif new is None:
            details.append(f"removed {expr_text(old)} from {day.isoformat()}")
        elif old != new:
            details.append(f"value from {day.isoformat()}: {expr_text(old)} → {expr_text(new)}")
    return details
