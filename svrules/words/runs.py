"""Styled text: runs of (text, style), the one currency of words and documents.

Words produce runs (a parameter's name in italics, a value in plain text); the document
model puts them into paragraphs and tables, and each writer escapes and styles them its
own way, so no wording ever carries Markdown or HTML of its own.
"""

from __future__ import annotations

from collections.abc import Iterable

Run = tuple[str, str]
"""(text, style); style is "" (plain), "code", "strong" or "em"."""
Inline = tuple[Run, ...]
"""Text as runs."""


def inline(*parts: str | Run | Inline) -> Inline:
    """Runs from plain strings, `code(...)`/`strong(...)`/`em(...)` runs and other inlines;
    neighbouring runs of one style merge, and empty ones are dropped."""
    runs: list[Run] = []
    for part in parts:
        for text, style in _runs_of(part):
            if not text:
                continue
            if runs and runs[-1][1] == style:
                runs[-1] = (runs[-1][0] + text, style)
            else:
                runs.append((text, style))
    return tuple(runs)


def _runs_of(part: str | Run | Inline) -> Iterable[Run]:
    if isinstance(part, str):
        return ((part, ""),)
    if len(part) == 2 and isinstance(part[0], str) and isinstance(part[1], str):
        return (part,)  # one run
    return part  # an Inline


def code(text: str) -> Run:
    return (text, "code")


def strong(text: str) -> Run:
    return (text, "strong")


def em(text: str) -> Run:
    return (text, "em")


def plain_text(runs: Inline) -> str:
    return "".join(text for text, _ in runs)


def joined(items: Iterable[Inline | str], last: str = " and ") -> Inline:
    """Items as a list in prose: `a, b and c` (or `a, b or c` with `last=" or "`)."""
    listed = list(items)
    parts: list[str | Inline] = []
    for i, item in enumerate(listed):
        if i:
            parts.append(last if i == len(listed) - 1 else ", ")
        parts.append(item)
    return inline(*parts)
