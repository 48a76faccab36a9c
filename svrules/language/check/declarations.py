"""The declarations and parameters passes: fields of the contract, bid and delivery report
(names, types, ranges), and each parameter's values and dates.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from svrules.core.diagnostics import Related, did_you_mean
from svrules.core.source import Span
from svrules.language import nodes as n
from svrules.language import units
from svrules.language.check.base import (
    RESERVED,
    Scope,
    literal_hint,
    literal_type,
)
from svrules.language.check.inference import Inference


class Declarations(Inference):
    """Checks field declarations and parameters."""

    def declarations(self) -> None:
        """Field blocks, ids of themes and rules, and names nobody may declare."""
        for root in ("contract", "bid", "delivery"):
            decls = {"contract": self.p.contract, "bid": self.p.bid, "delivery": self.p.delivery}[root]
            seen: dict[str, n.FieldDecl] = {}
            for decl in decls:
                self._field_decl(root, decl, seen)
        bid_names = {d.name for d in self.p.bid}
        for m in self.p.measures:
            if m.name in bid_names:
                self.error(
                    "measure-field-clash",
                    f"measure '{m.name}' is also declared in 'bid:'",
                    m.name_span,
                    "a measure declares its own bid field; remove the one in 'bid:'",
                )
        self._unique(((t.name, t.name_span) for t in self.p.themes), "duplicate-theme", "theme")
        self._unique(
            ((r.name, r.name_span) for r in self.p.rules if r.kind != "kpi"), "duplicate-rule", "rule"
        )
        self._unique(((r.name, r.name_span) for r in self.p.kpis), "duplicate-kpi", "KPI")
        for rule in self.p.rules:
            self._not_reserved(rule.name, rule.name_span, f"a {rule.kind}")

    def _field_decl(self, root: str, decl: n.FieldDecl, seen: dict[str, n.FieldDecl]) -> None:
        if decl.name in seen:
            self.error(
                "duplicate-field",
                f"field '{root}.{decl.name}' is declared twice",
                decl.span,
                "keep one declaration",
                (Related(seen[decl.name].span, "first declared here"),),
            )
            return
        seen[decl.name] = decl
        self._not_reserved(decl.name, decl.span, "a field")
        if decl.type not in units.FIELD_TYPES:
            hint = did_you_mean(decl.type, units.FIELD_TYPES)
            if decl.type.lower() in ("bool", "boolean", "yes", "yesno", "yes_no"):
                hint = "write 'yes/no'"
            self.error(
                "unknown-type",
                f"unknown type '{decl.type}'",
                decl.type_span,
                hint or "types are " + ", ".join(units.FIELD_TYPES),
            )
            return
        if decl.one_of is not None:
            if decl.type != "text":
                self.error(
                    "one-of-not-text",
                    "'one of' is for text fields only",
                    decl.one_of.span,
                    "use 'from A to B' to bound a number",
                )
            elif not decl.one_of.items or not all(
                isinstance(i, n.Literal) and i.kind == "text" for i in decl.one_of.items
            ):
                self.error(
                    "bad-one-of",
                    "'one of' needs a list of quoted texts",
                    decl.one_of.span,
                    'write: one of ["goods", "services", "works"]',
                )
        if decl.low is not None and decl.high is not None:
            self._field_range(root, decl)

    def _field_range(self, root: str, decl: n.FieldDecl) -> None:
        want = units.expression_type(decl.type)
        if want not in units.NUMERIC and want != units.DATE:
            self.error("bad-range", f"'from A to B' does not apply to a {decl.type} field", decl.span)
            return
        bounds: list[Any] = []  # two Decimals or two dates: the checks above make them one type
        for bound in (decl.low, decl.high):
            assert bound is not None
            if not isinstance(bound, n.Literal) or literal_type(bound) != want:
                self.error(
                    "bad-range",
                    f"the bounds of '{root}.{decl.name}' must be written values of type {decl.type}",
                    bound.span,
                    literal_hint(want, bound),
                )
                return
            bounds.append(bound.value)
        if bounds[0] > bounds[1]:
            self.error(
                "bad-range",
                "the range is empty: its low bound is above its high bound",
                decl.span if decl.low is None else decl.low.span,
                "write the lower bound first",
            )

    def _unique(self, items: Iterator[tuple[str, Span]], code: str, what: str) -> None:
        seen: dict[str, Span] = {}
        for name, span in items:
            if name in seen:
                self.error(
                    code,
                    f"{what} '{name}' is declared twice",
                    span,
                    f"give each {what} its own id",
                    (Related(seen[name], "first declared here"),),
                )
            else:
                seen[name] = span

    def _not_reserved(self, name: str, span: Span, what: str) -> None:
        if name in RESERVED:
            self.error(
                "reserved-name",
                f"'{name}' is a reserved word and cannot name {what}",
                span,
                "choose another name",
            )

    def parameters(self) -> None:
        """Parameters: unique, literal-only when dated, dates ascending, earlier params only."""
        names: dict[str, str] = {}
        for param in self.p.params:
            if param.name in names:
                self.error(
                    "duplicate-param",
                    f"parameter '{param.name}' is declared twice",
                    param.name_span,
                    "give each parameter its own name",
                )
                continue
            self._not_reserved(param.name, param.name_span, "a parameter")
            scope = Scope({}, dict(names), "a parameter")
            t = self._param(param, scope)
            names[param.name] = t or "?"
        self.out.param_types = {k: v for k, v in names.items() if v != "?"}

    def _param(self, param: n.Param, scope: Scope) -> str | None:
        types = []
        for value in param.values:
            types.append(self.infer(value.value, scope))
        if param.dated:
            previous: date | None = None
            for value in param.values:
                if value.start is None:
                    self.error(
                        "param-missing-date",
                        f"every value of dated parameter '{param.name}' needs 'from DATE'",
                        value.span,
                        "write: VALUE from YYYY-MM-DD",
                    )
                    return None
                if not isinstance(value.value, n.Literal):
                    self.error(
                        "dated-param-not-literal",
                        "the values of a dated parameter must be written values",
                        value.value.span,
                        "write the value itself, e.g. £13.45",
                    )
                start = value.start.value
                if previous is not None and isinstance(start, date) and start <= previous:
                    self.error(
                        "param-dates-order",
                        "the dates of a parameter must go up strictly",
                        value.start.span,
                        "list its values from the earliest date to the latest",
                    )
                previous = start if isinstance(start, date) else previous
        elif len(param.values) > 1:
            self.error(
                "param-missing-date",
                f"parameter '{param.name}' has several values but no dates",
                param.values[1].span,
                "write each value with 'from DATE'",
            )
            return None
        known = [t for t in types if t]
        if len(set(known)) > 1:
            self.error(
                "unit-mismatch",
                f"the values of parameter '{param.name}' have different types",
                param.span,
                "give every dated value the same unit",
            )
            return None
        if (
            known
            and units.list_item(known[0]) is None
            and known[0] not in (*units.NUMERIC, units.BOOL, units.TEXT, units.DATE)
        ):
            return None
        return known[0] if len(known) == len(types) else None
