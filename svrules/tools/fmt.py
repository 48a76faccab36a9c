"""`svrules fmt`: the one canonical layout of a policy, with its comments kept.

The layout is printed from the typed AST (parse → build → print), so two files that mean
the same come out the same; the AST of the output equals the AST of the input. The parser
drops comments, so they are collected from the source text here (a `#` outside strings)
and put back by line number: a full-line comment before the statement that follows it, an
end-of-line comment at the end of its statement's line. The rules are in `docs/fmt.md`.

Only `parser` and `builder` are used to read; a file that does not parse, or that the
builder cannot read completely, is never formatted: `FormatError` carries the diagnostics.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from svrules.core.decimals import plain
from svrules.core.diagnostics import PolicyError
from svrules.core.source import SourceFile, Span
from svrules.language import nodes as n
from svrules.language.builder import build, long_string_value, unescape
from svrules.language.parser import ParseFailed, parse

INDENT = 4

# The two string tokens, exactly as the grammar lexes them (grammar/svrules.lark).
_LONG_STRING = re.compile(r'"""(\\.|[^\\])*?"""')
_SHORT_STRING = re.compile(r'"(\\.|[^"\\\n])*"')
_QUOTE_RUN = re.compile(r'"{3,}')

_MULTIPLIERS = (("bn", Decimal(10) ** 9), ("m", Decimal(10) ** 6), ("k", Decimal(1000)))
_PENNY = Decimal("0.01")


class FormatError(PolicyError):
    """A policy that cannot be formatted (it does not parse, or does not build cleanly)."""


# ============================================================================ public API


def format_policy(source_text: str, path: str = "<policy>") -> str:
    """The canonical layout of a policy's text, comments kept; raises `FormatError`."""
    text = source_text[1:] if source_text.startswith("\ufeff") else source_text
    return format_source(SourceFile(path, text.replace("\r\n", "\n")))


def format_source(source: SourceFile) -> str:
    """The canonical layout of one source file; raises `FormatError` if it cannot be read."""
    policy = read_policy(source)
    scan = _Scan(source.text)
    printer = _Printer()
    printer.policy(policy, _Anchors(scan))
    return _assemble(printer.stmts, scan)


def read_policy(source: SourceFile) -> n.Policy:
    """Parse and build, refusing anything that would lose information when printed.

    Syntax errors and the builder's errors (a rule set aside, a bad amount) stop
    formatting. So does the builder's `ambiguous-comma` warning: printing `[100,200]` as
    the number it is read as (`100200`) would hide a likely mistake for good.
    """
    try:
        tree = parse(source)
    except ParseFailed as failed:
        raise FormatError(failed.diagnostics, {source.path: source}) from None
    policy, diagnostics = build(tree, source.path)
    blocking = [d for d in diagnostics if d.severity == "error" or d.code == "ambiguous-comma"]
    if blocking:
        raise FormatError(blocking, {source.path: source})
    return policy


def policy_text(policy: n.Policy) -> str:
    """The canonical text of a policy AST, without comments (no source needed)."""
    printer = _Printer()
    printer.policy(policy, None)
    return _assemble(printer.stmts, None)


def expr_text(expr: n.Expr, indent: int = 0, *, as_written: bool = False) -> str:
    """An expression with the fewest parentheses that keep its meaning.

    Literals take their canonical form, or with `as_written` the text the author wrote
    (`£14.00` stays `£14.00`), which is what a reviewer of a change wants to see.
    """
    return _expr(expr, indent, 0, _written if as_written else _literal)


def _written(lit: n.Literal, indent: int) -> str:
    return lit.text if lit.text and lit.kind != "text" else _literal(lit, indent)


# ============================================================================ literals


def money_text(value: Decimal) -> str:
    """`£520`, `£12.60`, `£250k`, `£1.5m`, `£2bn`, `-£5`: the shortest exact form.

    A multiplier form is a candidate when the amount is from 1 to 999.99 of that unit
    (any number of billions) with at most two decimals (`£1.25k`, `£5.19m`, not
    `£1.2345m` or `£5,193k`); plain pounds have thousands commas and pence only when not
    whole (`£1,234,567`, `£1,234.50`). The shortest wins; on a tie, plain pounds.
    """
    sign = "-" if value < 0 else ""
    amount = abs(value)
    if amount == amount.to_integral_value():
        best = f"£{int(amount):,}"
    elif amount == amount.quantize(_PENNY):
        best = f"£{amount.quantize(_PENNY):,.2f}"
    else:  # not a policy amount (the builder refuses a fraction of a penny); keep it exact
        best = f"£{plain(amount, None)}"
    for suffix, multiplier in _MULTIPLIERS:
        units = amount / multiplier
        if units >= 1 and (units < 1000 or suffix == "bn") and units == units.quantize(_PENNY):
            candidate = f"£{_grouped(units)}{suffix}"
            if len(candidate) < len(best):
                best = candidate
    return sign + best


def _grouped(value: Decimal) -> str:
    """Digits with thousands commas and no trailing fractional zeros: `1,500.5`."""
    text = plain(value, None)
    whole, dot, frac = text.partition(".")
    return f"{int(whole):,}" + (dot + frac)


def number_text(value: Decimal) -> str:
    """Plain digits, no grouping (`1,000` beside a list's commas is a known trap)."""
    return plain(value, None)


def percent_text(value: Decimal) -> str:
    """The stored fraction in percentage points: 0.125 → `12.5%`."""
    return plain(value.scaleb(2), None) + "%"


def string_text(value: str, indent: int = 0, *, triple: bool | None = None, prose: bool = False) -> str:
    """A string token that reads back as `value`.

    `triple=True` writes a triple-quoted block whose lines sit at `indent + 4`, with the
    closing quotes on their own line at `indent`; `triple=False` writes `"..."`. With
    `triple=None` the quoted form is used unless the value spans lines, or, for `prose`
    (a summary), the block unless the value cannot be written as one. Each candidate is
    read back with the builder's own functions, and the first that gives `value` wins.
    """
    short = '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    block = _triple_block(value, indent)
    inline = '"""' + value.replace("\\", "\\\\").replace('"', '\\"') + '"""'
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


def _triple_block(value: str, indent: int) -> str:
    body = value.replace("\\", "\\\\")
    body = _QUOTE_RUN.sub(lambda m: '\\"' * len(m.group(0)), body)
    pad = " " * (indent + INDENT)
    lines = [pad + line if line else "" for line in body.split("\n")]
    return '"""\n' + "\n".join(lines) + "\n" + " " * indent + '"""'


def _reads_back(token: str, value: str) -> bool:
    if token.startswith('"""'):
        match = _LONG_STRING.match(token)
        if match is None or match.end() != len(token) or long_string_value(token) != value:
            return False
        # The parser refuses a tab in the indentation of any line, inside strings too.
        return not any("\t" in line[: len(line) - len(line.lstrip())] for line in token.split("\n")[1:])
    match = _SHORT_STRING.match(token)
    return match is not None and match.end() == len(token) and unescape(token[1:-1]) == value


def _literal(lit: n.Literal, indent: int) -> str:
    value = lit.value
    if lit.kind == "money":
        assert isinstance(value, Decimal)
        return money_text(value)
    if lit.kind == "number":
        assert isinstance(value, Decimal)
        return number_text(value)
    if lit.kind == "percent":
        assert isinstance(value, Decimal)
        return percent_text(value)
    if lit.kind == "yes/no":
        return "yes" if value else "no"
    if lit.kind == "date":
        return value.isoformat()  # type: ignore[union-attr]
    assert isinstance(value, str)
    return string_text(value, indent)


# ============================================================================ expressions

# Binding strength, lowest first, as the spec lists it: A if C else B; or; and; not;
# comparisons; + -; * /; unary -; calls, fields, literals, names and parentheses.
_COND, _OR, _AND, _NOT, _CMP, _SUM, _PRODUCT, _UNARY, _ATOM = range(9)


LiteralPrinter = Callable[[n.Literal, int], str]


def _expr(e: n.Expr, indent: int, need: int, lit: LiteralPrinter = _literal) -> str:
    """`e` printed so that it parses back at precedence level `need` or higher."""
    text, level = _expr_level(e, indent, lit)
    return f"({text})" if level < need else text


def _expr_level(e: n.Expr, indent: int, lit: LiteralPrinter) -> tuple[str, int]:
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
    if isinstance(e, n.Binary):
        level = _SUM if e.op in ("+", "-") else _PRODUCT
        # Left-associative: the right operand binds tighter, so a - (b - c) keeps its parentheses.
        return f"{_expr(e.left, indent, level, lit)} {e.op} {_expr(e.right, indent, level + 1, lit)}", level
    if isinstance(e, n.Compare):
        # Comparisons do not chain: both sides are sums.
        return f"{_expr(e.left, indent, _SUM, lit)} {e.op} {_expr(e.right, indent, _SUM, lit)}", _CMP
    if isinstance(e, n.Not):
        return "not " + _expr(e.operand, indent, _NOT, lit), _NOT
    if isinstance(e, n.Logical):
        level = _OR if e.op == "or" else _AND
        return f"{_expr(e.left, indent, level, lit)} {e.op} {_expr(e.right, indent, level + 1, lit)}", level
    if isinstance(e, n.Conditional):
        # A if C else B nests to the right.
        then = _expr(e.then, indent, _OR, lit)
        condition = _expr(e.condition, indent, _OR, lit)
        return f"{then} if {condition} else {_expr(e.otherwise, indent, _COND, lit)}", _COND
    raise TypeError(f"not an expression: {e!r}")


# ============================================================================ statements


@dataclass
class _Stmt:
    """One printed statement: its text (further lines, of triple-quoted strings, already
    indented), its indentation, a source line inside it, and a blank line before it."""

    indent: int
    text: str
    anchor: int = 0
    blank_before: bool = False
    leading: list[_Comment] = field(default_factory=list)
    trailing: str | None = None


class _Printer:
    """Walks a policy in canonical order and appends one `_Stmt` per statement."""

    def __init__(self) -> None:
        self.stmts: list[_Stmt] = []
        self.anchors: _Anchors | None = None

    def emit(self, indent: int, text: str, anchor: int = 0, blank: bool = False) -> None:
        self.stmts.append(_Stmt(indent, text, anchor, blank))

    def line_of(self, node: object) -> int:
        span = getattr(node, "span", None)
        return span.line if span is not None else 0

    # ------------------------------------------------------------------ the policy

    def policy(self, p: n.Policy, anchors: _Anchors | None) -> None:
        self.anchors = anchors
        first = {kind: span.line for kind, span in reversed(p.sections)}
        self.emit(0, f"policy {p.name} {string_text(p.title, 0)}:", p.name_span.line)
        body = INDENT
        if p.version is not None:
            self.emit(body, f"version {string_text(p.version, body)}", first.get("version", 0))
        if p.authority is not None:
            self.emit(body, f"authority {string_text(p.authority, body)}", first.get("authority", 0))
        if p.effective is not None:
            self.emit(body, f"effective {p.effective.isoformat()}", first.get("effective", 0))
        if p.applies is not None:
            self.emit(body, f"applies when {_expr(p.applies, body, _COND)}", first.get("applies", 0))
        if p.summary is not None:
            text = string_text(p.summary, body, prose=True)
            self.emit(body, f"summary {text}", first.get("summary", 0))
        for kind, fields in (("contract", p.contract), ("bid", p.bid), ("delivery", p.delivery)):
            if fields:
                self.emit(body, f"{kind}:", first.get(kind, 0), blank=self._not_first())
                for decl in fields:
                    self.field_decl(decl, body + INDENT)
        for i, param in enumerate(p.params):
            self.param(param, body, blank=i == 0 and self._not_first())
        for entry in _entries(p):
            if isinstance(entry, tuple):
                theme, rules = entry
                title = string_text(theme.title, body)
                self.emit(body, f"theme {theme.name} {title}:", theme.name_span.line, blank=self._not_first())
                for rule in rules:
                    self.rule(rule, body + INDENT, blank=True)
            else:
                self.rule(entry, body, blank=self._not_first())

    def _not_first(self) -> bool:
        """A section gets a blank line before it unless it opens the policy's body."""
        return len(self.stmts) > 1

    def field_decl(self, f: n.FieldDecl, indent: int) -> None:
        parts = [f"{f.name}: {f.type}"]
        if f.one_of is not None:
            parts.append("one of " + _expr(f.one_of, indent, _COND))
        if f.low is not None and f.high is not None:
            parts.append(f"from {_expr(f.low, indent, _COND)} to {_expr(f.high, indent, _COND)}")
        if f.optional:
            parts.append("optional")
        if f.description is not None:
            parts.append(string_text(f.description, indent))
        self.emit(indent, " ".join(parts), self.line_of(f))

    def param(self, p: n.Param, indent: int, blank: bool) -> None:
        values = []
        for v in p.values:
            text = _expr(v.value, indent, _COND)
            if v.start is not None:
                text += f" from {_literal(v.start, indent)}"
            values.append(text)
        self.emit(indent, f"param {p.name} = " + ", ".join(values), self.line_of(p), blank=blank)

    # ------------------------------------------------------------------ rules

    def rule(self, r: n.Rule, indent: int, blank: bool) -> None:
        self.emit(indent, f"{r.kind} {r.name} {string_text(r.title, indent)}:", r.name_span.line, blank=blank)
        inner = indent + INDENT
        if isinstance(r, n.Measure):
            if r.unit is not None:
                self.emit(inner, f"unit {self.text(r.unit, inner)}", self.line_of(r.unit))
            self.emit(inner, f"proxy {_expr(r.proxy, inner, _COND)}", self.line_of(r.proxy))
            self.refs(r, inner)
            # A measure takes nothing else; these print only if an AST was made by hand.
            self.common(r, inner)
            self.templates(r, inner)
            return
        if isinstance(r, n.Kpi) and r.material:
            anchor = self.anchors.material_line(r) if self.anchors else 0
            self.emit(inner, "material", anchor)
        self.refs(r, inner)
        self.common(r, inner)
        if isinstance(r, n.Requirement):
            self.emit(inner, f"met when {_expr(r.met_when, inner, _COND)}", self.line_of(r.met_when))
        elif isinstance(r, n.Criterion):
            self.emit(inner, f"weight {_expr(r.weight, inner, _COND)}", self.line_of(r.weight))
            self.score(r.score, inner)
        elif isinstance(r, n.Kpi):
            rating = r.rating
            self.emit(inner, f"rating {_expr(rating.value, inner, _COND)}:", self.line_of(rating))
            for line in rating.lines:
                self.band(line, inner + INDENT)
        self.templates(r, inner)

    def refs(self, r: n.Rule, indent: int) -> None:
        for ref in r.refs:
            self.emit(indent, f"ref {self.text(ref, indent)}", self.line_of(ref))

    def common(self, r: n.Rule, indent: int) -> None:
        if r.applies is not None:
            self.emit(indent, f"applies when {_expr(r.applies, indent, _COND)}", self.line_of(r.applies))
        for let in r.lets:
            self.emit(indent, f"let {let.name} = {_expr(let.value, indent, _COND)}", self.line_of(let))

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
            return string_text(t.value, indent, triple=t.triple)
        except ValueError:
            # Only reachable for odd whitespace in triple quotes; the token as written reads back.
            written = self.anchors.token(t.span) if self.anchors and t.span.line else None
            if written is None:
                raise
            return written

    def score(self, s: n.Score, indent: int) -> None:
        anchor = self.line_of(s)
        if isinstance(s, n.ExprScore):
            self.emit(indent, f"score {_expr(s.value, indent, _COND)}", anchor)
        elif isinstance(s, n.BandScore):
            self.emit(indent, f"score bands {_expr(s.value, indent, _COND)}:", anchor)
            for band in s.bands:
                self.band(band, indent + INDENT)
        elif isinstance(s, n.LinearScore):
            value, low, high = (_expr(e, indent, _COND) for e in (s.value, s.low, s.high))
            self.emit(indent, f"score linear {value} from {low} to {high}", anchor)
        elif isinstance(s, n.RelativeScore):
            word = "relative lowest" if s.lowest else "relative"
            self.emit(indent, f"score {word} {_expr(s.value, indent, _COND)}", anchor)
        else:
            self.emit(indent, f"score scale {_expr(s.value, indent, _COND)}:", anchor)
            for level in s.levels:
                descriptor = string_text(level.descriptor, indent + INDENT)
                self.emit(
                    indent + INDENT,
                    f"{_expr(level.level, indent + INDENT, _COND)}: {descriptor}",
                    self.line_of(level),
                )

    def band(self, b: n.Band, indent: int) -> None:
        if b.test == "otherwise":
            test = "otherwise"
        else:
            assert b.threshold is not None
            test = f"{b.test.replace('_', ' ')} {_expr(b.threshold, indent, _COND)}"
        result = b.result if isinstance(b.result, str) else _expr(b.result, indent, _COND)
        self.emit(indent, f"{test}: {result}", self.line_of(b))


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


# ============================================================================ comments


@dataclass
class _Comment:
    line: int
    text: str
    full_line: bool
    indent: int
    blank_before: bool = False
    blank_after: bool = False


class _Scan:
    """Comments and logical lines of a source text, strings skipped.

    A logical line is a statement's extent: it starts at a line holding code and ends at
    a line break outside strings and brackets (a line may break inside `(...)`/`[...]`).
    """

    def __init__(self, text: str):
        self.lines = text.split("\n")
        self.comments: list[_Comment] = []
        self.logical: list[tuple[int, int]] = []
        self.code_of: dict[int, str] = {}  # line → its code without the comment
        self._run(text)
        self.logical_of: dict[int, int] = {}
        for index, (start, end) in enumerate(self.logical):
            for line in range(start, end + 1):
                self.logical_of[line] = index

    def _run(self, text: str) -> None:
        i, line, depth = 0, 1, 0
        start: int | None = None
        has_code = False
        size = len(text)
        while i < size:
            c = text[i]
            if c == '"':
                match = (
                    _LONG_STRING.match(text, i) if text.startswith('"""', i) else None
                ) or _SHORT_STRING.match(text, i)
                end = match.end() if match else (text.find("\n", i) % (size + 1))
                if start is None:
                    start = line
                has_code = True
                line += text.count("\n", i, end)
                i = end
                continue
            if c == "#":
                end = text.find("\n", i)
                end = size if end < 0 else end
                row = self.lines[line - 1]
                self.code_of[line] = text[text.rfind("\n", 0, i) + 1 : i]
                self.comments.append(
                    _Comment(
                        line,
                        text[i:end].rstrip(),
                        full_line=not has_code,
                        indent=len(row) - len(row.lstrip()),
                        blank_before=line > 1 and not self.lines[line - 2].strip(),
                        blank_after=line < len(self.lines) and not self.lines[line].strip(),
                    )
                )
                i = end
                continue
            if c == "\n":
                if depth == 0 and start is not None:
                    self.logical.append((start, line))
                    start = None
                line += 1
                has_code = False
                i += 1
                continue
            if c in " \t\r\f":
                i += 1
                continue
            if start is None:
                start = line
            has_code = True
            if c in "([":
                depth += 1
            elif c in ")]":
                depth = max(0, depth - 1)
            i += 1
        if start is not None:
            self.logical.append((start, line))

    def code(self, line: int) -> str:
        if line in self.code_of:
            return self.code_of[line]
        return self.lines[line - 1] if 0 < line <= len(self.lines) else ""


class _Anchors:
    """Finds source lines the AST has no span for (`material` has none)."""

    def __init__(self, scan: _Scan):
        self.scan = scan

    def token(self, span: Span) -> str | None:
        """The source text under a span (a token as it was written)."""
        lines = self.scan.lines
        if not 0 < span.line <= span.end_line <= len(lines):
            return None
        if span.line == span.end_line:
            return lines[span.line - 1][span.column - 1 : span.end_column - 1]
        middle = lines[span.line : span.end_line - 1]
        parts = [
            lines[span.line - 1][span.column - 1 :],
            *middle,
            lines[span.end_line - 1][: span.end_column - 1],
        ]
        return "\n".join(parts)

    def material_line(self, rule: n.Kpi) -> int:
        for line in range(rule.name_span.line + 1, rule.span.end_line + 1):
            if self.scan.code(line).strip() == "material":
                return line
        return 0


def _assemble(stmts: list[_Stmt], scan: _Scan | None) -> str:
    """Attach the comments to their statements and join everything into the file's text."""
    tail: list[_Comment] = []
    if scan is not None:
        tail = _attach(stmts, scan)
    out: list[str] = []
    for stmt in stmts:
        if stmt.blank_before and out:
            out.append("")
        pad = " " * stmt.indent
        for comment in stmt.leading:
            out.append(pad + comment.text)
            if comment.blank_after:
                out.append("")
        out.append(pad + stmt.text + (f"  {stmt.trailing}" if stmt.trailing else ""))
    if tail:
        cap = stmts[-1].indent if stmts else 0
        if tail[0].blank_before:
            out.append("")
        for i, comment in enumerate(tail):
            indent = min(comment.indent // INDENT * INDENT, cap)
            out.append(" " * indent + comment.text)
            if comment.blank_after and i < len(tail) - 1:
                out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def _attach(stmts: list[_Stmt], scan: _Scan) -> list[_Comment]:
    """Give each comment to its statement; return those left for the end of the file."""
    by_logical: dict[int, _Stmt] = {}
    for stmt in stmts:
        index = scan.logical_of.get(stmt.anchor)
        if stmt.anchor and index is not None and index not in by_logical:
            by_logical[index] = stmt
    order = sorted(by_logical)
    starts = [scan.logical[i][0] for i in range(len(scan.logical))]
    trailing: dict[int, list[_Comment]] = {}
    leading: dict[int, list[_Comment]] = {}
    tail: list[_Comment] = []
    for comment in scan.comments:
        index = scan.logical_of.get(comment.line)
        if index is None:  # a comment line between statements: it belongs to the next one
            index = next((i for i, start in enumerate(starts) if start > comment.line), None)
        elif not comment.full_line and index in by_logical:
            trailing.setdefault(index, []).append(comment)
            continue
        # Its own statement, or the next one printed if its own cannot be found.
        target = next((i for i in order if index is not None and i >= index), None)
        if target is None:
            tail.append(comment)
        else:
            if not comment.full_line:
                comment.blank_after = False
            leading.setdefault(target, []).append(comment)
    for index, comments in trailing.items():
        stmt = by_logical[index]
        if len(comments) == 1:
            stmt.trailing = comments[0].text
        else:  # a statement once spread over lines: its comments go above it, in order
            for comment in comments:
                comment.blank_after = False
            leading.setdefault(index, [])[:0] = comments
    for index, comments in leading.items():
        by_logical[index].leading = sorted(comments, key=lambda c: c.line)
    return tail


__all__ = [
    "FormatError",
    "expr_text",
    "format_policy",
    "format_source",
    "money_text",
    "number_text",
    "percent_text",
    "policy_text",
    "read_policy",
    "string_text",
]
