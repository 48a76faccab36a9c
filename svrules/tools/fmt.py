"""`svrules fmt`: the one canonical layout of a policy, with its comments kept.

The layout is the printer's (`svrules.language.printer`), so files that mean the same come
out the same. The parser drops comments, so this module finds them in the source (a `#`
outside strings) and puts them back by line: a full-line comment before the next statement,
an end-of-line comment at the end of its statement's line (docs/fmt.md). A file that does
not parse or build cleanly is never formatted: `FormatError` carries the diagnostics.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from svrules.core.diagnostics import PolicyError
from svrules.core.source import SourceFile, Span
from svrules.language import nodes as n
from svrules.language.builder import build
from svrules.language.parser import ParseFailed, parse
from svrules.language.printer import INDENT, LONG_STRING, SHORT_STRING, Statement, policy_statements


class FormatError(PolicyError):
    """A policy that cannot be formatted (it does not parse, or does not build cleanly)."""


def format_policy(source_text: str, path: str = "<policy>") -> str:
    """The canonical layout of a policy's text, comments kept; raises `FormatError`."""
    text = source_text[1:] if source_text.startswith("\ufeff") else source_text
    return format_source(SourceFile(path, text.replace("\r\n", "\n")))


def format_source(source: SourceFile) -> str:
    """The canonical layout of one source file; raises `FormatError` if it cannot be read."""
    policy = read_policy(source)
    scan = _Scan(source.text)
    placed = [_Placed(statement) for statement in policy_statements(policy, _Anchors(scan))]
    tail = _attach(placed, scan)
    return _assemble(placed, tail)


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


@dataclass
class _Placed:
    """A printed statement and the comments that go with it."""

    statement: Statement
    leading: list[_Comment] = field(default_factory=list)
    trailing: str | None = None


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
                    LONG_STRING.match(text, i) if text.startswith('"""', i) else None
                ) or SHORT_STRING.match(text, i)
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


def _assemble(placed: list[_Placed], tail: list[_Comment]) -> str:
    """Join the statements with their comments, and the comments left for the end."""
    out: list[str] = []
    for item in placed:
        out += _statement_lines(item, first=not out)
    if tail:
        out += _tail_lines(tail, cap=placed[-1].statement.indent if placed else 0)
    return "\n".join(out).rstrip("\n") + "\n"


def _statement_lines(item: _Placed, first: bool) -> list[str]:
    statement = item.statement
    lines = [""] if statement.blank_before and not first else []
    pad = " " * statement.indent
    for comment in item.leading:
        lines.append(pad + comment.text)
        if comment.blank_after:
            lines.append("")
    lines.append(pad + statement.text + (f"  {item.trailing}" if item.trailing else ""))
    return lines


def _tail_lines(tail: list[_Comment], cap: int) -> list[str]:
    """Comments after the last statement, indented no deeper than it."""
    lines = [""] if tail[0].blank_before else []
    for i, comment in enumerate(tail):
        indent = min(comment.indent // INDENT * INDENT, cap)
        lines.append(" " * indent + comment.text)
        if comment.blank_after and i < len(tail) - 1:
            lines.append("")
    return lines


def _attach(placed: list[_Placed], scan: _Scan) -> list[_Comment]:
    """Give each comment to its statement; return those left for the end of the file."""
    by_logical: dict[int, _Placed] = {}
    for item in placed:
        anchor = item.statement.anchor
        index = scan.logical_of.get(anchor)
        if anchor and index is not None and index not in by_logical:
            by_logical[index] = item
    leading, trailing, tail = _sort_comments(scan, by_logical)
    for index, comments in trailing.items():
        if len(comments) == 1:
            by_logical[index].trailing = comments[0].text
        else:  # a statement once spread over lines: its comments go above it, in order
            for comment in comments:
                comment.blank_after = False
            leading.setdefault(index, [])[:0] = comments
    for index, comments in leading.items():
        by_logical[index].leading = sorted(comments, key=lambda c: c.line)
    return tail


_ByLogical = dict[int, list[_Comment]]


def _sort_comments(scan: _Scan, printed: dict[int, _Placed]) -> tuple[_ByLogical, _ByLogical, list[_Comment]]:
    """(comments above, comments at the end of, each printed logical line; the rest)."""
    order = sorted(printed)
    starts = [start for start, _ in scan.logical]
    trailing: _ByLogical = {}
    leading: _ByLogical = {}
    tail: list[_Comment] = []
    for comment in scan.comments:
        index = scan.logical_of.get(comment.line)
        if index is None:  # a comment line between statements: it belongs to the next one
            index = next((i for i, start in enumerate(starts) if start > comment.line), None)
        elif not comment.full_line and index in printed:
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
    return leading, trailing, tail


__all__ = ["FormatError", "format_policy", "format_source", "read_policy"]
