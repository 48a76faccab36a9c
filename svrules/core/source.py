"""Source text and places in it, and the one safe way svrules reads a file.

Owns `SourceFile` (a policy or template file's text, read strictly as UTF-8, and always
valid Unicode), `Span` (a place in it, 1-based lines and code-point columns) and
`read_file_bytes`, the reader behind every file svrules reads (policies, clause files,
tenders, reports, batch input): regular files only, never blocking, at most
`MAX_FILE_BYTES`. Every later stage points at user text through a `Span`, so a
diagnostic can always show the line it is about.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from svrules.core.limits import MAX_FILE_BYTES, MAX_PATH_CHARS

_SURROGATE = re.compile("[\ud800-\udfff]")


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
    """The decoded text of one file, with its lines kept for caret diagnostics.

    The text must be valid Unicode: a lone surrogate (`"\\ud800"`, which no UTF-8 file
    can hold but a Python string can) raises `SourceReadError` naming its line and column;
    one from U+DC80 to U+DCFF is named as the byte that `surrogateescape` decoding kept.
    """

    path: str
    text: str
    raw: bytes = field(repr=False, default=b"")

    def __post_init__(self) -> None:
        if self.text.isascii():  # the common case, answered in C without a scan for surrogates
            return
        bad = _SURROGATE.search(self.text)
        if bad is None:
            return
        line, column = _line_column(self.text, bad.start())
        point = ord(bad.group())
        if 0xDC80 <= point <= 0xDCFF:  # a byte that was not UTF-8, kept by "surrogateescape"
            message = f"not UTF-8 text (byte 0x{point - 0xDC00:02x} at line {line}, column {column})"
            raise SourceReadError(self.path, message, "save the file as UTF-8", line, column)
        raise SourceReadError(
            self.path,
            f"not valid Unicode text (a lone surrogate U+{point:04X} at line {line}, column {column})",
            "pass text that is valid Unicode; surrogates only come in pairs, in UTF-16",
            line,
            column,
        )

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


def _line_column(text: str, index: int) -> tuple[int, int]:
    before = text[:index]
    return before.count("\n") + 1, index - (before.rfind("\n") + 1) + 1


def size_text(size: int) -> str:
    """A size for people: `16 MiB`, `64 KiB`, `1,000 bytes`."""
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale and size % scale == 0:
            return f"{size // scale} {unit}"
    return f"{size:,} bytes"


_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def file_kind(mode: int) -> str:
    """What a non-regular file is, in words: `a FIFO`, `a character device`."""
    return next((kind for test, kind in _KINDS if test(mode)), "a special file")


_OPEN_ERRORS = {
    errno.ENOENT: ("no such file", "check the path"),
    errno.ENOTDIR: ("no such file (a part of the path is not a folder)", "check the path"),
    errno.EACCES: ("permission denied", "check that you may read the file"),
    errno.EPERM: ("permission denied", "check that you may read the file"),
    errno.ENAMETOOLONG: ("the file name is too long", "use a shorter name"),
    errno.ELOOP: ("too many levels of symbolic links", "check where the links point"),
    errno.ENXIO: ("is a socket or device, not a regular file", "give the path of a regular file"),
}


def open_regular(path: Path | str, display: str | None = None, limit: int = MAX_FILE_BYTES) -> BinaryIO:
    """Open a regular file of at most `limit` bytes for reading, or raise `SourceReadError`.

    The file is opened without blocking (a FIFO with no writer does not hang), and the
    opened descriptor is checked, so nothing can swap the file between check and read.
    """
    shown = display or str(path)
    name = os.fsdecode(path)
    if len(name) > MAX_PATH_CHARS:
        raise SourceReadError(
            shown[:80] + "…" if len(shown) > 80 else shown,
            f"the path is {len(name):,} characters long; the limit is {MAX_PATH_CHARS:,}",
            "use a shorter path",
        )
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(name, flags | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0))
    except ValueError:
        raise SourceReadError(shown, "the path holds a NUL character", "check the path") from None
    except OSError as exc:
        message, hint = _OPEN_ERRORS.get(
            exc.errno or 0, (f"cannot read the file ({exc.strerror})", "check the path")
        )
        raise SourceReadError(shown, message, hint) from None
    try:
        _check_opened(fd, shown, limit)
        if flags & getattr(os, "O_NONBLOCK", 0):
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def _check_opened(fd: int, shown: str, limit: int) -> None:
    info = os.fstat(fd)
    if stat.S_ISDIR(info.st_mode):
        raise SourceReadError(shown, "is a directory, not a regular file", "give the path of a file")
    if not stat.S_ISREG(info.st_mode):
        raise SourceReadError(
            shown,
            f"is {file_kind(info.st_mode)}, not a regular file",
            "give the path of a regular file; svrules does not read pipes or devices (save the input to a file)",
        )
    if info.st_size > limit:
        raise too_large(shown, limit)


def too_large(shown: str, limit: int) -> SourceReadError:
    return SourceReadError(
        shown,
        f"is larger than {size_text(limit)}, the most svrules reads from one file",
        "check that this is the right file",
    )


def read_file_bytes(path: Path | str, display: str | None = None, limit: int = MAX_FILE_BYTES) -> bytes:
    """All of a regular file of at most `limit` bytes, or `SourceReadError` saying why not."""
    shown = display or str(path)
    with open_regular(path, shown, limit) as handle:
        try:
            data = handle.read(limit + 1)
        except OSError as exc:
            raise SourceReadError(shown, f"cannot read the file ({exc.strerror})", "check the file") from None
    if len(data) > limit:  # it grew after it was opened
        raise too_large(shown, limit)
    return data


def read_source(path: Path | str, display: str | None = None) -> SourceFile:
    """Read a file as UTF-8 (a byte order mark is dropped), or raise `SourceReadError`."""
    shown = display or str(path)
    return decode_source(shown, read_file_bytes(path, shown))


def decode_source(path: str, raw: bytes | str) -> SourceFile:
    """Decode bytes as UTF-8, naming the line and column of the first bad byte.

    Text given as `str` is checked the same way: it must be valid Unicode.
    """
    if isinstance(raw, str):
        text = raw[1:] if raw.startswith("\ufeff") else raw
        source = SourceFile(path, text.replace("\r\n", "\n"))
        return SourceFile(path, source.text, raw.encode("utf-8"))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start].decode("utf-8", errors="replace")
        line, column = _line_column(before, len(before))
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
