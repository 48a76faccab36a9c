"""Documents → Markdown, and the one escaping rule all of svrules' Markdown follows.

Text from policies and tenders is shown as written, never read as structure: `escape`
makes it inert in CommonMark (GitHub) and Python-Markdown (mkdocs) alike, `line` keeps a
line from starting a heading or list, `cell` keeps it inside a table cell. The policy
pages and the results report write their Markdown with these same functions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import assert_never

from svrules.documents.model import Block, Bullets, ClauseBlock, Document, Facts, Paragraph, Section, Table
from svrules.words.runs import Inline, plain_text

# Backslash escapes that both dialects read; `<`, `>` and a `&` that would start an entity
# become entities instead (Python-Markdown does not read `\<`).
_BACKSLASHED = re.compile(r"([\\`*\[\]])")
# An underscore inside a word (`example_borough`) never starts emphasis in either dialect.
_LOOSE_UNDERSCORE = re.compile(r"(?<![^\W_])_|_(?![^\W_])")
_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
# What a line must not start with: a heading, a list item, a setext underline, a fence.
_LINE_START = re.compile(r"^(\s*)(?:(#|[-+](?=\s|$)|[-=]+(?=\s*$)|~~~)|(\d+)([.)])(?=\s|$))")


def escape(text: str) -> str:
    """Text shown as written in running Markdown: no emphasis, links, code or HTML."""
    text = _ENTITY.sub("&amp;", text).replace("<", "&lt;").replace(">", "&gt;")
    return _LOOSE_UNDERSCORE.sub(r"\\_", _BACKSLASHED.sub(r"\\\1", text))


def line(text: str) -> str:
    """One line of text shown as written: escaped, and never a heading, list or fence."""
    return _safe_start(escape(text.strip()))


def _safe_start(markdown: str) -> str:
    def neutral(match: re.Match[str]) -> str:
        indent, mark, digits, dot = match.groups()
        if digits is not None:
            return f"{indent}{digits}\\{dot}"
        if mark[0] in "=~":
            return f"{indent}&#{ord(mark[0])};{mark[1:]}"
        return f"{indent}\\{mark}"

    return _LINE_START.sub(neutral, markdown)


def code(text: str) -> str:
    """A code span that shows `text` exactly, whatever backticks it holds."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{ticks}{pad}{text}{pad}{ticks}"


def fenced(text: str, lang: str) -> list[str]:
    """A fenced code block of `text`, with a fence longer than any backtick run inside."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return [f"{fence}{lang}", *text.rstrip("\n").splitlines(), fence]


def inline(runs: Inline) -> str:
    """Styled runs as Markdown on one line: each run escaped, then styled."""
    out = []
    for text, style in runs:
        if style == "code":
            out.append(code(text))
        elif style == "strong":
            out.append(f"**{escape(text)}**")
        elif style == "em":
            out.append(f"*{escape(text)}*")
        else:
            out.append(escape(text))
    return "".join(out).replace("\n", " ")


def text_line(runs: Inline) -> str:
    """Styled runs as a line of their own (a paragraph or list item): never a heading or list."""
    return _safe_start(inline(runs))


def list_item(runs: Inline) -> str:
    """Styled runs as an item of a bulleted list."""
    return f"- {text_line(runs)}"


def cell(runs: Inline) -> str:
    """Styled runs inside a table cell: a `|` never ends the cell."""
    return inline(runs).replace("|", "\\|")


def text_cell(text: str) -> str:
    """Plain text inside a table cell."""
    return cell(((text, ""),))


def quote(text: str) -> list[str]:
    """Text as a block quote, line by line, each line shown as written."""
    return [f"> {line(row)}".rstrip() for row in text.splitlines()] or [">"]


# ================================================================ documents


def markdown(document: Document) -> str:
    """A document as Markdown: the reviewable form, stable line by line."""
    lines = [f"# {line(document.title)}", "", f"**{escape(document.subtitle)}**", ""]
    lines += [f"- **{escape(label)}:** {inline(value)}" for label, value in document.facts]
    lines.append("")
    for paragraph in document.intro:
        lines += _block(paragraph, 1)
    for section in document.sections:
        lines += _block(section, 1)
    lines += ["---", "", f"*{escape(document.footer)}*", ""]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))


def _heading(depth: int, text: str) -> list[str]:
    return ["#" * min(depth + 1, 6) + " " + line(text), ""]


def _block(block: Block, depth: int) -> list[str]:
    match block:
        case Section():
            lines = _heading(depth, f"{block.number} {block.title}" if block.number else block.title)
            for child in block.blocks:
                lines += _block(child, depth + 1)
            return lines
        case Paragraph():
            text = text_line(block.text)
            return [f"> {text}" if block.style == "note" else text, ""]
        case Bullets():
            return [list_item(item) for item in block.items] + [""]
        case Facts():
            return [f"- **{escape(label)}:** {inline(value)}" for label, value in block.items] + [""]
        case Table():
            return table(block)
        case ClauseBlock():
            lines = _heading(depth, f"{block.number} {block.title}")
            lines += [f"*{escape(block.caption)}*", ""]
            for paragraph in block.paragraphs:
                lines += [line(row) for row in paragraph.split("\n")] + [""]
            for note in block.notes:
                lines += [f"> {line(note)}", ""]
            return lines
        case _:
            assert_never(block)


def table(table: Table) -> list[str]:
    """A table as a pipe table; an empty cell is left empty, a total row is in bold."""
    lines = [_row(text_cell(h) for h in table.header)]
    lines.append("|" + "|".join("---:" if right else "---" for right in table.right_aligned) + "|")
    lines += [_row(cell(value) for value in row) for row in table.rows]
    if table.total is not None:
        lines.append(_row(f"**{cell(value)}**" if plain_text(value) else "" for value in table.total))
    return [*lines, ""]


def _row(cells: Iterable[str]) -> str:
    return "| " + " | ".join(cells) + " |"
