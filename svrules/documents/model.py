"""The neutral document model: inline runs of text, paragraphs, bullets, tables, facts,
numbered clause blocks, sections and the `Document` that holds them. The three documents
are built as this model and `documents.writers` writes it as Markdown, HTML or DOCX, so
every format says the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from svrules.words.runs import Inline


@dataclass(frozen=True)
class Paragraph:
    """A paragraph; `style` is "body", "note" (a remark set apart) or "lead" (an introduction)."""

    text: Inline
    style: str = "body"


@dataclass(frozen=True)
class Bullets:
    items: tuple[Inline, ...]


@dataclass(frozen=True)
class Table:
    """A table; `numeric` marks right-aligned columns; `total` is a last row set in bold."""

    header: tuple[str, ...]
    rows: tuple[tuple[Inline, ...], ...]
    numeric: tuple[bool, ...] = ()
    total: tuple[Inline, ...] | None = None

    @property
    def right_aligned(self) -> tuple[bool, ...]:
        """Which columns are right-aligned, one flag per column."""
        width = len(self.header)
        return tuple(self.numeric[:width]) + (False,) * max(0, width - len(self.numeric))


@dataclass(frozen=True)
class Facts:
    """Label and value pairs (a definition list)."""

    items: tuple[tuple[str, Inline], ...]


@dataclass(frozen=True)
class ClauseBlock:
    """A numbered clause: the rule's rendered wording, by paragraph, with its sources."""

    number: str
    title: str
    kind: str
    paragraphs: tuple[str, ...]
    refs: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def caption(self) -> str:
        """`Requirement. Source: Social Value Model, theme 2.`"""
        caption = self.kind[:1].upper() + self.kind[1:]
        if self.refs:
            caption += ". Source: " + "; ".join(self.refs)
        return caption + "."


@dataclass(frozen=True)
class Section:
    """A heading and what follows it; sections nest (a `Section` is also a block)."""

    title: str
    number: str | None = None
    blocks: tuple[Block, ...] = ()


Block = Paragraph | Bullets | Table | Facts | ClauseBlock | Section


@dataclass(frozen=True)
class Document:
    """One document, independent of its format."""

    kind: str  # "schedule", "feedback" or "methodology"
    title: str
    subtitle: str
    header: str  # the running page header: policy id and version
    facts: tuple[tuple[str, Inline], ...]
    intro: tuple[Paragraph, ...]
    sections: tuple[Section, ...]
    footer: str
    language: str = "en-GB"
    date: date | None = None  # the document's date (as-of or effective), for DOCX properties
    author: str | None = None
