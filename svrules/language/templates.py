"""Jinja templates for `explain` and `clause` text, sandboxed.

Owns the one template environment (sandboxed, strict undefined, no globals, the filters
`money`, `number`, `percent` and `date` registered here and nowhere else), the typed
values templates see, and the static check that finds unknown names, fields and filters
when a policy is checked rather than when a document is rendered.
"""

from __future__ import annotations

import operator
import time
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from datetime import date
from decimal import Decimal, localcontext
from functools import cache
from typing import Any

from jinja2 import StrictUndefined, nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.exceptions import SecurityError, UndefinedError
from jinja2.lexer import TOKEN_FLOAT, TOKEN_INTEGER, Lexer, Token
from jinja2.sandbox import ImmutableSandboxedEnvironment, SandboxedEnvironment

from svrules.core import limits
from svrules.core.decimals import (
    CONTEXT,
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


def _number_filter(value: Any, places: Any = None) -> str:
    if places is not None and (_times(places) is None or not 0 <= int(places) <= limits.MAX_PLACES):
        raise RenderLimit(f"'number' takes a whole number of places from 0 to {limits.MAX_PLACES}")
    return number_text(Decimal(value), None if places is None else int(places))


def _join_filter(value: Any, separator: Any = "") -> str:
    """Jinja's `join`, measured before it is built: values render as the language writes them."""
    if not isinstance(value, list | tuple | str):
        raise SecurityError("'join' takes a list or a text")
    items = [_output(v) for v in value]
    separator = _output(separator)
    size = sum(map(len, items)) + len(separator) * max(len(items) - 1, 0)
    if size > limits.MAX_TEXT:
        raise RenderLimit(f"'join' would build a text of {size:,} characters (at most {limits.MAX_TEXT:,})")
    return separator.join(items)


def _output(value: Any) -> str:
    """What `{{ }}` prints: a value as the language writes it; never a record or a binary fraction."""
    if isinstance(value, Mapping):
        raise SecurityError("a template cannot print a whole record: name one of its fields")
    if isinstance(value, float):
        raise SecurityError("a template cannot print a binary fraction")
    return render_value(value)


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
_SAFE_JINJA_FILTERS = ("upper", "lower", "capitalize", "title", "trim", "length", "first", "last")


# ---------------------------------------------------------------- limits

# The limits are in svrules.core.limits, read from there when a template runs (so a test
# can lower one): MAX_OUTPUT, MAX_SECONDS, MAX_TEXT, MAX_LOOP_STEPS, MAX_EXPONENT,
# MAX_TEMPLATE_NESTING, MAX_TEMPLATE_EXPRESSION_DEPTH, MAX_PLACES.


class RenderLimit(Exception):
    """A rendering that went past one of the limits above."""


class NeedsBid(UndefinedError):
    """A template used `bid` (or a value worked out from it) where no bid is known."""


class MissingOptional(UndefinedError):
    """A template used an optional field the bid (or report) does not state."""


class NeedsDelivery(UndefinedError):
    """A template used `delivery` (or a value worked out from it) outside a performance report."""


def not_stated(dotted: str) -> Any:
    """An optional field the bid (or report) does not state, as a template sees it."""
    return StrictUndefined(hint=f"{dotted} is not stated", name=dotted, exc=MissingOptional)


def not_known_yet(name: str, why: type[UndefinedError] = NeedsBid) -> Any:
    """A value a template sees as undefined (`is defined` is false) until a bid is known."""
    return StrictUndefined(hint=f"'{name}' is not known until there is a bid", name=name, exc=why)


class _Budget:
    """What one rendering has spent: time, loop steps and output (captured blocks too)."""

    __slots__ = ("deadline", "output", "steps")

    def __init__(self, seconds: float):
        self.deadline = time.perf_counter() + seconds
        self.steps = 0
        self.output = 0

    def check(self) -> None:
        if time.perf_counter() > self.deadline:
            raise RenderLimit(f"the template ran for more than {limits.MAX_SECONDS:g} seconds")


_BUDGET: ContextVar[_Budget | None] = ContextVar("svrules_template_budget", default=None)


def _budget() -> _Budget:
    budget = _BUDGET.get()
    if budget is None:  # rendered outside `render()`: each guard call gets a fresh budget
        budget = _Budget(limits.MAX_SECONDS)
    return budget


def _loop(iterable: Any) -> Iterator[Any]:
    """Every `{% for %}` iterates through this: it counts steps and watches the clock."""
    budget = _budget()
    for item in iterable:
        budget.steps += 1
        if budget.steps > limits.MAX_LOOP_STEPS:
            raise RenderLimit(f"the template's loops ran more than {limits.MAX_LOOP_STEPS:,} times")
        if not budget.steps % 256:
            budget.check()
        yield item


def _capped(value: Any) -> Any:
    """Every `~` result and filter result passes through here: text stays under MAX_TEXT."""
    _budget().check()
    if isinstance(value, str | list | tuple) and len(value) > limits.MAX_TEXT:
        raise RenderLimit(
            f"the template built a text of {len(value):,} characters (at most {limits.MAX_TEXT:,})"
        )
    return value


def _concat(*parts: Any) -> str:
    """`a ~ b ~ c`, measured before it is joined: `"total " ~ contract.value` is `total £2,400,000`."""
    texts = [_output(part) for part in parts]  # values as the language writes them
    size = sum(map(len, texts))
    if size > limits.MAX_TEXT:
        raise RenderLimit(f"'~' would build a text of {size:,} characters (at most {limits.MAX_TEXT:,})")
    return "".join(texts)


def _counted(value: Any) -> Any:
    """Every piece of output, in `{% filter %}` and `{% set %}` blocks too, counts to MAX_OUTPUT."""
    budget = _budget()
    budget.output += len(value) if isinstance(value, str | list | tuple) else 1
    if budget.output > limits.MAX_OUTPUT:
        raise RenderLimit(f"the template's output passed {limits.MAX_OUTPUT:,} characters")
    return value


_GUARDS = (_loop, _capped, _concat, _counted)
_SEQUENCES = (str, list, tuple)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | Decimal) and not isinstance(value, bool)


class _DecimalLexer(Lexer):
    """Jinja's lexer, except that a number written in a template is an exact `Decimal`."""

    def wrap(self, stream: Any, name: str | None = None, filename: str | None = None) -> Iterator[Token]:
        written: list[str] = []

        def remember() -> Iterator[tuple[int, str, str]]:
            for lineno, token, value in stream:
                if token in (TOKEN_INTEGER, TOKEN_FLOAT):
                    written.append(value.replace("_", ""))
                yield lineno, token, value

        for token in super().wrap(remember(), name, filename):
            if token.type in (TOKEN_INTEGER, TOKEN_FLOAT):
                text = written.pop(0)
                number = Decimal(int(text, 0)) if text[:2].lower() in ("0x", "0o", "0b") else Decimal(text)
                token = Token._make((token.lineno, token.type, number))  # Jinja types the value as str
            yield token


class _Generator(CodeGenerator):
    """Writes a template's `Decimal` numbers into its compiled code as `Decimal`s."""

    def visit_Const(self, node: nodes.Const, frame: Frame) -> None:
        if isinstance(node.value, Decimal):
            self.write(f"environment.decimal({str(node.value)!r})")
        else:
            super().visit_Const(node, frame)


_ARITHMETIC = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "//": operator.floordiv,
    "%": operator.mod,
    "**": operator.pow,
}


def _arithmetic(op: str, left: Any, right: Any) -> Decimal:
    """Numbers as the language counts: exact decimals in its context, money stays money."""
    if op == "**" and abs(right) > limits.MAX_EXPONENT:
        raise RenderLimit(f"'**' takes a power of at most {limits.MAX_EXPONENT}")
    with localcontext(CONTEXT):
        value = _ARITHMETIC[op](Decimal(left), Decimal(right))
    money = (isinstance(left, Money) and (isinstance(right, Money) or op in "*/")) or (
        isinstance(right, Money) and op == "*"
    )
    return Money(value) if money and not isinstance(left, Percent) else value


def _times(value: Any) -> int | None:
    """A whole number a text or list may be repeated by, or None."""
    if _is_number(value) and Decimal(value) == Decimal(value).to_integral_value():
        return int(value)
    return None


class _Sandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox, with svrules' numbers and limits on operators, calls and loops."""

    code_generator_class = _Generator
    intercepted_binops = frozenset(_ARITHMETIC)

    @staticmethod
    def decimal(text: str) -> Decimal:
        return Decimal(text)

    @property
    def lexer(self) -> Lexer:
        return _lexer(self)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        _budget().check()
        if _is_number(left) and _is_number(right):
            return _arithmetic(operator, left, right)
        if operator == "*":
            for seq, times in ((left, right), (right, left)):
                count = _times(times)
                if isinstance(seq, _SEQUENCES) and count is not None:
                    size = len(seq) * max(count, 0)
                    if size > limits.MAX_TEXT:
                        raise RenderLimit(
                            f"'*' would build a text or list of {size:,} items (at most {limits.MAX_TEXT:,})"
                        )
                    return seq * count
        elif operator == "+":
            sequences = isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES)
            if sequences and len(left) + len(right) > limits.MAX_TEXT:
                raise RenderLimit(f"'+' would build a text or list longer than {limits.MAX_TEXT:,}")
        elif operator == "%":
            raise SecurityError("the % operator only takes the remainder of numbers in templates")
        elif operator == "**":
            raise RenderLimit("'**' takes numbers only")
        return super().call_binop(context, operator, left, right)

    def getitem(self, obj: Any, argument: Any) -> Any:
        """`x[1]` and `x[1:2]` with the template's decimal numbers."""
        if isinstance(argument, slice):
            argument = slice(
                *(_times(v) if _is_number(v) else v for v in (argument.start, argument.stop, argument.step))
            )
        elif isinstance(obj, list | tuple | str) and _is_number(argument):
            argument = _times(argument)
        return super().getitem(obj, argument)

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


@cache
def _lexer(env: _Sandbox) -> Lexer:
    return _DecimalLexer(env)


def _guarded(tree: nodes.Template, env: Any) -> nodes.Template:
    """Route every loop through `_loop`, every `~` through `_concat`, every filter result
    through `_capped` and every piece of output through `_counted`."""

    def guard(node: nodes.Expr, fn: str) -> nodes.Expr:
        args = node.nodes if isinstance(node, nodes.Concat) else [node]
        call = nodes.Call(nodes.ImportedName(f"{__name__}.{fn}"), args, [], None, None)
        call.set_lineno(node.lineno or 1)
        call.set_environment(env)
        return call

    def capped(node: Any) -> Any:
        if isinstance(node, nodes.Concat):
            return guard(node, "_concat")
        return guard(node, "_capped") if isinstance(node, nodes.Filter) else node

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
                setattr(parent, field_name, capped(value))
            elif isinstance(value, list):
                setattr(parent, field_name, [capped(v) for v in value])
    for output in tree.find_all(nodes.Output):
        output.nodes = [guard(v, "_counted") for v in output.nodes]
    return tree


@cache
def environment() -> SandboxedEnvironment:
    """The one environment every template is compiled and rendered in."""
    env = _Sandbox(
        undefined=StrictUndefined,
        autoescape=False,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_output,
        auto_reload=False,
    )
    env.globals.clear()
    kept = {name: env.filters[name] for name in _SAFE_JINJA_FILTERS}
    env.filters.clear()
    env.filters.update(kept)
    env.filters.update(
        money=_money_filter,
        number=_number_filter,
        percent=_percent_filter,
        date=_date_filter,
        join=_join_filter,
    )
    return env


def compile_template(text: str) -> Any:
    """Compile checked template text once, for rendering many times.

    The check refuses templates nested past the limits; one that skipped it and is too
    deep for Python to compile is a `TemplateRenderError` (`too-deep`), not a crash.
    """
    try:
        return environment().from_string(text)
    except (RecursionError, SyntaxError, MemoryError) as exc:
        raise TemplateRenderError(
            "too-deep",
            "the template nests too deeply to compile",
            None,
            "check the policy: `svrules check` names the line and the limit",
            exc,
        ) from None


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
    budget = _Budget(limits.MAX_SECONDS)
    token = _BUDGET.set(budget)
    parts: list[str] = []
    size = 0
    chunks = template.generate(dict(context))
    try:
        for chunk in chunks:
            size += len(chunk)
            if size > limits.MAX_OUTPUT:
                raise RenderLimit(f"the template's output passed {limits.MAX_OUTPUT:,} characters")
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
