"""Source text and places in it.

Owns `SourceFile` (a policy or template file's text, read strictly as UTF-8) and `Span`
(a place in it, 1-based lines and code-point columns). Every later stage points at
user text through a `Span`, so a diagnostic can always show the line it is about.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Span:
    """A range of a source file: 1-based line and column, end column exclusive."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int

    @staticmethod
    def point(path: str, line: int, column: int, width: int = 1) -> Span:
        return Span(path, line, column, line, column + width)


@dataclass(frozen=True)
class SourceFile:
    """The decoded text of one file, with its lines kept for caret diagnostics."""

    path: str
    text: str
    raw: bytes = field(repr=False, default=b"")

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")

    def line_text(self, line: int) -> str:
        lines = self.lines
        return lines[line - 1].rstrip("\r") if 0 < line <= len(lines) else ""


class SourceReadError(Exception):
    """A file that could not be read as UTF-8 text; carries where and why."""

    def __init__(self, path: str, message: str, hint: str, line: int = 0, column: int = 0):
        super().__init__(message)
        self.path = path
        self.message = message
        self.hint = hint
        self.line = line
        self.column = column


def read_source(path: Path | str, display: str | None = None) -> SourceFile:
    """Read a file as UTF-8 (a byte order mark is dropped), or raise `SourceReadError`."""
    p = Path(path)
    shown = display or str(path)
    if p.is_dir():
        raise SourceReadError(shown, "is a directory, not a file", "give the path of a file")
    try:
        raw = p.read_bytes()
    except FileNotFoundError:
        raise SourceReadError(shown, "no such file", "check the path") from None
    except OSError as exc:
        raise SourceReadError(shown, f"cannot read the file ({exc.strerror})", "check the path") from None
    return decode_source(shown, raw)


def decode_source(path: str, raw: bytes) -> SourceFile:
    """Decode bytes as UTF-8, naming the line and column of the first bad byte."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start].decode("utf-8", errors="replace")
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1
        raise SourceReadError(
            path,
            f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at line {line}, column {column})",
            "save the file as UTF-8",
            line,
            column,
        ) from None
    if text.startswith("\ufeff"):
        text = text[1:]
    return SourceFile(path, text.replace("\r\n", "\n"), raw)
