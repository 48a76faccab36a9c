"""The one printer of SVR text: typed AST (`nodes`) → source that parses back to it.

`svrules fmt` prints whole policies through it (`policy_statements`); `svrules diff` and the
policy pages print pieces (`expr_text`, `score_text`, ...), so code reads the same wherever
it is shown. Comments are not in the AST: the formatter (`svrules.tools.fmt`) puts them back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol, assert_never

from svrules.core.literals import money_literal, number_literal, percent_literal
from svrules.core.source import Span
from svrules.language import nodes as n
from svrules.language.builder import long_string_value, unescape

INDENT = 4

LONG_STRING = re.compile(r'"""(\\.|[^\\])*?"""')
"""A triple-quoted string token, exactly as the grammar lexes it (grammar/svrules.lark)."""
SHORT_STRING = re.compile(r'"(\\.|[^"\\\n])*"')
"""A quoted string token, exactly as the grammar lexes it."""
_QUOTE_RUN = re.compile(r'"{3,}')


# ============================================================================ literals


def string_literal(value: str, indent: int = 0, *, triple: bool | None = None, prose: bool = False) -> str:
    """A string token that reads back as `value`.

    `triple=True` writes a triple-quoted block whose lines sit at `indent + 4`, with the
    closing quotes on their own line at `indent`; `triple=False` writes `"..."`. With
    `triple=None` the quoted form is used unless the value spans lines, or, for `prose`
    (a summary), the block unless the value cannot be written as one. Each candidate is
    read back with the builder's own functions, and the first that gives `value` wins.
    """
    short = '"' + _escaped(value) + '"'
    block = _triple_block(value, indent)
    inline = '"""' + _escaped(value) + '"""'
    if triple is True:
        order = [block, inline]
    elif triple is False:
        order = [short]
    elif prose:
        order = [block, short, inline]
    else:
        order = [block, inline] if "\n" in value else [short, block, inline]
    for candidate in order:
        if _reads_back(candidate, value):
            return candidate
    raise ValueError(f"this text cannot be written as an SVR string: {value!r}")


def quote(text: str) -> str:
    """`text` as a string token on one line (`"..."`); `ValueError` if it spans lines."""
    return string_literal(text, triple=False)


def _escaped(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def _triple_block(value: str, indent: int) -> str:
    body = value.replace("\\", "\\\\")
    body = _QUOTE_RUN.sub(lambda m: '\\"' * len(m.group(0)), body)
    pad = " " * (indent + INDENT)
    lines = [pad + line if line else "" for line in body.split("\n")]
    return '"""\n' + "\n".join(lines) + "\n" + " " * indent + '"""'


def _reads_back(token: str, value: str) -> bool:
    if token.startswith('"""'):
        match = LONG_STRING.match(token)
        if match is None or match.end() != len(token) or long_string_value(token) != value:
            return False
        # The parser refuses a tab in the indentation of any line, inside strings too.
        return not any("\t" in line[: len(line) - len(line.lstrip())] for line in token.split("\n")[1:])
    match = SHORT_STRING.match(token)
    return match is not None and match.end() == len(token) and unescape(token[1:-1]) == value


def _canonical(lit: n.Literal, indent: int) -> str:
    """A literal in the one form the formatter writes (`£14.00` → `£14`)."""
    value = lit.value
    if lit.kind == "yes/no":
        return "yes" if value else "no"
    if lit.kind == "date":
        assert isinstance(value, date)
        return value.isoformat()
    if lit.kind in _NUMBER_LITERALS:
        assert isinstance(value, Decimal)
        return _NUMBER_LITERALS[lit.kind](value)
    assert isinstance(value, str)
    return string_literal(value, indent)


_NUMBER_LITERALS: dict[str, Callable[[Decimal], str]] = {
    "money": money_literal,
    "number": number_literal,
    "percent": percent_literal,
}


def _as_written(lit: n.Literal, indent: int) -> str:
    """A literal as its author spelled it; canonical if made by hand (no spelling) or text."""
    return lit.text if lit.text and lit.kind != "text" else _canonical(lit, indent)


# ============================================================================ expressions

# Binding strength, lowest first, as the spec lists it: A if C else B; or; and; not;
# comparisons; + -; * /; unary -; calls, fields, literals, names and parentheses.
_COND, _OR, _AND, _NOT, _CMP, _SUM, _PRODUCT, _UNARY, _ATOM = range(9)

LiteralPrinter = Callable[[n.Literal, int], str]


def _expr(e: n.Expr, indent: int, need: int, lit: LiteralPrinter) -> str:
    """`e` printed so that it parses back at precedence level `need` or higher."""
    text, level = _expr_level(e, indent, lit)
    return f"({text})" if level < need else text


def _expr_level(e: n.Expr, indent: int, lit: LiteralPrinter) -> tuple[str, int]:
    """`e`'s text and the precedence level of its outermost operator."""
    if isinstance(e, n.Literal):
        text = lit(e, indent)
        return text, _UNARY if text.startswith("-") else _ATOM
    if isinstance(e, n.Name):
        return e.name, _ATOM
    if isinstance(e, n.Field):
        return f"{e.root}.{e.name}", _ATOM
    if isinstance(e, n.ListLiteral):
        return "[" + ", ".join(_expr(i, indent, _COND, lit) for i in e.items) + "]", _ATOM
    if isinstance(e, n.Call):
        return e.function + "(" + ", ".join(_expr(a, indent, _COND, lit) for a in e.args) + ")", _ATOM
    if isinstance(e, n.Negate):
        return "-" + _expr(e.operand, indent, _UNARY, lit), _UNARY
    if isinstance(e, n.Not):
        return "not " + _expr(e.operand, indent, _NOT, lit), _NOT
    return _operation(e, indent, lit)


def _operation(e: n.Expr, indent: int, lit: LiteralPrinter) -> tuple[str, int]:
    """An expression with two or three operands, and its level."""
    if isinstance(e, n.Binary | n.Logical):
        if isinstance(e, n.Binary):
            level = _SUM if e.op in ("+", "-") else _PRODUCT
        else:
            level = _OR if e.op == "or" else _AND
        # Left-associative: the right operand binds tighter, so a - (b - c) keeps its parentheses.
        return f"{_expr(e.left, indent, level, lit)} {e.op} {_expr(e.right, indent, level + 1, lit)}", level
    if isinstance(e, n.Compare):
        # Comparisons do not chain: both sides are sums.
        return f"{_expr(e.left, indent, _SUM, lit)} {e.op} {_expr(e.right, indent, _SUM, lit)}", _CMP
    if isinstance(e, n.Conditional):
        # A if C else B nests to the right.
        then = _expr(e.then, indent, _OR, lit)
        condition = _expr(e.condition, indent, _OR, lit)
        return f"{then} if {condition} else {_expr(e.otherwise, indent, _COND, lit)}", _COND
    raise TypeError(f"not an expression: {e!r}")


# ============================================================================ pieces of rules


@dataclass(frozen=True)
class _Style:
    """How values are spelled: each literal, and each string that is not a template."""

    literal: LiteralPrinter
    string: Callable[[str, int], str]

    def expr(self, e: n.Expr, indent: int) -> str:
        return _expr(e, indent, _COND, self.literal)


_CANONICAL = _Style(_canonical, string_literal)
"""The formatter's: one spelling per value, strings in the form that fits them."""
_WRITTEN = _Style(_as_written, lambda text, indent: quote(text))
"""A reviewer's: literals as the author spelled them, strings on one line."""


def _style(as_written: bool) -> _Style:
    return _WRITTEN if as_written else _CANONICAL


_Lines = list[tuple[str, object]]  # the lines under a heading: (text, the node it prints)


def _band(b: n.Band, indent: int, style: _Style) -> str:
    result = b.result if isinstance(b.result, str) else style.expr(b.result, indent)
    if b.test == "otherwise":
        return f"otherwise: {result}"
    assert b.threshold is not None  # the builder gives every band but `otherwise` a threshold
    return f"{b.test.replace('_', ' ')} {style.expr(b.threshold, indent)}: {result}"


def _score_parts(s: n.Score, indent: int, style: _Style) -> tuple[str, _Lines]:
    """A score after its keyword (`bands X:`), and its band or level lines one level in."""
    inner = indent + INDENT
    match s:
        case n.ExprScore():
            return style.expr(s.value, indent), []
        case n.BandScore():
            return f"bands {style.expr(s.value, indent)}:", [(_band(b, inner, style), b) for b in s.bands]
        case n.LinearScore():
            value, low, high = (style.expr(e, indent) for e in (s.value, s.low, s.high))
            return f"linear {value} from {low} to {high}", []
        case n.RelativeScore():
            return f"relative {'lowest ' if s.lowest else ''}{style.expr(s.value, indent)}", []
        case n.ScaleScore():
            levels: _Lines = [
                (f"{style.expr(level.level, inner)}: {style.string(level.descriptor, inner)}", level)
                for level in s.levels
            ]
            return f"scale {style.expr(s.value, indent)}:", levels
        case _:
            assert_never(s)


def _rating_parts(rating: n.Rating, indent: int, style: _Style) -> tuple[str, _Lines]:
    """A KPI's rating after its keyword (`X:`), and its band lines one level in."""
    inner = indent + INDENT
    return f"{style.expr(rating.value, indent)}:", [(_band(b, inner, style), b) for b in rating.lines]


def _field_decl(decl: n.FieldDecl, indent: int, style: _Style) -> str:
    parts = [decl.type]
    if decl.one_of is not None:
        parts.append("one of " + style.expr(decl.one_of, indent))
    if decl.low is not None and decl.high is not None:
        parts.append(f"from {style.expr(decl.low, indent)} to {style.expr(decl.high, indent)}")
    if decl.optional:
        parts.append("optional")
    if decl.description is not None:
        parts.append(style.string(decl.description, indent))
    return " ".join(parts)


def _param_values(param: n.Param, indent: int, style: _Style) -> str:
    return ", ".join(
        style.expr(v.value, indent) + (f" from {_start(v.start)}" if v.start is not None else "")
        for v in param.values
    )


def _start(start: n.Literal) -> str:
    assert isinstance(start.value, date)  # the builder reads `from` as a date
    return start.value.isoformat()


def _joined(head: str, lines: _Lines) -> str:
    return "\n".join([head, *(" " * INDENT + text for text, _ in lines)])


# ============================================================================ pieces, public


def literal_text(lit: n.Literal, indent: int = 0, *, as_written: bool = True) -> str:
    """A literal as its author wrote it, or with `as_written=False` in its canonical form."""
    return _style(as_written).literal(lit, indent)


def expr_text(expr: n.Expr, indent: int = 0, *, as_written: bool = True) -> str:
    """An expression with the fewest parentheses that keep its meaning.

    Literals are spelled as the author wrote them (`£14.00` stays `£14.00`), which is what
    a reader of a piece of a policy expects; with `as_written=False` each takes its one
    canonical form, as `svrules fmt` writes it. A node made by hand has no spelling and is
    always canonical. `indent` places the lines of a triple-quoted string.
    """
    return _expr(expr, indent, _COND, _style(as_written).literal)


def band_text(band: n.Band, *, as_written: bool = True) -> str:
    """`at least X: RESULT`, `at most X: RESULT` or `otherwise: RESULT`."""
    return _band(band, 0, _style(as_written))


def score_text(score: n.Score, *, as_written: bool = True) -> str:
    """A criterion's `score` without the keyword; band and scale lines indented under it."""
    return _joined(*_score_parts(score, 0, _style(as_written)))


def rating_text(rating: n.Rating, *, as_written: bool = True) -> str:
    """A KPI's `rating` without the keyword; its band lines indented under it."""
    return _joined(*_rating_parts(rating, 0, _style(as_written)))


def field_decl_text(decl: n.FieldDecl, *, as_written: bool = True) -> str:
    """`TYPE [one of [...]] [from A to B] [optional] ["description"]`: a field after its name."""
    return _field_decl(decl, 0, _style(as_written))


def param_text(param: n.Param, *, as_written: bool = True) -> str:
    """A parameter's values after `=`: `5%` or `5% from 2025-04-01, 6% from 2026-04-01`."""
    return _param_values(param, 0, _style(as_written))


# ============================================================================ a whole policy


@dataclass
class Statement:
    """One printed statement: its text (further lines, of triple-quoted strings, already
    indented), its indentation, a source line inside it (0 if none is known) and whether
    a blank line comes before it."""

    indent: int
    text: str
    anchor: int = 0
    blank_before: bool = False


class SourceLookup(Protocol):
    """What the printer may ask of the text a policy was read from, when there is one."""

    def token(self, span: Span) -> str | None:
        """The text under a span, as written."""
        ...

    def material_line(self, rule: n.Kpi) -> int:
        """The line of a KPI's `material` (the AST has no span for it), or 0."""
        ...


def policy_statements(policy: n.Policy, source: SourceLookup | None = None) -> list[Statement]:
    """A policy in the canonical layout, one `Statement` per statement, in order.

    With the `source` it was read from, statements carry the lines they came from (so a
    formatter can put comments back) and a string the printer cannot re-create is kept
    as written.
    """
    layout = _Layout(source)
    layout.policy(policy)
    return layout.statements


def policy_text(policy: n.Policy) -> str:
    """The canonical text of a policy AST, without comments (no source needed)."""
    out: list[str] = []
    for statement in policy_statements(policy):
        if statement.blank_before and out:
            out.append("")
        out.append(" " * statement.indent + statement.text)
    return "\n".join(out).rstrip("\n") + "\n"


class _Layout:
    """Walks a policy in canonical order and appends one `Statement` per statement."""

    def __init__(self, source: SourceLookup | None) -> None:
        self.statements: list[Statement] = []
        self.source = source

    def emit(self, indent: int, text: str, anchor: int = 0, blank: bool = False) -> None:
        self.statements.append(Statement(indent, text, anchor, blank))

    @staticmethod
    def line_of(node: object) -> int:
        span = getattr(node, "span", None)
        return span.line if span is not None else 0

    def expr(self, e: n.Expr, indent: int) -> str:
        return _CANONICAL.expr(e, indent)

    # ------------------------------------------------------------------ the policy

    def policy(self, p: n.Policy) -> None:
        first = {kind: span.line for kind, span in reversed(p.sections)}
        self.emit(0, f"policy {p.name} {string_literal(p.title, 0)}:", p.name_span.line)
        self.header(p, first)
        self.fields(p, first)
        for i, param in enumerate(p.params):
            self.param(param, INDENT, blank=i == 0 and self.not_first())
        for entry in _entries(p):
            if isinstance(entry, tuple):
                self.theme(*entry)
            else:
                self.rule(entry, INDENT, blank=self.not_first())

    def header(self, p: n.Policy, first: dict[str, int]) -> None:
        body = INDENT
        if p.version is not None:
            self.emit(body, f"version {string_literal(p.version, body)}", first.get("version", 0))
        if p.authority is not None:
            self.emit(body, f"authority {string_literal(p.authority, body)}", first.get("authority", 0))
        if p.effective is not None:
            self.emit(body, f"effective {p.effective.isoformat()}", first.get("effective", 0))
        if p.applies is not None:
            self.emit(body, f"applies when {self.expr(p.applies, body)}", first.get("applies", 0))
        if p.summary is not None:
            text = string_literal(p.summary, body, prose=True)
            self.emit(body, f"summary {text}", first.get("summary", 0))

    def fields(self, p: n.Policy, first: dict[str, int]) -> None:
        for kind, fields in (("contract", p.contract), ("bid", p.bid), ("delivery", p.delivery)):
            if fields:
                self.emit(INDENT, f"{kind}:", first.get(kind, 0), blank=self.not_first())
                for decl in fields:
                    inner = INDENT * 2
                    text = f"{decl.name}: {_field_decl(decl, inner, _CANONICAL)}"
                    self.emit(inner, text, self.line_of(decl))

    def not_first(self) -> bool:
        """A section gets a blank line before it unless it opens the policy's body."""
        return len(self.statements) > 1

    def param(self, p: n.Param, indent: int, blank: bool) -> None:
        text = f"param {p.name} = {_param_values(p, indent, _CANONICAL)}"
        self.emit(indent, text, self.line_of(p), blank=blank)

    def theme(self, theme: n.Theme, rules: list[n.Rule]) -> None:
        title = string_literal(theme.title, INDENT)
        self.emit(INDENT, f"theme {theme.name} {title}:", theme.name_span.line, blank=self.not_first())
        for rule in rules:
            self.rule(rule, INDENT * 2, blank=True)

    # ------------------------------------------------------------------ rules

    def rule(self, r: n.Rule, indent: int, blank: bool) -> None:
        self.emit(
            indent, f"{r.kind} {r.name} {string_literal(r.title, indent)}:", r.name_span.line, blank=blank
        )
        inner = indent + INDENT
        if isinstance(r, n.Measure):
            self.measure(r, inner)
            return
        if isinstance(r, n.Kpi) and r.material:
            self.emit(inner, "material", self.source.material_line(r) if self.source else 0)
        self.refs(r, inner)
        self.common(r, inner)
        if isinstance(r, n.Requirement):
            self.emit(inner, f"met when {self.expr(r.met_when, inner)}", self.line_of(r.met_when))
        elif isinstance(r, n.Criterion):
            self.emit(inner, f"weight {self.expr(r.weight, inner)}", self.line_of(r.weight))
            self.heading("score", _score_parts(r.score, inner, _CANONICAL), inner, self.line_of(r.score))
        elif isinstance(r, n.Kpi):
            parts = _rating_parts(r.rating, inner, _CANONICAL)
            self.heading("rating", parts, inner, self.line_of(r.rating))
        self.templates(r, inner)

    def measure(self, r: n.Measure, inner: int) -> None:
        if r.unit is not None:
            self.emit(inner, f"unit {self.text(r.unit, inner)}", self.line_of(r.unit))
        self.emit(inner, f"proxy {self.expr(r.proxy, inner)}", self.line_of(r.proxy))
        self.refs(r, inner)
        # A measure takes nothing else; these print only if an AST was made by hand.
        self.common(r, inner)
        self.templates(r, inner)

    def heading(self, keyword: str, parts: tuple[str, _Lines], indent: int, anchor: int) -> None:
        """`score ...` or `rating ...:`, with the lines under it one level in."""
        head, lines = parts
        self.emit(indent, f"{keyword} {head}", anchor)
        for text, node in lines:
            self.emit(indent + INDENT, text, self.line_of(node))

    def refs(self, r: n.Rule, indent: int) -> None:
        for ref in r.refs:
            self.emit(indent, f"ref {self.text(ref, indent)}", self.line_of(ref))

    def common(self, r: n.Rule, indent: int) -> None:
        if r.applies is not None:
            self.emit(indent, f"applies when {self.expr(r.applies, indent)}", self.line_of(r.applies))
        for let in r.lets:
            self.emit(indent, f"let {let.name} = {self.expr(let.value, indent)}", self.line_of(let))

    def templates(self, r: n.Rule, indent: int) -> None:
        if r.explain is not None:
            text = self.text(r.explain.text, indent)
            self.emit(indent, f"explain {text}", self.line_of(r.explain.text))
        if r.clause is not None:
            word = "clause from" if r.clause.template.from_file else "clause"
            text = self.text(r.clause.template.text, indent)
            self.emit(indent, f"{word} {text}", self.line_of(r.clause))

    def text(self, t: n.Text, indent: int) -> str:
        """A `Text` keeps its kind of quotes: they are part of the AST."""
        try:
            return string_literal(t.value, indent, triple=t.triple)
        except ValueError:
            # Only reachable for odd whitespace in triple quotes; the token as written reads back.
            written = self.source.token(t.span) if self.source and t.span.line else None
            if written is None:
                raise
            return written


def _entries(p: n.Policy) -> Iterator[n.Rule | tuple[n.Theme, list[n.Rule]]]:
    """Rules directly under the policy and themes (with their rules), in written order."""
    current: tuple[n.Theme, list[n.Rule]] | None = None
    used = -1
    for rule in p.rules:
        if rule.theme is None:
            if current is not None:
                yield current
                current = None
            yield rule
            continue
        if current is not None and current[0].name == rule.theme and _inside(rule, current[0]):
            current[1].append(rule)
            continue
        if current is not None:
            yield current
        index = _theme_index(p.themes, rule, used)
        used = index
        current = (p.themes[index], [rule])
    if current is not None:
        yield current


def _inside(rule: n.Rule, theme: n.Theme) -> bool:
    """Whether a rule was written inside this theme block (always, for a hand-made AST)."""
    if not rule.span.line or not theme.span.line:
        return True
    return theme.span.line <= rule.span.line <= theme.span.end_line


def _theme_index(themes: tuple[n.Theme, ...], rule: n.Rule, used: int) -> int:
    named = [i for i, t in enumerate(themes) if t.name == rule.theme]
    for i in named:
        if themes[i].span.line and rule.span.line and _inside(rule, themes[i]):
            return i
    later = [i for i in named if i > used]
    if later:
        return later[0]
    if named:
        return named[0]
    raise ValueError(f"rule '{rule.name}' names theme '{rule.theme}', which the policy does not have")


__all__ = [
    "INDENT",
    "LONG_STRING",
    "SHORT_STRING",
    "LiteralPrinter",
    "SourceLookup",
    "Statement",
    "band_text",
    "expr_text",
    "field_decl_text",
    "literal_text",
    "param_text",
    "policy_statements",
    "policy_text",
    "quote",
    "rating_text",
    "score_text",
    "string_literal",
]
