"""Documents → Markdown, HTML and DOCX.

Owns the three formats a `documents.Document` is written in. Each writer walks the same
neutral model, so the formats say the same thing:

- **Markdown**, the reviewable form: headings, lists, pipe tables; text is escaped so
  clause wording, bidder names and reasons never become links, HTML or structure;
- **HTML**, a single self-contained page from `templates/page.html.j2`, rendered
  with autoescaping on, with a print stylesheet (A4, running header, page breaks);
- **DOCX** with python-docx: headings, numbered clauses, tables, a page header with the
  policy id and version; the bytes are deterministic (fixed core properties, fixed zip
  entry times), so the same input always gives the same file.
"""

from __future__ import annotations

import io
import re
import zipfile
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from svrules.documents import Block, Bullets, ClauseBlock, Document, Facts, Paragraph, Section, Table
from svrules.words.runs import Inline, plain_text

FORMATS = ("md", "html", "docx")
SUFFIXES = {"md": ".md", "html": ".html", "docx": ".docx"}


def write(document: Document, format: str = "md") -> str | bytes:
    """The document in one format: "md" or "html" (text), or "docx" (bytes)."""
    if format in ("md", "markdown"):
        return markdown(document)
    if format == "html":
        return html(document)
    if format == "docx":
        return docx(document)
    raise ValueError(f"unknown document format {format!r}: use md, html or docx")


# ================================================================ Markdown

_MD_ESCAPE = re.compile(r"([\\`<>\[\]*])")
_MD_LINE_START = re.compile(r"^(\s*)(#|>|[-+*]\s|\d+[.)]\s|=+\s*$|-+\s*$)")


def _md_text(text: str) -> str:
    return _MD_ESCAPE.sub(r"\\\1", text)


def _md_inline(runs: Inline) -> str:
    out = []
    for text, style in runs:
        if style == "code":
            fence = "``" if "`" in text else "`"
            pad = " " if text.startswith("`") or text.endswith("`") else ""
            out.append(f"{fence}{pad}{text}{pad}{fence}")
        elif style == "strong":
            out.append(f"**{_md_text(text)}**")
        elif style == "em":
            out.append(f"*{_md_text(text)}*")
        else:
            out.append(_md_text(text))
    return "".join(out).replace("\n", " ")


def _md_line(line: str) -> str:
    """One line of running text: escaped, and never read as a heading, list or quote."""
    line = _md_text(line.strip())
    return _MD_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), line)


def _md_cell(runs: Inline) -> str:
    return _md_inline(runs).replace("|", "\\|") or " "


def markdown(document: Document) -> str:
    lines = [f"# {_md_line(document.title)}", "", f"**{_md_text(document.subtitle)}**", ""]
    lines += [f"- **{_md_text(label)}:** {_md_inline(value)}" for label, value in document.facts]
    lines.append("")
    for paragraph in document.intro:
        lines += _md_block(paragraph, 1)
    for section in document.sections:
        lines += _md_block(section, 1)
    lines += ["---", "", f"*{_md_text(document.footer)}*", ""]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text)


def _md_block(block: Block, depth: int) -> list[str]:
    if isinstance(block, Section):
        heading = f"{block.number} {block.title}" if block.number else block.title
        lines = ["#" * min(depth + 1, 6) + " " + _md_line(heading), ""]
        for child in block.blocks:
            lines += _md_block(child, depth + 1)
        return lines
    if isinstance(block, Paragraph):
        text = _md_inline(block.text)
        text = _MD_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)
        return [f"> {text}" if block.style == "note" else text, ""]
    if isinstance(block, Bullets):
        return [f"- {_md_inline(item)}" for item in block.items] + [""]
    if isinstance(block, Facts):
        return [f"- **{_md_text(label)}:** {_md_inline(value)}" for label, value in block.items] + [""]
    if isinstance(block, Table):
        return _md_table(block)
    assert isinstance(block, ClauseBlock)
    lines = ["#" * min(depth + 1, 6) + " " + _md_line(f"{block.number} {block.title}"), ""]
    lines += [f"*{_md_text(_clause_caption(block))}*", ""]
    for paragraph in block.paragraphs:
        lines += [_md_line(line) for line in paragraph.split("\n")] + [""]
    for note in block.notes:
        lines += [f"> {_md_text(note)}", ""]
    return lines


def _numeric(table: Table) -> tuple[bool, ...]:
    """Which columns are right-aligned, one flag per column."""
    return tuple(table.numeric[: len(table.header)]) + (False,) * max(
        0, len(table.header) - len(table.numeric)
    )


def _md_table(table: Table) -> list[str]:
    numeric = _numeric(table)
    lines = ["| " + " | ".join(_md_text(h).replace("|", "\\|") for h in table.header) + " |"]
    lines.append("|" + "|".join("---:" if right else "---" for right in numeric) + "|")
    for row in table.rows:
        lines.append("| " + " | ".join(_md_cell(cell) for cell in row) + " |")
    if table.total is not None:
        lines.append(
            "| "
            + " | ".join(f"**{_md_cell(cell)}**" if plain_text(cell) else " " for cell in table.total)
            + " |"
        )
    return [*lines, ""]


def _clause_caption(block: ClauseBlock) -> str:
    caption = block.kind[:1].upper() + block.kind[1:]
    if block.refs:
        caption += ". Source: " + "; ".join(block.refs)
    return caption + "."


# ================================================================ HTML


def html(document: Document) -> str:
    env = page_environment()
    page = env.get_template("page.html.j2")
    css = (env.loader.get_source(env, "print.css")[0]) if env.loader else ""  # type: ignore[union-attr]
    return page.render(
        doc=document,
        css=css,
        facts=document.facts,
        intro=[_html_block(p, 1) for p in document.intro],
        sections=[_html_block(s, 1) for s in document.sections],
    )


def _html_block(block: Block, depth: int) -> dict[str, Any]:
    """A block as plain data for the page template (which escapes every string)."""
    if isinstance(block, Section):
        return {
            "type": "section",
            "level": min(depth + 1, 6),
            "number": block.number,
            "title": block.title,
            "id": _anchor(block.number, block.title),
            "blocks": [_html_block(child, depth + 1) for child in block.blocks],
        }
    if isinstance(block, Paragraph):
        return {"type": "paragraph", "runs": block.text, "style": block.style}
    if isinstance(block, Bullets):
        return {"type": "bullets", "items": block.items}
    if isinstance(block, Facts):
        return {"type": "facts", "items": block.items}
    if isinstance(block, Table):
        numeric = _numeric(block)
        return {
            "type": "table",
            "header": list(zip(block.header, numeric, strict=True)),
            "rows": [list(zip(row, numeric, strict=True)) for row in block.rows],
            "total": list(zip(block.total, numeric, strict=True)) if block.total else None,
        }
    assert isinstance(block, ClauseBlock)
    return {
        "type": "clause",
        "level": min(depth + 1, 6),
        "number": block.number,
        "title": block.title,
        "id": _anchor(block.number, block.title),
        "caption": _clause_caption(block),
        "paragraphs": [" ".join(line.strip() for line in p.split("\n")) for p in block.paragraphs],
        "notes": block.notes,
    }


def _anchor(number: str | None, title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return f"s{number.replace('.', '-')}-{slug}" if number else slug or "section"


# ================================================================ DOCX

_FIXED_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_CODE_FONT = "Consolas"


def docx(document: Document) -> bytes:
    import docx as python_docx
    from docx.shared import Mm, Pt

    doc = python_docx.Document()
    normal = doc.styles["Normal"]
    normal.font.name = "Calibri"  # type: ignore[attr-defined]
    normal.font.size = Pt(10.5)  # type: ignore[attr-defined]
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(20)
    section.top_margin = section.bottom_margin = Mm(20)
    header = section.header.paragraphs[0]
    header.text = document.header
    header.runs[0].font.size = Pt(8)
    footer = section.footer.paragraphs[0]
    footer.text = document.footer
    footer.runs[0].font.size = Pt(7)

    doc.add_heading(document.title, level=0)
    doc.add_paragraph(document.subtitle, style="Subtitle")
    _docx_facts(doc, document.facts)
    for paragraph in document.intro:
        _docx_block(doc, paragraph, 1)
    for block in document.sections:
        _docx_block(doc, block, 1)

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
    buffer = io.BytesIO()
    doc.save(buffer)
    return _fixed_zip(buffer.getvalue())


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


def _docx_runs(paragraph: Any, runs: Inline, *, bold: bool = False, italic: bool = False) -> None:
    for text, style in runs:
        run = paragraph.add_run(text)
        if style == "code":
            run.font.name = _CODE_FONT
        run.bold = bold or style == "strong" or None
        run.italic = italic or style == "em" or None


def _docx_facts(doc: Any, items: tuple[tuple[str, Inline], ...]) -> None:
    if not items:
        return
    table = doc.add_table(rows=0, cols=2)
    table.style = "Light List"
    for label, value in items:
        cells = table.add_row().cells
        cells[0].paragraphs[0].add_run(label).bold = True
        _docx_runs(cells[1].paragraphs[0], value)
    doc.add_paragraph()


def _docx_block(doc: Any, block: Block, depth: int) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    if isinstance(block, Section):
        title = f"{block.number} {block.title}" if block.number else block.title
        doc.add_heading(title, level=min(depth, 9))
        for child in block.blocks:
            _docx_block(doc, child, depth + 1)
    elif isinstance(block, Paragraph):
        paragraph = doc.add_paragraph()
        _docx_runs(paragraph, block.text, italic=block.style == "note")
    elif isinstance(block, Bullets):
        for item in block.items:
            _docx_runs(doc.add_paragraph(style="List Bullet"), item)
    elif isinstance(block, Facts):
        _docx_facts(doc, block.items)
    elif isinstance(block, Table):
        numeric = _numeric(block)
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
                _docx_runs(cell, value, bold=is_total)
                if numeric[j]:
                    cell.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        doc.add_paragraph()
    else:
        assert isinstance(block, ClauseBlock)
        doc.add_heading(f"{block.number} {block.title}", level=min(depth, 9))
        caption = doc.add_paragraph()
        caption.add_run(_clause_caption(block)).italic = True
        for text in block.paragraphs:
            doc.add_paragraph(" ".join(line.strip() for line in text.split("\n")))
        for note in block.notes:
            doc.add_paragraph().add_run(note).italic = True


# ---------------------------------------------------------------- page templates

DOCUMENT_TEMPLATES = Path(__file__).with_name("templates")


@cache
def page_environment() -> Environment:
    """The environment of svrules' own page templates (HTML documents): autoescaped.

    These templates ship with svrules and are trusted; what they show (clause text,
    bidder names, reasons) is escaped on output, so no policy or tender text becomes markup.
    """
    return Environment(
        loader=FileSystemLoader(DOCUMENT_TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
