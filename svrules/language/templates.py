"""Jinja templates for `explain` and `clause` text, sandboxed.

Owns the one template environment (sandboxed, strict undefined, no globals, the filters
`money`, `number`, `percent` and `date` registered here and nowhere else), the typed
values templates see, and the static check that finds unknown names, fields and filters
when a policy is checked rather than when a document is rendered.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import cache
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, nodes
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment

from svrules.core.decimals import (
    date_text,
    money_text,
    number_text,
    percent_text,
)
from svrules.core.diagnostics import Diagnostic, SvrulesError
from svrules.language import units


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


# ---------------------------------------------------------------- limits

MAX_OUTPUT = 1_000_000
"""The most characters one rendering may produce (about 1 MB); more aborts the rendering."""
MAX_SECONDS = 2.0
"""The longest one rendering may run."""
MAX_TEXT = 1_000_000
"""The longest text or list a template may build (by `*`, `+` or `~`)."""
MAX_LOOP_STEPS = 100_000
"""The most `{% for %}` iterations one rendering may take, over all its loops."""
MAX_EXPONENT = 100
MAX_INT_BITS = 4096


class RenderLimit(Exception):
    """A rendering that went past one of the limits above."""


class NeedsBid(UndefinedError):
    """A template used `bid` (or a value worked out from it) where no bid is known."""


class NeedsDelivery(UndefinedError):
    """A template used `delivery` (or a value worked out from it) outside a performance report."""


def not_known_yet(name: str, why: type[UndefinedError] = NeedsBid) -> Any:
    """A value a template sees as undefined (`is defined` is false) until a bid is known."""
    return StrictUndefined(hint=f"'{name}' is not known until there is a bid", name=name, exc=why)


class _Budget:
    """What one rendering has spent: time and loop steps."""

    __slots__ = ("deadline", "steps")

    def __init__(self, seconds: float):
        self.deadline = time.perf_counter() + seconds
        self.steps = 0

    def check(self) -> None:
        if time.perf_counter() > self.deadline:
            raise RenderLimit(f"the template ran for more than {MAX_SECONDS:g} seconds")


_BUDGET: ContextVar[_Budget | None] = ContextVar("svrules_template_budget", default=None)


def _budget() -> _Budget:
    budget = _BUDGET.get()
    if budget is None:  # rendered outside `render()`: each guard call gets a fresh budget
        budget = _Budget(MAX_SECONDS)
    return budget


def _loop(iterable: Any) -> Iterator[Any]:
    """Every `{% for %}` iterates through this: it counts steps and watches the clock."""
    budget = _budget()
    for item in iterable:
        budget.steps += 1
        if budget.steps > MAX_LOOP_STEPS:
            raise RenderLimit(f"the template's loops ran more than {MAX_LOOP_STEPS:,} times")
        if not budget.steps % 256:
            budget.check()
        yield item


def _capped(value: Any) -> Any:
    """Every `~` result and filter result passes through here: text stays under MAX_TEXT."""
    _budget().check()
    if isinstance(value, str | list | tuple) and len(value) > MAX_TEXT:
        raise RenderLimit(f"the template built a text of {len(value):,} characters (at most {MAX_TEXT:,})")
    return value


_GUARDS = (_loop, _capped)
_SEQUENCES = (str, list, tuple)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool)


class _Sandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, with svrules' limits on operators, calls and loops."""

    intercepted_binops = frozenset({"*", "+", "%", "**"})

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _budget().check()
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, _SEQUENCES) and _is_number(times):
                    size = len(seq) * max(int(times), 0)
                    if size > MAX_TEXT:
                        raise RenderLimit(
                            f"'*' would build a text or list of {size:,} items (at most {MAX_TEXT:,})"
                        )
        elif operator == "+":
            sequences = isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES)
            if sequences and len(left) + len(right) > MAX_TEXT:
                raise RenderLimit(f"'+' would build a text or list longer than {MAX_TEXT:,}")
        elif operator == "%" and not (_is_number(left) and _is_number(right)):
            raise SecurityError("the % operator only takes the remainder of numbers in templates")
        elif operator == "**" and (not (_is_number(left) and _is_number(right)) or abs(right) > MAX_EXPONENT):
            raise RenderLimit(f"'**' takes numbers and a power of at most {MAX_EXPONENT}")
        if operator in ("*", "**") and isinstance(left, int) and isinstance(right, int):
            bits = left.bit_length() * (abs(right) if operator == "**" else 1) + (
                0 if operator == "**" else right.bit_length()
            )
            if bits > MAX_INT_BITS:
                raise RenderLimit(f"'{operator}' would make a number of more than {MAX_INT_BITS:,} bits")
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:
        """Templates call nothing; only svrules' own guards are called from compiled code."""
        if not any(__obj is guard for guard in _GUARDS):
            raise SecurityError("templates cannot call functions or methods")
        kwargs.pop("_loop_vars", None)  # Jinja passes these to calls inside loops and blocks
        kwargs.pop("_block_vars", None)
        return __obj(*args, **kwargs)

    def _generate(self, source: Any, name: Any, filename: Any, defer_init: bool = False) -> Any:
        if isinstance(source, nodes.Template):
            source = _guarded(source, self)
        return super()._generate(source, name, filename, defer_init=defer_init)


def _guarded(tree: nodes.Template, env: Any) -> nodes.Template:
    """Route every loop through `_loop` and every `~` and filter result through `_capped`."""

    def guard(node: nodes.Expr, fn: str) -> nodes.Expr:
        call = nodes.Call(nodes.ImportedName(f"{__name__}.{fn}"), [node], [], None, None)
        call.set_lineno(node.lineno or 1)
        call.set_environment(env)
        return call

    for loop in tree.find_all(nodes.For):
        if not isinstance(loop.iter, nodes.Expr):  # Jinja's parser makes it one; never leave it unguarded
            raise TypeError(f"a loop over a {type(loop.iter).__name__}, not an expression")
        loop.iter = guard(loop.iter, "_loop")
    for parent in [tree, *tree.find_all(nodes.Node)]:
        for field_name in parent.fields:
            if field_name == "filter":  # the filter of a `{% filter %}` block or `{% set x | f %}`
                continue
            value = getattr(parent, field_name, None)
            if isinstance(value, nodes.Concat | nodes.Filter):
                setattr(parent, field_name, guard(value, "_capped"))
            elif isinstance(value, list):
                setattr(
                    parent,
                    field_name,
                    [guard(v, "_capped") if isinstance(v, nodes.Concat | nodes.Filter) else v for v in value],
                )
    return tree


@cache
def environment() -> SandboxedEnvironment:
    """The one environment every template is compiled and rendered in."""
    env = _Sandbox(
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
    severity: str = "error"


@dataclass(frozen=True)
class TemplateScope:
    """What a template may name: plain names with types, and field roots with their fields."""

    names: Mapping[str, str]
    roots: Mapping[str, Mapping[str, str]]


def check_template(text: str, scope: TemplateScope, *, bid_guard: bool = False) -> list[TemplateProblem]:
    """Parse a template and report every unknown name, field or filter, and syntax errors.

    With `bid_guard` (a clause, which the schedule published with the tender renders
    without a bid), a use of `bid` outside `{% if bid is defined %}` is a warning.
    """
    env = environment()
    try:
        tree = env.parse(text)
    except TemplateSyntaxError as exc:
        message = re.sub(r" at \d+$", "", exc.message or "")
        return [TemplateProblem("template-syntax", f"template syntax error: {message}", exc.lineno or 1)]
    checker = _TemplateChecker(scope)
    checker.visit(tree, frozenset())
    if bid_guard:
        for line in sorted(set(_unguarded_bid_lines(tree, guarded=False))):
            checker.problems.append(
                TemplateProblem(
                    "unguarded-bid",
                    "this clause uses 'bid' without {% if bid is defined %}",
                    line,
                    "the schedule published with the tender has no bid: guard the sentence with {% if bid is defined %} … {% endif %}",
                    "bid",
                    "warning",
                )
            )
    return checker.problems


def _guards_bid(test: nodes.Node) -> bool:
    """`bid is defined`, or an `and` whose left side is one."""
    if isinstance(test, nodes.And):
        return _guards_bid(test.left)
    return (
        isinstance(test, nodes.Test)
        and test.name == "defined"
        and isinstance(test.node, nodes.Name)
        and test.node.name == "bid"
    )


def _unguarded_bid_lines(node: nodes.Node, guarded: bool) -> Iterator[int]:
    """Lines where `bid` is read outside an `{% if bid is defined %}` guard."""
    if (
        isinstance(node, nodes.Test)
        and node.name in ("defined", "undefined")
        and isinstance(node.node, nodes.Name)
    ):
        return
    if isinstance(node, nodes.And) and _guards_bid(node.left):
        yield from _unguarded_bid_lines(node.left, guarded)
        yield from _unguarded_bid_lines(node.right, True)
        return
    if isinstance(node, nodes.If | nodes.CondExpr) and _guards_bid(node.test):
        yield from _unguarded_bid_lines(node.test, guarded)
        body = node.body if isinstance(node, nodes.If) else [node.expr1]
        rest = (
            [*node.elif_, *node.else_] if isinstance(node, nodes.If) else [node.expr2] if node.expr2 else []
        )
        for child in body:
            yield from _unguarded_bid_lines(child, True)
        for child in rest:
            yield from _unguarded_bid_lines(child, guarded)
        return
    if isinstance(node, nodes.Name) and node.name == "bid" and node.ctx == "load" and not guarded:
        yield node.lineno
    for child in node.iter_child_nodes():
        yield from _unguarded_bid_lines(child, guarded)


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
        if self._unsafe(node):
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

    def _unsafe(self, node: nodes.Node) -> bool:
        """Refuse what no clause needs and every template injection uses: calls, private
        attributes, attributes of values, and constant text multiplied past the limit."""
        if isinstance(node, nodes.Call):
            self.problem(
                "template-unsafe",
                "templates cannot call functions or methods",
                node,
                "use a filter instead, e.g. {{ value | money }} or {{ rule.refs | join(', ') }}",
            )
            return True
        key = None
        if isinstance(node, nodes.Getattr):
            key = node.attr
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const):
            key = node.arg.value
        if isinstance(key, str) and key.startswith("_"):
            self.problem(
                "template-unsafe",
                f"'{key}' is private: templates cannot read names that start with '_'",
                node,
                "templates see contract, bid, rule, the parameters and the rule's lets",
                key,
            )
            return True
        if isinstance(node, nodes.Getattr) and not isinstance(node.node, nodes.Name):
            self.problem(
                "template-unsafe",
                f"templates cannot read '.{node.attr}' of a value",
                node,
                "read fields only: contract.NAME, bid.NAME, rule.id, rule.title, rule.refs",
                node.attr,
            )
            return True
        if (
            isinstance(node, nodes.Mod)
            and isinstance(node.left, nodes.Const)
            and isinstance(node.left.value, str)
        ):
            self.problem(
                "template-unsafe",
                "the % operator cannot format text in templates",
                node,
                "write the text with {{ }} and filters instead",
            )
            return True
        if isinstance(node, nodes.Mul | nodes.Pow) and _constant_too_big(node):
            self.problem(
                "template-unsafe",
                "this expression would build a value larger than a template may make",
                node,
                f"texts and lists are limited to {MAX_TEXT:,} items, powers to {MAX_EXPONENT}",
            )
            return True
        return False

    def _visit_body(self, body: list[nodes.Node], local: frozenset[str]) -> None:
        for child in body:
            local = self.visit(child, local)

    def _name(self, node: nodes.Name, local: frozenset[str]) -> None:
        if node.name in local or node.name in self.scope.names or node.name in self.scope.roots:
            return
        from svrules.core.diagnostics import did_you_mean

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
        if not isinstance(node.node, nodes.Name):
            return False
        root = node.node.name
        if root in local or root not in self.scope.roots:
            return False
        attr = node.attr if isinstance(node, nodes.Getattr) else getattr(node.arg, "value", None)
        if not isinstance(attr, str):
            return False
        fields = self.scope.roots[root]
        if attr not in fields:
            from svrules.core.diagnostics import did_you_mean

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
            from svrules.core.diagnostics import did_you_mean

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
                node.name,
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


def _constant_too_big(node: nodes.Mul | nodes.Pow) -> bool:
    left = node.left.value if isinstance(node.left, nodes.Const) else None
    right = node.right.value if isinstance(node.right, nodes.Const) else None
    if isinstance(node, nodes.Pow):
        return right is not None and _is_number(right) and abs(right) > MAX_EXPONENT
    if isinstance(node.left, nodes.Pow | nodes.Mul) or isinstance(node.right, nodes.Pow | nodes.Mul):
        return False  # a product of constants is checked when it renders
    for seq, times in ((left, right), (right, left)):
        if isinstance(seq, str | list | tuple) and times is not None and _is_number(times):
            return len(seq) * int(times) > MAX_TEXT
    return False


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


class TemplateRenderError(SvrulesError):
    """A template that failed or went past a limit while rendering.

    `line` is the line within the template (1-based) when Jinja knows it; callers that
    know the rule and the template's place in the policy add them (see `documents`).
    """

    def __init__(self, code: str, message: str, line: int | None, hint: str | None, cause: BaseException):
        where = f" (line {line} of the template)" if line else ""
        super().__init__([Diagnostic(code, message + where, None, hint)], {})
        self.code = code
        self.message = message
        self.line = line
        self.hint = hint
        self.cause = cause

    @property
    def needs_bid(self) -> bool:
        return isinstance(self.cause, NeedsBid)

    @property
    def needs_delivery(self) -> bool:
        return isinstance(self.cause, NeedsDelivery)


def render(template: Any, context: Mapping[str, Any]) -> str:
    """Render a compiled template within the limits; the text has outer whitespace removed.

    Raises `TemplateRenderError` (an `SvrulesError`) for any failure: an undefined value,
    something the sandbox refuses, or output, time, loop or text past the limits.
    """
    budget = _Budget(MAX_SECONDS)
    token = _BUDGET.set(budget)
    parts: list[str] = []
    size = 0
    chunks = template.generate(dict(context))
    try:
        for chunk in chunks:
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise RenderLimit(f"the template's output passed {MAX_OUTPUT:,} characters")
            budget.check()
            parts.append(chunk)
    except RecursionError as exc:  # before Exception: never retry deep recursion
        raise _render_error(exc) from None
    except Exception as exc:
        raise _render_error(exc) from None
    finally:
        chunks.close()
        _BUDGET.reset(token)
    return "".join(parts).strip()


def _render_error(exc: BaseException) -> TemplateRenderError:
    line = _template_line(exc)
    if isinstance(exc, RenderLimit):
        return TemplateRenderError(
            "render-limit",
            f"the template went past a limit: {exc}",
            line,
            "templates are for wording: keep loops short and texts small",
            exc,
        )
    if isinstance(exc, SecurityError):
        return TemplateRenderError(
            "render-failed", f"the template was refused: {exc}", line, "templates read values only", exc
        )
    if isinstance(exc, UndefinedError):
        return TemplateRenderError(
            "render-failed",
            f"the template failed: {exc}",
            line,
            "guard values that may be missing, e.g. {% if bid is defined %}",
            exc,
        )
    if isinstance(exc, ZeroDivisionError):  # decimal.DivisionByZero is one too
        text = "division by zero"
    elif isinstance(exc, ArithmeticError):
        text = "the arithmetic failed"
    else:
        text = str(exc) or "it raised an error"
    return TemplateRenderError(
        "render-failed", f"the template failed: {text} ({type(exc).__name__})", line, None, exc
    )


def _template_line(exc: BaseException) -> int | None:
    """The template line Jinja recorded for the failure (its traceback names `<template>`)."""
    line = None
    tb = exc.__traceback__
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<template>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line
