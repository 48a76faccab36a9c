"""Documents → DOCX with python-docx: headings, numbered clauses, tables, a page header
with the policy id and version and a footer with the policy hash. The bytes are
deterministic (fixed core properties, fixed zip entry times), so the same input always
gives the same file.
"""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from typing import Any, assert_never

from svrules.documents.model import Block, Bullets, ClauseBlock, Document, Facts, Paragraph, Section, Table
from svrules.words.runs import Inline

_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_CODE_FONT = "Consolas"


def docx(document: Document) -> bytes:
    """A document as the bytes of a Word file."""
    import docx as python_docx  # on use: python-docx takes a while to import
    from docx.shared import Mm, Pt

    doc = python_docx.Document()
    normal = doc.styles["Normal"]
    normal.font.name = "Calibri"
    normal.font.size = Pt(10.5)
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(20)
    section.top_margin = section.bottom_margin = Mm(20)
    for paragraph, text, size in (
        (section.header.paragraphs[0], document.header, 8),
        (section.footer.paragraphs[0], document.footer, 7),
    ):
        paragraph.text = text
        paragraph.runs[0].font.size = Pt(size)

    doc.add_heading(document.title, level=0)
    doc.add_paragraph(document.subtitle, style="Subtitle")
    _facts(doc, document.facts)
    blocks: list[Block] = [*document.intro, *document.sections]
    for block in blocks:
        _block(doc, block, 1)
    _properties(doc, document)
    buffer = io.BytesIO()
    doc.save(buffer)
    return _fixed_zip(buffer.getvalue())


def _properties(doc: Any, document: Document) -> None:
    """Fixed core properties: the document's own date, never the time it was made."""
    props = doc.core_properties
    when = datetime(*(document.date.timetuple()[:3] if document.date else (2000, 1, 1)), tzinfo=UTC)
    props.title = document.title
    props.subject = document.subtitle
    props.author = document.author or "svrules"
    props.last_modified_by = "svrules"
    props.comments = document.footer
    props.keywords = document.header
    props.category = document.kind
    props.language = document.language
    props.created = props.modified = props.last_printed = when
    props.revision = 1


def _fixed_zip(raw: bytes) -> bytes:
    """The same zip with fixed entry times and attributes, so equal input gives equal bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 0
            entry.external_attr = 0o644 << 16
            dst.writestr(entry, src.read(info.filename), compresslevel=6)
    return out.getvalue()


def _runs(paragraph: Any, runs: Inline, *, bold: bool = False, italic: bool = False) -> None:
    for text, style in runs:
        run = paragraph.add_run(text)
        if style == "code":
            run.font.name = _CODE_FONT
        run.bold = bold or style == "strong" or None
        run.italic = italic or style == "em" or None


def _facts(doc: Any, items: tuple[tuple[str, Inline], ...]) -> None:
    if not items:
        return
    table = doc.add_table(rows=0, cols=2)
    table.style = "Light List"
    for label, value in items:
        cells = table.add_row().cells
        cells[0].paragraphs[0].add_run(label).bold = True
        _runs(cells[1].paragraphs[0], value)
    doc.add_paragraph()


def _block(doc: Any, block: Block, depth: int) -> None:
    match block:
        case Section():
            doc.add_heading(
                f"{block.number} {block.title}" if block.number else block.title, level=min(depth, 9)
            )
            for child in block.blocks:
                _block(doc, child, depth + 1)
        case Paragraph():
            _runs(doc.add_paragraph(), block.text, italic=block.style == "note")
        case Bullets():
            for item in block.items:
                _runs(doc.add_paragraph(style="List Bullet"), item)
        case Facts():
            _facts(doc, block.items)
        case Table():
            _table(doc, block)
        case ClauseBlock():
            doc.add_heading(f"{block.number} {block.title}", level=min(depth, 9))
            doc.add_paragraph().add_run(block.caption).italic = True
            for text in block.paragraphs:
                doc.add_paragraph(" ".join(line.strip() for line in text.split("\n")))
            for note in block.notes:
                doc.add_paragraph().add_run(note).italic = True
        case _:
            assert_never(block)


def _table(doc: Any, block: Table) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    numeric = block.right_aligned
    rows = [*block.rows, block.total] if block.total else list(block.rows)
    table = doc.add_table(rows=1 + len(rows), cols=len(block.header))
    table.style = "Table Grid"
    for j, head in enumerate(block.header):
        cell = table.rows[0].cells[j].paragraphs[0]
        cell.add_run(head).bold = True
        if numeric[j]:
            cell.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for i, row in enumerate(rows, start=1):
        is_total = block.total is not None and i == len(rows)
        for j, value in enumerate(row):
            cell = table.rows[i].cells[j].paragraphs[0]
            _runs(cell, value, bold=is_total)
            if numeric[j]:
                cell.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    doc.add_paragraph()
