"""Documents → HTML: one self-contained page from `documents/templates/page.html.j2`.

The page template is svrules' own and trusted; it is rendered with autoescaping on, so
everything it shows (clause wording, bidder names, reasons) is escaped on output and no
policy or tender text becomes markup. The print stylesheet is inlined: A4 pages, a
running header, headings kept with what follows.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any, assert_never

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from svrules.documents.model import Block, Bullets, ClauseBlock, Document, Facts, Paragraph, Section, Table

DOCUMENT_TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def html(document: Document) -> str:
    """A document as one HTML page, with its print stylesheet."""
    env = page_environment()
    css = (DOCUMENT_TEMPLATES / "print.css").read_text(encoding="utf-8")
    return env.get_template("page.html.j2").render(
        doc=document,
        css=css,
        facts=document.facts,
        intro=[_block(p, 1) for p in document.intro],
        sections=[_block(s, 1) for s in document.sections],
    )


@cache
def page_environment() -> Environment:
    """The environment of svrules' own page template: autoescaped, strict."""
    return Environment(
        loader=FileSystemLoader(DOCUMENT_TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )


def _block(block: Block, depth: int) -> dict[str, Any]:
    """A block as plain data for the page template (which escapes every string)."""
    match block:
        case Section():
            return {
                "type": "section",
                "level": min(depth + 1, 6),
                "number": block.number,
                "title": block.title,
                "id": _anchor(block.number, block.title),
                "blocks": [_block(child, depth + 1) for child in block.blocks],
            }
        case Paragraph():
            return {"type": "paragraph", "runs": block.text, "style": block.style}
        case Bullets():
            return {"type": "bullets", "items": block.items}
        case Facts():
            return {"type": "facts", "items": block.items}
        case Table():
            numeric = block.right_aligned
            return {
                "type": "table",
                "header": list(zip(block.header, numeric, strict=True)),
                "rows": [list(zip(row, numeric, strict=True)) for row in block.rows],
                "total": list(zip(block.total, numeric, strict=True)) if block.total else None,
            }
        case ClauseBlock():
            return {
                "type": "clause",
                "level": min(depth + 1, 6),
                "number": block.number,
                "title": block.title,
                "id": _anchor(block.number, block.title),
                "caption": block.caption,
                "paragraphs": [" ".join(line.strip() for line in p.split("\n")) for p in block.paragraphs],
                "notes": block.notes,
            }
        case _:
            assert_never(block)


def _anchor(number: str | None, title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return f"s{number.replace('.', '-')}-{slug}" if number else slug or "section"
