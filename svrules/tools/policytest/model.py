"""The records of policy testing: a case, what running it gave, and what did not match.

Owns `Case` (one YAML document with the line of each of its nodes, so every message
points at the line that says it), `CaseError` (a case that cannot be run as written),
`Mismatch` (one expected value the evaluation did not give) and `CaseResult`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

Where = tuple[Any, ...]  # a path into a case: ("expect", "bids", "A", "rank")


class CaseError(Exception):
    """A case that cannot be run as written: bad YAML, an unknown key, rule or bidder."""

    def __init__(self, path: Path | str, line: int | None, message: str, detail: str | None = None):
        super().__init__(message)
        self.path = str(path)
        self.line = line
        self.message = message
        self.detail = detail

    @property
    def location(self) -> str:
        return f"{self.path}:{self.line}" if self.line else self.path

    def __str__(self) -> str:
        text = f"{self.location}: error: {self.message}"
        if self.detail:
            text += "\n" + indented(self.detail)
        return text


@dataclass(frozen=True)
class Mismatch:
    """One expected field that the evaluation did not give."""

    path: str
    line: int | None
    what: str  # "bid 'A', criterion local_jobs: score"
    expected: str
    actual: str
    note: str | None = None  # replaces "expected X, got Y" when set

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else self.path
        if self.note:
            return f"{where}: {self.what}: {self.note}"
        return f"{where}: {self.what} expected {self.expected}, got {self.actual}"


@dataclass
class Case:
    """One YAML document: a tender to evaluate and what to expect."""

    path: Path
    index: int  # the document's position in its file, from 1
    name: str
    policy_path: Path
    data: dict[str, Any]
    lines: dict[Where, int]

    @property
    def line(self) -> int | None:
        return self.lines.get(())

    @property
    def id(self) -> str:
        return f"{self.path}::{self.name}"

    def line_of(self, *where: Any) -> int | None:
        """The line of the nearest enclosing YAML node that has one."""
        key: Where = tuple(where)
        while key:
            if key in self.lines:
                return self.lines[key]
            key = key[:-1]
        return self.lines.get(())

    def error(self, message: str, *where: Any, detail: str | None = None) -> CaseError:
        return CaseError(self.path, self.line_of(*where), message, detail)


@dataclass
class CaseResult:
    """What running one case gave: passed, failed (with mismatches) or an error."""

    case: Case | None
    path: Path
    name: str
    mismatches: list[Mismatch] = field(default_factory=list)
    error: CaseError | None = None
    seconds: float = 0.0

    @property
    def status(self) -> str:
        if self.error is not None:
            return "error"
        return "fail" if self.mismatches else "pass"

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    def report(self) -> str:
        """The diff (or the error) as text, one problem a line."""
        if self.error is not None:
            return str(self.error)
        return "\n".join(str(m) for m in self.mismatches)


def indented(text: str, prefix: str = "    ") -> str:
    """Every non-empty line of `text` indented by `prefix`."""
    return "\n".join(prefix + line if line else line for line in text.splitlines())
