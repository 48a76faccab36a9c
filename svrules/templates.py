"""Jinja templates for `explain` and `clause` text, sandboxed.

Owns the one template environment (sandboxed, strict undefined, no globals, the filters
`money`, `number`, `percent` and `date` registered here and nowhere else), the typed
values templates see, and the static check that finds unknown names, fields and filters
when a policy is checked rather than when a document is rendered.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, nodes
from jinja2.sandbox import SandboxedEnvironment

from . import units
from .decimals import date_text, money_text, number_text, percent_text


class Money(Decimal):
    """A pound amount inside a template, so it renders as `£2,400,000`."""

    __slots__ = ()


class Percent(Decimal):
    """A fraction inside a template, so it renders as `25%`."""

    __slots__ = ()


def typed(value: Any, type_: str) -> Any:
    """Wrap a runtime value so templates render it by its type."""
    if value is None:
        return None
    if type_ == units.MONEY:
        return Money(value)
    if type_ == units.PERCENT:
        return Percent(value)
    return value


def render_value(value: Any) -> str:
    """A value as a policy lead would write it (the spec's table of default renderings)."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Money):
        return money_text(value)
    if isinstance(value, Percent):
        return percent_text(value)
    if isinstance(value, Decimal):
        return number_text(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, date):
        return date_text(value)
    if isinstance(value, list | tuple):
        return "; ".join(render_value(v) for v in value)
    return str(value)


def _money_filter(value: Any) -> str:
    return money_text(Decimal(value))


def _number_filter(value: Any, places: int | None = None) -> str:
    return number_text(Decimal(value), None if places is None else int(places))


def _percent_filter(value: Any) -> str:
    return percent_text(Decimal(value))


def _date_filter(value: Any) -> str:
    return date_text(value)


# Which value types each svrules filter accepts, for the check at policy-check time.
FILTER_TYPES: dict[str, set[str]] = {
    "money": {units.MONEY},
    "number": {units.NUMBER},
    "percent": {units.PERCENT},
    "date": {units.DATE},
}
_SAFE_JINJA_FILTERS = ("upper", "lower", "capitalize", "title", "trim", "join", "length", "first", "last")


@cache
def environment() -> SandboxedEnvironment:
    """The one environment every template is compiled and rendered in."""
    env = SandboxedEnvironment(
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=render_value,
        auto_reload=False,
    )
    env.globals.clear()
    kept = {name: env.filters[name] for name in _SAFE_JINJA_FILTERS}
    env.filters.clear()
    env.filters.update(kept)
    env.filters.update(money=_money_filter, number=_number_filter, percent=_percent_filter, date=_date_filter)
    return env


# ---------------------------------------------------------------- checking


@dataclass(frozen=True)
class TemplateProblem:
    """A problem at a line of a template (1-based, counted within the template)."""

    code: str
    message: str
    line: int
    hint: str | None = None
    needle: str | None = None  # the text to underline on that line, when known


@dataclass(frozen=True)
class TemplateScope:
    """What a template may name: plain names with types, and field roots with their fields."""

    names: Mapping[str, str]
    roots: Mapping[str, Mapping[str, str]]


def check_template(text: str, scope: TemplateScope) -> list[TemplateProblem]:
    """Parse a template and report every unknown name, field or filter, and syntax errors."""
    env = environment()
    try:
        tree = env.parse(text)
    except TemplateSyntaxError as exc:
        return [TemplateProblem("template-syntax", f"template syntax error: {exc.message}", exc.lineno or 1)]
    checker = _TemplateChecker(scope)
    checker.visit(tree, frozenset())
    return checker.problems


class _TemplateChecker:
    def __init__(self, scope: TemplateScope):
        self.scope = scope
        self.problems: list[TemplateProblem] = []

    def problem(
        self, code: str, message: str, node: nodes.Node, hint: str | None = None, needle: str | None = None
    ) -> None:
        self.problems.append(TemplateProblem(code, message, getattr(node, "lineno", 1) or 1, hint, needle))

    def visit(self, node: nodes.Node, local: frozenset[str]) -> frozenset[str]:
        """Check a node; return the names a `{% set %}` in it adds for what follows."""
        if isinstance(node, nodes.For):
            self.visit(node.iter, local)
            inner = local | set(_target_names(node.target)) | {"loop"}
            self._visit_body(node.body, inner)
            self._visit_body(node.else_, local)
            return local
        if isinstance(node, nodes.Assign):
            self.visit(node.node, local)
            return local | set(_target_names(node.target))
        if isinstance(node, nodes.Include | nodes.Import | nodes.FromImport | nodes.Extends):
            self.problem(
                "template-include",
                "templates cannot include, import or extend other templates",
                node,
                "write the text in this template or in the rule's clause file",
            )
            return local
        if (
            isinstance(node, nodes.Test)
            and node.name in ("defined", "undefined")
            and isinstance(node.node, nodes.Name)
        ):
            return local  # `bid is defined` guards a clause rendered without a bid
        if isinstance(node, nodes.Name) and node.ctx == "load":
            self._name(node, local)
            return local
        if (
            isinstance(node, nodes.Getattr | nodes.Getitem)
            and isinstance(node.node, nodes.Name)
            and self._field(node, local)
        ):
            return local
        if isinstance(node, nodes.Filter):
            self._filter(node, local)
        self._visit_body(list(node.iter_child_nodes()), local)
        return local

    def _visit_body(self, body: list[nodes.Node], local: frozenset[str]) -> None:
        for child in body:
            local = self.visit(child, local)

    def _name(self, node: nodes.Name, local: frozenset[str]) -> None:
        if node.name in local or node.name in self.scope.names or node.name in self.scope.roots:
            return
        from .diagnostics import did_you_mean

        known = [*self.scope.names, *self.scope.roots]
        self.problem(
            "template-unknown-name",
            f"unknown name '{node.name}' in template",
            node,
            did_you_mean(node.name, known)
            or "templates see contract, bid, rule, the parameters and the rule's lets",
            node.name,
        )

    def _field(self, node: nodes.Getattr | nodes.Getitem, local: frozenset[str]) -> bool:
        root = node.node.name  # type: ignore[attr-defined]
        if root in local or root not in self.scope.roots:
            return False
        attr = node.attr if isinstance(node, nodes.Getattr) else getattr(node.arg, "value", None)
        if not isinstance(attr, str):
            return False
        fields = self.scope.roots[root]
        if attr not in fields:
            from .diagnostics import did_you_mean

            self.problem(
                "template-unknown-field",
                f"unknown field '{root}.{attr}' in template",
                node,
                did_you_mean(attr, fields, prefix=f"{root}.") or f"{root} has: " + ", ".join(sorted(fields)),
                f"{root}.{attr}",
            )
        return True

    def _filter(self, node: nodes.Filter, local: frozenset[str]) -> None:
        if node.name not in environment().filters:
            from .diagnostics import did_you_mean

            self.problem(
                "template-unknown-filter",
                f"unknown filter '{node.name}'",
                node,
                did_you_mean(node.name, environment().filters)
                or "filters are money, number, percent and date",
                node.name,
            )
            return
        wanted = FILTER_TYPES.get(node.name)
        actual = self._type_of(node.node, local) if node.node is not None else None
        if wanted and actual and actual not in wanted:
            self.problem(
                "template-filter-type",
                f"the '{node.name}' filter needs {units.a(next(iter(wanted)))}, not {units.a(actual)}",
                node,
                _filter_hint(actual),
            )

    def _type_of(self, node: nodes.Node, local: frozenset[str]) -> str | None:
        if isinstance(node, nodes.Name) and node.name not in local:
            return self.scope.names.get(node.name)
        if (
            isinstance(node, nodes.Getattr)
            and isinstance(node.node, nodes.Name)
            and node.node.name not in local
        ):
            return self.scope.roots.get(node.node.name, {}).get(node.attr)
        return None


def _filter_hint(actual: str) -> str:
    for name, types in FILTER_TYPES.items():
        if actual in types:
            return f"use the '{name}' filter for {units.a(actual)}"
    return "remove the filter; the value renders on its own"


def _target_names(target: nodes.Node) -> Iterator[str]:
    if isinstance(target, nodes.Name):
        yield target.name
    elif isinstance(target, nodes.Tuple):
        for item in target.items:
            yield from _target_names(item)


def compile_template(text: str) -> Any:
    """Compile checked template text once, for rendering many times."""
    return environment().from_string(text)


def render(template: Any, context: Mapping[str, Any]) -> str:
    """Render a compiled template; the text has outer whitespace removed."""
    return template.render(dict(context)).strip()
