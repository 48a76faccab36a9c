"""Source text → Lark parse tree.

Owns the grammar (shipped in the package as `grammar/svrules.lark`), the indentation
post-lexer, and the translation of Lark's exceptions into diagnostics that say what to
do. Only this module and `builder` import Lark.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from importlib import resources
from pathlib import Path

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken
from lark.indenter import Indenter

from svrules.core.diagnostics import Diagnostic
from svrules.core.source import SourceFile, Span
from svrules.language.size import oversized_expressions


class _BadDedent(Exception):
    def __init__(self, token: Token, indent: int, expected: int):
        super().__init__("bad dedent")
        self.token = token
        self.indent = indent
        self.expected = expected


class SvrIndenter(Indenter):
    """Python-style INDENT/DEDENT tokens; a dedent to no open block is reported, not raised."""

    NL_type = "_NL"
    OPEN_PAREN_types = ["LPAR", "LSQB"]  # noqa: RUF012 - Lark reads these as class attributes
    CLOSE_PAREN_types = ["RPAR", "RSQB"]  # noqa: RUF012
    INDENT_type = "_INDENT"
    DEDENT_type = "_DEDENT"
    tab_len = 4

    def __init__(self) -> None:
        super().__init__()
        self.open_brackets: list[Token] = []  # open where the last parse stopped

    def handle_NL(self, token: Token) -> Iterator[Token]:
        if self.paren_level > 0:
            return
        yield token
        indent = len(token.rsplit("\n", 1)[1])
        if indent > self.indent_level[-1]:
            self.indent_level.append(indent)
            yield Token.new_borrow_pos(self.INDENT_type, "", token)
            return
        while indent < self.indent_level[-1]:
            self.indent_level.pop()
            yield Token.new_borrow_pos(self.DEDENT_type, "", token)
        if indent != self.indent_level[-1]:
            raise _BadDedent(token, indent, self.indent_level[-1])

    def _process(self, stream: Iterator[Token]) -> Iterator[Token]:
        """Lark's loop, keeping the open brackets so an unclosed one can be reported."""
        self.open_brackets = []
        token = None
        for token in stream:
            if token.type == self.NL_type:
                yield from self.handle_NL(token)
                continue
            yield token
            if token.type in self.OPEN_PAREN_types:
                self.paren_level += 1
                self.open_brackets.append(token)
            elif token.type in self.CLOSE_PAREN_types and self.paren_level:
                self.paren_level -= 1
                self.open_brackets.pop()
        while len(self.indent_level) > 1:
            self.indent_level.pop()
            yield Token.new_borrow_pos(self.DEDENT_type, "", token) if token else Token(self.DEDENT_type, "")


_INDENTER = SvrIndenter()


def grammar_text() -> str:
    """The grammar, from the installed package or, in a source checkout, `grammar/`."""
    packaged = resources.files("svrules.language") / "grammar" / "svrules.lark"
    if packaged.is_file():
        return packaged.read_text(encoding="utf-8")
    return (Path(__file__).resolve().parents[2] / "grammar" / "svrules.lark").read_text(encoding="utf-8")


@cache
def lark_parser() -> Lark:
    """The LALR parser, built once per process."""
    return Lark(
        grammar_text(),
        parser="lalr",
        lexer="contextual",
        postlex=_INDENTER,
        propagate_positions=True,
        maybe_placeholders=True,
        start="start",
        cache=True,  # a pickled parse table in the temp folder: 170 ms → 15 ms at start-up
    )


class ParseFailed(Exception):
    """Parsing stopped; `diagnostics` says where and why."""

    def __init__(self, diagnostics: list[Diagnostic]):
        super().__init__("parse failed")
        self.diagnostics = diagnostics


MAX_SYNTAX_ERRORS = 25


def parse(source: SourceFile) -> Tree[Token]:
    """Parse a policy's text, or raise `ParseFailed` with every syntax error found.

    After a syntax error the offending line (and, for a block header, its block) is
    blanked out and the text parsed again, so one run reports the independent syntax
    errors of a file rather than only the first.
    """
    tabs = _tab_indents(source)
    if tabs:
        raise ParseFailed(tabs)
    lines = source.text.split("\n")
    found: list[Diagnostic] = []
    while len(found) < MAX_SYNTAX_ERRORS:
        try:
            tree = lark_parser().parse("\n".join(lines) + "\n")
        except _BadDedent as exc:
            diag = _bad_dedent(source, exc)
        except UnexpectedInput as exc:
            diag = _unclosed_bracket(source, exc) or _translate(source, exc)
        else:
            found += oversized_expressions(tree, source.path)
            if found:
                raise ParseFailed(found)
            return tree
        if any(d.span == diag.span and d.code == diag.code for d in found):
            break
        found.append(diag)
        if diag.code == "unexpected-end" or not _blank_from(lines, diag):
            break
    raise ParseFailed(found)


def _unclosed_bracket(source: SourceFile, exc: UnexpectedInput) -> Diagnostic | None:
    """An error on a later line than an open bracket: the bracket is never closed.

    Lines may break freely inside brackets, so an unclosed one swallows what follows and
    the parser fails far away; the fix goes at the bracket.
    """
    brackets = _INDENTER.open_brackets
    # Lark gives an unexpected token's line as '?' when the token has none
    if not brackets or not isinstance(getattr(exc, "line", None), int):
        return None
    bracket = brackets[-1]
    line, column = _token_place(bracket)
    if exc.line <= line:
        return None
    closer = ")" if bracket == "(" else "]"
    return Diagnostic(
        "unclosed-bracket",
        f"this '{bracket}' is never closed",
        Span.point(source.path, line, column),
        f"add '{closer}' where the expression ends; inside brackets a line may break, so everything after it was read as part of it",
    )


_LINE_ONLY = {"empty-block", "unexpected-indent", "bad-dedent"}


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _blank_from(lines: list[str], diag: Diagnostic) -> bool:
    """Blank the statement a syntax error is in: its enclosing block below the policy
    header (a whole rule, say), or the line and the block it opens. False if nothing changed.
    """
    assert diag.span is not None
    start = diag.span.line - 1
    if start >= len(lines) or not lines[start].strip():
        return False
    header = start - 1
    while header >= 0 and (not lines[header].strip() or _indent(lines[header]) >= _indent(lines[start])):
        header -= 1
    if header >= 0 and _indent(lines[header]) > 0 and diag.code not in _LINE_ONLY:
        start = header
    indent = _indent(lines[start])
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or _indent(lines[end]) > indent):
        end += 1
    for i in range(start, end):
        lines[i] = ""
    return True


def _tab_indents(source: SourceFile) -> list[Diagnostic]:
    """A tab in the indentation of a line of code (not of text inside triple quotes)."""
    found = []
    in_text = False
    for number, line in enumerate(source.lines, start=1):
        starts_in_text = in_text
        in_text ^= _triple_quotes(line) % 2 == 1
        if starts_in_text:
            continue
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent and line.strip():
            column = indent.index("\t") + 1
            found.append(
                Diagnostic(
                    "tab-indent",
                    "indentation uses a tab",
                    Span.point(source.path, number, column),
                    "indent with spaces (4 per level); tabs look different in every editor",
                )
            )
    return found


def _triple_quotes(line: str) -> int:
    """How many triple quotes open or close on this line (outside a comment, escapes skipped)."""
    code = re.sub(r"\\.", "", line)
    if "#" in code and '"' not in code.split("#", 1)[0]:
        code = code.split("#", 1)[0]
    return code.count('"""')


def _token_place(token: Token) -> tuple[int, int]:
    """A lexed token's line and column (each one but `$END` has them)."""
    if token.line is None or token.column is None:
        raise ValueError(f"the token {token!r} has no place in the source")
    return token.line, token.column


def _bad_dedent(source: SourceFile, exc: _BadDedent) -> Diagnostic:
    line = exc.token.end_line or _token_place(exc.token)[0]
    return Diagnostic(
        "bad-dedent",
        f"this line is indented by {exc.indent} spaces, which matches no enclosing block",
        Span.point(source.path, line, 1, max(exc.indent, 1)),
        f"line it up with the block it belongs to ({exc.expected} spaces, or less to close it)",
    )


# What a terminal looks like to a policy lead, for "expected ..." lists.
_TERMINAL_WORDS = {
    "NAME": "a name",
    "STRING": "a quoted text",
    "LONG_STRING": "a quoted text",
    "NUMBER": "a number",
    "MONEY": "an amount like £250k",
    "PERCENT": "a percentage like 25%",
    "DATE": "a date like 2025-04-01",
    "COMPARE": "a comparison",
    "_NL": "the end of the line",
    "_INDENT": "an indented block",
    "_DEDENT": "the end of the block",
    "$END": "the end of the file",
    "YESNO_TYPE": "'yes/no'",
}

_EXPR_START = {"NAME", "NUMBER", "MONEY", "PERCENT", "DATE", "STRING", "LPAR", "LSQB", "MINUS"}


def _describe_expected(expected: set[str]) -> str:
    parser = lark_parser()
    words: list[str] = []
    if len(expected & _EXPR_START) >= 4:
        words.append("a value or expression")
        expected = expected - _EXPR_START - {"YES", "NO", "NOT", "LONG_STRING"}
    for name in sorted(expected):
        word = _TERMINAL_WORDS.get(name)
        if word is None:
            try:
                pattern = parser.get_terminal(name).pattern
                word = f"'{pattern.value}'" if pattern.type == "str" else name.lower()
            except KeyError:
                word = name.lower()
        if word not in words:
            words.append(word)
    if len(words) > 8:
        words = [*words[:8], "…"]
    return ", ".join(words)


def _token_text(token: Token) -> str:
    """How a token reads after the word 'unexpected'."""
    if token.type == "_NL":
        return "end of the line"
    if token.type in ("_INDENT",):
        return "indented line"
    if token.type in ("_DEDENT",):
        return "end of the block"
    if token.type == "$END":
        return "end of the file"
    return f"'{token}'"


def _header_line(source: SourceFile, token: Token) -> int:
    """The last line of code before a token: the header of the block that should follow."""
    if token.type == "$END":
        line = len(source.lines)
    elif token.type == "_DEDENT":
        line = (token.end_line or len(source.lines) + 1) - 1
    else:
        line = _token_place(token)[0] - 1
    while line > 1 and (
        not source.line_text(line).strip() or source.line_text(line).lstrip().startswith("#")
    ):
        line -= 1
    return max(line, 1)


def _translate(source: SourceFile, exc: UnexpectedInput) -> Diagnostic:
    if isinstance(exc, UnexpectedCharacters):
        return _unexpected_character(source, exc)
    if not source.text.strip() or (
        isinstance(exc, UnexpectedToken) and exc.token.type == "$END" and not source.text.strip("\n #")
    ):
        return Diagnostic(
            "empty-policy",
            "the file holds no policy",
            Span.point(source.path, 1, 1),
            'a policy file starts with: policy NAME "Title":',
        )
    if isinstance(exc, UnexpectedEOF):
        last = len(source.lines)
        return Diagnostic(
            "unexpected-end",
            "the file ends in the middle of a statement",
            Span.point(source.path, last, 1),
            f"expected {_describe_expected(set(exc.expected))}",
        )
    assert isinstance(exc, UnexpectedToken)
    return _unexpected_token(source, exc)


def _lexer_index(exc: UnexpectedCharacters) -> int:
    """Where in the parsed text the lexer stopped (Lark's base class declares it None)."""
    index: object = exc.pos_in_stream
    if not isinstance(index, int):
        raise TypeError(f"the lexer gave no position: {index!r}")
    return index


def _unexpected_character(source: SourceFile, exc: UnexpectedCharacters) -> Diagnostic:
    index, column = _lexer_index(exc), exc.column
    char = source.text[index] if index < len(source.text) else ""
    here = Span.point(source.path, exc.line, column)
    rest = source.text[index:]
    if char == '"':
        if source.text[max(0, index - 2) : index] == '""':
            # `"""` unclosed: the lexer took `""` as an empty text and stopped at the third quote
            index -= 2
            column -= 2
            rest = source.text[index:]
        triple = rest.startswith('"""')
        return Diagnostic(
            "unclosed-string",
            "this text is not closed",
            Span.point(source.path, exc.line, column, 3 if triple else 1),
            'close it with """ '
            if triple
            else 'close it with " on the same line, or use """ for text over several lines',
        )
    if char == "£":
        return Diagnostic(
            "bad-money",
            "'£' must be followed directly by digits",
            here,
            "write amounts like £250, £12.60, £250k, £1.5m or £2bn",
        )
    if char == "%":
        number = re.search(r"([0-9][0-9,.]*)\s+$", source.text[:index])
        written = number.group(1) if number else "25"
        return Diagnostic(
            "unexpected-character",
            "'%' must follow its number directly",
            here,
            f"write {written}% with no space",
        )
    if char == "=":
        return Diagnostic(
            "single-equals",
            "'=' cannot compare two values",
            here,
            "write '==' to compare",
        )
    shown = repr(char)[1:-1] if char else "end of file"
    return Diagnostic(
        "unexpected-character",
        f"unexpected character '{shown}'",
        here,
        f"expected {_describe_expected(set(exc.allowed or ()))}" if exc.allowed else None,
    )


def _unexpected_token(source: SourceFile, exc: UnexpectedToken) -> Diagnostic:
    token: Token = exc.token
    expected = set(exc.expected)
    found: Diagnostic | None = None
    if token.type == "$END":
        span = Span.point(source.path, len(source.lines), 1)
    else:
        line, column = _token_place(token)
        width = max(1, len(str(token))) if token.type not in ("_NL", "_INDENT", "_DEDENT") else 1
        span = Span.point(source.path, line, column, width)
        found = _misused_operator(source, token, expected, span) or _misshaped_line(source, token, expected)
    return (
        found
        or _empty_block(source, token, expected)
        or Diagnostic(
            "syntax-error",
            f"unexpected {_token_text(token)}",
            span,
            f"expected {_describe_expected(expected)}",
        )
    )


def _misused_operator(source: SourceFile, token: Token, expected: set[str], span: Span) -> Diagnostic | None:
    """`=` for `==`, or a comparison chained onto another."""
    if token.type == "EQUAL" and "COMPARE" in expected:
        return Diagnostic("single-equals", "'=' cannot compare two values", span, "write '==' to compare")
    line, column = _token_place(token)
    before = source.line_text(line)[: column - 1].rstrip()
    after_operator = before.endswith(("=", "<", ">", "+", "-", "*", "/", " in", " not", " and", " or"))
    if (
        token.type in ("COMPARE", "IN")
        and "COMPARE" not in expected
        and "IN" not in expected
        and not after_operator
    ):
        return Diagnostic(
            "chained-comparison",
            "comparisons do not chain",
            span,
            "join two comparisons with 'and': a < b and b < c",
        )
    return None


def _misshaped_line(source: SourceFile, token: Token, expected: set[str]) -> Diagnostic | None:
    """A block header without its ':', or a line indented for no block."""
    line = _token_place(token)[0]
    if token.type == "_NL" and "COLON" in expected:
        end = len(source.line_text(line)) + 1
        return Diagnostic(
            "missing-colon",
            "this line opens a block and must end with ':'",
            Span.point(source.path, line, end),
            "add ':' at the end of the line",
        )
    if token.type == "_INDENT":
        line = token.end_line or line
        return Diagnostic(
            "unexpected-indent",
            "this line is indented more than the line before it",
            Span.point(
                source.path,
                line,
                1,
                max(1, len(source.line_text(line)) - len(source.line_text(line).lstrip())),
            ),
            "indent only the lines inside a block (after a line ending in ':')",
        )
    return None


def _empty_block(source: SourceFile, token: Token, expected: set[str]) -> Diagnostic | None:
    """A line ending in ':' with nothing indented under it."""
    if token.type in ("_INDENT", "_NL") or not expected <= {"_INDENT", "_NL"}:
        return None
    header = _header_line(source, token)
    text = source.line_text(header)
    later = token.type in ("$END", "_DEDENT") or _token_place(token)[0] > header
    if not (text.split("#", 1)[0].rstrip().endswith(":") and later):
        return None
    return Diagnostic(
        "empty-block",
        "this line opens a block, but nothing is indented under it",
        Span(source.path, header, len(text) - len(text.lstrip()) + 1, header, len(text.rstrip()) + 1),
        "indent the lines that belong to it; blocks are never empty",
    )
