"""Styled text: runs of (text, style), the one currency of words and documents.

Words produce runs (a field's name in code, a value in plain text); the document model
puts them into paragraphs and tables, and each writer escapes and styles them its own way.
"""

from __future__ import annotations

from typing import Any

Inline = tuple[tuple[str, str], ...]
"""Text as runs of (text, style); style is "" (plain), "code", "strong" or "em"."""


def inline(*parts: str | tuple[str, str] | Inline) -> Inline:
    """Runs from plain strings, `code(...)`/`strong(...)` runs and other inlines."""
    runs: list[tuple[str, str]] = []
    for part in parts:
        items = [(part, "")] if isinstance(part, str) else [part] if _is_run(part) else list(part)
        for text, style in items:  # type: ignore[misc]
            if not text:
                continue
            if runs and runs[-1][1] == style:
                runs[-1] = (runs[-1][0] + text, style)
            else:
                runs.append((text, style))
    return tuple(runs)


def _is_run(part: Any) -> bool:
    return len(part) == 2 and isinstance(part[0], str) and isinstance(part[1], str)


def code(text: str) -> tuple[str, str]:
    return (text, "code")


def strong(text: str) -> tuple[str, str]:
    return (text, "strong")


def plain_text(runs: Inline) -> str:
    return "".join(text for text, _ in runs)
