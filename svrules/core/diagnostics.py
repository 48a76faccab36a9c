"""Diagnostics: errors and warnings are data.

Owns `Diagnostic` (a stable kebab-case code, severity, message, span, hint and related
spans), the caret rendering people read, the JSON form tools read, and the two exception
types the public API raises (`PolicyError` for policies, `InputError` for tenders).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from svrules.core.source import SourceFile, Span

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Related:
    """A second place that explains a diagnostic ("this is money")."""

    span: Span
    caption: str


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in a policy, a template or an input file."""

    code: str
    message: str
    span: Span | None = None
    hint: str | None = None
    severity: Severity = "error"
    related: tuple[Related, ...] = ()
    path: str | None = None  # for input files, where a span is not meaningful
    where: str | None = None  # for input files: "bid 'Acme Ltd', field 'sme_spend'"

    @property
    def file(self) -> str | None:
        return self.span.path if self.span else self.path

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "file": self.file,
        }
        if self.span:
            out |= {
                "line": self.span.line,
                "column": self.span.column,
                "end_line": self.span.end_line,
                "end_column": self.span.end_column,
            }
        if self.where:
            out["where"] = self.where
        out["hint"] = self.hint
        if self.related:
            out["related"] = [
                {"line": r.span.line, "column": r.span.column, "caption": r.caption} for r in self.related
            ]
        return out


def did_you_mean(name: str, choices: Iterable[str], prefix: str = "") -> str | None:
    """A hint naming the closest known name, or None when nothing is close."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f"did you mean '{prefix}{close[0]}'?" if close else None


def render(diag: Diagnostic, sources: dict[str, SourceFile] | None = None) -> str:
    """The caret form: `file:line:col: error: message`, the line, the underline, the hint."""
    sources = sources or {}
    if diag.span is None:
        head = f"{diag.file}: " if diag.file else ""
        where = f"{diag.where}: " if diag.where else ""
        text = f"{head}{diag.severity}: {where}{diag.message}"
        return text + (f"\n    hint: {diag.hint}" if diag.hint else "")
    span = diag.span
    lines = [f"{span.path}:{span.line}:{span.column}: {diag.severity}: {diag.message}"]
    lines += _underline(sources.get(span.path), span)
    for rel in diag.related:
        lines += _underline(sources.get(rel.span.path), rel.span, rel.caption)
    if diag.hint:
        lines.append(f"    hint: {diag.hint}")
    return "\n".join(lines)


SHOWN_LINE = 160
"""The most characters of a source line shown under a diagnostic; a longer line is cut around the place."""


def _underline(source: SourceFile | None, span: Span, caption: str = "") -> list[str]:
    if source is None:
        return []
    text = source.line_text(span.line).expandtabs(1)
    if not text.strip():
        return []
    end = span.end_column if span.end_line == span.line else len(text) + 1
    width = max(1, min(end, len(text) + 1) - span.column)
    column = span.column
    if len(text) > SHOWN_LINE:  # a minified file: show the part of its line around the place
        start = max(0, column - 1 - SHOWN_LINE // 3)
        shown = text[start : start + SHOWN_LINE]
        text = ("…" if start else "") + shown + ("…" if start + SHOWN_LINE < len(text) else "")
        column = column - start + (1 if start else 0)
        width = max(1, min(width, len(text) + 1 - column))
    marks = " " * (column - 1) + "^" * width
    return [text, marks + (f" {caption}" if caption else "")]


def underlined_text(diag: Diagnostic, source: SourceFile) -> str:
    """The text a diagnostic underlines, for tests that should not depend on columns."""
    assert diag.span is not None
    text = source.line_text(diag.span.line)
    end = diag.span.end_column if diag.span.end_line == diag.span.line else len(text) + 1
    return text[diag.span.column - 1 : end - 1]


@dataclass
class SvrulesError(Exception):
    """Base of the errors the API raises; carries every diagnostic found."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    sources: dict[str, SourceFile] = field(default_factory=dict)

    def __str__(self) -> str:
        return "\n".join(render(d, self.sources) for d in self.diagnostics)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]


class PolicyError(SvrulesError):
    """A policy (or one of its templates) that cannot be loaded."""


class InputError(SvrulesError):
    """A tender, contract or bid that does not match the policy's declarations."""
