"""Documents → Markdown, HTML and DOCX: `write(document, format)`.

Each writer walks the same neutral model (`documents.model`), so the formats say the
same thing: `markdown` (also the home of the one Markdown escaping rule), `html` and
`docx`.
"""

from __future__ import annotations

from svrules.documents.model import Document
from svrules.documents.writers import docx, html, markdown

FORMATS = ("md", "html", "docx")
SUFFIXES = {"md": ".md", "html": ".html", "docx": ".docx"}


def write(document: Document, format: str = "md") -> str | bytes:
    """The document in one format: "md" or "html" (text), or "docx" (bytes)."""
    if format in ("md", "markdown"):
        return markdown.markdown(document)
    if format == "html":
        return html.html(document)
    if format == "docx":
        return docx.docx(document)
    raise ValueError(f"unknown document format {format!r}: use md, html or docx")


__all__ = ["FORMATS", "SUFFIXES", "docx", "html", "markdown", "write"]
